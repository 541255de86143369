"""Spool replay: the batches an earlier run kept in the spool (the database was busy) are stored."""

from __future__ import annotations

import logging

from flows.pipeline.insert import insert_with_dedup
from flows.progress import Reporter
from storage import DatabaseBusy, Store
from storage.errors import database_trouble
from storage.spool import Spool

log = logging.getLogger(__name__)


def replay_spool(
    spool: Spool, store: Store, run_id: int, reporter: Reporter | None = None
) -> tuple[int, int]:
    """Store the batches left in the spool; returns (stored now, still waiting).

    A batch that can never be stored (unreadable, damaged lines, rows the database refuses) is
    moved to `spool/failed/` with the reason, after storing the rows of it that can be, so it
    blocks neither the batches behind it nor later runs. Database trouble is not the batch's
    fault: it is raised, and the batch stays for the next run.
    """
    say = reporter.message if reporter is not None else log.warning
    stored = 0
    paths = spool.pending()
    for i, path in enumerate(paths):
        try:
            records, problems = spool.read(path)
        except (OSError, UnicodeDecodeError) as exc:
            problems, records = [f"unreadable: {type(exc).__name__}: {exc}"], []
        try:
            try:
                if records:
                    insert_with_dedup(store, records, run_id)
                stored += len(records)
            except DatabaseBusy:
                raise
            except Exception as exc:  # noqa: BLE001 - which rows are refused is found out one by one
                if database_trouble(exc):
                    raise
                for record in records:
                    try:
                        insert_with_dedup(store, [record], run_id)
                        stored += 1
                    except DatabaseBusy:
                        raise
                    except Exception as one:  # noqa: BLE001 - this row is refused; the others go on
                        if database_trouble(one):
                            raise
                        problems.append(
                            f"refused {record.canonical_url!r}: {type(one).__name__}: {one}"[:500]
                        )
        except DatabaseBusy:  # stored rows are skipped when the batch is written again
            return stored, spool.lines(paths[i:])
        if not problems:
            spool.remove(path)
            continue
        moved = spool.set_aside(path, "; ".join(problems))
        say(
            f"spooled batch {path.name} cannot be stored ({'; '.join(problems)[:300]}); moved to {moved}"
            " with the reason beside it (move it back into the spool to try it again)"
        )
    return stored, 0
