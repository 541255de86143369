"""`newswatch serve`: deployments, the local Prefect server, and scheduled ingests end to end."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import httpx
import pytest

from flows.cli import main
from flows.config import parse_config
from flows.orchestration.serve import (
    DIGEST_DEPLOYMENT,
    INGEST_DEPLOYMENT,
    LocalServer,
    ServeError,
    build_deployments,
)
from tests.support.pages import TEMPLATES, Article, rss
from tests.support.servers import NewsServer, free_port

PREFECT = str(Path(sys.executable).with_name("prefect"))
CREDENTIALS = ("newswatch", "tr0ub4dor-and-3")
AUTH = ":".join(CREDENTIALS)  # user:password, as PREFECT_API_AUTH_STRING

WORDS = [
    "Astana",
    "Tashkent",
    "Bishkek",
    "Dushanbe",
    "Ashgabat",
    "water",
    "energy",
    "railway",
    "corridor",
    "customs",
    "border",
    "talks",
    "minister",
    "parliament",
    "election",
    "budget",
    "cotton",
    "wheat",
    "gas",
    "pipeline",
    "power",
    "grid",
    "drought",
    "harvest",
    "loan",
    "bank",
    "tariff",
    "visa",
    "migrants",
    "remittances",
    "summit",
    "treaty",
    "reservoir",
    "dam",
    "glacier",
    "mining",
    "gold",
    "copper",
    "uranium",
    "oil",
    "refinery",
    "port",
]


def distinct_story(n: int) -> Article:
    """A story whose text shares no long phrase with the others, so none is a near-duplicate."""
    rng = random.Random(n)
    paragraphs = [
        " ".join(rng.sample(WORDS, 24)).capitalize() + f", said official number {n * 10 + i}."
        for i in range(5)
    ]
    return Article(
        slug=f"story-{n}", title=f"Story {n}: " + " ".join(rng.sample(WORDS, 6)), paragraphs=paragraphs
    )


# --- deployments ---------------------------------------------------------------------------------


def test_deployments_carry_schedules_limits_and_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = parse_config(
        "settings:\n  ingest_interval_minutes: 15\n  digest_cron: '30 6 * * 1-5'\n  timezone: Asia/Tashkent\n"
        "sources: []\n"
    )
    deployments = {
        f"{d.flow_name}/{d.name}": d for d in build_deployments(config, Path("s.yaml"), Path("x/n.duckdb"))
    }
    assert set(deployments) == {INGEST_DEPLOYMENT, DIGEST_DEPLOYMENT}

    ingest = deployments[INGEST_DEPLOYMENT]
    (schedule,) = [s.schedule for s in ingest.schedules]
    assert schedule.interval == timedelta(minutes=15)
    assert ingest.parameters == {
        "sources_path": str(tmp_path / "s.yaml"),
        "db_path": str(tmp_path / "x/n.duckdb"),
    }
    # each run is a fresh process wherever it starts: found by module, not by a relative file path
    assert ingest.entrypoint == "flows.orchestration.prefect_flows.ingest_flow"

    digest = deployments[DIGEST_DEPLOYMENT]
    (cron,) = [s.schedule for s in digest.schedules]
    assert (cron.cron, cron.timezone) == ("30 6 * * 1-5", "Asia/Tashkent")
    assert digest.parameters["db_path"] == str(tmp_path / "x/n.duckdb")
    assert all(Path(v).is_absolute() for v in digest.parameters.values())

    for d in (ingest, digest):
        assert d.concurrency_limit == 1
        assert str(d.concurrency_options.collision_strategy.value) == "ENQUEUE"


def test_local_server_refuses_a_busy_port_and_says_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = LocalServer(tmp_path / "prefect", "127.0.0.1", port)
        with pytest.raises(ServeError, match=f"port {port} .*--port.*PREFECT_API_URL"):
            server.start(timeout=5)
        assert server.process is None


def test_serve_command_rejects_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "forty"]) == 2
    assert "--port" in capsys.readouterr().err


def test_serve_command_reports_a_busy_port_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(
            ["serve", "--db", str(tmp_path / "n.duckdb"), "--sources", str(sources), "--port", str(port)]
        )
    err = capsys.readouterr().err
    assert code == 1
    assert f"port {port}" in err and "Traceback" not in err


def test_serve_on_every_address_without_a_password_exits_2_before_listening(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    port, web_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL" and "AUTH_STRING" not in k}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    command = ["serve", "--db", str(tmp_path / "n.duckdb"), "--sources", str(sources)]
    command += ["--host", "0.0.0.0", "--port", str(port), "--web-port", str(web_port)]
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("newswatch")), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    reached = []
    while True:  # knock on both ports for as long as it runs: nothing may answer
        for p in (port, web_port):
            try:
                socket.create_connection(("127.0.0.1", p), timeout=0.2).close()
                reached.append(p)
            except OSError:
                pass
        try:
            proc.wait(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            continue
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2, out + err
    assert err == (
        "newswatch: refusing to serve the Prefect server and UI on 0.0.0.0, which is not a loopback"
        " address, without a password: set PREFECT_API_AUTH_STRING (user:password, HTTP basic auth),"
        " or bind to 127.0.0.1\n"
    )
    assert reached == []
    assert not (tmp_path / "prefect").exists() and not (tmp_path / "n.duckdb").exists()
    for p in (port, web_port):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", p), timeout=1).close()


# --- end to end ----------------------------------------------------------------------------------


def changing_site(server: NewsServer, stories: int = 12) -> str:
    """A feed that lists one more story on every poll, so every scheduled ingest finds something new."""
    for n in range(1, stories + 1):
        art = distinct_story(n)
        server.add(f"/a/{art.slug}", TEMPLATES[n % 3](art))

    def feed(handler: BaseHTTPRequestHandler) -> None:
        polls = min(server.hits("/a/feed.xml"), stories)
        items = [
            (distinct_story(n).title, server.url(f"/a/story-{n}"), distinct_story(n).paragraphs[0], None)
            for n in range(1, polls + 1)
        ]
        body = rss("Changing outlet", server.url("/a/"), items).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return server.add_handler("/a/feed.xml", feed)


def ingest_runs(db: Path) -> list[tuple[str, int, int]] | None:
    """(status, new, duplicate) of every ingest run, or None while a run holds the file."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return None
    try:
        return [
            (r[0], r[1] or 0, r[2] or 0)
            for r in con.execute(
                "SELECT status, articles_new, articles_duplicate FROM run WHERE kind = 'ingest' ORDER BY id"
            ).fetchall()
        ]
    except duckdb.Error:
        return None
    finally:
        con.close()


