# newswatch: by default `newswatch serve` (the scheduled ingest and digest, with a local Prefect
# server and its UI unless PREFECT_API_URL names one), the database and digests on a volume.
# That local server listens on every address of the container, so it needs a password: run with
# `-e PREFECT_API_AUTH_STRING=user:password` (HTTP basic auth for its API and UI); without it
# `serve` refuses to start (exit 2). The string is never baked into the image.
#
# BASE is any Debian-based image: the official Python image by default, or a bare Debian
# (bookworm has Python 3.11), in which case Debian's python3 is installed first. pip is upgraded
# in the venv because the one a new venv ships mishandles lxml[html_clean].
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/newswatch \
    PATH=/opt/newswatch/bin:$PATH

RUN set -eu; \
    if ! python3 -c 'import sys, ensurepip; assert sys.version_info >= (3, 11)' 2>/dev/null; then \
        apt-get update -q; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            python3 python3-venv ca-certificates; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    python3 -m venv /opt/newswatch; \
    /opt/newswatch/bin/pip install -q --upgrade "pip>=24"; \
    useradd --uid 10001 --user-group --create-home --home-dir /home/newswatch --shell /usr/sbin/nologin newswatch

# Dependencies first, pinned (pyproject.toml plus constraints.txt), so code changes rebuild fast.
COPY pyproject.toml constraints.txt /tmp/pins/
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/tmp/pins/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/pins/requirements.txt \
    && pip install -q -c /tmp/pins/constraints.txt -r /tmp/pins/requirements.txt \
    && rm -rf /tmp/pins

COPY . /tmp/src
RUN pip install -q --no-deps /tmp/src && rm -rf /tmp/src

WORKDIR /srv/newswatch
COPY --chown=newswatch:newswatch sources.yaml ./
COPY --chown=newswatch:newswatch seeds ./seeds
RUN install -d -o newswatch -g newswatch storage storage/prefect

ENV NEWSWATCH_DB=/srv/newswatch/storage/newswatch.duckdb \
    NEWSWATCH_SOURCES=/srv/newswatch/sources.yaml \
    PREFECT_HOME=/srv/newswatch/storage/prefect \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    NEWSWATCH_PREFECT_HOST=0.0.0.0 \
    NEWSWATCH_PREFECT_PORT=4200 \
    NEWSWATCH_WEB_PORT=8080 \
    PREFECT_RUNNER_SERVER_ENABLE=true \
    PREFECT_RUNNER_SERVER_HOST=127.0.0.1 \
    PREFECT_RUNNER_SERVER_PORT=4201

USER newswatch
VOLUME ["/srv/newswatch/storage"]
# the Prefect UI and API of the local server (unused when PREFECT_API_URL is set), behind
# PREFECT_API_AUTH_STRING
EXPOSE 4200
# the web console (newswatch web, run by serve): on loopback unless NEWSWATCH_WEB_HOST=0.0.0.0,
# which needs NEWSWATCH_WEB_PASSWORD
EXPOSE 8080
# Healthy while `serve` polls for scheduled work: the Prefect runner's own health endpoint (no
# password, so on loopback only: serve refuses a PREFECT_RUNNER_SERVER_HOST beyond it).
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PREFECT_RUNNER_SERVER_PORT', '4201'), timeout=8)"]
CMD ["newswatch", "serve"]
