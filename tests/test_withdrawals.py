"""Withdrawals (提现): a seller asks, the brand decides, a rail pays exactly once, the ledger stays exact."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from payout_fakes import FakeAlipay, FakeWeChatPay, new_key, private_pem, public_pem
from sqlalchemy import func, select, update

from payouts import jobs
from payouts.models import Withdrawal
from payouts.rails import keys
from payouts.rails.alipay import response_text, sign_content
from payouts.rails.wechatpay import authorization
from plumbing import database, redis_client
from referrals.models import Commission, LedgerEntry

MERCHANT_KEY = new_key()  # one per module: 2048-bit keys take a while to make
APP_KEY = new_key()


def put(api, path, body, key=None):
    return api.client.put(path, json=body, headers={"Authorization": f"Bearer {key or api.key}"})


@pytest.fixture
def seller(owner, campaign, make_sharer, make_link) -> dict:
    """A seller with 39.80 approved (two sales of 199.00 at 10%), and a phone to text codes to."""
    return seller_with_sales(owner, campaign, make_sharer, make_link, "小林", ("A1", "A2"), phone="+8613800138000")


def seller_with_sales(owner, campaign, make_sharer, make_link, name, orders, **contact) -> dict:
    """A new seller (``contact``: phone and/or email) with a sale of 199.00 through their link for each order id."""
    sharer = make_sharer(name, **contact)
    link = make_link(campaign["id"], sharer["id"])
    for order in orders:
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": "199.00",
                                                 "code": link["code"], "customer": {"external_id": f"c-{order}"}})
        assert res.status_code == 201, res.json
    return sharer


def queued_code(app) -> str:
    """The code of the last sign-in SMS waiting in the queue (what the worker would text)."""
    jobs = [j for j in redis_client.queue(app=app).get_jobs() if j.func_name.endswith("send_sign_in_code")]
    assert jobs, "no code was texted"
    return jobs[-1].args[1]


def approve_earnings(app, owner) -> None:
    with database.new_session(app) as s:
        s.execute(update(Commission).values(approvable_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        s.commit()
    assert owner.post("/api/v1/commissions/approve", {}).status_code == 200


@pytest.fixture
def wechat(app, owner):
    fake = FakeWeChatPay("1900000109", "wxd678efh567hg6787", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", MERCHANT_KEY)
    res = put(owner, "/api/v1/payouts/rails/wechat", {
        "mchid": "1900000109", "appid": "wxd678efh567hg6787", "serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "private_key": private_pem(MERCHANT_KEY), "platform_certificate": fake.platform_cert_pem, "api_base": fake.base})
    assert res.status_code == 200, res.json
    assert "private_key" in res.json["fields"] and "BEGIN" not in res.get_data(as_text=True)
    yield fake
    fake.close()


@pytest.fixture
def alipay(app, owner):
    fake = FakeAlipay("2021000122671234", APP_KEY)
    fake.accounts = {"13800138000": "张小明", "2088102146225135": "李四"}
    res = put(owner, "/api/v1/payouts/rails/alipay", {
        "app_id": "2021000122671234", "private_key": private_pem(APP_KEY),
        "alipay_public_key": public_pem(fake.alipay_key), "gateway": fake.base + "/gateway.do"})
    assert res.status_code == 200, res.json
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def private_targets(app):
    app.config["ALLOW_PRIVATE_TARGETS"] = True  # the fakes listen on 127.0.0.1


def balance(api, sharer_id, key=None) -> dict:
    res = api.get(f"/api/v1/sharers/{sharer_id}/balance", key=key)
    assert res.status_code == 200, res.json
    return res.json


def buckets(app, sharer_id) -> dict[str, int]:
    with database.read_session(app) as s:
        return {b: int(t) for b, t in s.execute(select(LedgerEntry.bucket, func.sum(LedgerEntry.amount_minor))
                                                 .where(LedgerEntry.sharer_id == sharer_id).group_by(LedgerEntry.bucket))}


def withdraw(owner, seller, amount, status=201):
    res = owner.post("/api/v1/withdrawals", {"amount": amount}, key=seller["api_key"])
    assert res.status_code == status, res.json
    return res.json


def send(app, withdrawal_id) -> str:
    with app.app_context():
        return jobs.send_withdrawal(withdrawal_id)


def follow_up(app, withdrawal_id) -> str:
    with app.app_context():
        return jobs.follow_up(withdrawal_id)


def status_of(owner, withdrawal_id) -> dict:
    return next(w for w in owner.get("/api/v1/withdrawals").json["items"] if w["id"] == withdrawal_id)


def test_seller_withdraws_to_wechat_balance_once_and_the_ledger_follows(app, owner, seller, wechat):
    approve_earnings(app, owner)
    method = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method",
                 {"rail": "wechat", "account": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "name": "林小"}})
    assert method.status_code == 200 and method.json["account"] == "WeChat oUpF****eS6o *小"
    assert "oUpF8uMuAJO" not in owner.get(f"/api/v1/sharers/{seller['id']}/payout-method").get_data(as_text=True)
    assert balance(owner, seller["id"])["available"] == "39.80"

    w = withdraw(owner, seller, "30.00")
    assert w["status"] == "requested" and w["account"] == "WeChat oUpF****eS6o *小"
    assert balance(owner, seller["id"])["available"] == "9.80" and balance(owner, seller["id"])["withdrawing"] == "30.00"
    assert buckets(app, seller["id"])["approved"] == 980 and buckets(app, seller["id"])["withdrawing"] == 3000

    approved = owner.post(f"/api/v1/withdrawals/{w['id']}/approve")
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    queued = redis_client.queue(app=app)
    assert any(job.args == (w["id"],) for job in queued.get_jobs())  # the send job went out after commit

    assert send(app, w["id"]) == "sending"
    assert send(app, w["id"]) == "skipped"  # a second run of the job sends nothing
    sent = [r for r in wechat.requests if r[0] == "POST"]
    assert len(sent) == 1 and wechat.batches[w["out_no"]]["total_amount"] == 3000
    assert follow_up(app, w["id"]) == "sending"  # accepted, not finished yet
    wechat.finish()
    assert follow_up(app, w["id"]) == "paid"
    assert follow_up(app, w["id"]) == "skipped"
    assert wechat.payments == [{"out_detail_no": w["out_no"], "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "amount": 3000}]
    done = status_of(owner, w["id"])
    assert done["status"] == "paid" and done["payout_id"] and done["rail_status"] == "SUCCESS"
    assert buckets(app, seller["id"]) == {"pending": 0, "approved": 980, "withdrawing": 0, "paid": 3000}
    earned = owner.get(f"/api/v1/sharers/{seller['id']}/earnings").json
    assert earned["paid"] == "30.00" and earned["approved"] == "9.80"
    with database.read_session(app) as s:  # the one commission 30.00 covers whole (19.90) is marked paid
        assert sorted(s.scalars(select(Commission.status))) == ["approved", "paid"]


def test_a_lost_wechat_answer_is_followed_up_under_the_same_batch_number_and_pays_once(app, owner, seller, wechat):
    approve_earnings(app, owner)
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "wechat", "account": {"openid": "oUser12345"}})
    w = withdraw(owner, seller, "10.00")
    owner.post(f"/api/v1/withdrawals/{w['id']}/approve")
    wechat.lose_next_answer = True  # accepted, but the answer says SYSTEM_ERROR
    assert send(app, w["id"]) == "sending"
    assert status_of(owner, w["id"])["rail_status"] == "SYSTEM_ERROR"
    wechat.finish()
    assert follow_up(app, w["id"]) == "paid"
    assert len(wechat.payments) == 1 and len(wechat.batches) == 1


def test_a_wechat_batch_that_never_landed_is_sent_again_with_the_same_number(app, owner, seller, wechat):
    approve_earnings(app, owner)
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "wechat", "account": {"openid": "oUser12345"}})
    w = withdraw(owner, seller, "10.00")
    owner.post(f"/api/v1/withdrawals/{w['id']}/approve")
    wechat.fail_next = [(429, "FREQUENCY_LIMITED")]
    assert send(app, w["id"]) == "sending"  # not accepted, not failed: ask again
    assert not wechat.batches
    assert follow_up(app, w["id"]) == "sending"  # NOT_FOUND → sent again under the same out_batch_no
    assert list(wechat.batches) == [w["out_no"]]
    wechat.finish()
    assert follow_up(app, w["id"]) == "paid" and len(wechat.payments) == 1


def test_a_failed_wechat_transfer_returns_the_money_with_the_reason(app, owner, seller, wechat):
    approve_earnings(app, owner)
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "wechat", "account": {"openid": "oFrozen999"}})
    wechat.frozen = {"oFrozen999"}
    w = withdraw(owner, seller, "39.80")
    owner.post(f"/api/v1/withdrawals/{w['id']}/approve")
    send(app, w["id"])
    wechat.finish()
    assert follow_up(app, w["id"]) == "failed"
    mine = owner.get("/api/v1/withdrawals", key=seller["api_key"]).json["items"][0]
    assert mine["status"] == "failed" and mine["reason"] == "ACCOUNT_FROZEN"
    assert balance(owner, seller["id"])["available"] == "39.80" and not wechat.payments
    assert buckets(app, seller["id"])["withdrawing"] == 0
    withdraw(owner, seller, "10.00")  # and the seller may ask again


def test_an_answer_not_signed_by_the_platform_certificate_is_not_believed(app, owner, seller, wechat):
    approve_earnings(app, owner)
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "wechat", "account": {"openid": "oUser12345"}})
    w = withdraw(owner, seller, "10.00")
    owner.post(f"/api/v1/withdrawals/{w['id']}/approve")
    wechat.sign_with = new_key()  # someone else answering
    wechat.fail_next = [(400, "PARAM_ERROR")]  # a forged "never accepted" must not release the money
    assert send(app, w["id"]) == "sending"
    assert status_of(owner, w["id"])["rail_status"] == "UNVERIFIED_ANSWER"
    assert balance(owner, seller["id"])["withdrawing"] == "10.00"


def test_a_wechat_request_signed_with_the_wrong_merchant_key_is_refused_by_the_platform(app, owner, seller, wechat):
    other = new_key()
    res = put(owner, "/api/v1/payouts/rails/wechat", {
        "mchid": "1900000109", "appid": "wxd678efh567hg6787", "serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "private_key": private_pem(other), "platform_certificate": wechat.platform_cert_pem, "api_base": wechat.base})
    assert res.status_code == 200
    approve_earnings(app, owner)
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "wechat", "account": {"openid": "oUser12345"}})
    w = withdraw(owner, seller, "10.00")
    owner.post(f"/api/v1/withdrawals/{w['id']}/approve")
    assert send(app, w["id"]) == "sending"
    assert status_of(owner, w["id"])["rail_status"] == "SIGN_ERROR" and not wechat.batches


def test_seller_withdraws_to_alipay_and_a_lost_answer_is_settled_by_the_query(app, owner, seller, alipay):
    approve_earnings(app, owner)
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method",
              {"rail": "alipay", "account": {"identity": "13800138000", "name": "张小明"}}, key=seller["api_key"])
    assert res.status_code == 202 and res.json["pending"]["account"] == "Alipay 138****8000 *小明"
    res = owner.post(f"/api/v1/sharers/{seller['id']}/payout-method/confirm", {"code": queued_code(app)},
                     key=seller["api_key"])
    assert res.status_code == 200 and res.json["account"] == "Alipay 138****8000 *小明"
    first = withdraw(owner, seller, "12.34")
    owner.post(f"/api/v1/withdrawals/{first['id']}/approve")
    assert send(app, first["id"]) == "paid"
    assert alipay.payments == [{"out_biz_no": first["out_no"], "identity": "13800138000", "amount": "12.34"}]

    second = withdraw(owner, seller, "20.00")
    owner.post(f"/api/v1/withdrawals/{second['id']}/approve")
    alipay.lose_next_answer = True
    assert send(app, second["id"]) == "sending"
    assert follow_up(app, second["id"]) == "paid"
    assert [p["amount"] for p in alipay.payments] == ["12.34", "20.00"]
    assert buckets(app, seller["id"])["paid"] == 3234 and balance(owner, seller["id"])["available"] == "7.46"


def test_an_alipay_payee_that_does_not_exist_fails_and_the_money_comes_back(app, owner, seller, alipay):
    approve_earnings(app, owner)
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method",
        {"rail": "alipay", "account": {"identity": "13900000000", "name": "王五"}})
    w = withdraw(owner, seller, "10.00")
    owner.post(f"/api/v1/withdrawals/{w['id']}/approve")
    assert send(app, w["id"]) == "failed"
    done = status_of(owner, w["id"])
    assert done["rail_status"] == "PAYEE_NOT_EXIST" and done["reason"] == "收款账号不存在"
    assert balance(owner, seller["id"])["available"] == "39.80" and not alipay.payments


def test_bank_withdrawals_are_paid_into_the_export_for_the_finance_team(app, owner, seller):
    approve_earnings(app, owner)
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "bank", "account": {
        "bank_name": "招商银行", "account_number": "6225 8801 2345 6789", "holder_name": "林小"}})
    assert res.json["account"] == "招商银行 ****6789 *小"
    w = withdraw(owner, seller, "15.00")
    owner.post(f"/api/v1/withdrawals/{w['id']}/approve")
    assert send(app, w["id"]) == "paid"
    assert status_of(owner, w["id"])["rail_status"] == "EXPORTED"


def test_refusing_returns_the_money_and_the_seller_reads_why(app, owner, seller):
    approve_earnings(app, owner)
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "bank", "account": {
        "bank_name": "招商银行", "account_number": "6225880123456789", "holder_name": "林小"}})
    w = withdraw(owner, seller, "20.00")
    assert owner.post(f"/api/v1/withdrawals/{w['id']}/refuse", {}).status_code == 422
    res = owner.post(f"/api/v1/withdrawals/{w['id']}/refuse", {"reason": "账户信息需核实"})
    assert res.status_code == 200 and res.json["status"] == "refused"
    assert owner.post(f"/api/v1/withdrawals/{w['id']}/approve").status_code == 409
    assert owner.post(f"/api/v1/withdrawals/{w['id']}/refuse", {"reason": "again"}).status_code == 409
    mine = owner.get("/api/v1/withdrawals", key=seller["api_key"]).json["items"]
    assert [(m["status"], m["reason"]) for m in mine] == [("refused", "账户信息需核实")]
    assert balance(owner, seller["id"])["available"] == "39.80"
    assert buckets(app, seller["id"]) == {"pending": 0, "approved": 3980, "withdrawing": 0}


def test_withdrawal_rules_answer_a_clear_4xx_and_store_nothing(app, owner, seller, make_sharer):
    approve_earnings(app, owner)
    assert withdraw(owner, seller, "10.00", 409)["error"]["code"] == "no_payout_method"
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "wechat", "account": {"openid": "oUser12345"}})
    assert withdraw(owner, seller, "10.00", 409)["error"]["code"] == "rail_not_configured"
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "bank", "account": {
        "bank_name": "招商银行", "account_number": "6225880123456789", "holder_name": "林小"}})
    assert put(owner, "/api/v1/payouts/settings", {"min_withdrawal": "5.00", "max_withdrawal": "30.00",
                                                    "daily_limit": "35.00"}).status_code == 200
    assert withdraw(owner, seller, "4.99", 422)["error"]["fields"]["amount"] == "must be at least 5.00"
    assert withdraw(owner, seller, "30.01", 422)["error"]["fields"]["amount"] == "must be at most 30.00"
    res = owner.post("/api/v1/withdrawals", {"amount": 10.0}, key=seller["api_key"])
    assert res.status_code == 422  # a float is never money
    assert withdraw(owner, seller, "1.234", 422)["error"]["code"] == "validation_error"
    other = make_sharer("别人")
    res = owner.post("/api/v1/withdrawals", {"amount": "10.00", "sharer_id": other["id"]}, key=seller["api_key"])
    assert res.status_code == 403
    with database.read_session(app) as s:
        assert s.scalar(select(func.count(Withdrawal.id))) == 0
    assert buckets(app, seller["id"]) == {"pending": 0, "approved": 3980}

    first = withdraw(owner, seller, "30.00")
    assert withdraw(owner, seller, "5.00", 409)["error"]["code"] == "withdrawal_open"
    owner.post(f"/api/v1/withdrawals/{first['id']}/approve")
    send(app, first["id"])
    assert withdraw(owner, seller, "9.80", 422)["error"]["fields"]["amount"] == \
        "must be at most 5.00 more today (the daily limit)"
    assert withdraw(owner, seller, "5.00")["status"] == "requested"


def test_limits_that_do_not_fit_together_are_refused(owner):
    res = put(owner, "/api/v1/payouts/settings", {"min_withdrawal": "50.00", "max_withdrawal": "10.00"})
    assert res.status_code == 422 and "max_withdrawal" in res.json["error"]["fields"]
    assert put(owner, "/api/v1/payouts/settings", {"min_withdrawal": "0.00"}).status_code == 422
    assert owner.get("/api/v1/payouts/settings").json["min_withdrawal"] == "1.00"


def test_withdrawing_more_than_the_approved_balance_is_refused(app, owner, seller):
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "bank", "account": {
        "bank_name": "招商银行", "account_number": "6225880123456789", "holder_name": "林小"}})
    assert withdraw(owner, seller, "10.00", 422)["error"]["fields"]["amount"] == "must be at most your available 0.00"
    approve_earnings(app, owner)
    assert withdraw(owner, seller, "39.81", 422)["error"]["code"] == "validation_error"
    assert withdraw(owner, seller, "39.80")["amount"] == "39.80"


def test_bad_rail_credentials_and_accounts_are_refused(owner, seller):
    res = put(owner, "/api/v1/payouts/rails/wechat", {"mchid": "abc"})
    assert res.status_code == 422 and set(res.json["error"]["fields"]) >= {"appid", "private_key"}
    res = put(owner, "/api/v1/payouts/rails/alipay", {"app_id": "2021000122671234", "private_key": "nope",
                                                      "alipay_public_key": "nope"})
    assert res.status_code == 422 and "private_key" in res.json["error"]["fields"]
    assert put(owner, "/api/v1/payouts/rails/stripe", {}).status_code == 404
    assert put(owner, "/api/v1/payouts/rails/wechat", {}, key=seller["api_key"]).status_code == 403
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "alipay", "account": {"identity": "a@b.cn"}})
    assert res.status_code == 422 and res.json["error"]["fields"] == {"name": "is required with a phone or email"}
    res = put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "wechat", "account": {"openid": "有空格 "}})
    assert res.status_code == 422
    assert {i["rail"]: i for i in owner.get("/api/v1/payouts/rails").json["items"]}["wechat"] == {
        "rail": "wechat", "automatic": True, "configured": False, "fields": [], "updated_at": None}


def test_a_seller_cannot_decide_their_own_withdrawal(app, owner, seller):
    approve_earnings(app, owner)
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", {"rail": "bank", "account": {
        "bank_name": "招商银行", "account_number": "6225880123456789", "holder_name": "林小"}})
    w = withdraw(owner, seller, "10.00")
    assert owner.post(f"/api/v1/withdrawals/{w['id']}/approve", key=seller["api_key"]).status_code == 403


def test_the_wechat_signature_covers_the_documented_message():
    """签名串: HTTP method, URL (path and query), timestamp, nonce, body, each ending in \\n."""
    header = authorization(MERCHANT_KEY, "1900009191", "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C", "GET",
                           "/v3/certificates", "", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242")
    assert header.startswith('WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",')
    signature = header.split('signature="')[1].split('"')[0]
    message = "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
    assert keys.verify(MERCHANT_KEY.public_key(), message, signature)
    assert header.endswith('timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"')


def test_the_alipay_sign_content_is_sorted_and_skips_sign_and_empty_values():
    params = {"method": "alipay.fund.trans.uni.transfer", "app_id": "2014072300007148", "sign": "x", "charset": "utf-8",
              "notify_url": "", "biz_content": '{"out_biz_no":"201806300001"}'}
    assert sign_content(params) == ('app_id=2014072300007148&biz_content={"out_biz_no":"201806300001"}'
                                    '&charset=utf-8&method=alipay.fund.trans.uni.transfer')


def test_the_alipay_answer_is_verified_over_the_exact_response_text():
    raw = '{"alipay_fund_trans_uni_transfer_response":{"code":"10000","msg":"Success","a":{"b":"}"}},"sign":"S"}'
    assert response_text(raw, "alipay_fund_trans_uni_transfer_response") == \
        '{"code":"10000","msg":"Success","a":{"b":"}"}}'
    assert response_text('{"other":{}}', "alipay_fund_trans_uni_transfer_response") is None
