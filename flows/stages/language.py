"""Language: the region's own languages recognised first, then langdetect (seeded) for the rest.

langdetect has no model for Kazakh, Kyrgyz, Tajik, Turkmen, Uzbek, Azerbaijani or Mongolian and
calls them ru, bg, mk, tr and the like. We recognise those seven by their own letters and their
frequent words, in Cyrillic and Latin script, and compare that evidence with the same kind of
evidence for their look-alikes (Russian, Bulgarian, Macedonian, Ukrainian, Belarusian, Turkish,
English): a Russian article quoting a Kazakh name stays Russian, a Turkish one stays Turkish.
Anything we do not claim keeps langdetect's answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from langdetect import DetectorFactory, LangDetectException
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.language import Language
from langdetect.utils.ngram import NGram
from langdetect.utils.unicode_block import unicode_block

# The answer is settled within the first few hundred words; langdetect's cost grows with the text.
SAMPLE_CHARS = 1200

REGIONAL = frozenset({"kk", "ky", "tg", "tk", "uz"})
OWN = REGIONAL | {"az", "mn", "be"}  # what langdetect cannot name and we can

# Every apostrophe-like mark (Uzbek oʻ gʻ and the tutuq belgisi ʼ are typed many ways) becomes "'".
_APOSTROPHES = str.maketrans(dict.fromkeys("ʻʼ‘’`´ʹ′ꞌ＇", "'"))
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff\u0500-\u052f]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
# Uzbek oʻ/gʻ inside a lower-case word (not O'Brien, which has a capital after the mark)
_LONG_VOWEL = re.compile(r"(аа|оо|уу|үү|өө|ээ)")
_UZ_OG = re.compile(r"(?:(?<=[^\W\d_])|(?<![^\W\d_]))[oOgG]'[a-z]")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Frequent words: function words and the commonest verbs and nouns of news text. A word listed
# for two languages votes for both (split), so shared words decide nothing by themselves.
FUNCTION_WORDS: dict[str, dict[str, frozenset[str]]] = {
    "cyrl": {
        "kk": _words(
            "және мен бұл үшін деп бойынша туралы еді емес осы жылы болып сондай-ақ оның олар біз бір "
            "ретінде арқылы кейін дейін бірақ қазір тағы жаңа мұнда сол атты көп жылдың шейін кезде "
            "сайын барлық бүгін елде елдің мемлекет қазақ қазақстан қазақстанның қазақстанда ал "
            "жөнінде екенін болды болады жатыр керек деді айтты жасады сияқты тиіс кезінде бірге "
            "мүмкін тек өз өзі біздің сіз оны ол еліміздің ғана әлі әр"
            " жаңа үлкен халықаралық үкімет министр министрлігі кездесу кездесті қол қойды жарлық заң жоба ынтымақтастық сапар тенге облысы қаласы ауданы тұрғындары жұмыс жұмысы бағасы өсті ашылды"
        ),
        "ky": _words(
            "жана менен үчүн бул боюнча тууралуу болуп анын алар бир катары аркылуу кийин чейин бирок "
            "азыр дагы жаңы ошол көп учурда эле эмес жок бар деп деди айтты болот болгон керек "
            "кыргыз кыргызстан кыргызстандын кыргызстанда мамлекеттик өлкө өлкөнүн бүгүн ошондой эле "
            "тарабынан менен биз сиз өз мындай андан ошондо жылы жылдын жатат экенин берет келет"
            " жаңы чоң эл аралык өкмөт министр министрлиги жолугушуу жолукту кол койду жарлык мыйзам долбоор кызматташтык сапар сом облусу шаары шаарында району тургундары иш баасы ачылды улам нече калды жардам көрсөтүп жатышат кызматкерлери мурда азыркы учурда"
        ),
        "tg": _words(
            "ва дар аз ба ки бо барои ин он мебошад шуд буд мекунад кард низ то ҳам чун баъд пас "
            "дорад гуфт шудааст карда мешавад намуда гардид бояд агар вале аммо як худ онҳо мо шумо "
            "вай ӯ имрӯз сол соли тоҷикистон тоҷикистони ҷумҳурии ҳукумати давлати байни зиёда "
            "мешаванд менамояд намоянд гуфтааст шуданд буданд кунад карданд ҳамчун инчунин"
            " нав калон байналмилалӣ ҳукумат вазир вазорати мулоқот вохӯрӣ имзо фармон қонун лоиҳа ҳамкорӣ сафар сомонӣ вилояти шаҳри ноҳияи сокинон кор нархи нон боло рафт омад дод кишвар кишвари мардум раиси ҷонибҳо"
        ),
        "uz": _words(
            "ва билан учун бу ҳам бўйича деб бўлиб эса ҳамда бўлган қилиш этди орқали кейин йил йилда "
            "мазкур ушбу бўлди керак ўз қилинди ҳақида яна лекин аммо бироқ шунингдек бир улар унинг "
            "ўзбекистон ўзбекистонда ўзбекистоннинг президенти давлат бўлади этилди қилди айтди "
            "экан эмас йўқ бор ҳали барча ёки"
            " янги катта халқаро ҳукумат вазир вазирлиги учрашув учрашди имзолади фармон қарор қонун лойиҳа ҳамкорлик ташриф сўм вилояти шаҳри тумани аҳолиси иш нархи ошди очилди тошкент тошкентда раиси хорижий мамлакат томонидан"
        ),
        "tk": _words("ве билен үчин хем боюнча дийип болуп эден этди соң йыл йылда түркменистан"),
        "ru": _words(
            "и в не на что с по это как из для он она а от о к года который которая которые также "
            "при его ее был была было были будет или но только уже после во со за у же бы то все "
            "так их этом этого может более если есть сейчас чем том даже когда где того этой ни"
        ),
        "bg": _words(
            "и на за се от да в е че с по са не като това което който която при към ще през след "
            "или но й си бе са също във със него тя те тези беше бяха има които вече още"
        ),
        "mk": _words(
            "и на за се од да во е дека со по не ќе кој која што ги го му тоа како при кон или но "
            "беше биле има исто така веќе уште ова овие"
        ),
        "uk": _words(
            "і та що не у в з на для це як до від про він вона але вже також які який яка його її "
            "було буде є при після або щоб цього цей ця"
        ),
        "be": _words("і у на з што не гэта да для ад як але таксама які якая яго было будзе пры пасля або"),
        "mn": _words(
            "нь юм байна болон энэ тэр бол ба гэж байгаа бөгөөд хамт дээр гэсэн бас гэв оны сарын "
            "өдөр монгол улсын ерөнхийлөгч байсан байх хийх хэлсэн гэдэг мөн"
            " хот хотод улс засгийн газар сайд хурал шинэ их олон"
        ),
    },
    "latn": {
        "uz": _words(
            "va bilan uchun bu ham bo'yicha deb bo'lib esa hamda bo'lgan qilish etdi orqali keyin yil "
            "yilda mazkur ushbu bo'ldi kerak o'z qilindi haqida yana lekin biroq shuningdek ular "
            "uning o'zbekiston o'zbekistonda o'zbekistonning prezidenti davlat bo'ladi etildi qildi "
            "aytdi ekan emas yo'q bor hali barcha yoki mamlakat tomonidan sohasida xalqaro"
            " yangi katta xalqaro hukumat vazir vazirligi uchrashuv uchrashdi imzoladi farmon qaror qonun loyiha hamkorlik tashrif so'm viloyati shahri tumani aholisi ish narxi oshdi ochildi toshkent toshkentda raisi xorijiy"
        ),
        "tk": _words(
            "we bilen üçin hem boýunça diýip bolup eden etdi soň welin ýyl ýylda ýylyň hem-de bolsa "
            "ýaly görä tarapyndan barada şol olar onuň köp bolan türkmenistan türkmenistanyň "
            "türkmenistanda döwlet prezidenti hormatly ýurdumyzyň ýurdumyzda boldy edildi "
            "gatnaşdy geçirildi"
            " täze uly halkara hökümet ministr ministrligi duşuşyk duşuşdy gol çekdi karar kanun taslama hyzmatdaşlyk sapar manat welaýaty şäheri etraby ilat iş bahasy açyldy aşgabat aşgabatda wekiliýeti"
        ),
        "kk": _words(
            "jäne men bul būl üşin dep boiynşa turaly edı emes osy jyly bolyp sondai-aq onyñ olar "
            "retınde arqyly keiın bıraq qazır jaña qazaqstan qazaqstannyñ qazaqstanda memleket "
            "jáne úshin boıynsha býl qazaq memlekettik eldıñ"
            " jaña ülken halyqaralyq ükımet minıstr ministrlıgı kezdesu kezdestı qol qoidy jarlyq zañ joba yntymaqtastyq sapar teñge oblysy qalasy audany tūrğyndary jūmys bağasy östı aşyldy"
        ),
        "az": _words(
            "və bir bu üçün ilə da də olan olaraq edib isə daha çox sonra qədər görə tərəfindən il "
            "ildə həm həmçinin deyib artıq azərbaycan azərbaycanın prezidenti ölkə bildirib"
        ),
        "tr": _words(
            "ve bir bu için ile da de olarak olan gibi daha çok en ama sonra kadar ise değil ne şu her "
            "mi veya tarafından yılında ancak türkiye türkiye'nin dedi oldu ayrıca"
        ),
        "en": _words(
            "the of and to in is for on that with as by at from was said it be are an have has this "
            "will not its were which their who after also been"
        ),
    },
}

# Letters that point at a language (or a few): each word holding one votes for them, split.
LETTERS: dict[str, dict[str, tuple[str, ...]]] = {
    "cyrl": {
        "ә": ("kk",),
        "ұ": ("kk",),
        "һ": ("kk",),
        "і": ("kk", "uk", "be"),
        "ғ": ("kk", "tg", "uz"),
        "қ": ("kk", "tg", "uz"),
        "ң": ("kk", "ky", "tk"),
        "ө": ("kk", "ky", "mn", "tk"),
        "ү": ("kk", "ky", "mn", "tk"),
        "ӣ": ("tg",),
        "ӯ": ("tg",),
        "ҷ": ("tg",),
        "ҳ": ("tg", "uz"),
        "ў": ("uz", "be"),
        "җ": ("tk",),
        "ї": ("uk",),
        "є": ("uk",),
        "ґ": ("uk",),
        "ѓ": ("mk",),
        "ќ": ("mk",),
        "ѕ": ("mk",),
        "ј": ("mk",),
        "љ": ("mk",),
        "њ": ("mk",),
        "џ": ("mk",),
        "ѝ": ("bg",),
        "ы": ("ru", "ky", "kk", "mn", "be"),
        "э": ("ru", "ky", "mn", "be", "kk", "uz"),
        "ъ": ("ru", "bg", "uz"),
        "щ": ("ru", "bg", "uk"),
    },
    "latn": {
        "ä": ("tk", "kk"),
        "ň": ("tk",),
        "ý": ("tk",),
        "ž": ("tk",),
        "ū": ("kk",),
        "ñ": ("kk",),
        "ə": ("az",),
        "ı": ("tr", "az", "kk"),
        "ğ": ("tr", "az", "kk"),
        "ş": ("tr", "az", "tk", "kk"),
        "ç": ("tr", "az", "tk"),
        "q": ("uz", "kk", "az"),
        "x": ("uz", "az", "en"),
        "w": ("tk", "en"),
    },
}


_CYR_CONS = "бвгджзйклмнпрстфхцчшщъьқғҳҷң"
# Word endings that point at a language: (pattern, languages, weight). Case endings of the
# agglutinative languages show up even in a five-word headline with no function word in it.
SUFFIXES: dict[str, list[tuple[re.Pattern[str], tuple[str, ...], float]]] = {
    "cyrl": [
        (re.compile(r"(нинг|даги|моқда|япти|ларни|ларга|лари|ларининг|ади|иши)$"), ("uz",), 0.7),
        (re.compile(rf"[аоу][{_CYR_CONS}]+ди$"), ("uz",), 0.7),  # учрашди, бўлди (Kyrgyz: -ды/-ду)
        (re.compile(r"(нун|нүн|дун|дүн|тун|түн|нын)$"), ("ky",), 0.6),  # genitive, rounded
        (re.compile(r"(лор|лөр|дор|дөр|тор|төр)(у|ү|го|гө|ду|дү|дун|дүн|до|дө)?$"), ("ky",), 0.5),
        (re.compile(rf"[уү][{_CYR_CONS}]+(ду|дү|ту|тү)$"), ("ky",), 0.6),  # жолукту, болду
        (re.compile(r"(до|дө|то|тө)$"), ("ky",), 0.3),
        (re.compile(r"(ында|инде|унда|үндө|ында)$"), ("ky", "kk"), 0.5),
        (re.compile(r"(ышат|ишет|ушат|үшөт)$"), ("ky",), 0.6),
        (re.compile(r"илди$"), ("uz",), 0.6),
        (re.compile(r"(ани|ини|сиз)$"), ("uz",), 0.4),
        (re.compile(r"^(ме|наме)[^\s]{2,}(ад|анд|ам|ем|ед|ем)$"), ("tg",), 0.8),  # мекунад
        (re.compile(r"(ҳо|ҳои|ҳоро|ро|ӣ|ии)$"), ("tg",), 0.4),
        (re.compile(r"(анд|аст|ид)$"), ("tg",), 0.3),
        (re.compile(r"(ийн|ийг|аар|ээр|лаа|лээ|лоо|лөө)$"), ("mn",), 0.6),
        (re.compile(r".э"), ("mn",), 0.5),  # э inside a word: Mongolian; initial only in Russian, Kyrgyz
        (
            re.compile(r"(ого|его|ому|ему|ыми|ими|ться|тся|ость|ение|ения|ании|ется|ются|ых)$"),
            ("ru", "uk"),
            0.4,
        ),
    ],
    "latn": [
        (re.compile(r"(ning|dagi|moqda|yapti|larni|larga|lari|ilgan|ishi)$"), ("uz",), 0.7),
        (re.compile(r"[aou][^aeiouıöüäeýy\s]+di$"), ("uz",), 0.6),
        (re.compile(r"(yor|yordu|yoruz|mış|miş|muş|müş)$"), ("tr",), 0.8),
        (re.compile(r"(daki|deki|taki|teki|sında|sinde)$"), ("tr",), 0.5),
        (re.compile(r"(ib|ub|üb)$"), ("az",), 0.4),
        (re.compile(r"(tion|ment|ness|ing|ed)$"), ("en",), 0.3),
    ],
}


@dataclass(frozen=True)
class Evidence:
    """Votes per language from frequent words and telling letters, and how many words were read."""

    script: str
    votes: dict[str, float]
    words: int

    def best(self) -> list[tuple[str, float]]:
        return sorted(self.votes.items(), key=lambda kv: (-kv[1], kv[0]))


def normalize(text: str) -> str:
    """NFC, one apostrophe, ё as е: the forms the word lists are written in."""
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES)


def _script(text: str) -> str | None:
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    if cyr == 0 and lat == 0:
        return None
    return "cyrl" if cyr >= lat else "latn"


def evidence(text: str) -> Evidence | None:
    """Word and letter votes for the languages of the text's main script (None: neither script)."""
    text = normalize(text)
    script = _script(text)
    if script is None:
        return None
    in_script = _CYRILLIC if script == "cyrl" else _LATIN
    words = [w.lower().replace("ё", "е") for w in _WORD.findall(text) if in_script.match(w)]
    votes: dict[str, float] = defaultdict(float)
    fw = FUNCTION_WORDS[script]
    letters = LETTERS[script]
    suffixes = SUFFIXES[script]
    for word in words:
        owners = [lang for lang, vocab in fw.items() if word in vocab]
        for lang in owners:
            votes[lang] += 1.0 / len(owners)
        seen: set[str] = set()
        for ch in set(word):
            for lang in letters.get(ch, ()):
                seen.add(lang)
        # a word's telling letters add up to one vote, spread over the languages they point to
        for pattern, langs, weight in suffixes:
            if len(word) > 3 and pattern.search(word):
                for lang in langs:
                    votes[lang] += weight / len(langs)
        if seen:
            exclusive = [
                lang for lang in seen if all(lang in letters[ch] for ch in set(word) if ch in letters)
            ]
            target = exclusive or sorted(seen)
            for lang in target:
                votes[lang] += 0.8 / len(target)
    if script == "latn":
        votes["uz"] += 1.0 * len(_UZ_OG.findall(text))
    else:
        # Kyrgyz (and Mongolian) long vowels: тууралуу, бөлүү, жооп
        long_vowels = sum(1 for w in words if _LONG_VOWEL.search(w))
        votes["ky"] += 0.25 * long_vowels
        votes["mn"] += 0.25 * long_vowels
    return Evidence(script, dict(votes), len(words))


