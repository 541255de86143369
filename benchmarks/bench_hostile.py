"""Bounded resources: one `newswatch ingest` over every hostile source at default settings.

    python -m benchmarks.bench_hostile          # prints wall time and peak memory; goal < 180 s, < 1 GB

The run is a subprocess of the installed command; its peak resident memory (and that of its
analysis workers) comes from getrusage(RUSAGE_CHILDREN) after it exits.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", str(Path(tempfile.gettempdir()) / "newswatch-bench-prefect"))

from tests.support import environment  # noqa: E402

environment.isolate()  # as the tests run: no NEWSWATCH_, proxy or CA settings reach `newswatch ingest`

from tests.support.hostile import Stopper, hostile_web  # noqa: E402
from tests.support.pages import TEMPLATES, rss, story  # noqa: E402
from tests.support.servers import NewsServer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 180.0
GOAL_BYTES = 1 << 30


def run_hostile(settings: str = "", workdir: Path | None = None) -> dict[str, Any]:
    """Serve the hostile web, ingest it once, return seconds, peak bytes and what was stored."""
    import duckdb

    work = Path(workdir or tempfile.mkdtemp(prefix="newswatch-hostile-"))
    server, internal, stop = NewsServer("127.0.0.1"), NewsServer("127.0.0.2"), Stopper()
    try:
        internal.add("/secret", "internal")
        good = []
        for i in range(10):
            art = story(f"good-{i}", f"Good story {i} about Kazakhstan and Uzbekistan")
            good.append(
                (art.title, server.add(f"/good/{art.slug}", TEMPLATES[i % 3](art)), "", art.published)
            )
        server.add(
            "/good/feed.xml", rss("Good", server.url("/good/"), good), content_type="application/rss+xml"
        )
        sources = {"Good": server.url("/good/feed.xml"), **hostile_web(server, stop, internal.port)}
        extra = [f"  {s}" for s in settings.splitlines() if s.strip()]
        lines = (["settings:", *extra] if extra else []) + ["sources:"]
        lines += [f"  - name: {n}\n    url: {u}" for n, u in sources.items()]
        (work / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        db = work / "hostile.duckdb"
        exe = Path(sys.executable).with_name("newswatch")
        started = time.monotonic()
        proc = subprocess.run(
            [str(exe), "ingest", "--db", str(db), "--sources", str(work / "sources.yaml")],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=900,
        )
        seconds = time.monotonic() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        if not db.exists():
            raise RuntimeError(f"newswatch ingest failed: {proc.stderr[-2000:]}")
        con = duckdb.connect(str(db), read_only=True)
        try:
            stored = con.execute("SELECT count(*) FROM articles WHERE source = 'Good'").fetchone()
            failing = con.execute("SELECT count(*) FROM source WHERE consecutive_failures > 0").fetchone()
        finally:
            con.close()
        return {
            "exit": proc.returncode,
            "seconds": round(seconds, 1),
            "peak_bytes": peak,
            "good_stored": stored[0] if stored else 0,
            "good_expected": len(good),
            "sources": len(sources),
            "failing_sources": failing[0] if failing else 0,
            "internal_requests": len(internal.requests),
            "stderr_tail": proc.stderr[-2000:],
        }
    finally:
        stop.set()
        server.close()
        internal.close()


def main() -> int:
    result = run_hostile()
    ok = (
        result["exit"] == 0
        and result["seconds"] < GOAL_SECONDS
        and result["peak_bytes"] < GOAL_BYTES
        and result["good_stored"] == result["good_expected"]
        and result["internal_requests"] == 0
    )
    print(
        json.dumps({k: v for k, v in result.items() if k != "stderr_tail"} | {"met": ok}, indent=2),
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
