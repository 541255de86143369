"""From articles to stories: copies, near duplicates, relevance, names, search, watches."""
