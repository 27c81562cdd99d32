"""Learning without breaking: versioned evaluation sets and policies, A/B rollout, the rollback watch, alerts."""