# languages we may answer for in each script, and their look-alikes that langdetect knows
_CLAIMS = {"cyrl": ("kk", "ky", "tg", "uz", "tk", "mn", "be"), "latn": ("uz", "tk", "kk", "az")}


def _regional(text: str, hint: str | None) -> str | None:
    ev = evidence(text)
    if ev is None or ev.words == 0:
        return None
    ranked = ev.best()
    if not ranked:
        return None
    top, top_votes = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if hint in _CLAIMS[ev.script] and hint != top:
        # a source's language breaks near-ties, never clear evidence
        hinted = ev.votes.get(hint, 0.0)
        if hinted > 0 and hinted >= 0.8 * top_votes:
            return hint
    if top not in _CLAIMS[ev.script]:
        return None
    # enough votes for the length of the text, and clearly ahead of the next language
    needed = 1.2 if ev.words <= 12 else max(2.0, 0.06 * ev.words)
    if top_votes < needed or top_votes < 1.5 * runner_up:
        return None
    if ev.script == "latn" and ev.votes.get("en", 0.0) >= max(2.0, 0.5 * top_votes):
        return None
    return top


class _CharClasses(dict[str, tuple[str, bool, bool]]):
    """Per character: langdetect's normalised form, and whether it counts as Latin or as
    non-Latin script. langdetect works these out for every character of every text."""

    def __missing__(self, ch: str) -> tuple[str, bool, bool]:
        value = (
            NGram.normalize(ch),
            "A" <= ch <= "z",
            ch >= "\u0300" and unicode_block(ch) != "Latin Extended Additional",
        )
        self[ch] = value
        return value


