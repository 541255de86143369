from __future__ import annotations

import pytest

from flows.config import parse_config
from flows.stages.sources.opml import parse_opml, render_opml
from flows.stages.sources.sources_file import SourcesFileError, append_sources
from tests.support import ROOT


def test_append_keeps_every_other_byte() -> None:
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    new = append_sources(
        text,
        [
            {
                "name": "Gov.kz: news",
                "url": "https://www.gov.kz/news?x=1",
                "type": "page",
                "tags": ["KZ", "gov"],
            }
        ],
    )
    added = new.replace(text[: text.index("\n# The topic profile")], "", 1)
    assert new.startswith(text[: text.index("\n# The topic profile")])
    assert added.startswith(
        "  - name: 'Gov.kz: news'\n    url: https://www.gov.kz/news?x=1\n    type: page\n    tags: [KZ, gov]\n"
    )
    assert new.endswith(text[text.index("\n# The topic profile") :])
    config = parse_config(new)
    assert config.sources[-1].name == "Gov.kz: news" and config.sources[-1].tags == ["KZ", "gov"]


def test_append_to_empty_or_missing_lists() -> None:
    for text in ("sources:\n", "sources: []\n", "settings: {}\n", "sources:\n# nothing yet\n"):
        new = append_sources(text, [{"name": "A", "url": "https://a.kz/rss"}])
        assert [s.name for s in parse_config(new).sources] == ["A"], text
    with pytest.raises(SourcesFileError, match="flow list"):
        append_sources("sources: [{name: a, url: 'http://a/'}]\n", [{"name": "b", "url": "http://b/"}])


def test_opml_of_every_type_parses_back() -> None:
    config = parse_config(
        "sources:\n  - {name: A & B, url: 'https://a.kz/rss?x=1&y=2', tags: [KZ, wire], language: ru}\n"
        "  - {name: Map, url: 'https://a.kz/sitemap.xml', type: sitemap, enabled: false}\n"
        "  - {name: Chan, url: 'https://t.me/s/chan', type: telegram, tags: [KZ]}\n"
    )
    found, skipped = parse_opml(render_opml(config.sources).encode())
    assert not skipped
    assert [(s.name, s.url, s.type, s.tags, s.enabled, s.language) for s in found] == [
        ("A & B", "https://a.kz/rss?x=1&y=2", "feed", ["KZ", "wire"], True, "ru"),
        ("Chan", "https://t.me/s/chan", "telegram", ["KZ"], True, None),
        ("Map", "https://a.kz/sitemap.xml", "sitemap", [], False, None),
    ]
