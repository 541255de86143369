"""The spool and the writer lock (storage/spool.py): batches kept on disk, set aside when they
can never be stored; one writer at a time, and whoever waits is told for whom."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage import ArticleRecord, DatabaseBusy, Store
from storage.spool import Spool, WriterLock, record_to_json, writing


def article(n: int) -> ArticleRecord:
    return ArticleRecord(
        url=f"http://a.test/{n}",
        canonical_url=f"http://a.test/{n}",
        source="A",
        title=f"Story {n}",
        text=f"Text of story {n}.",
        first_seen_at=datetime(2026, 11, 20, 8, n, tzinfo=UTC),
    )


def test_read_names_each_damaged_line_and_keeps_the_rest(db_path: Path) -> None:
    spool = Spool(db_path)
    path = spool.put([article(1), article(2)])
    lines = path.read_text(encoding="utf-8").splitlines()
    no_text = json.loads(lines[1])
    no_text["text"] = None
    path.write_text(
        "\n".join([lines[0], "{not json", json.dumps(no_text), "[1, 2]"]) + "\n", encoding="utf-8"
    )
    records, problems = spool.read(path)
    assert [r.url for r in records] == ["http://a.test/1"]
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4"]
    assert "'text' is not text" in problems[1]
    assert spool.load(path) == records
    assert spool.lines([path]) == 4  # still waiting: every line, until the batch is dealt with


def test_set_aside_moves_the_batch_out_of_the_queue_with_its_reason(db_path: Path) -> None:
    spool = Spool(db_path)
    first, second = spool.put([article(1)]), spool.put([article(2)])
    moved = spool.set_aside(first, "refused 'http://a.test/1': ConstraintException: NOT NULL")
    assert spool.pending() == [second]
    assert (
        moved == spool.failed_dir / first.name
        and moved.read_text(encoding="utf-8") == record_to_json(article(1)) + "\n"
    )
    reason = (spool.failed_dir / (first.name + ".reason")).read_text(encoding="utf-8")
    assert reason.endswith("UTC: refused 'http://a.test/1': ConstraintException: NOT NULL\n")
    assert spool.count() == 1


def test_writer_lock_tells_who_holds_it_and_gives_up_clearly(db_path: Path) -> None:
    heard: list[str] = []
    almaty = ZoneInfo("Asia/Almaty")
    with WriterLock(db_path, purpose="dedup rebuild"):
        waiting = WriterLock(db_path, timeout=0.2, on_wait=heard.append, purpose="rescore", zone=almaty)
        with pytest.raises(DatabaseBusy) as err:
            waiting.acquire()
    since = heard[0].split("since ")[1].split(")")[0]
    assert heard == [
        f"another dedup rebuild (PID {os.getpid()}, since {since}) is writing to {db_path}; waiting"
    ]
    # the holder's start, in the configured zone with its offset, as every printed time
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+05", since), since
    started = datetime.strptime(since[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=almaty)
    assert abs(datetime.now(UTC) - started) < timedelta(minutes=1)
    assert "gave up waiting" in str(err.value) and "this rescore" in str(err.value)
    assert waiting.waited_seconds > 0.1
    with WriterLock(db_path, timeout=0.2):  # given up and released: free again
        pass


def test_writing_counts_the_wait_in_the_store(db_path: Path) -> None:
    heard: list[str] = []
    store = Store(db_path, lock_timeout=0.3, on_wait=heard.append)
    with WriterLock(db_path, purpose="ingest"), pytest.raises(DatabaseBusy), writing(store, "seed"):
        pass
    assert len(heard) == 1 and "another ingest" in heard[0]
    with writing(store, "seed") as lock:
        assert lock.path.read_text(encoding="utf-8").startswith(f"seed: PID {os.getpid()}, since ")
    assert lock.path.read_text(encoding="utf-8") == ""  # released: no holder named
