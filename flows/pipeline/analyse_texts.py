"""`newswatch analyse`: the analysis an ingest gives, on texts an analyst brings; nothing stored.

Input: JSON lines (`id`, `text`, optionally `title`, `url`), or plain text, one text a line.
Output: one dict per text, in order: id, language, relevance, is_relevant, countries and places
([{"code", "name", "surface"}]). No network: the texts are given, and the seed corpus (relevance's
closeness to it) is read from the database when there is one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from flows.config import Config
from flows.pipeline.analysis import Analyzer
from flows.stages.stories.places import find_places


class BadInput(ValueError):
    """A line that is not what `analyse` reads; the message names the line."""


@dataclass(frozen=True)
class TextIn:
    id: Any
    text: str
    title: str | None = None
    url: str | None = None


def read_texts(lines: Iterable[str]) -> Iterator[TextIn]:
    """JSON lines when the first non-empty line is a JSON object, else one plain text a line."""
    json_lines: bool | None = None
    number = 0
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if json_lines is None:
            json_lines = line.startswith("{")
        number += 1
        if not json_lines:
            yield TextIn(number, line)
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(
                f"line {n}: not JSON ({exc.msg}); give JSON lines or plain text, not both"
            ) from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise BadInput(f'line {n}: a JSON object with a "text" string is needed')
        title, url = item.get("title"), item.get("url")
        if title is not None and not isinstance(title, str) or url is not None and not isinstance(url, str):
            raise BadInput(f'line {n}: "title" and "url" must be strings')
        yield TextIn(item.get("id", number), item["text"], title, url)


def analyse_texts(
    config: Config, texts: Iterable[TextIn], seeds: Sequence[str] = ()
) -> Iterator[dict[str, Any]]:
    """Each text's language, relevance, countries and places, as an ingest would store them."""
    analyzer = Analyzer(config.topic, config.settings.relevance_threshold, seeds, config.settings.extraction)
    for item in texts:
        language, score = analyzer.analyse(item.title, item.text)
        yield {
            "id": item.id,
            "language": language,
            "relevance": score.relevance,
            "is_relevant": score.is_relevant,
            "countries": score.countries,
            "places": [asdict(p) for p in find_places(item.title, item.text)],
        }
