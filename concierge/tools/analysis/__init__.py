"""Reading a customer's words: content words and stems, query rules, time windows, money, units, and what a
message refers to in the conversation."""
