"""Tortoise table definitions, one module per feature app."""
