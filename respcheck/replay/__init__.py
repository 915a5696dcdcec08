"""Recorded traffic: loaders (respcheck JSONL, HAR 1.2, VCR.py YAML) that yield Exchanges."""
