"""Choosing an ingest's entries: each link fetched once, stored links not at all, hosts interleaved."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flows.config import Source
from flows.pipeline.entries import Todo, choose_entries, interleave_by_host
from flows.pipeline.polling import Poll, SourceReport
from flows.stages.sources.feeds import FeedEntry

LINKS = [f"http://{host}/{n}" for host in ("a.test", "b.test", "c.test") for n in range(3)]


def entry(link: str) -> FeedEntry:
    return FeedEntry(link, link, None, None, None, None, None, None)


def poll(name: str, links: list[str]) -> Poll:
    source = Source(name=name, url=f"http://{name.lower()}.test/feed")
    return Poll(source, SourceReport(name), None, entries=[(entry(link), link) for link in links])


def test_pages_are_fetched_round_robin_over_hosts() -> None:
    p = poll("A", [])
    links = (
        [f"http://a.test/{i}" for i in range(3)]
        + [f"http://b.test/{i}" for i in range(2)]
        + ["http://c.test/0"]
    )
    order = [t.entry.link for t in interleave_by_host([Todo(p, entry(link), link) for link in links])]
    assert order == [
        "http://a.test/0",
        "http://b.test/0",
        "http://c.test/0",
        "http://a.test/1",
        "http://b.test/1",
        "http://a.test/2",
    ]


def test_a_link_is_fetched_once_for_the_first_source_that_has_it_and_stored_links_not_at_all() -> None:
    a = poll("A", ["http://a.test/1", "http://a.test/2", "http://shared.test/x"])
    b = poll("B", ["http://shared.test/x", "http://b.test/1"])
    todo = choose_entries([a, b], frozenset({"http://a.test/2"}))
    assert [(t.poll.source.name, t.canonical) for t in todo] == [
        ("A", "http://a.test/1"),
        ("A", "http://shared.test/x"),
        ("B", "http://b.test/1"),
    ]
    assert (a.report.known, a.report.same_link) == (1, 0)
    assert (b.report.known, b.report.same_link) == (0, 1)


@given(
    st.lists(st.lists(st.sampled_from(LINKS), max_size=6), max_size=4),
    st.frozensets(st.sampled_from(LINKS)),
)
def test_every_entry_is_fetched_or_counted_known_or_counted_same_link(
    sources: list[list[str]], known: frozenset[str]
) -> None:
    polls = [poll(f"S{i}", links) for i, links in enumerate(sources)]
    todo = choose_entries(polls, known)
    fetched = [t.canonical for t in todo]
    assert len(fetched) == len(set(fetched))
    assert set(fetched) == {link for links in sources for link in links} - known
    for p, links in zip(polls, sources, strict=True):
        assert p.report.known == sum(link in known for link in links)
        assert p.report.known + p.report.same_link + sum(t.poll is p for t in todo) == len(links)
