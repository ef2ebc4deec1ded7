"""Workspaces (one brand each), their API keys and who may do what."""
