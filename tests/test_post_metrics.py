"""How each post on the brand's account did: fetched by the periodic sweep, shown with the publication,
asked again on schedule, backed off on failure; against the fake X."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from test_brand_accounts import connect_x, fake_x, pub_of, x_app  # noqa: F401 - fixtures
from test_publishing_e2e import api_campaign, go_live
from test_webhooks import local_targets  # noqa: F401 - a fixture

from brand_accounts.models import PostMetric
from plumbing import database
from plumbing.database import utcnow
from publishing.models import Publication
from publishing.post_metrics import fetch_due
from publishing.publish_jobs import sweep_brand_accounts


def published_x(app, owner, server) -> dict:
    connect_x(owner, server)
    campaign = api_campaign(owner, channels=["x"], images=0)
    go_live(app, owner, campaign["id"], channels=["x"])
    assert pub_of(app).status == "published"
    return campaign


def metric_row(app) -> PostMetric:
    with database.read_session(app) as s:
        return s.scalar(select(PostMetric))


def test_the_sweep_fetches_each_posts_figures_and_the_campaign_shows_them(x_app, owner, fake_x):  # noqa: F811
    campaign = published_x(x_app, owner, fake_x)
    with x_app.app_context():
        assert sweep_brand_accounts()["metrics"] == {"fetched": 1}
    shown = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"][0]["metrics"]
    assert (shown["likes"], shown["reposts"], shown["replies"], shown["views"]) == (5, 3, 1, 120)
    assert shown["fetched_at"] and shown["error"] is None
    # Not due again until the interval has passed: nothing is asked.
    calls = len(fake_x.calls)
    assert fetch_due(x_app) == {} and len(fake_x.calls) == calls
    # Later, new figures.
    [tweet] = fake_x.tweets.values()
    tweet["public_metrics"]["like_count"] = 42
    assert fetch_due(x_app, utcnow() + timedelta(hours=2)) == {"fetched": 1}
    assert metric_row(x_app).likes == 42


def test_an_expired_token_is_renewed_for_metrics_too(x_app, owner, fake_x):  # noqa: F811
    published_x(x_app, owner, fake_x)
    for token in list(fake_x.access):
        fake_x.expire(token)
    assert fetch_due(x_app) == {"fetched": 1}
    assert metric_row(x_app).views == 120


def test_a_failing_platform_backs_off_per_post(x_app, owner, fake_x):  # noqa: F811
    published_x(x_app, owner, fake_x)
    fake_x.refresh_tokens.clear()
    for token in list(fake_x.access):
        fake_x.expire(token)
    assert fetch_due(x_app) == {"failed": 1}
    row = metric_row(x_app)
    assert row.failures == 1 and "connecting again" in row.error and row.likes is None
    assert row.next_fetch_at > utcnow() + timedelta(minutes=10)
    assert fetch_due(x_app) == {}  # backing off


def test_a_deleted_post_is_noted_and_asked_again_later(x_app, owner, fake_x):  # noqa: F811
    published_x(x_app, owner, fake_x)
    fake_x.tweets.clear()
    assert fetch_due(x_app) == {"missing": 1}
    assert "no longer" in metric_row(x_app).error


def test_old_posts_are_no_longer_asked_about(x_app, owner, fake_x):  # noqa: F811
    published_x(x_app, owner, fake_x)
    with database.new_session(x_app) as s:
        s.execute(update(Publication).values(published_at=utcnow() - timedelta(days=40)))
        s.commit()
    assert fetch_due(x_app) == {}
