-- 017: article_key, the narrow table the writer's per-batch lookups scan (issue 31).
-- Each batch looked its canonical URLs and text hashes up by joining them against the whole
-- article table: a scan of two string columns whose cost grew with the corpus, not the batch.
-- Here each article's URL and text hash are 64-bit keys (the low half of their MD5: stable
-- across DuckDB versions, unlike hash()); a lookup scans these integers, then reads the few
-- candidate articles by id and compares the strings themselves, so a key collision costs a
-- row read, never a wrong answer. Kept in the transactions that write article (storage/
-- articles.py, revisions.py, reconcile.py, lake_copy.py); no index (see 005).
CREATE TABLE article_key (
    id BIGINT NOT NULL,           -- article.id
    url_key UBIGINT NOT NULL,     -- md5_number_lower(canonical_url)
    text_key UBIGINT              -- md5_number_lower(text_hash); NULL without a hash
);
INSERT INTO article_key
SELECT id, md5_number_lower(canonical_url), md5_number_lower(text_hash) FROM article ORDER BY id;
