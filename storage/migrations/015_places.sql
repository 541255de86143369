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
