-- 015: places below the country (issue 29): the ISO 3166-2 subdivisions of KZ, KG, TJ, TM, UZ an
-- article names (flows/stages/stories/places.py), e.g. ['KZ-47', 'KZ-75']; filled by the ingest and
-- by `newswatch rescore` (NULL for an article stored before, until a rescore). In the articles view
-- beside countries:
--   SELECT title, places FROM articles WHERE list_contains(places, 'KZ-47')
ALTER TABLE article ADD COLUMN places VARCHAR[];

CREATE OR REPLACE VIEW articles AS
SELECT
    id, url, canonical_url, source, title, author, published_at, first_seen_at, language, text,
    word_count, is_seed, relevance, is_relevant, countries, cluster_id, duplicate_of, places
FROM article;

-- Articles, relevant ones and stories per day and subdivision, as daily_by_country counts them
-- (the seed corpus left out; region NULL: an article that names none, or one stored before 015
-- and not rescored).
CREATE OR REPLACE VIEW daily_by_region AS
SELECT
    CAST(coalesce(published_at, first_seen_at) AS DATE) AS day,
    region,
    count(*) AS articles,
    count(*) FILTER (WHERE is_relevant) AS relevant,
    count(DISTINCT cluster_id) AS stories
FROM (
    SELECT a.*, p.region
    FROM article a
    LEFT JOIN (SELECT id, unnest(places) AS region FROM article) p ON p.id = a.id
    WHERE NOT a.is_seed
)
GROUP BY ALL;