class _Detector(Detector):  # type: ignore[misc]
    """langdetect's detector with its two per-character loops written tighter: the same n-grams
    and the same answers (tests/test_language.py compares them), in about two thirds the time."""

    chars = _CharClasses()  # a memo of a pure function of the character, shared by every detector
    text: str

    def cleaning_text(self) -> None:
        chars = self.chars
        latin = non_latin = 0
        for ch in self.text:
            _, is_latin, is_other = chars[ch]
            if is_latin:
                latin += 1
            elif is_other:
                non_latin += 1
        if latin * 2 < non_latin:
            self.text = "".join(ch for ch in self.text if ch < "A" or ch > "z")

    def _extract_ngrams(self) -> list[str]:
        chars = self.chars
        known = self.word_lang_prob_map
        result: list[str] = []
        grams = " "
        capital = False
        for raw in self.text:
            ch = chars[raw][0]
            last = grams[-1]
            if last == " ":
                grams = " "
                capital = False
                if ch == " ":
                    continue
            elif len(grams) >= NGram.N_GRAM:
                grams = grams[1:]
            grams += ch
            if ch.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            for n in range(1, min(len(grams), NGram.N_GRAM) + 1):
                gram = grams[-n:]
                if gram != " " and gram in known:
                    result.append(gram)
        return result


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    """langdetect's profiles, loaded once per process; seeded, so one text gets one answer."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


def detect_langs(text: str) -> list[Language]:
    """langdetect's ranked guesses for `text`."""
    detector = _Detector(_factory())
    detector.append(text)
    return list(detector.get_probabilities())


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of `text` (langdetect's zh-cn/zh-tw kept); the same text always gets the same answer."""
    sample = text[:SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < 3:
        return hint
    own = _regional(sample, hint)
    if own:
        return own
    try:
        langs = detect_langs(sample)
    except LangDetectException:
        return hint
    return langs[0].lang if langs else hint


# --- issue 20: every language code the pipeline can give an article (config and search check
# theirs against it): langdetect's profiles, the ones we recognise ourselves, Tatar and Bashkir,
# and `zh`, the family code a source or a topic may name (it covers zh-cn and zh-tw).
_LANGDETECT_TABLE = (
    "af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr ne nl"
    " no pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh-cn zh-tw"
)
LANGDETECT_CODES = frozenset(_LANGDETECT_TABLE.split())
LANGUAGE_CODES: frozenset[str] = LANGDETECT_CODES | OWN | {"tt", "ba", "zh", "zh-cn", "zh-tw"}
