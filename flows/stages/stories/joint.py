"""Countries that act together, which the per-country evidence of relevance.py undercounts. Pure.

relevance.py weighs a country named in a list of the region's countries down (a passing "Kazakhstan,
Kyrgyzstan and Uzbekistan" is not what a story is about) and drops one named only as a venue. Two
kinds of story are about every country so named:
- the five acting together: a C5 summit, a joint declaration of the five heads of state. The
  title or lead says so (summit, declaration, heads of state, C5), and four or five of the
  countries are named, or "the five" are (中亚五国, пяти стран Центральной Азии): every one of
  them named anywhere in the story counts, even in a list or as the venue;
- a cross-border project named by its ends, China–Kyrgyzstan–Uzbekistan railway: names joined by
  dashes, with a project word in the same sentence.
A country named only where others met stays dropped: neither rule looks at venues.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

_JOINT = re.compile(
    r"summit|саммит|sammit|самит|峰会|元首|heads? of state|глав\w* государств|мемлекет басшы|мамлекет башчы"
    r"|davlat rahbar|declaration|декларац|deklaratsiya|bayonnoma|宣言|\bC5\b|консультативн\w* встреч"
    r"|consultative meeting|маслаҳат|five presidents|пят\w* президент|бес президент|беш президент",
    re.IGNORECASE,
)
_THE_FIVE = re.compile(
    r"\bC5\b|中亚五国|five (?:Central Asian|countries of Central Asia|nations of Central Asia|presidents)"
    r"|Central Asia(?:n)? Five|пят\w* (?:стран|государств|президент)\w* Центральн\w* Азии|пят\w* президент"
    r"|Орталық Азия\w* бес|бес мемлекет|Борбордук Азия\w* беш|беш мамлекет|Markaziy Osiyo\w* besh|besh davlat",
    re.IGNORECASE,
)
_PROJECT = re.compile(
    r"railway|railroad|rail line|pipeline|highway|road|corridor|power line|transmission line|canal"
    r"|железн\w* дорог|магистрал|газопровод|нефтепровод|трубопровод|автодорог|трасс|коридор|ЛЭП|линии электропередачи"
    r"|темір жол|темир жол|temir yo'l|temir yo‘l|gaz quvur|жол|铁路|公路|管道|输电|走廊",
    re.IGNORECASE,
)
_DASH_BETWEEN = re.compile(r"[^\W\d_]+(?:\s+[^\W\d_]+)?\s*[-–—‐]\s*", re.UNICODE)
_SENTENCE = re.compile(r"[^.!?。！？\n]+")
MIN_NAMED = 4


def acting_together(
    title: str, lead: str, named: set[str], region: Sequence[str], text: str = ""
) -> list[str]:
    """When the title or lead tells of the five acting together: all of `region` (the profile's
    countries) if "the five" are named as such, else those of them named anywhere (`named`,
    four at least); otherwise []."""
    head = f"{title}\n{lead}"
    if not _JOINT.search(head):
        return []
    if _THE_FIVE.search(head) or _THE_FIVE.search(text):
        return list(region)  # 中亚五国元首, the five presidents: each of them, named or not
    if len(named & set(region)) >= MIN_NAMED:
        return [c for c in region if c in named]  # each named somewhere, in a list or as the venue
    return []


def project_ends(text: str, hits: Sequence[tuple[str, int]], region: Sequence[str]) -> set[str]:
    """The region's countries named as ends of a project: `hits` are (target, offset) in `text`,
    in order; a dash between two consecutive names, and a project word in their sentence."""
    ends: set[str] = set()
    for (first, a), (second, b) in pairwise(hits):
        if not _DASH_BETWEEN.fullmatch(text, a, b):
            continue
        sentence = next((m for m in _SENTENCE.finditer(text) if m.start() <= a < m.end()), None)
        if sentence is not None and _PROJECT.search(sentence.group()):
            ends.update(code for code in (first, second) if code in region)
    return ends
