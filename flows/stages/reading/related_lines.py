"""Inline related-link and counter lines, removed by their form: "Also Read: <headline>",
"Читайте также: <headline>", a heading such as "Ссылки по теме" and the list under it, a counter
line such as "Просмотров: 1341 Комментариев: 0", an editor's credit "责任编辑：王晓".

Each page's "Also read" line names another story, so no recurrence rule (flows/stages/reading/
templates.py) catches it, and a watch on the other story's subject fires through it. What is
removed is a line that is a label alone, or a label, a separator (":", "-", "—", "|", "»") and a
headline (a few words and at most one sentence), or only counters ("Views: 12", "Просмотров 1341");
a prose sentence that starts with "Also" or "По теме" is kept: the label must stand alone or be
followed by its separator. Labels are in English and the region's languages: Russian, Kazakh,
Kyrgyz, Uzbek (Latin and Cyrillic), Tajik, Turkmen and Chinese. Pure: text in, text out.
"""

from __future__ import annotations

import re

from flows.text import CJK

# Labels that introduce another story's headline (lower case; matched at a line's start).
RELATED_LABELS = (
    # English
    "also read", "read also", "read more", "see also", "related", "related news", "related articles",
    "related stories", "related story", "related content", "related coverage", "related posts",
    "more on this", "more on this story", "more on the topic", "read next", "you may also like",
    "recommended", "recommended reading", "further reading", "more news", "more stories",
    # Russian
    "читайте также", "читайте еще", "читайте ещё", "читать также", "смотрите также", "см. также",
    "ссылки по теме", "также по теме", "по теме", "ещё по теме", "еще по теме", "похожие новости",
    "материалы по теме", "новости по теме", "другие новости", "подробнее", "читайте подробнее",
    "рекомендуем", "рекомендуем прочитать", "читайте нас", "самое читаемое",
    # Kazakh
    "сондай-ақ оқыңыз", "тағы оқыңыз", "оқи отырыңыз", "тақырыпқа қатысты", "толығырақ",
    "ұқсас жаңалықтар", "тақырып бойынша",
    # Kyrgyz
    "окуңуз", "дагы окуңуз", "ошондой эле окуңуз", "ошондой эле окуңуздар", "темага тиешелүү",
    "тектеш жаңылыктар", "кененирээк",
    # Uzbek, Latin and Cyrillic
    "shuningdek o'qing", "shuningdek oʻqing", "shuningdek o‘qing", "yana o'qing", "yana oʻqing",
    "mavzuga oid", "batafsil", "shuningdek, o'qing", "shuningdek, oʻqing",
    "шунингдек ўқинг", "шунингдек, ўқинг", "яна ўқинг", "мавзуга оид", "батафсил",
    # Tajik
    "инчунин хонед", "ҳамчунин хонед", "инчунин бихонед", "ҳамчунин бихонед", "хабарҳои марбут",
    "мавзӯъҳои марбут", "бештар хонед", "маводи марбут",
    # Turkmen
    "şeýle hem okaň", "degişli habarlar",
    # Chinese
    "相关阅读", "延伸阅读", "相关新闻", "相关链接", "推荐阅读", "相关报道", "责任编辑", "编辑", "猜你喜欢",
    "更多阅读", "热门推荐",
)  # fmt: skip

# Words that make a "<word>: <number>" pair a counter.
COUNTER_WORDS = (
    "views", "view", "comments", "comment", "reads", "shares", "likes",
    "просмотров", "просмотры", "просмотр", "комментариев", "комментарии", "комментарий", "прочитано",
    "көрілім", "көрілді", "қаралды", "пікірлер", "пікір", "көрүүлөр", "каралды", "комментарийлер",
    "ko'rishlar", "koʻrishlar", "ko'rildi", "koʻrildi", "izohlar", "kўрилди", "кўрилди", "изоҳлар",
    "изохлар", "тамошо", "шарҳҳо", "шарҳ",
    "阅读", "阅读数", "浏览", "浏览次数", "点击", "点击数", "评论",
)  # fmt: skip