def leftover_servers(port: int) -> list[int]:
    """Processes still running `prefect server start ... --port PORT`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"server" in args and b"start" in args and str(port).encode() in args:
            found.append(int(proc.name))
    return found


def scheduled_runs(api_url: str) -> list[dict[str, object]]:
    response = httpx.post(f"{api_url}/flow_runs/filter", json={"limit": 200}, auth=CREDENTIALS, timeout=10)
    response.raise_for_status()
    return [r for r in response.json() if r.get("auto_scheduled")]


@pytest.mark.slow
@pytest.mark.timeout(480)
@pytest.mark.skipif(sys.platform != "linux", reason="checks processes through /proc")
def test_serve_fires_scheduled_ingests_and_stops_cleanly(server: NewsServer, tmp_path: Path) -> None:
    """On every address, as the container does, so behind the password: the API answers 401
    without it, the schedule still fires, and Prefect's own commands work with it."""
    feed_url = changing_site(server)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"settings:\n  ingest_interval_minutes: 1\n  timeout_seconds: 5\n  max_retries: 0\n"
        f"sources:\n  - name: Changing outlet\n    url: {feed_url}\n    language: en\n",
        encoding="utf-8",
    )
    db = tmp_path / "storage" / "newswatch.duckdb"
    port, web_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_SERVER_API_AUTH_STRING")
    }
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_API_AUTH_STRING": AUTH,
    }
    exe = Path(sys.executable).with_name("newswatch")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(exe), "serve", "--db", str(db), "--sources", str(sources), "--host", "0.0.0.0"]
            + ["--port", str(port), "--web-port", str(web_port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + 360
        runs: list[tuple[str, int, int]] = []
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"serve exited early:\n{log_path.read_text()}"
            assert "crashed" not in log_path.read_text(), log_path.read_text()
            runs = ingest_runs(db) or runs
            if len([r for r in runs if r[0] == "ok" and r[1] > 0]) >= 2:
                break
            time.sleep(3)
        output = log_path.read_text()
        assert len([r for r in runs if r[0] == "ok" and r[1] > 0]) >= 2, f"runs: {runs}\n{output}"
        # the runs were the schedule's, not anyone's manual trigger
        completed = [r for r in scheduled_runs(api_url) if r["state_type"] == "COMPLETED"]
        assert len(completed) >= 2, json.dumps(completed, indent=1, default=str)
        assert server.hits("/a/feed.xml") >= 2
        assert_behind_the_password(api_url, tmp_path)
        server_pid = int(output.split("Prefect server (pid ")[1].split(")")[0])
        assert Path(f"/proc/{server_pid}").exists()
        # the web console beside the schedules shows what they stored
        assert f"web console on http://127.0.0.1:{web_port}/" in output
        sources_page = httpx.get(f"http://127.0.0.1:{web_port}/sources", timeout=30)
        assert sources_page.status_code == 200 and "Changing outlet" in sources_page.text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()

    output = log_path.read_text()
    assert code == 0, output
    assert "Traceback" not in output
    assert "stopping the Prefect server" in output
    assert f"starting a local Prefect server on 0.0.0.0:{port}" in output
    assert "(password required: the user:password in PREFECT_API_AUTH_STRING)" in output
    assert "prefect deployment run ingest/scheduled (with PREFECT_API_AUTH_STRING set)" in output
    # never written anywhere: not by serve, not in the server's log
    assert CREDENTIALS[1] not in output
    assert CREDENTIALS[1] not in (tmp_path / "prefect" / "server.log").read_text(encoding="utf-8")
    assert (
        not Path(f"/proc/{server_pid}").exists() or "zombie" in Path(f"/proc/{server_pid}/status").read_text()
    )
    assert leftover_servers(port) == []
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api_url}/health", timeout=2)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{web_port}/", timeout=2)
    # the schedule's articles are in the database, nothing is held open
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute("SELECT count(*) FROM articles WHERE source = 'Changing outlet'").fetchone()
    finally:
        con.close()
    assert stored is not None and stored[0] >= 2


