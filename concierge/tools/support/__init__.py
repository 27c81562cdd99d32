"""People around the bot: customers' feedback and implicit signals, the human agents' handoff queue, their
corrections, the training data made from them, and the figures that follow each tenant's service."""
