"""The spool and the writer lock: nothing fetched is lost while another process holds the database.

Every batch of analysed articles is written to a JSON Lines file under `spool/` beside the
database before it is inserted, and the file is removed only once the insert has committed. A
batch the database could not take (an analyst's session held it too long, or the process was
killed) stays there and is written by the next ingest, before anything else. Inserts skip
canonical URLs already stored, so writing a spooled batch twice is harmless.

`WriterLock` is an inter-process lock (flock on `<db>.lock`) held for a whole ingest, so two
ingests never write at once: the second waits, and says for whom.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from storage.db import ArticleRecord, DatabaseBusy, Held, wait_with_backoff

_FIELDS = {f.name: f for f in dataclasses.fields(ArticleRecord)}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # numpy arrays and scalars
        return {"$ndarray": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, (set, frozenset, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        if "$ndarray" in value:
            import numpy as np

            return np.asarray(value["$ndarray"], dtype=value["dtype"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def record_to_json(record: ArticleRecord) -> str:
    return json.dumps(
        {name: _encode(getattr(record, name)) for name in _FIELDS}, ensure_ascii=False, allow_nan=False
    )


def record_from_json(line: str) -> ArticleRecord:
    data = json.loads(line)
    known = {k: _decode(v) for k, v in data.items() if k in _FIELDS}
    return ArticleRecord(**known)


class Spool:
    """JSON Lines files of analysed articles waiting for the database, under `spool/` beside it."""

    def __init__(self, db_path: str | Path) -> None:
        db = Path(db_path)
        self.dir = db.parent / "spool"
        self.prefix = db.name + "."

    def put(self, records: Sequence[ArticleRecord]) -> Path:
        """Write a batch durably (temporary file, fsync, rename) and return its path."""
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"{self.prefix}{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        final = self.dir / name
        tmp = self.dir / (name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(record_to_json(rec) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        """Batches not yet stored, oldest first; half-written temporary files are removed."""
        if not self.dir.is_dir():
            return []
        for tmp in self.dir.glob(self.prefix + "*.jsonl.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
        return sorted(self.dir.glob(self.prefix + "*.jsonl"))

    def load(self, path: Path) -> list[ArticleRecord]:
        """The records of one batch; a damaged line is set aside in `<file>.bad`, not lost silently."""
        records: list[ArticleRecord] = []
        bad: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                records.append(record_from_json(line))
            except (ValueError, TypeError, KeyError):
                bad.append(line)
        if bad:
            with open(path.with_suffix(".bad"), "a", encoding="utf-8") as fh:
                fh.write("\n".join(bad) + "\n")
        return records

    def remove(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def count(self) -> int:
        return sum(1 for p in self.pending() for line in p.open(encoding="utf-8") if line.strip())


class WriterLock:
    """An exclusive flock on `<db>.lock` for one ingest; the holder's PID is written inside."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        timeout: float = 600.0,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        db = Path(db_path)
        self.path = db.with_name(db.name + ".lock")
        self.timeout = timeout
        self.on_wait = on_wait
        self.waited_seconds = 0.0
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        return f"another ingest ({text})" if text else "another ingest"

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

        def attempt() -> None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Held(self.holder()) from None

        def give_up(holder: str) -> DatabaseBusy:
            os.close(fd)
            return DatabaseBusy(
                f"{self.path.with_suffix('')}: {holder} has been writing for more than "
                f"{self.timeout:.0f} s; this run gave up waiting"
            )

        def announce(holder: str) -> None:
            if self.on_wait is not None:
                self.on_wait(f"{holder} is writing to {self.path.with_suffix('')}; waiting")

        def waited(seconds: float) -> None:
            self.waited_seconds += seconds

        wait_with_backoff(attempt, self.timeout, announce, give_up, waited)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"PID {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
