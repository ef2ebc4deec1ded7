"""The API's OpenAPI 3 document and error shape, via flask-smorest.

flask-smorest (marshmallow + webargs + apispec) validates bodies and queries
from the same schemas it publishes at ``GET /api/openapi.json``, so the
document cannot drift from the code.
"""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from errors import http_error_response


class SharecastApi(Api):
    def handle_http_exception(self, error):
        return http_error_response(error)


api = SharecastApi()


def init_app(app: Flask) -> None:
    api.init_app(app, spec_kwargs={
        "info": {"description": "Publishing and referral engine for social sellers. "
                               "Money is a decimal string plus an ISO-4217 currency."},
    })
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
