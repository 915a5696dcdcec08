"""Checks: response (placeholder, filled in by its owner)."""
