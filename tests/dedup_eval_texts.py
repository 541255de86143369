"""Base stories of the near-duplicate evaluation set (tests/dedup_eval.py), written for it.

Stories come in pairs about one event (the hard negatives: two reports on one summit share names,
numbers and sometimes a quote, and are still two stories), in English, Russian and Chinese.
"""

from __future__ import annotations

# key: (language, event, paragraphs)
STORIES: dict[str, tuple[str, str, list[str]]] = {
    "water-wire": (
        "en",
        "water",
        [
            "Kazakhstan and Uzbekistan signed an agreement on Friday to share the waters of the Syr Darya "
            "during the growing season, ending a dispute that has pitted farmers on both sides of the "
            "border against each other for most of the past decade.",
            "Under the deal, Uzbekistan will release an agreed volume from the Charvak reservoir between "
            "April and September, while Kazakhstan will supply electricity to Uzbek grids during the winter "
            "months, when demand peaks and hydropower output falls.",
            '"We have reached an agreement that will serve our peoples for decades," Kazakh Deputy Prime '
            "Minister Serik Zhumangarin told reporters after the signing ceremony in Tashkent.",
            "A joint commission will meet every quarter to check flows at the Shardara gauging station and to "
            "settle disagreements before they reach the two presidents, according to the text published by "
            "the Uzbek government.",
            "Farmers in the Turkestan region have complained for years that water arrived too late for the "
            "cotton and rice harvest. Local officials said last year's shortfall cost growers about 40 billion "
            "tenge.",
            "The agreement runs for five years and can be extended. Diplomats said Tajikistan and Kyrgyzstan, "
            "which control the upper reaches of the river basin, had been briefed and could join a wider "
            "arrangement next year.",
        ],
    ),
    "water-analysis": (
        "en",
        "water",
        [
            "For farmers in southern Kazakhstan, the water accord that Astana and Tashkent put their names to "
            "this week is less a diplomatic milestone than a question of whether the rice paddies will be "
            "flooded on time in May.",
            "The Syr Darya loses much of its volume long before it reaches the Kazakh border, and the canals "
            "that carry it, most of them dug in the 1960s, leak badly. Experts say no treaty can fix leaking "
            "concrete on its own.",
            '"We have reached an agreement that will serve our peoples for decades," Kazakh Deputy Prime '
            "Minister Serik Zhumangarin said in Tashkent. Hydrologists were more cautious, pointing to three "
            "dry winters in a row.",
            "The swap of summer water for winter electricity is an old Soviet bargain in new clothes. It "
            "broke down in the 1990s when the newly independent states began to run their reservoirs for "
            "their own needs.",
            "What is different now, analysts in Almaty argue, is the political climate. Since 2016 Uzbekistan "
            "has settled border and trade quarrels with all of its neighbours and wants the region to look "
            "stable to investors.",
            "Whether the quarterly commission can resist pressure in a drought year is the real test. Until "
            "then, growers in Turkestan region say they will believe the deal when the water arrives.",
        ],
    ),
    "border-wire": (
        "en",
        "border",
        [
            "The presidents of Kyrgyzstan and Tajikistan signed a treaty on Thursday that completes the "
            "delimitation of their 980-kilometre border, closing a dispute that led to deadly clashes in 2021 "
            "and 2022.",
            "Sadyr Japarov and Emomali Rahmon signed the document in Bishkek after more than two hundred rounds "
            "of talks between government commissions, Kyrgyz state news agency Kabar reported.",
            "The treaty settles the status of several villages in the Fergana Valley, including areas near the "
            "Tajik exclave of Vorukh, where disputes over water and grazing land repeatedly turned violent.",
            "Officials said checkpoints closed since the fighting would reopen within weeks and that direct "
            "flights between Bishkek and Dushanbe, suspended for three years, would resume in the spring.",
            "The clashes of September 2022 killed about a hundred people and forced more than a hundred "
            "thousand residents of Batken region to leave their homes for several weeks.",
            "Parliaments in both countries must still ratify the treaty, which diplomats expect to happen "
            "before the end of the year without serious opposition.",
        ],
    ),
    "border-feature": (
        "en",
        "border",
        [
            "In the village of Kok-Tash, a few hundred metres from the line that Kyrgyz and Tajik surveyors "
            "finally agreed on, residents watched the signing in Bishkek on their phones and wondered what it "
            "would change.",
            "Many of them lost houses in September 2022, when the fighting between the two armies reached the "
            "edge of the village. Some have rebuilt with government money; others still live with relatives "
            "in Batken town.",
            '"The border was always in our heads before it was on a map," said Gulnara, a schoolteacher who '
            'asked that her family name not be used. "Now the map is finished. The heads will take longer."',
            "The treaty signed by Sadyr Japarov and Emomali Rahmon trades small pieces of land and gives both "
            "sides access roads around the exclave of Vorukh, details that matter a great deal to the people "
            "who farm there.",
            "Shepherds want to know whether they can take their flocks to summer pastures that now lie on the "
            "other side. Officials promised special passes but have not said who will issue them.",
            "For now the checkpoint on the road to Isfara is still closed, and the bazaar where Kyrgyz and "
            "Tajik traders once met every Sunday stands empty, its stalls padlocked since the autumn of 2022.",
        ],
    ),
    "summit-wire": (
        "en",
        "summit",
        [
            "Chinese President Xi Jinping and the leaders of the five Central Asian states agreed on Tuesday to "
            "expand trade and transport links at a summit in Astana, the second meeting of the China-Central "
            "Asia format.",
            "The leaders signed a treaty of permanent good-neighbourliness and agreed to set up a permanent "
            "secretariat, Kazakh President Kassym-Jomart Tokayev said at a news conference after the talks.",
            "Xi announced loans and grants worth 26 billion yuan for projects in the region, including roads, "
            "solar farms and a railway linking China with Kyrgyzstan and Uzbekistan.",
            "Trade between China and Central Asia reached 89 billion dollars last year, according to Chinese "
            "customs data, making Beijing the largest trading partner of the region ahead of Russia.",
            "Tokayev said the countries would also cooperate on critical minerals and on the security of the "
            "Afghan border, an issue that worries Tajikistan and Uzbekistan in particular.",
            "The next summit will be held in China in 2027. Russia, which hosts its own Central Asia summits, "
            "did not comment on the meeting.",
        ],
    ),
    "summit-analysis": (
        "en",
        "summit",
        [
            "When Xi Jinping flew to Astana for the second China-Central Asia summit, the most telling detail "
            "was not the 26 billion yuan he pledged but the permanent secretariat the six countries agreed to "
            "create.",
            "A secretariat turns a photo opportunity into an institution. It gives Beijing a standing channel "
            "to five capitals that used to be reached mainly through Moscow or through the Shanghai "
            "Cooperation Organisation.",
            "Central Asian governments welcome the money but are wary of debt. In Kyrgyzstan, China holds "
            "about forty percent of external debt, a figure opposition politicians quote at every opportunity.",
            "Kassym-Jomart Tokayev has made a doctrine of balancing Russia, China and the West. Hosting Xi a "
            "few months after a visit by the French president fits that pattern well.",
            "Moscow's silence about the summit was noted in the region. Russia remains the main security "
            "partner and the destination of millions of labour migrants, but its economic pull is weakening.",
            "The railway through Kyrgyzstan to Uzbekistan, discussed for a quarter of a century, is the project "
            "to watch. If construction begins on schedule, the summit will be remembered for it.",
        ],
    ),
    "gas-wire": (
        "en",
        "gas",
        [
            "Turkmenistan said on Monday it had started construction of its section of a gas pipeline to "
            "Afghanistan, Pakistan and India, a project first proposed in the 1990s and delayed many times "
            "since.",
            "State television showed President Serdar Berdimuhamedov at a ceremony near the Galkynysh field, "
            "one of the largest gas deposits in the world, where the 1,800-kilometre pipeline will begin.",
            "The pipeline is designed to carry 33 billion cubic metres of gas a year. Its cost has been "
            "estimated at about ten billion dollars, and financing for the sections outside Turkmenistan has "
            "not been secured.",
            "Afghanistan's Taliban administration has said it will guarantee the security of the route, which "
            "crosses the provinces of Herat and Kandahar before entering Pakistan.",
            "Turkmenistan depends on China for most of its gas exports and has long sought routes to the south "
            "to reduce that dependence.",
            "Analysts said the project still faced formidable obstacles, from the security of the Afghan "
            "section to tensions between Pakistan and India, the two largest buyers.",
        ],
    ),
    "gas-analysis": (
        "en",
        "gas",
        [
            "Few infrastructure projects have been announced as often as the pipeline that is supposed to "
            "carry Turkmen gas across Afghanistan to Pakistan and India, and few have moved as slowly.",
            "Ashgabat's latest ceremony at Galkynysh follows similar events in 2015 and 2018. Each time, work "
            "on the Turkmen side advanced a little and then stalled at the Afghan border.",
            "The economics have changed since the first plans were drawn. India now buys liquefied gas from "
            "Qatar and the United States, and its appetite for a pipeline through two hostile neighbours is "
            "limited.",
            "For Turkmenistan, though, the project is about more than customers. Nearly all of its exports go "
            "to China through a single pipeline system, leaving the country exposed to one buyer's prices.",
            "Serdar Berdimuhamedov inherited the project from his father, along with the promise that it would "
            "bring prosperity to the south of the country. Officials now talk about a first delivery in 2028.",
            "Western diplomats in Ashgabat are sceptical. Without money from international lenders, who will not "
            "deal with the Taliban, the Afghan section cannot be built, they say.",
        ],
    ),
    "rogun": (
        "en",
        "rogun",
        [
            "The World Bank approved 350 million dollars on Wednesday for the Rogun hydropower plant in "
            "Tajikistan, its first direct financing for a dam that will be the tallest in the world when it "
            "is finished.",
            "The money will pay for the resettlement of families living in the reservoir zone and for safety "
            "work on the dam, which is designed to rise 335 metres above the Vakhsh river.",
            "Rogun is expected to produce 3,780 megawatts at full capacity and to double Tajikistan's power "
            "output, allowing exports to Afghanistan, Pakistan and neighbouring Uzbekistan.",
            "Uzbekistan long opposed the project, fearing that it would reduce water for its cotton fields "
            "downstream, but dropped its objections after the change of leadership in Tashkent in 2016.",
            "Environmental groups have criticised the bank's decision, saying the social and ecological "
            "assessments were rushed and that thousands of people will lose their land.",
            "The total cost of the project is estimated at more than six billion dollars. The first two "
            "turbines began generating electricity in 2018 and 2019.",
        ],
    ),
    "ru-rate-wire": (
        "ru",
        "rate",
        [
            "Национальный банк Казахстана в пятницу сохранил базовую ставку на уровне 16,5 процента годовых, "
            "сообщили в пресс-службе регулятора после заседания комитета по денежно-кредитной политике.",
            "Решение совпало с ожиданиями большинства аналитиков, опрошенных накануне. По их мнению, "
            "регулятор будет удерживать ставку до тех пор, пока инфляция не начнет устойчиво снижаться.",
            "Годовая инфляция в республике в октябре составила 12,1 процента. Основной вклад в рост цен "
            "внесли платные услуги и продовольственные товары, в первую очередь мясо и овощи.",
            "«Инфляционное давление остается высоким, и мы не видим пространства для смягчения политики», "
            "заявил председатель Нацбанка Тимур Сулейменов на брифинге в Алматы.",
            "Курс тенге после объявления решения почти не изменился и составил около 510 тенге за доллар на "
            "Казахстанской фондовой бирже.",
            "Следующее плановое решение по базовой ставке будет объявлено в январе будущего года.",
        ],
    ),
    "ru-rate-analysis": (
        "ru",
        "rate",
        [
            "Сохранение базовой ставки на уровне 16,5 процента выглядит логичным шагом, но за ним скрывается "
            "непростой выбор, который Нацбанку Казахстана предстоит сделать уже в начале следующего года.",
            "С одной стороны, инфляция снижается медленнее, чем обещал регулятор. С другой, бизнес все громче "
            "жалуется на дорогие кредиты, а рост экономики замедлился до трех процентов.",
            "«Инфляционное давление остается высоким, и мы не видим пространства для смягчения политики», "
            "повторил Тимур Сулейменов, и рынок воспринял эти слова как сигнал на несколько месяцев вперед.",
            "Экономисты обращают внимание на бюджет. Правительство увеличивает расходы и чаще берет деньги из "
            "Национального фонда, а это разгоняет цены быстрее, чем любая ставка способна их сдержать.",
            "Отдельный риск связан с тарифами на коммунальные услуги, которые власти пообещали поднять в "
            "рамках реформы. Новая волна подорожания ударит по индексу потребительских цен весной.",
            "Поэтому первое снижение ставки, считают аналитики, вряд ли случится раньше второго квартала, и "
            "оно будет осторожным, не более чем на половину процентного пункта.",
        ],
    ),
    "ru-railway": (
        "ru",
        "railway",
        [
            "В Кыргызстане официально начато строительство железной дороги Китай – Кыргызстан – Узбекистан, "
            "о которой страны договаривались почти тридцать лет.",
            "Церемония прошла в Джалал-Абадской области с участием президента Садыра Жапарова и делегаций "
            "Китая и Узбекистана. Кыргызский участок протяженностью около 280 километров пройдет через горы.",
            "На трассе предстоит построить более сорока тоннелей и десятки мостов. Стоимость проекта "
            "оценивается в 4,7 миллиарда долларов, основную часть средств предоставит китайская сторона.",
            "По словам Жапарова, дорога превратит Кыргызстан из тупика в транзитную страну и создаст тысячи "
            "рабочих мест в южных регионах республики.",
            "Ожидается, что по новой магистрали будут перевозить до 15 миллионов тонн грузов в год. Она "
            "сократит путь товаров из Китая в Европу и на Ближний Восток примерно на 900 километров.",
            "Строительство планируется завершить за шесть лет. Часть экспертов сомневается в этих сроках, "
            "указывая на сложный рельеф и высокую сейсмичность района.",
        ],
    ),
    "zh-railway-wire": (
        "zh",
        "zh-railway",
        [
            "中吉乌铁路项目吉尔吉斯斯坦段开工仪式日前在贾拉拉巴德州举行，吉尔吉斯斯坦总统扎帕罗夫出席仪式并致辞。",
            "该铁路东起中国新疆喀什，经吉尔吉斯斯坦进入乌兹别克斯坦，吉境内段全长约二百八十公里，沿线需要修建四十多座隧道和大量桥梁。",
            "扎帕罗夫表示，这条铁路将使吉尔吉斯斯坦从交通末端变为过境走廊，为南部地区创造数千个就业岗位，推动沿线经济发展。",
            "据介绍，项目总投资约四十七亿美元，建成后年货运能力可达一千五百万吨，中国货物运往欧洲和中东的距离将缩短约九百公里。",
            "中方代表在仪式上说，中吉乌铁路是共建一带一路的标志性工程，三国将共同努力，确保项目高质量推进。",
            "按照计划，铁路将在六年内建成。有专家指出，沿线地形复杂、地震多发，施工难度很大。",
        ],
    ),
    "zh-railway-analysis": (
        "zh",
        "zh-railway",
        [
            "酝酿了近三十年的中吉乌铁路终于开工，但外界对这条穿越天山的铁路仍有不少疑问，尤其是融资和工期问题。",
            "从经济角度看，吉尔吉斯斯坦希望借此摆脱交通末端的地位。扎帕罗夫表示，这条铁路将使吉尔吉斯斯坦从交通末端变为过境走廊。",
            "然而，吉尔吉斯斯坦的外债中相当一部分来自中国，反对派担心新的贷款会进一步加重国家的债务负担。",
            "乌兹别克斯坦则看重通往中国和南亚的新通道。塔什干方面近年来积极推动区域互联互通，希望成为中亚的物流中心。",
            "俄罗斯对这一项目态度低调。分析人士认为，新线路将分流部分原本经过哈萨克斯坦和俄罗斯的中欧货运。",
            "能否在六年内完工，将取决于资金能否及时到位以及山区施工的实际进展，这也是各方最关注的问题。",
        ],
    ),
    "zh-wheat": (
        "zh",
        "wheat",
        [
            "哈萨克斯坦农业部表示，今年该国粮食产量预计超过两千万吨，其中小麦约一千六百万吨，创下近十年来的最高水平。",
            "农业部官员说，北部三州风调雨顺，单产明显提高，但部分地区因收割季节降雨过多，粮食质量受到一定影响。",
            "哈萨克斯坦是世界主要小麦出口国之一，传统市场包括中亚邻国、阿富汗和伊朗，近年来对华出口增长较快。",
            "为缓解仓储压力，政府计划增加铁路运力，并与中国方面协商扩大经霍尔果斯口岸的粮食运输。",
            "业内人士指出，国际粮价走低和运输成本上升，可能压缩农民的利润空间，政府正在研究相应的补贴措施。",
            "哈萨克斯坦总统托卡耶夫此前要求有关部门确保收获的粮食及时入库，防止损失。",
        ],
    ),
}

