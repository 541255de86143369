"""Test material: a site answering at the Fetcher's transport seam (an httpx MockTransport), for
tests that poll many times or serve URLs of real hosts without any traffic leaving the process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from flows.config import Config, Settings, Source
from flows.pipeline.ingest import IngestSummary, ingest
from storage import Store


def answer(body: bytes, content_type: str, status: int = 200) -> httpx.Response:
    """A response the Fetcher reads as it reads the network's: streamed, not read ahead."""
    headers = {"content-type": content_type, "content-length": str(len(body))}
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


def ingest_through(
    transport: httpx.MockTransport, db: Path, source: Source, **settings: object
) -> IngestSummary:
    """One ingest of `source` into the database at `db`, every request answered by `transport`;
    the analysis runs in this process."""
    config = Config(settings=Settings(timeout_seconds=5, max_retries=0, **settings), sources=[source])  # type: ignore[arg-type]
    return asyncio.run(ingest(config, Store(db), transport=transport, workers=1))
