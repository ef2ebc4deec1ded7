"""No page answers 500, whatever it is sent: every page route, signed in as staff and as a seller,
with odd ids, odd query strings and odd form bodies (with a valid CSRF token)."""
from __future__ import annotations

import random

import pytest

from conftest import CAMPAIGN, Pages, csrf_token_of, seller_pages
from web import PAGE_PREFIXES

ODD_VALUES = ["", "0", "-1", "1", "2", "999999", "2147483648", "99999999999999999999", "abc", "1.5", "１２",
              "%00", "\x00", "<script>", "' OR 1=1 --", "../../etc/passwd", "😀" * 50, "x" * 5000, "null",
              "2026-02-30T25:61", "true", "[]", "{}"]
FORM_FIELDS = ["name", "title", "body", "price", "original_price", "currency", "landing_url", "channels",
               "commission_type", "commission_value", "invite_bonus_type", "invite_bonus_value", "starts_at",
               "ends_at", "publish_at", "channel", "slot", "email", "phone", "invited_by", "ids", "q", "cursor",
               "period", "granularity", "status", "hashtags", "color", "brand_name", "cta", "file", "next",
               "sharer_id", "campaign_id", "version", "kind", "publication_id", "days", "language"]


def page_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PAGE_PREFIXES) or rule.rule == "/":
            yield rule


def fill(app, rule, value: str) -> str | None:
    """The rule's path with every argument set to ``value``; None when its converters refuse it."""
    from werkzeug.routing import BuildError

    adapter = app.url_map.bind("sharecast.test")
    try:
        return adapter.build(rule.endpoint, {arg: value for arg in rule.arguments}, method=next(iter(rule.methods)))
    except (BuildError, ValueError):
        return None


@pytest.fixture
def signed_in(app, owner, staff, make_sharer, make_link):
    campaign = owner.post("/api/v1/campaigns", CAMPAIGN).json
    sharer = make_sharer("小林", email="lin@example.com")
    make_link(campaign["id"], sharer["id"], "weibo")
    staff_client = Pages(app.test_client())
    staff_client.sign_in(staff["email"], staff["password"])
    return {"staff": staff_client, "seller": seller_pages(app, sharer["id"]), "nobody": Pages(app.test_client())}


def test_no_page_answers_500_to_odd_ids_queries_or_forms(app, signed_in):
    rng = random.Random(20261124)
    tried = 0
    for who, client in signed_in.items():
        token = csrf_token_of(client.get("/console/sign-in").text)
        for rule in page_rules(app):
            values = ["1", "2", "999999", "abc", "%00", "x" * 300] if rule.arguments else [""]
            for value in values:
                path = fill(app, rule, value)
                if path is None:
                    continue
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    for _ in range(5):
                        fields = rng.sample(FORM_FIELDS, 6)
                        data = {f: rng.choice(ODD_VALUES) for f in fields}
                        query = {f: rng.choice(ODD_VALUES) for f in rng.sample(FORM_FIELDS, 3)}
                        if method == "GET":
                            res = client.client.get(path, query_string=query)
                        else:
                            res = client.client.open(path, method=method, data={**data, "csrf_token": token})
                        tried += 1
                        assert res.status_code < 500, (who, method, path, query if method == "GET" else data,
                                                       res.status_code, res.text[:500])
    assert tried > 1000, tried
