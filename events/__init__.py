"""Outgoing webhooks: endpoints a workspace registers, signed deliveries, retries."""
