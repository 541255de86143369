"""Prefect flows: thin compositions of the stage functions in `flows.pipeline` (SPEC 9).

Tasks work on batches (all sources of a run, the seed corpus), never per article, and open their
own database connections and HTTP client.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from flows.config import load_config
from flows.pipeline.ingest import IngestSummary
from flows.pipeline.lake import ingest_shard
from flows.pipeline.maintenance import seed
from flows.progress import LogReporter
from flows.stages.delivery.digest.deliver import DigestOutcome, DigestSendFailed, digest_for
from storage.lake import Shard, open_store


def _log_reporter() -> LogReporter:
    return LogReporter(get_run_logger(), logging.WARNING)


@task(name="load-seeds", cache_policy=NONE)
def seed_task(sources_path: str, db_path: str, seed_dir: str) -> tuple[int, int]:
    """Into the store the CLI would open: the file at `db_path`, or the configured lake."""
    config = load_config(sources_path)
    reporter = _log_reporter()
    store = open_store(db_path, lock_timeout=600, on_wait=reporter.message)
    try:
        return seed(config, store, seed_dir, reporter)
    finally:
        store.close()


@task(name="ingest-sources", cache_policy=NONE, retries=0)
def ingest_task(
    sources_path: str,
    db_path: str,
    shard: str | None = None,
    sources: list[str] | None = None,
    poll_now: bool = False,
) -> IngestSummary:
    config = load_config(sources_path)
    reporter = _log_reporter()
    part = Shard.parse(shard) if shard else None
    store = open_store(db_path, shard=part, lock_timeout=600, on_wait=reporter.message)
    try:
        summary = asyncio.run(
            ingest_shard(config, store, shard=part, names=sources, reporter=reporter, poll_now=poll_now)
        )
    finally:
        store.close()
    for r in summary.reports:
        if r.error:
            reporter.logger.warning("%s: %s", r.name, r.error)
    reporter.logger.info(
        "ingest: %d new, %d copies, %d failed in %.1f s",
        summary.new,
        summary.duplicate,
        summary.failed,
        summary.elapsed_seconds,
    )
    return summary


@flow(name="seed")
def seed_flow(
    sources_path: str = "sources.yaml", db_path: str = "storage/newswatch.duckdb", seed_dir: str = "seeds"
) -> tuple[int, int]:
    return seed_task(sources_path, db_path, seed_dir)


@flow(name="ingest")
def ingest_flow(
    sources_path: str = "sources.yaml",
    db_path: str = "storage/newswatch.duckdb",
    shard: str | None = None,
    sources: list[str] | None = None,
    poll_now: bool = False,
) -> IngestSummary:
    """`shard` ("I/N"): only that share of the sources, for N workers writing one lake (storage/lake.py).
    `sources` (names): only those, polled now whatever their back-off; `poll_now`: every source
    (of the shard) now. As `newswatch ingest --shard`, `--source`, `--all`."""
    return ingest_task(sources_path, db_path, shard, sources, poll_now)


@task(name="build-and-send-digest", cache_policy=NONE, retries=0)
def digest_task(
    sources_path: str, db_path: str, day: str | None, out_dir: str | None, send: bool | None, force: bool
) -> DigestOutcome:
    config = load_config(sources_path)
    logger = get_run_logger()
    store = open_store(db_path, lock_timeout=600, on_wait=logger.warning)  # the lake too, as the CLI
    try:
        outcome = digest_for(
            config,
            store,
            day=date.fromisoformat(day) if day else None,
            out_dir=Path(out_dir) if out_dir else None,
            send=send,
            force=force,
        )
    finally:
        store.close()
    logger.info(
        "digest %s: %d stories, written to %s", outcome.day, outcome.stories, outcome.paths.html.parent
    )
    (logger.error if outcome.send == "failed" else logger.info)("mail: %s", outcome.detail)
    for line in outcome.retried:
        logger.info("earlier digest %s", line)
    return outcome


@flow(name="digest")
def digest_flow(
    sources_path: str = "sources.yaml",
    db_path: str = "storage/newswatch.duckdb",
    day: str | None = None,
    out_dir: str | None = None,
    send: bool | None = None,
    force: bool = False,
) -> DigestOutcome:
    """The day's digest (default today in settings.timezone), published as a markdown artifact.

    A failed send fails the flow run, after the files and the artifact are written.
    """
    outcome = digest_task(sources_path, db_path, day, out_dir, send, force)
    create_markdown_artifact(
        key="daily-digest", markdown=outcome.markdown, description=f"newswatch digest {outcome.day}"
    )
    if outcome.failed:
        raise DigestSendFailed(outcome.failure_message, outcome)
    return outcome


@flow(name="run")
def run_flow(
    sources_path: str = "sources.yaml", db_path: str = "storage/newswatch.duckdb", seed_dir: str = "seeds"
) -> IngestSummary:
    seed_flow(sources_path, db_path, seed_dir)
    summary = ingest_flow(sources_path, db_path)
    digest_flow(sources_path, db_path)
    return summary
