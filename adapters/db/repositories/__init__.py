"""Repositories map tortoise rows to core dataclasses and back."""
