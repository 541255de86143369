"""What the gazetteers lack, typed once (read by benchmarks/places_build.py).

Kinds: "place" is said alone (Мангистау, ГБАО, Целиноград); "word" is a region only with a
region word after it (Алматы облысы, Osh region, Toshkent viloyati; Абай alone is the poet);
"adj" is a Russian adjective stem, a region with область after it (Мангистауская область).
A surface word ending in "*" takes any ending; the rest take case endings (see places.py).
"""

from __future__ import annotations

# ISO 3166-2 code -> English name (the `name` of `places` in the output)
ENGLISH = {
    "KZ-10": "Abai Region", "KZ-11": "Akmola Region", "KZ-15": "Aktobe Region", "KZ-19": "Almaty Region",
    "KZ-23": "Atyrau Region", "KZ-27": "West Kazakhstan Region", "KZ-31": "Jambyl Region",
    "KZ-33": "Jetisu Region", "KZ-35": "Karaganda Region", "KZ-39": "Kostanay Region",
    "KZ-43": "Kyzylorda Region", "KZ-47": "Mangystau Region", "KZ-55": "Pavlodar Region",
    "KZ-59": "North Kazakhstan Region", "KZ-61": "Turkistan Region", "KZ-62": "Ulytau Region",
    "KZ-63": "East Kazakhstan Region", "KZ-71": "Astana", "KZ-75": "Almaty", "KZ-79": "Shymkent",
    "KG-B": "Batken Region", "KG-C": "Chuy Region", "KG-GB": "Bishkek", "KG-GO": "Osh",
    "KG-J": "Jalal-Abad Region", "KG-N": "Naryn Region", "KG-O": "Osh Region", "KG-T": "Talas Region",
    "KG-Y": "Issyk-Kul Region", "TJ-DU": "Dushanbe", "TJ-GB": "Gorno-Badakhshan Autonomous Region",
    "TJ-KT": "Khatlon Region", "TJ-RA": "Districts of Republican Subordination", "TJ-SU": "Sughd Region",
    "TM-A": "Ahal Region", "TM-B": "Balkan Region", "TM-D": "Dashoguz Region", "TM-L": "Lebap Region",
    "TM-M": "Mary Region", "TM-S": "Ashgabat", "UZ-AN": "Andijan Region", "UZ-BU": "Bukhara Region",
    "UZ-FA": "Fergana Region", "UZ-JI": "Jizzakh Region", "UZ-NG": "Namangan Region",
    "UZ-NW": "Navoiy Region", "UZ-QA": "Kashkadarya Region", "UZ-QR": "Republic of Karakalpakstan",
    "UZ-SA": "Samarkand Region", "UZ-SI": "Sirdaryo Region", "UZ-SU": "Surkhandarya Region",
    "UZ-TK": "Tashkent", "UZ-TO": "Tashkent Region", "UZ-XO": "Khorezm Region",
}  # fmt: skip

FERGANA_VALLEY = "UZ-AN,UZ-FA,UZ-NG,KG-B,KG-J,KG-O,TJ-SU"

