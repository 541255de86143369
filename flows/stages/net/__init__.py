"""Reaching the web: URLs, the network guard, the transport and the fetcher."""
