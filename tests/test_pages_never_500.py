"""No page answers 500, whatever it is sent: every page route (as staff, as a seller, as nobody)
with odd ids, query strings and form bodies carrying a valid CSRF token; and every form that a
crawl of the console and the seller space finds, filled with odd values in its own fields."""
from __future__ import annotations

import random
from html.parser import HTMLParser

import pytest
from conftest import CAMPAIGN, Pages, csrf_token_of, seller_pages

from web.security import PAGE_PREFIXES

ODD_VALUES = ["", "0", "-1", "1", "2", "999999", "2147483648", "99999999999999999999", "abc", "1.5", "１２",
              "%00", "\x00", "<script>", "' OR 1=1 --", "../../etc/passwd", "😀" * 50, "x" * 5000, "null",
              "2026-02-30T25:61", "true", "[]", "{}",
              # the input classes an outside review found (see test_hostile_input.py for the API's side)
              "9" * 5000, "x" * 100_000, "\u202egnp.exe", "\ufeff\u200d", "\uffff\U0010ffff", "e" + "\u0301" * 40,
              "\u212a＠．", "\ue000", "a\x00b", "🏳️‍🌈" * 30]
# Bytes no UTF-8 decoder should let through: a surrogate encoded as UTF-8 (CESU), an overlong "/",
# a lone continuation byte, bytes never valid in UTF-8. A client can send them; a browser will not.
BAD_BYTES = [b"\xed\xa0\x80", b"\xc0\xaf", b"\x80", b"\xff\xfe", b"ok\xed\xbf\xbf"]
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


class _Forms(HTMLParser):
    """The links and forms (action, method, field names) of a page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href", "").startswith("/") and "download" not in attrs:
            self.links.append(attrs["href"].split("#")[0])
        elif tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").upper(),
                               "fields": set()})
        elif tag in ("input", "select", "textarea") and self.forms and attrs.get("name"):
            self.forms[-1]["fields"].add(attrs["name"])


def _shape(path: str) -> str:
    """A page's path and the names (not values) of its query: one month of a calendar stands for every month,
    so the bounded crawl reaches every kind of page instead of paging through one."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(path)
    return parts.path + "?" + "&".join(sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}))


def crawl(client, start: str, limit: int = 200) -> tuple[set[str], list[dict]]:
    """The same-site pages reachable from ``start`` (bounded; one page per shape) and every form on them."""
    seen, shapes, queue, forms = set(), set(), [start], []
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if (path in seen or _shape(path) in shapes or path.startswith(("/lang/", "/static/", "/media/", "/q/", "/r/"))
                or "sign-out" in path):
            continue
        seen.add(path)
        shapes.add(_shape(path))
        res = client.get(path)
        assert res.status_code < 500, (path, res.status_code)
        if res.mimetype != "text/html":
            continue
        parser = _Forms()
        parser.feed(res.get_data(as_text=True))
        queue.extend(link for link in parser.links if link not in seen)
        for form in parser.forms:
            form["page"] = path
            forms.append(form)
    return seen, forms


@pytest.fixture
def lived_in(app, owner, staff, make_sharer, make_link):
    """A workspace with one of each thing a page shows (the hostile-input scene: a seller with approved
    earnings, a click, sales, a held sale, a withdrawal, an application, teams, a grade, a product), signed in."""
    from conftest import BROWSER, drain
    from test_hostile_input import _scene

    scene = _scene(app, owner, make_sharer, make_link)
    app.test_client().get(f"/r/{scene['code']}", headers={"User-Agent": BROWSER})
    drain(app)
    owner.post("/api/v1/conversions", {"type": "sale", "order_id": "F-1", "amount": "199.00", "code": scene["code"],
                                       "customer": {"external_id": "c-1", "name": "美美"}})
    staff_client = Pages(app.test_client())
    staff_client.sign_in(staff["email"], staff["password"])
    return {"/console/": staff_client, "/seller/": seller_pages(app, scene["sharer"])}


def test_every_form_found_by_crawling_survives_odd_values_in_its_own_fields(app, lived_in):
    rng = random.Random(7)
    posted, reached = 0, set()
    for start, client in lived_in.items():
        pages, forms = crawl(client, start)
        assert len(pages) > 5
        reached |= pages
        for form in forms:
            action = form["action"] or form["page"]
            fields = sorted(form["fields"] - {"csrf_token"})
            page = client.get(form["page"]) if form["method"] == "POST" else None
            if page is not None and page.status_code == 404:
                continue  # an earlier form deleted what this page showed (a template's delete button)
            token = csrf_token_of(page.text) if page is not None else None
            for _ in range(4):
                data = {name: rng.choice(ODD_VALUES) for name in fields}
                if form["method"] == "POST":
                    if "sign-out" in action:
                        continue
                    res = client.client.post(action, data={**data, "csrf_token": token})
                else:
                    res = client.client.get(action, query_string=data)
                posted += 1
                assert res.status_code < 500, (form["page"], action, data, res.status_code, res.text[:400])
    assert posted > 200, posted
    assert reached >= {"/console/products", "/console/programme", "/console/applications", "/console/reviews",
                       "/console/withdrawals", "/console/contests", "/console/contests/1", "/console/compliance",
                       "/console/accounts", "/console/connect", "/seller/withdraw", "/seller/contests"}, reached


def test_every_form_found_by_crawling_survives_bytes_that_are_not_utf8(app, lived_in):
    from urllib.parse import urlencode

    posted = 0
    for start, client in lived_in.items():
        _, forms = crawl(client, start)
        for form in forms:
            action = form["action"] or form["page"]
            if "sign-out" in action:
                continue
            fields = sorted(form["fields"] - {"csrf_token"})
            page = client.get(form["page"]) if form["method"] == "POST" else None
            if page is not None and page.status_code == 404:
                continue  # an earlier form deleted what this page showed (a template's delete button)
            token = csrf_token_of(page.text) if page is not None else None
            for bad in BAD_BYTES:
                encoded = urlencode([(name, bad) for name in fields] + ([("csrf_token", token)] if token else []))
                if form["method"] == "POST":
                    res = client.client.post(action, data=encoded.encode(),
                                             content_type="application/x-www-form-urlencoded")
                else:
                    res = client.client.get(f"{action.split('?')[0]}?{encoded}")
                posted += 1
                assert res.status_code < 500, (form["page"], action, bad, res.status_code, res.text[:400])
    assert posted > 50, posted
