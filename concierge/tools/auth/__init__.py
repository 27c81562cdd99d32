"""Who may do what: API keys and scopes, thread tokens, secrets at rest, rate limits, the audit log."""
