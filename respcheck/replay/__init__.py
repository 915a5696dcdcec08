"""Recorded traffic: loaders (respcheck JSONL, HAR 1.2, VCR.py YAML) that yield Exchanges.

``load.py`` picks the loader by file; ``body.py`` decodes a recorded body under the live body cap.
May import: exchange, sse, config (the body cap, the bounded YAML loader); never the client, the
server or the session.
"""
