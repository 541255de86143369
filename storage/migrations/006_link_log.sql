-- 006: the fetch log also records the links of a feed that were not taken (kind 'link': a port out
-- of range, mailto:, invalid punycode...), each with its reason. Those are not fetches: source
-- health counts and times only requests made.
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
    WHERE fetched_at >= now() - INTERVAL 7 DAY AND kind <> 'link'
    GROUP BY source
) f ON f.source = s.name;
