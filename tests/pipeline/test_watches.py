"""Watches end to end: two ingests from a loopback news server, a real SMTP server and
a webhook receiver on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flows.config import load_config
from flows.pipeline.ingest import ingest
from flows.pipeline.watches import WatchSummary, deliver
from flows.stages.delivery.digest.deliver import digest_for
from flows.stages.delivery.targets import webhook_target
from storage import Store
from tests.support.pages import TEMPLATES, Article, rss
from tests.support.servers import NewsServer
from tests.support.smtp import SmtpServer, start_smtp
from tests.support.webhook import WebhookServer

VISIT = Article(
    slug="visit",
    title="Tokayev opens new railway to China",
    paragraphs=[
        "President Kassym-Jomart Tokayev opened a railway line from Kazakhstan to the Chinese border on "
        "Monday, saying it would double the transit cargo that crosses the country each year.",
        "The line runs through the Almaty region and was built in three years by the national railway "
        "company with loans from development banks, officials in Astana said.",
        "Kazakhstan hopes to become the main land bridge between China and Europe, and the government "
        "has promised more lines and dry ports along the route over the next decade.",
    ],
)
NEW_ONE = Article(
    slug="decree",
    title="Тоқаев signs decree on water reform",
    paragraphs=[
        "Kazakhstan's president signed a decree on Tuesday that creates a national water agency and "
        "raises the tariffs farmers pay for irrigation in the south of the country.",
        "President Тоқаев said the reform was overdue because canals lose a third of their water before "
        "it reaches the fields, and promised that small farms would be compensated.",
        "The agency will start work in January in Astana and will publish river flow data every day, "
        "the presidential administration said in a statement.",
    ],
)
SCHOOL = Article(
    slug="school",
    title="Mirziyoyev opens a school in Samarkand",
    paragraphs=[
        "Uzbekistan's President Shavkat Mirziyoyev opened a new school in Samarkand on Monday, part of a "
        "programme to build five hundred schools across Uzbekistan by the end of the decade.",
        "The president said the school would teach in Uzbek, Russian and English, and that teachers' "
        "salaries in Uzbekistan would rise by a fifth next year.",
        "Officials in Tashkent said the programme is financed from the state budget and by loans from "
        "the Asian Development Bank.",
    ],
)


@pytest.fixture
def news() -> Iterator[NewsServer]:
    server = NewsServer()
    yield server
    server.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.stop()


@pytest.fixture
def hook() -> Iterator[WebhookServer]:
    server = WebhookServer()
    yield server
    server.close()


def publish(news: NewsServer, outlet: str, articles: list[Article]) -> None:
    items = []
    for i, art in enumerate(articles):
        url = news.add(f"/{outlet}/{art.slug}", TEMPLATES[i % 3](art))
        items.append((art.title, url, art.paragraphs[0], art.published))
    news.add(
        f"/{outlet}/feed.xml", rss(outlet, news.url(f"/{outlet}/"), items), content_type="application/rss+xml"
    )


def write_sources(path: Path, news: NewsServer, hook: WebhookServer, extra: str = "") -> Path:
    path.write_text(
        f"""settings:
  allow_private_networks: true
  timeout_seconds: 5
  max_retries: 0
  digest:
    subscriptions:
      - name: kz-desk
        recipients: [kz@desk.example]
        countries: [KZ]
        watches: [decrees]
      - name: uz-desk
        recipients: [uz@desk.example]
        countries: [UZ]
sources:
  - {{name: Outlet A, url: "{news.url("/a/feed.xml")}", language: en}}
  - {{name: Outlet B, url: "{news.url("/b/feed.xml")}", language: en}}
  - {{name: Outlet C, url: "{news.url("/c/feed.xml")}", language: en}}
