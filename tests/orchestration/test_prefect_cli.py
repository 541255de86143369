"""Prefect's own commands, as the README tells users to run them, against a real local Prefect server:
`work-pool create`, a deployment on that pool, `deployment ls`, `deployment run --param`, `worker start`,
then the listings (`flow ls`, `flow-run ls`, `work-pool ls`, `artifact ls`).

With fastapi 0.151 or later every listing failed with 422 (prefect's client sends null limits and
filters, which those releases validate as values): constraints.txt pins fastapi 0.150.0."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.orchestration.serve import LocalServer
from tests.support import ROOT
from tests.support.servers import free_port

PREFECT = str(Path(sys.executable).with_name("prefect"))


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[LocalServer]:
    server = LocalServer(tmp_path / "server-prefect", "127.0.0.1", free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def prefect(env: dict[str, str], *args: str, timeout: float = 90) -> str:
    done = subprocess.run([PREFECT, *args], env=env, capture_output=True, text=True, timeout=timeout)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"prefect {' '.join(args)} -> {done.returncode}\n{output}"
    assert "Traceback" not in output, output
    return output


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_the_readme_prefect_commands_work_against_a_local_server(
    prefect_server: LocalServer, tmp_path: Path
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    db = tmp_path / "state" / "newswatch.duckdb"
    out = tmp_path / "digests"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_HOME"}
    env |= {
        "PREFECT_API_URL": prefect_server.api_url,
        "PREFECT_HOME": str(tmp_path / "client-prefect"),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "COLUMNS": "240",  # wide enough that rich does not cut the states short
    }
    prefect(env, "work-pool", "create", "newswatch", "--type", "process")
    deploy = textwrap.dedent(
        f"""
        from flows.orchestration.prefect_flows import digest_flow
        digest_flow.from_source(
            source={str(ROOT)!r}, entrypoint="flows/orchestration/prefect_flows.py:digest_flow"
        ).deploy(
            name="daily", work_pool_name="newswatch", print_next_steps=False,
            parameters={{"sources_path": {str(sources)!r}, "db_path": {str(db)!r}, "out_dir": {str(out)!r}}},
        )
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", deploy], env=env, capture_output=True, text=True, timeout=90, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr

    assert "digest/daily" in prefect(env, "deployment", "ls")
    started = prefect(
        env, "deployment", "run", "digest/daily", "--param", "day=2026-11-20", "--param", "send=false"
    )
    assert "Created flow run" in started, started
    prefect(env, "worker", "start", "--pool", "newswatch", "--run-once", timeout=150)

    assert (out / "2026-11-20.html").is_file(), list(out.iterdir()) if out.exists() else "no digest"
    runs = prefect(env, "flow-run", "ls")
    assert "COMPLETED" in runs, runs
    assert "digest" in prefect(env, "flow", "ls")
    assert "newswatch" in prefect(env, "work-pool", "ls")
    assert "digest" in prefect(env, "artifact", "ls")
