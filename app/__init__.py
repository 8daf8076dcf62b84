"""Composition root: settings, wiring, the web app, the worker and the CLI."""
