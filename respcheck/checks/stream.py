"""Checks: stream (placeholder, filled in by its owner)."""
