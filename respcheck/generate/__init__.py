"""Hypothesis strategies derived from the request schemas: ``strategies`` compiles a JSON Schema
(with ``vocabulary``, ``merge``, ``scalars``), ``requests`` draws valid create requests,
``invalid_requests`` invalid ones labelled with the param to name, ``ahead`` draws them ahead.

May import: the schemas and hypothesis; no I/O beyond reading the committed schemas."""

from respcheck.generate.invalid_requests import InvalidRequest, invalid_create_requests
from respcheck.generate.requests import valid_create_requests
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
