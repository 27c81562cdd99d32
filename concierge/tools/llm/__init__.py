"""LLM providers, the router, failover and health, prompts, the local answerer, and what generation costs."""
