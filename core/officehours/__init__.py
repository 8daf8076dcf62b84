"""SME office hours: experts publish availability, colleagues book it (with a waitlist)."""
