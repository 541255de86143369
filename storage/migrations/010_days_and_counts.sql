-- 010: one definition per count (issue 20).
-- * The seed corpus is a reference, not news: it stays out of the daily views and story_clusters
--   (before, the five seeds of 2021-2023 counted on the day they were loaded). Query them in
--   `articles WHERE is_seed`.
-- * The day of an article is its publication date where known, else the day it was first seen,
--   in the session's TimeZone (`newswatch sql` sets settings.timezone; `--tz` another).
-- * source_health.articles_total is the number of the source's articles stored (copies of a story
--   included), counted like articles_7d, so articles_7d <= articles_total always holds.
CREATE OR REPLACE VIEW daily_by_country AS
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
    WHERE NOT a.is_seed
)
GROUP BY ALL;

CREATE OR REPLACE VIEW daily_by_language AS
SELECT
    CAST(coalesce(published_at, first_seen_at) AS DATE) AS day,
    language,
    count(*) AS articles,
    count(*) FILTER (WHERE is_relevant) AS relevant,
    count(DISTINCT cluster_id) AS stories
FROM article
WHERE NOT is_seed
GROUP BY ALL;

CREATE OR REPLACE VIEW daily_by_source AS
SELECT
    CAST(coalesce(published_at, first_seen_at) AS DATE) AS day,
    source,
    count(*) AS articles,
    count(*) FILTER (WHERE is_relevant) AS relevant,
    count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies   -- copies of a story seen earlier
FROM article
WHERE NOT is_seed
GROUP BY ALL;

CREATE OR REPLACE VIEW story_clusters AS
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
WHERE NOT is_seed
GROUP BY cluster_id;

CREATE OR REPLACE VIEW source_health AS
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
    coalesce(a.articles_total, 0) AS articles_total,
    coalesce(a.articles_7d, 0) AS articles_7d,
    a.last_article_at,
    coalesce(f.fetches_7d, 0) AS fetches_7d,
    coalesce(f.errors_7d, 0) AS fetch_errors_7d,
    f.median_ms_7d AS fetch_median_ms_7d
FROM source s
LEFT JOIN (
    SELECT
        source,
        count(*) AS articles_total,
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
    WHERE fetched_at >= now() - INTERVAL 7 DAY AND kind <> 'link'
    GROUP BY source
) f ON f.source = s.name;
