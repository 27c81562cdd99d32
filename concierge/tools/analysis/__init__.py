"""Reading text: words and stems, questions, dates and times, money, units, and the conversation's references."""
