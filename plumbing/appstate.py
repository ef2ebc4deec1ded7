"""Per-app state with one owner: a typed slot in ``app.extensions``.

Each piece of state (the engine, the Redis clients, the link cache ...) is a
module-level :class:`AppSlot` in the module that makes it; other code reaches
it through that module's functions, never by a key of its own.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from flask import Flask, current_app

T = TypeVar("T")


class AppSlot(Generic[T]):
    def __init__(self, name: str) -> None:
        self._key = f"sharecast.{name}"

    def set(self, app: Flask, value: T) -> T:
        app.extensions[self._key] = value
        return value

    def get(self, app: Flask | None = None) -> T:
        """:raise KeyError: the app was made without it (``init_app`` not called)."""
        return (app or current_app).extensions[self._key]

    def get_or_make(self, app: Flask, make: Callable[[], T]) -> T:
        """The app's value, made by ``make()`` on first use."""
        value = app.extensions.get(self._key)
        if value is None:
            value = self.set(app, make())
        return value
