"""Odd links beside good ones, IDN hosts, redirects to bad links: each costs its own entry.

Every test runs real ingests against a loopback server and a real DuckDB file; names (IDN ones
included) resolve to loopback through `settings.hosts` or a resolver the test controls.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.cli import main
from flows.config import parse_config
from flows.pipeline.ingest import ingest as run_ingest
from flows.stages.net.urls import canonicalize
from storage import Store
from tests.pipeline.test_hostile import PAGE_BOMBS
from tests.support.database import rows
from tests.support.pages import TEMPLATES, story
from tests.support.servers import NewsServer

GOOD_TITLES = [
    "Kazakhstan and Uzbekistan sign a water sharing deal",
    "Rail corridor through Kyrgyzstan gets new funding",
    "Tajik and Kyrgyz officials meet on border crossings",
]


def item(title: str, link: str, base: str | None = None) -> str:
    attr = f' xml:base="{html.escape(base)}"' if base is not None else ""
    return f"<item{attr}><title>{html.escape(title)}</title><link>{link}</link></item>"


def feed(items: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Odd</title>'
        f"<link>http://odd.test/</link><description>d</description>{''.join(items)}</channel></rss>"
    )


def add_good(server: NewsServer, prefix: str, n: int = 3) -> list[tuple[str, str]]:
    """n article pages; returns (title, url) of each."""
    out = []
    for i in range(n):
        art = story(f"good-{i}", GOOD_TITLES[i % len(GOOD_TITLES)] + f" ({prefix} {i})")
        out.append((art.title, server.add(f"/{prefix}/good-{i}", TEMPLATES[i % 3](art))))
    return out


def write_sources(tmp: Path, feeds: dict[str, str], extra_settings: str = "") -> Path:
    lines = [
        "settings:",
        "  timeout_seconds: 3",
        "  max_retries: 0",
        "  max_bytes: 4000000",
        *[f"  {s}" for s in extra_settings.splitlines() if s.strip()],
        "sources:",
        *[f"  - name: {name}\n    url: {url}" for name, url in feeds.items()],
    ]
    path = tmp / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest(sources: Path, db: Path) -> int:
    return main(["ingest", "--sources", str(sources), "--db", str(db), "--no-prefect"])


def odd_links(server: NewsServer) -> dict[str, str]:
    """Title -> link text as it stands in the feed (already XML-escaped)."""
    port = server.port
    redirects = {
        "port": "http://127.0.0.1:99999/x",
        "ipv6": "http://[::1/x",
        "mailto": "mailto:desk@odd.test",
        "nohost": "https:///x",
        "creds": f"http://user:secret@127.0.0.1:{port}/odd/secret",
        "punycode": "http://xn--zz.test/",
        "long": "http://odd.test/" + "a" * 9000,
    }
    for name, target in redirects.items():
        server.add(f"/odd/redirect-{name}", "", status=302, headers={"Location": target})
    server.add("/odd/secret", "<html>never</html>")
    links = {
        "port out of range": "http://127.0.0.1:99999/a.html",
        "port zero": "http://127.0.0.1:0/odd/good-0",
        "broken IPv6": "http://[::1/a",
        "IPv4 in brackets": "http://[127.0.0.1]/a",
        "empty host": "https:///x",
        "NUL": f"http://127.0.0.1:{port}/odd/nul&#0;x",
        "ESC": f"http://127.0.0.1:{port}/odd/esc&#27;[31m",
        "space in host": "http://odd .test/a",
        "credentials": f"http://user:secret@127.0.0.1:{port}/odd/secret",
        "100 kB": "http://odd.test/" + "b" * 100_000,
        "mailto": "mailto:desk@odd.test",
        "data": "data:text/html,&lt;b&gt;x&lt;/b&gt;",
        "ftp": "ftp://odd.test/file.txt",
        "invalid punycode": "http://xn--zz.test/a",
        "invalid punycode TLD": "http://xn--80ak6aa92e.xn--zz/a",
        **{f"redirect to {name}": f"http://127.0.0.1:{port}/odd/redirect-{name}" for name in redirects},
    }
    return links


def test_odd_links_beside_good_entries_cost_only_themselves(
    http_server: Callable[..., NewsServer], tmp_path: Path
) -> None:
    server = http_server()
    good = add_good(server, "odd")
    # odd but fetchable: a space and an invalid percent-escape in the path, as browsers send them
    spaced = story("spaced", "Uzbekistan opens a new border crossing with Kazakhstan")
    server.add("/odd/spaced%20story", TEMPLATES[0](spaced))
    escaped = story("escaped", "Turkmenistan gas pipeline talks resume in Ashgabat")
    server.add("/odd/100%zz", TEMPLATES[1](escaped))
    fetchable = [
        (spaced.title, server.url("/odd/spaced story")),
        (escaped.title, server.url("/odd/100%zz")),
    ]
    links = odd_links(server)
    items = [item(t, html.escape(u)) for t, u in good[:2]]
    items += [item(title, link) for title, link in links.items()]
    items += [item(t, html.escape(u)) for t, u in [*good[2:], *fetchable]]
    # relative links under odd xml:base values
    # (feedparser resolves what it cannot join against the feed's URL: those pages exist)
    for slug in ("rel-a", "rel-b", "rel-c"):
        server.add(f"/odd/{slug}", TEMPLATES[2](story(slug, f"Dushanbe hosts a summit on water ({slug})")))
    items.append(item("relative under a broken base", "rel-a", base="http://[::1/"))
    items.append(item("relative under an ftp base", "rel-b", base="ftp://odd.test/dir/"))
    items.append(item("relative under a javascript base", "rel-c", base="javascript:alert(1)//"))
    server.add("/odd/feed.xml", feed(items), content_type="application/rss+xml", etag='"odd-1"')
    internal = http_server("127.0.0.2")  # odd.test: any request reaching it is a failure
    sources = write_sources(
        tmp_path,
        {"Odd": server.url("/odd/feed.xml")},
        "allow_private_networks: false\nhosts:\n    odd.test: 127.0.0.2\n    x: 127.0.0.2",
    )
    db = tmp_path / "n.duckdb"
    expected = {canonicalize(u) for _, u in [*good, *fetchable]}
    relative = {canonicalize(server.url(f"/odd/rel-{c}")) for c in "abc"}

    for run in (1, 2):
        assert ingest(sources, db) == 0, f"run {run}"
        stored = {r[0] for r in rows(db, "SELECT canonical_url FROM articles WHERE source = 'Odd'")}
        assert expected <= stored and stored - expected <= relative, f"run {run}"
        failures, etag = rows(db, "SELECT consecutive_failures, etag FROM source WHERE name = 'Odd'")[0]
        assert failures == 0
        assert etag == '"odd-1"', "odd links must not keep the feed's validators from being saved"
    assert server.hits("/odd/feed.xml") == 2  # the second poll was a conditional GET answered 304
    assert server.hits("/odd/secret") == 0  # never fetched, not even through a redirect
    assert internal.requests == []
    log = rows(db, "SELECT kind, url, outcome, error FROM fetch_log WHERE source = 'Odd' AND run_id = 1")
    reasons = [(kind, outcome, error or "") for kind, _, outcome, error in log if kind in ("link", "article")]
    failed = [r for r in reasons if r[1] in ("skipped", "error")]
    # every odd link is accounted for with a reason; none is a bare exception name
    assert len(failed) >= len(links), failed
    joined = "\n".join(error for _, _, error in failed)
    for fragment in (
        "Port out of range",
        "port 0",
        "Invalid IPv6 URL",
        "no host",
        "control character U+0000",
        "control character U+001B",
        "user name or password",
        "link too long",
        "unsupported URL scheme 'mailto'",
        "unsupported URL scheme 'ftp'",
        "invalid punycode",
        "redirect to a bad link",
    ):
        assert fragment in joined, fragment
    assert "Traceback" not in joined and "unexpected error" not in joined
    # links not taken are logged, but source health counts only requests made (migration 006)
    (fetches,) = rows(db, "SELECT fetches_7d FROM source_health WHERE name = 'Odd'")[0]
    (made,) = rows(db, "SELECT count(*) FROM fetch_log WHERE source = 'Odd' AND kind <> 'link'")[0]
    (links_logged,) = rows(db, "SELECT count(*) FROM fetch_log WHERE source = 'Odd' AND kind = 'link'")[0]
    assert fetches == made and links_logged > 0


def test_idn_hosts_are_fetched_and_one_story_whatever_the_spelling(
    http_server: Callable[..., NewsServer], tmp_path: Path
) -> None:
    server = http_server()
    port = server.port
    art = story("saylau", "Kazakhstan announces the date of the parliamentary election")
    other = story("kremlin", "Russian president meets the leaders of Central Asia")
    server.add("/idn/saylau", TEMPLATES[0](art))
    server.add("/idn/kremlin", TEMPLATES[1](other))
    unicode_link = f"http://пример.қаз:{port}/idn/saylau"
    items = [
        item(art.title, html.escape(unicode_link)),
        item(art.title + " (punycode)", f"http://xn--e1afmkfd.xn--80ao21a:{port}/idn/saylau"),
        item(other.title, f"http://президент.рф:{port}/idn/kremlin"),
    ]
    server.add("/idn/feed.xml", feed(items), content_type="application/rss+xml")
    hosts = "hosts:\n    пример.қаз: 127.0.0.1\n    президент.рф: 127.0.0.1\n    жаңалықтар.уз: 127.0.0.1"
    sources = write_sources(
        tmp_path,
        {"IDN": f"http://жаңалықтар.уз:{port}/idn/feed.xml"},
        f"allow_private_networks: true\n{hosts}",
    )
    db = tmp_path / "n.duckdb"
    assert ingest(sources, db) == 0
    stored = dict(rows(db, "SELECT url, canonical_url FROM articles WHERE source = 'IDN'"))
    assert stored == {
        unicode_link: f"http://xn--e1afmkfd.xn--80ao21a:{port}/idn/saylau",
        f"http://президент.рф:{port}/idn/kremlin": f"http://xn--d1abbgf6aiiy.xn--p1ai:{port}/idn/kremlin",
    }
    assert server.hits("/idn/saylau") == 1  # two spellings, one article, one fetch
    hosts_seen = {r.headers["host"] for r in server.requests}
    assert (
        f"xn--e1afmkfd.xn--80ao21a:{port}" in hosts_seen and f"xn--d1abbgf6aiiy.xn--p1ai:{port}" in hosts_seen
    )


def _loopback_only(link: str) -> bool:
    """False for a generated link whose host is an IP literal off this machine (never sent)."""
    try:
        host = urlsplit(link.strip()).hostname or ""
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return True  # a name (resolved by the offline resolver only) or no valid host at all


async def offline_resolver(host: str, port: int) -> list[str]:
    if host in ("127.0.0.1", "localhost"):
        return ["127.0.0.1"]
    raise OSError(f"{host}: the test resolves no other name")


LINK_TEXT = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}/{path}",
        st.sampled_from(["http", "https", "ftp", "mailto", "data", "javascript", "HTTP", "", "h\x00ttp"]),
        st.one_of(
            st.text(min_size=0, max_size=20),
            st.sampled_from(["[::1", "[127.0.0.1]", "xn--zz", "пример.қаз", "127.0.0.1", "a..b", "-x-.kz"]),
        ),
        st.one_of(
            st.just(""), st.integers(-5, 200_000).map(lambda p: f":{p}"), st.text(max_size=4).map(":".__add__)
        ),
        st.text(max_size=30),
    ),
).filter(_loopback_only)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(LINK_TEXT, min_size=1, max_size=6))
def test_any_link_text_beside_good_entries_never_fails_the_run(
    http_server: Callable[..., NewsServer], tmp_path_factory: pytest.TempPathFactory, links: list[str]
) -> None:
    server = http_server()
    good = add_good(server, "prop", 2)
    items = [item(t, html.escape(u)) for t, u in good[:1]]
    items += [item(f"odd {i}", html.escape(link, quote=False)) for i, link in enumerate(links)]
    items += [item(t, html.escape(u)) for t, u in good[1:]]
    body = feed(items).encode("utf-8", "surrogatepass")
    server.add("/prop/feed.xml", body, content_type="application/rss+xml")
    tmp = tmp_path_factory.mktemp("prop")
    path = write_sources(tmp, {"Prop": server.url("/prop/feed.xml")}, "allow_private_networks: false")
    config = parse_config(path.read_text(encoding="utf-8"), str(path))
    db = tmp / "n.duckdb"
    summary = asyncio.run(run_ingest(config, Store(db), resolver=offline_resolver, workers=1))
    assert next(r for r in summary.reports if r.name == "Prop").status == "ok"
    stored = {r[0] for r in rows(db, "SELECT canonical_url FROM articles WHERE source = 'Prop'")}
    assert {canonicalize(u) for _, u in good} <= stored


def test_odd_links_idn_hosts_bombs_and_a_3mb_doctype_ingest_twice(
    http_server: Callable[..., NewsServer], tmp_path: Path
) -> None:
    """The issue's acceptance run: 15 odd links beside 10 good ones, two IDN hosts, four
    parser-breaking pages and a 3 MB DOCTYPE, through `newswatch ingest` twice."""
    server = http_server()
    port = server.port
    good = add_good(server, "odd", 10)
    links = list(odd_links(server).items())[:15]
    assert len(links) == 15
    idn = {
        "пример.қаз": story("idn-kz", "Kazakhstan names a new ambassador to Kyrgyzstan"),
        "президент.рф": story("idn-ru", "Russia and Uzbekistan sign a nuclear power agreement"),
    }
    for i, (host, art) in enumerate(idn.items()):
        server.add(f"/odd/{art.slug}", TEMPLATES[i](art))
        good.append((art.title, f"http://{host}:{port}/odd/{art.slug}"))
    bombs = [(f"Bomb {name}", server.add(f"/odd/bomb-{name}", body)) for name, body in PAGE_BOMBS.items()]
    items = [item(t, html.escape(u)) for t, u in good[:6]]
    items += [item(title, link) for title, link in links]
    items += [item(t, html.escape(u)) for t, u in [*bombs, *good[6:]]]
    server.add("/odd/feed.xml", feed(items), content_type="application/rss+xml")
    dtd_story = story("dtd", "Tashkent rail link to Bishkek opens")
    dtd_link = server.add("/dtd/a", TEMPLATES[1](dtd_story))
    server.add(
        "/dtd.xml",
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + b"A" * 3_000_000 + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>D &big;</title><link>http://x/</link><description>d</description>'
        b"<item><title>Rail &big;</title><link>" + dtd_link.encode() + b"</link></item></channel></rss>",
        content_type="application/rss+xml",
    )
    internal = http_server("127.0.0.2")
    sources = write_sources(
        tmp_path,
        {"Odd": server.url("/odd/feed.xml"), "DTD": server.url("/dtd.xml")},
        "max_bytes: 20000000\nallow_private_networks: false\nhosts:\n"
        "    odd.test: 127.0.0.2\n    x: 127.0.0.2\n    пример.қаз: 127.0.0.1\n    президент.рф: 127.0.0.1",
    )
    db = tmp_path / "n.duckdb"
    # the IDN hosts are not feed hosts: on loopback they are private, so trust them as feeds' hosts
    sources.write_text(
        sources.read_text(encoding="utf-8")
        + "".join(
            f"  - name: Host {i}\n    url: http://{h}:{port}/none.xml\n    enabled: false\n"
            for i, h in enumerate(idn)
        ),
        encoding="utf-8",
    )
    expected = {canonicalize(u) for _, u in good}
    for run in (1, 2):
        started = time.monotonic()
        assert ingest(sources, db) == 0, f"run {run}"
        seconds = time.monotonic() - started
        assert seconds < 60, f"run {run} took {seconds:.1f} s"
        stored = {r[0] for r in rows(db, "SELECT canonical_url FROM articles WHERE source = 'Odd'")}
        assert expected <= stored, expected - stored
        assert rows(db, "SELECT url FROM articles WHERE source = 'DTD'") == [(dtd_link,)]
    assert internal.requests == [] and server.hits("/odd/secret") == 0
    failures = rows(db, "SELECT name, consecutive_failures FROM source WHERE enabled")
    assert all(n == 0 for _, n in failures), failures