_PLACE = {
    "KZ-27": "Батыс Қазақстан|West Kazakhstan|ЗКО|Батыш Казакстан|G'arbiy Qozog'iston",
    "KZ-33": "Жетісу|Жетысу|Jetisu|Zhetysu|Zhetisu|Jetysu",
    "KZ-47": "Мангистау|Маңғыстау|Mangystau|Mangistau|Mangghystau|Маңгыстау|Mang'istov",
    "KZ-59": "Солтүстік Қазақстан|North Kazakhstan|СКО|Түндүк Казакстан",
    "KZ-61": "Түркістан облыс*|ЮКО|Оңтүстік Қазақстан|South Kazakhstan Region",
    "KZ-62": "Ұлытау|Улытау|Ulytau",
    "KZ-63": "Шығыс Қазақстан|East Kazakhstan|ВКО|Чыгыш Казакстан",
    "KZ-71": "Нур-Султан|Нұр-Сұлтан|Nur-Sultan|Nursultan|Целиноград|Tselinograd|Акмолинск",
    "KZ-11": "Кокчетав|Kokchetav",
    "KG-GO": "Ош",
    "KZ-15": "Актюбинск|Aktyubinsk",
    "KZ-79": "Чимкент|Chimkent",
    "KZ-39": "Кустанай|Kustanay",
    "KZ-33_": "Талды-Курган|Taldy-Kurgan",
    "KZ-62_": "Джезказган|Dzhezkazgan",
    "KZ-63_": "Усть-Каменогорск|Ust-Kamenogorsk|Өскемен|Oskemen",
    "KG-Y": "Иссык-Куль|Ысык-Көл|Issyk-Kul|Issyk-Kol|Ysyk-Kol|Ysyk-Köl|Иссык-Кул|Issiqko'l|Пржевальск",
    "TJ-GB": "ГБАО|Горн* Бадахшан*|Kuhistoni Badakhshon*|ВМКБ|Gorno-Badakhshan|Горно-Бадахшанск*|Kuhistoni Badakhshon|Куҳистони Бадахшон|GBAO|Badakhshan Autonomous",
    "TJ-KT": "Хатлон|Khatlon|Xatlon|Курган-Тюбе|Qurghonteppa|Kurgan-Tyube",
    "TJ-SU": "Согд|Суғд|Sughd|Sugd|Soghd|Сугд|Ленинабад|Leninabad|Худжанд|Хуҷанд|Khujand|Xo'jand",
    "TJ-RA": "РРП|НТҶ|Districts of Republican Subordination|районы республиканского подчинения",
    "TJ-DU": "Сталинабад|Stalinabad",
    "TM-A": "Ахал|Ahal",
    "TM-B": "Красноводск|Krasnovodsk|Туркменбаши|Türkmenbaşy|Turkmenbashi",
    "TM-D": "Дашогуз|Дашховуз|Ташауз|Dashoguz|Dashhowuz|Daşoguz",
    "TM-L": "Лебап|Lebap|Чарджоу|Chardzhou|Туркменабат|Turkmenabat",
    "TM-M": "Мары|Мерв|Merv",
    "UZ-QR": "Каракалпакстан|Қарақалпақстан|Qoraqalpog'iston|Қорақалпоғистон|Karakalpakstan|Qaraqalpaqstan|Каракалпакия|Каракалпак*",
    "UZ-QA": "Qashqadaryo|Қашқадарё|Кашкадарья|Kashkadarya|Qashqadarya",
    "UZ-SU": "Surxondaryo|Сурхондарё|Сурхандарья|Surkhandarya",
    "UZ-SI": "Sirdaryo|Сирдарё|Syrdarya Region",
    "UZ-XO": "Xorazm|Хоразм|Хорезм|Khorezm|Khorazm",
    "UZ-JI": "Jizzax|Жиззах|Джизак|Jizzakh|Djizak",
    "UZ-NW": "Navoiy|Навоий|Навои|Navoi",
    FERGANA_VALLEY: "Ферганск* долин*|Fergana Valley|Ferghana Valley|Farg'ona vodiy*|Фарғона водий*|Фергана өрөөн*|Фергана алаб*",
}

_WORD = {
    "KZ-10": "Абай|Abai|Abay|Abaı",
    "KZ-11": "Акмола|Ақмола|Akmola|Aqmola",
    "KZ-19": "Алматы|Almaty|Алма-Ата",
    "KZ-31": "Жамбыл|Jambyl|Zhambyl",
    "KG-O": "Ош|Osh|O'sh|Ўш",
    "KG-C": "Чүй|Чуй|Chuy|Chui",
    "UZ-TO": "Toshkent|Тошкент|Ташкент|Tashkent",
    "UZ-SI": "Сырдарья|Syr Darya|Syrdarya",
    "TM-B": "Балкан|Balkan",
    "TM-M": "Mary",
}

