"""Organisations (tenants), people and the identities that lead to them."""
