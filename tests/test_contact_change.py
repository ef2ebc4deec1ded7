"""A seller adds or changes phone, email and WeChat on their profile, each verified before it is used:
an email address only once the link emailed to it is opened, a number only once the code texted to it is
entered, WeChat by WeChat's own authorisation (and disconnected from the profile)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import Pages, seller_pages
from rq import SimpleWorker
from servers import SmtpSink
from sqlalchemy import select, update
from test_phone_sign_in import sms_provider, texted_code  # noqa: F401 - a fixture
from test_publishing_e2e import put_credentials
from test_webhooks import local_targets  # noqa: F401 - a fixture
from test_wechat_sign_in import authorise, fake_wechat, slug  # noqa: F401 - a fixture

from accounts import email_change, phone_codes
from accounts.models import PhoneCode, SellerPass, WeChatIdentity
from accounts.phone_codes import Outcome
from plumbing import database, redis_client
from plumbing.database import utcnow
from referrals.models import Sharer

NEW = "lin.new@example.com"


@pytest.fixture
def smtp(app, owner, local_targets):
    """The workspace's email channel pointed at a local SMTP server that keeps what it receives."""
    sink = SmtpSink()
    put_credentials(owner, "email", {"smtp_host": "127.0.0.1", "smtp_port": sink.port,
                                     "from": "Acme Tea <shop@acme.example>", "to": ["list@example.com"]})
    yield sink
    sink.close()


def run_jobs(app) -> None:
    with app.app_context():  # jobs run in the app's context, as in the worker
        SimpleWorker([redis_client.queue(app=app)], connection=redis_client.connection(app)).work(burst=True)


def emailed_link(app, smtp, to: str) -> str:
    run_jobs(app)
    mail = smtp.messages[-1]
    assert mail["To"] == to
    return re.search(r"https?://[^/\s]+(/seller/email/[\w-]+)", mail.get_body(("plain",)).get_content()).group(1)


def email_of(app, sharer_id: int) -> str | None:
    with database.read_session(app) as s:
        return s.get(Sharer, sharer_id).email


def test_a_new_email_is_used_only_once_the_link_sent_to_it_is_opened(app, make_sharer, smtp):
    seller = make_sharer("小林", email="lin@example.com")
    pages = seller_pages(app, seller["id"])
    res = pages.post("/seller/profile/email", {"email": " Lin.New@Example.com "}, token_from="/seller/profile",
                     headers={"Accept-Language": "zh-CN"})
    assert res.status_code == 303 and res.headers["Location"] == "/seller/profile#contact-heading"
    assert email_of(app, seller["id"]) == "lin@example.com"  # not before the link is opened
    profile = pages.get("/seller/profile").text
    assert "l***@example.com" in profile and NEW not in profile  # the pending address, masked
    link = emailed_link(app, smtp, NEW)
    assert "一小时" in smtp.messages[-1].get_body(("plain",)).get_content()
    assert "Acme Tea" in smtp.messages[-1]["Subject"]

    # Opened on another device (the phone's mail app): looking changes nothing, the button does.
    phone = Pages(app.test_client())
    shown = phone.get(link)
    assert shown.status_code == 200 and "Acme Tea" in shown.text and NEW not in shown.text
    assert email_of(app, seller["id"]) == "lin@example.com"
    res = phone.post(link)
    assert res.status_code == 303 and res.headers["Location"] == "/seller/sign-in"  # it signs nobody in
    assert phone.get("/seller/").status_code == 302
    assert email_of(app, seller["id"]) == NEW
    # Used once: again it is gone, and nothing changes.
    assert phone.get(link).status_code == 410
    assert phone.post(link, token_from="/seller/sign-in").status_code == 410

    # The previous address is told (in the language of whoever confirmed), and sign-in links now go to
    # the new address only.
    Pages(app.test_client()).post("/seller/sign-in", {"email": "lin@example.com"})
    Pages(app.test_client()).post("/seller/sign-in", {"email": NEW})
    run_jobs(app)
    assert [m["To"] for m in smtp.messages] == [NEW, "lin@example.com", NEW]
    notice = smtp.messages[1].get_body(("plain",)).get_content()
    assert "l***@example.com" in notice and NEW not in notice


