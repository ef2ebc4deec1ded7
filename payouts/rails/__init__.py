"""Payout rails: one module per platform, the registry in ``registry.py``."""