_ADJ = {
    "KZ-10": "Абайск", "KZ-11": "Акмолинск", "KZ-15": "Актюбинск", "KZ-19": "Алматинск", "KZ-23": "Атырауск",
    "KZ-27": "Западно-Казахстанск", "KZ-31": "Жамбылск", "KZ-33": "Жетысуск", "KZ-35": "Карагандинск",
    "KZ-39": "Костанайск", "KZ-43": "Кызылординск", "KZ-47": "Мангистауск", "KZ-55": "Павлодарск",
    "KZ-59": "Северо-Казахстанск", "KZ-61": "Туркестанск|Южно-Казахстанск", "KZ-62": "Улытауск",
    "KZ-63": "Восточно-Казахстанск", "KG-B": "Баткенск", "KG-C": "Чуйск", "KG-J": "Джалал-Абадск|Жалал-Абадск",
    "KG-N": "Нарынск", "KG-O": "Ошск", "KG-T": "Таласск", "KG-Y": "Иссык-Кульск", "TJ-KT": "Хатлонск",
    "TJ-SU": "Согдийск", "TM-A": "Ахалск", "TM-B": "Балканск", "TM-D": "Дашогузск", "TM-L": "Лебапск",
    "TM-M": "Марыйск", "UZ-AN": "Андижанск", "UZ-BU": "Бухарск", "UZ-FA": "Ферганск", "UZ-JI": "Джизакск",
    "UZ-NG": "Наманганск", "UZ-NW": "Навоийск", "UZ-QA": "Кашкадарьинск", "UZ-SA": "Самаркандск",
    "UZ-SI": "Сырдарьинск", "UZ-SU": "Сурхандарьинск", "UZ-TO": "Ташкентск", "UZ-XO": "Хорезмск",
}  # fmt: skip

# GeoNames names that are not places in news text: people (Abai, Manas, Satpayev, Gagarin,
# Kant), other places (Altai, the Aral Sea, Aksu in China, Pokrovka), plain words
# (vahdat "unity", istiqlol "independence"), a town named after its country
_BLOCKED_TEXT = """abay abai абай manas манас altay altai алтай aral арал аральск aralsk kant кант mary gagarin гагарин
    satpayev satbayev сатпаев сәтбаев shu шу aksu аксу ақсу vahdat вахдат istiqlol истиклол zafar oqtosh
    yangiobod pokrovka покровка ivanovka ивановка belovodskoye беловодское kirov киров kirovskiy
    кировский sovetskiy советский oktyabrskiy октябрьский pervomayskiy первомайский uzbekistan
    o'zbekiston узбекистан ўзбекистон ulugbek улугбек jambyl zhambyl жамбыл temur темур lenin ленин
    leninskoye ленинское konayev qonaev конаев қонаев baikonur jangi yangi ильич кака нов поп совет массы
    михайловка московский панфилов курчатов ленинск ленин-джол никольский пролетар караван касан качар
    кулан құлан каган кува вахш мари мангит луговое луговой маевка евон аим восеъ махтумкули раззаков
    токтогул ералиев ишек иссиқ иссык ташкен самарқан бухар пайшанба тинчлик ойим шевченко хазар
    энергетический карасу советское alat amba bazar базар buka bo'ka bŭka ehmba ermak ермак esil esil' есіл
    есиль farab hamza hazar inder isik issyk issök isık jebel juma kaka kasan kulan qulan manga maras mari
    massy nava nov nuda papas pop salar salor sayat saýat sovet taras turk turn zamm zarya oyrat ojim oyim
    osas gusar tagta selek porsu porsy kitab kitob китаб китоб mujum ishek anew aenew anev enev änew jesik
    yesik esik есик есік jovon yovon gurev гурьев chapayev чапаев chkalov чкалов derzhavin державин
    frunze фрунзе baumana druzhba drujba dostluk do'stlik dustlik dŭstlik достлук buhar bukhar
    energeticheskiy ehnergeticheskij chkalovsk kazakh kazak qazaq kazakhstan казах қазақ казак"""
BLOCKED = frozenset(_BLOCKED_TEXT.split())


def _expand() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for code, surfaces in _PLACE.items():
        rows.extend((s, "place", code.rstrip("_")) for s in surfaces.split("|"))
    for code, stems in _WORD.items():
        for stem in stems.split("|"):
            cyrillic = any("Ѐ" <= c <= "ӿ" for c in stem)
            words = (
                ("обл*", "вилоят*", "велаят*")
                if cyrillic
                else (
                    "viloyat*",
                    "region*",
                    "oblast*",
                    "oblys*",
                    "oblus*",
                    "province",
                    "welaýat*",
                    "velayat*",
                )
            )
            rows.extend((f"{stem} {word}", "word", code) for word in words)
            if cyrillic:
                rows.append((f"обл* {stem}", "word", code))  # область Абай
    for code, stems in _ADJ.items():
        for stem in stems.split("|"):
            rows.extend((f"{stem}* {word}", "adj", code) for word in ("обл*", "велаят*"))
    return rows


CURATED = _expand()
