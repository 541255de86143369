"""The environment tests (and benchmarks that drive test servers) run in: Prefect's home in tmp
and its telemetry off, no local Prefect API, no NEWSWATCH_ settings, and none of the machine's
proxy or CA settings (the tests that need them set their own)."""

from __future__ import annotations

import os
import tempfile

PROXY_AND_CA_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ssl_cert_file", "ssl_cert_dir"}


def isolate() -> None:
    """Set that environment up in `os.environ`; call it before Prefect or flows are imported."""
    os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="newswatch-prefect-"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.pop("PREFECT_API_URL", None)
    for var in [v for v in os.environ if v.startswith("NEWSWATCH_")]:
        os.environ.pop(var)
    # the machine's proxy and CA settings are not the tests': those that need them set their own
    for var in [v for v in os.environ if v.lower() in PROXY_AND_CA_VARS]:
        os.environ.pop(var)
