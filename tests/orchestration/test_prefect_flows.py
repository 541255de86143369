"""Prefect flows over the same stage functions, on a test harness server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.pipeline.test_ingest import build_site, write_sources
from tests.support import ROOT
from tests.support.servers import NewsServer


@pytest.fixture(scope="module")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_run_flow_seeds_and_ingests(prefect_harness: None, server: NewsServer, tmp_path: Path) -> None:
    from flows.orchestration.prefect_flows import ingest_flow, seed_flow

    build_site(server)
    sources = write_sources(tmp_path / "sources.yaml", server)
    db = tmp_path / "flow.duckdb"
    assert seed_flow(str(sources), str(db), str(ROOT / "seeds")) == (5, 0)
    summary = ingest_flow(str(sources), str(db))
    assert summary.new + summary.duplicate == 4 and summary.failed == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (9,)
    con.close()


def test_the_lake_password_stays_out_of_the_flow_run_logs(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lake that cannot be reached fails the ingest flow; neither its state nor its logs (the
    task's traceback included) carry the catalog's password that DuckDB's error repeats."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    from flows.orchestration.prefect_flows import ingest_flow
    from tests.support.servers import free_port

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    monkeypatch.setenv(
        "NEWSWATCH_LAKE_CATALOG", f"postgres:host=127.0.0.1 port={free_port()} user=nw password = 'Pw s3cret'"
    )
    state = ingest_flow(str(sources), str(tmp_path / "nw.duckdb"), return_state=True)
    assert state.is_failed() and "cannot attach the lake" in (state.message or "")
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    text = "\n".join(log.message for log in logs)
    assert "cannot attach the lake" in text and "Connection refused" in text, text
    assert "s3cret" not in text + (state.message or "")


def test_the_ingest_flow_polls_the_sources_named_now(
    prefect_harness: None, server: NewsServer, tmp_path: Path
) -> None:
    """The flow takes `newswatch ingest --source`'s names (and `--all`'s poll_now) as parameters."""
    from flows.orchestration.prefect_flows import ingest_flow
    from tests.cli.test_ingest import feed

    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "settings:\n  max_retries: 0\nsources:\n"
        f"  - {{name: Flaky, url: '{server.url('/flaky/feed.xml')}'}}\n"
        f"  - {{name: Steady, url: '{server.url('/steady/feed.xml')}'}}\n",
        encoding="utf-8",
    )
    db = tmp_path / "named.duckdb"
    feed(server, "flaky", 0, status=503)
    feed(server, "steady", 1)
    assert ingest_flow(str(sources), str(db)).failed == 0  # Flaky's poll failed: it backs off
    feed(server, "flaky", 2)
    summary = ingest_flow(str(sources), str(db), sources=["flaky"])
    assert [(r.name, r.status, r.new + r.duplicate) for r in summary.reports] == [("Flaky", "ok", 2)]
    assert server.hits("/flaky/feed.xml") == 2 and server.hits("/steady/feed.xml") == 1
    assert {r.name for r in ingest_flow(str(sources), str(db), poll_now=True).reports} == {"Flaky", "Steady"}
    assert server.hits("/steady/feed.xml") == 2
