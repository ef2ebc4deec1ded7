"""The API's OpenAPI 3 document and error shape, via flask-smorest.

flask-smorest (marshmallow + webargs + apispec) validates bodies and queries
from the same schemas it publishes at ``GET /api/openapi.json``, so the
document cannot drift from the code.
"""
from __future__ import annotations

import json
import threading

import flask_smorest
from flask import Flask
from flask_smorest import Api
from marshmallow import Schema, fields
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter, Map, Rule

from plumbing.errors import handle_http_error
from plumbing.fields import MAX_ID


class ErrorDetail(Schema):
    code = fields.String(metadata={"example": "validation_error"})
    message = fields.String()
    fields = fields.Dict(keys=fields.String(), values=fields.String())


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetail)


class Parser(FlaskParser):
    """webargs' parser, answering invalid JSON (400) to documents ``json.loads``
    fails on with other errors than its own, which webargs takes for a bug (500):
    nesting past Python's recursion limit (RecursionError), and integer literals
    longer than Python converts (ValueError, past ``sys.get_int_max_str_digits()``,
    4,300 digits by default).

    A route's schema class is made into an instance once, not for every request as
    webargs does (copying every field: 40 µs for a one-field query, 150 µs for a
    sale's body). Loading changes nothing in a schema, so threads share it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[Schema], Schema] = {}

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            return schema if schema is not None else self._schemas.setdefault(argmap, argmap())
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as exc:
            # (a non-empty doc: webargs reads an empty one as "no body")
            raise json.JSONDecodeError(f"JSON not decodable: {type(exc).__name__}", "[", 0) from exc


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: flask-smorest's, with the parser above."""

    ARGUMENTS_PARSER = Parser()


class SharecastApi(Api):
    """flask-smorest's Api, documenting the operations when the document is first read rather than
    when the app is made. Documenting 140 operations (resolving their schemas) is half of making the
    app, which every worker, CLI call and test pays and almost none of them serves the document."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, *args, **kwargs):
        self._undocumented: list[tuple[flask_smorest.Blueprint, str, list | None]] = []
        self._documenting = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        if self._undocumented:
            with self._documenting:  # a second first reader waits, then finds nothing left to do
                for blp, name, parameters in self._undocumented:
                    blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
                self._undocumented = []
        return self._spec

    @spec.setter
    def spec(self, value):  # a new app's document: init_app
        self._spec, self._undocumented = value, []

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Api.register_blueprint, with the blueprint's operations documented on first read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def handle_http_exception(self, error):
        return handle_http_error(error)


api = SharecastApi()


# A row id in a URL rule: ``f"/things/<{ID}:thing_id>"`` (0 and negatives are not ids).
ID = f"int(min=1, max={MAX_ID})"


class IdConverter(IntegerConverter):
    """Every ``<int:...>`` of the app: at most ``MAX_ID`` unless a rule says otherwise, so an id too big
    for the database's integer column is a plain 404 (no such page), never an overflow in the driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any blueprint's rules are made
    api.init_app(app, spec_kwargs={
        "info": {"description": "Publishing and referral engine for social sellers. "
                               "Money is a decimal string plus an ISO-4217 currency."},
    })
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    # The redirect is a WSGI layer in front of Flask (see referrals/redirect.py),
    # so it is documented here rather than discovered from a view.
    rule = Rule("/r/<code>", endpoint="redirect")
    Map([rule])  # binds the rule so the plugin can read its parameters
    rule.defaults = {}
    api.spec.path(rule=rule, operations={"get": {
        "summary": "Follow a tracked link: 302 to the landing URL with sc_click appended.",
        "tags": ["redirect"], "security": [],
        "responses": {"302": {"description": "to the campaign's landing URL (query kept, sc_click added)",
                              "headers": {"Location": {"schema": {"type": "string"}}}},
                      "404": {"description": "unknown, disabled or expired code"}},
    }})
