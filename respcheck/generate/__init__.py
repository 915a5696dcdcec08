"""Hypothesis strategies derived from the request schemas, and curl reproductions of requests."""

from respcheck.generate.curl import to_curl
from respcheck.generate.requests import InvalidRequest, invalid_create_requests, valid_create_requests
from respcheck.generate.strategies import OMIT, Always, Limits, SchemaCompiler, UnsupportedSchema, from_schema

__all__ = [
    "OMIT",
    "Always",
    "InvalidRequest",
    "Limits",
    "SchemaCompiler",
    "UnsupportedSchema",
    "from_schema",
    "invalid_create_requests",
    "to_curl",
    "valid_create_requests",
]
