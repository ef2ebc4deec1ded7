"""Scheduling, publishing jobs and the sellers' library, on the real app, database, Redis and RQ."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import feedparser
import pytest
from conftest import CAMPAIGN, PUBLIC_URL, at_once, path_of
from rq import SimpleWorker
from sqlalchemy import select

from plumbing import database, redis_client
from publishing import publish_jobs as jobs
from publishing.models import Grab, Publication

CST = timezone(timedelta(hours=8))


def iso(moment: datetime) -> str:
    return moment.isoformat()


def soon(seconds: float = 1.5, tz=CST) -> datetime:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).astimezone(tz)


def seller(make_sharer, name):
    sharer = make_sharer(name)
    return sharer["id"], sharer["api_key"]


def publications(app) -> list[Publication]:
    with database.read_session(app) as s:
        return list(s.scalars(select(Publication).order_by(Publication.id)))


def schedule(owner, campaign_id, *items, cancel=None):
    body = {"publications": list(items)}
    if cancel is not None:
        body["cancel"] = cancel
    return owner.post(f"/api/v1/campaigns/{campaign_id}/schedule", body)


def run_worker(app) -> None:
    """A real RQ worker in burst mode (jobs run in this app's context), its scheduler moving due jobs first."""
    with app.app_context():
        SimpleWorker([redis_client.queue(app=app)], connection=redis_client.connection(app)).work(
            burst=True, with_scheduler=True)


def publish_now(app, pub_id):
    with app.app_context():
        return jobs.publish(pub_id)


def test_scheduled_post_goes_live_on_time_in_every_sellers_library(app, owner, campaign, make_sharer):
    a_id, a_key = seller(make_sharer, "小林")
    b_id, b_key = seller(make_sharer, "小王")
    at = soon(1.5)
    res = schedule(owner, campaign["id"], {"channel": "weibo", "publish_at": iso(at)},
                   {"channel": "wechat_moments", "publish_at": iso(at)})
    assert res.status_code == 200, res.json
    assert res.json["status"] == "scheduled"
    pub = res.json["publications"][0]
    assert pub["status"] == "scheduled" and pub["attempts"] == 0 and pub["external_id"] is None
    assert pub["publish_at"] == at.isoformat() and pub["publish_at_local"].endswith("+08:00")
    assert owner.get(f"/api/v1/library", key=a_key).json["items"][0]["state"] == "upcoming"

    time.sleep(max(0.0, (at - datetime.now(timezone.utc)).total_seconds()) + 0.3)
    run_worker(app)

    got = owner.get(f"/api/v1/campaigns/{campaign['id']}").json
    assert got["status"] == "live"
    assert {(p["channel"], p["status"], p["attempts"], p["error"]) for p in got["publications"]} == {
        ("weibo", "published", 1, None), ("wechat_moments", "published", 1, None)}
    for key in (a_key, b_key):
        items = owner.get("/api/v1/library", key=key).json["items"]
        assert {(i["channel"], i["state"]) for i in items} == {("weibo", "live"), ("wechat_moments", "live")}
        assert all(i["content_version"] == 1 and i["published_at"] and i["images"] for i in items)
    a_links = {i["link"] for i in owner.get("/api/v1/library", key=a_key).json["items"]}
    b_links = {i["link"] for i in owner.get("/api/v1/library", key=b_key).json["items"]}
    assert not a_links & b_links  # each seller's posts carry their own links


def test_publication_happens_once_when_two_workers_race(app, owner, campaign, make_sharer):
    seller(make_sharer, "小林")
    schedule(owner, campaign["id"], {"channel": "weibo", "publish_at": iso(soon(0.5))})
    pub_id = publications(app)[0].id
    time.sleep(0.6)
    results = at_once([lambda: publish_now(app, pub_id), lambda: publish_now(app, pub_id)])
    assert sorted(results) == ["published", "skipped"]
    assert publish_now(app, pub_id) == "skipped"  # and once more, later
    (pub,) = publications(app)
    assert (pub.status, pub.attempts, pub.content_version) == ("published", 1, 1)


def test_worker_killed_mid_publication_is_finished_once_by_another(app, owner, campaign, make_sharer):
    for n in range(12):  # every seller's poster is drawn before going live: a slow publication
        make_sharer(f"卖家{n}")
    schedule(owner, campaign["id"], {"channel": "wechat_moments", "publish_at": iso(soon(0.2))})
    pub_id = publications(app)[0].id
    time.sleep(0.3)
    redis_client.queue(app=app).enqueue(jobs.publish, pub_id)
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], REDIS_URL=app.config["REDIS_URL"],
               SECRET_KEY=app.config["SECRET_KEY"], SHARECAST_INSTANCE=str(app.config["INSTANCE_PATH"]),
               SHARECAST_PUBLIC_URL=PUBLIC_URL)
    worker = subprocess.Popen([sys.executable, "-c", (
        "from app import create_app; from plumbing import redis_client; from rq import SimpleWorker; app = create_app()\n"
        "with app.app_context():\n"
        "    SimpleWorker([redis_client.queue(app=app)], connection=redis_client.connection(app)).work(burst=True)")],
        env=env, cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        deadline = time.monotonic() + 60
        while publications(app)[0].status != "publishing":
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never claimed it"
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    (pub,) = publications(app)
    assert (pub.status, pub.attempts, pub.published_at) == ("publishing", 1, None)

    app.config["PUBLISH_LEASE_SECONDS"] = 1
    assert publish_now(app, pub_id) == "skipped"  # the claim is still within its lease
    time.sleep(1.1)
    with app.app_context():
        assert jobs.recover() == 1
    run_worker(app)
    (pub,) = publications(app)
    assert (pub.status, pub.attempts) == ("published", 2) and pub.published_at is not None
    with app.app_context():
        assert jobs.recover() == 0
    assert publish_now(app, pub_id) == "skipped"


def test_failed_publication_retries_with_backoff_then_stays_failed_with_error(app, owner):
    app.config.update(PUBLISH_MAX_ATTEMPTS=3, PUBLISH_RETRY_BASE_SECONDS=0.3, PUBLISH_EARLY_SECONDS=0)
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": ["telegram"]})
    campaign_id = res.json["id"]
    schedule(owner, campaign_id, {"channel": "telegram", "publish_at": iso(soon(0.1))})
    pub_id = publications(app)[0].id
    time.sleep(0.15)
    started = datetime.now(timezone.utc)
    assert publish_now(app, pub_id) == "retrying"
    (pub,) = publications(app)
    assert pub.status == "scheduled" and pub.attempts == 1 and "no credentials" in pub.error
    assert timedelta(seconds=0.25) < pub.next_attempt_at - started < timedelta(seconds=1)
    assert jobs.job_id(pub_id, 2) in redis_client.queue(app=app).scheduled_job_registry.get_job_ids()
    assert publish_now(app, pub_id) == "skipped"  # not before the backoff is over
    time.sleep(0.35)
    assert publish_now(app, pub_id) == "retrying"
    pub = publications(app)[0]
    assert pub.attempts == 2 and timedelta(seconds=1.2) < pub.next_attempt_at - datetime.now(timezone.utc)
    time.sleep((pub.next_attempt_at - datetime.now(timezone.utc)).total_seconds() + 0.05)
    assert publish_now(app, pub_id) == "failed"
    got = owner.get(f"/api/v1/campaigns/{campaign_id}").json["publications"][0]
    assert (got["status"], got["attempts"]) == ("failed", 3)
    assert "no credentials for the telegram channel" in got["error"]
    assert publish_now(app, pub_id) == "skipped"


@pytest.mark.parametrize("entry, field", [
    ({"channel": "weibo", "publish_at": "2001-01-01T09:00:00+08:00"}, "publications.0.publish_at"),
    ({"channel": "myspace", "publish_at": "2099-01-01T09:00:00+08:00"}, "publications.0.channel"),
    ({"channel": "telegram", "publish_at": "2099-01-01T09:00:00+08:00"}, "publications.0.channel"),
    ({"channel": "weibo", "publish_at": "2099-01-01T09:00:00"}, "publications.0.publish_at"),
    ({"channel": "weibo"}, "publications.0"),
])
def test_bad_schedule_is_refused_and_stores_nothing(app, owner, campaign, entry, field):
    res = schedule(owner, campaign["id"], entry)
    assert res.status_code == 422 and field in res.json["error"]["fields"], res.json
    assert publications(app) == []


def test_schedule_outside_campaign_dates_duplicates_or_empty_is_refused(app, owner):
    start = datetime.now(timezone.utc) + timedelta(days=2)
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "starts_at": iso(start), "ends_at": iso(start + timedelta(days=1))})
    cid = res.json["id"]
    before = schedule(owner, cid, {"channel": "weibo", "publish_at": iso(start - timedelta(hours=1))})
    after = schedule(owner, cid, {"channel": "weibo", "publish_at": iso(start + timedelta(days=2))})
    assert "before the campaign starts" in before.json["error"]["fields"]["publications.0.publish_at"]
    assert "campaign ends" in after.json["error"]["fields"]["publications.0.publish_at"]
    ok = {"channel": "weibo", "publish_at": iso(start + timedelta(hours=1))}
    dup = schedule(owner, cid, ok, {"channel": "x", "publish_at": iso(start)}, ok)
    assert dup.status_code == 422 and "publications.2.channel" in dup.json["error"]["fields"]
    assert schedule(owner, cid).status_code == 422
    assert publications(app) == []
    assert owner.get(f"/api/v1/campaigns/{cid}").json["status"] == "scheduled"  # by its start date


