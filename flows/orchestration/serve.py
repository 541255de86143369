"""`newswatch serve`: the scheduled deployments, on a real Prefect server (SPEC 9).

Schedules never fire on the temporary server a bare flow call starts, so with no `PREFECT_API_URL`
we start `prefect server start` ourselves (data under the storage directory, analytics off), serve
against it, and stop it, with its whole process group, however serving ends. Beyond loopback it
needs a password (`access`). Prefect is imported only once the API address and auth string are in
the environment, because its settings are read at import.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from flows.config import Config
from flows.orchestration.access import CLIENT_AUTH_ENV, SERVER_AUTH_ENV, Access, access_for

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
INGEST_DEPLOYMENT = "ingest/scheduled"
DIGEST_DEPLOYMENT = "digest/daily"
STARTUP_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 20.0


class ServeError(Exception):
    """The local Prefect server could not be started, or serving failed to set up."""


Say = Callable[[str], None]


def _connect_host(host: str) -> str:
    """Where clients reach a server bound to `host` (a wildcard bind is reached on loopback)."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if `serve` dies without cleaning up (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class LocalServer:
    """`prefect server start` as a child process in its own session, logged to `home/server.log`."""

    home: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    auth: str | None = field(default=None, repr=False)
    process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://{_url_host(_connect_host(self.host))}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    def environment(self) -> dict[str, str]:
        dropped = ("PREFECT_API_URL", "PREFECT_API_KEY", CLIENT_AUTH_ENV, SERVER_AUTH_ENV)
        env = {k: v for k, v in os.environ.items() if k not in dropped}
        if self.auth:
            env[SERVER_AUTH_ENV] = env[CLIENT_AUTH_ENV] = self.auth
        env["PREFECT_HOME"] = str(self.home)
        env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        env.setdefault("PREFECT_UI_API_URL", self.api_url)
        return env

    def start(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
        if port_in_use(self.host, self.port):
            raise ServeError(
                f"port {self.port} on {self.host} is already in use: choose another with --port "
                f"(env NEWSWATCH_PREFECT_PORT), or, if a Prefect server runs there, use it with "
                f"PREFECT_API_URL={self.api_url}"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "prefect", "server", "start"]
        command += ["--host", self.host, "--port", str(self.port), "--analytics-off"]
        with self.log_path.open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.environment(),
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            )
        try:
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    def wait_healthy(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                status = self.process.poll()
                if status is not None:
                    raise ServeError(
                        f"the Prefect server exited with status {status} while starting; "
                        f"its log ({self.log_path}) ends:\n{self.log_tail()}"
                    )
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise ServeError(
                        f"the Prefect server did not become healthy within {timeout:.0f} s; "
                        f"its log ({self.log_path}) ends:\n{self.log_tail()}"
                    )
                time.sleep(0.5)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """SIGTERM to the server's process group, SIGKILL after `timeout`; returns its exit status."""
        proc = self.process
        if proc is None:
            return None
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        # whatever the leader left behind in its group goes too
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        status = proc.wait()
        self.process = None
        return status

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _accepted(flow: Any, params: dict[str, str]) -> dict[str, str]:
    names = inspect.signature(flow.fn).parameters
    return {k: v for k, v in params.items() if k in names}


def build_deployments(config: Config, sources_path: Path, db_path: Path) -> list[Any]:
    """`ingest/scheduled` every `ingest_interval_minutes`, `digest/daily` on `digest_cron`.

    Each scheduled run executes in its own process, so parameters are absolute paths and the flows
    are found by module path (not by a file path relative to where `serve` was started). A
    concurrency limit of one per deployment queues a run while the previous one still works; the
    storage lock keeps an ingest and a digest from writing at once.
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron, Interval
    from prefect.types.entrypoint import EntrypointType

    from flows.orchestration import prefect_flows as nw_flows

    settings = config.settings
    params = {"sources_path": str(sources_path.resolve()), "db_path": str(db_path.resolve())}

    def one_at_a_time() -> ConcurrencyLimitConfig:
        return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)

    deployments = [
        nw_flows.ingest_flow.to_deployment(
            name=INGEST_DEPLOYMENT.split("/")[1],
            schedules=[
                Interval(timedelta(minutes=settings.ingest_interval_minutes), timezone=settings.timezone)
            ],
            parameters=_accepted(nw_flows.ingest_flow, params),
            concurrency_limit=one_at_a_time(),
            entrypoint_type=EntrypointType.MODULE_PATH,
            description="One ingest cycle over the enabled sources of sources.yaml.",
            tags=["newswatch"],
        )
    ]
    digest_flow = getattr(nw_flows, "digest_flow", None)
    if digest_flow is not None:
        deployments.append(
            digest_flow.to_deployment(
                name=DIGEST_DEPLOYMENT.split("/")[1],
                schedules=[Cron(settings.digest_cron, timezone=settings.timezone)],
                parameters=_accepted(digest_flow, params),
                concurrency_limit=one_at_a_time(),
                entrypoint_type=EntrypointType.MODULE_PATH,
                description="Today's digest: written to storage/digests and sent when SMTP is set.",
                tags=["newswatch"],
            )
        )
    return deployments


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM before Prefect's runner takes over (it installs its own) must still clean up."""

    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(deployments: list[Any], api_url: str, auth: str | None, workdir: Path, say: Say) -> None:
    os.environ["PREFECT_API_URL"] = api_url
    # Runs start in the runner's directory and Prefect puts that directory first on sys.path:
    # an empty one, so that no `storage/` data directory shadows the `storage` package.
    workdir.mkdir(parents=True, exist_ok=True)
    from prefect.runner import Runner
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    _answer_health_before_first_poll()
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        updates: dict[Any, Any] = {PREFECT_API_URL: api_url}
        if auth:
            updates[PREFECT_API_AUTH_STRING] = auth
        with temporary_settings(updates):
            runner = Runner(name="newswatch", pause_on_shutdown=True)
            for d in deployments:
                runner.add_deployment(d)
                say(f"serving {d.flow_name}/{d.name}: {_describe_schedule(d)}")
            asyncio.run(_run_until_signalled(runner, say))
    finally:
        os.chdir(previous)


def _answer_health_before_first_poll() -> None:
    """The runner's `/health` (the container's health check) answers 503 until the first poll.

    Prefect 3.8.8 starts the runner's web server before the runner has polled once, and its handler
    subtracts a missing poll time: every probe in that window logs a traceback and gets a 500.
    """
    import prefect.runner.server as runner_server
    from fastapi import status
    from fastapi.responses import JSONResponse

    upstream = runner_server.perform_health_check
    if getattr(upstream, "newswatch_guarded", False):
        return

    def perform_health_check(runner: Any, delay_threshold: int | None = None) -> Callable[[], JSONResponse]:
        check = upstream(runner, delay_threshold)

        def _health_check() -> JSONResponse:
            if runner.last_polled is None:
                return JSONResponse(
                    status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                    content={"message": "Runner has not polled for scheduled runs yet"},
                )
            return check()

        return _health_check

    perform_health_check.newswatch_guarded = True  # type: ignore[attr-defined]
    runner_server.perform_health_check = perform_health_check


async def _run_until_signalled(runner: Any, say: Say) -> None:
    """Run the Prefect runner; SIGTERM or Ctrl-C stop it the graceful way (runs in flight cancelled).

    The runner installs a SIGTERM handler of its own as it starts, one that exits without stopping
    anything; ours replaces it. A second signal interrupts at once.
    """
    loop = asyncio.get_running_loop()
    running = asyncio.ensure_future(runner.start())
    await asyncio.sleep(0)

    def stop(name: str) -> None:
        say(f"{name}: stopping; runs in progress are cancelled")
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        signal.signal(signal.SIGTERM, _raise_interrupt)
        if runner.started:
            asyncio.ensure_future(runner.astop())
        else:
            running.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop, sig.name)
    with suppress(asyncio.CancelledError):
        await running


