"""newswatch: a scheduled news-monitoring pipeline for Central Asia."""

__version__ = "0.1.0"
