"""The stages: one concern a module (fetch, feeds, extract, language, relevance, dedup...), pure where they can be."""
