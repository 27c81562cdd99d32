"""The team's own demo tenant, Inkwell & Oak: documents, catalog and services, and the command that seeds it."""
