"""The topic profile of sources.yaml laid over the built-in one (flows/topic_default.yaml).

Analysts mean "add": a `topic:` section that names Afghanistan should not silently drop Central
Asia. So a list adds its terms to the built-in ones, and dropping them takes an explicit word:

    keywords:
      en: [Afghanistan, Taliban]           # added to the built-in English terms
      ru: {extend: [Афганистан]}            # the same, said explicitly
      zh: {replace: [阿富汗]}                # instead of the built-in Chinese terms
    countries:
      AF: {en: [Afghanistan, Kabul]}        # a new country
      KZ: {en: {replace: [Kazakhstan]}}     # one language of a country replaced
      TM: {replace: {en: [Turkmenistan]}}   # the whole country replaced; {replace: {}} drops it

flows/config.py calls `merge_topic` before validation and names each problem with its line.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Loc = tuple[int | str, ...]
Problem = tuple[Loc, str]
_HOW = "a list of terms, {extend: [...]} or {replace: [...]}"


class Topic(BaseModel):
    """Terms per language code, and per country (ISO alpha-2) terms per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keywords: dict[str, list[str]] = Field(default_factory=dict)
    countries: dict[str, dict[str, list[str]]] = Field(default_factory=dict)

    @field_validator("countries")
    @classmethod
    def _country_codes(cls, value: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        for code in value:
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"country code {code!r} must be two capital letters (ISO 3166 alpha-2)")
        return value


def _terms(value: Any, loc: Loc, problems: list[Problem]) -> list[str] | None:
    """A list of non-empty strings, or None with the problem recorded."""
    if not isinstance(value, list):
        problems.append((loc, f"expected a list of terms, not {_kind(value)}"))
        return None
    bad = [i for i, term in enumerate(value) if not isinstance(term, str) or not term.strip()]
    for i in bad:
        problems.append(((*loc, i), f"a term must be text, not {_kind(value[i])}"))
    return None if bad else [term.strip() for term in value]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    return "a list" if isinstance(value, list) else repr(value)


def _added(base: list[str], extra: list[str]) -> list[str]:
    """`base` then the terms of `extra` it does not have yet, in their order."""
    seen = set(base)
    out = list(base)
    for term in extra:
        if term not in seen:
            seen.add(term)
            out.append(term)
    return out


def _one_list(base: list[str], value: Any, loc: Loc, problems: list[Problem]) -> list[str]:
    """One language's terms: `value` (a list, {extend:}, {replace:}) laid over `base`."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in ("extend", "replace")]
        for key in unknown:
            problems.append(((*loc, key), f"unknown key {key!r}: {_HOW}"))
        if "extend" in value and "replace" in value:
            problems.append((loc, "extend: or replace:, not both"))
            return base
        if unknown or not value:
            if not value:
                problems.append((loc, f"expected {_HOW}"))
            return base
        key = "replace" if "replace" in value else "extend"
        terms = _terms(value[key], (*loc, key), problems)
        if terms is None:
            return base
        return _added([], terms) if key == "replace" else _added(base, terms)
    if value is None or not isinstance(value, list):
        problems.append((loc, f"expected {_HOW}, not {_kind(value)}"))
        return base
    terms = _terms(value, loc, problems)
    return base if terms is None else _added(base, terms)


def _languages(
    base: dict[str, list[str]], value: dict[Any, Any], loc: Loc, problems: list[Problem]
) -> dict[str, list[str]]:
    out = {lang: list(terms) for lang, terms in base.items()}
    for lang, given in value.items():
        out[lang] = _one_list(out.get(lang, []), given, (*loc, lang), problems)
    return out


def _country(
    base: dict[str, list[str]], value: Any, loc: Loc, problems: list[Problem]
) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        problems.append(
            (loc, f"expected a mapping of language codes to terms (or replace:), not {_kind(value)}")
        )
        return base
    if "replace" in value or "extend" in value:
        key = "replace" if "replace" in value else "extend"
        if len(value) > 1:
            problems.append((loc, f"{key}: takes the country's languages inside it; nothing beside it"))
            return base
        inner = value[key]
        if not isinstance(inner, dict):
            problems.append(
                ((*loc, key), f"expected a mapping of language codes to terms, not {_kind(inner)}")
            )
            return base
        return _languages({} if key == "replace" else base, inner, (*loc, key), problems)
    return _languages(base, value, loc, problems)


def merge_topic(default: dict[str, Any], override: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The built-in profile with sources.yaml's `topic:` laid over it, and the problems found
    (each with its place in the file). Parts of an unexpected shape are passed on as they are,
    for the model's own validation to name."""
    problems: list[Problem] = []
    keywords: dict[str, list[str]] = {k: list(v) for k, v in default.get("keywords", {}).items()}
    countries: dict[str, dict[str, list[str]]] = {
        code: {lang: list(terms) for lang, terms in per_lang.items()}
        for code, per_lang in default.get("countries", {}).items()
    }
    merged: dict[str, Any] = {"keywords": keywords, "countries": countries}
    if override is None:
        return merged, problems
    if not isinstance(override, dict):
        return override, problems  # the model says what a topic must be
    for key, value in override.items():
        if key == "keywords" and isinstance(value, dict):
            merged["keywords"] = _languages(keywords, value, ("topic", "keywords"), problems)
        elif key == "countries" and isinstance(value, dict):
            for code, given in value.items():
                loc: Loc = ("topic", "countries", code)
                countries[code] = _country(countries.get(code, {}), given, loc, problems)
        elif key not in ("keywords", "countries") or value is not None:
            merged[key] = value
    merged["countries"] = {code: langs for code, langs in countries.items() if langs}
    return merged, problems


# --- what a profile changes, for `sources check` ------------------------------------------------


def _list_change(label: str, old: list[str], new: list[str]) -> str | None:
    added = [t for t in new if t not in old]
    dropped = [t for t in old if t not in new]
    if not added and not dropped:
        return None
    parts = []
    if dropped and not set(old) & set(new):
        parts.append(f"replaced, all {len(old)} built-in terms dropped")
    elif dropped:
        parts.append(f"{len(dropped)} built-in terms dropped ({_some(dropped)})")
    if added:
        parts.append(f"{len(added)} added ({_some(added)})")
    return f"{label}: {', '.join(parts)}"


def _some(terms: list[str], limit: int = 6) -> str:
    shown = ", ".join(terms[:limit])
    return shown + (f", … {len(terms) - limit} more" if len(terms) > limit else "")


def topic_changes(topic: Topic, builtin: Topic) -> list[str]:
    """One line per language list or country the profile adds to, replaces or drops."""
    lines: list[str] = []
    for lang in sorted(set(builtin.keywords) | set(topic.keywords)):
        old, new = builtin.keywords.get(lang, []), topic.keywords.get(lang, [])
        line = _list_change(f"keywords {lang}", old, new)
        if line:
            lines.append(line)
    for code in sorted(set(builtin.countries) | set(topic.countries)):
        if code not in topic.countries:
            lines.append(f"countries {code}: dropped")
            continue
        if code not in builtin.countries:
            sizes = ", ".join(f"{lang} {len(terms)}" for lang, terms in topic.countries[code].items())
            lines.append(f"countries {code}: new ({sizes} terms)")
            continue
        old_country, new_country = builtin.countries[code], topic.countries[code]
        for lang in sorted(set(old_country) | set(new_country)):
            line = _list_change(
                f"countries {code} {lang}", old_country.get(lang, []), new_country.get(lang, [])
            )
            if line:
                lines.append(line)
    return lines
