"""Teams surface: botbuilder activity handler, command parsing, Adaptive Cards, proactive notices."""
