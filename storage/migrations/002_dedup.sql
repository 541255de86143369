-- 002: the near-duplicate index (flows/dedup.py): MinHash LSH band keys, one row per (band, article).
-- A new article's band keys name its candidates; the candidates are then verified on their text.
CREATE TABLE dedup_band (
    band_key INTEGER NOT NULL,           -- hash of the band's number and its MinHash values
    article_id BIGINT NOT NULL
);
CREATE INDEX dedup_band_key ON dedup_band (band_key);

-- The parameters the index was built with; a different set in the code asks for `dedup --rebuild`.
CREATE TABLE dedup_state (
    params VARCHAR NOT NULL,
    built_at TIMESTAMPTZ NOT NULL
);
