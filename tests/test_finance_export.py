"""The finance team's withdrawal export: a period's withdrawals, the full bank details a hand-paid transfer
needs, and each seller's total paid in the calendar year (withdrawals and payout runs alike)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from test_withdrawals import approve_earnings, private_targets, put, seller, send, withdraw  # noqa: F401

from payouts.models import Withdrawal
from plumbing import database
from referrals.models import ContactView, Payout
from workspaces.models import Workspace

BANK = {"rail": "bank", "account": {"bank_name": "招商银行", "account_number": "6225 8801 2345 6789",
                                    "holder_name": "林小"}}


def export(owner, query="", key=None):
    return owner.get(f"/api/v1/withdrawals.csv{query}", key=key)


def rows_of(res) -> list[dict]:
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    assert res.mimetype == "text/csv" and "no-store" in res.headers["Cache-Control"]
    return list(csv.DictReader(io.StringIO(res.get_data().decode("utf-8-sig"))))


def test_a_bank_withdrawal_is_exported_with_the_full_account_and_the_sellers_year_total(app, owner, seller):  # noqa: F811
    approve_earnings(app, owner)
    assert put(owner, f"/api/v1/sharers/{seller['id']}/payout-method", BANK).status_code == 200
    first = withdraw(owner, seller, "10.00")
    owner.post(f"/api/v1/withdrawals/{first['id']}/approve")
    assert send(app, first["id"]) == "paid"
    second = withdraw(owner, seller, "5.50")
    owner.post(f"/api/v1/withdrawals/{second['id']}/refuse", {"reason": "请核实户名"})
    with database.new_session(app) as s:  # a payout from a payout run earlier this year counts too
        s.add(Payout(workspace_id=s.scalar(select(Workspace.id)), sharer_id=seller["id"], currency="CNY", amount_minor=1234,
                     created_at=datetime.now(timezone.utc) - timedelta(minutes=5)))
        s.commit()

    rows = rows_of(export(owner))
    assert [(r["withdrawal_id"], r["status"], r["amount"]) for r in rows] == [
        (str(first["id"]), "paid", "10.00"), (str(second["id"]), "refused", "5.50")]
    paid = rows[0]
    assert paid["account_number"] == "6225880123456789" and paid["holder_name"] == "林小"
    assert paid["bank_name"] == "招商银行" and paid["account"].startswith("招商银行 ****6789")
    assert paid["phone"] == "'+8613800138000"  # defused for spreadsheets and paid["out_no"] == first["out_no"]
    assert paid["year"] == str(datetime.now(timezone(timedelta(hours=8))).year)
    assert paid["year_total_paid"] == "22.34"  # 10.00 withdrawn + 12.34 from the payout run
    assert rows[1]["reason"] == "请核实户名" and rows[1]["finished_at"]
    with database.read_session(app) as s:  # the full contacts shown are kept
        assert s.scalar(select(func.count()).select_from(ContactView)) == 1


def test_other_rails_stay_masked_and_the_period_is_the_programmes_days(app, owner, seller):  # noqa: F811
    approve_earnings(app, owner)
    put(owner, f"/api/v1/sharers/{seller['id']}/payout-method",
        {"rail": "wechat", "account": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "name": "林小"}})
    put(owner, "/api/v1/payouts/rails/wechat", {})  # not set up: the request is refused, nothing exported
    with database.new_session(app) as s:
        s.add(Withdrawal(workspace_id=s.scalar(select(Workspace.id)), sharer_id=seller["id"], currency="CNY", amount_minor=700, rail="wechat",
                         masked_account="WeChat oUpF****eS6o *小", account_sealed="x", status="refused",
                         out_no="SCW000001000000000099", reason="test",
                         created_at=datetime(2026, 1, 1, 16, 30, tzinfo=timezone.utc)))  # 2 Jan in Shanghai
        s.commit()
    assert rows_of(export(owner, "?from=2026-01-01&to=2026-01-01")) == []
    [row] = rows_of(export(owner, "?from=2026-01-02&to=2026-01-02"))
    assert row["account"] == "WeChat oUpF****eS6o *小" and row["account_number"] == "" and row["year"] == "2026"
    assert row["requested_at"].startswith("2026-01-02T00:30:00+08:00")


def test_bad_periods_and_roles_are_refused(app, owner, seller):  # noqa: F811
    assert export(owner, "?from=2026-02-01&to=2026-01-01").status_code == 422
    assert export(owner, "?from=2025-01-01&to=2026-01-02").status_code == 422
    assert export(owner, "?from=yesterday").status_code == 422
    assert export(owner, key=seller["api_key"]).status_code == 403
    with database.read_session(app) as s:
        assert s.scalar(select(func.count()).select_from(ContactView)) == 0


def test_the_console_offers_the_export_to_owners(app, owner, seller, console):  # noqa: F811
    page = console.get("/console/withdrawals", headers={"Accept-Language": "zh-CN"}).text
    assert 'id="finance-export"' in page and "导出给财务" in page
    res = console.get("/console/withdrawals.csv?from=2026-01-01&to=2026-01-31")
    assert res.status_code == 200 and res.get_data().decode("utf-8-sig").startswith("withdrawal_id,out_no,")
    assert console.get("/console/withdrawals.csv?from=31.01.2026").status_code == 422
