"""Configuration: `sources.yaml` loaded once into typed, validated objects.

Errors name the file, line and field, because analysts edit this file by hand.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flows import __version__
from flows.config_topic import Topic, merge_topic, topic_changes  # the profile over the built-in one
from flows.config_watches import DeliveryLimits, Subscription, Watch, check_watches  # watches, digests
from flows.country_codes import COUNTRY_CODES
from flows.stages.net.urls import BadLink, ascii_host

DEFAULT_SOURCES = "sources.yaml"
DEFAULT_DB = "storage/newswatch.duckdb"
DEFAULT_TOPIC_FILE = Path(__file__).with_name("topic_default.yaml")


class ConfigError(Exception):
    """A bad configuration file or value; the CLI turns it into exit status 2."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DigestSettings(_Strict):
    recipients: list[str] = Field(default_factory=list)
    max_stories: int = Field(default=40, ge=1, le=1000)
    summary_sentences: int = Field(default=3, ge=1, le=10)
    subscriptions: list[Subscription] = Field(default_factory=list)  # per-analyst digests


class Settings(_Strict):
    timezone: str = "Asia/Almaty"
    ingest_interval_minutes: int = Field(default=60, ge=1, le=24 * 60)
    digest_cron: str = "0 7 * * *"
    user_agent: str = f"newswatch/{__version__} (+https://github.com/newswatch/newswatch)"
    max_concurrency: int = Field(default=16, ge=1, le=256)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    timeout_seconds: float = Field(default=20, gt=0, le=600)
    max_bytes: int = Field(default=10_000_000, ge=1024)
    allow_private_networks: bool = False
    # whose certificates TLS trusts: certifi's bundle (httpx's default) or the system store, where a
    # company's own CA is installed; SSL_CERT_FILE / SSL_CERT_DIR override both
    trust_store: Literal["certifi", "system"] = "certifi"
    # names answered here before DNS is asked, like /etc/hosts (a mirror, a split-horizon name);
    # the private-address guard still applies to the addresses given
    hosts: dict[str, str] = Field(default_factory=dict)
    respect_robots_txt: bool = True
    max_retries: int = Field(default=2, ge=0, le=10)
    relevance_threshold: float = Field(default=0.5, ge=0, le=1)
    max_articles_per_source: int = Field(default=200, ge=1)
    # --- extraction modes ---
    # "auto": trafilatura's own extractor first, its second opinion (readability, jusText) only
    # where that result looks wrong (empty, short against the page, no paragraphs, a list of
    # links); "thorough": the second opinion on every page; "fast": never (see benchmarks/README.md)
    extraction: Literal["auto", "thorough", "fast"] = "auto"
    # one page's extraction and analysis in a worker; past it the worker is stopped and the page
    # recorded as failed (a parser bomb costs one page, briefly)
    analysis_timeout_seconds: float = Field(default=60, gt=0, le=3600)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    # --- sources without feeds ---
    # a sitemap or Telegram source's first poll takes what was published in the last N days
    backfill_days: float = Field(default=2, gt=0, le=365)
    # a Telegram post that is only a link and a headline: fetch the linked article for its text
    telegram_fetch_links: bool = True
    # --- end of sources without feeds ---
    # --- outlet templates ---
    # take the lines each outlet repeats on its pages (menus, footers, related lists) out of the
    # stored text (flows/stages/reading/templates.py); false stores the text as extracted
    outlet_templates: bool = True
    retention_days: int = Field(default=90, ge=1, le=36500)  # fetch_log and run rows kept, in days
    watch_delivery: DeliveryLimits = Field(default_factory=DeliveryLimits)  # a failing one's retries

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("hosts")
    @classmethod
    def _host_addresses(cls, value: dict[str, str]) -> dict[str, str]:
        checked = {}
        for name, address in value.items():
            try:
                checked[ascii_host(name)] = str(ipaddress.ip_address(str(address)))
            except BadLink as exc:
                raise ValueError(f"hosts: {exc}") from exc
            except ValueError as exc:
                raise ValueError(f"hosts: {name}: {address!r} is not an IP address") from exc
        return checked

    @field_validator("digest_cron")
    @classmethod
    def _cron_fields(cls, value: str) -> str:
        """Checked by cronsim (installed with Prefect), so `serve` never meets a schedule it refuses."""
        from cronsim import CronSim, CronSimError

        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a five-field cron expression (minute hour day month weekday)")
        fields = value.split()
        if any(part.casefold() in ("h", "r") for part in fields):  # Prefect refuses these
            raise ValueError(f"{value!r}: random and hashed (H, R) cron fields are not supported")
        if "w" in fields[2].casefold() or "l" in fields[4].casefold():  # cronsim takes them, Prefect not
            raise ValueError(f"{value!r}: W (nearest weekday) and weekday L are not supported")
        try:
            CronSim(value, datetime(2000, 1, 1))
        except CronSimError as exc:
            raise ValueError(f"{value!r} is not a valid cron expression: {str(exc).lower()}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# --- source types (README "Sources without feeds") ---
SourceType = Literal["feed", "sitemap", "page", "telegram"]
SOURCE_TYPES: tuple[str, ...] = ("feed", "sitemap", "page", "telegram")


class Source(_Strict):
    name: str = Field(min_length=1)
    url: str
    # --- what the URL is (feed, the default; sitemap; page; telegram) ---
    type: SourceType = "feed"
    language: str | None = None
    enabled: bool = True
    tags: list[str] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("name")
    @classmethod
    def _not_seed(cls, value: str) -> str:
        if value.strip().lower() == "seed":
            raise ValueError("'seed' is reserved for the seed corpus")
        return value.strip()


class Config(_Strict):
    settings: Settings = Field(default_factory=Settings)
    topic: Topic = Field(default_factory=Topic)
    sources: list[Source] = Field(default_factory=list)
    watches: list[Watch] = Field(default_factory=list)
    path: str = "<memory>"

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for i, source in enumerate(self.sources):
            key = source.name.lower()
            if key in seen:
                raise ValueError(f"sources.{i}.name: duplicate source name {source.name!r}")
            seen.add(key)
        check_watches(self)
        return self

    @property
    def enabled_sources(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]


@dataclass(frozen=True)
class SmtpSettings:
    """SMTP comes from the environment only, so no secret ever sits in a file we write."""

    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    recipients: tuple[str, ...]
    security: str

    def __repr__(self) -> str:  # never show the password
        return f"SmtpSettings(host={self.host!r}, port={self.port}, user={self.user!r}, security={self.security!r})"


def smtp_from_env(default_recipients: list[str], env: dict[str, str] | None = None) -> SmtpSettings | None:
    env = dict(os.environ) if env is None else env
    host = env.get("NEWSWATCH_SMTP_HOST", "").strip()
    if not host:
        return None
    security = env.get("NEWSWATCH_SMTP_SECURITY", "none").strip().lower() or "none"
    if security not in {"none", "starttls", "ssl"}:
        raise ConfigError(f"NEWSWATCH_SMTP_SECURITY: {security!r} is not one of none, starttls, ssl")
    default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
    port_text = env.get("NEWSWATCH_SMTP_PORT", "").strip()
    try:
        port = int(port_text) if port_text else default_port
    except ValueError as exc:
        raise ConfigError(f"NEWSWATCH_SMTP_PORT: {port_text!r} is not a port number") from exc
    to_env = env.get("NEWSWATCH_SMTP_TO", "")
    recipients = tuple(r.strip() for r in to_env.split(",") if r.strip()) or tuple(default_recipients)
    if not recipients:
        raise ConfigError(
            "SMTP is configured but no recipient: set NEWSWATCH_SMTP_TO or settings.digest.recipients"
        )
    user = env.get("NEWSWATCH_SMTP_USER") or None
    sender = env.get("NEWSWATCH_SMTP_FROM") or user or f"newswatch@{host}"
    return SmtpSettings(
        host=host,
        port=port,
        user=user,
        password=env.get("NEWSWATCH_SMTP_PASSWORD") or None,
        sender=sender,
        recipients=recipients,
        security=security,
    )


# --- loading -----------------------------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping key and sequence item."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        lines[key] = value_node.start_mark.line + 1
    mapping["__lines__"] = lines
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> list[Any]:
    items = loader.construct_sequence(node, deep=True)
    return _LineList(items, [child.start_mark.line + 1 for child in node.value])


class _LineList(list[Any]):
    def __init__(self, items: list[Any], lines: list[int]) -> None:
        super().__init__(items)
        self.lines = lines


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k not in ("__lines__", "__line__")}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _line_of(data: Any, loc: tuple[int | str, ...]) -> int | None:
    """The line of the deepest node on `loc` that we can still find."""
    line: int | None = data.get("__line__") if isinstance(data, dict) else None
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            line = node.get("__lines__", {}).get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if isinstance(node, _LineList):
                line = node.lines[part]
            node = node[part]
        else:
            break
    return line


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def default_topic_data() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_TOPIC_FILE.read_text(encoding="utf-8")) or {}
    return dict(data.get("topic", {}))


