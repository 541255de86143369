"""Reading what a source lists: feeds, sitemaps, channels, section pages, OPML, the sources file, the seeds."""
