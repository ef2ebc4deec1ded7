"""/api/v1/me: a seller's own app changes their phone, email and WeChat through the profile page's
steps: a number once the code texted to it is confirmed, an address once the emailed link is opened
(and the previous address is told), WeChat disconnected; every bad input a 4xx with nothing changed."""
from __future__ import annotations

import pytest
from conftest import Pages, seller_pages
from sqlalchemy import select
from test_contact_change import NEW, email_of, emailed_link, run_jobs, smtp  # noqa: F401 - a fixture
from test_phone_sign_in import sms_provider, texted_code  # noqa: F401 - a fixture
from test_webhooks import local_targets  # noqa: F401 - a fixture
from test_wechat_sign_in import authorise, fake_wechat, slug  # noqa: F401 - a fixture

from accounts.models import PhoneCode, SellerPass, WeChatIdentity
from plumbing import database
from referrals.models import Sharer

NEW_PHONE = "+8613900139000"


def phone_of(app, sharer_id: int) -> str | None:
    with database.read_session(app) as s:
        return s.get(Sharer, sharer_id).phone


def test_a_seller_app_changes_the_number_once_the_texted_code_is_confirmed(app, owner, make_sharer, sms_provider):
    seller = make_sharer("小林", phone="138 0013 8000")
    key = seller["api_key"]
    res = owner.post("/api/v1/me/phone", {"phone": "139-0013-9000"}, key=key)
    assert res.status_code == 202 and res.json == {"phone": "+86139****9000", "expires_in": 300}
    assert phone_of(app, seller["id"]) == "+8613800138000"  # not before the code is confirmed
    code = texted_code(app, sms_provider)
    wrong = "000000" if code != "000000" else "111111"
    res = owner.post("/api/v1/me/phone/confirm", {"phone": "13900139000", "code": wrong}, key=key)
    assert res.status_code == 400 and res.json["error"]["code"] == "invalid_code"
    assert phone_of(app, seller["id"]) == "+8613800138000"
    res = owner.post("/api/v1/me/phone/confirm", {"phone": "13900139000", "code": code}, key=key)
    assert res.status_code == 200 and res.json["phone"] == "+86139****9000"
    with database.read_session(app) as s:
        sharer = s.get(Sharer, seller["id"])
        assert sharer.phone == NEW_PHONE and sharer.phone_changed_at is not None
    # Used once.
    res = owner.post("/api/v1/me/phone/confirm", {"phone": "13800138000", "code": code}, key=key)
    assert res.status_code == 400 and res.json["error"]["code"] == "code_expired"
    assert phone_of(app, seller["id"]) == NEW_PHONE


@pytest.mark.parametrize("body", [{}, {"phone": ""}, {"phone": "abc"}, {"phone": "不是号码"},
                                  {"phone": "1" * 40}, {"phone": 13900139000}, {"phone": "139\x0000139000"},
                                  {"phone": "138 0013 8000"}, {"phone": NEW_PHONE, "extra": 1}])
def test_a_bad_or_unchanged_number_is_refused_and_nothing_is_texted(app, owner, make_sharer, body):
    seller = make_sharer("小林", phone="138 0013 8000")
    res = owner.post("/api/v1/me/phone", body, key=seller["api_key"])
    assert res.status_code == 422 and res.json["error"]["code"] == "validation_error"
    with database.read_session(app) as s:
        assert s.scalars(select(PhoneCode)).all() == []


@pytest.mark.parametrize("body", [{"phone": NEW_PHONE}, {"code": "123456"}, {"phone": "x", "code": "123456"},
                                  {"phone": NEW_PHONE, "code": "1" * 13}])
def test_a_bad_confirmation_is_refused_and_the_number_stays(app, owner, make_sharer, body):
    seller = make_sharer("小林", phone="138 0013 8000")
    res = owner.post("/api/v1/me/phone/confirm", body, key=seller["api_key"])
    assert res.status_code == 422
    assert phone_of(app, seller["id"]) == "+8613800138000"


def test_codes_to_a_new_number_share_the_sign_in_limit_per_number(app, owner, make_sharer):
    seller = make_sharer("小林")
    assert owner.post("/api/v1/me/phone", {"phone": NEW_PHONE}, key=seller["api_key"]).status_code == 202
    res = owner.post("/api/v1/me/phone", {"phone": "139 0013 9000"}, key=seller["api_key"])
    assert res.status_code == 429
    # The sign-in page asking for the same number waits too.
    assert Pages(app.test_client()).post("/seller/sign-in/phone", {"phone": "13900139000"}).status_code == 429


