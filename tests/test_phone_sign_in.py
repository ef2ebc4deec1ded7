"""Phone sign-in end to end: the page asks, the worker texts the code through a provider's fake, the code signs in."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import Pages, run_cli
from platform_fakes import FakeAliyunSms, FakeTencentSms
from rq import SimpleWorker
from sqlalchemy import select

from accounts import phone_codes
from accounts.models import PhoneCode
from accounts.phone_codes import Outcome
from plumbing import database, redis_client
from plumbing.database import utcnow

PHONE = "+8613800138000"


@pytest.fixture(params=["aliyun", "tencent"])
def sms_provider(request, app):
    """The app texting through a local fake of Aliyun or Tencent Cloud SMS; yields the fake."""
    if request.param == "aliyun":
        fake = FakeAliyunSms("LTAI-test", "aliyun-secret")
        key_id, secret = fake.key_id, fake.secret
    else:
        fake = FakeTencentSms("AKIDtest", "tencent-secret")
        key_id, secret = fake.secret_id, fake.secret_key
    app.config.update(ALLOW_PRIVATE_TARGETS=True, SMS_PROVIDER=request.param, SMS_ACCESS_KEY_ID=key_id,
                      SMS_ACCESS_KEY_SECRET=secret, SMS_SIGN_NAME="茶园", SMS_TEMPLATE="SMS_1",
                      SMS_APP_ID="1400000000", SMS_ENDPOINT=fake.url("/"))
    yield fake
    fake.close()


def texted_code(app, fake) -> str:
    with app.app_context():  # jobs run in the app's context, as in the worker
        SimpleWorker([redis_client.queue(app=app)], connection=redis_client.connection(app)).work(burst=True)
    last = fake.sent[-1]
    return last["param"]["code"] if "param" in last else last["TemplateParamSet"][0]


def test_a_seller_signs_in_with_a_code_texted_by_the_provider(app, make_sharer, sms_provider):
    make_sharer("小林", phone="138 0013 8000")
    client = Pages(app.test_client())
    res = client.post("/seller/sign-in/phone", {"phone": "138-0013-8000"})
    assert res.status_code == 303 and res.headers["Location"] == "/seller/sign-in/phone/code"
    page = client.get("/seller/sign-in/phone/code", headers={"Accept-Language": "zh-CN"})
    assert "+86138****8000" in page.text and "0013" not in page.text  # the number shown masked
    code = texted_code(app, sms_provider)
    assert len(code) == 6 and code.isdigit()
    res = client.post("/seller/sign-in/phone/code", {"code": code})
    assert res.status_code == 303 and res.headers["Location"] == "/seller/"
    assert client.get("/seller/").status_code == 200
    # Used once: the same code again is refused; only its HMAC was ever stored.
    with database.read_session(app) as s:
        assert phone_codes.check_code(s, app.config["SECRET_KEY"], PHONE, code) is Outcome.EXPIRED
        [row] = s.scalars(select(PhoneCode)).all()
        assert code not in row.code_hash and row.used_at is not None


def test_known_and_unknown_numbers_get_the_same_answer_and_only_a_seller_is_texted(app, make_sharer, sms_provider):
    make_sharer("小林", phone=PHONE)
    known = Pages(app.test_client()).post("/seller/sign-in/phone", {"phone": PHONE})
    unknown = Pages(app.test_client()).post("/seller/sign-in/phone", {"phone": "+8613900139000"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    texted_code(app, sms_provider)
    assert len(sms_provider.sent) == 1


def test_wrong_code_then_too_many_tries_then_a_new_code_works(app, make_sharer, sms_provider):
    make_sharer("小林", phone=PHONE)
    client = Pages(app.test_client())
    client.post("/seller/sign-in/phone", {"phone": PHONE})
    code = texted_code(app, sms_provider)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [client.post("/seller/sign-in/phone/code", {"code": wrong}) for _ in range(6)]
    assert [a.status_code for a in answers] == [422] * 6
    assert "not right" in answers[0].text and "Too many wrong tries" in answers[5].text
    # The right code no longer works once the tries are spent.
    assert client.post("/seller/sign-in/phone/code", {"code": code}).status_code == 422
    assert client.get("/seller/").status_code == 302


def test_codes_expire_after_five_minutes(app, make_sharer):
    make_sharer("小林", phone=PHONE)
    with database.read_session(app) as s:
        code = phone_codes.issue_code(s, "k", PHONE, now=utcnow() - timedelta(minutes=5, seconds=1))
        s.commit()
        assert phone_codes.check_code(s, "k", PHONE, code) is Outcome.EXPIRED
        fresh = phone_codes.issue_code(s, "k", PHONE)
        assert phone_codes.check_code(s, "k", PHONE, "12345") is Outcome.WRONG  # not even six digits
        assert phone_codes.check_code(s, "k", PHONE, fresh) is Outcome.OK
        assert phone_codes.check_code(s, "k", PHONE, fresh) is Outcome.EXPIRED  # single use


def test_a_new_code_replaces_the_previous_one(app):
    with database.read_session(app) as s:
        first = phone_codes.issue_code(s, "k", PHONE)
        second = phone_codes.issue_code(s, "k", PHONE)
        assert phone_codes.check_code(s, "k", PHONE, first) in (Outcome.WRONG, Outcome.OK)
        if first != second:
            assert phone_codes.check_code(s, "k", PHONE, first) is Outcome.WRONG
        assert phone_codes.check_code(s, "k", PHONE, second) is Outcome.OK


def test_asking_for_codes_is_limited_per_number_and_per_address(app, make_sharer):
    make_sharer("小林", phone=PHONE)
    client = Pages(app.test_client())
    first = client.post("/seller/sign-in/phone", {"phone": PHONE})
    again = client.post("/seller/sign-in/phone", {"phone": "138 0013 8000"})  # the same number, written otherwise
    assert (first.status_code, again.status_code) == (303, 429)
    others = [client.post("/seller/sign-in/phone", {"phone": f"+861390013900{i}"}).status_code for i in range(5)]
    assert others == [303, 303, 303, 303, 429]  # five asks a minute from one address
    with database.read_session(app) as s:
        assert len(s.scalars(select(PhoneCode)).all()) == 1


@pytest.mark.parametrize("phone", ["", "12", "not a number", "+86 138 0013 8000 0000 0000", "\x00"])
def test_a_bad_number_is_a_422_and_nothing_is_stored(app, phone):
    res = Pages(app.test_client()).post("/seller/sign-in/phone", {"phone": phone})
    assert res.status_code == 422
    with database.read_session(app) as s:
        assert s.scalars(select(PhoneCode)).all() == []


def test_the_code_page_without_a_number_goes_back_to_the_start(app):
    assert Pages(app.test_client()).get("/seller/sign-in/phone/code").headers["Location"] == "/seller/sign-in/phone"


def test_a_number_of_sellers_of_two_brands_chooses_one(app, owner, make_sharer, sms_provider):
    make_sharer("小林", phone=PHONE)
    other = run_cli(app, "workspace", "create", "--name", "Beta Soap")
    res = owner.post("/api/v1/sharers", {"name": "林", "phone": PHONE}, key=other["api_key"])
    assert res.status_code == 201
    client = Pages(app.test_client())
    client.post("/seller/sign-in/phone", {"phone": PHONE})
    res = client.post("/seller/sign-in/phone/code", {"code": texted_code(app, sms_provider)})
    assert res.headers["Location"] == "/seller/sign-in/phone/choose"
    page = client.get("/seller/sign-in/phone/choose")
    assert "Beta Soap" in page.text and "Acme Tea" in page.text
    beta_sharer = owner.get("/api/v1/sharers", key=other["api_key"]).json["items"][0]["id"]
    res = client.post("/seller/sign-in/phone/choose", {"sharer": str(beta_sharer)})
    assert res.status_code == 303 and res.headers["Location"] == "/seller/"
    assert "Beta Soap" in client.get("/seller/").text


def test_a_seller_adds_a_phone_number_only_once_its_code_is_confirmed(app, make_sharer, sms_provider):
    from conftest import seller_pages

    from referrals.models import Sharer

    sms_provider.limit = 5  # two codes to the new number within a minute (the providers' default is lower)
    seller = make_sharer("小林", email="lin@example.com")
    pages = seller_pages(app, seller["id"])
    res = pages.post("/seller/profile/phone", {"phone": "139 0013 9000"}, token_from="/seller/profile")
    assert res.status_code == 303
    assert "+86139****9000" in pages.get("/seller/profile").get_data(as_text=True)
    code = texted_code(app, sms_provider)
    with database.read_session(app) as s:
        assert s.get(Sharer, seller["id"]).phone is None  # not used before it is confirmed
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    pages.post("/seller/profile/phone/confirm", {"code": wrong}, token_from="/seller/profile")
    with database.read_session(app) as s:
        assert s.get(Sharer, seller["id"]).phone is None
    pages.post("/seller/profile/phone/confirm", {"code": code}, token_from="/seller/profile")
    with database.read_session(app) as s:
        assert s.get(Sharer, seller["id"]).phone == "+8613900139000"
    # One code a minute per number, wherever it is asked for.
    assert Pages(app.test_client()).post("/seller/sign-in/phone", {"phone": "13900139000"}).status_code == 429


def test_a_sellers_tool_trades_a_texted_code_for_a_seller_key_by_api(app, client, owner, make_sharer, sms_provider):
    seller = make_sharer("小林", phone="138 0013 8000")
    with database.read_session(app) as s:
        from referrals.models import Sharer
        from workspaces.models import Workspace
        slug = s.get(Workspace, s.get(Sharer, seller["id"]).workspace_id).slug
    asked = client.post("/api/v1/sign-in/phone/code", json={"phone": "138-0013-8000"})
    assert asked.status_code == 202 and asked.json == {"phone": "+86138****8000", "expires_in": 300}
    unknown = client.post("/api/v1/sign-in/phone/code", json={"phone": "13900139000"})
    assert (unknown.status_code, unknown.json) == (202, {"phone": "+86139****9000", "expires_in": 300})
    code = texted_code(app, sms_provider)
    assert len(sms_provider.sent) == 1  # the unknown number got nothing
    assert client.post("/api/v1/sign-in/phone/code", json={"phone": "+8613800138000"}).status_code == 429
    assert client.post("/api/v1/sign-in/phone/code", json={"phone": "hello"}).status_code == 422
    wrong = "000000" if code != "000000" else "111111"
    res = client.post("/api/v1/sign-in/phone/key", json={"phone": PHONE, "code": wrong, "workspace": slug})
    assert (res.status_code, res.json["error"]["code"]) == (400, "invalid_code")
    res = client.post("/api/v1/sign-in/phone/key", json={"phone": PHONE, "code": code, "workspace": "elsewhere"})
    assert (res.status_code, res.json["error"]["code"]) == (404, "not_found")  # the code is used up by now
    res = client.post("/api/v1/sign-in/phone/key", json={"phone": PHONE, "code": code, "workspace": slug})
    assert (res.status_code, res.json["error"]["code"]) == (400, "code_expired")
    # A fresh code (a minute later, as the limit says) signs in: the key acts for this seller only.
    with database.new_session(app) as s:
        fresh = phone_codes.issue_code(s, app.config["SECRET_KEY"], PHONE)
        s.commit()
    res = client.post("/api/v1/sign-in/phone/key", json={"phone": "138 0013 8000", "code": fresh, "workspace": slug})
    assert res.status_code == 201 and res.json["sharer_id"] == seller["id"] and res.json["workspace"] == slug
    key = res.json["api_key"]
    mine = client.get(f"/api/v1/sharers/{seller['id']}/earnings", headers={"Authorization": f"Bearer {key}"})
    assert mine.status_code == 200
    assert client.get("/api/v1/sharers", headers={"Authorization": f"Bearer {key}"}).status_code == 403


def test_an_expired_code_and_too_many_tries_by_api(app, client, make_sharer):
    make_sharer("小林", phone="13800138000")
    with database.new_session(app) as s:
        from referrals.models import Sharer
        from workspaces.models import Workspace
        slug = s.scalar(select(Workspace.slug).join(Sharer, Sharer.workspace_id == Workspace.id))
        old = phone_codes.issue_code(s, app.config["SECRET_KEY"], PHONE, now=utcnow() - timedelta(minutes=6))
        s.commit()
    res = client.post("/api/v1/sign-in/phone/key", json={"phone": PHONE, "code": old, "workspace": slug})
    assert (res.status_code, res.json["error"]["code"]) == (400, "code_expired")
    with database.new_session(app) as s:
        code = phone_codes.issue_code(s, app.config["SECRET_KEY"], PHONE)
        s.commit()
    wrong = "000000" if code != "000000" else "111111"
    answers = [client.post("/api/v1/sign-in/phone/key", json={"phone": PHONE, "code": wrong, "workspace": slug})
               .status_code for _ in range(phone_codes.MAX_ATTEMPTS + 1)]
    assert answers == [400] * phone_codes.MAX_ATTEMPTS + [429]
    res = client.post("/api/v1/sign-in/phone/key", json={"phone": PHONE, "code": code, "workspace": slug})
    assert res.status_code == 429  # the right code no longer helps: ask for a new one
