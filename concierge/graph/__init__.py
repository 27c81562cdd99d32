"""Wiring: the graph, its edges and fan-out, and where checkpoints live."""
