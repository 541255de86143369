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
