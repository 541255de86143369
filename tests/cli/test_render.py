"""`flows/cli/render.py`: the ingest summary, SQL tables, search hits and the sources' health table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from flows.cli.render import (
    _highlighted,
    print_ingest_summary,
    print_search_results,
    print_source_health,
    print_sql_table,
)
from flows.config import parse_config
from flows.pipeline.ingest import IngestSummary
from flows.pipeline.polling import SourceReport


def console() -> Console:
    return Console(record=True, width=200, color_system=None)


def rows(text: str) -> dict[str, list[str]]:
    """The body rows of the table in `text`, by their first cell."""
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]
    return {row[0]: row for row in cells}


def test_ingest_summary_has_a_row_a_source_and_the_notes() -> None:
    out = console()
    summary = IngestSummary(
        run_id=7,
        reports=[
            SourceReport(
                "beta", new=2, duplicate=1, moved_to="https://beta.example/rss", skipped=3, same_link=1
            ),
            SourceReport("Alpha", status="error", failed=1, error="HTTP 503"),
        ],
        elapsed_seconds=1.5,
        waited_seconds=4.0,
        replayed=5,
        note="[b]a note, not markup",
    )
    print_ingest_summary(out, summary)
    text = out.export_text()
    assert "ingest run 7: 1.5 s" in text
    table = rows(text)
    assert list(table) == ["Alpha", "beta", "total"]  # sorted by name, case aside
    assert table["Alpha"] == ["Alpha", "error", "0", "0", "1", "HTTP 503"]
    assert table["beta"] == [
        "beta",
        "ok",
        "2",
        "1",
        "0",
        "moved permanently to https://beta.example/rss; 3 links skipped; 1 links stored under another source",
    ]
    assert "copies" in text.splitlines()[2] and "duplicate" not in text  # a stored copy is no drop
    assert "new stories" in text.splitlines()[2]  # what "new" counts, unlike the digest's articles
    assert table["total"] == ["total", "", "2", "1", "1", ""]
    assert "waited 4.0 s for another process to free the database" in text
    assert "stored 5 articles that an earlier run had kept in the spool" in text
    assert "[b]a note, not markup" in text


def test_an_offline_ingest_says_so_once_and_lists_only_what_differs() -> None:
    unresolved = [
        SourceReport(f"Outlet {n}", status="error", error="[Errno -2] Name or service not known")
        for n in range(44)
    ]
    waiting = SourceReport("Backing off", status="backing_off", error="HTTP 503")
    out = console()
    print_ingest_summary(
        out, IngestSummary(run_id=3, reports=[*unresolved, waiting], elapsed_seconds=2.0, waited_seconds=0)
    )
    text = out.export_text()
    assert text.count("Name or service not known") == 0 and "Outlet" not in text
    assert text.count("44 sources unreachable (no network?)") == 1
    assert list(rows(text)) == ["Backing off", "total"]
    # one source that does not resolve, beside others that answered, is a row like any error
    out = console()
    answered = SourceReport("Alpha", new=1)
    print_ingest_summary(
        out,
        IngestSummary(run_id=4, reports=[*unresolved[:2], answered], elapsed_seconds=1.0, waited_seconds=0),
    )
    text = out.export_text()
    assert "unreachable" not in text and list(rows(text)) == ["Alpha", "Outlet 0", "Outlet 1", "total"]


def test_sql_table_shows_null_and_says_when_rows_were_left_out() -> None:
    out = console()
    print_sql_table(out, ["n", "word"], [(1, None), (2, "[red]two"), (3, "three")], max_rows=2)
    text = out.export_text()
    assert "NULL" in text and "[red]two" in text and "three" not in text
    assert "(3 rows, first 2 shown)" in text
    out = console()
    print_sql_table(out, ["n"], [(1,)], max_rows=2)
    assert "shown" not in out.export_text()


def test_highlights_are_styled_spans() -> None:
    text = _highlighted("Rogun dam on the Vakhsh", [(0, 5), (17, 23)], "bold")
    assert text.style == "bold"
    assert [(s.start, s.end, str(s.style)) for s in text.spans] == [
        (0, 5, "bold black on yellow"),
        (17, 23, "bold black on yellow"),
    ]


def test_search_results_rank_date_copies_and_url() -> None:
    record: dict[str, Any] = {
        "published_at": None,
        "first_seen_at": "2026-11-21T09:30:00+00:00",
        "title": "Rogun dam",
        "title_highlights": [(0, 5)],
        "copies": 3,
        "snippet": "the Rogun dam on the Vakhsh",
        "snippet_highlights": [(4, 9)],
        "url": "https://a.example/rogun",
        "source": "[Asia]",
        "language": None,
    }
    out = console()
    print_search_results(out, [record, {**record, "title": None, "copies": 1}])
    text = out.export_text()
    assert "2026-11-21" in text and "[Asia]" in text and "?" in text
    assert "(+2 more copies)" in text and "(no title)" in text
    assert "https://a.example/rogun" in text


def test_source_health_states() -> None:
    config = parse_config(
        "sources:\n"
        "  - name: Fresh\n    url: https://fresh.example/feed\n"
        "  - name: Failing\n    url: https://failing.example/feed\n"
        "  - name: Moved\n    url: https://moved.example/feed\n    enabled: false\n"
    )
    since = datetime(2026, 11, 20, 6, 15, tzinfo=UTC)
    health = {
        "Failing": {
            "consecutive_failures": 3,
            "failing_since": since,
            "last_error": "HTTP 500",
            "articles_total": 9,
        },
        "Moved": {
            "last_polled_at": since,
            "last_success_at": since,
            "moved_to": "https://new.example/feed",
            "articles_total": 4,
        },
    }
    out = console()
    print_source_health(out, config, health, ZoneInfo("Asia/Tashkent"))
    text = out.export_text()
    assert "times in Asia/Tashkent" in text
    # one zone for every time, its offset shown (before: "06:15 UTC" here, "06:15" with no zone there)
    assert rows(text) == {
        "Fresh": ["Fresh", "yes", "never polled", "-", "0", "0 (0)", ""],
        "Failing": ["Failing", "yes", "failing since 2026-11-20 11:15 +05", "-", "3", "9 (0)", "HTTP 500"],
        "Moved": [
            "Moved",
            "no",
            "ok (moved to https://new.example/feed)",
            "2026-11-20 11:15 +05",
            "0",
            "4 (0)",
            "",
        ],
    }
