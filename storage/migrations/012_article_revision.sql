-- 012: what a source changed in an article it had published (an edited Telegram post). The article
-- holds the text as it is now (analysed and indexed again when it changed); each change keeps the
-- title and text the article had before it here, so an analyst can see what a channel changed:
--   SELECT a.url, r.revised_at, r.text AS before, a.text AS now
--   FROM article_revision r JOIN article a ON a.id = r.article_id ORDER BY r.revised_at
CREATE TABLE article_revision (
    article_id BIGINT NOT NULL,          -- article.id
    revised_at TIMESTAMPTZ NOT NULL,     -- when the change was found
    run_id BIGINT,                       -- the ingest that found it
    title VARCHAR,                       -- the title before the change
    text VARCHAR,                        -- the text before the change
    text_hash VARCHAR
);
