"""PayPal Payouts against a local fake of its REST API: OAuth client credentials, one batch per withdrawal
paid exactly once by its sender_batch_id, the item's status settling it, lost answers reconciled, and the
Payouts webhooks believed only when PayPal verifies them."""
from __future__ import annotations

import json

import pytest
from payout_fakes import FakePayPal
from sqlalchemy import select
from test_withdrawals import (  # noqa: F401
    approve_earnings,
    balance,
    buckets,
    follow_up,
    private_targets,
    put,
    seller,
    send,
    status_of,
    withdraw,
)

from payouts.models import Withdrawal
from plumbing import database, redis_client
from workspaces.models import Workspace

RECEIVER = "lin.buyer@example.com"


@pytest.fixture
def paypal(app, owner):
    fake = FakePayPal("AUv8rrc_P-EbP2E0mpb49BV7rFt3Usr-vdUZO8VGOnjRehGHBXkSzchr37SYF2GNdQFYSp72jh5QUhzG",
                      "EMnAWe06ioGtouJs7gLYT9chK9-2jJ--7MKRXpI8FesmY_2Kp-d_7aCqff7M9moEJBvuXoBO4clKtY0v")
    fake.receivers = {RECEIVER}
    res = put(owner, "/api/v1/payouts/rails/paypal", {"client_id": fake.client_id, "client_secret": fake.client_secret,
                                                      "webhook_id": fake.webhook_id, "api_base": fake.base})
    assert res.status_code == 200, res.json
    assert "client_secret" in res.json["fields"] and fake.client_secret not in res.get_data(as_text=True)
    yield fake
    fake.close()


def paid_by_paypal(owner, seller, receiver=RECEIVER, amount="30.00") -> dict:  # noqa: F811
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "paypal", "account": {"receiver": receiver}})
    assert res.status_code == 200, res.json
    w = withdraw(owner, seller, amount)
    assert owner.post(f"/api/v1/withdrawals/{w['id']}/approve").status_code == 200
    return w


def test_seller_withdraws_to_paypal_once_and_the_item_status_settles_it(app, owner, seller, paypal):  # noqa: F811
    approve_earnings(app, owner)
    w = paid_by_paypal(owner, seller)
    assert w["account"] == "PayPal li****@example.com"
    assert send(app, w["id"]) == "sending"
    assert send(app, w["id"]) == "skipped"  # a second run of the job sends nothing
    assert paypal.payments == [{"sender_item_id": w["out_no"], "receiver": RECEIVER, "amount": "30.00",
                                "currency": "CNY"}]
    [batch] = paypal.batches.values()
    assert batch["batch_header"]["sender_batch_header"]["sender_batch_id"] == w["out_no"]
    assert status_of(owner, w["id"])["rail_status"] == "PENDING"
    assert follow_up(app, w["id"]) == "sending"  # PayPal has not processed it yet
    paypal.finish()
    assert follow_up(app, w["id"]) == "paid"
    assert follow_up(app, w["id"]) == "skipped"
    assert buckets(app, seller["id"])["paid"] == 3000 and balance(owner, seller["id"])["available"] == "9.80"
    assert len(paypal.payments) == 1


@pytest.mark.parametrize("request_id_kept", [True, False])
def test_a_lost_answer_is_reconciled_by_the_same_request_without_paying_twice(
        app, owner, seller, paypal, request_id_kept):  # noqa: F811
    approve_earnings(app, owner)
    paypal.lose_next_answer = True
    w = paid_by_paypal(owner, seller)
    assert send(app, w["id"]) == "sending"  # the batch was made, but PayPal answered 500
    assert status_of(owner, w["id"])["rail_status"] == "INTERNAL_SERVER_ERROR"
    if not request_id_kept:  # past the request id's lifetime: PayPal refuses the repeated sender_batch_id
        paypal.by_request_id.clear()
    paypal.finish()
    assert follow_up(app, w["id"]) == "paid"  # the repeat found the original batch, whose item is paid
    assert len(paypal.payments) == 1 and len(paypal.batches) == 1
    with database.read_session(app) as s:
        assert s.scalar(select(Withdrawal.rail_ref)) == next(iter(paypal.batches))


def test_a_request_that_never_landed_is_sent_by_the_follow_up(app, owner, seller, paypal):  # noqa: F811
    approve_earnings(app, owner)
    real_base = paypal.base
    w = paid_by_paypal(owner, seller)
    paypal.close()  # nothing listens: the send fails before PayPal sees it
    assert send(app, w["id"]) == "sending" and status_of(owner, w["id"])["rail_status"] == "NETWORK_ERROR"
    again = FakePayPal(paypal.client_id, paypal.client_secret)
    again.receivers = {RECEIVER}
    put(owner, "/api/v1/payouts/rails/paypal", {"client_id": again.client_id, "client_secret": again.client_secret,
                                                "api_base": again.base})
    assert again.base != real_base
    assert follow_up(app, w["id"]) == "sending" and len(again.payments) == 1
    again.finish()
    assert follow_up(app, w["id"]) == "paid" and len(again.payments) == 1
    again.close()


