-- 014: the titles each site's recent pages printed, as printed (site affixes kept), keyed by host
-- (flows/stages/reading/titles.py): a site's affix ("... - Фергана", "..._财经_凤凰网") and its
-- slogan are learnt from the titles of its pages, and the stored article title no longer holds
-- them, so they are kept here. The newest pages of each host are kept (storage/titles.py prunes).
CREATE TABLE site_title (
    host VARCHAR NOT NULL,               -- the page's host, lower case
    url VARCHAR NOT NULL,                -- the page's canonical URL
    seen_at TIMESTAMPTZ NOT NULL,
    title VARCHAR NOT NULL               -- the page's <title> (or og:title) as printed
);
