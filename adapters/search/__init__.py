"""In-process search indexes: caches of the database, rebuilt from it, updated incrementally."""
