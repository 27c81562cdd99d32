"""Web search: the providers, and the cache and rate limit in front of them."""
