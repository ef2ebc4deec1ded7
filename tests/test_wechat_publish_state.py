"""The Official Account decides on a submitted article later: its state polled by ``freepublish/get``
(a job with back-off, safe to run twice), and an article whose answer was lost found, not sent again."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from social_fakes import FakeWechat
from sqlalchemy import select, update
from test_brand_accounts import pub_of
from test_publishing_e2e import api_campaign, go_live, put_credentials
from test_webhooks import local_targets  # noqa: F401 - a fixture

from brand_accounts.models import PostState
from plumbing import database
from plumbing.database import utcnow
from publishing.models import Publication
from publishing.post_states import poll_due
from publishing.publish_jobs import _publish, sweep_brand_accounts


@pytest.fixture
def wechat():
    server = FakeWechat()
    yield server
    server.close()


def connect(owner, server) -> None:
    put_credentials(owner, "wechat_official", {"appid": server.appid, "secret": server.secret,
                                               "api_base": server.url()})


def state_row(app) -> PostState | None:
    with database.read_session(app) as s:
        return s.scalar(select(PostState))


def get_calls(server) -> int:
    return server.paths().count("/cgi-bin/freepublish/get")


def test_an_article_in_review_is_polled_until_published_and_the_campaign_shows_its_url(
        app, local_targets, owner, wechat):  # noqa: F811
    connect(owner, wechat)
    wechat.review = 1  # publishing: WeChat has not decided yet
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    pub = pub_of(app, "wechat_official")
    assert pub.status == "published" and pub.external_id in wechat.published

    with app.app_context():
        assert sweep_brand_accounts()["states"] == {"publishing": 1}
    first = state_row(app)
    assert (first.state, first.url, first.checks) == ("publishing", None, 1)
    assert first.next_check_at > utcnow()
    # Not due again yet: run twice, nothing is asked.
    calls = get_calls(wechat)
    assert poll_due(app) == {} and get_calls(wechat) == calls

    wechat.status[pub.external_id] = 0
    assert poll_due(app, utcnow() + timedelta(minutes=5)) == {"published": 1}
    done = state_row(app)
    assert done.state == "published" and done.url == f"http://mp.weixin.qq.com/s/{pub.external_id}"
    assert done.next_check_at is None and done.checks == 2
    # Final: never asked again, however often the job runs.
    calls = get_calls(wechat)
    assert poll_due(app, utcnow() + timedelta(hours=3)) == {} and get_calls(wechat) == calls
    shown = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"][0]["platform_state"]
    assert shown["state"] == "published" and shown["url"] == done.url and shown["error"] is None


def platform_state_shown(console, campaign_id: int, **kw) -> str:
    """The campaign page's "on the platform" line of its one publication."""
    page = console.get(f"/console/campaigns/{campaign_id}", **kw).text
    found = re.search(r'<div class="platform-state" data-state="(\w+)">(.*?)</div>\s*</td>', page, re.S)
    assert found, "no platform state on the campaign page"
    return found.group(1) + " " + " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(2))).split())


def test_the_campaign_page_shows_where_the_post_stands_on_the_platform(
        app, local_targets, owner, console, wechat):  # noqa: F811
    connect(owner, wechat)
    wechat.review = 1
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    pub = pub_of(app, "wechat_official")
    assert "platform-state" not in console.get(f"/console/campaigns/{campaign['id']}").text  # not asked yet
    poll_due(app, utcnow() + timedelta(minutes=1))
    assert platform_state_shown(console, campaign["id"]).startswith("publishing On the platform: in review")
    wechat.status[pub.external_id] = 4  # refused by WeChat's review
    poll_due(app, utcnow() + timedelta(minutes=5))
    shown = platform_state_shown(console, campaign["id"])
    assert shown.startswith("failed_review On the platform: refused by the platform's review")
    assert "View the post" not in shown
    zh = platform_state_shown(console, campaign["id"], headers={"Accept-Language": "zh-CN"})
    assert "平台上：未通过平台审核" in zh


