"""Uploaded documents: file types, extraction, chunking, embeddings, the indexes and the background worker."""