def test_a_failed_item_puts_the_money_back_with_paypals_reason(app, owner, seller, paypal):  # noqa: F811
    approve_earnings(app, owner)
    paypal.refusing = {"nobody@example.com"}
    w = paid_by_paypal(owner, seller, receiver="nobody@example.com", amount="12.34")
    send(app, w["id"])
    paypal.finish()
    assert follow_up(app, w["id"]) == "failed"
    after = status_of(owner, w["id"])
    assert after["reason"] == "Receiver is unregistered" and after["rail_status"] == "FAILED"
    assert balance(owner, seller["id"])["available"] == "39.80"


def test_an_unclaimed_item_waits_and_refused_credentials_pay_nothing(app, owner, seller, paypal):  # noqa: F811
    approve_earnings(app, owner)
    w = paid_by_paypal(owner, seller, receiver="+14155550100", amount="5.00")
    assert w["account"] == "PayPal +14****0100"
    send(app, w["id"])
    paypal.finish()
    assert follow_up(app, w["id"]) == "sending" and status_of(owner, w["id"])["rail_status"] == "UNCLAIMED"
    assert owner.get("/api/v1/withdrawals").json["items"][0]["status"] == "sending"

    put(owner, "/api/v1/payouts/rails/paypal", {"client_id": paypal.client_id, "client_secret": "wrong",
                                                "api_base": paypal.base})
    paypal.lose_next_answer = False
    before = len(paypal.payments)
    other = withdraw(owner, seller, "1.00", status=409)  # one request open at a time
    assert other["error"]["code"] == "withdrawal_open"
    assert follow_up(app, w["id"]) == "sending" and status_of(owner, w["id"])["rail_status"] == "TOKEN_HTTP_401"
    assert len(paypal.payments) == before


def test_bad_credentials_and_accounts_are_refused(app, owner, seller, paypal):  # noqa: F811
    res = put(owner, "/api/v1/payouts/rails/paypal", {"client_id": "x"})
    assert res.status_code == 422 and "client_secret" in res.json["error"]["fields"]
    res = put(owner, "/api/v1/payouts/rails/paypal", {"client_id": "x", "client_secret": "y", "webhook_id": "a b"})
    assert res.status_code == 422 and "webhook_id" in res.json["error"]["fields"]
    for receiver in ("", "not an account", "a@b", 42):
        res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "paypal", "account": {"receiver": receiver}})
        assert res.status_code == 422, receiver


def _notify(app, owner, headers, raw):
    with database.read_session(app) as s:
        workspace_id = s.scalar(select(Workspace.id))
    return owner.client.post(f"/api/v1/payouts/rails/paypal/notify/{workspace_id}", data=raw, headers=headers)


def _follow_ups(app) -> list:
    return [j for j in redis_client.queue(app=app).get_jobs() if j.func_name.endswith("follow_up")]


def test_a_verified_webhook_settles_at_once_and_a_forged_one_is_refused(app, owner, seller, paypal):  # noqa: F811
    approve_earnings(app, owner)
    w = paid_by_paypal(owner, seller)
    send(app, w["id"])
    paypal.finish()
    batch_id = next(iter(paypal.batches))
    headers, raw = paypal.event_for(batch_id)

    forged = json.loads(raw)
    forged["resource"]["payout_item"]["amount"]["value"] = "3000.00"
    assert _notify(app, owner, headers, json.dumps(forged)).status_code == 401
    assert _notify(app, owner, {**headers, "PAYPAL-TRANSMISSION-SIG": headers["PAYPAL-TRANSMISSION-SIG"][::-1]},
                   raw).status_code == 401
    assert _notify(app, owner, {"Content-Type": "application/json"}, raw).status_code == 401
    assert not _follow_ups(app)

    res = _notify(app, owner, headers, raw)
    assert res.status_code == 200 and res.json == {"received": True}
    [job] = _follow_ups(app)
    assert job.args == (w["id"],)
    assert follow_up(app, w["id"]) == "paid"  # what the queued job does: the status read from PayPal
    assert _notify(app, owner, headers, raw).status_code == 200  # a repeat: nothing open, nothing queued
    assert len(_follow_ups(app)) == 1 and len(paypal.payments) == 1

    batch_headers, batch_raw = paypal.event_for(batch_id, "PAYMENT.PAYOUTSBATCH.SUCCESS")
    assert _notify(app, owner, batch_headers, batch_raw).status_code == 200


def test_without_a_webhook_id_notifications_are_not_taken(app, owner, seller, paypal):  # noqa: F811
    put(owner, "/api/v1/payouts/rails/paypal", {"client_id": paypal.client_id, "client_secret": paypal.client_secret,
                                                "api_base": paypal.base})
    res = _notify(app, owner, {"Content-Type": "application/json"}, "{}")
    assert res.status_code == 404


def test_the_withdraw_page_offers_paypal_once_the_brand_set_it_up(app, owner, seller, paypal):  # noqa: F811
    from conftest import seller_pages

    page = seller_pages(app, seller["id"]).get("/seller/withdraw", headers={"Accept-Language": "zh-CN"}).text
    assert 'id="method-paypal"' in page and 'name="receiver"' in page and "PayPal" in page