watches:
  - name: tokayev
    query: Tokayev
    notify: [alerts@desk.example, "{hook.url("/hook")}"]
    mode: immediate
  - name: decrees
    query: decree
    countries: [KZ]
    notify: [kz@desk.example]
    mode: digest
{extra}""",
        encoding="utf-8",
    )
    return path


def run(sources: Path, db: Path) -> None:
    asyncio.run(ingest(load_config(sources), Store(db), workers=1))


@pytest.fixture
def env(smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_SMTP_HOST", smtp.host)
    monkeypatch.setenv("NEWSWATCH_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("NEWSWATCH_SMTP_FROM", "newswatch@desk.example")
    monkeypatch.delenv("NEWSWATCH_SMTP_TO", raising=False)


def test_two_ingests_announce_each_story_once(
    news: NewsServer, smtp: SmtpServer, hook: WebhookServer, env: None, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    sources = write_sources(tmp_path / "sources.yaml", news, hook)
    publish(news, "a", [VISIT, SCHOOL])
    publish(news, "b", [])
    publish(news, "c", [])
    run(sources, db)
    assert len(smtp.messages) == 1
    first = smtp.messages[0]
    assert "tokayev" in str(first["Subject"]) and "1 new story" in str(first["Subject"])
    assert first.get_body(("plain",)).get_content().count("Tokayev opens new railway") == 1  # type: ignore[union-attr]
    assert [len(p.body["stories"]) for p in hook.posts] == [1]

    # the second ingest: two more copies of the railway story, and one new story spelt Тоқаев
    publish(news, "a", [VISIT, SCHOOL, NEW_ONE])
    publish(news, "b", [VISIT])
    publish(news, "c", [VISIT])
    run(sources, db)
    assert len(smtp.messages) == 2
    second = smtp.messages[1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Тоқаев signs decree" in second and "railway" not in second
    assert len(hook.posts) == 2
    assert [s["title"] for s in hook.posts[1].body["stories"]] == ["Тоқаев signs decree on water reform"]
    assert hook.posts[0].headers["idempotency-key"] != hook.posts[1].headers["idempotency-key"]
    assert {m["To"] for m in smtp.messages} == {"alerts@desk.example"}

    store = Store(db)
    _, hits = store.query(
        "SELECT watch, title, sent_at IS NOT NULL FROM watch_hits ORDER BY watch, first_matched_at"
    )
    assert [tuple(h) for h in hits] == [
        ("decrees", "Тоқаев signs decree on water reform", False),
        ("tokayev", "Tokayev opens new railway to China", True),
        ("tokayev", "Тоқаев signs decree on water reform", True),
    ]
    # nothing more to send: a third run sends nothing
    run(sources, db)
    assert len(smtp.messages) == 2 and len(hook.posts) == 2

    # two subscriptions: each its own digest, with only its countries, sent once
    outcome = digest_for(load_config(sources), store, out_dir=tmp_path / "digests")
    assert outcome.send == "not_configured"  # no plain recipients: the plain digest is files only
    assert [(s.name, s.send) for s in outcome.subscriptions] == [("kz-desk", "sent"), ("uz-desk", "sent")]
    digests = {str(m["To"]): m.get_body(("plain",)).get_content() for m in smtp.messages[2:]}  # type: ignore[union-attr]
    assert set(digests) == {"kz@desk.example", "uz@desk.example"}
    kz, uz = digests["kz@desk.example"], digests["uz@desk.example"]
    assert "Tokayev opens new railway" in kz and "Тоқаев signs decree" in kz and "Mirziyoyev" not in kz
    assert "Watch decrees (decree): 1 new story" in kz and "Watch decrees" not in uz
    assert "Mirziyoyev opens a school" in uz and "Tokayev" not in uz and "Тоқаев" not in uz
    assert "Also reported by: Outlet B, Outlet C" in kz  # the copies of the second run
    assert (tmp_path / "digests" / "kz-desk").is_dir() and (tmp_path / "digests" / "uz-desk").is_dir()
    again = digest_for(load_config(sources), store, out_dir=tmp_path / "digests")
    assert [s.send for s in again.subscriptions] == ["already_sent", "already_sent"]
    assert len(smtp.messages) == 4


def test_a_failed_webhook_is_retried_by_the_next_run_and_sent_once(
    news: NewsServer, smtp: SmtpServer, env: None, tmp_path: Path
) -> None:
    hook = WebhookServer(statuses=[500])
    try:
        db = tmp_path / "f.duckdb"
        sources = write_sources(tmp_path / "sources.yaml", news, hook)
        publish(news, "a", [VISIT])
        publish(news, "b", [])
        publish(news, "c", [])
        run(sources, db)
        assert hook.posts == []
        _, rows = Store(db).query("SELECT channel, status, attempts, error FROM watch_delivery ORDER BY id")
        assert [tuple(r[:3]) for r in rows] == [("mail", "sent", 1), ("webhook", "failed", 1)]
        assert "HTTP 500" in rows[1][3]
        run(sources, db)
        assert len(hook.posts) == 1 and hook.posts[0].body["stories"][0]["title"] == VISIT.title
        run(sources, db)
        assert len(hook.posts) == 1 and len(smtp.messages) == 1
        _, rows = Store(db).query("SELECT status, attempts FROM watch_delivery WHERE channel = 'webhook'")
        assert [tuple(r) for r in rows] == [("sent", 2)]
        assert json.loads(
            Store(db).query("SELECT payload FROM watch_delivery WHERE channel = 'webhook'")[1][0][0]
        )
    finally:
        hook.close()


def test_cli_watch_list_and_test(
    news: NewsServer,
    hook: WebhookServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.cli import main

    monkeypatch.delenv("NEWSWATCH_SMTP_HOST", raising=False)

    db = tmp_path / "c.duckdb"
    sources = write_sources(tmp_path / "sources.yaml", news, hook)
    publish(news, "a", [VISIT, SCHOOL, NEW_ONE])
    publish(news, "b", [])
    publish(news, "c", [])
    assert main(["watch", "list", "--sources", str(sources)]) == 0
    out = capsys.readouterr().out
    assert "tokayev: 'Tokayev' (immediate)" in out and "decrees: 'decree' (digest); countries KZ" in out
    assert f"notify: alerts@desk.example, http://127.0.0.1:{hook.port}/…" in out and "/hook" not in out
    Store(db).migrate()
    run(sources, db)  # no SMTP: the mail waits in watch_delivery, the webhook gets its POST
    capsys.readouterr()
    assert main(["watch", "test", "tokayev", "--db", str(db), "--sources", str(sources)]) == 0
    out = capsys.readouterr().out
    assert "would match 2 stories (nothing sent)" in out and "Тоқаев signs decree" in out
    assert (
        main(
            ["watch", "test", "tokayev", "--since", "2999-01-01", "--db", str(db), "--sources", str(sources)]
        )
        == 0
    )
    assert "would match 0 stories since 2999-01-01" in capsys.readouterr().out
    assert main(["watch", "test", "nope", "--db", str(db), "--sources", str(sources)]) == 2
    assert "no watch named 'nope'" in capsys.readouterr().err
    assert len(hook.posts) == 1
    _, rows = Store(db).query("SELECT channel, status, error FROM watch_delivery ORDER BY id")
    assert [tuple(r[:2]) for r in rows] == [("mail", "failed"), ("webhook", "sent")]
    assert "SMTP is not configured" in rows[0][2]
    assert main(["search", "Tokayev", "--db", str(db), "--json"]) == 0
    found = {r["title"] for r in json.loads(capsys.readouterr().out)}
    assert found == {VISIT.title, NEW_ONE.title}


SECRET = "s3cret"  # in each webhook's path and query: never printed, logged or stored


def limited_sources(path: Path, news: NewsServer, hook: WebhookServer, watches: list[str]) -> Path:
    hooks = {
        "tokayev": ("Tokayev", hook.url(f"/a/{SECRET}-path?token=q-{SECRET}")),
        "school": ("Mirziyoyev", hook.url(f"/b/{SECRET}-path?token=q-{SECRET}")),
    }
    listed = "".join(
        f'  - {{name: {name}, query: {hooks[name][0]}, notify: ["{hooks[name][1]}"]}}\n' for name in watches
    )
    path.write_text(
        "settings:\n  allow_private_networks: true\n  timeout_seconds: 5\n  max_retries: 0\n"
        "  watch_delivery: {max_attempts: 2}\n"
        f'sources:\n  - {{name: Outlet A, url: "{news.url("/a/feed.xml")}", language: en}}\n'
        f"watches:\n{listed}",
        encoding="utf-8",
    )
    return path


def test_failing_webhooks_are_given_up_and_their_secrets_never_shown(
    news: NewsServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A dead webhook is tried settings.watch_delivery.max_attempts times, one whose watch left
    sources.yaml not again; messages, logs and the database show only its origin."""
    from flows.cli import main

    caplog.set_level(logging.INFO)
    hook = WebhookServer(statuses=[500] * 20)
    try:
        db = tmp_path / "h.duckdb"
        sources = limited_sources(tmp_path / "sources.yaml", news, hook, ["tokayev", "school"])
        publish(news, "a", [VISIT, SCHOOL])
        argv = ["ingest", "--db", str(db), "--sources", str(sources)]
        assert main(argv) == 0  # both announcements fail: tried again next run
        assert sorted(p.split("/")[1] for p in hook.received) == ["a", "b"]
        limited_sources(sources, news, hook, ["tokayev"])  # the school watch is taken out
        assert main(argv) == 0  # tokayev's second and last attempt; school's not sent
        assert main(argv) == 0  # nothing left to send
        assert sorted(p.split("/")[1] for p in hook.received) == ["a", "a", "b"]

        _, rows = Store(db).query(
            "SELECT watch, status, attempts, error, target FROM watch_delivery ORDER BY watch"
        )
        assert [tuple(r[:3]) for r in rows] == [("school", "given_up", 1), ("tokayev", "given_up", 2)]
        assert "no longer sends" in rows[0][3] and "HTTP 500" in rows[1][3]
        assert rows[1][4].startswith(f"http://127.0.0.1:{hook.port}/… #")
        stored = (
            Store(db).query("SELECT * FROM watch_delivery")[1] + Store(db).query("SELECT * FROM fetch_log")[1]
        )
        shown = capsys.readouterr()
        said = shown.out + shown.err + caplog.text
        assert "given up after 2 attempts" in said and "no longer sends" in said
        assert SECRET not in said and SECRET not in repr(stored)
    finally:
        hook.close()