def test_only_the_seller_itself_changes_its_contacts(app, owner, make_sharer):
    make_sharer("小林")
    assert owner.post("/api/v1/me/phone", {"phone": NEW_PHONE}).status_code == 403  # an owner key
    assert owner.post("/api/v1/me/email", {"email": NEW}, key="sk_nonsense").status_code == 401
    assert owner.get("/api/v1/me/contact").status_code == 403


def test_a_seller_app_asks_for_a_new_email_and_the_link_confirms_it_and_tells_the_old_one(
        app, owner, make_sharer, smtp):
    seller = make_sharer("小林", email="lin@example.com")
    key = seller["api_key"]
    res = app.test_client().post("/api/v1/me/email", json={"email": " Lin.New@Example.com "},
                                 headers={"Authorization": f"Bearer {key}", "Accept-Language": "zh-CN"})
    assert res.status_code == 202 and res.json == {"email": "l***@example.com", "expires_in": 3600}
    assert owner.get("/api/v1/me/contact", key=key).json == {
        "phone": None, "email": "l***@example.com", "pending_email": "l***@example.com", "wechat": None}
    assert email_of(app, seller["id"]) == "lin@example.com"
    link = emailed_link(app, smtp, NEW)
    assert "一小时" in smtp.messages[-1].get_body(("plain",)).get_content()
    # The link is still the only confirmation: opened on any device, its button does it.
    res = Pages(app.test_client()).post(link, token_from="/seller/sign-in")
    assert res.status_code == 303 and email_of(app, seller["id"]) == NEW
    run_jobs(app)
    notice = smtp.messages[-1]
    assert notice["To"] == "lin@example.com" and "Acme Tea" in notice["Subject"]
    body = notice.get_body(("plain",)).get_content()
    assert "l***@example.com" in body and NEW not in body and "/seller/sign-in" in body
    assert owner.get("/api/v1/me/contact", key=key).json["pending_email"] is None


@pytest.mark.parametrize("body", [{}, {"email": ""}, {"email": "lin"}, {"email": "a" * 320 + "@example.com"},
                                  {"email": "lin@exa mple.com"}, {"email": ["lin@example.com"]},
                                  {"email": " lin@example.com "}])
def test_a_bad_or_unchanged_email_is_refused_and_nothing_is_sent(app, owner, make_sharer, smtp, body):
    seller = make_sharer("小林", email="lin@example.com")
    res = owner.post("/api/v1/me/email", body, key=seller["api_key"])
    assert res.status_code == 422 and res.json["error"]["code"] == "validation_error"
    with database.read_session(app) as s:
        assert s.scalars(select(SellerPass).where(SellerPass.kind == "email")).all() == []
    run_jobs(app)
    assert smtp.messages == []


def test_links_to_a_new_email_are_limited_per_email(app, owner, make_sharer, smtp):
    seller = make_sharer("小林", email="lin@example.com")
    codes = [owner.post("/api/v1/me/email", {"email": NEW}, key=seller["api_key"]).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    run_jobs(app)
    assert len(smtp.messages) == 3
    # The profile page asking to confirm that inbox (written another way) waits too: one bucket.
    res = seller_pages(app, seller["id"]).post("/seller/profile/email", {"email": f" {NEW.upper()} "},
                                               token_from="/seller/profile")
    assert res.status_code == 429


def test_sign_in_links_asked_by_strangers_do_not_keep_a_seller_from_confirming_an_inbox(app, owner, make_sharer,
                                                                                         smtp):
    seller = make_sharer("小林", email="lin@example.com")
    stranger = Pages(app.test_client())
    assert 429 in [stranger.post("/seller/sign-in", {"email": NEW}).status_code for _ in range(5)]
    assert owner.post("/api/v1/me/email", {"email": NEW}, key=seller["api_key"]).status_code == 202


def test_a_seller_app_disconnects_wechat(app, owner, make_sharer, fake_wechat):
    from conftest import seller_pages
    sharer = make_sharer("小林", phone="13800138000")
    seller = seller_pages(app, sharer["id"])
    query = authorise(seller, f"/seller/wechat/{slug(app)}?connect=1")
    code = fake_wechat.issue_code("o-lin", "snsapi_userinfo", unionid="u-lin")
    assert seller.get(f"/seller/wechat/callback?code={code}&state={query['state']}").status_code == 303
    headers = {"Authorization": f"Bearer {sharer['api_key']}"}
    assert owner.get("/api/v1/me/contact", key=sharer["api_key"]).json["wechat"] == "connected"
    res = app.test_client().delete("/api/v1/me/wechat", headers=headers)
    assert res.status_code == 200 and res.json["wechat"] == "connect"
    with database.read_session(app) as s:
        assert s.scalars(select(WeChatIdentity)).all() == []
    res = app.test_client().delete("/api/v1/me/wechat", headers=headers)
    assert res.status_code == 404 and res.json["error"]["code"] == "not_found"
