"""The lake catalog's password kept out of every message.

DuckDB repeats the whole DSN in its exception texts ("Unable to connect to Postgres at
\"dbname=... password=...\""), and from there it would reach the terminal, the logs and Prefect's
flow-run logs. `without_secrets` takes out the known DSNs' secrets wherever they stand, and any
password written the ways libpq and URIs write one: `password=x`, `password = 'x y'`,
`password="x"`, `PGPASSWORD=x`, `postgres://user:x@host/db`, `?password=x`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

MASK = "***"
_KEYS = r"(?:ssl)?password|passwd|pwd|pgpassword"
_VALUE = r"'(?:[^'\\]|\\.)*'?|\"(?:[^\"\\]|\\.)*\"?|\S+"
# key = value, or a quoted key's "password": "x"; never prose's "password: set ..." (the value
# quoted or bare, not *** already)
_KEY_VALUE = re.compile(rf"(?i)((?:{_KEYS})(?:[\"']?\s*=|[\"']\s*:)\s*)(?!\*\*\*(?:[\s\"':]|$))({_VALUE})")
# a URI's user:password@
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/?#@\"']*):(?!\*\*\*@)([^\s\"'/]*)@")
_SHORTEST = 4  # a shorter secret is taken out only where a key or a URI names it


def secrets_of(dsn: str) -> set[str]:
    """Every spelling of the passwords a DSN holds: as written (quotes, escapes,
    percent-encoding) and as meant."""
    found: set[str] = set()
    for match in _KEY_VALUE.finditer(dsn):
        raw = match.group(2)
        found.add(raw)
        if len(raw) >= 2 and raw[0] in "'\"":
            inner = raw[1:-1] if raw[-1] == raw[0] else raw[1:]
            found.update({inner, re.sub(r"\\(.)", r"\1", inner)})
        found.add(unquote(raw))
    for match in _USERINFO.finditer(dsn):
        found.update({match.group(2), unquote(match.group(2))})
    return {s for s in found if s}


def without_secrets(text: str, dsns: Iterable[str | None] = ()) -> str:
    """`text` with the passwords of `dsns` and any password it spells out replaced by ***."""
    for dsn in (d for d in dsns if d):
        known = sorted(secrets_of(dsn), key=len, reverse=True)
        shown = _masked(dsn)
        for form in {dsn, dsn.strip()}:
            text = text.replace(form, shown)
        for secret in known:
            if len(secret) >= _SHORTEST:
                text = text.replace(secret, MASK)
    return _masked(text)


def _masked(text: str) -> str:
    text = _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)
    return _USERINFO.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
