"""`newswatch ingest --source NAME` and `--all`: a source backing off after failures is polled
now when the analyst asks; a name sources.yaml does not have is refused with the closest one."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main
from storage import Store
from tests.support.pages import TEMPLATES, rss, story
from tests.support.servers import NewsServer


def feed(server: NewsServer, outlet: str, n: int, status: int = 200) -> None:
    """`n` article pages and their feed at /OUTLET/feed.xml (answering `status`)."""
    items = []
    for i in range(n):
        art = story(f"{outlet}-{i}", f"{outlet.title()} story {i}: Almaty and Tashkent sign a rail deal")
        url = server.add(f"/{outlet}/{art.slug}", TEMPLATES[i % 3](art))
        items.append((art.title, url, art.paragraphs[0], art.published))
    body = rss(outlet.title(), server.url(f"/{outlet}/"), items) if status == 200 else "down"
    server.add(f"/{outlet}/feed.xml", body, status=status, content_type="application/rss+xml")


def stored(db: Path) -> dict[str, int]:
    _, rows = Store(db).query("SELECT source, count(*) FROM articles WHERE NOT is_seed GROUP BY ALL")
    return dict(rows)


def test_a_source_backing_off_is_polled_now_when_named(
    server: NewsServer, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "settings:\n  max_retries: 0\nsources:\n"
        f"  - {{name: Flaky Wire, url: '{server.url('/flaky/feed.xml')}'}}\n"
        f"  - {{name: Steady, url: '{server.url('/steady/feed.xml')}'}}\n"
        f"  - {{name: Closed, url: '{server.url('/off/feed.xml')}', enabled: false}}\n",
        encoding="utf-8",
    )
    ingest = ["ingest", "--db", str(db_path), "--sources", str(sources)]
    feed(server, "flaky", 0, status=503)
    feed(server, "steady", 2)
    assert main(ingest) == 0  # Flaky Wire fails: backing off for 30 minutes
    feed(server, "flaky", 3)  # the analyst fixed it
    assert main(ingest) == 0
    assert "backing_off" in capsys.readouterr().out and server.hits("/flaky/feed.xml") == 1
    assert stored(db_path) == {"Steady": 2}

    assert main([*ingest, "--source", "flaky wire"]) == 0  # polled now; only it
    assert server.hits("/flaky/feed.xml") == 2 and server.hits("/steady/feed.xml") == 2
    assert stored(db_path) == {"Steady": 2, "Flaky Wire": 3}
    out = capsys.readouterr().out
    assert "Flaky Wire" in out and "Steady" not in out

    for typo, said in (
        ("Flaky Wir", "no source named 'Flaky Wir' in"),
        ("Stedy", "(did you mean Steady?)"),
        ("closed", "source 'Closed' is disabled"),
    ):
        assert main([*ingest, "--source", "Steady", "--source", typo]) == 2
        assert said in capsys.readouterr().err
    assert server.hits("/steady/feed.xml") == 2  # a refused command polls nothing

    feed(server, "flaky", 0, status=503)
    assert main(ingest) == 0  # failing again: backing off again
    feed(server, "flaky", 4)
    assert main([*ingest, "--all"]) == 0  # every source, the one backing off too
    assert server.hits("/flaky/feed.xml") == 4 and server.hits("/steady/feed.xml") == 4
    assert server.hits("/off/feed.xml") == 0
    assert stored(db_path) == {"Steady": 2, "Flaky Wire": 4}
    assert main([*ingest, "--all", "--source", "Steady"]) == 2  # one or the other