def assert_behind_the_password(api_url: str, tmp_path: Path) -> None:
    """The API of the server serve started asks for PREFECT_API_AUTH_STRING; health and the UI's
    own pages answer everyone (the UI asks for the user:password itself)."""
    with httpx.Client(timeout=10) as client:
        for path in ("/deployments/filter", "/flow_runs/filter"):
            assert client.post(f"{api_url}{path}", json={}).status_code == 401
            assert client.post(f"{api_url}{path}", json={}, auth=("newswatch", "wrong")).status_code == 401
            assert client.post(f"{api_url}{path}", json={}, auth=CREDENTIALS).status_code == 200
        assert client.get(f"{api_url}/admin/version").status_code == 401
        assert client.get(f"{api_url}/health").status_code == 200
        ui = api_url.removesuffix("/api")
        assert client.get(f"{ui}/ui-settings").json()["auth"] == "BASIC"
    client_env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    client_env |= {
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(tmp_path / "client-prefect"),
        "COLUMNS": "240",
    }
    refused = subprocess.run(
        [PREFECT, "deployment", "ls"], env=client_env, capture_output=True, text=True, timeout=90
    )
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "401 Unauthorized" in said and "ingest" not in said, said
    listed = subprocess.run(
        [PREFECT, "deployment", "ls"],
        env=client_env | {"PREFECT_API_AUTH_STRING": AUTH},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "ingest/scheduled" in listed.stdout and "digest/daily" in listed.stdout, listed.stdout


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_serve_uses_the_server_in_prefect_api_url_and_runs_by_hand(
    server: NewsServer, tmp_path: Path
) -> None:
    feed_url = changing_site(server)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"settings:\n  timeout_seconds: 5\nsources:\n  - name: Changing outlet\n    url: {feed_url}\n",
        encoding="utf-8",
    )
    db = tmp_path / "storage" / "newswatch.duckdb"
    newswatch = str(Path(sys.executable).with_name("newswatch"))
    external = LocalServer(tmp_path / "external-prefect", "127.0.0.1", free_port(), auth=AUTH)
    external.start()
    try:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_HOME" and "AUTH_STRING" not in k}
        env |= {
            "PREFECT_API_URL": external.api_url,
            "PREFECT_HOME": str(tmp_path / "client-prefect"),
            "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        }
        # that server asks for a password: without the right one serve says which variable to set
        for wrong, said in (
            ({}, "asks for a password (401): set PREFECT_API_AUTH_STRING"),
            (
                {"PREFECT_API_AUTH_STRING": "newswatch:wrong"},
                "refuses the user:password in PREFECT_API_AUTH_STRING",
            ),
        ):
            done = subprocess.run(
                [newswatch, "serve", "--db", str(db), "--sources", str(sources), "--no-web"],
                env=env | wrong,
                capture_output=True,
                text=True,
                timeout=90,
                cwd=tmp_path,
            )
            assert done.returncode == 2, done.stdout + done.stderr
            assert f"newswatch: the Prefect server at {external.api_url} {said}" in done.stderr
            assert "Traceback" not in done.stderr and "wrong" not in done.stderr
        assert not db.exists()
        env["PREFECT_API_AUTH_STRING"] = AUTH
        log_path = tmp_path / "serve.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [newswatch, "serve", "--db", str(db), "--sources", str(sources)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=tmp_path,
            )
        try:
            deadline = time.monotonic() + 120
            while "serving digest/daily" not in log_path.read_text() and time.monotonic() < deadline:
                assert proc.poll() is None, log_path.read_text()
                time.sleep(1)
            trigger = subprocess.run(
                [PREFECT, "deployment", "run", INGEST_DEPLOYMENT],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert trigger.returncode == 0, trigger.stdout + trigger.stderr
            runs: list[tuple[str, int, int]] = []
            while time.monotonic() < deadline + 60 and not any(r[0] == "ok" for r in runs):
                assert "crashed" not in log_path.read_text(), log_path.read_text()
                runs = ingest_runs(db) or runs
                time.sleep(2)
            assert [r[:2] for r in runs] == [("ok", 1)], log_path.read_text()
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(90)
        output = log_path.read_text()
        assert code == 0 and "Traceback" not in output, output
        assert f"using the Prefect server at {external.api_url}" in output
        assert "starting a local Prefect server" not in output
        # that server is not ours to stop; our deployments pause so nothing piles up while we are away
        assert httpx.get(f"{external.api_url}/health", timeout=10).status_code == 200
        deployments = httpx.post(
            f"{external.api_url}/deployments/filter", json={}, auth=CREDENTIALS, timeout=10
        ).json()
        assert {d["name"]: d["paused"] for d in deployments} == {"scheduled": True, "daily": True}
    finally:
        assert external.stop() is not None


def test_runner_health_answers_503_not_a_traceback_before_the_first_poll(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The container's health probe can come before the runner's first poll (CI, 2026-12-01)."""
    from types import SimpleNamespace

    import prefect.runner.server as runner_server

    from flows.orchestration.serve import _answer_health_before_first_poll

    monkeypatch.setattr(runner_server, "perform_health_check", runner_server.perform_health_check)
    _answer_health_before_first_poll()
    _answer_health_before_first_poll()  # a second serve in one process does not wrap it twice
    runner = SimpleNamespace(last_polled=None)
    check = runner_server.perform_health_check(runner, 30)  # type: ignore[arg-type]
    assert check().status_code == 503
    from prefect.types._datetime import now

    runner.last_polled = now("UTC")
    assert check().status_code == 200
    runner.last_polled = now("UTC") - timedelta(seconds=60)
    assert check().status_code == 503
