-- 015: places below the country (issue 29): the ISO 3166-2 subdivisions of KZ, KG, TJ, TM, UZ an
-- article names (flows/stages/stories/places.py), e.g. ['KZ-47', 'KZ-75']; filled by the ingest and
-- by `newswatch rescore` (NULL for an article stored before, until a rescore). In the articles view
-- beside countries:
--   SELECT title, places FROM articles WHERE list_contains(places, 'KZ-47')
-- A table of its own, not a column of article: DuckLake readers fail on an inlined-data table of
-- a new schema version of article while another writer is at work (tests/pipeline/test_lake.py,
-- concurrent ingests), so no migration alters article.
CREATE TABLE article_place (
    article_id BIGINT NOT NULL,          -- article.id; one row per article analysed since 015
    places VARCHAR[] NOT NULL            -- ISO 3166-2 codes, in order of first mention
);

CREATE OR REPLACE VIEW articles AS
SELECT
    a.id, a.url, a.canonical_url, a.source, a.title, a.author, a.published_at, a.first_seen_at,
    a.language, a.text, a.word_count, a.is_seed, a.relevance, a.is_relevant, a.countries,
    a.cluster_id, a.duplicate_of, p.places
FROM article a
LEFT JOIN (SELECT article_id, any_value(places) AS places FROM article_place GROUP BY article_id) p
    ON p.article_id = a.id;

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
    LEFT JOIN (SELECT DISTINCT article_id AS id, unnest(places) AS region FROM article_place) p ON p.id = a.id
    WHERE NOT a.is_seed
)
GROUP BY ALL;
