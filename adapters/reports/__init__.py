"""Rendering reports the core computed: CSV tables and charts."""