def test_the_link_opened_in_the_sellers_own_browser_goes_back_to_the_profile(app, make_sharer, smtp):
    seller = make_sharer("小林")  # a buyer who gave only a phone number adds an email
    pages = seller_pages(app, seller["id"])
    pages.post("/seller/profile/email", {"email": NEW}, token_from="/seller/profile")
    res = pages.post(emailed_link(app, smtp, NEW))
    assert res.status_code == 303 and res.headers["Location"] == "/seller/profile#contact-heading"
    assert email_of(app, seller["id"]) == NEW
    assert "l***@example.com" in pages.get("/seller/profile").text


def test_an_expired_or_replaced_email_link_changes_nothing(app, make_sharer, smtp):
    seller = make_sharer("小林", email="lin@example.com")
    with database.new_session(app) as s:
        old = email_change.ask(s, s.get(Sharer, seller["id"]), "old@example.com", now=utcnow() - timedelta(minutes=61))
        s.commit()
    pages = seller_pages(app, seller["id"])
    assert pages.get(f"/seller/email/{old.token}").status_code == 410
    assert pages.post(f"/seller/email/{old.token}", token_from="/seller/profile").status_code == 410
    pages.post("/seller/profile/email", {"email": "first@example.com"}, token_from="/seller/profile")
    first = emailed_link(app, smtp, "first@example.com")
    pages.post("/seller/profile/email", {"email": NEW}, token_from="/seller/profile")
    second = emailed_link(app, smtp, NEW)
    assert pages.post(first, token_from="/seller/profile").status_code == 410  # the newer ask voided it
    assert email_of(app, seller["id"]) == "lin@example.com"
    assert pages.post(second, token_from="/seller/profile").status_code == 303
    assert email_of(app, seller["id"]) == NEW


def test_an_email_link_never_signs_in_and_a_sign_in_link_never_changes_an_email(app, make_sharer, smtp):
    seller = make_sharer("小林", email="lin@example.com")
    with database.new_session(app) as s:
        confirm = email_change.ask(s, s.get(Sharer, seller["id"]), NEW)
        from accounts.passes import issue_pass
        invite = issue_pass(s, s.get(Sharer, seller["id"]), "invite")
        s.commit()
    stranger = Pages(app.test_client())
    assert stranger.get(f"/seller/pass/{confirm.token}").status_code == 410
    assert stranger.post(f"/seller/pass/{confirm.token}", token_from="/seller/sign-in").status_code == 410
    assert stranger.get("/seller/").status_code == 302
    assert stranger.get(f"/seller/email/{invite.token}").status_code == 410
    assert stranger.post(f"/seller/email/{invite.token}", token_from="/seller/sign-in").status_code == 410
    assert email_of(app, seller["id"]) == "lin@example.com"
    # Both are still good for what they are.
    assert stranger.post(f"/seller/email/{confirm.token}", token_from="/seller/sign-in").status_code == 303
    assert stranger.post(f"/seller/pass/{invite.token}").status_code == 303


@pytest.mark.parametrize("email", ["", "lin", "a" * 320 + "@example.com", "lin@exa mple.com"])
def test_a_bad_new_email_is_refused_and_nothing_is_kept(app, make_sharer, smtp, email):
    seller = make_sharer("小林", email="lin@example.com")
    pages = seller_pages(app, seller["id"])
    res = pages.post("/seller/profile/email", {"email": email}, token_from="/seller/profile")
    assert res.status_code == 303
    assert "This is not an email address" in pages.get("/seller/profile").text
    with database.read_session(app) as s:
        assert s.scalars(select(SellerPass).where(SellerPass.kind == "email")).all() == []
    run_jobs(app)
    assert smtp.messages == []


