"""Stopwords: the words a query does not search for (`the`, `и`, `және`), in every language at once.

A query carries no language, so a word is a stopword if it is one in any of the lists below; a
word in capitals (US, WHO, IT) is an abbreviation, never a stopword. Inside quotes nothing is
dropped: a phrase is matched as written, and a quoted stopword is searched for.

English and Russian come from the `stopwords` package (ISC): its English list is Snowball's (175
words, as Lucene and Elasticsearch use); its Russian list is longer and holds a few words news is
searched for (год, люди, мира, сказал...), which are taken out below. The lists of the region's
Turkic languages and Tajik are our own and short (no package ships them): conjunctions,
postpositions, pronouns and particles only. The far larger stopwords-iso lists were not taken:
their English one holds `new`, `world`, `state`, `states`, `us` and `bill`.
"""

from __future__ import annotations

import functools

import stopwords as stopword_lists  # type: ignore[import-untyped]

# in the package's Russian list, but words an analyst searches for
_RUSSIAN_KEPT = frozenset(
    [
        "год",
        "года",
        "году",
        "лет",
        "день",
        "время",
        "времени",
        "жизнь",
        "люди",
        "человек",
        "мира",
        "имя",
        "дел",
        "сказал",
        "сказала",
        "сказать",
        "говорил",
        "говорит",
        "миллионов",
        "процентов",
        "тысяч",
        "сегодня",
        "начала",
    ]
)
OWN = {
    "kk": "және мен бен пен да де та те бұл осы сол ол олар оның үшін деп бойынша туралы арқылы"
    " немесе бірақ ал еді екен ма ме ба бе па пе әр тағы сияқты дейін кейін соң",
    "ky": "жана менен бирок үчүн боюнча жөнүндө аркылуу же бул ошол ал алар анын деп дагы эле эмес"
    " болуп сыяктуу чейин кийин",
    "uz": "va bilan uchun ham bu shu u ular uning esa yoki lekin ammo biroq deb boʻyicha haqida orqali"
    " kabi edi emas ва билан учун ҳам бу шу у улар унинг эса ёки лекин аммо бироқ деб бўйича ҳақида"
    " орқали каби эди эмас",
    "tg": "ва бо дар аз ба барои ки ин он то ҳам низ ё аммо вале чун агар аст мебошад",
    "tk": "we bilen üçin hem bu şu ol olar onuň ýa ýöne emma barada boýunça arkaly ýaly diýip",
}


@functools.cache
def stopwords() -> frozenset[str]:
    """Every list's words, lower-cased."""
    words = set(stopword_lists.get_stopwords("english"))
    words |= set(stopword_lists.get_stopwords("russian")) - _RUSSIAN_KEPT
    for own in OWN.values():
        words.update(own.split())
    return frozenset(w.strip().lower() for w in words if w.strip())


def is_stopword(token: str, written: str | None = None) -> bool:
    """Whether a query token (lower-cased) is not searched for; `written` is the word as the
    query wrote it: in capitals it is an abbreviation (US, WHO), searched for."""
    if written is not None and len(written) > 1 and written.isupper():
        return False
    return token in stopwords()
