-- 009 (issue 18): watches. A story (cluster) matched by a watch is recorded once per watch; an
-- immediate watch's announcement is one delivery per target (a mail to its addresses, a POST to
-- each webhook), kept until it is sent: a failed one is retried by the next ingest.
CREATE SEQUENCE watch_delivery_id_seq START 1;

CREATE TABLE watch_hit (
    watch VARCHAR NOT NULL,              -- the watch's name in sources.yaml
    story BIGINT NOT NULL,               -- coalesce(article.cluster_id, article.id) when first matched
    article_id BIGINT NOT NULL,          -- the best-ranked article of the story that matched
    run_id BIGINT,                       -- the ingest that matched it
    matched_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE watch_delivery (
    id BIGINT NOT NULL,
    watch VARCHAR NOT NULL,
    run_id BIGINT,                       -- the ingest whose new stories it announces
    channel VARCHAR NOT NULL,            -- mail | webhook
    target VARCHAR NOT NULL,             -- the sorted address list, or the webhook URL
    stories INTEGER NOT NULL,
    subject VARCHAR NOT NULL,
    payload VARCHAR NOT NULL,            -- the JSON posted (and the mail's source): the same on a retry
    status VARCHAR NOT NULL,             -- pending | sending | sent | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    last_attempt_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    error VARCHAR                        -- the last failure; NULL once sent
);

-- One row per watch and story: when it was first matched and when its announcement went out
-- (the first of that run's deliveries of the watch that succeeded; NULL while none has, and for
-- digest watches, whose stories go in the digest instead).
CREATE VIEW watch_hits AS
SELECT
    h.watch,
    h.story,
    h.article_id,
    a.title,
    a.source,
    a.url,
    h.matched_at AS first_matched_at,
    h.run_id,
    d.sent_at
FROM watch_hit h
LEFT JOIN article a ON a.id = h.article_id
LEFT JOIN (
    SELECT watch, run_id, min(sent_at) AS sent_at FROM watch_delivery WHERE status = 'sent' GROUP BY ALL
) d ON d.watch = h.watch AND d.run_id = h.run_id;
