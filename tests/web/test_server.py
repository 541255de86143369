"""Serving the console safely: loopback by default, a password for anything else, never in the
way of an ingest (and working while one runs), and `newswatch web` end to end."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from flows.cli import main
from flows.config import load_config
from flows.web.app import create_app, host_name
from flows.web.server import WebBindError, WebServer, check_bind, is_loopback
from storage import Store
from tests.support import ROOT
from tests.support.servers import NewsServer, free_port
from tests.web.conftest import Newsroom


@pytest.fixture
def serving(newsroom: Newsroom) -> Iterator[Callable[..., WebServer]]:
    servers: list[WebServer] = []

    def start(store: Store | None = None, **options: object) -> WebServer:
        app = create_app(load_config(newsroom.sources), store or newsroom.store, **options)  # type: ignore[arg-type]
        server = WebServer(app, "127.0.0.1", free_port())
        server.start()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


def test_binds_are_checked_before_any_socket_is_opened() -> None:
    for host in ("127.0.0.1", "127.0.0.5", "::1", "localhost"):
        assert is_loopback(host)
        check_bind(host, 8080, None)
    for host in ("0.0.0.0", "::", "192.0.2.10", "console.example"):
        assert not is_loopback(host)
        with pytest.raises(WebBindError, match="set NEWSWATCH_WEB_PASSWORD"):
            check_bind(host, 8080, None)
        check_bind(host, 8080, "a password")  # allowed, not bound here
    with pytest.raises(WebBindError, match="between 1 and 65535"):
        check_bind("127.0.0.1", 70000, None)
    assert host_name("127.0.0.1:8080") == "127.0.0.1" and host_name("[::1]:8080") == "[::1]"
    assert host_name("Localhost") == "localhost"


def test_newswatch_web_refuses_a_public_address_without_a_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSWATCH_WEB_PASSWORD", raising=False)
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    common = ["--db", str(tmp_path / "x.duckdb"), "--sources", str(sources)]
    assert main(["web", "--host", "0.0.0.0", "--port", "8080", *common]) == 2
    err = capsys.readouterr().err
    assert "refusing to serve the web console on 0.0.0.0" in err and "NEWSWATCH_WEB_PASSWORD" in err
    # serve checks the console's bind before it starts anything (no Prefect server, no schedules)
    assert main(["serve", "--web-host", "0.0.0.0", *common]) == 2
    assert "refusing to serve the web console on 0.0.0.0" in capsys.readouterr().err
    assert not (tmp_path / "prefect").exists()


def test_newswatch_web_refuses_a_db_with_no_database_there(tmp_path: Path) -> None:
    """A mistyped --db is refused at start (exit 2), as the other commands that read one do,
    instead of a console that answers "Busy" on every page."""
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    typo = tmp_path / "nw.duckbd"
    argv = ["web", "--port", str(free_port()), "--db", str(typo), "--sources", str(sources)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"newswatch web started on a --db with no database: {out}")
    assert proc.returncode == 2, err
    assert f"--db {typo}: no database there" in err
    assert not typo.exists()


def test_a_password_is_asked_for_when_set(serving: Callable[..., WebServer], newsroom: Newsroom) -> None:
    server = serving(password="s3cret-é", loopback_only=False)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        r = client.get("/")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic realm=")
        assert client.get("/", auth=("analyst", "wrong")).status_code == 401
        assert client.get("/sources", headers={"Authorization": "Basic !!!"}).status_code == 401
        ok = client.get("/sources", auth=("analyst", "s3cret-é"))
        assert ok.status_code == 200 and "Broken Feed" in ok.text
        # with a password, any Host name is fine (a proxy or a DNS name in front of it)
        assert client.get("/", auth=("a", "s3cret-é"), headers={"Host": "console.example"}).status_code == 200


def test_a_loopback_console_answers_only_to_loopback_names(serving: Callable[..., WebServer]) -> None:
    server = serving()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/", headers={"Host": "rebind.example:8080"}).status_code == 421
        assert client.get("/", headers={"Host": f"localhost:{server.port}"}).status_code == 200


HOLD = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])          # read-write: nobody else can open the file now
con.execute("CREATE TABLE IF NOT EXISTS held (x INTEGER)")
print("holding", flush=True)
sys.stdin.readline()
con.close()
print("released", flush=True)
"""


