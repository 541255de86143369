-- 002: the near-duplicate index (flows/dedup.py): MinHash LSH band keys, one row per (band, article).
-- A new article's band keys name its candidates; the candidates are then verified on their text.
CREATE TABLE dedup_band (
    band_key INTEGER NOT NULL,           -- hash of the band's number and its MinHash values
    article_id BIGINT NOT NULL
);
-- No index on band_key: DuckDB answers a batch's keys with one scan (a hash join), never with an
-- ART index, and an ART index of tens of millions of keys made every checkpoint rewrite it.

-- The parameters the index was built with; a different set in the code asks for `dedup --rebuild`.
CREATE TABLE dedup_state (
    params VARCHAR NOT NULL,
    built_at TIMESTAMPTZ NOT NULL
);

-- Exact duplicates are found by joining a batch's text hashes (a scan), never through an index on
-- text_hash either; that index (from 001) only made every checkpoint slower by a third.
DROP INDEX IF EXISTS article_text_hash;
