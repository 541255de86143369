"""End to end: the region's languages, Tatar, Bashkir and Chinese with Latin names,
through `newswatch ingest` (a feed server on loopback, the real CLI, a real DuckDB file)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benchmarks.language_set_build import KK_2018, KK_2021, transliterate
from flows.cli import main
from tests.support.pages import TEMPLATES, Article, rss
from tests.support.servers import NewsServer

KK_TITLE = "Астанада Орталық Азия елдерінің кездесуі өтті"
KK = [
    "Қазақстан Президенті Қасым-Жомарт Тоқаев бейсенбі күні Астанада Орталық Азия елдері басшыларының "
    "консультативтік кездесуін өткізді. Кездесуде көлік дәліздері мен су ресурстары талқыланды.",
    "Тараптар Қытайдан Еуропаға баратын жүктерді тасымалдау үшін жаңа теміржол салу жобасын қолдады. "
    "Сонымен қатар шекаралық өткелдердің жұмысын жеңілдету туралы келісімге қол қойылды.",
    "Келесі кездесу келер жылы Ташкент қаласында өтеді деп күтілуде. Сарапшылардың айтуынша, өңірдегі "
    "ынтымақтастық соңғы жылдары айтарлықтай нығайды.",
]

# (slug, expected language, source, title, paragraphs)
CASES: list[tuple[str, str, str, str, list[str]]] = [
    (
        "tt",
        "tt",
        "ru",
        "Казанда яңа мәктәп ачылды",
        [
            "Татарстан Республикасы Президенты Рөстәм Миңнеханов дүшәмбе көнне Казанның Совет районында яңа "
            "мәктәп ачуда катнашты. Мәктәптә мең ике йөз бала белем алачак.",
            "Мәгариф министры сүзләренчә, быел республикада тагын җиде мәктәп төзеләчәк, аларның өчесе авыл "
            "җирлегендә урнашачак. Яңа бинада татар теле һәм әдәбияты өчен аерым сыйныфлар бар.",
            "Ата-аналар һәм укытучылар бу вакыйганы зур бәйрәм итеп кабул иттеләр. Мәктәп директоры "
            "балаларның туган телдә белем алуы бик мөһим булуын әйтте.",
        ],
    ),
    (
        "ba",
        "ba",
        "ru",
        "Өфөлә яңы мәктәп асылды",
        [
            "Башҡортостан Республикаһы Башлығы Радий Хәбиров дүшәмбе көнө Өфөнөң Дим районында яңы мәктәп "
            "асыуҙа ҡатнашты. Мәктәптә мең ике йөҙ бала белем аласаҡ.",
            "Мәғариф министры һүҙҙәренсә, быйыл республикала тағы ете мәктәп төҙөләсәк, уларҙың өсәүһе ауыл "
            "ерендә урынлашасаҡ. Яңы бинала башҡорт теле һәм әҙәбиәте өсөн айырым кластар бар.",
            "Ата-әсәләр һәм уҡытыусылар был ваҡиғаны ҙур байрам итеп ҡабул итте. Мәктәп директоры "
            "балаларҙың туған телдә белем алыуы бик мөһим булыуын әйтте.",
        ],
    ),
    ("kk-cyrl", "kk", "region", KK_TITLE, KK),
    (
        "kk-latn-2021",
        "kk",
        "region",
        transliterate(KK_TITLE, KK_2021),
        [transliterate(p, KK_2021) for p in KK],
    ),
    ("kk-latn-2018", "kk", "tr", transliterate(KK_TITLE, KK_2018), [transliterate(p, KK_2018) for p in KK]),
    (
        "ky",
        "ky",
        "region",
        "Бишкекте жаңы оорукана ачылды",
        [
            "Кыргызстандын Президенти Садыр Жапаров шаршемби күнү Бишкекте жаңы балдар ооруканасын ачты. "
            "Оорукана жылына он миң бейтапты кабыл алууга ылайыкталган.",
            "Саламаттык сактоо министрлигинин маалыматы боюнча, курулушка республикалык бюджеттен каражат "
            "бөлүнгөн. Ооруканада заманбап жабдуулар орнотулуп, жүздөгөн дарыгер жумушка алынат.",
            "Жапаров өз сөзүндө өлкөнүн бардык аймактарында медициналык кызматтын сапатын жогорулатуу "
            "маанилүү экенин белгиледи. Мындай ооруканалар Ош жана Жалал-Абад шаарларында да курулат.",
        ],
    ),
    (
        "tg",
        "tg",
        "region",
        "Дар Душанбе нерӯгоҳи нав ба кор даромад",
        [
            "Президенти Ҷумҳурии Тоҷикистон Эмомалӣ Раҳмон рӯзи панҷшанбе дар Душанбе нерӯгоҳи нави барқи "
            "офтобиро ба истифода дод. Нерӯгоҳ ҳар сол садҳо ҳазор хонаводаро бо барқ таъмин мекунад.",
            "Ба гуфтаи вазорати энергетика, сохтмони иншоот бо ҳамкории ширкатҳои хориҷӣ анҷом ёфтааст. "
            "Дар оянда боз ду нерӯгоҳи дигар дар вилояти Хатлон сохта мешаванд.",
            "Раҳмон дар суханронии худ гуфт, ки рушди энергетикаи сабз барои кишвар аҳамияти калон дорад. "
            "Мардуми шаҳр ин иқдомро бо хушнудӣ истиқбол карданд.",
        ],
    ),
    (
        "tk",
        "tk",
        "tr",
        "Aşgabatda täze mekdep açyldy",
        [
            "Türkmenistanyň Prezidenti Serdar Berdimuhamedow duşenbe güni Aşgabatda täze orta mekdebiň "
            "açylyş dabarasyna gatnaşdy. Mekdepde müň iki ýüz okuwçy bilim alar.",
            "Bilim ministrliginiň habar bermegine görä, şu ýyl ýurdumyzda ýene-de ýedi mekdep gurlar. Täze "
            "binada kompýuter otaglary we sport zallary bar.",
            "Ene-atalar we mugallymlar bu wakany uly baýramçylyk hökmünde garşyladylar. Mekdebiň müdiri "
            "çagalaryň döwrebap bilim almagynyň möhümdigini belledi.",
        ],
    ),
    (
        "uz-cyrl",
        "uz",
        "ru",
        "Тошкентда янги завод очилди",
        [
            "Ўзбекистон Президенти Шавкат Мирзиёев сешанба куни Тошкентда автомобиль эҳтиёт қисмлари ишлаб "
            "чиқарадиган янги заводни очди. Корхонада икки мингдан ортиқ киши иш билан таъминланади.",
            "Иқтисодиёт вазирлиги маълумотига кўра, лойиҳа хорижий инвесторлар билан ҳамкорликда амалга "
            "оширилган. Маҳсулотларнинг катта қисми қўшни давлатларга экспорт қилинади.",
            "Мирзиёев ўз нутқида саноатни ривожлантириш мамлакат иқтисодиёти учун муҳим эканини "
            "таъкидлади. Шунингдек, вилоятларда ҳам шундай корхоналар қурилиши режалаштирилган.",
        ],
    ),
    (
        "uz-latn",
        "uz",
        "region",
        "Toshkentda yangi zavod ochildi",
        [
            "Oʻzbekiston Prezidenti Shavkat Mirziyoyev seshanba kuni Toshkentda avtomobil ehtiyot qismlari "
            "ishlab chiqaradigan yangi zavodni ochdi. Korxonada ikki mingdan ortiq kishi ish bilan taʼminlanadi.",
            "Iqtisodiyot vazirligi ma'lumotiga ko'ra, loyiha xorijiy investorlar bilan hamkorlikda amalga "
            "oshirilgan. Mahsulotlarning katta qismi qo'shni davlatlarga eksport qilinadi.",
            "Mirziyoyev oʻz nutqida sanoatni rivojlantirish mamlakat iqtisodiyoti uchun muhim ekanini "
            "ta'kidladi. Shuningdek, viloyatlarda ham shunday korxonalar qurilishi rejalashtirilgan.",
        ],
    ),
    (
        "zh-cn",
        "zh-cn",
        "zh",
        "伊斯坦布尔国家交响乐团在阿斯塔纳演出",
        [
            "伊斯坦布尔国家交响乐团 (Istanbul State Symphony Orchestra) 周五晚在阿斯塔纳歌剧院 (Astana Opera) "
            "举行音乐会，指挥家 Sascha Goetzel 率团演出。",
            "音乐会曲目包括 Dmitri Shostakovich 和 Ahmet Adnan Saygun 的作品，哈萨克斯坦文化部官员和各国外交使节出席。",
            "主办方表示，这是该乐团首次在中亚巡演，下一站将前往塔什干 (Tashkent) 和比什凯克 (Bishkek)。",
        ],
    ),
    (
        "zh-tw",
        "zh-tw",
        "zh",
        "哈薩克總統會見台灣企業代表團",
        [
            "哈薩克總統托卡耶夫（Kassym-Jomart Tokayev）週二在阿斯塔納會見來自台灣的企業代表團，雙方討論能源與半導體合作。",
            "代表團成員包括 ASUS、Acer 和 Foxconn 的高層主管，他們表示希望在當地設立物流中心。",
            "哈薩克投資部門官員指出，過去一年來自東亞的投資增長超過三成，並將繼續簡化簽證手續。",
        ],
    ),
]
SOURCES = {"region": None, "ru": "ru", "tr": "tr", "zh": "zh"}


@pytest.fixture
def ingested(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> dict[str, tuple[str, str | None, list[str]]]:
    """Every case ingested once; url slug -> (url, language, countries)."""
    feeds: dict[str, list[tuple[str, str, str, None]]] = {name: [] for name in SOURCES}
    for i, (slug, _, source, title, paragraphs) in enumerate(CASES):
        article = Article(
            slug=slug, title=title, paragraphs=paragraphs, lang=source if source != "region" else ""
        )
        url = server.add(f"/{source}/{slug}", TEMPLATES[i % len(TEMPLATES)](article))
        feeds[source].append((title, url, paragraphs[0], None))
    lines = ["settings:", "  timeout_seconds: 5", "sources:"]
    for name, items in feeds.items():
        server.add(f"/{name}/feed.xml", rss(name, server.url("/"), items), content_type="application/rss+xml")
        lines += [f"  - name: Outlet {name}", f"    url: {server.url(f'/{name}/feed.xml')}"]
        if SOURCES[name]:
            lines.append(f"    language: {SOURCES[name]}")
    sources = tmp_path / "sources.yaml"
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        found = con.execute("SELECT url, language, countries FROM articles WHERE NOT is_seed").fetchall()
    finally:
        con.close()
    return {url.rsplit("/", 1)[-1]: (url, lang, list(countries or [])) for url, lang, countries in found}


def test_search_lang_zh_finds_both_chinese_variants(
    ingested: dict[str, tuple[str, str | None, list[str]]], db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert (
        main(["search", "哈萨克斯坦 OR 阿斯塔納 OR 阿斯塔纳", "--lang", "zh", "--json", "--db", str(db_path)])
        == 0
    )
    out = capsys.readouterr().out
    assert ingested["zh-cn"][0] in out and ingested["zh-tw"][0] in out
    assert main(["search", "阿斯塔納", "--lang", "zh-tw", "--json", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert ingested["zh-tw"][0] in out and ingested["zh-cn"][0] not in out


def test_every_language_is_stored_with_its_code(
    ingested: dict[str, tuple[str, str | None, list[str]]],
) -> None:
    got = {slug: lang for slug, (_, lang, _) in ingested.items()}
    assert got == {slug: expected for slug, expected, *_ in CASES}
    # the Tatar and Bashkir stories name no Central Asian country: nothing makes them Kazakh coverage
    assert ingested["tt"][2] == [] and ingested["ba"][2] == []
    assert "KZ" in ingested["kk-cyrl"][2]