# One site's heavy page template, which its extraction leaves around every short brief.
TEMPLATE_SITE = "Steppe Wire"
TEMPLATE_HEAD = [
    "Steppe Wire: news from Central Asia, around the clock.",
]
TEMPLATE_FOOT = [
    "Subscribe to Steppe Wire on Telegram and WhatsApp to receive the most important news of the day first.",
    "Any use of Steppe Wire materials is permitted only with a hyperlink to the source. The editorial board "
    "does not necessarily share the views of the authors of published materials.",
    "Advertising and partnership enquiries: ads@steppewire.example, telephone +7 700 000 00 00.",
    "Found a mistake in the text? Select it and press Ctrl+Enter to let the editors know.",
]
BRIEFS: dict[str, str] = {
    "brief-flights": "Air Astana will launch direct flights from Almaty to Tashkent from December, the airline "
    "said on Monday. Flights will operate four times a week on Airbus A320neo aircraft.",
    "brief-snow": "Heavy snow closed the Bishkek-Osh highway for six hours on Tuesday. Road crews cleared the "
    "Too-Ashuu pass by the evening and traffic resumed, the emergencies ministry said.",
    "brief-tenge": "The tenge weakened to 512 per dollar on Wednesday, its lowest level since March, as oil "
    "prices fell and demand for foreign currency rose before the end of the quarter.",
    "brief-census": "Uzbekistan will hold its first population census since independence in 2026, the "
    "statistics agency said, adding that residents will be able to answer the questions online.",
    "brief-metro": "The Almaty metro will open two new stations next month, city officials said, extending the "
    "line towards the western districts where several hundred thousand people live.",
    "brief-cotton": "Turkmenistan has completed its cotton harvest ahead of schedule, state media reported, with "
    "farmers delivering more than one million tonnes of raw cotton to state buyers.",
}

