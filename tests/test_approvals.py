"""Approval before scheduling: a marketer's campaign waits for an owner; an edit needs approval again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import CAMPAIGN
from sqlalchemy import func, select

from plumbing import database
from publishing import publish_jobs as jobs
from publishing.models import ContentApproval, Publication


def soon(minutes: float = 30) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def marketer(owner):
    res = owner.post("/api/v1/keys", {"role": "marketer", "name": "Mei"})
    assert res.status_code == 201, res.json
    return res.json["key"]


def require_approval(owner, required=True):
    res = owner.client.put("/api/v1/workspace/approval", json={"required": required}, headers=owner._headers(None))
    assert res.status_code == 200, res.json
    return res


def count(app, model) -> int:
    with database.read_session(app) as s:
        return s.scalar(select(func.count()).select_from(model))


def schedule(owner, campaign_id, key=None):
    return owner.post(f"/api/v1/campaigns/{campaign_id}/schedule",
                      {"publications": [{"channel": "weibo", "publish_at": soon()}]}, key=key)


def test_marketers_campaign_waits_for_an_owners_approval_before_it_is_scheduled(app, owner, marketer):
    require_approval(owner)
    campaign = owner.post("/api/v1/campaigns", CAMPAIGN, key=marketer).json
    refused = schedule(owner, campaign["id"], key=marketer)
    assert refused.status_code == 409, refused.json
    assert refused.json["error"]["code"] == "approval_required"
    assert "waits for an owner's approval" in refused.json["error"]["message"]
    assert count(app, Publication) == 0

    denied = owner.post(f"/api/v1/campaigns/{campaign['id']}/approvals", {}, key=marketer)
    assert denied.status_code == 403 and count(app, ContentApproval) == 0

    approved = owner.post(f"/api/v1/campaigns/{campaign['id']}/approvals",
                          {"content_version": campaign["content_version"], "note": "价格已核对"})
    assert approved.status_code == 201, approved.json
    assert approved.json["content_version"] == campaign["content_version"]
    assert approved.json["approver"]["key_id"] is not None and approved.json["note"] == "价格已核对"
    again = owner.post(f"/api/v1/campaigns/{campaign['id']}/approvals", {})
    assert again.status_code == 200 and again.json["id"] == approved.json["id"]

    ok = schedule(owner, campaign["id"], key=marketer)
    assert ok.status_code == 200, ok.json
    assert [p["status"] for p in ok.json["publications"]] == ["scheduled"]


def test_edit_after_approval_needs_approval_again_and_history_is_kept(app, owner, marketer):
    require_approval(owner)
    campaign = owner.post("/api/v1/campaigns", CAMPAIGN, key=marketer).json
    assert owner.post(f"/api/v1/campaigns/{campaign['id']}/approvals", {}).status_code == 201
    edited = owner.client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"title": "明前龙井 · 限量"},
                                headers={"Authorization": f"Bearer {marketer}"})
    assert edited.status_code == 200, edited.json
    assert edited.json["content_version"] == campaign["content_version"] + 1

    refused = schedule(owner, campaign["id"], key=marketer)
    assert refused.status_code == 409
    assert "was approved, then edited" in refused.json["error"]["message"]

    stale = owner.post(f"/api/v1/campaigns/{campaign['id']}/approvals", {"content_version": campaign["content_version"]})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale_version"
    assert count(app, ContentApproval) == 1

    assert owner.post(f"/api/v1/campaigns/{campaign['id']}/approvals",
                      {"content_version": edited.json["content_version"]}).status_code == 201
    history = owner.get(f"/api/v1/campaigns/{campaign['id']}/approvals", key=marketer).json
    assert history["required"] is True and history["approved"] is True
    assert [a["content_version"] for a in history["items"]] == [edited.json["content_version"],
                                                                campaign["content_version"]]
    assert schedule(owner, campaign["id"], key=marketer).status_code == 200


def test_publication_edited_after_scheduling_waits_for_approval_when_due(app, owner, marketer):
    require_approval(owner)
    campaign = owner.post("/api/v1/campaigns", CAMPAIGN, key=marketer).json
    owner.post(f"/api/v1/campaigns/{campaign['id']}/approvals", {})
    res = owner.post(f"/api/v1/campaigns/{campaign['id']}/schedule",
                     {"publications": [{"channel": "weibo", "publish_at": soon(0.02)}]})
    assert res.status_code == 200, res.json
    owner.client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"body": "新的正文，未经审批。"},
                       headers={"Authorization": f"Bearer {marketer}"})
    with database.read_session(app) as s:
        pub_id = s.scalar(select(Publication.id).where(Publication.campaign_id == campaign["id"]))
    deadline = datetime.now(timezone.utc) + timedelta(seconds=5)
    while datetime.now(timezone.utc) < deadline:  # publish_at is a second away
        with app.app_context():
            outcome = jobs.publish(pub_id)
        if outcome != "skipped":
            break
    assert outcome == "retrying"
    with database.read_session(app) as s:
        pub = s.get(Publication, pub_id)
        assert pub.status == "scheduled" and "waits for an owner's approval" in pub.error
        assert pub.published_at is None


@pytest.mark.parametrize("body", [{}, {"required": "yes"}, {"required": 1}, {"required": True, "extra": 1}])
def test_bad_rule_is_422_and_changes_nothing(app, owner, body):
    res = owner.client.put("/api/v1/workspace/approval", json=body, headers=owner._headers(None))
    assert res.status_code == 422, res.json
    assert owner.get("/api/v1/workspace/approval").json == {"required": False}


def test_only_an_owner_sets_the_rule_and_without_it_scheduling_is_as_before(app, owner, marketer, campaign):
    res = owner.client.put("/api/v1/workspace/approval", json={"required": True},
                           headers={"Authorization": f"Bearer {marketer}"})
    assert res.status_code == 403
    assert owner.get("/api/v1/workspace/approval", key=marketer).json == {"required": False}
    assert schedule(owner, campaign["id"], key=marketer).status_code == 200


@pytest.mark.parametrize("body", [{"content_version": "1"}, {"content_version": 0}, {"note": "x" * 501},
                                  {"unknown": 1}])
def test_bad_approval_is_422_and_stores_nothing(app, owner, campaign, body):
    res = owner.post(f"/api/v1/campaigns/{campaign['id']}/approvals", body)
    assert res.status_code == 422, res.json
    assert count(app, ContentApproval) == 0


def test_approving_another_workspaces_campaign_is_404(app, owner, campaign):
    from conftest import run_cli

    other = run_cli(app, "workspace", "create", "--name", "Other")["api_key"]
    res = owner.post(f"/api/v1/campaigns/{campaign['id']}/approvals", {}, key=other)
    assert res.status_code == 404 and count(app, ContentApproval) == 0


def test_console_owner_requires_approval_marketer_waits_owner_approves(app, owner, console, campaign):
    from conftest import STAFF_PASSWORD, Pages

    from accounts.users import create_user
    from workspaces.models import Workspace

    with database.new_session(app) as s:
        workspace_id = s.scalars(select(Workspace.id)).first()
        create_user(s, workspace_id, "mei@acme-tea.com", STAFF_PASSWORD, "marketer", "Mei")
        s.commit()
    marketer_pages = Pages(app.test_client())
    marketer_pages.sign_in("mei@acme-tea.com", STAFF_PASSWORD)
    assert marketer_pages.post("/console/workspace/approval", token_from="/console/accounts").status_code == 403

    assert console.post("/console/workspace/approval", token_from="/console/accounts").status_code == 303
    assert 'data-approval-rule="on"' in console.get("/console/accounts").text
    assert owner.get("/api/v1/workspace/approval").json == {"required": True}

    page = f"/console/campaigns/{campaign['id']}/schedule"
    at = (datetime.now(timezone.utc) + timedelta(days=3)).astimezone(timezone(timedelta(hours=8)))
    form = {"channels": ["weibo"], "when": "time", "publish_at": at.strftime("%Y-%m-%dT%H:%M")}
    refused = marketer_pages.post(page, form)
    assert refused.status_code == 409
    assert "An owner must approve this content before it is scheduled." in refused.text
    assert count(app, Publication) == 0
    waiting = marketer_pages.get(page).text
    assert 'data-approval="waiting"' in waiting and "Approve this content" not in waiting
    assert marketer_pages.post(f"/console/campaigns/{campaign['id']}/approve",
                               {"content_version": str(campaign["content_version"])},
                               token_from=page).status_code == 403

    stale = console.post(f"/console/campaigns/{campaign['id']}/approve", {"content_version": "99"}, token_from=page)
    assert stale.status_code == 303 and count(app, ContentApproval) == 0
    done = console.post(f"/console/campaigns/{campaign['id']}/approve",
                        {"content_version": str(campaign["content_version"])}, token_from=page)
    assert done.status_code == 303
    assert 'data-approval="approved"' in console.get(page).text
    with database.read_session(app) as s:
        assert s.scalar(select(ContentApproval.approver_user_id)) is not None
    assert marketer_pages.post(page, form).status_code == 303
    assert count(app, Publication) == 1
