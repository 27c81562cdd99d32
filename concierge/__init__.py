"""Concierge: a LangGraph runtime for customer-service agents."""

__version__ = "0.1.0"
