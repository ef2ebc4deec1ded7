"""A seller's change of payout method waits for the sign-in code texted to their phone: wrong, expired and
used codes change nothing; staff set a method at once."""
from __future__ import annotations

from datetime import timedelta

from conftest import seller_pages
from sqlalchemy import func, select, update
from test_phone_sign_in import sms_provider, texted_code  # noqa: F401
from test_withdrawals import approve_earnings, private_targets, put, queued_code, seller, wechat, withdraw  # noqa: F401

from accounts.models import PhoneCode
from payouts.models import PayoutMethod, PayoutMethodChange
from plumbing import database, redis_client
from plumbing.database import utcnow
from referrals.models import Sharer

WECHAT = {"rail": "wechat", "account": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "name": "林小"}}
ALIPAY = {"rail": "alipay", "account": {"identity": "13800138000", "name": "张小明"}}


def method_of(owner, sharer_id) -> dict:
    res = owner.get(f"/api/v1/sharers/{sharer_id}/payout-method")
    assert res.status_code == 200, res.json
    return res.json


def confirm(owner, seller, code):  # noqa: F811
    return owner.post(f"/api/v1/sharers/{seller['id']}/payout-method/confirm", {"code": code}, key=seller["api_key"])


def backdate(app, sharer_id, **delta) -> None:
    """Move the seller's waiting change (and its code) into the past, as if time had passed."""
    with database.new_session(app) as s:
        change = s.get(PayoutMethodChange, sharer_id)
        change.sent_at -= timedelta(**delta)
        s.commit()


def test_a_sellers_change_waits_for_the_code_texted_by_the_provider(app, owner, seller, sms_provider):  # noqa: F811
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", WECHAT, key=seller["api_key"])
    assert res.status_code == 202, res.json
    assert res.json["rail"] is None and res.json["pending"]["account"] == "WeChat oUpF****eS6o *小"
    assert res.json["pending"]["code_sent_to"] == "+86138****8000"
    assert "oUpF8uMuAJO" not in res.get_data(as_text=True)
    assert method_of(owner, seller["id"])["rail"] is None  # not in force before the code
    code = texted_code(app, sms_provider)  # the worker texts it through the provider's fake
    sent = sms_provider.sent[-1]
    assert "13800138000" in (sent["PhoneNumbers"] if "PhoneNumbers" in sent else sent["PhoneNumberSet"][0])

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    res = confirm(owner, seller, wrong)
    assert res.status_code == 400 and res.json["error"]["code"] == "invalid_code"
    assert method_of(owner, seller["id"])["rail"] is None
    res = confirm(owner, seller, code)
    assert res.status_code == 200 and res.json["account"] == "WeChat oUpF****eS6o *小" and res.json["pending"] is None
    assert method_of(owner, seller["id"])["rail"] == "wechat"
    with database.read_session(app) as s:  # the wrong try was counted, not rolled back with the refusal
        assert s.scalar(select(PhoneCode.attempts)) == 2

    # Used once: the same code confirms nothing again, nor a later change.
    res = confirm(owner, seller, code)
    assert res.status_code == 409 and res.json["error"]["code"] == "no_pending_change"
    backdate(app, seller["id"], minutes=2)
    assert put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", ALIPAY, key=seller["api_key"]).status_code == 202
    res = confirm(owner, seller, code)
    assert res.status_code == 400 and res.json["error"]["code"] in ("invalid_code", "code_expired")
    assert method_of(owner, seller["id"])["rail"] == "wechat"


