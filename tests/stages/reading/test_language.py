"""Language recognition on texts written for these tests: the region's languages in both scripts,
short headlines, and the look-alikes that must keep langdetect's answer."""

from __future__ import annotations

import os

import pycld2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.stages.reading.language import OWN, _clear_cld2, detect_language, evidence, normalize

SAMPLES: list[tuple[str, str]] = [
    # --- Kazakh, Cyrillic --------------------------------------------------------------------
    ("kk", "Тоқаев Қытай төрағасымен кездесті"),
    ("kk", "Алматыда жаңа метро бекеті ашылды"),
    ("kk", "Қазақстанда бензин бағасы тағы өсті"),
    (
        "kk",
        "Мемлекет басшысы Қасым-Жомарт Тоқаев Астанада шетелдік инвесторлармен кездесті. Кездесу "
        "барысында тараптар энергетика және көлік салаларындағы ынтымақтастықты талқылады. Президент "
        "елімізде инвесторлар үшін барлық жағдай жасалатынын айтты.",
    ),
    (
        "kk",
        "Ауыл шаруашылығы министрлігінің мәліметінше, биыл егін жинау науқаны мерзімінен бұрын "
        "аяқталды. Солтүстік өңірлерде бидайдың шығымы өткен жылмен салыстырғанда жоғары болды, деп "
        "хабарлады ведомство.",
    ),
    (
        "kk",
        "Үкімет отырысында Премьер-министр Олжас Бектенов жылу беру маусымына дайындық туралы "
        "баяндама тыңдады. Бірқатар қалаларда жылу электр орталықтарын жөндеу жұмыстары әлі "
        "аяқталмаған.",
    ),
    # --- Kazakh, Latin (2021 alphabet) --------------------------------------------------------
    ("kk", "Qazaqstan men Qytai arasyndağy sauda kölemı artty"),
    (
        "kk",
        "Memleket basşysy Qasym-Jomart Toqaev Astanada şeteldık investorlarmen kezdestı. Kezdesu "
        "barysynda taraptar energetika jäne kölık salalaryndağy yntymaqtastyqty talqylady.",
    ),
    (
        "kk",
        "Bıyl Qazaqstanda egın jinau nauqany merzımınen būryn aiaqtaldy. Soltüstık öñırlerde "
        "bidaidyñ şyğymy ötken jylmen salystyrğanda joğary boldy, dep habarlady ministrlık.",
    ),
    # --- Kyrgyz -------------------------------------------------------------------------------
    ("ky", "Жапаров Бишкекте кытайлык инвесторлор менен жолукту"),
    ("ky", "Ошто жаңы оорукана ачылды"),
    ("ky", "Кыргызстанда электр энергиясынын баасы көтөрүлөт"),
    (
        "ky",
        "Президент Садыр Жапаров бүгүн Бишкекте Кытайдын тышкы иштер министри менен жолукту. "
        "Жолугушууда тараптар соода-экономикалык кызматташтыкты өнүктүрүү маселелерин талкуулашты. "
        "Жапаров эки өлкөнүн ортосундагы мамилелер жогорку деңгээлде экенин белгиледи.",
    ),
    (
        "ky",
        "Жогорку Кеңештин депутаттары жаңы салык кодексин биринчи окууда кабыл алышты. Мыйзам "
        "долбооруна ылайык, чакан ишкерлер үчүн салык жеңилдиктери сакталат, деп билдирди "
        "парламенттин басма сөз кызматы.",
    ),
    (
        "ky",
        "Ош шаарында жаан-чачындан улам бир нече көчө суу астында калды. Өзгөчө кырдаалдар "
        "министрлигинин кызматкерлери жергиликтүү тургундарга жардам көрсөтүп жатышат.",
    ),
    # --- Tajik --------------------------------------------------------------------------------
    ("tg", "Раҳмон бо раиси Чин мулоқот кард"),
    ("tg", "Дар Душанбе нархи нон боло рафт"),
    ("tg", "Тоҷикистон ва Қирғизистон дар бораи сарҳад созиш карданд"),
    (
        "tg",
        "Президенти Ҷумҳурии Тоҷикистон Эмомалӣ Раҳмон дар Душанбе бо ҳайати тиҷоратии Чин "
        "мулоқот намуд. Дар ҷараёни вохӯрӣ ҷонибҳо масъалаҳои ҳамкорӣ дар соҳаи энергетика ва "
        "нақлиётро баррасӣ карданд.",
    ),
    (
        "tg",
        "Вазорати корҳои хориҷӣ иттилоъ дод, ки вазири корҳои хориҷии кишвар ба Маскав сафар "
        "мекунад. Дар ин сафар ӯ бо ҳамтои русаш дар бораи вазъи муҳоҷирони меҳнатӣ гуфтугӯ хоҳад кард.",
    ),
    (
        "tg",
        "Сохтмони нерӯгоҳи барқи обии Роғун идома дорад. Ба гуфтаи масъулон, агрегати сеюм соли "
        "оянда ба кор андохта мешавад ва истеҳсоли барқ дар кишвар зиёд хоҳад шуд.",
    ),
    # --- Turkmen ------------------------------------------------------------------------------
    ("tk", "Türkmenistanyň Prezidenti Hytaýyň wekiliýeti bilen duşuşdy"),
    ("tk", "Aşgabatda täze söwda merkezi açyldy"),
    ("tk", "Türkmen gazy Hytaýa has köp iberiler"),
    (
        "tk",
        "Türkmenistanyň Prezidenti Serdar Berdimuhamedow Aşgabatda Hytaý Halk Respublikasynyň "
        "wekiliýetini kabul etdi. Duşuşykda taraplar energetika we ulag ulgamlaryndaky hyzmatdaşlygy "
        "ara alyp maslahatlaşdylar.",
    ),
    (
        "tk",
        "Ýurdumyzda pagta ýygymy üstünlikli dowam edýär. Daşoguz we Lebap welaýatlarynyň "
        "daýhanlary meýilnamany möhletinden öň ýerine ýetirmek üçin yhlas edýärler.",
    ),
    (
        "tk",
        "Türkmenistanyň Daşary işler ministrligi Owganystan bilen serhetdäki ýagdaý barada "
        "maglumat berdi. Ministrligiň habaryna görä, iki ýurduň arasynda söwda dowam edýär.",
    ),
    # --- Uzbek, Latin (every apostrophe variant) ----------------------------------------------
    ("uz", "Mirziyoyev Xitoy raisi bilan uchrashdi"),
    ("uz", "Toshkentda yangi metro bekati ochildi"),
    ("uz", "Oʻzbekistonda benzin narxi yana oshdi"),
    ("uz", "O'zbekiston va Qozog'iston chegarasida yangi postlar ochiladi"),
    ("uz", "O‘zbekiston bilan Xitoy o‘rtasidagi savdo hajmi o‘sdi"),
    ("uz", "O`zbekiston Respublikasi Prezidenti farmon imzoladi"),
    (
        "uz",
        "Oʻzbekiston Respublikasi Prezidenti Shavkat Mirziyoyev Toshkentda xorijiy investorlar bilan "
        "uchrashdi. Uchrashuvda tomonlar energetika va transport sohalaridagi hamkorlikni muhokama "
        "qildilar. Prezident mamlakatda investorlar uchun barcha sharoitlar yaratilishini taʼkidladi.",
    ),
    (
        "uz",
        "Qishloq xo'jaligi vazirligi ma'lumotiga ko'ra, bu yil paxta terimi muddatidan oldin "
        "yakunlandi. Farg'ona vodiysida hosildorlik o'tgan yilga nisbatan yuqori bo'ldi.",
    ),
    # --- Uzbek, Cyrillic ----------------------------------------------------------------------
    ("uz", "Мирзиёев Хитой раиси билан учрашди"),
    ("uz", "Тошкентда янги метро бекати очилди"),
    (
        "uz",
        "Ўзбекистон Республикаси Президенти Шавкат Мирзиёев Тошкентда хорижий инвесторлар билан "
        "учрашди. Учрашувда томонлар энергетика ва транспорт соҳаларидаги ҳамкорликни муҳокама "
        "қилдилар.",
    ),
    (
        "uz",
        "Қишлоқ хўжалиги вазирлиги маълумотига кўра, бу йил пахта терими муддатидан олдин якунланди. "
        "Фарғона водийсида ҳосилдорлик ўтган йилга нисбатан юқори бўлди.",
    ),
    # --- one news item in many languages: confusable short headlines ------------------------------
    ("kk", "Ұлттық банк базалық мөлшерлемені өзгеріссіз қалдырды"),
    ("ky", "Өкмөт башчысы айыл чарба министрине тапшырма берди"),
    ("tg", "Бонки миллӣ меъёри бозтамвилкуниро бетағйир гузошт"),
    ("tk", "Merkezi bank milli walýutanyň hümmetini üýtgetmedi"),
    ("uz", "Markaziy bank asosiy stavkani o‘zgarishsiz qoldirdi"),
    ("uz", "Марказий банк асосий ставкани ўзгаришсиз қолдирди"),
    ("tr", "Merkez Bankası politika faizini sabit bıraktı"),
    ("az", "Mərkəzi Bank uçot dərəcəsini dəyişməz saxlayıb"),
    ("mn", "Монголбанк бодлогын хүүг өөрчлөхгүй хэвээр үлдээлээ"),
    ("bg", "Българската народна банка запази основния лихвен процент непроменен."),
    ("ru", "Национальный банк Казахстана сохранил базовую ставку на уровне 14,25%."),
    # --- Russian, including texts that quote the region's names --------------------------------
    ("ru", "Токаев встретился с председателем КНР"),
    ("ru", "В Ташкенте открылась новая станция метро"),
    (
        "ru",
        "Президент Казахстана Касым-Жомарт Токаев провел переговоры с председателем КНР. "
        "Стороны обсудили строительство железной дороги и поставки газа, сообщила пресс-служба Акорды.",
    ),
    (
        "ru",
        "Глава государства Қасым-Жомарт Тоқаев, как сообщает Ақорда, подписал закон о бюджете на "
        "следующий год. Документ предусматривает рост расходов на образование и здравоохранение, "
        "а также новые меры поддержки малого бизнеса в регионах страны.",
    ),
    (
        "ru",
        "В Москве прошло заседание правительства, на котором обсуждались меры по снижению инфляции. "
        "Министр финансов заявил, что бюджет будет исполнен без дефицита.",
    ),
    (
        "ru",
        "Жители Бишкека пожаловались на смог. По словам экологов, основной источник загрязнения — "
        "угольные котельные и старые автомобили. Мэрия обещает перевести частный сектор на газ.",
    ),
    # --- Bulgarian, Macedonian, Ukrainian, Mongolian: not the region's languages ---------------
    (
        "bg",
        "Правителството одобри проектобюджета за следващата година. Финансовият министър каза, че "
        "дефицитът ще бъде под три процента и че заплатите в държавния сектор ще се увеличат.",
    ),
    (
        "mk",
        "Владата денеска ја одобри новата стратегија за енергетика. Министерот изјави дека "
        "инвестициите во обновливи извори ќе се зголемат во наредните години.",
    ),
    (
        "uk",
        "Уряд схвалив проєкт державного бюджету на наступний рік. Міністр фінансів заявив, що "
        "дефіцит не перевищить трьох відсотків, а зарплати вчителів зростуть.",
    ),
    (
        "mn",
        "Монгол Улсын Ерөнхийлөгч Улаанбаатар хотод Хятадын төлөөлөгчдийг хүлээн авч уулзлаа. "
        "Уулзалтын үеэр хоёр улсын худалдаа, эдийн засгийн хамтын ажиллагааны асуудлыг ярилцсан юм.",
    ),
    (
        "mn",
        "Улаанбаатар хотод шинэ эмнэлэг ашиглалтад орлоо. Эмнэлэг нь өдөрт мянга гаруй өвчтөн хүлээн авах боломжтой юм.",
    ),
    # --- Turkish and Azerbaijani: not Uzbek or Turkmen ---------------------------------------
    ("tr", "Cumhurbaşkanı Ankara'da Özbekistan heyetini kabul etti"),
    (
        "tr",
        "Türkiye ile Kazakistan arasındaki ticaret hacmi geçen yıl yüzde yirmi arttı. Ticaret "
        "Bakanı, iki ülkenin yeni bir serbest ticaret anlaşması için görüşmelere başladığını söyledi.",
    ),
    (
        "tr",
        "İstanbul'da düzenlenen forumda enerji ve ulaştırma alanında işbirliği konuşuldu. Bakan, "
        "Orta Koridor projesinin bölge için büyük önem taşıdığını belirtti.",
    ),
    (
        "az",
        "Azərbaycan Prezidenti İlham Əliyev Bakıda Özbəkistan nümayəndə heyətini qəbul edib. Görüşdə "
        "iki ölkə arasında ticarət və nəqliyyat sahəsində əməkdaşlıq müzakirə olunub.",
    ),
    ("az", "Bakıda yeni metro stansiyası açıldı və sərnişinlər üçün pulsuz xidmət göstərilir"),
    # --- English and Chinese --------------------------------------------------------------------
    ("en", "Kazakhstan's president meets Chinese leader in Astana"),
    (
        "en",
        "Uzbekistan's parliament passed a law on Tuesday that allows foreign investors to own "
        "farmland for the first time, officials in Tashkent said.",
    ),
    (
        "en",
        "Officials in Bishkek said the new Qosh-Tepa canal would reduce water flows, while "
        "O'Brien, an analyst, said talks were still possible.",
    ),
    ("zh-cn", "哈萨克斯坦总统托卡耶夫在阿斯塔纳会见中国国务院副总理，双方就能源合作交换意见。"),
    ("zh-cn", "中国—中亚峰会在西安举行，五国元首出席会议并签署联合宣言。"),
]


