"""Many orders from one network: the buyer's IP prefix (/24, /48), kept only as a keyed hash, holds
the sale past the brand's threshold within its window; a malformed IP is refused, nothing stored."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from test_console_imports import upload
from test_conversions import sale
from test_imports import post_csv
from test_integrations import _test_start, conversions, shopify, shopify_order, world  # noqa: F401 (fixtures)
from test_integrations_more import signed, woo, woo_order  # noqa: F401 (fixtures)
from test_withdrawals import put

from plumbing import database
from referrals.models import Conversion, SalesImport
from referrals.visitors import ip_prefix, ip_prefix_hash

_networks = itertools.count(1)  # a fresh /24 per property example: examples never meet


def statuses(res) -> list[str]:
    return [c["status"] for c in res.json["commissions"]]


def rules_of(res) -> list[str]:
    return [f["rule"] for f in res.json.get("review", {}).get("flags", [])]


def buyer(order: str, ip: str | None) -> dict:
    customer = {"external_id": f"cust-{order}", "email": f"{order}@buyer.example"}
    return {**customer, "ip": ip} if ip is not None else customer


def ago(minutes: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()


def test_prefixes_are_the_24_of_ipv4_and_the_48_of_ipv6():
    assert ip_prefix("203.0.113.7") == ip_prefix("203.0.113.250") == "203.0.113.0/24"
    assert ip_prefix(" ::ffff:203.0.113.9 ") == "203.0.113.0/24"  # IPv4 written as IPv6
    assert ip_prefix("2001:db8:1:2::5") == ip_prefix("2001:db8:1:ffff::1") == "2001:db8:1::/48"
    assert ip_prefix("2001:db8:2::1") != ip_prefix("2001:db8:1::1")
    assert ip_prefix_hash("k", "203.0.113.7") == ip_prefix_hash("k", "203.0.113.8")
    assert ip_prefix_hash("k", "203.0.113.7") != ip_prefix_hash("other key", "203.0.113.7")
    assert ip_prefix_hash("k", "203.0.113.7") != ip_prefix_hash("k", "203.0.114.7")


def test_the_sixth_order_from_one_network_within_the_hour_is_held(app, owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer("小林")["id"])
    results = [sale(owner, f"N-{i}", code=link["code"], customer=buyer(f"N-{i}", f"198.51.100.{10 + i}"),
                    occurred_at=ago(50 - i)) for i in range(6)]
    assert [statuses(r) for r in results] == [["pending"]] * 5 + [["held"]]
    assert rules_of(results[5]) == ["ip_prefix_orders"]
    assert "6 orders from one network" in results[5].json["review"]["flags"][0]["detail"]
    # Another network, or no IP at all, is not counted with them.
    assert statuses(sale(owner, "N-other", code=link["code"], customer=buyer("N-other", "198.51.101.1"))) == ["pending"]
    assert statuses(sale(owner, "N-none", code=link["code"], customer=buyer("N-none", None))) == ["pending"]


def test_the_ip_is_never_stored_only_its_prefix_hash(app, owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer("小林")["id"])
    when = ago(5)
    first = sale(owner, "P-1", code=link["code"], customer=buyer("P-1", "2001:db8:77:1::9"), occurred_at=when)
    assert first.status_code == 201
    replay = sale(owner, "P-1", code=link["code"], customer=buyer("P-1", "2001:db8:77:1::9"), occurred_at=when)
    assert replay.status_code == 200 and replay.json == first.json
    other = sale(owner, "P-1", code=link["code"], customer=buyer("P-1", "2001:db8:77:1::8"), occurred_at=when)
    assert other.status_code == 409  # another address is another request
    with database.new_session(app) as s:
        row = s.scalar(select(Conversion).where(Conversion.order_id == "P-1"))
        assert row.ip_prefix == ip_prefix_hash(app.config["SECRET_KEY"], "2001:db8:77::1")
        kept = f"{row.ip_prefix} {row.request_hash} {row.response}"
    assert "2001:db8" not in kept and "2001:DB8" not in kept


def test_a_malformed_ip_is_refused_and_nothing_is_stored(app, owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer("小林")["id"])
    for bad in ("203.0.113", "203.0.113.256", "example.com", "1.2.3.4/24", "::g", "", 12, "1.2.3.4 5.6.7.8"):
        res = sale(owner, "M-1", code=link["code"], customer=buyer("M-1", bad))
        assert res.status_code == 422, bad
        assert "customer.ip" in res.json["error"]["fields"], res.json
    with database.new_session(app) as s:
        assert s.scalar(select(func.count(Conversion.id))) == 0


def test_the_brand_sets_the_threshold_or_turns_the_rule_off(owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer("小林")["id"])
    res = put(owner, "/api/v1/risk/settings", {"rules": {"ip_prefix_orders": {"max": 1, "minutes": 10}}})
    assert res.status_code == 200 and res.json["rules"]["ip_prefix_orders"] == {"max": 1, "minutes": 10}
    first = sale(owner, "T-1", code=link["code"], customer=buyer("T-1", "192.0.2.1"), occurred_at=ago(30))
    second = sale(owner, "T-2", code=link["code"], customer=buyer("T-2", "192.0.2.2"), occurred_at=ago(15))
    third = sale(owner, "T-3", code=link["code"], customer=buyer("T-3", "192.0.2.3"), occurred_at=ago(9))
    # 15 minutes apart: outside a ten-minute window; six minutes apart: inside it.
    assert [statuses(r) for r in (first, second, third)] == [["pending"], ["pending"], ["held"]]
    for body in ({"ip_prefix_orders": {"max": 0}}, {"ip_prefix_orders": {"seconds": 5}},
                 {"ip_prefix_orders": {"minutes": 7 * 24 * 60 + 1}}):
        assert put(owner, "/api/v1/risk/settings", {"rules": body}).status_code == 422, body
    assert put(owner, "/api/v1/risk/settings", {"rules": {"ip_prefix_orders": None}}).json["rules"][
        "ip_prefix_orders"] is None
    assert statuses(sale(owner, "T-4", code=link["code"], customer=buyer("T-4", "192.0.2.4"))) == ["pending"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 240), min_size=1, max_size=8), st.integers(1, 3), st.integers(5, 90),
       st.randoms(use_true_random=False))
def test_a_sale_is_held_exactly_when_more_than_max_orders_from_its_network_fall_in_its_window(
        owner, campaign, make_sharer, make_link, offsets, most, minutes, shuffle):
    """Sales from one network at random minutes (reported in any order): each is held exactly when more
    than ``max`` of those recorded so far, it included, occurred in the ``minutes`` up to it."""
    network = next(_networks)
    link = make_link(campaign["id"], make_sharer(f"卖家{network}")["id"])
    put(owner, "/api/v1/risk/settings", {"rules": {"ip_prefix_orders": {"max": most, "minutes": minutes}}})
    base = datetime.now(timezone.utc) - timedelta(hours=6)
    arrivals = list(enumerate(offsets))
    shuffle.shuffle(arrivals)
    recorded = []
    for i, offset in arrivals:
        order = f"W{network}-{i}"
        res = sale(owner, order, code=link["code"],
                   customer=buyer(order, f"10.{network // 250}.{network % 250}.{i + 1}"),
                   occurred_at=(base + timedelta(minutes=offset)).isoformat())
        assert res.status_code == 201, res.json
        recorded.append(offset)
        in_window = sum(1 for t in recorded if offset - minutes <= t <= offset)
        assert (statuses(res) == ["held"]) == (in_window > most), (offsets, arrivals, most, minutes)
        assert ("ip_prefix_orders" in rules_of(res)) == (in_window > most)


# --- the integrations pass the buyer's IP where the platform reports it --------------------------


def test_shopify_passes_the_browser_ip_and_a_garbled_one_costs_nothing_but_the_rule(app, world, shopify):  # noqa: F811
    secret = app.config["SECRET_KEY"]
    res = shopify.send("orders/paid", shopify_order(order_id=1001, click_id=world["click_id"],
                                                    browser_ip="203.0.113.7"))
    assert res.status_code == 200, res.text
    res = shopify.send("orders/paid", shopify_order(order_id=1002, client_details={"browser_ip": "2001:db8:5::1"}))
    assert res.status_code == 200, res.text
    res = shopify.send("orders/paid", shopify_order(order_id=1003, browser_ip="not an address"))
    assert res.status_code == 200, res.text  # the order still counts
    assert [(c.order_id, c.ip_prefix) for c in conversions(app)] == [
        ("1001", ip_prefix_hash(secret, "203.0.113.1")), ("1002", ip_prefix_hash(secret, "2001:db8:5::9")),
        ("1003", None)]


def test_woocommerce_passes_the_customer_ip_address(app, world, woo):  # noqa: F811
    assert woo.send("order.updated", woo_order(world["click_id"], customer_ip_address="198.51.100.4")).status_code == 200
    [sale] = conversions(app)
    assert sale.ip_prefix == ip_prefix_hash(app.config["SECRET_KEY"], "198.51.100.200")


def test_the_signed_order_webhook_takes_the_ip_by_the_apis_rules(app, world, signed):  # noqa: F811
    order = {"type": "order.paid", "data": {"order_id": "W-1", "amount": "199.00", "click_id": world["click_id"],
                                            "customer": {"external_id": "c-9", "ip": "203.0.113.300"}}}
    res = signed.send(order)
    assert res.status_code == 422 and "ip" in res.json()["error"] and conversions(app) == []
    order["data"]["customer"]["ip"] = "203.0.113.30"
    assert signed.send(order).status_code == 204
    [sale] = conversions(app)
    assert sale.ip_prefix == ip_prefix_hash(app.config["SECRET_KEY"], "203.0.113.31")


def test_imported_rows_carry_the_ip_by_the_apis_rules(app, owner, campaign, make_sharer, make_link):
    code = make_link(campaign["id"], make_sharer("小林")["id"])["code"]
    text = ("type,order_id,amount,code,customer_external_id,customer_ip\n"
            f"sale,I-1,199.00,{code},c-1,203.0.113.9\n"
            f"sale,I-2,199.00,{code},c-2,203.0.113.999\n")
    res = post_csv(owner, text)
    assert res.status_code == 200, res.json
    assert [r["status"] for r in res.json["results"]] == ["created", "failed"]
    assert res.json["results"][1]["error"]["fields"] == {"customer.ip": "not an IPv4 or IPv6 address"}
    with database.new_session(app) as s:
        rows = list(s.scalars(select(Conversion)))
    assert [(c.order_id, c.ip_prefix) for c in rows] == [("I-1", ip_prefix_hash(app.config["SECRET_KEY"], "203.0.113.1"))]


def test_a_console_import_keeps_no_file_with_ips_in_it(app, console):
    res = upload(console, b"type,order_id,amount,customer_external_id,customer_ip\nsale,K-1,1.00,c,203.0.113.9\n",
                 dry_run=False)
    assert res.status_code == 422 and "unknown customer_ip" in res.text
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(SalesImport)) == 0
