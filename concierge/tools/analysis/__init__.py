"""Reading a customer's words: content words and stems, query rules, the time windows a question names."""