@pytest.mark.parametrize(
    ("expected", "text"), SAMPLES, ids=[f"{i:02d}-{e}" for i, (e, _) in enumerate(SAMPLES)]
)
def test_every_sample_gets_its_language(expected: str, text: str) -> None:
    assert detect_language(text) == expected


def test_every_language_of_the_brief_is_covered() -> None:
    langs = {lang for lang, _ in SAMPLES}
    assert {"kk", "ky", "tg", "tk", "uz", "ru", "en", "zh-cn", "tr", "az", "mn", "bg", "mk"} <= langs
    for lang in ("kk", "ky", "tg", "tk", "uz"):
        short = [t for lg, t in SAMPLES if lg == lang and len(t.split()) <= 8]
        assert len(short) >= 2, lang


def test_deterministic() -> None:
    text = "Правительство одобрило проект бюджета на следующий год."
    assert len({detect_language(text) for _ in range(5)}) == 1


def test_hint_only_breaks_ties() -> None:
    # too little text to tell: the hint answers
    assert detect_language("12 3", "kk") == "kk"
    # clear Russian stays Russian whatever the source says
    russian = "Президент подписал указ о создании новой комиссии по вопросам экономики и бюджета."
    assert detect_language(russian, "kk") == "ru"
    # a Kyrgyz/Kazakh near-tie goes the hinted way
    assert detect_language("Көлөкө өлкө үчүн", "ky") == "ky"


