"""Schema profiles: loading (registry) and deriving (build) the JSON Schemas in ``schemas/``."""
