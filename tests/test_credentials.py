"""Channel credentials: validated per channel, encrypted at rest, never answered back."""
from __future__ import annotations

from sqlalchemy import text

from credentials.store import load_credentials
from plumbing import database, vault

TOKEN = "123456:" + "S" * 35


def put(owner, channel, body, key=None):
    return owner.client.put(f"/api/v1/channels/{channel}/credentials", json=body, headers=owner._headers(key))


def test_telegram_credentials_are_stored_encrypted_and_never_returned(owner, app):
    res = put(owner, "telegram", {"bot_token": TOKEN, "chat_id": "@acme_tea"})
    assert res.status_code == 200, res.json
    assert res.json["configured"] and res.json["fields"] == ["api_base", "bot_token", "chat_id"]
    assert TOKEN not in res.get_data(as_text=True)
    got = owner.get("/api/v1/channels/telegram/credentials")
    assert got.status_code == 200 and got.json["configured"] and TOKEN not in got.get_data(as_text=True)
    assert TOKEN not in owner.get("/api/v1/channels").get_data(as_text=True)
    with database.read_session(app) as s:
        raw = s.execute(text("SELECT sealed FROM channel_credentials")).scalar_one()
        assert TOKEN not in raw and "123456" not in raw and "acme_tea" not in raw
        workspace_id = s.execute(text("SELECT workspace_id FROM channel_credentials")).scalar_one()
        assert load_credentials(s, vault.for_app(app), workspace_id, "telegram")["bot_token"] == TOKEN


def test_credentials_are_replaced_and_can_be_deleted(owner, app):
    assert put(owner, "telegram", {"bot_token": TOKEN, "chat_id": "1"}).status_code == 200
    assert put(owner, "telegram", {"bot_token": TOKEN, "chat_id": "2"}).status_code == 200
    with database.read_session(app) as s:
        assert s.execute(text("SELECT count(*) FROM channel_credentials")).scalar_one() == 1
        workspace_id = s.execute(text("SELECT workspace_id FROM channel_credentials")).scalar_one()
        assert load_credentials(s, vault.for_app(app), workspace_id, "telegram")["chat_id"] == "2"
    assert owner.client.delete("/api/v1/channels/telegram/credentials", headers=owner._headers(None)).status_code == 204
    assert owner.get("/api/v1/channels/telegram/credentials").json["configured"] is False


def test_a_rotated_secret_key_still_opens_old_credentials(owner, app):
    put(owner, "telegram", {"bot_token": TOKEN, "chat_id": "1"})
    with database.read_session(app) as s:
        sealed = s.execute(text("SELECT sealed FROM channel_credentials")).scalar_one()
    rotated = vault.Vault(["a-new-secret", app.config["SECRET_KEY"]])
    assert rotated.open(sealed)["bot_token"] == TOKEN
    try:
        vault.Vault(["a-new-secret"]).open(sealed)
        raise AssertionError("opened with the wrong key")
    except ValueError:
        pass


def test_invalid_credentials_are_refused_field_by_field(owner):
    res = put(owner, "email", {"smtp_host": "smtp.example.com", "smtp_port": "587", "from": "x", "to": []})
    assert res.status_code == 422
    assert set(res.json["error"]["fields"]) == {"smtp_port", "from", "to"}
    assert put(owner, "telegram", {"chat_id": "1"}).json["error"]["fields"] == {"bot_token": "required"}


def test_private_targets_in_credentials_are_refused_unless_allowed(owner, app):
    for channel, body, field in [
            ("telegram", {"bot_token": TOKEN, "chat_id": "1", "api_base": "http://127.0.0.1:8081"}, "api_base"),
            ("webhook", {"url": "http://169.254.169.254/latest/meta-data"}, "url"),
            ("email", {"smtp_host": "localhost", "smtp_port": 25, "from": "a@acme.example", "to": "b@example.com"},
             "smtp_host")]:
        res = put(owner, channel, body)
        assert res.status_code == 422 and "private" in res.json["error"]["fields"][field], channel
    app.config["ALLOW_PRIVATE_TARGETS"] = True
    assert put(owner, "telegram", {"bot_token": TOKEN, "chat_id": "1", "api_base": "http://127.0.0.1:8081"}).status_code == 200


def test_the_webhook_channel_secret_is_shown_once_when_generated(owner, app):
    app.config["ALLOW_PRIVATE_TARGETS"] = True
    res = put(owner, "webhook", {"url": "http://127.0.0.1:9/posts"})
    assert res.status_code == 200 and res.json["secret"].startswith("whsec_")
    assert "secret" not in owner.get("/api/v1/channels/webhook/credentials").json


def test_channels_without_an_api_and_unknown_channels_take_no_credentials(owner):
    assert put(owner, "wechat_moments", {"x": 1}).status_code == 422
    assert put(owner, "myspace", {"x": 1}).status_code == 404


def test_only_the_owner_sets_credentials(owner, make_sharer):
    seller = make_sharer()
    assert put(owner, "telegram", {"bot_token": TOKEN, "chat_id": "1"}, key=seller["api_key"]).status_code == 403
    assert owner.get("/api/v1/channels/telegram/credentials", key=seller["api_key"]).status_code == 403
