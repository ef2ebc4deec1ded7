"""An account the platform stops honouring: its owners and marketers are emailed once per incident,
through the workspace's SMTP server and the outbox; against the fake X and a real SMTP server."""
from __future__ import annotations

from conftest import STAFF_PASSWORD
from servers import SmtpSink
from sqlalchemy import select
from test_brand_accounts import connect_x, fake_x, x_app  # noqa: F401 - fixtures
from test_notifications import mail_credentials
from test_publishing_e2e import servers  # noqa: F401 - a fixture
from test_scheduling import run_worker
from test_webhooks import local_targets  # noqa: F401 - a fixture

from accounts.users import create_user
from brand_accounts.models import AccountNotice, BrandAccount
from brand_accounts.notices import add_notice
from brand_accounts.tokens import refresh_account, refresh_due
from plumbing import database


def notices(app) -> list[tuple[str, str, int]]:
    with database.read_session(app) as s:
        return [(n.channel, n.status, n.attempts) for n in s.scalars(select(AccountNotice).order_by(AccountNotice.id))]


def revoke(fake) -> None:
    fake.refresh_tokens.clear()  # the brand revoked Sharecast at X
    for token in list(fake.access):
        fake.expire(token)


def test_staff_are_emailed_once_when_an_account_needs_reconnecting(x_app, owner, staff, fake_x, servers):  # noqa: F811
    smtp = servers(SmtpSink)
    mail_credentials(owner, smtp)
    with database.new_session(x_app) as s:
        workspace_id = s.scalar(select(BrandAccount.workspace_id)) or 1
        create_user(s, workspace_id, "mei@acme-tea.com", STAFF_PASSWORD, "marketer", "Mei")
        s.commit()
    connect_x(owner, fake_x)
    revoke(fake_x)
    with database.read_session(x_app) as s:
        account_id = s.scalar(select(BrandAccount.id))
    x_app.config["TOKEN_REFRESH_AHEAD_SECONDS"] = 10**6  # every token is due
    with x_app.app_context():  # as in the sweep's job
        assert refresh_due(x_app) == {"needs_reconnect": 1}
        # The same incident seen again (another worker, a publication) writes no second notice.
        assert refresh_account(x_app, account_id) == "needs_reconnect"
        assert refresh_due(x_app) == {}
    run_worker(x_app)
    run_worker(x_app)  # a second worker finds nothing left to send
    assert notices(x_app) == [("x", "succeeded", 1)]
    [(_, to)] = smtp.envelopes
    assert sorted(to) == ["boss@acme-tea.com", "mei@acme-tea.com"]
    [mail] = smtp.messages
    assert mail["Subject"] == "Reconnect the brand's x account / 请重新连接品牌的 x 账号"
    text = mail.get_body(("plain",)).get_content()
    assert "/console/accounts" in text and "needs connecting again" in text and "重新连接" in text

    # Connected again, then refused again: a new incident, a new email.
    connect_x(owner, fake_x)
    revoke(fake_x)
    with x_app.app_context():
        assert refresh_due(x_app) == {"needs_reconnect": 1}
    run_worker(x_app)
    assert notices(x_app) == [("x", "succeeded", 1), ("x", "succeeded", 1)]
    assert len(smtp.messages) == 2


def test_without_mail_credentials_the_notice_is_skipped_with_the_reason(x_app, owner, staff, fake_x):  # noqa: F811
    connect_x(owner, fake_x)
    revoke(fake_x)
    x_app.config["TOKEN_REFRESH_AHEAD_SECONDS"] = 10**6
    with x_app.app_context():
        assert refresh_due(x_app) == {"needs_reconnect": 1}
    run_worker(x_app)
    with database.read_session(x_app) as s:
        row = s.scalar(select(AccountNotice))
        assert (row.status, row.last_error) == ("skipped", "the workspace has no email credentials")


def test_one_incident_seen_by_two_workers_writes_one_notice(x_app, owner, fake_x):  # noqa: F811
    connect_x(owner, fake_x)
    for _ in range(2):  # two workers marking the same connection
        with x_app.app_context(), database.new_session(x_app) as s:
            row = s.scalar(select(BrandAccount))
            row.status, row.error = "needs_reconnect", "x token request refused (400: invalid_grant)"
            add_notice(s, row)
            s.commit()
    assert notices(x_app) == [("x", "pending", 0)]
