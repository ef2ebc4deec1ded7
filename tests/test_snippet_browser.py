"""The landing-page snippet, on a brand's page served from another origin, in Chromium."""
from __future__ import annotations

import gzip
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from servers import serve_in_background

from referrals.snippet import script_tag, snippet

CLICK = "0123456789abcdef01234"


def test_snippet_is_small_cached_and_served_for_sri(client):
    res = client.get("/sc.js")
    assert res.status_code == 200 and res.mimetype == "text/javascript"
    assert len(gzip.compress(res.data)) < 2048
    assert "max-age=604800" in res.headers["Cache-Control"]
    assert res.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/sc.js", headers={"If-None-Match": res.headers["ETag"]}).status_code == 304
    assert snippet()[1].startswith("sha384-") and f'integrity="{snippet()[1]}"' in script_tag("https://x.test")


def _brand_site(tag: str):
    """A brand's shop on its own origin: a landing page and a checkout page, both with the snippet."""
    pages = {
        "/p/tea": f"<!doctype html><html lang=en><title>Tea</title><h1>Tea</h1>{tag}",
        "/checkout": f"<!doctype html><html lang=en><title>Pay</title>{tag}"
                     "<form id=buy data-sharecast action=/paid><button>Pay</button></form>"
                     "<form id=other action=/x><button>Other</button></form>",
    }

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = pages.get(self.path.split("?")[0], "not here").encode()
            self.send_response(200 if self.path.split("?")[0] in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    serve_in_background(server)
    return server


@pytest.mark.browser
def test_snippet_keeps_the_click_from_landing_to_checkout_across_origins(page_server, browser_context):
    tag = script_tag(page_server, days=14).replace(" async", "")
    shop = _brand_site(tag)
    try:
        # The shop is "localhost", Sharecast "127.0.0.1": two sites, so nothing here is same-origin.
        base = f"http://localhost:{shop.server_port}"
        page = browser_context()
        page.goto(f"{base}/p/tea?utm_source=x&sc_click={CLICK}&color=green#reviews")
        page.wait_for_function("window.Sharecast !== undefined")
        assert page.evaluate("Sharecast.clickId()") == CLICK
        assert page.url == f"{base}/p/tea?utm_source=x&color=green#reviews"  # gone from the address bar
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["sc_click"]["domain"] == "localhost" and cookies["sc_click"]["value"] == CLICK
        assert 13 * 86400 < cookies["sc_click"]["expires"] - page.evaluate("Date.now() / 1000") <= 14 * 86400
        assert not [c for c in page.context.cookies() if c["domain"] == "127.0.0.1"]  # no third-party cookie

        page.goto(f"{base}/checkout")
        page.wait_for_function("window.Sharecast !== undefined")
        assert page.evaluate("Sharecast.clickId()") == CLICK
        assert page.eval_on_selector("#buy input[name=sc_click]", "e => e.value") == CLICK
        assert page.query_selector("#other input[name=sc_click]") is None

        # A forged or malformed id is never kept, and never replaces the real one.
        page.goto(f"{base}/p/tea?sc_click=%3Cscript%3E")
        page.wait_for_function("window.Sharecast !== undefined")
        assert page.evaluate("Sharecast.clickId()") == CLICK and "sc_click" not in page.url
    finally:
        shop.shutdown()


@pytest.mark.browser
def test_snippet_with_a_wrong_integrity_hash_does_not_run(page_server, browser_context):
    tag = script_tag(page_server).replace(snippet()[1], "sha384-" + "A" * 64).replace(" async", "")
    shop = _brand_site(tag)
    try:
        page = browser_context()
        page.goto(f"http://localhost:{shop.server_port}/p/tea?sc_click={CLICK}")
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.Sharecast") == "undefined"
    finally:
        shop.shutdown()
