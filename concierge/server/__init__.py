"""FastAPI app and CLI: the Agent Server routes a `langgraph_sdk` client speaks, and the `concierge` command."""