def test_rescheduling_replaces_and_cancelling_stops_a_publication(app, owner, campaign):
    first = schedule(owner, campaign["id"], {"channel": "weibo", "publish_at": iso(soon(0.5))}).json
    later = soon(3600)
    again = schedule(owner, campaign["id"], {"channel": "weibo", "publish_at": iso(later)}).json
    statuses = [(p["status"], p["publish_at"]) for p in again["publications"]]
    assert ("cancelled", first["publications"][0]["publish_at"]) in statuses and ("scheduled", iso(later)) in statuses
    time.sleep(0.6)
    old_id = first["publications"][0]["id"]
    assert publish_now(app, old_id) == "skipped"  # the old job finds its row cancelled
    new_id = next(p["id"] for p in again["publications"] if p["status"] == "scheduled")
    res = owner.client.delete(f"/api/v1/campaigns/{campaign['id']}/publications/{new_id}", headers=owner._headers(None))
    assert res.status_code == 200 and res.json["status"] == "draft"
    assert {p["status"] for p in res.json["publications"]} == {"cancelled"}
    assert owner.client.delete(f"/api/v1/campaigns/{campaign['id']}/publications/{new_id}",
                               headers=owner._headers(None)).status_code == 409
    x = schedule(owner, campaign["id"], {"channel": "x", "publish_at": iso(later)}).json
    x_id = next(p["id"] for p in x["publications"] if p["channel"] == "x" and p["status"] == "scheduled")
    assert schedule(owner, campaign["id"], cancel=[x_id]).json["status"] == "draft"
    assert schedule(owner, campaign["id"], cancel=[999]).status_code == 404


