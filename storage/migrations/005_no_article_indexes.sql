-- 005: no ART indexes on article. DuckDB rewrote both at every checkpoint, and the store
-- checkpoints when each batch's connection closes: at a million articles that was 43 ms of a
-- batch's 65 ms close, growing with the table. No query used them either: URLs and text hashes
-- are looked up a batch at a time by hash joins, and ids (assigned in order) by zone maps.
-- Canonical URLs stay unique because the one writer (flows/pipeline.py holds the writer lock)
-- checks the batch's URLs against the stored ones in the transaction that inserts it.
DROP INDEX IF EXISTS article_canonical_url;
DROP INDEX IF EXISTS article_id;