def _describe_schedule(deployment: Any) -> str:
    parts = []
    for s in deployment.schedules or []:
        sched = s.schedule
        if getattr(sched, "interval", None) is not None:
            parts.append(f"every {sched.interval}")
        elif getattr(sched, "cron", None):
            parts.append(f"cron {sched.cron!r} in {sched.timezone}")
    return ", ".join(parts) or "by hand only"


def serve(
    config: Config,
    sources_path: Path,
    db_path: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    say: Say = print,
    access: Access | None = None,
) -> int:
    """Serve until SIGTERM or Ctrl-C; a local server (if we started one) is stopped on the way out.

    `access` is what `access_for` decided (the CLI checks it before it starts the web console);
    without it the same checks run here, before anything listens (AccessError).
    """
    access = access if access is not None else access_for(host)
    prefect_home = Path(os.environ.get("PREFECT_HOME") or db_path.resolve().parent / "prefect").resolve()
    sources_path, db_path = sources_path.resolve(), db_path.resolve()
    with _sigterm_as_interrupt():
        try:
            if access.api_url:
                say(f"using the Prefect server at {access.api_url}")
                deployments = build_deployments(config, sources_path, db_path)
                _serve(deployments, access.api_url, access.auth, prefect_home / "runs", say)
                return 0
            server = LocalServer(prefect_home, host, port, auth=access.auth)
            guarded = f" (password required: the user:password in {CLIENT_AUTH_ENV})" if access.auth else ""
            say(f"starting a local Prefect server on {host}:{port} (data in {server.home}){guarded}")
            with server, _client_environment(server.api_url, access.auth):
                pid = server.process.pid if server.process else "?"
                say(f"Prefect server (pid {pid}) is up: UI {server.ui_url}, API {server.api_url}")
                with_auth = f" (with {CLIENT_AUTH_ENV} set)" if access.auth else ""
                say(
                    f"by hand: PREFECT_API_URL={server.api_url} prefect deployment run "
                    f"{INGEST_DEPLOYMENT}{with_auth}"
                )
                deployments = build_deployments(config, sources_path, db_path)
                try:
                    _serve(deployments, server.api_url, access.auth, server.home / "runs", say)
                finally:
                    say("stopping the Prefect server")
            say("stopped")
        except KeyboardInterrupt:
            say("interrupted: stopped")
    return 0


@contextmanager
def _client_environment(api_url: str, auth: str | None) -> Iterator[None]:
    """Our own clients (and the flow runs the runner starts, which inherit the environment) talk
    to the server we started, with its auth string; the environment is as before afterwards."""
    names = ("PREFECT_API_URL", CLIENT_AUTH_ENV)
    previous = {name: os.environ.get(name) for name in names}
    os.environ["PREFECT_API_URL"] = api_url
    if auth:
        os.environ[CLIENT_AUTH_ENV] = auth
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