RU_TEMPLATE_SITE = "Новости Азии"
RU_TEMPLATE_FOOT = [
    "Подписывайтесь на наш канал в Telegram, чтобы первыми узнавать главные новости Центральной Азии.",
    "При использовании материалов сайта гиперссылка на источник обязательна. Мнение редакции может не "
    "совпадать с мнением авторов.",
    "Нашли ошибку? Выделите ее и нажмите Ctrl+Enter.",
]
RU_BRIEFS: dict[str, str] = {
    "ru-brief-flights": "Авиакомпания Air Astana с декабря откроет прямые рейсы из Алматы в Ташкент. Полеты "
    "будут выполняться четыре раза в неделю.",
    "ru-brief-snow": "Трасса Бишкек – Ош была закрыта на шесть часов из-за сильного снегопада. К вечеру "
    "перевал Тоо-Ашуу расчистили, движение возобновлено.",
    "ru-brief-census": "Узбекистан проведет первую с момента независимости перепись населения в 2026 году. "
    "Ответить на вопросы можно будет онлайн.",
    "ru-brief-metro": "В Алматы в следующем месяце откроются две новые станции метро, сообщили в акимате "
    "города.",
}

# Lines another outlet's page leaves in its extracted text: promos, links, legal notes.
OUTLET_BOILERPLATE: dict[str, dict[str, list[str]]] = {
    "en": {
        "Caspian Herald": [
            "Read also: Caspian ports see record grain traffic",
            "Follow Caspian Herald on Telegram for breaking news.",
        ],
        "Silk Road Daily": [
            "Also read: Five things to know about the Middle Corridor",
            "This article was originally published by our partners and is republished with permission.",
            "Share this article",
        ],
        "Region Today": [
            "Photo: press service",
            "Related: Tokayev meets investors in Astana",
        ],
        "Eurasia Monitor": [
            "Advertisement",
            "Sign up for our weekly newsletter on Central Asia.",
        ],
    },
    "ru": {
        "Азия-Плюс": ["Читайте также: Что изменится в налогах с нового года", "Фото: пресс-служба"],
        "Курсив": ["Подписывайтесь на нас в Telegram", "Реклама"],
        "24.kg": ["Ранее сообщалось о подготовке соглашения.", "Поделиться"],
        "Informburo": ["Читайте также: Курс тенге на сегодня"],
    },
    "zh": {
        "新浪": ["相关阅读：中亚五国经济形势观察", "责任编辑：王明"],
        "环球网": ["来源：环球网", "更多精彩内容请关注我们的公众号"],
        "澎湃": ["澎湃新闻记者 李华", "图片来源：视觉中国"],
        "央视": ["本文转载自合作媒体", "编辑：张伟"],
    },
}

