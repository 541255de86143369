"""Polling sources without a feed: sitemaps, section pages and Telegram channels."""

from flows.pipeline.crawl.sitemap import poll_any

__all__ = ["poll_any"]