def test_a_published_articles_link_is_on_the_campaign_page(app, local_targets, owner, console, wechat):  # noqa: F811
    connect(owner, wechat)
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    pub = pub_of(app, "wechat_official")
    poll_due(app, utcnow() + timedelta(minutes=1))
    page = console.get(f"/console/campaigns/{campaign['id']}").text
    assert platform_state_shown(console, campaign["id"]).startswith("published On the platform: published")
    assert f'href="http://mp.weixin.qq.com/s/{pub.external_id}" rel="noopener noreferrer"' in page


def test_the_wait_between_questions_doubles_while_the_review_lasts(app, local_targets, owner, wechat):  # noqa: F811
    connect(owner, wechat)
    wechat.review = 1
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    now = utcnow()
    waits = []
    for _ in range(4):
        assert poll_due(app, now) == {"publishing": 1}
        row = state_row(app)
        waits.append((row.next_check_at - now).total_seconds())
        now = row.next_check_at
    assert waits == [30.0, 60.0, 120.0, 240.0]


def test_a_refused_article_ends_with_the_refusal_shown(app, local_targets, owner, wechat):  # noqa: F811
    connect(owner, wechat)
    wechat.review = 4  # refused by the platform's review
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    assert poll_due(app) == {"failed_review": 1}
    row = state_row(app)
    assert (row.state, row.url, row.next_check_at) == ("failed_review", None, None)
    shown = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"][0]["platform_state"]
    assert shown["state"] == "failed_review"


def test_a_failing_poll_backs_off_and_keeps_asking(app, local_targets, owner, wechat):  # noqa: F811
    connect(owner, wechat)
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    wechat.quota = 0  # 45011: the per-minute quota
    now = utcnow()
    assert poll_due(app, now) == {"failed": 1}
    row = state_row(app)
    assert row.state == "unknown" and "rate limit" in row.error and "45011" in row.error
    assert (row.next_check_at - now).total_seconds() >= 60  # WeChat's quota returns in a minute
    wechat.quota = 10_000
    assert poll_due(app, row.next_check_at) == {"published": 1}
    assert state_row(app).error is None


def test_a_submit_whose_answer_was_lost_is_found_by_lookup_not_published_twice(
        app, local_targets, owner, wechat):  # noqa: F811
    connect(owner, wechat)
    wechat.lose_answers.add("/cgi-bin/freepublish/submit")
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    pub = pub_of(app, "wechat_official")
    assert pub.status == "scheduled" and pub.attempts == 1 and len(wechat.published) == 1  # it went out
    with database.new_session(app) as s:  # the retry is due now
        s.execute(update(Publication).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    with app.app_context():
        assert _publish(app, pub.id) == "published"
    after = pub_of(app, "wechat_official")
    [publish_id] = wechat.published
    assert len(wechat.published) == 1 and after.attempts == 2
    assert after.external_id == f"article:ARTICLE_{publish_id}"
    assert "/cgi-bin/freepublish/batchget" in wechat.paths()
    # The found article's state is asked by its article id.
    assert poll_due(app) == {"published": 1}
    assert state_row(app).url == f"http://mp.weixin.qq.com/s/{publish_id}"
    assert wechat.paths()[-1] == "/cgi-bin/freepublish/getarticle"


def test_a_lost_answer_before_submit_publishes_once_on_retry(app, local_targets, owner, wechat):  # noqa: F811
    """The draft was made but its answer lost: nothing was published, so the lookup finds nothing
    and the retry publishes, once."""
    connect(owner, wechat)
    wechat.lose_answers.add("/cgi-bin/draft/add")
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    pub = pub_of(app, "wechat_official")
    assert pub.status == "scheduled" and wechat.published == {}
    with database.new_session(app) as s:
        s.execute(update(Publication).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    with app.app_context():
        assert _publish(app, pub.id) == "published"
        assert _publish(app, pub.id) == "skipped"
    assert list(wechat.published) == [pub_of(app, "wechat_official").external_id]
