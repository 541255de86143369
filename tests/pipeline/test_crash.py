"""Crash safety: `newswatch ingest` killed with SIGKILL at random moments loses nothing.

Writes go in short transactions, a batch is spooled before it is inserted, and a source's ETag is
saved only after its articles are stored, so a run that finishes after any number of kills has
every article exactly once.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.stages.net.urls import canonicalize
from storage.spool import Spool
from tests.support.servers import NewsServer

ARTICLES = 40
PAGE_DELAY = 0.4  # per page, two at a time: fetching alone takes 8 s, longer than any random kill delay


def slow_site(server: NewsServer) -> list[str]:
    return server.add_story_feed(
        "c",
        ARTICLES,
        lambda i: f"Story {i}: Central Asian trade corridor news",
        lambda: time.sleep(PAGE_DELAY),
        etag='"v1"',
    )


def start_ingest(tmp_path: Path, db: Path, sources: Path) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("newswatch")
    return subprocess.Popen(
        [str(exe), "ingest", "--db", str(db), "--sources", str(sources)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group: the kill takes its analysis workers too
    )


def kill(proc: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the run's process group; False if it had already finished."""
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return True


def test_sigkill_at_random_moments_loses_nothing(server: NewsServer, tmp_path: Path, db_path: Path) -> None:
    urls = slow_site(server)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"settings:\n  timeout_seconds: 10\n  max_retries: 0\n  per_host_concurrency: 2\nsources:\n"
        f"  - name: Crashy\n    url: {server.url('/c/feed.xml')}\n",
        encoding="utf-8",
    )
    seed = int(os.environ.get("NEWSWATCH_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    spool = Spool(db_path)
    killed = 0
    for attempt in range(6):
        proc = start_ingest(tmp_path, db_path, sources)
        if attempt == 5:
            # the last kill aims at the write phase: as soon as a batch is on its way to the database
            # (last, because a kill that lands just after the commit leaves later runs nothing to do)
            deadline = time.monotonic() + 90
            while not spool.pending() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
        else:
            time.sleep(rng.uniform(0.5, 6.0))
        killed += kill(proc)
    assert killed >= 3, f"the kills must land mid-run (seed {seed})"

    final = start_ingest(tmp_path, db_path, sources)
    assert final.wait(timeout=180) == 0, f"seed {seed}"

    con = duckdb.connect(str(db_path))  # opens read-write: the file is not damaged
    try:
        dupes = con.execute(
            "SELECT canonical_url, count(*) FROM article GROUP BY 1 HAVING count(*) > 1"
        ).fetchall()
        stored = {r[0] for r in con.execute("SELECT canonical_url FROM articles").fetchall()}
        ids = con.execute("SELECT count(*), count(DISTINCT id) FROM article").fetchone()
        runs = con.execute("SELECT status, count(*) FROM run GROUP BY 1").fetchall()
        etag = con.execute("SELECT etag FROM source WHERE name = 'Crashy'").fetchone()
    finally:
        con.close()
    assert dupes == [], f"seed {seed}"
    assert stored == {canonicalize(u) for u in urls}, f"seed {seed}: {len(stored)} of {len(urls)} stored"
    assert ids is not None and ids[0] == ids[1] == ARTICLES
    statuses = dict(runs)
    assert "running" not in statuses and statuses.get("ok", 0) >= 1, (statuses, seed)
    assert etag == ('"v1"',)
    assert spool.pending() == []
    # the next run finds everything stored: the feed answers 304 and no page is fetched again
    hits = {u: server.hits(u.split(str(server.port))[1]) for u in urls}
    again = start_ingest(tmp_path, db_path, sources)
    assert again.wait(timeout=120) == 0
    assert {u: server.hits(u.split(str(server.port))[1]) for u in urls} == hits


def _children() -> dict[int, list[int]]:
    """ppid -> pids of every live process (zombies are dead: left out)."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    live = {p for ps in _children().values() for p in ps}
    return pids & live


def test_sigkill_of_the_ingest_leaves_no_process_behind(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    """The OOM killer or a container stop kills the ingest alone: its forkserver, analysis workers
    and resource tracker must follow it, not hold memory until killed by hand."""
    server.add_story_feed("k", 40, lambda i: f"Story {i}: Almaty rail news", lambda: time.sleep(0.05))
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"settings:\n  timeout_seconds: 10\n  max_retries: 0\nsources:\n"
        f"  - name: Killed\n    url: {server.url('/k/feed.xml')}\n",
        encoding="utf-8",
    )
    proc = start_ingest(tmp_path, db_path, sources)
    deadline = time.monotonic() + 90
    pool: set[int] = set()
    # the forkserver, the resource tracker and at least one worker (a grandchild)
    while len(pool) < 3 and proc.poll() is None and time.monotonic() < deadline:
        pool = _descendants(proc.pid)
        time.sleep(0.01)
    assert proc.poll() is None and len(pool) >= 3, f"the ingest ended or started no pool: {pool}"
    os.kill(proc.pid, signal.SIGKILL)  # the ingest only, not its process group
    proc.wait(timeout=30)
    pool |= _descendants(proc.pid)
    deadline = time.monotonic() + 30
    while _alive(pool) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")[:120] for p in _alive(pool)}
    for pid in left:  # do not leave them to the next test
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert left == {}, f"processes of the killed ingest still running: {left}"


@pytest.mark.parametrize(
    ("signum", "status", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "stopped")],
    ids=["ctrl-c", "sigterm"],
)
def test_ctrl_c_keeps_what_was_analysed_and_says_one_line(
    server: NewsServer, tmp_path: Path, db_path: Path, signum: int, status: int, said: str
) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) or SIGTERM to the ingest
    (`kill`, a service manager, a container stopping) mid-run: one line on stderr, no worker's
    traceback; the run recorded as interrupted; every article analysed by then stored; and the next
    run fetching only the rest."""
    import threading

    release = threading.Event()  # the second half of the pages answers only once the run is stopped
    free = 20
    served = iter(range(10_000))
    urls = server.add_story_feed(
        "i",
        40,
        lambda i: f"Story {i}: Kyrgyz and Kazakh officials meet on the Chu river water deal",
        lambda: None if next(served) < free else release.wait(120),
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"settings:\n  timeout_seconds: 60\n  max_retries: 0\nsources:\n"
        f"  - name: Halted\n    url: {server.url('/i/feed.xml')}\n",
        encoding="utf-8",
    )
    exe = Path(sys.executable).with_name("newswatch")
    proc = subprocess.Popen(
        [str(exe), "ingest", "--db", str(db_path), "--sources", str(sources)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, signalled as a terminal signals its foreground job
    )
    try:
        assert proc.stderr is not None
        before: list[str] = []
        for line in proc.stderr:  # the progress line that says 20 pages are analysed
            before.append(line)
            if f"articles: {free}/40" in line:
                break
        assert f"articles: {free}/40" in before[-1], before
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        after = proc.stderr.read().splitlines()
        assert proc.wait(timeout=120) == status
    finally:
        release.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert after == [
        f"newswatch: {said}; the articles analysed so far are stored; the next ingest fetches the rest"
    ]

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        stored = {r[0] for r in con.execute("SELECT canonical_url FROM articles").fetchall()}
        runs = con.execute("SELECT status, articles_new + articles_duplicate, message FROM run").fetchall()
    finally:
        con.close()
    assert len(stored) >= free and stored < {canonicalize(u) for u in urls}
    assert runs == [
        (
            "interrupted",
            len(stored),
            f"interrupted: {len(stored)} articles stored; the next ingest goes on from there",
        )
    ]

    hits = {u: server.hits(u.split(str(server.port))[1]) for u in urls}
    again = start_ingest(tmp_path, db_path, sources)
    assert again.wait(timeout=180) == 0
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        everything = con.execute("SELECT canonical_url FROM article").fetchall()
        statuses = con.execute("SELECT status FROM run ORDER BY id").fetchall()
    finally:
        con.close()
    assert sorted(r[0] for r in everything) == sorted(canonicalize(u) for u in urls)  # each once
    assert statuses == [("interrupted",), ("ok",)]
    refetched = [u for u in urls if server.hits(u.split(str(server.port))[1]) > hits[u]]
    assert {canonicalize(u) for u in refetched} == {canonicalize(u) for u in urls} - stored