def profile_changes(config: Config) -> list[str]:
    """What the file's `topic:` adds to, replaces or drops of the built-in profile."""
    return topic_changes(config.topic, Topic.model_validate(default_topic_data()))


def _where(raw: Any, loc: tuple[int | str, ...], path: str) -> str:
    line = _line_of(raw, loc)
    return f"{path}:{line}" if line else path


def parse_config(text: str, path: str = "<memory>") -> Config:
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}" if mark else path
        raise ConfigError(f"{where}: invalid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: the file must be a mapping with a `sources:` list")
    data = _strip_lines(raw)
    if "sources" not in data:
        raise ConfigError(f"{path}:1: field `sources` is missing (a list of feeds)")
    if data.get("sources") is None:
        data["sources"] = []
    data["topic"], topic_problems = merge_topic(default_topic_data(), data.get("topic"))
    if topic_problems:
        raise ConfigError(
            "\n".join(
                f"{_where(raw, loc, path)}: field `{_field_name(loc)}`: {msg}" for loc, msg in topic_problems
            )
        )
    data["path"] = path
    try:
        return _check_codes(Config.model_validate(data), raw, path)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            if loc == () and msg.startswith(("sources.", "watches.", "settings.")):
                field, _, msg = msg.partition(": ")
                loc = tuple(int(p) if p.isdigit() else p for p in field.split("."))
            line = _line_of(raw, loc)
            where = f"{path}:{line}" if line else path
            if err["type"] == "extra_forbidden":
                msg = _unknown_field(loc)
            problems.append(f"{where}: field `{_field_name(loc)}`: {msg}")
        raise ConfigError("\n".join(problems)) from None


