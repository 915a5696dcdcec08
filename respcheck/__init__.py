"""respcheck: contract tests and a conformance suite for the OpenAI Responses API."""

__version__ = "0.1.0"