DATELINES = {
    "en": ["ALMATY, Nov 21 (Reuters) - ", "TASHKENT, Nov 21 (AP) - ", "BISHKEK (AFP) -- "],
    "ru": ["АСТАНА, 21 ноя — РИА Новости. ", "АЛМАТЫ, 21 ноября. /ТАСС/. "],
    "zh": ["新华社阿斯塔纳11月21日电 ", "中新网11月21日电 "],
}

# A new first paragraph: one opening and one framing sentence, so that every copy's lead is its own.
NEW_LEADS = {
    "en": (
        [
            "Here is what we know so far about the story that led the regional news agenda today.",
            "Officials in several capitals had been expecting this development for months.",
            "The news broke early in the morning and was quickly picked up by local media.",
            "Our correspondent has followed the story closely since it first emerged last week.",
        ],
        [
            "Below is a summary of agency reports, with the details that matter most for our readers.",
            "We have put together the main facts and the first reactions from the region.",
            "Readers asked us why it matters, so we compiled the key points from official statements.",
            "The full picture is still emerging; this is what has been confirmed so far.",
        ],
    ),
    "ru": (
        [
            "Рассказываем, что известно о событии, которое сегодня стало главной новостью региона.",
            "Этого решения в нескольких столицах ждали уже много месяцев.",
            "Новость появилась рано утром и быстро разошлась по местным СМИ.",
            "Наш корреспондент следит за этой историей с прошлой недели.",
        ],
        [
            "Ниже собраны главные факты и первые реакции.",
            "Мы объясняем, почему это важно для наших читателей.",
            "Полная картина еще складывается, но основное уже подтверждено официально.",
            "Собрали ключевые детали из официальных заявлений.",
        ],
    ),
    "zh": (
        [
            "本网综合外电报道，以下是今天中亚地区最受关注新闻的主要内容。",
            "这一各方期待已久的消息今天正式公布。",
            "消息一早传出，当地媒体迅速跟进报道。",
            "本网记者自上周起持续关注这一事件。",
        ],
        [
            "现将有关情况和各方初步反应整理如下。",
            "下面为读者梳理事件的要点及其影响。",
            "目前全貌仍在披露之中，以下为已经证实的内容。",
            "以下内容根据官方声明整理。",
        ],
    ),
}

# Word substitutions for light edits: typo fixes and small rewordings an editor makes.
EDITS = {
    "en": [
        ("agreement", "agreemnet"),
        ("officials", "officals"),
        ("said", "stated"),
        ("about", "around"),
        ("reported", "said"),
        ("region", "area"),
        ("between", "betwen"),
        ("expected", "expectd"),
        ("long", "long-standing"),
        ("the", "teh"),
    ],
    "ru": [
        ("сообщили", "сообщают"),
        ("около", "примерно"),
        ("который", "котрый"),
        ("года", "г."),
        ("после", "поле"),
        ("что", "что,"),
        ("в", "во"),
    ],
    "zh": [("表示", "称"), ("约", "大约"), ("将", "会"), ("的", "地"), ("中国", "中方"), ("地区", "区域")],
}
