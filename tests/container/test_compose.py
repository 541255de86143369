"""compose.yaml, read rather than run: its images come from a container registry this machine
cannot reach. What can drift from the code is checked here: the settings it passes, the
service names they point at, and the paths the image uses."""

from __future__ import annotations

import re
from typing import Any

import yaml

from flows.config import smtp_from_env
from tests.support import ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]


def _read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "flows").glob("*.py"):
        names |= set(re.findall(r"NEWSWATCH_[A-Z_]+", path.read_text(encoding="utf-8")))
    return names


def test_every_newswatch_setting_in_compose_is_one_the_code_reads() -> None:
    env: dict[str, str] = SERVICES["newswatch"]["environment"]
    passed = {k for k in env if k.startswith("NEWSWATCH_")}
    assert passed and passed <= _read_by_the_code()


def test_the_mail_settings_reach_the_mail_service() -> None:
    env = {k: str(v) for k, v in SERVICES["newswatch"]["environment"].items()}
    smtp = smtp_from_env([], env)
    assert smtp is not None and smtp.host in SERVICES and smtp.port == 1025 and smtp.recipients


def test_serve_talks_to_the_prefect_service_and_that_to_postgres() -> None:
    api = SERVICES["newswatch"]["environment"]["PREFECT_API_URL"]
    assert re.fullmatch(r"http://prefect:(\d+)/api", api)
    port = api.split(":")[2].split("/")[0]
    assert f"{port}:{port}" in SERVICES["prefect"]["ports"]
    assert "--port" in SERVICES["prefect"]["command"] and port in SERVICES["prefect"]["command"]
    url = SERVICES["prefect"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    pg = SERVICES["postgres"]["environment"]
    assert url == (
        f"postgresql+asyncpg://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}"
    )
    assert SERVICES["newswatch"]["depends_on"]["prefect"]["condition"] == "service_healthy"


def test_the_volumes_are_where_the_image_keeps_its_data() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    mounts = dict(v.split(":", 1) for v in SERVICES["newswatch"]["volumes"])
    assert mounts["newswatch-data"] == "/srv/newswatch/storage"
    assert "NEWSWATCH_DB=/srv/newswatch/storage/" in dockerfile
    assert 'VOLUME ["/srv/newswatch/storage"]' in dockerfile
    config = SERVICES["newswatch"]["environment"]["NEWSWATCH_SOURCES"]
    assert mounts["./sources.yaml"] == f"{config}:ro" and (ROOT / "sources.yaml").exists()
    assert SERVICES["newswatch"]["command"] == ["newswatch", "serve"]


def test_the_web_console_is_published_only_with_a_password() -> None:
    env = {k: str(v) for k, v in SERVICES["newswatch"]["environment"].items()}
    port = env["NEWSWATCH_WEB_PORT"]
    assert env["NEWSWATCH_WEB_HOST"] == "0.0.0.0" and f"{port}:{port}" in SERVICES["newswatch"]["ports"]
    # compose refuses to start without it (and `serve` would refuse the bind anyway)
    assert env["NEWSWATCH_WEB_PASSWORD"].startswith("${NEWSWATCH_WEB_PASSWORD:?")
    assert f"EXPOSE {port}" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
