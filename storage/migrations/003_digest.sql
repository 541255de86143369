-- 003: the digest log: one row per day and recipient list, with its send status.
-- `recipients` is the sorted, comma-separated address list the digest goes to; '' for a digest
-- written to files only (no SMTP configured, or --no-send). A day is sent at most once per list.
CREATE TABLE digest (
    day DATE NOT NULL,                   -- the calendar day in settings.timezone
    recipients VARCHAR NOT NULL,
    status VARCHAR NOT NULL,             -- written | sending | sent | failed
    stories INTEGER NOT NULL,            -- story entries in the digest (after the max_stories cap)
    articles INTEGER NOT NULL,           -- relevant articles first seen that day
    subject VARCHAR,
    html_path VARCHAR,
    text_path VARCHAR,
    md_path VARCHAR,
    attempts INTEGER NOT NULL DEFAULT 0, -- send attempts, failed ones included
    last_attempt_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    message_id VARCHAR,
    error VARCHAR,                       -- the last send failure; NULL once sent
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
