"""One error shape for the whole API.

``{"error": {"code": "snake_case", "message": "human text", "fields": {...}}}``
with a 4xx status; bad input never reaches the database half-written because
services validate before they write and every request's session rolls back on
error.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """An expected failure with a status, a stable code and a message."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def flatten_messages(messages: Any) -> dict[str, str]:
    """webargs' nested messages (``{"json": {"a": {"b": ["x"]}}}``) as ``{"a.b": "x"}``."""
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            out[prefix or "_"] = " ".join(value)
        else:
            out[prefix or "_"] = str(value)

    if isinstance(messages, dict):
        for location, sub in messages.items():
            walk("", sub) if location in {"json", "form", "files", "query", "querystring", "view_args"} else walk(location, sub)
    return out


_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
}


def http_error_response(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    fields = flatten_messages(messages) if messages else {}
    code = _CODES.get(exc.code or 500, "error")
    message = data.get("message") or exc.description or exc.name
    # webargs answers a body it cannot decode with messages {"json": ["Invalid JSON body."]}.
    if exc.code == 400 and ("Invalid JSON" in str(message) or "Invalid JSON" in str(messages)):
        code, message, fields = "invalid_json", "The request body is not valid JSON.", {}
    if fields and exc.code == 422:
        message = "The request has invalid fields."
    return jsonify(error_body(code, message, fields)), exc.code


# Pages answer errors in HTML: web.init_app sets which requests are pages and
# how to draw their error (see set_page_errors); everything else gets JSON.
_page_errors: tuple[Callable[[], bool], Callable[[int, str], Any]] | None = None


def set_page_errors(is_page: Callable[[], bool], render: Callable[[int, str], Any]) -> None:
    global _page_errors
    _page_errors = (is_page, render)


def _page_error(status: int, message: str):
    if _page_errors is not None and _page_errors[0]():
        return _page_errors[1](status, message)
    return None


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        page = _page_error(exc.status, exc.message)
        if page is not None:
            return page
        return jsonify(error_body(exc.code, exc.message, exc.fields)), exc.status

    app.register_error_handler(HTTPException, handle_http_error)


def handle_http_error(exc: HTTPException):
    """An HTML page for page requests, the JSON error shape for everything else."""
    page = _page_error(exc.code or 500, exc.description or exc.name)
    if page is not None:
        return page
    return http_error_response(exc)
