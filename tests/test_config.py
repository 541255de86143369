"""Configuration: defaults, validation, and errors that name file, line and field."""

from __future__ import annotations

import pytest

from flows.config import ConfigError, load_config, parse_config, smtp_from_env
from tests.support import ROOT


def test_only_sources_gives_defaults_and_builtin_topic() -> None:
    cfg = parse_config("sources:\n  - name: A\n    url: https://a.example/feed\n")
    assert cfg.settings.timezone == "Asia/Almaty"
    assert cfg.settings.max_concurrency == 16
    assert cfg.settings.allow_private_networks is False
    assert cfg.settings.extraction == "auto"
    assert parse_config("settings:\n  extraction: fast\nsources: []\n").settings.extraction == "fast"
    assert parse_config("settings:\n  extraction: thorough\nsources: []\n").settings.extraction == "thorough"
    assert "KZ" in cfg.topic.countries and "en" in cfg.topic.keywords
    assert cfg.enabled_sources[0].name == "A"


def test_topic_section_adds_to_the_builtin_profile() -> None:
    """More in tests/test_config_topic.py."""
    cfg = parse_config("topic:\n  keywords:\n    en: [Pamir]\nsources: []\n")
    assert cfg.topic.keywords["en"][-1] == "Pamir" and "Central Asia" in cfg.topic.keywords["en"]
    assert "ru" in cfg.topic.keywords  # untouched parts keep the built-in profile
    assert "UZ" in cfg.topic.countries


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("sources:\n  - name: A\n    url: ftp://x/feed\n", 3, "sources.0.url"),
        ("settings:\n  max_concurrency: zero\nsources: []\n", 2, "settings.max_concurrency"),
        ("settings:\n  timezone: Mars/Olympus\nsources: []\n", 2, "settings.timezone"),
        ("settings:\n  colour: blue\nsources: []\n", 2, "settings.colour"),
        ("settings:\n  extraction: quick\nsources: []\n", 2, "settings.extraction"),
        (
            "sources:\n  - name: A\n    url: https://a/f\n  - name: A\n    url: https://b/f\n",
            4,
            "sources.1.name",
        ),
        ("sources:\n  - url: https://a/f\n", 2, "sources.0.name"),
        (
            "settings:\n  timezone: UTC\n  digest_cron: '99 99 * * *'\nsources: []\n",
            3,
            "settings.digest_cron",
        ),
        ("settings:\n  digest_cron: '0 7 31 2 *'\nsources: []\n", 2, "settings.digest_cron"),  # never fires
        ("settings:\n  digest_cron: 0 7 * *\nsources: []\n", 2, "settings.digest_cron"),
        ("settings:\n  digest_cron: H 7 * * *\nsources: []\n", 2, "settings.digest_cron"),
        ("settings:\n  digest_cron: 0 7 * * 5L\nsources: []\n", 2, "settings.digest_cron"),  # Prefect refuses
    ],
)
def test_bad_file_names_line_and_field(text: str, line: int, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "x/sources.yaml")
    message = str(err.value)
    assert f"x/sources.yaml:{line}:" in message
    assert f"`{field}`" in message


def test_yaml_syntax_error_has_line() -> None:
    with pytest.raises(ConfigError, match=r"s\.yaml:3: invalid YAML"):
        parse_config("sources:\n  - name: A\n  url: [unclosed\n", "s.yaml")


def test_missing_sources_key() -> None:
    with pytest.raises(ConfigError, match="`sources` is missing"):
        parse_config("settings: {}\n", "s.yaml")


def test_shipped_sources_yaml_is_valid() -> None:
    cfg = load_config(ROOT / "sources.yaml")
    assert len(cfg.sources) >= 10
    assert all(s.url.startswith("http") for s in cfg.sources)


def test_smtp_from_env_never_shows_password() -> None:
    smtp = smtp_from_env(
        ["a@example.org"],
        {
            "NEWSWATCH_SMTP_HOST": "127.0.0.1",
            "NEWSWATCH_SMTP_PASSWORD": "hunter2",
            "NEWSWATCH_SMTP_USER": "u",
        },
    )
    assert smtp is not None and smtp.port == 25 and smtp.recipients == ("a@example.org",)
    assert "hunter2" not in repr(smtp)
    assert smtp_from_env([], {}) is None
    with pytest.raises(ConfigError, match="NEWSWATCH_SMTP_SECURITY"):
        smtp_from_env(["a@x"], {"NEWSWATCH_SMTP_HOST": "h", "NEWSWATCH_SMTP_SECURITY": "tls9"})


