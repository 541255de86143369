-- 008: where a source without a feed stopped reading (issue 17). One row per (source, kind, key):
--   high_water  key ''             value: the newest entry time taken from a sitemap (ISO 8601, UTC)
--   last_post   key ''             value: the newest Telegram post id read
--   child       key: sitemap URL   value: that child sitemap's <lastmod>; etag / last_modified for it
--   section     key: canonical URL a link of a `page` source that turned out to be a section page
-- Rows are written only after the poll's articles are stored, so a crash reads the same entries again.
CREATE TABLE source_cursor (
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    value VARCHAR,
    etag VARCHAR,
    last_modified VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL
);
