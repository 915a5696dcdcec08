"""Checks: usage (placeholder, filled in by its owner)."""
