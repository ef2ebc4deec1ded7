"""Writers of the ledger take their locks in one order, so two of them never deadlock on PostgreSQL:
a sale's commissions (by id), then the workspace's awards lock (``ledger.lock_awards``), then the
prizes and target bonuses. A refund takes them so; the approval job (which decides expired risk
holds first) and a rejection in review must too."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update
from test_conversions import earnings, sale
from test_withdrawals import put

from plumbing import database
from referrals import jobs, ledger, reviews
from referrals.conversions import record_conversion
from referrals.models import Commission, Conversion, RiskReview
from referrals.schemas import ConversionIn


def refund_paused_at_the_awards_lock(app, monkeypatch, workspace_id, order, amount, other):
    """Refund ``order`` in a thread that stops once it holds the sale's commissions, just before it takes
    the awards lock; run ``other`` (in an app context) in a second thread; let the refund go on once
    ``other`` waits on a lock or is done (PostgreSQL; SQLite's writers run one at a time, so there one
    after the other). Returns what each raised (None when it did not)."""
    on_pg = app.config["DATABASE_URL"].startswith("postgresql")
    at_awards, go = threading.Event(), threading.Event()
    real = ledger.lock_awards
    raised = {}

    def lock_awards(session, ws):
        if threading.current_thread().name == "refund":
            at_awards.set()
            go.wait(20)
        return real(session, ws)

    monkeypatch.setattr(ledger, "lock_awards", lock_awards)

    def run(name, work):
        try:
            with app.app_context():
                work()
            raised[name] = None
        except Exception as exc:  # noqa: BLE001 - reported to the test
            raised[name] = exc

    def refunding():
        with app.test_request_context(), database.new_session(app) as s:
            data = ConversionIn().load({"type": "refund", "order_id": order, "amount": amount, "refund_id": "r1"})
            record_conversion(s, workspace_id, data, "http://localhost")
            s.commit()

    refund = threading.Thread(target=run, args=("refund", refunding), name="refund")
    second = threading.Thread(target=run, args=("other", other), name="other")
    if not on_pg:
        go.set()
        refund.start()
        refund.join(30)
        second.start()
        second.join(30)
        return raised
    refund.start()
    assert at_awards.wait(20)
    second.start()
    with database.new_session(app) as s:
        for _ in range(400):
            if not second.is_alive() or s.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
                break
            time.sleep(0.025)
    go.set()
    refund.join(30)
    second.join(30)
    assert not refund.is_alive() and not second.is_alive()
    return raised


@pytest.fixture
def held_and_due(app, owner, campaign, make_sharer, make_link):
    """A seller with one held sale (H-1, a throwaway address) whose review nobody decided in time
    (expiry rejects), and one plain sale (P-1) whose commission is due for approval."""
    assert put(owner, "/api/v1/risk/settings", {"expiry_decision": "reject"}).status_code == 200
    seller = make_sharer("小林")
    code = make_link(campaign["id"], seller["id"])["code"]
    assert sale(owner, "H-1", code=code, customer={"external_id": "c1", "email": "x@mailinator.com"}).status_code == 201
    assert sale(owner, "P-1", code=code).status_code == 201
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    with database.new_session(app) as s:
        s.execute(update(RiskReview).values(expires_at=past))
        s.execute(update(Commission).values(approvable_at=past))
        workspace_id = s.scalar(select(Conversion.workspace_id).where(Conversion.order_id == "P-1"))
        s.commit()
    return {"seller": seller, "workspace_id": workspace_id}


def test_a_refund_and_the_approval_job_deciding_an_expired_hold_never_deadlock(app, owner, monkeypatch, held_and_due):
    raised = refund_paused_at_the_awards_lock(app, monkeypatch, held_and_due["workspace_id"], "P-1", "99.50",
                                              jobs.approve_due_commissions)
    assert raised == {"refund": None, "other": None}
    with database.new_session(app) as s:
        assert s.scalar(select(RiskReview.status)) == "rejected"
    # H-1 (19.90) rejected; P-1: half refunded (9.95 reversed), the rest approved
    mine = earnings(owner, held_and_due["seller"]["id"])
    assert (mine["pending"], mine["approved"], mine["reversed"]) == ("0.00", "9.95", "29.85")


def test_a_refund_and_the_rejection_of_its_held_sale_never_deadlock(app, owner, monkeypatch, held_and_due):
    workspace_id = held_and_due["workspace_id"]
    with database.new_session(app) as s:
        review_id = s.scalar(select(RiskReview.id))

    def reject():
        with database.new_session(app) as s:
            reviews.reject(s, workspace_id, review_id, "fraud", "test", datetime.now(timezone.utc))
            s.commit()

    raised = refund_paused_at_the_awards_lock(app, monkeypatch, workspace_id, "H-1", "99.50", reject)
    assert raised == {"refund": None, "other": None}
    mine = earnings(owner, held_and_due["seller"]["id"])
    assert (mine["pending"], mine["reversed"]) == ("19.90", "19.90")  # P-1 pending, H-1 all reversed
