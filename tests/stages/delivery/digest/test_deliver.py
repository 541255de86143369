"""Delivering the digest (flows/stages/delivery/digest/deliver.py): files, one mail a day, retries, the Prefect flow."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.cli import main
from flows.config import SmtpSettings
from flows.stages.delivery.digest.build import today
from flows.stages.delivery.digest.deliver import make_digest
from storage import PollOutcome, Store
from tests.stages.delivery.digest.conftest import ALMATY, DAY, NOON, config, make_store, record
from tests.support import ROOT
from tests.support.pages import TEMPLATES, Article, rss
from tests.support.servers import NewsServer, free_port
from tests.support.smtp import HOST, Credentials, SmtpServer, make_tls, start_smtp

SECRET = "pw-Пароль-42"


def test_empty_day_says_so_and_lists_failing_sources(db_path: Path, tmp_path: Path) -> None:
    cfg = config(
        sources="[{name: Down, url: 'https://down.example/feed'}, {name: Up, url: 'https://up.example/f'}]"
    )
    store = Store(db_path)
    store.migrate()
    store.sync_sources([*cfg.sources, *config(sources="[{name: Gone, url: 'https://g.example/f'}]").sources])
    store.record_polls(
        None,
        [
            PollOutcome(name="Down", ok=False, error="connection refused"),
            PollOutcome(name="Gone", ok=False, error="404"),
            PollOutcome(name="Up", ok=True, status=200),
        ],
    )
    outcome = make_digest(
        cfg, store, DAY, out_dir=tmp_path / "out", now=datetime.now(UTC) + timedelta(days=3)
    )
    assert outcome.stories == 0 and outcome.send == "not_configured"
    assert outcome.subject == "newswatch digest 2026-11-21: no new stories"
    for path in (outcome.paths.html, outcome.paths.text, outcome.paths.markdown):
        content = path.read_text(encoding="utf-8")
        assert "No relevant articles were first seen on 2026-11-21" in content
        assert "Down: failing for 3 days" in content and "connection refused" in content
        assert "Gone" not in content and "Up:" not in content  # only configured sources that fail
    assert [p.name for p in sorted((tmp_path / "out").iterdir())] == [
        "2026-11-21.html",
        "2026-11-21.md",
        "2026-11-21.txt",
    ]
    rows = store.query("SELECT day, recipients, status, stories, attempts FROM digest")[1]
    assert rows == [(DAY, "", "written", 0, 0)]
    assert store.query("SELECT kind, status FROM run WHERE kind = 'digest'")[1] == [("digest", "ok")]


# --- sending: once a day, retried after a failure --------------------------------------------------


@pytest.fixture
def smtp_servers() -> Iterator[list[SmtpServer]]:
    started: list[SmtpServer] = []
    yield started
    for s in started:
        s.stop()


def smtp_env(monkeypatch: pytest.MonkeyPatch, port: int, **extra: str) -> None:
    monkeypatch.setenv("NEWSWATCH_SMTP_HOST", HOST)
    monkeypatch.setenv("NEWSWATCH_SMTP_PORT", str(port))
    monkeypatch.setenv("NEWSWATCH_SMTP_FROM", "newswatch@example.org")
    monkeypatch.setenv("NEWSWATCH_SMTP_TO", "analyst@example.org, desk@example.org")
    for key, value in extra.items():
        monkeypatch.setenv(f"NEWSWATCH_SMTP_{key.upper()}", value)


WATER = Article(
    slug="water",
    # escaped twice on the page, as some outlets do: the stored title holds a literal <b> tag
    title="Kazakhstan & Uzbekistan: &lt;b&gt;water&lt;/b&gt; deal signed in Astana",
    paragraphs=[
        "Kazakhstan and Uzbekistan signed an agreement on Friday to share water along the Syr Darya, officials "
        "in Astana said after two days of talks between the governments of Kazakhstan and Uzbekistan.",
        "The deal sets quotas for the growing season in Kazakhstan and Uzbekistan and creates a joint commission.",
        "Farmers in the south of Kazakhstan welcomed the accord with Uzbekistan, which covers Soviet-era canals.",
    ],
)
RUSSIAN = Article(
    slug="ru-summit",
    title="Токаев и Мирзиёев подписали соглашение в Ташкенте",
    paragraphs=[
        "Президент Казахстана Касым-Жомарт Токаев и президент Узбекистана Шавкат Мирзиёев подписали в Ташкенте "
        "соглашение о стратегическом партнёрстве.",
        "Стороны договорились увеличить товарооборот между Казахстаном и Узбекистаном до десяти миллиардов долларов.",
        "Следующая встреча пройдёт в Астане, сообщили в администрации президента Казахстана.",
    ],
    lang="ru",
)


def ingest_news(server: NewsServer, tmp_path: Path, db: Path) -> Path:
    items = []
    for i, art in enumerate([WATER, RUSSIAN]):
        url = server.add(f"/n/{art.slug}", TEMPLATES[i % 3](art))
        items.append((art.title, url, art.paragraphs[0], datetime.now(UTC) - timedelta(hours=1)))
    server.add("/n/feed.xml", rss("News", server.url("/n/"), items), content_type="application/rss+xml")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "settings:\n  timeout_seconds: 5\n  relevance_threshold: 0.2\nsources:\n"
        f"  - name: Regional News\n    url: {server.url('/n/feed.xml')}\n",
        encoding="utf-8",
    )
    assert main(["ingest", "--db", str(db), "--sources", str(sources)]) == 0
    return sources


HTML_TITLE = "Kazakhstan & Uzbekistan: <b>water</b> deal signed in Astana"


def stored_titles(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT title FROM articles WHERE NOT is_seed").fetchall()}
    finally:
        con.close()


def digest_rows(db: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT recipients, status, attempts, sent_at IS NOT NULL, error FROM digest WHERE recipients <> ''"
        ).fetchall()
    finally:
        con.close()


def test_digest_command_sends_once_records_failures_and_retries(
    server: NewsServer,
    tmp_path: Path,
    db_path: Path,
    smtp_servers: list[SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sources = ingest_news(server, tmp_path, db_path)
    out = tmp_path / "digests"
    args = ["digest", "--db", str(db_path), "--sources", str(sources), "--out", str(out)]
    capsys.readouterr()

    # the SMTP server is down: the files are written, the failure is recorded and reported, exit 1
    smtp_env(monkeypatch, free_port())
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "connection refused" in captured.err and "the next run retries it" in captured.err
    assert "Traceback" not in captured.err
    day = today(ALMATY).isoformat()
    assert sorted(p.name for p in out.iterdir()) == [f"{day}.html", f"{day}.md", f"{day}.txt"]
    assert digest_rows(db_path) == [
        ("analyst@example.org,desk@example.org", "failed", 1, False, digest_rows(db_path)[0][4])
    ]
    assert "connection refused" in str(digest_rows(db_path)[0][4])

    # the next run sends it: exactly one multipart/alternative message to both recipients
    smtp = start_smtp()
    smtp_servers.append(smtp)
    smtp_env(monkeypatch, smtp.port)
    assert main(args) == 0
    assert "sent to 2 recipients" in capsys.readouterr().out
    assert len(smtp.mailbox.received) == 1
    got = smtp.mailbox.received[0]
    assert sorted(got.rcpt_tos) == ["analyst@example.org", "desk@example.org"]
    msg = got.message
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    subject = str(msg["Subject"])
    assert subject.startswith(f"newswatch digest {day}: 2 stories | ")
    stored = stored_titles(db_path)
    assert HTML_TITLE in stored and RUSSIAN.title in stored
    assert subject.endswith(HTML_TITLE) or subject.endswith(RUSSIAN.title)
    html = msg.get_body(("html",)).get_content()
    assert "Kazakhstan &amp; Uzbekistan: &lt;b&gt;water&lt;/b&gt; deal signed in Astana" in html
    assert "<b>water</b>" not in html
    assert RUSSIAN.title in html and RUSSIAN.title in msg.get_body(("plain",)).get_content()
    assert html == (out / f"{day}.html").read_text(encoding="utf-8")
    assert digest_rows(db_path)[0][:4] == ("analyst@example.org,desk@example.org", "sent", 2, True)

    # running again sends nothing; --force sends again
    assert main(args) == 0
    assert "already sent" in capsys.readouterr().out
    assert len(smtp.mailbox.received) == 1
    assert main([*args, "--force"]) == 0
    assert len(smtp.mailbox.received) == 2
    # --no-send writes the files only
    assert main([*args, "--force", "--no-send"]) == 0
    assert len(smtp.mailbox.received) == 2
    # a resend that fails leaves the day sent, with the failed resend noted, and nothing to retry
    smtp_env(monkeypatch, free_port())
    assert main([*args, "--force"]) == 1
    capsys.readouterr()
    ((_, status, attempts, sent, error),) = digest_rows(db_path)
    assert (status, attempts, sent) == ("sent", 4, True)
    assert str(error).startswith("a resend failed: ") and "connection refused" in str(error)
    smtp_env(monkeypatch, smtp.port)
    assert main(args) == 0
    assert "already sent" in capsys.readouterr().out and len(smtp.mailbox.received) == 2


def test_a_failed_day_is_retried_by_the_next_days_digest(
    newsroom: Store, tmp_path: Path, smtp_servers: list[SmtpServer]
) -> None:
    cfg = config()
    smtp = SmtpSettings(
        host=HOST,
        port=free_port(),
        user=None,
        password=None,
        sender="n@example.org",
        recipients=("analyst@example.org",),
        security="none",
    )
    first = make_digest(cfg, newsroom, DAY, out_dir=tmp_path, smtp=smtp, now=NOON)
    assert first.send == "failed" and first.failed and "connection refused" in (first.error or "")
    server = start_smtp()
    smtp_servers.append(server)
    up = SmtpSettings(**{**smtp.__dict__, "port": server.port})
    second = make_digest(
        cfg, newsroom, DAY + timedelta(days=1), out_dir=tmp_path, smtp=up, now=NOON + timedelta(days=1)
    )
    assert second.send == "sent" and not second.failed
    assert len(second.retried) == 1 and second.retried[0].startswith("2026-11-21: retried and sent")
    subjects = sorted(str(m["Subject"]) for m in server.messages)
    assert subjects[0].startswith("newswatch digest 2026-11-21: 9 stories")
    assert subjects[1] == "newswatch digest 2026-11-22: no new stories"
    third = make_digest(cfg, newsroom, DAY + timedelta(days=1), out_dir=tmp_path, smtp=up)
    assert third.send == "already_sent" and third.retried == [] and len(server.messages) == 2


def test_a_digest_being_sent_by_another_run_is_not_sent_twice(
    newsroom: Store, tmp_path: Path, smtp_servers: list[SmtpServer]
) -> None:
    server = start_smtp()
    smtp_servers.append(server)
    smtp = SmtpSettings(
        host=HOST,
        port=server.port,
        user=None,
        password=None,
        sender="n@example.org",
        recipients=("analyst@example.org",),
        security="none",
    )
    assert make_digest(config(), newsroom, DAY, out_dir=tmp_path, smtp=smtp, send=False).send == "disabled"
    newsroom.save_digest(
        DAY, "analyst@example.org", stories=9, articles=10, subject="s", paths=["a", "b", "c"]
    )

    def set_claim(age: timedelta) -> None:
        con = duckdb.connect(str(newsroom.path))
        try:
            con.execute(
                "UPDATE digest SET status = 'sending', last_attempt_at = ? WHERE recipients <> ''",
                [datetime.now(UTC) - age],
            )
        finally:
            con.close()

    set_claim(timedelta(minutes=1))  # another run is sending right now
    busy = make_digest(config(), newsroom, DAY, out_dir=tmp_path, smtp=smtp)
    assert busy.send == "in_progress" and not busy.failed and server.messages == []
    set_claim(timedelta(hours=1))  # that run died mid-send: its claim is taken over
    assert make_digest(config(), newsroom, DAY, out_dir=tmp_path, smtp=smtp).send == "sent"
    assert len(server.messages) == 1


def test_starttls_login_through_the_command_keeps_the_password_out(
    tmp_path: Path,
    db_path: Path,
    smtp_servers: list[SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_store(
        db_path, [record("Лента", "ru", RUSSIAN.title, RUSSIAN.text, seen=datetime.now(UTC), language="ru")]
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    tls = make_tls(tmp_path)
    creds = Credentials("analyst", SECRET)
    smtp = start_smtp(tls_context=tls.server_context, credentials=creds)
    smtp_servers.append(smtp)
    smtp_env(monkeypatch, smtp.port, security="starttls", user="analyst", password=SECRET)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))  # the test CA stands in for the system store
    out = tmp_path / "out"
    assert (
        main(["-v", "digest", "--db", str(db_path), "--sources", str(sources), "--out", str(out), "--send"])
        == 0
    )
    assert len(smtp.mailbox.received) == 1 and smtp.mailbox.received[0].login == "analyst"
    # a wrong password: recorded, reported, and still never written anywhere
    smtp_env(monkeypatch, smtp.port, security="starttls", user="analyst", password=SECRET + "x")
    assert (
        main(["digest", "--db", str(db_path), "--sources", str(sources), "--out", str(out), "--force"]) == 1
    )
    captured = capsys.readouterr()
    assert "login refused" in captured.err
    for text in (
        captured.out,
        captured.err,
        caplog.text,
        *(p.read_text(encoding="utf-8") for p in out.iterdir()),
    ):
        assert SECRET not in text
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        for table in ("digest", "run", "source", "fetch_log"):
            dump = str(con.execute(f"SELECT * FROM {table}").fetchall())
            assert SECRET not in dump, table
    finally:
        con.close()


def test_send_without_smtp_is_a_usage_error(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "s.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    Store(db_path).migrate()  # a database there: the missing SMTP settings are what is refused
    assert main(["digest", "--db", str(db_path), "--sources", str(sources), "--send"]) == 2
    assert "NEWSWATCH_SMTP_HOST" in capsys.readouterr().err
    assert main(["digest", "--db", str(db_path), "--sources", str(sources), "--date", "2026-13-01"]) == 2


def test_run_with_unreachable_sources_writes_todays_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "settings:\n  timeout_seconds: 2\n  max_retries: 0\nsources:\n"
        f"  - name: Nowhere\n    url: http://{HOST}:{free_port()}/feed\n",
        encoding="utf-8",
    )
    db = tmp_path / "storage" / "newswatch.duckdb"
    assert main(["run", "--db", str(db), "--sources", str(sources), "--seeds", str(ROOT / "seeds")]) == 0
    day = today(ALMATY).isoformat()
    html = (tmp_path / "storage" / "digests" / f"{day}.html").read_text(encoding="utf-8")
    assert "Nowhere: failing for" in html
    assert f"digest {day}" in capsys.readouterr().out


# --- the Prefect flow ----------------------------------------------------------------------------


def test_digest_flow_publishes_a_markdown_artifact(newsroom: Store, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    from flows.orchestration.prefect_flows import digest_flow

    sources = tmp_path / "sources.yaml"
    sources.write_text("settings:\n  timezone: Asia/Almaty\nsources: []\n", encoding="utf-8")
    outcome = digest_flow(
        str(sources), str(newsroom.path), day=DAY.isoformat(), out_dir=str(tmp_path / "out")
    )
    assert outcome.stories == 9 and outcome.paths.markdown.exists()

    async def read() -> list[dict[str, Any]]:
        # the typed client sends null filters that this server version rejects; ask the API directly
        async with get_client() as client:
            response = await client._client.post(
                "/artifacts/filter",
                json={"artifacts": {"key": {"any_": ["daily-digest"]}}, "sort": "CREATED_DESC", "limit": 5},
            )
            return list(response.json())

    artifacts = asyncio.run(read())
    assert artifacts, "no daily-digest artifact"
    latest = artifacts[0]
    assert latest["type"] == "markdown"
    assert latest["data"] == outcome.paths.markdown.read_text(encoding="utf-8")
    assert "## Kazakhstan (3)" in latest["data"]