def test_apostrophe_variants_are_one_letter() -> None:
    forms = ["Oʻzbekiston", "O'zbekiston", "O‘zbekiston", "O’zbekiston", "O`zbekiston", "Oʼzbekiston"]
    assert {normalize(f) for f in forms} == {"O'zbekiston"}


def test_evidence_separates_kazakh_from_kyrgyz() -> None:
    kk = evidence("Бұл жаңалық барлық қазақстандықтар үшін маңызды және қызықты")
    ky = evidence("Бул жаңылык бардык кыргызстандыктар үчүн маанилүү жана кызыктуу")
    assert kk is not None and ky is not None
    assert kk.votes["kk"] > kk.votes.get("ky", 0) and ky.votes["ky"] > ky.votes.get("kk", 0)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_code_or_the_hint(text: str) -> None:
    code = detect_language(text, "en")
    assert code is None or (2 <= len(code) <= 5 and code.islower())


def test_own_languages_listed() -> None:
    assert {"kk", "ky", "tg", "tk", "uz", "az", "mn"} <= OWN


_SCRIPTS = st.sampled_from(
    [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
        "әғқңөұүһіӘҒҚҢӨҰҮҺІ",
        "çğışöüÇĞİŞÖÜșțăâîàéèêëïôœÀÉ",
        "中文测试新闻哈萨克斯坦乌兹别克",
        "ひらがなカタカナ한국어",
        "  .,;:!?-—–«»\"'()0123456789\n\t@/",
        "\u2010\u2019\u201c\u00a0\u0300\u1ea0\u1ef9",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_SCRIPTS, st.integers(1, 40), st.randoms(use_true_random=False)), max_size=12))
