"""Storing a batch of analysed articles: each joins the story cluster of its exact or near duplicate."""

from __future__ import annotations

from collections.abc import Sequence

from flows.pipeline.stories import link_new_clusters
from flows.stages.stories.near_duplicates import NearDuplicates, SiteLines
from storage import ArticleRecord, InsertResult, Store
from storage.records import PageLines


def insert_with_dedup(
    store: Store,
    records: Sequence[ArticleRecord],
    run_id: int | None = None,
    site_lines: SiteLines | None = None,
    page_lines: tuple[Sequence[PageLines], int] | None = None,
) -> list[InsertResult]:
    """Store a batch; each article joins the story cluster of its exact or near duplicate, and each
    new cluster is linked to a story of another language where one reports the same event.

    `site_lines` carries what the batches of one run learn about the sites' recent articles;
    `page_lines` (pages, keep) go in the same transaction (the outlets' templates).
    A lake runs the attempt again when another writer committed first, with fresh dedup state.
    """

    def attempt() -> list[InsertResult]:
        nd = NearDuplicates(records, site_lines=site_lines)
        return store.insert_articles(
            records,
            run_id=run_id,
            near_duplicate=nd.find,
            on_inserted=nd.inserted,
            before_commit=nd.flush,
            joins=nd.joins,
            page_lines=page_lines,
        )

    results = store.retrying(attempt)
    link_new_clusters(store, results)  # stories across languages: after the batch, on its own
    return results
