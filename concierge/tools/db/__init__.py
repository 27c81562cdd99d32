"""The app database: the declarative base, every table, the engine, migrations, and the retrieval log."""
