-- 016: one story across languages (issue 28). A story is one or more near-duplicate clusters
-- (`cluster_id`) linked across languages by flows/stages/stories/linking.py; `story_id` is the
-- cluster id of the story's first cluster, so an article whose cluster is linked to nothing has
-- story_id = cluster_id, and copies (one cluster) always share it.

-- The clusters linked to an earlier cluster's story; a cluster not here is a story of its own.
CREATE TABLE story_link (
    cluster_id BIGINT NOT NULL,          -- a cluster (article.cluster_id)
    story_id BIGINT NOT NULL,            -- the story it belongs to: the cluster id of its first cluster
    score DOUBLE,                        -- the linking score that joined it (linking.score)
    linked_at TIMESTAMPTZ NOT NULL
);

-- What each recent cluster offers the linking (its head article's keys across scripts, dates and
-- numbers), kept for the window of the linking and a margin only, so an ingest compares a new
-- cluster with a bounded set whatever the size of the corpus. `dedup --rebuild` refills it.
CREATE TABLE story_evidence (
    cluster_id BIGINT NOT NULL,
    language VARCHAR,
    dated_at TIMESTAMPTZ NOT NULL,       -- publication time, else first seen: the window's clock
    keys VARCHAR[] NOT NULL
);

-- The articles view gains story_id (another migration may add other columns: keep them all).
CREATE OR REPLACE VIEW articles AS
SELECT
    a.id, a.url, a.canonical_url, a.source, a.title, a.author, a.published_at, a.first_seen_at,
    a.language, a.text, a.word_count, a.is_seed, a.relevance, a.is_relevant, a.countries,
    a.cluster_id, a.duplicate_of,
    coalesce(l.story_id, a.cluster_id, a.id) AS story_id, p.places
FROM article a
LEFT JOIN (SELECT cluster_id, min(story_id) AS story_id FROM story_link GROUP BY cluster_id) l
    ON l.cluster_id = a.cluster_id
LEFT JOIN (SELECT article_id, any_value(places) AS places FROM article_place GROUP BY article_id) p
    ON p.article_id = a.id;

-- One row per story (the seed corpus left out, as in story_clusters): its languages and outlets,
-- the countries it is about, when it was first and last seen, and one title per language (that
-- language's earliest article's).
CREATE OR REPLACE VIEW stories AS
SELECT
    story_id,
    min_by(id, (first_seen_at, id)) AS first_id,
    min_by(title, (first_seen_at, id)) AS title,
    count(DISTINCT cluster_id) AS clusters,
    count(*) AS articles,
    count(DISTINCT source) AS outlets,
    list(DISTINCT source ORDER BY source) AS sources,
    list(DISTINCT language ORDER BY language) FILTER (WHERE language IS NOT NULL) AS languages,
    list_distinct(flatten(list(coalesce(countries, [])))) AS countries,
    bool_or(is_relevant) AS is_relevant,
    max(relevance) AS relevance,
    min(first_seen_at) AS first_seen_at,
    max(first_seen_at) AS last_seen_at,
    map_from_entries(list(struct_pack(k := language, v := title) ORDER BY first_seen_at, id)
        FILTER (WHERE language IS NOT NULL AND is_first_of_language)) AS titles
FROM (
    SELECT
        *,
        row_number() OVER (PARTITION BY story_id, language ORDER BY first_seen_at, id) = 1 AS is_first_of_language
    FROM articles
    WHERE NOT is_seed
)
GROUP BY story_id;
