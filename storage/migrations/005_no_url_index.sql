-- 005: no ART index on article.canonical_url. DuckDB rewrites an ART index at every checkpoint,
-- and the store checkpoints when each batch's connection closes; no query used this one: URLs
-- are looked up a batch at a time by hash joins. Canonical URLs stay unique because the one
-- writer (flows/pipeline.py holds the writer lock) checks the batch's URLs against the stored
-- ones in the transaction that inserts it. The index on id stays: search and near-duplicate
-- candidates fetch a few articles by id, and without it each such fetch reads the text column
-- of every row group (2.5 s a search at a million articles instead of 0.1 s).
DROP INDEX IF EXISTS article_canonical_url;