def test_an_announcement_past_its_age_is_given_up_unsent(news: NewsServer, tmp_path: Path) -> None:
    hook = WebhookServer()
    try:
        db = tmp_path / "old.duckdb"
        config = load_config(limited_sources(tmp_path / "sources.yaml", news, hook, ["tokayev"]))
        store = Store(db)
        store.migrate()
        url = config.watches[0].webhooks[0]
        row = {"watch": "tokayev", "run_id": None, "stories": 1, "subject": "s", "payload": "{}"}
        # as an older version stored it: the whole URL; found again, sent, and then kept hidden
        store.record_watch_hits(
            "tokayev", [(1, 1)], None, lambda new: [{**row, "channel": "webhook", "target": url}]
        )
        summary = WatchSummary()
        asyncio.run(deliver(config, store, summary))  # young enough: sent
        assert len(hook.posts) == 1 and summary.sent == 1
        assert store.query("SELECT target FROM watch_delivery")[1] == [(webhook_target(url),)]
        announce = lambda new: [{**row, "channel": "webhook", "target": webhook_target(url)}]  # noqa: E731
        store.record_watch_hits("tokayev", [(2, 2)], None, announce)
        with duckdb.connect(str(db)) as con:
            con.execute(
                "UPDATE watch_delivery SET created_at = now() - INTERVAL 3 DAY WHERE status = 'pending'"
            )
        summary = WatchSummary()
        asyncio.run(deliver(config, store, summary))
        assert len(hook.received) == 1 and summary.sent == 0
        assert "older than 48 h" in summary.given_up[0]
        _, rows = store.query("SELECT status FROM watch_delivery ORDER BY id")
        assert [r[0] for r in rows] == ["sent", "given_up"]
    finally:
        hook.close()