def test_our_detector_matches_langdetects_own(parts: list[tuple[str, int, object]]) -> None:
    """flows.stages.reading.language._Detector only rewrites langdetect's per-character loops: same n-grams, same answer."""
    from langdetect.detector import Detector
    from langdetect.lang_detect_exception import LangDetectException

    from flows.stages.reading.language import _Detector, _factory

    text = "".join("".join(rnd.choice(alphabet) for _ in range(n)) for alphabet, n, rnd in parts)  # type: ignore[attr-defined]
    ours, theirs = _Detector(_factory()), Detector(_factory())
    for detector in (ours, theirs):
        detector.append(text)
        detector.cleaning_text()
    assert ours.text == theirs.text
    assert ours._extract_ngrams() == theirs._extract_ngrams()
    answers = []
    for cls in (_Detector, Detector):
        detector = cls(_factory())
        detector.append(text)
        try:
            answers.append([(p.lang, round(p.prob, 9)) for p in detector.get_probabilities()])
        except LangDetectException as exc:
            answers.append([("error", str(exc))])
    assert answers[0] == answers[1]


# --- Tatar, Bashkir, Chinese by script, Kazakh in Latin script ---

HAN_AND_LOOKALIKES = [
    ("zh-cn", "伊斯坦布尔国家交响乐团 (Istanbul State Symphony Orchestra)"),
    ("zh-cn", "Apple 发布 iPhone 16 Pro Max 和 MacBook Air M3，售价 7999 元起。"),
    (
        "zh-tw",
        "哈薩克總統托卡耶夫（Kassym-Jomart Tokayev）週二在阿斯塔納會見台灣代表團，雙方討論能源與貿易合作。",
    ),
    ("zh-tw", "中華民國外交部表示，將與中亞國家擴大經貿交流。"),
    ("ja", "東京で開かれた会議に中央アジア五カ国の外相が出席した。"),
    ("ko", "대한민국 정부는 카자흐스탄과 協力을 강화한다고 밝혔다."),
    (
        "en",
        "President Xi Jinping (习近平) met Kazakh president Tokayev in Astana on Tuesday to discuss trade.",
    ),
]