def test_hosts_and_trust_store_settings() -> None:
    cfg = parse_config(
        "settings:\n  trust_store: system\n  hosts:\n    Пример.ҚАЗ: 127.0.0.1\n    mirror.test: '::1'\nsources: []\n"
    )
    assert cfg.settings.trust_store == "system"
    assert cfg.settings.hosts == {"xn--e1afmkfd.xn--80ao21a": "127.0.0.1", "mirror.test": "::1"}
    for text, fragment in [
        ("settings:\n  hosts:\n    mirror.test: not-an-address\nsources: []\n", "not an IP address"),
        ("settings:\n  hosts:\n    xn--zz.test: 127.0.0.1\nsources: []\n", "invalid punycode"),
        ("settings:\n  trust_store: windows\nsources: []\n", "settings.trust_store"),
    ]:
        with pytest.raises(ConfigError, match=fragment) as err:
            parse_config(text, "s.yaml")
        assert "s.yaml:" in str(err.value)


@pytest.mark.parametrize("cron", ["0 7 * * *", "*/30 6-9 * * mon-fri", "0 7 L * *", "15 8 1,15 jan,jul *"])
def test_valid_cron_strings_are_accepted(cron: str) -> None:
    cfg = parse_config(f"settings:\n  digest_cron: '{cron}'\nsources: []\n")
    assert cfg.settings.digest_cron == cron


# --- typos get the closest valid name; language and country codes are checked ---------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "settings:\n  ingest_intervall_minutes: 5\nsources: []\n",
            "x.yaml:2: field `settings.ingest_intervall_minutes`: unknown field (did you mean ingest_interval_minutes?)",
        ),
        ("settings:\n  digest:\n    recipient: [a@b.c]\nsources: []\n", "(did you mean recipients?)"),
        (
            "sources:\n  - name: A\n    url: https://a.test/f\n    langauge: en\n",
            "x.yaml:4: field `sources.0.langauge`: unknown field (did you mean language?)",
        ),
        ("setings: {}\nsources: []\n", "field `setings`: unknown field (did you mean settings?)"),
        ("topic:\n  keyword: {}\nsources: []\n", "(did you mean keywords?)"),
    ],
)
def test_a_typo_gets_the_closest_valid_name(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "x.yaml")
    assert expected in str(err.value)


def test_an_unknown_field_far_from_any_name_gets_no_guess() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("settings:\n  zzzz: 1\nsources: []\n", "x.yaml")
    assert str(err.value).endswith("unknown field")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sources:\n  - name: A\n    url: https://a.test/f\n    language: english\n",
            "x.yaml:4: field `sources.0.language`: 'english' is not a language code an article can get",
        ),
        ("sources:\n  - name: A\n    url: https://a.test/f\n    language: ruu\n", "(did you mean ru?)"),
        (
            "topic:\n  countries:\n    XX:\n      en: [Foo]\nsources: []\n",
            "x.yaml:4: field `topic.countries.XX`: 'XX' is not an ISO 3166",
        ),
        (
            "topic:\n  countries:\n    KZ:\n      english: [Foo]\nsources: []\n",
            "field `topic.countries.KZ.english`: 'english' is not a language code",
        ),
        (
            "topic:\n  keywords:\n    kz: [Foo]\nsources: []\n",
            "field `topic.keywords.kz`: 'kz' is not a language code",
        ),
    ],
)
def test_language_and_country_codes_are_checked(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "x.yaml")
    assert expected in str(err.value)


def test_every_code_the_pipeline_gives_is_accepted() -> None:
    from flows.stages.reading.language import LANGUAGE_CODES

    for code in sorted(LANGUAGE_CODES):
        text = f"topic:\n  countries:\n    AF:\n      '{code}': [Kabul]\nsources:\n  - name: A\n    url: https://a.test/f\n    language: '{code}'\n"
        assert parse_config(text).sources[0].language == code
