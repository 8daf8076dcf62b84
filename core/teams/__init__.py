"""Teams conversations the bot can write to later (proactive notices)."""
