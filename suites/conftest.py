"""Suites run with the respcheck pytest plugin (loaded from its entry point)."""
