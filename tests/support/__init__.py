"""Test helpers, one module a job: `pages` (article pages and feeds), `servers` (free ports and the
HTTP server tests point sources at), `hostile` (misbehaving handlers), `smtp` (a mail server that
keeps what it receives), `postgres` (a throw-away catalog for the lake)."""
