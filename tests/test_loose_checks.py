"""Checks an outside review found loose: landing URLs naming this machine, blank order ids, sales
from the future, made-up cursors, spreadsheet formulas in full width."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import CAMPAIGN
from sqlalchemy import func, select

from plumbing import database
from plumbing.csvexport import safe_cell
from referrals.models import Conversion

LOCAL = ["http://localhost:5000/console", "https://[::1]/x", "http://127.1/", "http://0x7f.0.0.1/",
         "http://2130706433/", "http://LOCALHOST./", "http://shop.localhost/", "http://[::ffff:127.0.0.1]/",
         "http://0.0.0.0:8000/", "http://10.0.0.8/", "http://192.168.1.1/admin", "http://[fe80::1]/"]


@pytest.mark.parametrize("url", LOCAL)
def test_a_landing_url_on_this_machine_or_a_private_network_is_refused(owner, url):
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "landing_url": url})
    assert res.status_code == 422 and "landing_url" in res.json["error"]["fields"], (url, res.json)


def test_private_landing_urls_are_allowed_for_development(app, owner):
    app.config["ALLOW_PRIVATE_TARGETS"] = True
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "landing_url": "http://10.0.0.8:8080/shop"})
    assert res.status_code == 201, res.json
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "landing_url": "https://sharecast.test/r/x"})
    assert res.status_code == 422  # never this service itself


def test_a_public_landing_url_by_name_or_number_is_accepted(owner):
    for url in ("https://shop.example.com/p", "http://93.184.215.14/p", "https://[2606:2800:21f:cb07::1]/p"):
        assert owner.post("/api/v1/campaigns", {**CAMPAIGN, "landing_url": url}).status_code == 201, url


def _conversions(app) -> int:
    with database.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(Conversion))


@pytest.mark.parametrize("field, value", [
    ("order_id", "   "), ("order_id", "\u3000\u3000"), ("refund_id", " "),
])
def test_blank_ids_are_refused(app, owner, campaign, make_sharer, make_link, field, value):
    link = make_link(campaign["id"], make_sharer()["id"])
    body = {"type": "refund" if field == "refund_id" else "sale", "order_id": "O-1", "amount": "10.00",
            "code": link["code"], "customer": {"external_id": "c"}, field: value}
    res = owner.post("/api/v1/conversions", body)
    assert res.status_code == 422 and field in res.json["error"]["fields"], res.json
    assert _conversions(app) == 0


def test_a_sale_from_the_future_is_refused_and_moves_no_leaderboard(app, owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    body = {"type": "sale", "order_id": "F-1", "amount": "10.00", "code": link["code"],
            "customer": {"external_id": "c"}}
    later = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    res = owner.post("/api/v1/conversions", {**body, "occurred_at": later})
    assert res.status_code == 422 and res.json["error"]["fields"] == {"occurred_at": "is in the future"}
    assert _conversions(app) == 0
    a_minute_ago = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    assert owner.post("/api/v1/conversions", {**body, "occurred_at": a_minute_ago}).status_code == 201


def test_a_made_up_cursor_is_refused_on_one_page_lists(owner, campaign, make_sharer):
    seller = make_sharer()
    for path, key in [("/api/v1/webhooks", None), ("/api/v1/library", seller["api_key"]), ("/api/v1/channels", None),
                      (f"/api/v1/campaigns/{campaign['id']}/posts", None)]:
        res = owner.get(f"{path}?cursor=garbage", key=key)
        assert res.status_code == 422 and "cursor" in res.json["error"]["fields"], (path, res.json)
        assert owner.get(path, key=key).status_code == 200, path


@pytest.mark.parametrize("text", ["＝1+1", "＋86", "－5", "＠SUM(A1)", "﹦cmd", "  =HYPERLINK(\"x\")", "\u3000=1"])
def test_csv_cells_that_a_spreadsheet_would_run_are_defused_in_any_width(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["小林", "1+1", "a=b", "Ｔｅａ"])
def test_csv_cells_that_are_plain_text_are_left_alone(text):
    assert safe_cell(text) == text


def test_instance_files_are_private_to_their_owner(tmp_path, backend_urls):
    import stat

    from app import create_app
    from plumbing import migrate

    instance = tmp_path / "instance"
    url = f"sqlite:///{instance / 'sharecast.db'}"
    app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "DATABASE_URL": url,
                      "REDIS_URL": backend_urls[2], "SECRET_KEY": "test-secret"})
    migrate.upgrade(url)
    with database.new_session(app) as s:
        s.execute(select(func.count()).select_from(Conversion))
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    for path in instance.glob("sharecast.db*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (instance / "sharecast.db").exists()
    database.engine_of(app).dispose()
