from conftest import BROWSER, drain, path_of


def test_sale_through_a_link_books_commission_and_enrolls_buyer(app, client, owner, campaign, make_sharer, make_link):
    seller = make_sharer("小林", email="lin@example.com")
    link = make_link(campaign["id"], seller["id"], "weibo")
    res = client.get(path_of(link["url"]), headers={"User-Agent": BROWSER})
    assert res.status_code == 302
    click_id = res.headers["Location"].split("sc_click=")[1].split("#")[0]
    res = owner.post("/api/v1/conversions", {
        "type": "sale", "order_id": "A-1", "amount": "199.00", "click_id": click_id,
        "customer": {"external_id": "buyer-1", "email": "buyer@example.com", "name": "王芳"}})
    assert res.status_code == 201, res.json
    body = res.json
    assert body["attributed"] and body["sharer_id"] == seller["id"]
    assert [(c["level"], c["amount"]) for c in body["commissions"]] == [(1, "19.90")]
    assert body["customer_sharer"]["share_url"].startswith("http://sharecast.test/s/")
    assert drain(app) == 0