def test_changing_email_needs_the_seller_signed_in_and_the_forms_token(app, make_sharer, smtp):
    seller = make_sharer("小林", email="lin@example.com")
    stranger = Pages(app.test_client())
    res = stranger.post("/seller/profile/email", {"email": NEW}, token_from="/seller/sign-in")
    assert res.status_code == 302 and res.headers["Location"].startswith("/seller/sign-in")
    pages = seller_pages(app, seller["id"])
    assert pages.client.post("/seller/profile/email", data={"email": NEW}).status_code == 400  # no CSRF token
    assert pages.client.post("/seller/profile/wechat/disconnect").status_code == 400
    with database.read_session(app) as s:
        assert s.scalars(select(SellerPass).where(SellerPass.kind == "email")).all() == []


def test_links_to_a_new_email_are_limited_like_sign_in_links(app, make_sharer, smtp):
    seller = make_sharer("小林", email="lin@example.com")
    pages = seller_pages(app, seller["id"])
    codes = [pages.post("/seller/profile/email", {"email": NEW}, token_from="/seller/profile").status_code
             for _ in range(4)]
    assert codes == [303, 303, 303, 429]
    run_jobs(app)
    assert len(smtp.messages) == 3


def test_erasure_forgets_an_address_waiting_for_confirmation(app, make_sharer, smtp):
    seller = make_sharer("小林", email="lin@example.com")
    pages = seller_pages(app, seller["id"])
    pages.post("/seller/profile/email", {"email": NEW}, token_from="/seller/profile")
    link = emailed_link(app, smtp, NEW)
    assert pages.post("/seller/profile/erase", {"confirm": "DELETE"}, token_from="/seller/profile").status_code == 303
    with database.read_session(app) as s:
        assert s.scalars(select(SellerPass.email).where(SellerPass.email.is_not(None))).all() == []
    assert Pages(app.test_client()).post(link, token_from="/seller/sign-in").status_code == 410
    assert email_of(app, seller["id"]) is None


def test_an_expired_or_used_code_never_changes_the_number(app, make_sharer, sms_provider):
    seller = make_sharer("小林", email="lin@example.com")
    pages = seller_pages(app, seller["id"])
    pages.post("/seller/profile/phone", {"phone": "139 0013 9000"}, token_from="/seller/profile")
    code = texted_code(app, sms_provider)
    with database.new_session(app) as s:  # five minutes later
        s.execute(update(PhoneCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    pages.post("/seller/profile/phone/confirm", {"code": code}, token_from="/seller/profile")
    assert "has expired" in pages.get("/seller/profile").text
    with database.new_session(app) as s:
        assert s.get(Sharer, seller["id"]).phone is None
        fresh = phone_codes.issue_code(s, app.config["SECRET_KEY"], "+8613900139000")
        # Someone with the phone used this code (to sign in) before the seller typed it here.
        assert phone_codes.check_code(s, app.config["SECRET_KEY"], "+8613900139000", fresh) is Outcome.OK
        s.commit()
    pages.post("/seller/profile/phone/confirm", {"code": fresh}, token_from="/seller/profile")
    with database.read_session(app) as s:
        assert s.get(Sharer, seller["id"]).phone is None


def test_a_seller_disconnects_wechat_and_it_no_longer_signs_them_in(app, make_sharer, fake_wechat):
    sharer = make_sharer("小林", phone="13800138000")
    seller = seller_pages(app, sharer["id"])
    assert "Disconnect WeChat" not in seller.get("/seller/profile").text
    query = authorise(seller, f"/seller/wechat/{slug(app)}?connect=1")
    code = fake_wechat.issue_code("o-lin", "snsapi_userinfo", unionid="u-lin")
    assert seller.get(f"/seller/wechat/callback?code={code}&state={query['state']}").status_code == 303
    assert "Disconnect WeChat" in seller.get("/seller/profile").text
    res = seller.post("/seller/profile/wechat/disconnect", token_from="/seller/profile")
    assert res.status_code == 303
    with database.read_session(app) as s:
        assert s.scalars(select(WeChatIdentity)).all() == []
    assert "Connect WeChat" in seller.get("/seller/profile").text

    phone = Pages(app.test_client())
    query = authorise(phone, f"/seller/wechat/{slug(app)}")
    res = phone.get(f"/seller/wechat/callback?code={fake_wechat.issue_code('o-lin')}&state={query['state']}")
    assert res.status_code == 404 and phone.get("/seller/").status_code == 302
