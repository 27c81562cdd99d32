"""The `concierge` command line: serve, seed, chat in the terminal, catalog and documents, eval, bench."""
