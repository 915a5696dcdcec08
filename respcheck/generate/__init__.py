"""Hypothesis strategies derived from the request schemas (curl repros live in respcheck.reports.repro)."""

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
    "valid_create_requests",
]
