"""The console over a DuckLake (catalog in PostgreSQL on loopback): one read-only attach kept for
its life, and each page sees what writers committed since the last one."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import httpx

from flows.config import parse_config
from flows.web.app import create_app
from flows.web.server import WebServer
from storage import ArticleRecord
from storage import search as fts
from storage.lake import LakeConfig, LakeStore
from tests.support.postgres import Postgres
from tests.support.servers import free_port


def article(slug: str, title: str) -> ArticleRecord:
    url = f"https://lake.example/{slug}"
    text = f"{title}. Officials in Astana said Kazakhstan would go ahead with the plan this year."
    return ArticleRecord(
        url=url,
        canonical_url=url,
        source="Lake Wire",
        title=title,
        text=text,
        first_seen_at=datetime.now(UTC),
        language="en",
        relevance=0.9,
        is_relevant=True,
        countries=["KZ"],
    )


def test_the_console_reads_a_lake_and_sees_new_commits(pg: Postgres, tmp_path: Path) -> None:
    lake = LakeConfig(pg.catalog(pg.create_database(f"web_{os.getpid()}")), str(tmp_path / "data"))
    writer = LakeStore(lake, tmp_path / "writer.duckdb")
    writer.migrate()
    writer.insert_articles([article("grain", "Kazakhstan opens a grain corridor")])
    fts.update_index(writer)
    reader = LakeStore(lake, tmp_path / "reader.duckdb", lock_timeout=10)
    server = WebServer(create_app(parse_config("sources: []\n"), reader), "127.0.0.1", free_port())
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            first = client.get("/")
            assert first.status_code == 200 and "Kazakhstan opens a grain corridor" in first.text
            writer.insert_articles([article("rail", "Kazakhstan lays a new railway to China")])
            fts.update_index(writer)
            again = client.get("/search", params={"q": "railway China"})
            assert again.status_code == 200 and "Kazakhstan lays a new <mark>railway</mark>" in again.text
            for path in ("/sources", "/coverage", "/digests"):
                assert client.get(path).status_code == 200, path
    finally:
        server.stop()
        reader.close()
        writer.close()