@pytest.mark.parametrize(("expected", "text"), HAN_AND_LOOKALIKES)
def test_han_text_without_hangul_or_kana_is_chinese(expected: str, text: str) -> None:
    assert detect_language(text) == expected


def test_traditional_or_simplified_by_their_own_characters() -> None:
    from flows.stages.reading.language_han import variant

    assert variant("这是简体字，国家发展。") == "zh-cn"
    assert variant("這是繁體字，國家發展。") == "zh-tw"
    assert variant("中文") == "zh-cn"  # characters both write: Simplified, the default


LOOKALIKES = [
    (
        "tt",
        "Татарстан Президенты Рөстәм Миңнеханов бүген Казанда яңа мәктәп ачты. Ул укучылар белән очрашты.",
    ),
    ("ba", "Өфөлә Башҡортостан Республикаһы Башлығы Радий Хәбиров кәңәшмә үткәрҙе."),
    ("kk", "Қазақстан мен Татарстан арасындағы сауда көлемі өсті, деді министр Қазан қаласында."),
    (
        "ru",
        "В Уфе прошёл праздник «Һабантуй», на который приехали тысячи гостей из Башкортостана и Татарстана.",
    ),
    ("ru", "Глава Башкирии Радий Хабиров провёл совещание в Өфө; на нём говорили о дорогах и школах."),
    (
        "kk",
        "Qazaqstan Respublikasynyñ Prezidentı Qasym-Jomart Toqaev Astanada şeteldık investorlarmen kezdestı.",
    ),
    (
        "kk",
        "Qazaqstan Respýblıkasynyń Prezıdenti Qasym-Jomart Toqaev Astanada sheteldik ınvestorlarmen kezdesti.",
    ),
    ("tr", "Türkiye Cumhurbaşkanı Erdoğan Astana'da Kazakistan Cumhurbaşkanı Tokayev ile görüştü."),
    ("pl", "Prezydent Polski spotkał się w Astanie z prezydentem Kazachstanu. Rozmowy dotyczyły współpracy."),
    ("vi", "Tổng thống Kazakhstan đã gặp phái đoàn Việt Nam tại Astana để thảo luận về hợp tác kinh tế."),
    ("es", "El presidente de Kazajistán se reunió con el ministro español en Astaná para hablar de energía."),
    (
        "cs",
        "Prezident Kazachstánu přijal v Astaně českého ministra zahraničí a jednali o obchodu a energetice.",
    ),
]


