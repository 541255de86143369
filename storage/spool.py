"""The spool and the writer lock: nothing fetched is lost while another process holds the database.

Every batch of analysed articles is written to a JSON Lines file under `spool/` beside the
database before it is inserted, and the file is removed only once the insert has committed. A
batch the database could not take (an analyst's session held it too long, or the process was
killed) stays there and is written by the next ingest, before anything else. Inserts skip
canonical URLs already stored, so writing a spooled batch twice is harmless.

A batch that can never be stored (an unreadable file, rows the database refuses) is moved to
`spool/failed/` with a `.reason` file beside it, so it cannot block the batches behind it; moving
it back into `spool/` tries it again.

`WriterLock` is an inter-process lock (flock on `<db>.lock`) held by every command that writes
more than one transaction (ingest, seed, rescore, the dedup and search rebuilds, the digest's
send state), so none of them sees another's half-done work: the second waits, and says for whom.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any

from storage.database import Held, wait_with_backoff
from storage.errors import DatabaseBusy
from storage.records import ArticleRecord
from storage.store import Store

_FIELDS = {f.name: f for f in dataclasses.fields(ArticleRecord)}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # read back as a dict
        return _encode(dataclasses.asdict(value))
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


_TEXT_FIELDS = ("url", "canonical_url", "source", "text")


def record_from_json(line: str) -> ArticleRecord:
    """One spooled record; ValueError or TypeError for a line that cannot be one."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    known = {k: _decode(v) for k, v in data.items() if k in _FIELDS}
    record = ArticleRecord(**known)
    for name in _TEXT_FIELDS:  # what the insert itself relies on, checked before it runs
        if not isinstance(getattr(record, name), str):
            raise ValueError(f"field {name!r} is not text")
    if not isinstance(record.first_seen_at, datetime):
        raise ValueError("field 'first_seen_at' is not a time")
    return record


class Spool:
    """JSON Lines files of analysed articles waiting for the database, under `spool/` beside it."""

    def __init__(self, db_path: str | Path) -> None:
        db = Path(db_path)
        self.dir = db.parent / "spool"
        self.failed_dir = self.dir / "failed"
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

    def read(self, path: Path) -> tuple[list[ArticleRecord], list[str]]:
        """The records of one batch, and what is wrong with each line that is not one
        ("line 3: ..."); OSError or UnicodeDecodeError for a file that cannot be read at all."""
        records: list[ArticleRecord] = []
        bad: list[str] = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(record_from_json(line))
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                bad.append(f"line {n}: {type(exc).__name__}: {exc}"[:300])
        return records, bad

    def load(self, path: Path) -> list[ArticleRecord]:
        """The records of one batch; damaged lines are left out (`read` says which)."""
        return self.read(path)[0]

    def set_aside(self, path: Path, reason: str) -> Path:
        """Move a batch that can never be stored to `failed/`, with why in `<file>.reason`."""
        self.failed_dir.mkdir(parents=True, exist_ok=True)
        target = self.failed_dir / path.name
        os.replace(path, target)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        with open(self.failed_dir / (path.name + ".reason"), "a", encoding="utf-8") as fh:
            fh.write(f"{stamp}: {reason}\n")
        return target

    def lines(self, paths: Sequence[Path]) -> int:
        """Non-empty lines of these batches (unreadable ones count none): articles still waiting."""
        total = 0
        for p in paths:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                total += sum(1 for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
        return total

    def remove(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def count(self) -> int:
        return self.lines(self.pending())


class WriterLock:
    """An exclusive flock on `<db>.lock` for one writing command; who holds it is written inside.

    Not re-entrant: a process must not take it twice (flock would make it wait for itself).
    """

    def __init__(
        self,
        db_path: str | Path,
        *,
        timeout: float = 600.0,
        on_wait: Callable[[str], None] | None = None,
        purpose: str = "ingest",
        zone: tzinfo = UTC,
    ) -> None:
        db = Path(db_path)
        self.path = db.with_name(db.name + ".lock")
        self.timeout = timeout
        self.on_wait = on_wait
        self.purpose = purpose
        self.zone = zone  # the configured zone, in which the holder's start time is shown
        self.waited_seconds = 0.0
        self._fd: int | None = None

    def holder(self) -> str:
        """Who holds the lock, from what the holder wrote: "another rescore (PID 12, since ...)"."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        purpose, sep, rest = text.partition(": ")
        if not sep or not rest.startswith("PID"):  # written by an older version: "PID n, since ..."
            purpose, rest = "writer", text
        pid, sep, since = rest.partition(", since ")
        with contextlib.suppress(ValueError):  # written by an older version, in UTC with its name
            rest = f"{pid}, since {local_stamp(datetime.fromisoformat(since), self.zone)}" if sep else rest
        return f"another {purpose} ({rest})" if rest else f"another {purpose}"

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
                f"{self.timeout:.0f} s; this {self.purpose} gave up waiting. Retry once it has finished."
            )

        def announce(holder: str) -> None:
            if self.on_wait is not None:
                self.on_wait(f"{holder} is writing to {self.path.with_suffix('')}; waiting")

        def waited(seconds: float) -> None:
            self.waited_seconds += seconds

        wait_with_backoff(attempt, self.timeout, announce, give_up, waited)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{self.purpose}: PID {os.getpid()}, since {since}\n".encode(), 0)
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


def local_stamp(moment: datetime, zone: tzinfo) -> str:
    """`moment` in `zone` with its UTC offset, as every printed time is: 2026-12-01 13:21:05 +05."""
    moment = moment.astimezone(zone)
    minutes = int((moment.utcoffset() or timedelta(0)).total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else "+"
    return f"{moment:%Y-%m-%d %H:%M:%S} {sign}{hours:02d}" + (f":{rest:02d}" if rest else "")


@contextlib.contextmanager
def writing(
    store: Store, purpose: str, on_wait: Callable[[str], None] | None = None, zone: tzinfo = UTC
) -> Iterator[WriterLock]:
    """Hold the store's writer lock for `purpose` (a command's name, shown to whoever waits).

    Waits up to the store's lock_timeout, telling `on_wait` (default: the store's) once, and
    counts the wait in the store's waited_seconds; DatabaseBusy when the holder does not finish.
    """
    lock = WriterLock(
        store.path, timeout=store.lock_timeout, on_wait=on_wait or store.on_wait, purpose=purpose, zone=zone
    )
    lock.acquire()
    try:
        store.waited_seconds += lock.waited_seconds
        yield lock
    finally:
        lock.release()
