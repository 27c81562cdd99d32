"""The tenant's live catalog: import, the in-memory search index, free slots, and its change version."""
