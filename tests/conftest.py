"""Shared fixtures: real HTTP servers on loopback, real DuckDB files, a Prefect home in tmp.

The helpers the fixtures use live in `tests/support/` (servers, pages, smtp, postgres, hostile)."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import ROOT, environment
from tests.support.postgres import Postgres, PostgresUnavailable, running_postgres
from tests.support.servers import NewsServer

environment.isolate()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop Prefect's temporary servers while pytest's output is still open: stopped at exit,
    they log to a closed stream and print a traceback after the summary."""
    import sys

    module = sys.modules.get("prefect.server.api.server")
    if module is None:
        return
    for server in list(module.SubprocessASGIServer._instances.values()):
        server.stop()


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    """A private PostgreSQL on loopback for the lake's catalog, one per test module (the lake
    tests and the console's lake test); skipped where none can run, except on CI."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL for the lake's catalog: {exc}")


@pytest.fixture
def http_server() -> Iterator[Callable[..., NewsServer]]:
    """Factory: `http_server()` on 127.0.0.1, `http_server("127.0.0.2")` for an 'internal' host."""
    servers: list[NewsServer] = []

    def make(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> NewsServer:
        server = NewsServer(host, tls)
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.close()


@pytest.fixture
def server(http_server: Callable[..., NewsServer]) -> NewsServer:
    return http_server()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "newswatch.duckdb"


@pytest.fixture
def seeds_dir() -> Path:
    return ROOT / "seeds"
