"""The click writer's roll-ups (hourly per channel, per link, per post version) against a brute-force
count of the clicks it stored, replays and alike clicks included."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plumbing import database
from referrals.clickwriter import write_clicks
from referrals.models import Click, ClickCreativeHour, ClickRollup, LinkClickTotal
from referrals.redirect import new_click_id

START = datetime(2026, 6, 1, tzinfo=timezone.utc)
# Few values each, so many clicks of a batch are alike (the writer counts those as a group).
CLICK = st.tuples(st.integers(1, 3), st.sampled_from(["weibo", "x", ""]), st.integers(0, 2),
                  st.integers(0, 5 * 60 * 1000 * 60), st.booleans(), st.sampled_from(["", "1", "2", "x"]),
                  st.sampled_from(["ua-a", "ua-b"]))


def entries(clicks, campaign_id: int) -> list[dict]:
    """Stream entries as the redirect writes them (ids time-ordered); link 3's clicks carry another campaign's
    id."""
    return [{"id": new_click_id(START.timestamp() + ms / 1000), "ws": "1", "link": str(link), "campaign": str(campaign_id if link < 3 else 999),
             "sharer": str(link), "channel": channel, "ts": str(int(START.timestamp() * 1000) + ms),
             "visitor": f"v{visitor}", "ua": agent, "ref": "", "bot": "1" if bot else "0", "creative": tag}
            for link, channel, visitor, ms, bot, tag, agent in clicks]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CLICK, max_size=25), max_size=4))
def test_the_roll_ups_equal_a_brute_force_count_of_the_clicks(app, campaign, batches):
    with database.new_session(app) as s:
        for batch in (entries(b, campaign["id"]) for b in batches):
            write_clicks(s, batch)
            write_clicks(s, batch[: len(batch) // 2])  # a replayed part of a batch counts nothing twice
        s.flush()
        clicks = [c for c in s.scalars(select(Click)) if not c.bot]
        hour = lambda c: int(c.clicked_at.timestamp()) // 3600  # noqa: E731
        # One unique click per (link, visitor, hour): the first written (a batch's earliest).
        assert Counter((c.link_id, c.visitor, hour(c)) for c in clicks if c.is_unique) == Counter(
            {(c.link_id, c.visitor, hour(c)): 1 for c in clicks})
        if len(batches) == 1:
            firsts = {}
            for c in sorted(clicks, key=lambda c: c.clicked_at):
                firsts.setdefault((c.link_id, c.visitor, hour(c)), c.clicked_at)
            assert all(c.clicked_at == firsts[(c.link_id, c.visitor, hour(c))] for c in clicks if c.is_unique)

        def counted(key) -> dict:
            total, unique = Counter(), Counter()
            for c in clicks:
                total[key(c)] += 1
                unique[key(c)] += c.is_unique
            return {k: (n, unique[k]) for k, n in total.items()}

        assert {(r.campaign_id, r.channel, r.hour): (r.clicks, r.unique_clicks)
                for r in s.scalars(select(ClickRollup))} == counted(lambda c: (c.campaign_id, c.channel, hour(c)))
        assert {(r.campaign_id, r.hour, r.channel, r.content_version): (r.clicks, r.unique_clicks)
                for r in s.scalars(select(ClickCreativeHour))} == counted(
            lambda c: (c.campaign_id, hour(c), c.channel, c.content_version or 0))
        # A post version counts only when its campaign has it: the other campaign's tags are dropped.
        assert all(c.content_version in (None, 1) for c in clicks)
        assert {c.content_version for c in clicks if c.campaign_id == 999} <= {None}
        totals = {r.link_id: r for r in s.scalars(select(LinkClickTotal))}
        assert {k: (r.clicks, r.unique_clicks) for k, r in totals.items()} == counted(lambda c: c.link_id)
        for link_id, r in totals.items():
            times = [c.clicked_at for c in clicks if c.link_id == link_id]
            assert (r.first_click_at, r.last_click_at) == (min(times), max(times))
        s.rollback()


def test_a_click_given_without_or_with_an_empty_creative_tag_and_address_is_written(app, campaign):
    with database.new_session(app) as s:
        given = entries([(1, "weibo", 0, 0, False, "", "ua-a"), (2, "weibo", 0, 0, False, "", "ua-a")], campaign["id"])
        del given[0]["creative"]
        given[1]["creative"] = given[1]["ip"] = None
        assert write_clicks(s, given).written == 2
        s.rollback()
