"""Checks: errors (placeholder, filled in by its owner)."""
