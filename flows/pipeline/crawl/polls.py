"""The `Poll` of a crawled source as a feed's: failed, not modified, or read (with or without the
validators to save), and the conditional headers of a stored state or cursor."""

from __future__ import annotations

from flows.config import Source
from flows.pipeline.polling import Poll, SourceReport
from flows.stages.net.fetch import FetchResult
from storage import FetchLogEntry, PollOutcome


def poll_failed(source: Source, res: FetchResult, log: list[FetchLogEntry], error: str | None = None) -> Poll:
    error = error or res.error or "failed"
    report = SourceReport(source.name, status="error", error=error, moved_to=res.moved_to)
    outcome = PollOutcome(source.name, ok=False, status=res.status, error=error, moved_to=res.moved_to)
    return Poll(source, report, outcome, log=log)


def poll_not_modified(source: Source, res: FetchResult, log: list[FetchLogEntry]) -> Poll:
    report = SourceReport(source.name, status="not_modified", moved_to=res.moved_to)
    return Poll(source, report, PollOutcome(source.name, ok=True, status=304, moved_to=res.moved_to), log=log)


def poll_ok(
    source: Source,
    res: FetchResult,
    log: list[FetchLogEntry],
    problem: str | None,
    *,
    validators: bool = True,
) -> Poll:
    report = SourceReport(source.name, problem=problem, moved_to=res.moved_to)
    outcome = PollOutcome(
        source.name,
        ok=True,
        status=res.status,
        etag=res.headers.get("etag") if validators else None,
        last_modified=res.headers.get("last-modified") if validators else None,
        feed_problem=problem,
        moved_to=res.moved_to,
    )
    return Poll(source, report, outcome, log=log)


def validator_headers(etag: str | None, last_modified: str | None, accept: str) -> dict[str, str]:
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers
