-- 004: the full-text search index (BM25 over our own postings, see storage/search/) and the
-- analysis views documented in README.md.

-- One row per (term, article). `term` is hash() of the normalised term. The table is a few runs,
-- each sorted by term, so a lookup reads only the row groups whose min/max range holds that hash.
CREATE TABLE search_posting (
    term UBIGINT NOT NULL,
    id BIGINT NOT NULL,                  -- article.id
    tf USMALLINT NOT NULL,               -- occurrences, a title occurrence counting double
    len UINTEGER NOT NULL                -- the article's weighted length, for BM25's length norm
);

-- Postings of articles indexed since the last compaction, unsorted: an ingest appends here, and
-- when it has grown past a fraction of search_posting it is sorted onto the end of that table.
CREATE TABLE search_delta (
    term UBIGINT NOT NULL,
    id BIGINT NOT NULL,
    tf USMALLINT NOT NULL,
    len UINTEGER NOT NULL
);

-- Which articles are indexed (an article with no words still gets a row, so it is not redone).
CREATE TABLE search_doc (
    id BIGINT NOT NULL,
    len UINTEGER NOT NULL,
    indexed_at TIMESTAMPTZ NOT NULL
);

-- One row: the tokenizer the postings were made with, and how much of the table is unsorted.
CREATE TABLE search_state (
    tokenizer VARCHAR NOT NULL,          -- version and hash probe; a mismatch forces a rebuild
    sorted_rows BIGINT NOT NULL,         -- rows in search_posting
    runs INTEGER NOT NULL,               -- sorted runs in search_posting
    delta_rows BIGINT NOT NULL,          -- rows in search_delta
    rebuilt_at TIMESTAMPTZ,
    compacted_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ
);

-- Daily counts. The day is the publication date where known, else the day it was first seen,
-- in the session's TimeZone (SET TimeZone = 'Asia/Almaty' to count in local days).
CREATE VIEW daily_by_country AS
SELECT
    CAST(coalesce(published_at, first_seen_at) AS DATE) AS day,
    country,                                            -- NULL: about none of the five
    count(*) AS articles,
    count(*) FILTER (WHERE is_relevant) AS relevant,
    count(DISTINCT cluster_id) AS stories
FROM (
    SELECT a.*, c.country
    FROM article a
    LEFT JOIN (SELECT id, unnest(countries) AS country FROM article) c ON c.id = a.id
)
GROUP BY ALL;

CREATE VIEW daily_by_language AS
SELECT
    CAST(coalesce(published_at, first_seen_at) AS DATE) AS day,
    language,
    count(*) AS articles,
    count(*) FILTER (WHERE is_relevant) AS relevant,
    count(DISTINCT cluster_id) AS stories
FROM article
GROUP BY ALL;

CREATE VIEW daily_by_source AS
SELECT
    CAST(coalesce(published_at, first_seen_at) AS DATE) AS day,
    source,
    count(*) AS articles,
    count(*) FILTER (WHERE is_relevant) AS relevant,
    count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies   -- copies of a story seen earlier
FROM article
GROUP BY ALL;

-- Story clusters: every copy of one story, exact or near. Rank by `outlets` for the stories the
-- most outlets ran.
CREATE VIEW story_clusters AS
SELECT
    cluster_id,
    min_by(id, (first_seen_at, id)) AS first_id,
    min_by(title, (first_seen_at, id)) AS title,
    min_by(source, (first_seen_at, id)) AS first_source,
    count(DISTINCT source) AS outlets,
    count(*) AS articles,
    list(DISTINCT source ORDER BY source) AS sources,
    list(DISTINCT language ORDER BY language) FILTER (WHERE language IS NOT NULL) AS languages,
    list_distinct(flatten(list(coalesce(countries, [])))) AS countries,
    bool_or(is_relevant) AS is_relevant,
    max(relevance) AS relevance,
    min(first_seen_at) AS first_seen_at,
    max(first_seen_at) AS last_seen_at
FROM article
GROUP BY cluster_id;

-- Source health: the source table with what it delivered and how its fetches went lately.
CREATE VIEW source_health AS
SELECT
    s.name,
    s.url,
    s.enabled,
    CASE
        WHEN s.consecutive_failures > 0 THEN 'failing'
        WHEN s.last_success_at IS NULL THEN 'never polled'
        ELSE 'ok'
    END AS status,
    s.last_success_at,
    s.last_error_at,
    s.last_error,
    s.feed_problem,
    s.consecutive_failures,
    s.failing_since,
    s.next_poll_at,
    s.moved_to,
    s.articles_total,
    coalesce(a.articles_7d, 0) AS articles_7d,
    a.last_article_at,
    coalesce(f.fetches_7d, 0) AS fetches_7d,
    coalesce(f.errors_7d, 0) AS fetch_errors_7d,
    f.median_ms_7d AS fetch_median_ms_7d
FROM source s
LEFT JOIN (
    SELECT
        source,
        count(*) FILTER (WHERE first_seen_at >= now() - INTERVAL 7 DAY) AS articles_7d,
        max(first_seen_at) AS last_article_at
    FROM article
    GROUP BY source
) a ON a.source = s.name
LEFT JOIN (
    SELECT
        source,
        count(*) AS fetches_7d,
        count(*) FILTER (WHERE outcome = 'error') AS errors_7d,
        median(elapsed_ms) AS median_ms_7d
    FROM fetch_log
    WHERE fetched_at >= now() - INTERVAL 7 DAY
    GROUP BY source
) f ON f.source = s.name;
