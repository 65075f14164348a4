"""The clients: ``scripts/unasync.py`` writes ``jobwise._sync`` from ``jobwise._async``."""
