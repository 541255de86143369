-- 011: the search index's vocabulary, for queries ending in * (Kazakh* finds kazakhstan, kazakhs):
-- every word (lower-cased, as the tokenizer cuts it; not the CJK bigrams) of the indexed articles,
-- once. Filled by the index's updates; a database indexed before is rebuilt by the next update
-- (the tokenizer's version changed with it: titles also post their terms on their own).
CREATE TABLE search_word (
    word VARCHAR NOT NULL
);