def test_a_page_waits_for_a_writer_and_says_when_it_is_busy(
    serving: Callable[..., WebServer],
    newsroom: Newsroom,
    tmp_path: Path,
) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(newsroom.db, db)
    server = serving(Store(db, lock_timeout=0.5))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "holding"
        with httpx.Client(base_url=server.url, timeout=30) as client:
            busy = client.get("/sources")
            assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
            assert "The database is busy" in busy.text and "gave up after" in busy.text
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "released"
            assert client.get("/sources").status_code == 200
    finally:
        holder.kill()
        holder.wait()


def test_pages_are_served_while_an_ingest_runs_and_never_block_it(
    serving: Callable[..., WebServer],
    newsroom: Newsroom,
    tmp_path: Path,
) -> None:
    """An ingest (its own process, holding the writer lock, writing in batches) stays parked on a
    gated article page while the console serves every page; then it finishes and its article shows."""
    db = tmp_path / "live.duckdb"
    shutil.copyfile(newsroom.db, db)
    feeds = NewsServer()
    gate = threading.Event()
    asked = threading.Event()

    def before_page() -> None:
        asked.set()
        gate.wait(60)

    try:
        feeds.add_story_feed(
            "late", 2, lambda i: f"Late news {i} from Astana on Kazakhstan grain", before_page
        )
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"settings:\n  timeout_seconds: 60\nsources:\n  - name: Late Wire\n    url: {feeds.url('/late/feed.xml')}\n",
            encoding="utf-8",
        )
        server = serving(Store(db, lock_timeout=20))
        ingest = subprocess.Popen(
            [str(ROOT / ".venv/bin/newswatch"), "ingest", "--db", str(db), "--sources", str(sources)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "160"},
        )
        try:
            assert asked.wait(120), "the ingest never asked for an article page"
            assert Path(f"{db}.lock").exists()
            with httpx.Client(base_url=server.url, timeout=30) as client:
                for _ in range(3):
                    for path in ("/", "/search?q=water", "/sources", "/coverage", "/digests"):
                        r = client.get(path)
                        assert r.status_code == 200, (path, r.text[-500:])
                assert ingest.poll() is None  # still running: the pages were served during it
                gate.set()
                out, _ = ingest.communicate(timeout=120)
                assert ingest.returncode == 0, out
                assert "Late Wire" in out
                today = client.get("/sources")
                assert today.status_code == 200 and "Late Wire" in today.text
                found = client.get("/search", params={"q": "Late news grain"})
                assert "Late news" in found.text
        finally:
            gate.set()
            if ingest.poll() is None:
                ingest.kill()
                ingest.wait()
    finally:
        feeds.close()


def test_newswatch_web_serves_until_sigterm(newsroom: Newsroom) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/newswatch"),
            "web",
            "--port",
            str(port),
            "--db",
            str(newsroom.db),
            "--sources",
            str(newsroom.sources),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"newswatch web console on http://127.0.0.1:{port}/" in line, (
            proc.stderr.read() if proc.stderr else ""
        )
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            r = client.get("/coverage")  # the line is printed once it listens
            assert r.status_code == 200 and "<svg " in r.text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_no_database_or_a_foreign_one_is_a_page_that_says_so(
    serving: Callable[..., WebServer], tmp_path: Path
) -> None:
    import duckdb

    missing = serving(Store(tmp_path / "nothing.duckdb", lock_timeout=0.5))
    foreign_db = tmp_path / "foreign.duckdb"
    duckdb.connect(str(foreign_db)).close()  # a DuckDB file, but not newswatch's
    foreign = serving(Store(foreign_db, lock_timeout=0.5))
    with httpx.Client(timeout=30) as client:
        r = client.get(missing.url)
        assert r.status_code == 503 and "no database here yet" in r.text
        r = client.get(foreign.url + "sources")
        assert r.status_code == 500 and "The database could not answer this page" in r.text
        assert "Traceback" not in r.text
