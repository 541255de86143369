"""`flows/cli/commands/ingest.py`: seed, ingest, digest and run as an analyst calls them; and
`ingest --source NAME` and `--all`, which poll a source backing off after failures now."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from flows.cli import main
from storage import Store
from tests.support import ROOT
from tests.support.pages import TEMPLATES, rss, story
from tests.support.servers import NewsServer


def test_run_from_another_directory_warns_of_the_missing_seeds_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no seeds/ here
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("NEWSWATCH_SMTP_HOST", raising=False)
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    db = tmp_path / "nw.duckdb"
    assert main(["run", "--db", str(db), "--sources", str(sources), "--no-prefect"]) == 0
    captured = capsys.readouterr()
    assert f"no seed directory at {elsewhere / 'seeds'}" in captured.err
    assert "digest " in captured.out  # the ingest and the digest ran
    assert db.is_file()


def test_seed_takes_seeds_and_the_old_dir_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    common = ["--db", str(tmp_path / "nw.duckdb"), "--sources", str(sources)]
    assert main(["seed", *common, "--seeds", str(ROOT / "seeds")]) == 0
    assert "5 loaded" in capsys.readouterr().out
    assert main(["seed", *common, "--dir", str(ROOT / "seeds")]) == 0  # the old name, still taken
    assert "0 loaded, 5 already stored" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)
    assert main(["seed", *common]) == 2  # asked for seeds: a missing directory is an error
    assert f"--seeds {tmp_path / 'seeds'}: no seed directory there" in capsys.readouterr().err
    assert main(["seed", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "--seeds" in help_text and "--dir" not in help_text


def test_digest_of_a_future_day_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    sources = tmp_path / "sources.yaml"
    sources.write_text("settings:\n  timezone: Pacific/Kiritimati\nsources: []\n", encoding="utf-8")
    common = ["--db", str(tmp_path / "nw.duckdb"), "--sources", str(sources), "--no-prefect", "--no-send"]
    assert main(["seed", *common[:4], "--seeds", str(ROOT / "seeds")]) == 0
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()  # UTC+14: ahead of every other zone
    out = tmp_path / "digests"
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert main(["digest", *common, "--date", tomorrow, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--date {tomorrow} is in the future" in err and f"today is {today.isoformat()}" in err
    assert not out.exists()
    assert main(["digest", *common, "--date", today.isoformat(), "--out", str(out)]) == 0  # today is fine


def test_a_prefect_api_that_does_not_answer_says_what_to_unset(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.support.servers import free_port

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there: a stopped server
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PREFECT_API_URL": url,
        "PREFECT_HOME": str(tmp_path / "prefect"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "ingest",
            "--db",
            str(tmp_path / "nw.duckdb"),
            "--sources",
            str(sources),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert f"the Prefect API at {url}" in done.stderr and "does not answer" in done.stderr
    assert "unset PREFECT_API_URL" in done.stderr and "--no-prefect" in done.stderr
    assert "RuntimeError" not in done.stderr


# --- ingest --source and --all ---


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


def test_run_digests_the_day_it_began_even_when_the_ingest_crosses_midnight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI once ran `newswatch run` at 23:59 in Almaty: the digest came out for the new, empty day."""
    from datetime import UTC, date, datetime

    import flows.cli.commands.ingest as commands

    class LateEvening(datetime):
        @classmethod
        def now(cls, tz: object = None) -> LateEvening:  # type: ignore[override]
            return cls(2026, 12, 7, 18, 59, 59, tzinfo=UTC).astimezone(tz)  # type: ignore[arg-type]

    asked: list[date | None] = []

    def digest(args: argparse.Namespace, console: object) -> int:
        asked.append(args.date)
        return 0

    monkeypatch.setattr(commands, "datetime", LateEvening)
    monkeypatch.setattr(commands, "cmd_seed", lambda args, console: 0)
    monkeypatch.setattr(commands, "cmd_ingest", lambda args, console: 0)
    monkeypatch.setattr(commands, "cmd_digest", digest)
    sources = tmp_path / "sources.yaml"
    sources.write_text("settings:\n  timezone: Asia/Almaty\nsources: []\n", encoding="utf-8")
    assert main(["run", "--db", str(tmp_path / "nw.duckdb"), "--sources", str(sources), "--no-prefect"]) == 0
    assert asked == [date(2026, 12, 7)]  # 23:59:59 +05, though the digest itself starts after midnight
