"""Navigation bars: an entry is ``(endpoint, label)``; it is current when the page's view
lives in the same module as the entry's (so every campaign page lights "Campaigns")."""
from __future__ import annotations

from flask import current_app, request


def _module(endpoint: str | None) -> str | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "__module__", None)


def is_current(endpoint: str) -> bool:
    return request.endpoint == endpoint or _module(request.endpoint) == _module(endpoint)
