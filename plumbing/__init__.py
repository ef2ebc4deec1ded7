"""Shared plumbing: configuration, database, Redis, money, signing, errors, paging, guarded outgoing HTTP.

Nothing here imports a feature package; every feature package may import it.
"""
