-- 013: the outlets' page lines keyed by the site (the page's host without "www.",
-- flows/stages/reading/templates.py site_of), not by the source that brought the page: feeds that
-- mix outlets (an aggregator's topic feed, a Telegram channel linking out, an OPML bundle) never
-- showed one source an outlet twice, so no template was learnt. The rows kept so far are re-keyed
-- by their URL's host, none lost; a page two sources brought is kept once, the newest.
CREATE TABLE site_page_lines_by_site (
    site VARCHAR NOT NULL,               -- the page's host, lower case, without a leading "www."
    url VARCHAR NOT NULL,                -- the page's canonical URL
    seen_at TIMESTAMPTZ NOT NULL,
    line_keys BIGINT[] NOT NULL          -- one hash per distinct line (flows/stages/stories/dedup.py)
);
INSERT INTO site_page_lines_by_site
SELECT site, url, seen_at, line_keys FROM (
    SELECT *, row_number() OVER (PARTITION BY site, url ORDER BY seen_at DESC, source) AS n FROM (
        SELECT coalesce(nullif(regexp_replace(lower(regexp_extract(
                   url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/?#:]+)', 1)),
                   '^www\.(.+\..+)$', '\1'), ''), source) AS site,
               source, url, seen_at, line_keys
        FROM site_page_lines
    )
) WHERE n = 1;
DROP TABLE site_page_lines;
ALTER TABLE site_page_lines_by_site RENAME TO site_page_lines;
