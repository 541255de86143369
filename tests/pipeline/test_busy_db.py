"""A busy database: another process holds the DuckDB file mid-run.

The holder is a real second process with a read-write connection, as an analyst's session is.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from flows.config import parse_config
from flows.pipeline.ingest import IngestSummary, ingest
from flows.stages.net.urls import canonicalize
from storage import Store
from storage.spool import Spool, WriterLock
from tests.support import ROOT
from tests.support.servers import NewsServer

HOLDER = """
import sys, time, duckdb
while True:
    try:
        con = duckdb.connect(sys.argv[1])
        break
    except duckdb.Error:
        time.sleep(0.02)
con.execute("SELECT 1").fetchall()
print("holding", flush=True)
sys.stdin.readline()
con.close()
print("released", flush=True)
"""


class Holder:
    """A second process holding the database file read-write until told to let go."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "holding", line

    @property
    def pid(self) -> int:
        return self.proc.pid

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            assert self.proc.stdout.readline().strip() == "released"
            self.proc.wait(timeout=10)


@contextmanager
def holding(db: Path) -> Iterator[Holder]:
    holder = Holder(db)
    try:
        yield holder
    finally:
        holder.release()


class Recorder:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def phase(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def message(self, text: str) -> None:
        self.messages.append(text)


def gated_site(server: NewsServer, gate: threading.Event, n: int = 12) -> list[str]:
    """A feed of `n` articles whose pages are only served once `gate` is set."""
    return server.add_story_feed(
        "busy", n, lambda i: f"Story {i} on Central Asian trade", lambda: gate.wait(30), summaries=False
    )


def config_for(server: NewsServer) -> object:
    return parse_config(
        f"settings:\n  timeout_seconds: 10\n  max_retries: 0\nsources:\n"
        f"  - name: Busy\n    url: {server.url('/busy/feed.xml')}\n"
    )


def stored_urls(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT canonical_url FROM articles ORDER BY 1").fetchall()]
    finally:
        con.close()


def run_in_thread(fn: Callable[[], IngestSummary]) -> tuple[threading.Thread, list[IngestSummary]]:
    out: list[IngestSummary] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    return thread, out


def test_ingest_waits_for_a_held_database_and_stores_everything(server: NewsServer, db_path: Path) -> None:
    gate = threading.Event()
    urls = gated_site(server, gate)
    config = config_for(server)
    recorder = Recorder()
    store = Store(db_path, lock_timeout=60, on_wait=recorder.message)
    thread, out = run_in_thread(lambda: asyncio.run(ingest(config, store, reporter=recorder, workers=1)))  # type: ignore[arg-type]
    deadline = time.monotonic() + 30
    while server.hits("/busy/busy-0") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # the run is fetching pages and holds no connection
    with holding(db_path) as holder:
        gate.set()  # pages flow; the batch is ready while the file is held
        deadline = time.monotonic() + 30
        while not list((db_path.parent / "spool").glob("*.jsonl")):
            assert time.monotonic() < deadline, "fetched pages are kept on disk while the file is held"
            time.sleep(0.05)
        time.sleep(2)
        assert thread.is_alive(), "the run must wait for the file, not finish or fail"
    thread.join(60)
    (summary,) = out
    assert summary.waited_seconds >= 1.5
    assert any(f"PID {holder.pid}" in m and "waiting" in m for m in recorder.messages), recorder.messages
    assert stored_urls(db_path) == sorted(canonicalize(u) for u in urls)
    assert summary.new + summary.duplicate == len(urls) and summary.spooled == 0
    assert Spool(db_path).pending() == []
    con = duckdb.connect(str(db_path), read_only=True)
    status, waited, message = con.execute("SELECT status, waited_seconds, message FROM run").fetchone()
    con.close()
    assert status == "ok" and waited >= 1.5 and "waited" in message


def test_database_held_past_the_timeout_keeps_pages_for_the_next_run(
    server: NewsServer, db_path: Path
) -> None:
    gate = threading.Event()
    urls = gated_site(server, gate)
    config = config_for(server)
    recorder = Recorder()
    store = Store(db_path, lock_timeout=1.5, on_wait=recorder.message)
    thread, out = run_in_thread(lambda: asyncio.run(ingest(config, store, reporter=recorder, workers=1)))  # type: ignore[arg-type]
    while server.hits("/busy/busy-0") == 0:
        time.sleep(0.05)
    with holding(db_path):
        gate.set()
        thread.join(60)
        (summary,) = out  # the run ended normally: it did not fail
        assert summary.spooled == len(urls)
        assert summary.note is not None and "kept in" in summary.note and "next run" in summary.note
        assert Spool(db_path).count() == len(urls)
    assert stored_urls(db_path) == []  # nothing written while it was held, and nothing lost:
    second = asyncio.run(ingest(config, Store(db_path), reporter=Recorder(), workers=1))  # type: ignore[arg-type]
    assert second.replayed == len(urls)
    assert stored_urls(db_path) == sorted(canonicalize(u) for u in urls)
    assert Spool(db_path).pending() == []
    assert all(server.hits(f"/busy/busy-{i}") == 1 for i in range(len(urls)))  # not fetched twice
    con = duckdb.connect(str(db_path), read_only=True)
    runs = con.execute("SELECT status FROM run ORDER BY id").fetchall()
    con.close()
    assert [r[0] for r in runs] == ["interrupted", "ok"]


def test_two_ingests_never_write_at_once(server: NewsServer, tmp_path: Path, db_path: Path) -> None:
    gate = threading.Event()
    gate.set()
    urls = gated_site(server, gate, n=6)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"settings:\n  timeout_seconds: 10\nsources:\n  - name: Busy\n    url: {server.url('/busy/feed.xml')}\n",
        encoding="utf-8",
    )
    exe = Path(sys.executable).with_name("newswatch")
    env = {**os.environ, "NEWSWATCH_DB": str(db_path), "NEWSWATCH_SOURCES": str(sources)}
    lock = WriterLock(db_path)
    lock.acquire()  # a first "ingest" holds the writer lock while two real ones start
    procs: list[subprocess.Popen[str]] = []
    errors: list[list[str]] = [[], []]
    readers = []
    try:
        for i in range(2):
            proc = subprocess.Popen(
                [str(exe), "ingest"],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            procs.append(proc)
            reader = threading.Thread(target=lambda p=proc, e=errors[i]: e.extend(p.stderr), daemon=True)
            reader.start()
            readers.append(reader)
        mine = f"another ingest (PID {os.getpid()}"
        deadline = time.monotonic() + 90
        while not all(any(mine in line and "waiting" in line for line in e) for e in errors):
            assert time.monotonic() < deadline, errors
            assert all(p.poll() is None for p in procs), "both must wait for the writer lock"
            time.sleep(0.1)
    finally:
        lock.release()
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    for reader in readers:
        reader.join(10)
    assert [p.returncode for p in procs] == [0, 0], (outputs, errors)
    con = duckdb.connect(str(db_path), read_only=True)
    runs = con.execute("SELECT started_at, finished_at, status FROM run ORDER BY started_at").fetchall()
    con.close()
    assert [r[2] for r in runs] == ["ok", "ok"]
    assert runs[0][1] <= runs[1][0], "the second ingest started writing only after the first finished"
    assert stored_urls(db_path) == sorted(canonicalize(u) for u in urls)


def test_sql_waits_briefly_then_names_the_holder(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Store(db_path).migrate()
    with holding(db_path) as holder:
        started = time.monotonic()
        assert main(["sql", "SELECT count(*) AS n FROM articles", "--db", str(db_path), "--wait", "1"]) == 1
        assert time.monotonic() - started >= 1
        err = capsys.readouterr().err
        assert f"PID {holder.pid}" in err and "python" in err and "gave up after" in err
    # held only briefly: the query waits and then answers
    with holding(db_path) as holder:
        timer = threading.Timer(1.0, holder.release)
        timer.start()
        assert main(["sql", "SELECT count(*) AS n FROM articles", "--db", str(db_path), "--wait", "20"]) == 0
        timer.join()
    out = capsys.readouterr().out
    assert "0" in out


# --- every writing command takes the writer lock ------------------------------------------------


class WaitSeen(logging.Handler):
    """Sets `seen` when a command logs that it waits for the writer lock (ConsoleReporter logs
    its messages when not on a terminal)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        self.messages.append(text)
        if "is writing to" in text and "waiting" in text:
            self.seen.set()


@pytest.fixture
def wait_seen() -> Iterator[WaitSeen]:
    handler = WaitSeen()
    logger = logging.getLogger("newswatch")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _db_state(db: Path) -> bytes:
    """The database file's bytes (and any WAL beside it): equal means nothing was written."""
    wal = db.with_name(db.name + ".wal")
    return (db.read_bytes() if db.exists() else b"") + (wal.read_bytes() if wal.exists() else b"")


@pytest.mark.parametrize(
    "command",
    [
        ["seed", "--dir", str(ROOT / "seeds")],
        ["rescore"],
        ["dedup", "--rebuild"],
        ["search", "--reindex"],
        ["digest", "--no-send", "--date", "2026-11-20"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_writing_commands_wait_for_the_writer_lock(
    command: list[str], tmp_path: Path, db_path: Path, wait_seen: WaitSeen
) -> None:
    """A rebuild, rescore, seed or digest beside a running ingest (or each other) waits for its
    turn, says for whom, and does its work once the lock is free; nothing is written meanwhile."""
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    common = ["--db", str(db_path)]
    if command[0] in ("seed", "rescore", "digest"):
        common += ["--sources", str(sources)]
    if command[0] == "digest":
        common += ["--out", str(tmp_path / "digests")]
    if command[0] != "seed":
        assert main(["seed", "--dir", str(ROOT / "seeds"), *common[:2], "--sources", str(sources)]) == 0
    before = _db_state(db_path)
    result: list[int] = []
    lock = WriterLock(db_path, purpose="ingest")
    lock.acquire()
    try:

        def run() -> None:
            result.append(main([*command, *common]))
            wait_seen.seen.set()  # a command that did not wait ends the wait below at once

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert wait_seen.seen.wait(60), wait_seen.messages
        assert not result, f"the command must wait for the lock, not end with {result}"
        assert _db_state(db_path) == before, "nothing may be written while another writer holds the lock"
    finally:
        lock.release()
    thread.join(120)
    assert result == [0], wait_seen.messages
    (message,) = [m for m in wait_seen.messages if "is writing to" in m]
    # the holder's start with its offset: in the configured zone (Almaty's +05) where the command
    # reads the sources file, in UTC where it does not
    zone = "+05" if command[0] in ("seed", "rescore", "digest") else "+00"
    stamp = rf"since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d \{zone}\)"
    assert f"another ingest (PID {os.getpid()}, since " in message and re.search(stamp, message), message
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        seeds = con.execute("SELECT count(*) FROM article WHERE is_seed").fetchone()
        runs = [r[0] for r in con.execute("SELECT kind FROM run WHERE status = 'ok' ORDER BY id").fetchall()]
    finally:
        con.close()
    assert seeds == (5,)  # the seed ran (or was there) and nothing was lost
    if command[0] in ("rescore", "digest"):
        assert runs[-1] == command[0]  # it did its work after the wait
    if command[0] == "digest":
        assert (tmp_path / "digests" / "2026-11-20.html").is_file()


def test_a_writing_command_that_cannot_get_the_lock_says_so(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Store(db_path).migrate()
    with WriterLock(db_path, purpose="dedup rebuild"):
        assert main(["search", "--reindex", "--db", str(db_path), "--wait", "0.5"]) == 1
    err = capsys.readouterr().err
    assert "another dedup rebuild (PID" in err and "gave up waiting" in err
    assert "Traceback" not in err


# --- a batch that can never be stored ------------------------------------------------------------


def _spooled(n: int, source: str = "Busy") -> object:
    from storage import ArticleRecord

    return ArticleRecord(
        url=f"http://spool.test/{n}",
        canonical_url=f"http://spool.test/{n}",
        source=source,
        title=f"Kept story {n}",
        text=f"Kept story {n} on the Rogun dam and Tajik water quotas, paragraph one.",
        first_seen_at=datetime.now(UTC),
    )


def test_a_batch_that_cannot_be_stored_is_set_aside_and_the_rest_replayed(
    tmp_path: Path, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An unreadable batch, and a batch with a damaged line and a row the database refuses,
    must not stop the spool: every row that can be stored is, the two files go to spool/failed/
    with their reasons, the ingest exits 0, and the next one is not bothered by them again."""
    import json

    from storage.spool import record_to_json

    Store(db_path).migrate()
    spool = Spool(db_path)
    unreadable = spool.put([_spooled(0)])
    unreadable.write_bytes(b"\xff\xfe\x00garbage\x9c not UTF-8\n")
    refused = json.loads(record_to_json(_spooled(2)))
    refused["is_seed"] = None  # the database refuses it: is_seed is NOT NULL
    mixed = spool.put([_spooled(1)])
    mixed.write_text(
        record_to_json(_spooled(1)) + "\n{damaged line\n" + json.dumps(refused) + "\n", encoding="utf-8"
    )
    good = spool.put([_spooled(3), _spooled(4)])
    assert spool.pending() == [unreadable, mixed, good]
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    args = ["ingest", "--db", str(db_path), "--sources", str(sources)]
    caplog.set_level(logging.INFO, logger="newswatch")
    assert main(args) == 0
    assert stored_urls(db_path) == [f"http://spool.test/{n}" for n in (1, 3, 4)]
    assert spool.pending() == []
    failed = spool.failed_dir
    assert sorted(p.name for p in failed.iterdir()) == sorted(
        [unreadable.name, unreadable.name + ".reason", mixed.name, mixed.name + ".reason"]
    )
    assert "unreadable: UnicodeDecodeError" in (failed / (unreadable.name + ".reason")).read_text()
    reason = (failed / (mixed.name + ".reason")).read_text()
    assert "line 2: " in reason and "refused 'http://spool.test/2': ConstraintException" in reason
    said = [r.getMessage() for r in caplog.records if "cannot be stored" in r.getMessage()]
    assert len(said) == 2 and all("moved to" in m and str(failed) in m for m in said)
    caplog.clear()
    assert main(args) == 0  # the next run is not blocked, and does not try them again
    assert not [r for r in caplog.records if "cannot be stored" in r.getMessage()]
    assert stored_urls(db_path) == [f"http://spool.test/{n}" for n in (1, 3, 4)]
    con = duckdb.connect(str(db_path), read_only=True)
    runs = con.execute("SELECT status FROM run WHERE kind = 'ingest'").fetchall()
    con.close()
    assert runs == [("ok",), ("ok",)]