def test_an_expired_code_and_an_expired_change_are_refused(app, owner, seller):  # noqa: F811
    assert put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", WECHAT, key=seller["api_key"]).status_code == 202
    code = queued_code(app)
    with database.new_session(app) as s:
        s.execute(update(PhoneCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    res = confirm(owner, seller, code)
    assert res.status_code == 400 and res.json["error"]["code"] == "code_expired"
    with database.new_session(app) as s:
        s.execute(update(PayoutMethodChange).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    res = confirm(owner, seller, code)
    assert res.status_code == 409 and res.json["error"]["code"] == "no_pending_change"
    assert method_of(owner, seller["id"]) == {"rail": None, "account": None, "updated_at": None, "pending": None}


def test_five_wrong_tries_use_the_code_up(app, owner, seller):  # noqa: F811
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", WECHAT, key=seller["api_key"])
    code = queued_code(app)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [confirm(owner, seller, wrong).status_code for _ in range(6)]
    assert answers == [400] * 5 + [429]
    res = confirm(owner, seller, code)
    assert res.status_code == 429 and res.json["error"]["code"] == "too_many_attempts"
    assert method_of(owner, seller["id"])["rail"] is None
    backdate(app, seller["id"], minutes=2)  # a new change texts a new code, which works
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", WECHAT, key=seller["api_key"])
    assert confirm(owner, seller, queued_code(app)).status_code == 200


def test_codes_are_texted_once_a_minute_and_five_an_hour(app, owner, seller):  # noqa: F811
    path = f"/api/v1/sharers/{seller['id']}/payout-method"
    assert put(owner, path, WECHAT, key=seller["api_key"]).status_code == 202
    res = put(owner, path, ALIPAY, key=seller["api_key"])
    assert res.status_code == 429 and res.json["error"]["code"] == "code_too_soon"
    assert method_of(owner, seller["id"])["pending"]["rail"] == "wechat"  # the refused one stored nothing
    for _ in range(4):
        backdate(app, seller["id"], minutes=1)
        assert put(owner, path, ALIPAY, key=seller["api_key"]).status_code == 202
    backdate(app, seller["id"], minutes=1)
    res = put(owner, path, WECHAT, key=seller["api_key"])
    assert res.status_code == 429 and res.json["error"]["code"] == "too_many_codes"
    texted = [j for j in redis_client.queue(app=app).get_jobs() if j.func_name.endswith("send_sign_in_code")]
    assert len(texted) == 5
    with database.new_session(app) as s:  # an hour later the count starts again
        s.execute(update(PayoutMethodChange).values(window_started_at=utcnow() - timedelta(hours=1)))
        s.commit()
    assert put(owner, path, WECHAT, key=seller["api_key"]).status_code == 202


def test_a_seller_without_a_phone_adds_one_first_and_bad_input_stores_nothing(app, owner, seller, make_sharer):  # noqa: F811
    other = make_sharer("小王")
    res = put(owner, f"/api/v1/sharers/{other['id']}/payout-method", WECHAT, key=other["api_key"])
    assert res.status_code == 409 and res.json["error"]["code"] == "phone_required"
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "wechat", "account": {"openid": "a b"}},
              key=seller["api_key"])
    assert res.status_code == 422
    res = put(owner, f"/api/v1/sharers/{other['id']}/payout-method", WECHAT, key=seller["api_key"])
    assert res.status_code == 403
    res = confirm(owner, seller, "123456")
    assert res.status_code == 409 and res.json["error"]["code"] == "no_pending_change"
    res = owner.post(f"/api/v1/sharers/{seller['id']}/payout-method/confirm", {"code": "1" * 13}, key=seller["api_key"])
    assert res.status_code == 422
    with database.read_session(app) as s:
        assert s.scalar(select(func.count()).select_from(PayoutMethodChange)) == 0
        assert s.scalar(select(func.count()).select_from(PhoneCode)) == 0
        assert s.scalar(select(func.count()).select_from(PayoutMethod)) == 0


def test_a_new_phone_on_the_profile_holds_payout_changes_for_two_days(app, owner, seller, sms_provider):  # noqa: F811
    """Whoever holds a seller's session could put their own number on the profile, then confirm a payout
    change with a code texted to it: so payout details wait two days after the number changes."""
    pages = seller_pages(app, seller["id"])
    pages.post("/seller/profile/phone", {"phone": "139 0013 9000"}, token_from="/seller/profile")
    pages.post("/seller/profile/phone/confirm", {"code": texted_code(app, sms_provider)}, token_from="/seller/profile")
    with database.read_session(app) as s:
        assert s.get(Sharer, seller["id"]).phone == "+8613900139000"
    refused_for_two_days(app, owner, pages, seller, "phone_recently_changed", "changed less than two days ago")
    with database.new_session(app) as s:  # two days later
        s.get(Sharer, seller["id"]).phone_changed_at -= timedelta(hours=48)
        s.commit()
    assert put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", WECHAT, key=seller["api_key"]).status_code == 202
    assert method_of(owner, seller["id"])["rail"] is None  # still waits for the code to the (new) number


def refused_for_two_days(app, owner, pages, seller, code: str, says: str) -> None:  # noqa: F811
    """A change of payout method is refused (``code`` 409, retry in about two days) by the API and by
    the withdraw page (which ``says`` why), and nothing is kept."""
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", WECHAT, key=seller["api_key"])
    assert res.status_code == 409 and res.json["error"]["code"] == code
    assert 47 * 3600 < res.json["error"]["fields"]["retry_after"] <= 48 * 3600 + 1
    page = pages.post("/seller/withdraw/method", {"rail": "wechat", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
                                                  "name": "林小"}, token_from="/seller/withdraw",
                      follow_redirects=True, headers={"Accept-Language": "en"})
    assert says in page.text
    with database.read_session(app) as s:
        assert s.scalar(select(func.count()).select_from(PayoutMethodChange)) == 0


def test_staff_set_a_method_at_once_and_a_waiting_change_does_not_redirect_a_withdrawal(
        app, owner, seller, wechat):  # noqa: F811
    approve_earnings(app, owner)
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", WECHAT)
    assert res.status_code == 200 and res.json["rail"] == "wechat"
    assert not [j for j in redis_client.queue(app=app).get_jobs() if j.func_name.endswith("send_sign_in_code")]
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method",
              {"rail": "wechat", "account": {"openid": "oThief000000"}}, key=seller["api_key"])
    assert res.status_code == 202
    w = withdraw(owner, seller, "10.00")
    assert w["account"] == "WeChat oUpF****eS6o *小"  # the method in force, not the unconfirmed one


def test_the_withdraw_page_asks_for_the_code_and_refuses_a_wrong_one(app, owner, seller, wechat):  # noqa: F811
    pages = seller_pages(app, seller["id"])
    res = pages.post("/seller/withdraw/method", {"rail": "wechat", "openid": "oUser12345", "name": "林小"},
                     token_from="/seller/withdraw")
    assert res.status_code == 303
    page = pages.get("/seller/withdraw", headers={"Accept-Language": "zh-CN"}).text
    assert 'id="method-confirm"' in page and "+86138****8000" in page and "oUser12345" not in page
    code = queued_code(app)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    pages.post("/seller/withdraw/method/confirm", {"code": wrong}, token_from="/seller/withdraw")
    page = pages.get("/seller/withdraw").text
    assert "This code is not right" in page and 'id="method-confirm"' in page
    assert method_of(owner, seller["id"])["rail"] is None
    pages.post("/seller/withdraw/method/confirm", {"code": code}, token_from="/seller/withdraw")
    page = pages.get("/seller/withdraw").text
    assert "Your payout method is saved." in page and 'id="method-confirm"' not in page
    assert "WeChat oUs****345 *小" in page
    pages.post("/seller/withdraw/method/confirm", {"code": code}, token_from="/seller/withdraw")
    assert "No change is waiting for a code" in pages.get("/seller/withdraw").text