def test_next_slot_picks_the_next_free_time_in_the_workspace_zone(app, owner, campaign, make_sharer):
    _, seller_key = seller(make_sharer, "小林")
    assert owner.client.put("/api/v1/workspace/slots", json={"slots": ["09:00"]},
                            headers={"Authorization": f"Bearer {seller_key}"}).status_code == 403
    bad = owner.client.put("/api/v1/workspace/slots", json={"slots": ["25:00"]}, headers=owner._headers(None))
    assert bad.status_code == 422 and "slots.0" in bad.json["error"]["fields"]
    no_slots = schedule(owner, campaign["id"], {"channel": "weibo", "slot": "next"})
    assert no_slots.status_code == 422
    res = owner.client.put("/api/v1/workspace/slots", json={"slots": ["20:00", "09:00", "12:30"]},
                           headers=owner._headers(None))
    assert res.json == {"slots": ["09:00", "12:30", "20:00"], "timezone": "Asia/Shanghai"}
    first = schedule(owner, campaign["id"], {"channel": "weibo", "slot": "next"}).json["publications"][0]
    local = datetime.fromisoformat(first["publish_at_local"])
    assert first["slot"] == local.strftime("%H:%M") and local.strftime("%H:%M") in {"09:00", "12:30", "20:00"}
    assert local > datetime.now(timezone.utc) and local - datetime.now(timezone.utc) <= timedelta(hours=13)  # 20:00 to 09:00 is the longest gap
    other = owner.post("/api/v1/campaigns", CAMPAIGN).json
    second = schedule(owner, other["id"], {"channel": "weibo", "slot": "next"}).json["publications"][0]
    assert second["publish_at_utc"] > first["publish_at_utc"]  # the first slot is taken on weibo


