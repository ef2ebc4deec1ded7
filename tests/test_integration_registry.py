"""A new platform is one module behind the registry: an adapter registered there (here, a shop
signing its JSON orders with HMAC-SHA256 under a key made in the test) is listed and connected
through the API and the console's Connect page, named by its own labels, and its notifications
are verified and recorded, with no other code touched."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from conftest import path_of
from test_integrations import connect, conversions, world  # noqa: F401  (world: a fixture)
from test_seller_portal import text_of

import integrations
from integrations.base import BadPayload, BadSignature, OrderEvent, Reply


class AcmeShop:
    name = "acme"
    title = "Acme Shop"
    fields = ("key",)
    generated = ()
    labels = {"key": "Acme signing key"}
    long = ()

    def validate(self, settings: dict) -> dict:
        key = str(settings.get("key") or "")
        if len(key) < 16:
            raise ValueError({"key": "the signing key from Acme's admin"})
        return {"key": key}

    def verify(self, headers, body: bytes, settings: dict, now) -> None:
        expected = hmac.new(settings["key"].encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest((headers.get("X-Acme-Signature") or "").encode(), expected.encode()):
            raise BadSignature("X-Acme-Signature does not match the body")

    def events(self, headers, body: bytes, settings: dict) -> list[OrderEvent]:
        try:
            order = json.loads(body)
            return [OrderEvent("sale", order["id"], order["total"], "CNY", click_id=order["click"],
                               customer={"external_id": order["buyer"]})]
        except (ValueError, KeyError, TypeError):
            raise BadPayload("not an Acme order") from None

    def accepted(self) -> Reply:
        return Reply(200, "ok")

    def refused(self, status: int, message: str) -> Reply:
        return Reply(status, message)


def test_an_adapter_in_the_registry_is_connected_and_takes_orders_with_nothing_else_changed(
        app, world, console, monkeypatch):  # noqa: F811
    monkeypatch.setitem(integrations.REGISTRY, "acme", AcmeShop())
    page = text_of(console.get("/console/connect"))
    assert "Acme Shop" in page and "Acme signing key" in page
    listed = world["api"].get("/api/v1/integrations").json["items"]
    assert {"provider": "acme", "settings": ["key"]}.items() <= next(i for i in listed if i["provider"] == "acme").items()
    key = secrets.token_hex(16)
    url = connect(world, "acme", {"key": key})
    body = json.dumps({"id": "AC-1", "total": "88.00", "click": world["click_id"], "buyer": "b-1"}).encode()

    def post(signature: str):
        return world["api"].client.post(path_of(url), data=body, headers={"X-Acme-Signature": signature})

    assert post(hmac.new(b"not the key", body, hashlib.sha256).hexdigest()).status_code == 401
    assert conversions(app) == []
    good = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    assert post(good).status_code == 200 and post(good).status_code == 200  # a replay: once
    [sale] = conversions(app)
    assert (sale.order_id, sale.sharer_id) == ("AC-1", world["sharer"]["id"])
