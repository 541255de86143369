"""Adding sources to a hand-edited sources.yaml without touching anything else in it.

ruamel.yaml (round-trip) finds where the `sources:` list ends; the new entries are inserted there
as text, so every other byte (comments, order, flow-style lists, line breaks) stays as it was.
The caller validates the result with `flows.config.parse_config` before writing it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError


class SourcesFileError(Exception):
    """The file's `sources:` cannot be appended to as text (say so; the user edits it by hand)."""


def _scalar(value: Any) -> str:
    flow = isinstance(value, list)
    dumped = yaml.safe_dump(value, allow_unicode=True, width=4096, default_flow_style=flow)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _entry_text(entry: Mapping[str, Any], indent: int) -> list[str]:
    lines = []
    for i, (key, value) in enumerate(entry.items()):
        lead = "- " if i == 0 else "  "
        lines.append(f"{' ' * indent}{lead}{key}: {_scalar(value)}")
    return lines


def append_sources(text: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """`text` with `entries` appended at the end of its `sources:` list."""
    loader = YAML()  # round-trip: keeps the positions of keys and items
    try:
        data = loader.load(io.StringIO(text))
    except YAMLError as exc:
        raise SourcesFileError(f"invalid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not hasattr(data, "lc"):
        raise SourcesFileError("the file must be a mapping with a `sources:` list")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if "sources" not in data:
        block = ["sources:"] + [line for e in entries for line in _entry_text(e, 2)]
        return "".join(lines) + "\n".join(block) + "\n"
    seq = data["sources"]
    keys = list(data.keys())
    after = keys[keys.index("sources") + 1 :]
    end = data.lc.key(after[0])[0] if after else len(lines)
    if seq is not None and len(seq) and seq.fa.flow_style():
        raise SourcesFileError("`sources:` is written as a flow list ([...]); write it as a block list first")
    if seq is None or len(seq) == 0:
        start = data.lc.key("sources")[0]
        if lines[start].rstrip().endswith("[]"):
            lines[start] = lines[start].replace("[]", "", 1).rstrip() + "\n"
        indent = 2
        insert_at = start + 1
    else:
        first_line, _ = seq.lc.item(0)
        indent = max(lines[first_line].find("-"), 0)
        insert_at = end
        # comments and blank lines just before the next top-level key belong to that key
        while insert_at > seq.lc.item(len(seq) - 1)[0] + 1 and (
            not lines[insert_at - 1].strip() or lines[insert_at - 1].startswith("#")
        ):
            insert_at -= 1
    new = [line + "\n" for e in entries for line in _entry_text(e, indent)]
    return "".join(lines[:insert_at] + new + lines[insert_at:])
