"""``flask posters build``: every sharer's posters through RQ jobs, resumable."""
from __future__ import annotations

import threading

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select
from test_images import photo_bytes, upload
from test_posts import CHINESE, fetch, posts, qr_texts

from plumbing import database, redis_client
from publishing.models import Render

CHANNELS = ["wechat_moments", "xiaohongshu", "weibo"]


@pytest.fixture
def built(owner, make_sharer) -> dict:
    res = owner.post("/api/v1/campaigns", {**CHINESE, "channels": CHANNELS})
    assert res.status_code == 201, res.json
    assert upload(owner, res.json["id"], photo_bytes(1200, 900)).status_code == 201
    sharers = [make_sharer(name) for name in ("小林", "小王", "Alice", "Bob", "陈老师")]
    return {"campaign": res.json, "sharers": sharers}


def burst(app) -> None:
    """Work the default queue until it is empty, in this process, against the test Redis."""
    with app.app_context():
        SimpleWorker([redis_client.queue(app=app)], connection=redis_client.connection(app)).work(burst=True)


def build(app, *args):
    return app.test_cli_runner().invoke(args=["posters", "build", *args])


def posters_stored(app) -> int:
    with database.read_session(app) as s:
        return s.scalar(select(func.count()).select_from(Render).where(Render.kind == "poster"))


def test_build_waits_for_a_worker_with_a_progress_bar_and_renders_every_sharer(app, owner, client, built):
    campaign_id = built["campaign"]["id"]
    result = {}
    thread = threading.Thread(target=lambda: result.update(out=build(app, "--campaign", str(campaign_id),
                                                                      "--chunk", "2", "--timeout", "60")))
    thread.start()
    while thread.is_alive():
        burst(app)
        thread.join(0.05)
    out = result["out"]
    assert out.exit_code == 0, out.output
    assert "5 sharers, 0 up to date, 5 to render" in out.output
    assert "queued 3 job(s)" in out.output and "rendering posters" in out.output
    assert "done: 5 sharers' posters rendered" in out.output
    assert posters_stored(app) == 5 * len(CHANNELS)  # one poster per sharer and channel
    stored = posters_stored(app)
    for sharer in built["sharers"]:
        body = posts(owner, campaign_id, f"?sharer_id={sharer['id']}")
        for item in body["items"]:
            poster = next(i for i in item["images"] if i["kind"] == "poster")
            assert qr_texts(fetch(client, poster)) == [item["link"]]
    assert posters_stored(app) == stored  # the GETs found every poster already drawn


def test_build_is_resumable_and_safe_to_run_twice(app, owner, built, make_sharer):
    campaign_id = str(built["campaign"]["id"])
    first = build(app, "--campaign", campaign_id, "--no-wait")
    assert first.exit_code == 0 and "5 to render" in first.output and "queued 1 job(s)" in first.output
    again = build(app, "--campaign", campaign_id, "--no-wait")  # before any worker ran: same jobs again
    assert again.exit_code == 0 and "5 to render" in again.output
    burst(app)  # the duplicates find their posters drawn and do nothing twice
    assert posters_stored(app) == 5 * len(CHANNELS)
    done = build(app, "--campaign", campaign_id)
    assert done.exit_code == 0 and "5 up to date, 0 to render" in done.output and "queued" not in done.output
    make_sharer("新人")
    resumed = build(app, "--campaign", campaign_id, "--no-wait")
    assert "6 sharers, 5 up to date, 1 to render" in resumed.output
    burst(app)
    assert posters_stored(app) == 6 * len(CHANNELS)


def test_jobs_of_a_superseded_version_do_nothing(app, owner, built):
    campaign_id = built["campaign"]["id"]
    assert build(app, "--campaign", str(campaign_id), "--no-wait").exit_code == 0
    res = owner.client.patch(f"/api/v1/campaigns/{campaign_id}", headers=owner._headers(None), json={"title": "新品"})
    assert res.status_code == 200
    burst(app)
    assert posters_stored(app) == 0
    out = build(app, "--campaign", str(campaign_id), "--no-wait")
    assert f"content version {res.json['content_version']}: 5 sharers, 0 up to date, 5 to render" in out.output


def test_build_gives_up_waiting_without_a_worker_and_names_the_fix(app, built):
    out = build(app, "--campaign", str(built["campaign"]["id"]), "--timeout", "0.3")
    assert out.exit_code != 0 and "is a worker running" in out.output and "again to resume" in out.output


def test_build_of_an_unknown_campaign_fails_clearly(app, owner):
    out = build(app, "--campaign", "999")
    assert out.exit_code != 0 and "no campaign 999" in out.output


def test_build_of_the_most_active_renders_only_the_sharers_with_the_most_clicks(app, owner, client, built, make_link):
    from conftest import BROWSER, drain, path_of

    campaign_id = built["campaign"]["id"]
    busy, busier = built["sharers"][3], built["sharers"][1]
    for sharer, clicks in ((busy, 1), (busier, 3)):
        link = make_link(campaign_id, sharer["id"], "weibo")
        for _ in range(clicks):
            assert client.get(path_of(link["url"]), headers={"User-Agent": BROWSER}).status_code == 302
    drain(app)
    one = build(app, "--campaign", str(campaign_id), "--most-active", "1", "--no-wait")
    assert one.exit_code == 0 and "1 sharers, 0 up to date, 1 to render" in one.output
    burst(app)
    assert posters_stored(app) == len(CHANNELS)
    two = build(app, "--campaign", str(campaign_id), "--most-active", "2", "--no-wait")
    assert "2 sharers, 1 up to date, 1 to render" in two.output  # the busier one's are drawn already
    burst(app)
    assert posters_stored(app) == 2 * len(CHANNELS)
    everyone = build(app, "--campaign", str(campaign_id), "--no-wait")
    assert "5 sharers, 2 up to date, 3 to render" in everyone.output
