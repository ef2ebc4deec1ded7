"""Signing in to the pages: staff passwords, sellers' one-time links, sessions, CSRF, limits, languages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import STAFF_PASSWORD, Pages, csrf_token_of, run_cli, seller_pages
from rq import SimpleWorker
from servers import SmtpSink
from sqlalchemy import select
from test_publishing_e2e import put_credentials
from test_webhooks import local_targets  # noqa: F401 - a fixture

from accounts.models import SellerPass, User
from accounts.passes import issue_pass, peek_pass, spend_pass
from accounts.users import AccountError, authenticate, create_user, end_sessions
from plumbing import database, redis_client
from plumbing.database import utcnow
from referrals.models import Sharer


def pages(app) -> Pages:
    return Pages(app.test_client())


def test_staff_signs_in_and_out(app, staff):
    client = pages(app)
    assert client.get("/console/").headers["Location"] == "/console/sign-in?next=/console/"
    res = client.post("/console/sign-in", {"email": "Boss@Acme-Tea.com ", "password": STAFF_PASSWORD,
                                           "next": "/console/?x=1"})
    assert res.status_code == 303 and res.headers["Location"] == "/console/?x=1"
    cookie = next(c for c in res.headers.getlist("Set-Cookie") if c.startswith("sharecast="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/console/").status_code == 200
    res = client.post("/console/sign-out", token_from="/console/")
    assert res.status_code == 303
    assert client.get("/console/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(app, staff):
    client = pages(app)
    wrong = client.post("/console/sign-in", {"email": staff["email"], "password": "not the password"})
    unknown = client.post("/console/sign-in", {"email": "nobody@acme-tea.com", "password": STAFF_PASSWORD})
    assert wrong.status_code == unknown.status_code == 422
    assert "The email or password is not right." in wrong.text and "The email or password is not right." in unknown.text
    assert client.get("/console/").status_code == 302


@pytest.mark.parametrize("data", [
    {"email": "", "password": ""}, {"email": "not-an-email", "password": "x"},
    {"email": "a@b.com", "password": "x" * 5000}, {"email": "\x00@b.com", "password": "p"},
    {"email": ["a@b.com", "c@d.com"], "password": "p"},
])
def test_bad_sign_in_input_is_a_422_page(app, staff, data):
    res = pages(app).post("/console/sign-in", data)
    assert res.status_code == 422 and res.mimetype == "text/html"


def test_a_form_without_its_csrf_token_is_refused(app, staff, console):
    res = app.test_client().post("/console/sign-in", data={"email": staff["email"], "password": STAFF_PASSWORD})
    assert res.status_code == 400 and "This form has expired" in res.text
    res = console.client.post("/console/sign-out", data={})
    assert res.status_code == 400
    assert console.get("/console/").status_code == 200  # still signed in


def test_sign_in_is_rate_limited(app, staff):
    client = pages(app)
    token = csrf_token_of(client.get("/console/sign-in").text)
    codes = [client.post("/console/sign-in", data={"email": staff["email"], "password": "wrong password",
                                                   "csrf_token": token}).status_code for _ in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    # Even the right password waits now: guessing must not continue.
    res = client.post("/console/sign-in", data={"email": staff["email"], "password": STAFF_PASSWORD,
                                                "csrf_token": token})
    assert res.status_code == 429 and res.headers["Retry-After"]


def test_signing_out_everywhere_ends_other_sessions(app, staff, console):
    with database.new_session(app) as s:
        end_sessions(s.scalar(select(User).where(User.email == staff["email"])))
        s.commit()
    assert console.get("/console/").status_code == 302


def test_a_session_cookie_is_secure_when_served_over_https(backend_urls, tmp_path):
    from app import create_app

    database_url, template, redis_url = backend_urls
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "DATABASE_URL": database_url or "sqlite://",
                      "REDIS_URL": redis_url, "SECRET_KEY": "k", "PUBLIC_URL": "https://share.acme.com"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-sharecast"


def test_passwords_are_argon2_hashes_and_accounts_validated(app, owner):
    with database.new_session(app) as s:
        user = create_user(s, 1, "ann@acme-tea.com", "a long passphrase", "marketer")
        assert user.password_hash.startswith("$argon2id$")
        with pytest.raises(AccountError):
            create_user(s, 1, "ANN@acme-tea.com", "another long one", "marketer")
        with pytest.raises(AccountError):
            create_user(s, 1, "bob@acme-tea.com", "short", "marketer")
        with pytest.raises(AccountError):
            create_user(s, 1, "bob@acme-tea.com", "a long passphrase", "seller")
        assert authenticate(s, "ann@acme-tea.com", "a long passphrase") is user
        assert authenticate(s, "ann@acme-tea.com", "wrong") is None


def test_user_create_command(app, owner):
    slug = run_cli(app, "workspace", "create", "--name", "Other Brand")["workspace"]["slug"]
    out = run_cli(app, "user", "create", "--workspace", slug, "--email", "Mia@Other.com", "--role", "marketer",
                  "--password", "a long passphrase")
    assert out["user"] == {"id": 1, "email": "mia@other.com", "role": "marketer", "workspace": slug}
    bad = app.test_cli_runner().invoke(args=["user", "create", "--workspace", "nope", "--email", "a@b.com",
                                             "--password", "a long passphrase"])
    assert bad.exit_code == 2 and "no workspace" in bad.output


def test_user_create_reads_one_piped_line_as_the_password(app, owner):
    slug = run_cli(app, "workspace", "create", "--name", "Piped Brand")["workspace"]["slug"]
    res = app.test_cli_runner().invoke(args=["user", "create", "--workspace", slug, "--email", "pipe@other.com"],
                                       input="a piped passphrase\n")
    assert res.exit_code == 0, res.output
    with database.new_session(app) as s:
        assert authenticate(s, "pipe@other.com", "a piped passphrase") is not None
    empty = app.test_cli_runner().invoke(args=["user", "create", "--workspace", slug, "--email", "x@other.com"],
                                         input="")
    assert empty.exit_code == 2 and "stdin" in empty.output


def _sharer(app, sharer_id) -> Sharer:
    with database.read_session(app) as s:
        return s.get(Sharer, sharer_id)


def test_an_invitation_signs_the_seller_in_once(app, make_sharer):
    sharer = make_sharer("小林")
    with database.new_session(app) as s:
        issued = issue_pass(s, s.get(Sharer, sharer["id"]), "invite")
        s.commit()
    client = pages(app)
    opened = client.get(f"/seller/pass/{issued.token}")
    assert opened.status_code == 200 and "小林" in opened.text
    # Opening it (what a chat app's link preview does) does not spend it.
    assert client.get(f"/seller/pass/{issued.token}").status_code == 200
    res = client.post(f"/seller/pass/{issued.token}")
    assert res.status_code == 303 and res.headers["Location"] == "/seller/"
    assert client.get("/seller/").status_code == 200
    again = pages(app)
    assert again.get(f"/seller/pass/{issued.token}").status_code == 410
    assert again.client.post(f"/seller/pass/{issued.token}",
                             data={"csrf_token": csrf_token_of(again.get("/seller/sign-in").text)}).status_code == 410
    assert again.get("/seller/").status_code == 302


@pytest.mark.parametrize("token", ["x", "a" * 43, "../../etc", "%00" * 10, "é" * 43])
def test_unknown_or_malformed_passes_are_gone(app, token):
    assert app.test_client().get(f"/seller/pass/{token}").status_code in (404, 410)


def test_an_expired_pass_signs_nobody_in(app, make_sharer):
    sharer = make_sharer("小林")
    with database.new_session(app) as s:
        issued = issue_pass(s, s.get(Sharer, sharer["id"]), "magic", now=utcnow() - timedelta(minutes=21))
        s.commit()
        assert peek_pass(s, issued.token) is None and spend_pass(s, issued.token) is None
    assert app.test_client().get(f"/seller/pass/{issued.token}").status_code == 410


def test_a_pass_is_spent_once_even_by_two_tabs_at_once(app, make_sharer):
    sharer = make_sharer("小林")
    with database.new_session(app) as s:
        issued = issue_pass(s, s.get(Sharer, sharer["id"]), "invite")
        s.commit()
    with database.new_session(app) as a, database.new_session(app) as b:
        first = spend_pass(a, issued.token)
        a.commit()
        second = spend_pass(b, issued.token)
        b.commit()
    assert first is not None and second is None


def test_a_magic_link_is_emailed_through_the_workspace_smtp(app, owner, make_sharer, local_targets):
    smtp = SmtpSink()
    try:
        put_credentials(owner, "email", {"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                                         "from": "Acme Tea <shop@acme.example>", "to": ["list@example.com"]})
        make_sharer("小林", email="lin@example.com")
        client = pages(app)
        res = client.post("/seller/sign-in", {"email": "LIN@example.com"}, headers={"Accept-Language": "zh-CN"})
        assert res.status_code == 200 and "lin@example.com" in res.text.lower()
        unknown = client.post("/seller/sign-in", {"email": "who@example.com"})
        assert unknown.status_code == 200  # the same answer: no way to learn who is a seller
        with app.app_context():  # jobs run in the app's context, as in the worker
            SimpleWorker([redis_client.queue(app=app)], connection=redis_client.connection(app)).work(burst=True)
        [mail] = smtp.messages
        assert mail["To"] == "lin@example.com" and "Acme Tea" in mail["Subject"]
        body = mail.get_body(("plain",)).get_content()
        assert "20 分钟" in body
        link = re.search(r"http://sharecast\.test(/seller/pass/[\w-]+)", body).group(1)
        assert client.post(link).status_code == 303
        assert client.get("/seller/").status_code == 200
    finally:
        smtp.close()


def test_asking_for_links_is_rate_limited_per_address(app, make_sharer):
    make_sharer("小林", email="lin@example.com")
    client = pages(app)
    codes = [client.post("/seller/sign-in", {"email": "lin@example.com"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    with database.read_session(app) as s:
        assert len(s.scalars(select(SellerPass)).all()) == 3


def test_a_seller_session_never_opens_the_console_and_staff_stay_in_their_workspace(app, make_sharer, staff):
    sharer = make_sharer("小林")
    seller = seller_pages(app, sharer["id"])
    assert seller.get("/console/").status_code == 302
    assert seller.get("/seller/").status_code == 200


def test_sellers_of_two_workspaces_each_see_their_own_brand(app, owner, make_sharer):
    mine = make_sharer("小林")
    other_key = run_cli(app, "workspace", "create", "--name", "Other Brand")["api_key"]
    theirs = owner.post("/api/v1/sharers", {"name": "Zed"}, key=other_key).json
    assert "Acme Tea" in seller_pages(app, mine["id"]).get("/seller/").text
    page = seller_pages(app, theirs["id"]).get("/seller/").text
    assert "Other Brand" in page and "Acme Tea" not in page


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)",
                                    "/console/\r\nSet-Cookie: x=1"])
def test_no_open_redirects(app, staff, target):
    client = pages(app)
    res = client.post("/console/sign-in", {"email": staff["email"], "password": STAFF_PASSWORD, "next": target})
    assert res.status_code == 303 and res.headers["Location"] == "/console/"
    res = client.get("/lang/en", query_string={"next": target})
    assert res.status_code == 303 and res.headers["Location"] == "/"


def test_language_comes_from_the_browser_and_can_be_switched(app):
    client = app.test_client()
    zh = client.get("/console/sign-in", headers={"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-CN">' in zh.text and "登录品牌后台" in zh.text
    en = client.get("/console/sign-in", headers={"Accept-Language": "fr-FR,en;q=0.5"})
    assert '<html lang="en">' in en.text and "Sign in to the brand console" in en.text
    assert client.get("/lang/zh_CN?next=/console/sign-in").status_code == 303
    assert "登录品牌后台" in client.get("/console/sign-in", headers={"Accept-Language": "en"}).text
    assert client.get("/lang/fr").status_code == 404


def test_pages_send_security_headers_and_html_errors(app):
    client = app.test_client()
    res = client.get("/console/sign-in")
    assert "script-src 'self'" in res.headers["Content-Security-Policy"]
    assert res.headers["X-Frame-Options"] == "DENY" and res.headers["Cache-Control"] == "no-store"
    missing = client.get("/console/no-such-page")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert client.get("/api/v1/nope").mimetype == "application/json"  # the API keeps its JSON errors
    assert "<script>" not in res.text.replace('<script src=', '')


def test_signing_out_kills_a_copied_cookie_too(app, staff):
    client = pages(app)
    client.sign_in(staff["email"], staff["password"])
    thief = app.test_client()
    cookie = client.client.get_cookie("sharecast")
    thief.set_cookie("sharecast", cookie.value)
    assert thief.get("/console/").status_code == 200
    client.post("/console/sign-out", token_from="/console/")
    assert thief.get("/console/").status_code == 302


def test_staff_can_sign_a_seller_out_everywhere_and_void_their_links(app, console, make_sharer):
    sharer = make_sharer("小林")
    phone = seller_pages(app, sharer["id"])
    laptop = seller_pages(app, sharer["id"])
    with database.new_session(app) as s:
        unused = issue_pass(s, s.get(Sharer, sharer["id"]), "invite")
        s.commit()
    res = console.post(f"/console/sharers/{sharer['id']}/sign-out", token_from=f"/console/sharers/{sharer['id']}")
    assert res.status_code == 303
    assert "sessions ended: 2" in console.get(res.headers["Location"]).text
    assert phone.get("/seller/").status_code == 302 and laptop.get("/seller/").status_code == 302
    assert pages(app).get(f"/seller/pass/{unused.token}").status_code == 410


def test_staff_of_another_workspace_cannot_sign_a_seller_out(app, owner, console):
    other_key = run_cli(app, "workspace", "create", "--name", "Other Brand")["api_key"]
    theirs = owner.post("/api/v1/sharers", {"name": "Zed"}, key=other_key).json
    phone = seller_pages(app, theirs["id"])
    res = console.post(f"/console/sharers/{theirs['id']}/sign-out", token_from="/console/sharers")
    assert res.status_code == 404
    assert phone.get("/seller/").status_code == 200
