"""The digest's footer: failing sources grouped by what failed, and the one-line health summary.

Forty-four sources that all fail because the machine has no network are one line ("44 sources:
name resolution failed, since ..."), not forty-four near-identical ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

NAMES_SHOWN = 12  # names listed in one group's line before "and N more"

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "name resolution failed",
        re.compile(
            r"name resolution|cannot resolve|name or service not known|nodename nor servname|getaddrinfo"
            r"|no address associated|Errno -[2-5]\b",
            re.IGNORECASE,
        ),
    ),
    ("timed out", re.compile(r"timed out|timeout", re.IGNORECASE)),
    ("connection refused", re.compile(r"connection refused|Errno 111\b", re.IGNORECASE)),
    ("TLS error", re.compile(r"certificate|\bSSL\b|\bTLS\b", re.IGNORECASE)),
    ("refused by the address guard", re.compile(r"private, loopback or link-local", re.IGNORECASE)),
)
_HTTP = re.compile(r"\bHTTP (\d{3})\b")


class Failing(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def failures(self) -> int: ...
    @property
    def since(self) -> datetime | None: ...
    @property
    def last_error(self) -> str | None: ...


def error_kind(error: str | None) -> str:
    """What failed, in a few words shared by every source it happened to."""
    if not error:
        return "unknown error"
    for kind, pattern in _KINDS:
        if pattern.search(error):
            return kind
    if match := _HTTP.search(error):
        return f"HTTP {match.group(1)}"
    text = " ".join(error.split())
    return text if len(text) <= 100 else text[:99].rstrip() + "…"


@dataclass(frozen=True)
class FailureGroup:
    kind: str  # what failed (error_kind)
    sources: list[Failing]  # longest failing first
    since: datetime | None  # when the first of them started failing

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]

    @property
    def shown_names(self) -> str:
        names = self.names
        if len(names) <= NAMES_SHOWN:
            return ", ".join(names)
        return ", ".join(names[:NAMES_SHOWN]) + f" and {len(names) - NAMES_SHOWN} more"


def group_failures(failing: list[Failing]) -> list[FailureGroup]:
    """Failing sources by what failed; the biggest group first, then the longest failing."""
    groups: dict[str, list[Failing]] = {}
    for f in failing:
        groups.setdefault(error_kind(f.last_error), []).append(f)
    out = []
    for kind, members in groups.items():
        dated = [m.since for m in members if m.since is not None]
        out.append(FailureGroup(kind, members, min(dated) if dated else None))
    never = datetime.max  # undated groups last
    return sorted(
        out,
        key=lambda g: (-len(g.sources), (g.since.replace(tzinfo=None) if g.since else never), g.kind),
    )


def health_summary(enabled_sources: int, groups: list[FailureGroup]) -> str:
    """One sentence on the sources: how many answered, how many fail and why."""
    failing = sum(len(g.sources) for g in groups)
    if not failing:
        if not enabled_sources:
            return "No sources are configured."
        return f"All {enabled_sources} sources answered at their last poll."
    total = max(enabled_sources, failing)
    why = "; ".join(f"{g.kind} ({len(g.sources)})" for g in groups[:3])
    if len(groups) > 3:
        why += f"; {len(groups) - 3} other errors"
    return f"{total - failing} of {total} sources answered at their last poll; {failing} failing: {why}."