LOOKALIKES += [  # names keep their own alphabet: Latin brands in Uzbek, Kazakh names in Kyrgyz
    (
        "uz",
        "Microsoft va Twitter kompaniyalari Toshkentda yangi ofis ochishini e'lon qildi. Washington "
        "shahrida bo'lib o'tgan uchrashuvda Windows va WhatsApp haqida ham gapirildi.",
    ),
    (
        "kk",
        "Qazaqstan Ükımetı Wildberries jäne Ozon kompaniialarymen kelısım jasady. Wolt pen Yandex Go da "
        "Almatyda jūmys ıstep jatyr.",
    ),
    ("ky", "Жапаров Қасым-Жомарт Тоқаев менен жолугушуп, эки өлкөнүн кызматташтыгын талкуулады."),
]


@pytest.mark.parametrize(("expected", "text"), LOOKALIKES)
def test_letters_a_language_does_not_write_rule_it_out(expected: str, text: str) -> None:
    assert detect_language(text) == expected


def test_language_codes_hold_every_code_detection_can_give() -> None:
    from langdetect.detector_factory import PROFILES_DIRECTORY

    from flows.stages.reading.language import LANGUAGE_CODES, OWN

    assert set(os.listdir(PROFILES_DIRECTORY)) <= LANGUAGE_CODES
    assert OWN <= LANGUAGE_CODES
    assert {"tt", "ba", "zh-tw", "zh-cn", "zh"} <= LANGUAGE_CODES


# --- CLD2 before langdetect where it is sure ---------------------------------------

ENGLISH_UNDER_A_MENU = (
    "| Business Wire · Aktuelle Nachrichten · Archiv< zurück < · Druckversion |\n"
    "Logitech unveiled a new universal remote control at the Consumer Electronics Show on Monday, "
    "marking a significant step in the evolution of the company's best-selling line of remotes. "
    "The product received a design and engineering award, and it will reach shops in the spring. "
    "As home entertainment systems become more complex, people are often frustrated by the need to "
    "have several devices, written instructions for the family and a growing number of remotes on "
    "the coffee table, according to industry research published by the company last year."
)


def test_cld2_reads_text_as_text_not_html() -> None:
    # a "<" in a menu once made CLD2 read the rest as markup: 51 bytes read, "German, 98%"
    assert pycld2.detect(ENGLISH_UNDER_A_MENU)[2][0][1] == "de"  # read as HTML
    assert _clear_cld2(ENGLISH_UNDER_A_MENU) in ("en", None)
    assert detect_language(ENGLISH_UNDER_A_MENU) == "en"


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        (
            "ru",
            "Президент России провёл в Кремле совещание с членами правительства по экономическим вопросам.",
        ),
        (
            "de",
            "Die Bundesregierung hat am Mittwoch neue Regeln für den Handel mit Zentralasien beschlossen.",
        ),
        ("uk", "Уряд України ухвалив нові правила торгівлі з країнами Центральної Азії минулого тижня."),
    ],
)
def test_a_clear_cld2_answer_is_taken(expected: str, text: str) -> None:
    assert _clear_cld2(text) == expected == detect_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "Тоқаев Қытай төрағасымен кездесті",  # ours: CLD2 may not claim the region's languages
        "Ok",  # too little
        "2026-12-01 12:00 +++ 404 --- 17:45",  # nothing read
    ],
)
def test_cld2_does_not_answer_for_what_it_cannot_be_sure_of(text: str) -> None:
    assert _clear_cld2(text) is None