def _live(app, owner, campaign_id, *channels):
    schedule(owner, campaign_id, *({"channel": c, "publish_at": iso(soon(0.2))} for c in channels))
    time.sleep(0.3)
    for pub in publications(app):
        if pub.status == "scheduled":
            assert publish_now(app, pub.id) == "published"


def test_seller_sees_only_their_own_library_filtered(app, owner, campaign, make_sharer):
    a_id, a_key = seller(make_sharer, "小林")
    b_id, b_key = seller(make_sharer, "小王")
    _live(app, owner, campaign["id"], "weibo", "x")
    later = schedule(owner, campaign["id"], {"channel": "wechat_moments", "publish_at": iso(soon(3600))})
    assert later.status_code == 200
    items = owner.get("/api/v1/library", key=a_key).json["items"]
    assert [i["state"] for i in items] == ["live", "live", "upcoming"]
    assert all(i["code"] == make_code(app, a_id) for i in items)
    assert [i["channel"] for i in owner.get("/api/v1/library?channel=x", key=a_key).json["items"]] == ["x"]
    assert [i["channel"] for i in owner.get("/api/v1/library?state=upcoming", key=a_key).json["items"]] == [
        "wechat_moments"]
    assert owner.get(f"/api/v1/library?campaign_id={campaign['id'] + 1}", key=a_key).json["items"] == []
    assert owner.get("/api/v1/library").status_code == 403  # an owner key has no library
    b_items = owner.get("/api/v1/library", key=b_key).json["items"]
    assert {i["code"] for i in b_items} == {make_code(app, b_id)}


def test_a_nul_character_in_a_query_string_is_422_naming_the_parameter(owner, campaign, make_sharer):
    _, key = seller(make_sharer, "小林")
    for query in ("channel=%00", "channel=x%00y", "state=live%00", "campaign_id=1%00"):
        res = owner.get(f"/api/v1/library?{query}", key=key)
        assert res.status_code == 422, (query, res.json)
        assert res.json["error"]["fields"] == {query.split("=")[0]: "must not contain NUL characters"}


def make_code(app, sharer_id):
    from referrals.models import Sharer

    with database.read_session(app) as s:
        return s.get(Sharer, sharer_id).code


def test_grab_records_seller_channel_and_content_version(app, owner, campaign, make_sharer):
    a_id, a_key = seller(make_sharer, "小林")
    nothing = owner.post("/api/v1/library/grabs", {"campaign_id": campaign["id"], "channel": "weibo"}, key=a_key)
    assert nothing.status_code == 404
    _live(app, owner, campaign["id"], "weibo")
    res = owner.post("/api/v1/library/grabs", {"campaign_id": campaign["id"], "channel": "weibo"}, key=a_key)
    assert res.status_code == 201, res.json
    assert (res.json["sharer_id"], res.json["channel"], res.json["content_version"]) == (a_id, "weibo", 1)
    assert owner.post("/api/v1/library/grabs", {"campaign_id": campaign["id"], "channel": "weibo",
                                                "content_version": 7}, key=a_key).status_code == 422
    with database.read_session(app) as s:
        (grab,) = s.scalars(select(Grab)).all()
        assert grab.link_id is not None and grab.publication_id == publications(app)[0].id


def test_sellers_atom_feed_parses_and_lists_their_live_posts(app, owner, campaign, make_sharer):
    a_id, a_key = seller(make_sharer, "小林")
    _live(app, owner, campaign["id"], "weibo", "x")
    res = owner.post("/api/v1/library/feed", key=a_key)
    assert res.status_code == 201
    url = path_of(res.json["url"])
    raw = owner.client.get(url)  # no Authorization header: the URL's secret is enough
    assert raw.status_code == 200 and raw.mimetype == "application/atom+xml"
    feed = feedparser.parse(raw.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10" and len(feed.entries) == 2
    code = make_code(app, a_id)
    for entry in feed.entries:
        assert entry.link.startswith(f"{PUBLIC_URL}/r/") and entry.published_parsed
        assert any(l.rel == "enclosure" for l in entry.links)
    assert all(code in e.content[0].value or e.link for e in feed.entries)
    assert owner.client.get("/feeds/not-a-token.atom").status_code == 404
    owner.post("/api/v1/library/feed", key=a_key)  # a new address retires the old one
    assert owner.client.get(url).status_code == 404
