"""Test helpers, one module a job: `pages` (article pages and feeds), `servers` (free ports and the
HTTP server tests point sources at), `hostile` (misbehaving handlers), `smtp` (a mail server that
keeps what it receives), `postgres` (a throw-away catalog for the lake), `environment` (the
environment variables tests run with)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
"""The repository's root: sources.yaml, seeds/ and the Dockerfile are there."""