def load_config(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found (set --sources or NEWSWATCH_SOURCES)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}") from None
    return parse_config(text, str(p))


# --- the closest valid field name for a typo; language and country codes checked -------


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose fields live at `loc` (list items skipped), or None for a plain mapping."""
    from typing import get_args

    model: type[BaseModel] = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        candidates = [field.annotation, *get_args(field.annotation)]
        found = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if found is None:
            return None
        model = found
    return model


def _unknown_field(loc: tuple[int | str, ...]) -> str:
    from flows.text import did_you_mean

    model = _model_at(loc[:-1])
    names = [name for name in model.model_fields if name != "path"] if model else []
    return "unknown field" + did_you_mean(str(loc[-1]), names)


def _check_codes(config: Config, raw: Any, path: str) -> Config:
    """Language codes (a source's `language`, the topic's per-language terms) must be ones the
    pipeline gives an article, and `topic.countries` keys ISO 3166 country codes."""
    from flows.stages.reading.language import LANGUAGE_CODES
    from flows.text import did_you_mean

    problems: list[str] = []

    def bad(loc: tuple[int | str, ...], msg: str) -> None:
        line = _line_of(raw, loc)
        problems.append(f"{f'{path}:{line}' if line else path}: field `{_field_name(loc)}`: {msg}")

    def language(loc: tuple[int | str, ...], code: str) -> None:
        if code not in LANGUAGE_CODES:
            bad(
                loc,
                f"{code!r} is not a language code an article can get{did_you_mean(code.lower(), LANGUAGE_CODES)};"
                " use one of " + ", ".join(sorted(LANGUAGE_CODES)),
            )

    for i, source in enumerate(config.sources):
        if source.language is not None:
            language(("sources", i, "language"), source.language)
    for code in config.topic.keywords:
        language(("topic", "keywords", code), code)
    for country, terms in config.topic.countries.items():
        if country not in COUNTRY_CODES:
            bad(("topic", "countries", country), f"{country!r} is not an ISO 3166 country code (e.g. KZ, UZ)")
        for code in terms:
            language(("topic", "countries", country, code), code)
    if problems:
        raise ConfigError("\n".join(problems))
    return config


# --- web console (flows/web/): its address and password come from the environment ---
WEB_HOST_ENV = "NEWSWATCH_WEB_HOST"  # default 127.0.0.1
WEB_PORT_ENV = "NEWSWATCH_WEB_PORT"  # default 8080
WEB_PASSWORD_ENV = "NEWSWATCH_WEB_PASSWORD"  # HTTP basic auth; required to bind a non-loopback address
