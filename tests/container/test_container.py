"""The image, built from the repository's own files and run with podman (`make container-test`).

`newswatch run` in the container against a feed server on the host (host network), with the
database and digests on a mounted volume; then the default command, `newswatch serve`, with its
Prefect server on every address behind PREFECT_API_AUTH_STRING (and refusing to start without it),
until its health check passes and it stops cleanly. Needs root, podman and the base image that
`tests/container/setup.sh` makes; skipped in the ordinary test run.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.pipeline.test_ingest import SUMMIT, build_site, write_sources
from tests.support import ROOT
from tests.support.servers import NewsServer, free_port

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("RUN_CONTAINER_TEST"),
        reason="builds and runs the image: `make container-test`",
    ),
    pytest.mark.timeout(2400),
]

IMAGE = os.environ.get("CONTAINER_TEST_IMAGE", "localhost/newswatch:test")
BASE = os.environ.get("CONTAINER_TEST_BASE", "localhost/newswatch-base:bookworm")
AUTH = ("newswatch", "container-test-passphrase")  # PREFECT_API_AUTH_STRING, user:password
PODMAN_ENV = {
    **os.environ,
    "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(Path(__file__).with_name("containers.conf"))),
}


def podman(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, env=PODMAN_ENV)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


@pytest.fixture(scope="module")
def image() -> str:
    """Build (layers cached by podman) from the repository itself, as CI and users do."""
    started = time.monotonic()
    podman(
        "build",
        "--format",
        "docker",
        "--network",
        "host",
        "--build-arg",
        f"BASE={BASE}",
        "-t",
        IMAGE,
        str(ROOT),
        timeout=1800,
    )
    print(f"image built in {time.monotonic() - started:.0f} s")
    return IMAGE


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    path = tmp_path / "storage"
    path.mkdir()
    path.chmod(0o777)  # the container runs as its own non-root user
    return path


@pytest.fixture
def container_name() -> Iterator[str]:
    name = f"newswatch-test-{os.getpid()}-{time.monotonic_ns()}"
    yield name
    podman("rm", "--force", "--time", "5", name, check=False, timeout=60)


def test_image_metadata(image: str) -> None:
    inspected = json.loads(podman("image", "inspect", image).stdout)[0]
    config = inspected["Config"]
    assert config["User"] == "newswatch"
    assert config["Cmd"] == ["newswatch", "serve"]
    assert "/srv/newswatch/storage" in config["Volumes"]
    assert "/health" in " ".join(inspected["Healthcheck"]["Test"])
    env = dict(e.split("=", 1) for e in config["Env"])
    assert env["NEWSWATCH_PREFECT_HOST"] == "0.0.0.0" and env["PREFECT_RUNNER_SERVER_HOST"] == "127.0.0.1"
    assert not any("AUTH_STRING" in name or "PASSWORD" in name for name in env)  # none baked in
    uid = podman("run", "--rm", "--network", "host", image, "id", "-u").stdout.strip()
    assert uid != "0"


def test_newswatch_run_in_the_container(
    image: str, server: NewsServer, tmp_path: Path, storage: Path
) -> None:
    build_site(server)
    sources = write_sources(tmp_path / "sources.yaml", server)
    sources.chmod(0o644)
    proc = podman(
        "run", "--rm", "--network", "host", "--init",
        "-v", f"{storage}:/srv/newswatch/storage",
        "-v", f"{sources}:/srv/newswatch/config/sources.yaml:ro",
        "-e", "NEWSWATCH_SOURCES=/srv/newswatch/config/sources.yaml",
        image, "newswatch", "run",
        timeout=600,
    )  # fmt: skip
    assert "Outlet A" in proc.stdout and "Outlet B" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    assert server.hits("/a/feed.xml") == 1 and server.hits("/a/summit") == 1

    con = duckdb.connect(str(storage / "newswatch.duckdb"), read_only=True)
    try:
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE is_seed), count(*) FILTER (WHERE NOT is_seed) FROM articles"
        ).fetchone()
        summit = con.execute(
            "SELECT source, language FROM articles WHERE title = ?", [SUMMIT.title]
        ).fetchall()
    finally:
        con.close()
    assert counts == (5, 4)
    assert summit == [("Outlet A", "en")]

    htmls = sorted((storage / "digests").glob("*.html"))
    assert len(htmls) == 1, sorted(p.name for p in (storage / "digests").iterdir())
    day = htmls[0].stem
    for ext in ("txt", "md"):
        assert (storage / "digests" / f"{day}.{ext}").is_file()
    assert SUMMIT.title in htmls[0].read_text(encoding="utf-8")


def test_default_command_refuses_to_serve_without_the_auth_string(image: str, storage: Path) -> None:
    proc = podman(
        "run", "--rm", "--network", "host", "--init",
        "-v", f"{storage}:/srv/newswatch/storage",
        "-e", f"NEWSWATCH_PREFECT_PORT={free_port()}",
        image,
        timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (
        "newswatch: refusing to serve the Prefect server and UI on 0.0.0.0, which is not a loopback"
        " address, without a password: set PREFECT_API_AUTH_STRING (user:password, HTTP basic auth),"
        " or bind to 127.0.0.1"
    ) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (storage / "prefect" / "server.log").exists()  # no server was started


def test_default_command_serves_until_healthy_and_stops_cleanly(
    image: str, server: NewsServer, tmp_path: Path, storage: Path, container_name: str
) -> None:
    build_site(server)
    sources = write_sources(tmp_path / "sources.yaml", server)
    sources.chmod(0o644)
    ui_port, runner_port = free_port(), free_port()
    podman(
        "run", "--detach", "--name", container_name, "--network", "host", "--init",
        "-v", f"{storage}:/srv/newswatch/storage",
        "-v", f"{sources}:/srv/newswatch/config/sources.yaml:ro",
        "-e", "NEWSWATCH_SOURCES=/srv/newswatch/config/sources.yaml",
        "-e", f"PREFECT_API_AUTH_STRING={':'.join(AUTH)}",
        "-e", f"NEWSWATCH_PREFECT_PORT={ui_port}",
        "-e", f"PREFECT_RUNNER_SERVER_PORT={runner_port}",
        image,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    healthy = False
    while time.monotonic() < deadline and not healthy:
        state = json.loads(podman("inspect", container_name).stdout)[0]["State"]
        assert state["Running"], podman("logs", container_name).stderr
        # probe the runner's /health often, as a health check may, from before its first poll
        for _ in range(6):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{runner_port}/health", timeout=5)
            time.sleep(0.5)
        healthy = podman("healthcheck", "run", container_name, check=False).returncode == 0
    logs = podman("logs", container_name)
    assert healthy, logs.stdout + logs.stderr
    api = f"http://127.0.0.1:{ui_port}/api"
    # the image's server listens on every address, so only with the password
    assert httpx.post(f"{api}/deployments/filter", json={}, timeout=10).status_code == 401
    deployments = httpx.post(f"{api}/deployments/filter", json={}, auth=AUTH, timeout=10).json()
    assert {d["name"] for d in deployments} == {"scheduled", "daily"}
    # as the README says: `prefect` inside the container has the string from the container's environment
    listed = podman(
        "exec", "-e", f"PREFECT_API_URL={api}", "-e", "COLUMNS=200", container_name,
        "prefect", "deployment", "ls",
        timeout=120,
    )  # fmt: skip
    assert "ingest/scheduled" in listed.stdout and "digest/daily" in listed.stdout, listed.stdout

    started = time.monotonic()
    podman("stop", "--time", "60", container_name, timeout=120)  # SIGTERM, then SIGKILL after 60 s
    stopped_in = time.monotonic() - started
    state = json.loads(podman("inspect", container_name).stdout)[0]["State"]
    logs = podman("logs", container_name)
    assert state["ExitCode"] == 0 and stopped_in < 50, f"{state}\n{logs.stderr[-3000:]}"
    assert "stopping the Prefect server" in logs.stderr
    assert "Traceback" not in logs.stderr
    assert "password required" in logs.stderr and AUTH[1] not in logs.stdout + logs.stderr
    # the local Prefect server kept its data on the volume
    assert (storage / "prefect" / "prefect.db").is_file()
    assert AUTH[1] not in (storage / "prefect" / "server.log").read_text(encoding="utf-8")
