"""Top-level pytest configuration: the respcheck plugin is loaded from its entry point."""
