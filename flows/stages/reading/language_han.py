"""Chinese by its script: Han text with no Hangul and no kana is Chinese, whatever Latin words it carries.

langdetect reads Han characters through n-gram profiles in which Korean (with Hanja) and Japanese
share many of them; on Traditional characters it often answers `ko` with probability 0.99999 for
text without a single Hangul letter, and a Chinese paragraph with a few Latin names (`伊斯坦布尔
国家交响乐团 (Istanbul State Symphony Orchestra)`) comes out as vi, ca or no. The script settles it:
Korean is written with Hangul, Japanese with kana, Chinese with neither.

Traditional (`zh-tw`) or Simplified (`zh-cn`): hanzidentifier's character sets (from CC-CEDICT),
counted per character: more characters only Traditional has than characters only Simplified has
is `zh-tw`. A text in characters the two share is `zh-cn`.
"""

from __future__ import annotations

import re

from hanzidentifier import helpers

from flows.text import CJK_RANGES, python_class

_HAN = re.compile(f"[{python_class(CJK_RANGES)}]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff]")
_KANA = re.compile(r"[\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fd-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_OTHER_WORD = re.compile(r"[^\W\d_\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]+")

HAN_PER_WORD = 1.5  # Chinese characters per word, as relevance counts them
MIN_HAN = 4
# Chinese when its characters, counted as words, are at least this share of the other words
HAN_SHARE = 0.5

_TRADITIONAL_ONLY = frozenset(helpers.TRADITIONAL_CHARACTERS) - frozenset(helpers.SIMPLIFIED_CHARACTERS)
_SIMPLIFIED_ONLY = frozenset(helpers.SIMPLIFIED_CHARACTERS) - frozenset(helpers.TRADITIONAL_CHARACTERS)


def variant(text: str) -> str:
    """`zh-tw` when more of the characters are Traditional-only than Simplified-only, else `zh-cn`."""
    traditional = simplified = 0
    for ch in text:
        if ch in _TRADITIONAL_ONLY:
            traditional += 1
        elif ch in _SIMPLIFIED_ONLY:
            simplified += 1
    return "zh-tw" if traditional > simplified else "zh-cn"


def han_language(text: str) -> str | None:
    """`zh-cn` or `zh-tw` for Chinese text (Han, no Hangul, no kana, Han the main script); else None."""
    han = len(_HAN.findall(text))
    if han < MIN_HAN or _HANGUL.search(text) or _KANA.search(text):
        return None
    other_words = len(_OTHER_WORD.findall(_HAN.sub(" ", text)))
    if han / HAN_PER_WORD < HAN_SHARE * other_words:
        return None
    return variant(text)
