-- 001: articles, sources and their health, the fetch log and the run log.
CREATE TABLE article (
    id BIGINT NOT NULL,
    url VARCHAR NOT NULL,                -- the link exactly as the feed gave it
    canonical_url VARCHAR NOT NULL,      -- normalised, for exact deduplication (unique: see index)
    source VARCHAR NOT NULL,
    title VARCHAR,
    author VARCHAR,
    published_at TIMESTAMPTZ,
    first_seen_at TIMESTAMPTZ NOT NULL,
    language VARCHAR,
    text VARCHAR,
    word_count INTEGER,
    is_seed BOOLEAN NOT NULL DEFAULT false,
    relevance DOUBLE,                    -- 0..1, filled by flows/relevance.py
    is_relevant BOOLEAN,
    countries VARCHAR[],                 -- KZ KG TJ TM UZ
    cluster_id BIGINT,                   -- one story; exact and near duplicates share it
    duplicate_of BIGINT,                 -- the cluster's earliest article, NULL for that one
    text_hash VARCHAR,                   -- hash of the normalised text: exact duplicates
    site_name VARCHAR,
    feed_summary VARCHAR,                -- the feed's own summary/content for the entry
    extraction VARCHAR,                  -- page | feed | seed: where `text` came from
    guid VARCHAR,
    run_id BIGINT
);
CREATE UNIQUE INDEX article_canonical_url ON article (canonical_url);
CREATE UNIQUE INDEX article_id ON article (id);
CREATE INDEX article_text_hash ON article (text_hash);

CREATE TABLE source (
    name VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    language VARCHAR,
    enabled BOOLEAN NOT NULL DEFAULT true,
    tags VARCHAR,
    etag VARCHAR,
    last_modified VARCHAR,
    last_polled_at TIMESTAMPTZ,
    last_status INTEGER,
    last_success_at TIMESTAMPTZ,
    last_error_at TIMESTAMPTZ,
    last_error VARCHAR,
    feed_problem VARCHAR,                -- a malformed feed that still gave entries
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since TIMESTAMPTZ,
    next_poll_at TIMESTAMPTZ,            -- back-off: a failing source is polled less often
    moved_to VARCHAR,                    -- a 301 was followed to here
    articles_total BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    updated_at TIMESTAMPTZ
);

CREATE SEQUENCE run_id_seq START 1;
CREATE TABLE run (
    id BIGINT NOT NULL DEFAULT nextval('run_id_seq'),
    kind VARCHAR NOT NULL,               -- ingest | seed | digest | rebuild
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,             -- running | ok | failed
    sources_polled INTEGER,
    articles_new INTEGER,
    articles_duplicate INTEGER,
    articles_failed INTEGER,
    waited_seconds DOUBLE,               -- time spent waiting for another process to free the database
    message VARCHAR
);

CREATE TABLE fetch_log (
    run_id BIGINT,
    source VARCHAR,
    kind VARCHAR NOT NULL,               -- feed | article | robots
    url VARCHAR NOT NULL,
    final_url VARCHAR,
    status INTEGER,
    outcome VARCHAR NOT NULL,            -- ok | not_modified | error | skipped
    error VARCHAR,
    bytes BIGINT,
    elapsed_ms DOUBLE,
    fetched_at TIMESTAMPTZ NOT NULL
);

CREATE VIEW articles AS
SELECT
    id, url, canonical_url, source, title, author, published_at, first_seen_at, language, text,
    word_count, is_seed, relevance, is_relevant, countries, cluster_id, duplicate_of
FROM article;
