"""The evidence tables of flows/stages/reading/language.py: frequent words, telling letters and word endings
of the languages we recognise ourselves and of their look-alikes, per script."""

from __future__ import annotations

import re


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
        # Tatar and Bashkir: Volga Kipchak, written with letters Kazakh has too (ә ө ү ң һ)
        "tt": _words(
            "һәм белән өчен бу да дә та тә бер ул алар аның аларның буенча турында булып булган булды "
            "итеп итә итте иткән кебек шулай ук бик инде әле юк бар генә гына дип дигән диде иде түгел "
            "яки яисә ләкин әмма чөнки соң хәзер быел ел елның елда елгы кеше кешеләр кешенең үз үзе "
            "һәр барлык бөтен күп яңа зур татар татарстан татарстанның татарстанда казан казанда "
            "республика республикасы хөкүмәт хөкүмәте президенты рәис районы шәһәр шәһәре авыл "
            "мәктәп эш эше халык милли тел теле бүген тиеш кирәк белешмә сүз"
        ),
        "ba": _words(
            "һәм менән өсөн был ла лә да дә бер ул улар уның уларҙың буйынса тураһында булып булған "
            "булды итеп итә итте иткән кеүек шулай уҡ бик инде әле юҡ бар ғына генә тип тигән тине ине "
            "түгел йәки ләкин әммә сөнки һуң хәҙер быйыл йыл йылдың йылда кеше кешеләр кешенең үҙ үҙе "
            "һәр бөтә күп яңы ҙур башҡорт башҡортостан башҡортостандың башҡортостанда өфө өфөлә "
            "республика республикаһы хөкүмәт хөкүмәте рәйесе районы ҡала ҡалаһы ауыл мәктәп эш эше "
            "халыҡ милли тел теле бөгөн тейеш кәрәк беҙ беҙҙең һеҙ һүҙ"
        ),
        "tk": _words("ве билен үчин хем боюнча дийип болуп эден этди соң йыл йылда түркменистан"),
        # Karakalpak (Uzbekistan's Karakalpakstan): Kazakh's letters less і ұ һ, with Uzbek's ў ҳ
        "kaa": _words(
            "ҳәм менен ушын бойынша ҳаққында болып етиў етип еткен бул сол олар биз сиз ҳәр барлық "
            "қарақалпақстан қарақалпақстанның қарақалпақстанда республикасы өзбекстан жылы жылдың "
            "жаңа үлкен керек деп екен еди емес жоқ ҳәзир кейин шекем арқалы тәрепинен жумыс халық "
            "мәмлекет мәмлекетлик ҳүкимет нөкис нөкисте қаласы районы пуқаралар ҳақында ҳәмде"
        ),
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
            "jáne úshin boıynsha býl qazaq memlekettik eldıñ bolğan degen dedı aittı keiın barlyq "
            "sonymen qatar bırge tüsındırdı ärbır adamnyñ"
            # the 2018 alphabet (acute accents, sh ch, ı for и й, i for і)
            " jáne men bul osy sol dep úshin boıynsha týraly edi emes jyly bolyp sondaı-aq onyń retinde "
            "arqyly keıin biraq qazir jańa qazaqstannyń qazaqstanda eldiń halyqaralyq úkimet mınıstr "
            "kezdesý qol qoıdy zań sapar teńge aýdany turǵyndary jumys baǵasy ósti ashyldy bolǵan "
            "degen dedi aıtty barlyq sonymen qatar birge árbir adamnyń"
            " jaña ülken halyqaralyq ükımet minıstr ministrlıgı kezdesu kezdestı qol qoidy jarlyq zañ joba yntymaqtastyq sapar teñge oblysy qalasy audany tūrğyndary jūmys bağasy östı aşyldy"
        ),
        "kaa": _words(
            "hám menen ushın boyınsha haqqında bolıp etiw etip etken bul sol olar biz siz hár barlıq "
            "qaraqalpaqstan qaraqalpaqstannıń qaraqalpaqstanda respublikası ózbekstan jılı jıldıń "
            "jańa úlken kerek dep eken edi emes joq házir keyin shekem arqalı tárepinen jumıs xalıq "
            "mámleket mámleketlik húkimet nókis nókiste qalası rayonı puqaralar hámde"
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
        "ә": ("kk", "tt", "ba"),
        "ұ": ("kk",),
        "һ": ("kk", "tt", "ba"),
        "і": ("kk", "uk", "be"),
        "ғ": ("kk", "tg", "uz", "ba"),
        "қ": ("kk", "tg", "uz"),
        "ң": ("kk", "ky", "tk", "tt", "ba"),
        "ө": ("kk", "ky", "mn", "tk", "tt", "ba"),
        "ү": ("kk", "ky", "mn", "tk", "tt", "ba"),
        "ҙ": ("ba",),
        "ҡ": ("ba",),
        "ҫ": ("ba",),
        "ӣ": ("tg",),
        "ӯ": ("tg",),
        "ҷ": ("tg",),
        "ҳ": ("tg", "uz", "kaa"),
        "ў": ("uz", "be", "kaa"),
        "җ": ("tt", "tk"),
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
        "á": ("kk",),  # the 2018 alphabet: á ǵ ń ó ú (and ý, ı, which Turkmen and Turkish have)
        "ǵ": ("kk",),
        "ń": ("kk",),
        "ó": ("kk",),
        "ú": ("kk",),
        # not "ž": Turkmen writes it in a few loans, Czech, Slovak, Slovene, Croatian, Serbian, Lithuanian
        # and Latvian in every sentence (it made Croatian text Turkmen)
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

# The letters beyond the basic alphabet (Russian's, or a-z less q w x) that each language writes.
# A language whose text holds many telling letters it does not write is not that language:
# Tatar has no қ ұ і, Kazakh no җ ҙ ҡ ҫ, Bashkir no җ қ ұ і; Turkish has no q ä ñ ū, Kazakh in
# Latin script no ç (2018 alphabet) nor ň ž w. See `misfit` in flows/stages/reading/language.py.
ALPHABETS: dict[str, dict[str, frozenset[str]]] = {
    "cyrl": {
        "kk": frozenset("әғқңөұүһі"),
        "ky": frozenset("ңөү"),
        "tt": frozenset("әөүҗңһ"),
        "ba": frozenset("әөүңһғҙҡҫ"),
        "tg": frozenset("ғӣқӯҳҷ"),
        "uz": frozenset("ғқўҳ"),
        "mn": frozenset("өү"),
        "tk": frozenset("әҗңөү"),
        "be": frozenset("іў"),
        "kaa": frozenset("әғқңөүўҳ"),
    },
    "latn": {
        # 2021 (ä ğ ı ñ ö ş ū ü q, ç in loans) and 2018 (á ǵ ı ń ó ú ý q, sh ch)
        "kk": frozenset("äğıñöşūüqçáǵńóúý"),
        "tr": frozenset("çğıöşüâîû"),
        "tk": frozenset("äçňöşüýžw"),
        "az": frozenset("çəğıöşüqx"),
        "uz": frozenset("qx"),
        "kaa": frozenset("áǵıńóúqwx"),  # Karakalpak's Latin alphabet (2016): w for ў, x for х, h for ҳ
    },
}

# Letters a language writes in nearly every sentence: a text with many telling letters and none
# of these is not that language (Bashkir without ҙ ҡ ҫ, Kazakh without қ ұ і).
SIGNATURES: dict[str, dict[str, frozenset[str]]] = {
    "cyrl": {
        "kk": frozenset("құі"),
        "ba": frozenset("ҙҡҫ"),
        "tg": frozenset("ӣӯҷҳ"),
        "uz": frozenset("ўқғҳ"),
        "kaa": frozenset("ўҳ"),
    },
    "latn": {
        "kk": frozenset("qäñūáǵńóú"),
        "tk": frozenset("äňýw"),
        "uz": frozenset("qx'"),
        "kaa": frozenset("w"),  # -ıw, -iw: the verbal noun, in every sentence
    },
}
