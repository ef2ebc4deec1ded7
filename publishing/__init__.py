"""Campaigns, their master content, per-channel rendering and publishing."""