_SEP = r"\s*(?:[:：|»>\u2014\u2013]|-(?=\s))\s*"
_LABEL = "|".join(re.escape(label) for label in sorted(RELATED_LABELS, key=len, reverse=True))
# Labels so plainly a link's that no separator is needed ("Читайте также Рогунская ГЭС ..."); not
# English, where "Also read by millions, ..." is prose.
BARE_LABELS = (
    "читайте также", "читайте еще", "читайте ещё", "смотрите также", "сондай-ақ оқыңыз", "тағы оқыңыз",
    "ошондой эле окуңуз", "дагы окуңуз", "shuningdek o'qing", "shuningdek oʻqing", "shuningdek o‘qing",
    "шунингдек ўқинг", "инчунин хонед", "ҳамчунин хонед", "相关阅读", "延伸阅读", "相关链接", "推荐阅读",
    "更多阅读",
)  # fmt: skip
_CJK = re.compile(f"[{CJK}]")
# A label alone (perhaps with its separator), or a label, its separator and what follows.
_ALONE = re.compile(rf"^\W*(?:{_LABEL})\W*$", re.I)
_LABELLED = re.compile(rf"^\W*(?:{_LABEL}){_SEP}(?P<rest>.+)$", re.I)
_BARE = "|".join(re.escape(label) for label in sorted(BARE_LABELS, key=len, reverse=True))
_BARE_LABELLED = re.compile(rf"^\W*(?:{_BARE})\s*(?P<rest>.+)$", re.I)  # "相关报道称" is prose: not here
_WORDS = "|".join(re.escape(w) for w in sorted(COUNTER_WORDS, key=len, reverse=True))
_COUNTER = re.compile(rf"(?:{_WORDS})(?:\s+\w+)?\s*[:：]?\s*\d[\d\s,.]*(?:[kKкКmM万](?!\w))?", re.I)
_FIRST_WORD = re.compile(r"[^\W_]")
_SENTENCE_END = re.compile(r"[.!?…。！？]\s+\S")
HEADLINE_WORDS = 30  # what follows a label is a headline up to this many words (a CJK character: a third)


def _words(text: str) -> float:
    cjk = len(_CJK.findall(text))
    return len(_CJK.sub(" ", text).split()) + cjk / 3


def is_counter(line: str) -> bool:
    """A line made only of counters ("Просмотров: 1341 Комментариев: 0", "阅读 1.2万")."""
    first = _FIRST_WORD.search(line)  # a counter's word starts the line's words, or it is no counter
    if first is None or not _COUNTER.match(line, first.start()):
        return False
    rest = _COUNTER.sub(" ", line)
    return not re.sub(r"[\W_]+", "", rest)


def is_related(line: str) -> bool:
    """A label alone, or a label, its separator and one headline (not a prose paragraph)."""
    stripped = line.strip().removeprefix("- ").strip()
    if not stripped:
        return False
    if _ALONE.match(stripped):
        return True
    m = _LABELLED.match(stripped) or _BARE_LABELLED.match(stripped)
    if m is None:
        return False
    rest = m.group("rest").strip()
    return _words(rest) <= HEADLINE_WORDS and len(_SENTENCE_END.findall(rest)) <= 1


def without_related_lines(text: str) -> str:
    """`text` without its related-link and counter lines; a label alone takes the list under it
    ("- " items) with it. A text that would lose every line is left as it was."""
    raws = text.splitlines()
    drop = [False] * len(raws)
    in_list = False
    for i, raw in enumerate(raws):
        bare = raw.strip()
        if in_list and bare.startswith("- "):
            drop[i] = True
            continue
        in_list = False
        if not bare:
            continue
        if is_counter(bare) or is_related(bare):
            drop[i] = True
            in_list = bool(_ALONE.match(bare.removeprefix("- ").strip()))
    if not any(drop) or all(d or not r.strip() for d, r in zip(drop, raws, strict=True)):
        return text
    return "\n".join(r for r, d in zip(raws, drop, strict=True) if not d)
