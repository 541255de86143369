from __future__ import annotations

from flows.stages.sources.pages import article_links, looks_like_article_url, looks_like_section

PAGE = b"""<html><head><title>News</title></head><body>
<header><nav><a href="/news/2026/12/01/menu-link-that-looks-like-an-article">menu</a><a href="/politics">Politics</a></nav></header>
<main>
 <article><h2><a href="/news/2026/12/01/water-deal-signed-in-astana">Water deal</a></h2>
  <a href="/author/anna-ivanova">Anna</a> <a href="/tag/water-and-energy">water</a></article>
 <article><h2><a href="https://www.example.kz/ru/news/123456">Id link</a></h2></article>
 <article><h2><a href="/news/2026/12/01/water-deal-signed-in-astana#comments">again</a></h2></article>
 <a href="https://other.example.com/news/2026/12/01/some-other-site-story">elsewhere</a>
 <a href="/login?next=/news">login</a> <a href="/news?page=2">next</a> <a href="/page/3">3</a>
 <a href="mailto:desk@example.kz">mail</a> <a href="javascript:void(0)">x</a>
</main>
<div class="pagination"><a href="/news/2026/12/01/paged-link-in-pagination-box">more</a></div>
<footer><a href="/about-us-and-our-team">About</a></footer>
</body></html>"""


def test_article_links_skip_chrome_navigation_and_other_sites() -> None:
    links = article_links(PAGE, "https://example.kz/news")
    assert [link.url for link in links] == [
        "https://example.kz/news/2026/12/01/water-deal-signed-in-astana",
        "https://www.example.kz/ru/news/123456",
    ]
    assert links[0].text == "Water deal"


def test_article_url_shapes() -> None:
    assert looks_like_article_url("https://x.kz/2026/12/01/tokayev-meets-mirziyoyev")
    assert looks_like_article_url("https://x.kz/news/987654.html")
    for url in (
        "https://x.kz/tag/water-and-energy",
        "https://x.kz/author/anna-ivanova",
        "https://x.kz/category/news-of-the-day",
        "https://x.kz/section/politics",
        "https://x.kz/page/2",
        "https://x.kz/news?page=2",
        "https://x.kz/login",
        "https://x.kz/politics",
        "https://x.kz/",
    ):
        assert not looks_like_article_url(url), url


def test_section_or_article() -> None:
    teasers = "".join(f'<h2><a href="/news/2026/12/01/story-number-{i}">Story {i}</a></h2>' for i in range(8))
    section = f"<html><body><main>{teasers}<p>Latest news.</p></main></body></html>".encode()
    assert looks_like_section(section, "https://x.kz/news/latest-news-roundup")
    words = " ".join(["word"] * 400)
    article = f"<html><body><main><h1>Title</h1><p>{words}</p>{teasers}</main></body></html>".encode()
    assert not looks_like_section(article, "https://x.kz/news/2026/12/01/story")
