-- 007: what each outlet's recent pages printed, line by line (flows/stages/templates.py): the
-- hashes of the lines of every page's extracted text, before its template was taken out. A line
-- an outlet prints on many of its pages is its template (menus, footers, related lists), not news;
-- the stored article text no longer holds those lines, so they are kept here. The newest pages
-- of each source are kept (storage/templates.py prunes the rest).
CREATE TABLE site_page_lines (
    source VARCHAR NOT NULL,
    url VARCHAR NOT NULL,                -- the page's canonical URL
    seen_at TIMESTAMPTZ NOT NULL,
    line_keys BIGINT[] NOT NULL          -- one hash per distinct line (flows/stages/dedup.py line_keys)
);
