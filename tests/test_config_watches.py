"""Watches and subscriptions in sources.yaml: validated, the file and line named."""

from __future__ import annotations

import pytest

from flows.config import ConfigError, parse_config

GOOD = """sources: []
watches:
  - name: tokayev
    query: Tokayev
    countries: [kz]
    languages: [EN, ru]
    sources: [Kursiv]
    min_relevance: 0.4
    notify: [analyst@desk.example, "https://hooks.example/abc"]
    mode: immediate
settings:
  digest:
    subscriptions:
      - name: kz-desk
        recipients: [kz@desk.example]
        countries: [KZ]
        watches: [tokayev]
"""


def test_queries_in_the_query_language_are_kept_as_written() -> None:
    query = '"Syr Darya" (water OR quota*) -title:football lang:ru country:UZ'
    config = parse_config(GOOD.replace("query: Tokayev", f"query: '{query}'"), "sources.yaml")
    assert config.watches[0].query == query


def test_a_good_file() -> None:
    config = parse_config(GOOD, "sources.yaml")
    (watch,) = config.watches
    assert (watch.countries, watch.languages, watch.emails, watch.webhooks) == (
        ["KZ"],
        ["en", "ru"],
        ["analyst@desk.example"],
        ["https://hooks.example/abc"],
    )
    assert config.settings.digest.subscriptions[0].name == "kz-desk"
    assert parse_config("sources: []").watches == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("mode: immediate", "mode: hourly"), "sources.yaml:10: field `watches.0.mode`"),
        (("countries: [kz]", "countries: [RU]"), "sources.yaml:5: field `watches.0.countries`: country 'RU'"),
        (("analyst@desk.example", "not-an-address"), "neither an e-mail address nor an http(s) webhook URL"),
        (("min_relevance: 0.4", "min_relevance: 4"), "field `watches.0.min_relevance`"),
        (("query: Tokayev", "query: '!!'"), "has no letters or digits"),
        (
            ("watches: [tokayev]", "watches: [rahmon]"),
            "sources.yaml:17: field `settings.digest.subscriptions.0.watches`: no watch named 'rahmon'",
        ),
        (("query: Tokayev", "query: Tokayev OR (Rogun"), "sources.yaml:4: field `watches.0.query`"),
        (("query: Tokayev", "query: Tokayev OR (Rogun"), "unbalanced parenthesis at column 12"),
        (("query: Tokayev", "query: Tokayev dam OR Rogun"), "AND and OR at one level"),
        (
            ("query: Tokayev", "query: 'Tokayev country:RU'"),
            "country:RU is not one of KZ, KG, TJ, TM, UZ at column 17",
        ),
        (
            ("query: Tokayev", "query: NOT Tokayev"),
            "NOT needs something to search beside it (Kumtor NOT Rogun; in an OR, each side) at column 1",
        ),
        (("query: Tokayev", "query: the OR and"), "only stopwords"),
        (("query: Tokayev", "query: the -Tokayev"), "NOT needs something to search beside it"),
        (("query: Tokayev", "query: 'site:akorda.kz'"), "unknown field site:"),
        (("name: kz-desk", "name: kz/desk"), "names the folder digests/<name>/"),
        (("recipients: [kz@desk.example]", "recipients: [kz]"), "'kz' is not an e-mail address"),
        (
            ("    mode: immediate\n", "    mode: immediate\n  - {name: Tokayev, query: x}\n"),
            "duplicate watch name 'Tokayev'",
        ),
    ],
)
def test_mistakes_are_named_with_file_and_line(change: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(GOOD.replace(*change), "sources.yaml")
    assert message in str(err.value)
