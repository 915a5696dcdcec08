"""The JSON Schemas in ``schemas/``: loading them and deriving them from the specs.

- ``registry``: load ``schemas/<profile>/<name>.json`` and compile it once per process;
- ``explain``: why an instance fails a schema, in the terms of the union member it meant to be;
- ``build``: derive the committed schemas from ``specs/`` (``respcheck schemas build``), with
  ``openapi`` (an OpenAPI document cleaned into JSON Schema), ``doc_tables`` (the relay doc
  pages' tables) and ``evolution`` (the relaxations the traffic showed the specs need).

May import: the core helpers (jsonpointer, jsontypes, resources) and the schema libraries; nothing
of the checks, the client, the server or the session.
"""
