"""Master content edits, versioned renders and the rendered posts of every channel."""
from __future__ import annotations

import io

import pytest
import zxingcpp
from conftest import CAMPAIGN, PUBLIC_URL, path_of, run_cli
from PIL import Image
from sqlalchemy import func, select
from test_images import photo_bytes, upload

from catalog.models import Campaign
from channels import REGISTRY
from plumbing import database, redis_client
from publishing.models import ContentVersion, Render
from publishing.renders import Renderer
from referrals.linkcache import GENERATION_KEY

ALL_CHANNELS = list(REGISTRY)
ENGLISH = {
    "name": "Dragon Well", "title": "First-flush Dragon Well green tea, hand-picked before Qingming 🍵",
    "body": "Chestnut aroma, a sweet finish, and leaves pan-fired by hand. Order today at https://shop.example.com/tea.",
    "hashtags": ["tea", "greentea"], "price": "19.90", "original_price": "29.00", "currency": "USD",
    "landing_url": "https://shop.example.com/p/dragon-well", "commission": {"type": "percent", "value": "10"},
    "brand_name": "West Lake Tea Co.", "brand_color": "#1565C0", "call_to_action": "Order now", "language": "en",
}
CHINESE = {**CAMPAIGN, "brand_name": "西湖茶社", "brand_color": "#2E7D32", "call_to_action": "立即购买",
           "language": "zh-CN"}


def make_campaign(owner, body: dict, channels=ALL_CHANNELS, photo=True) -> dict:
    res = owner.post("/api/v1/campaigns", {**body, "channels": channels})
    assert res.status_code == 201, res.json
    if photo:
        assert upload(owner, res.json["id"], photo_bytes(1200, 900)).status_code == 201
    return res.json


def posts(owner, campaign_id: int, query: str = "", key=None) -> dict:
    res = owner.get(f"/api/v1/campaigns/{campaign_id}/posts{query}", key=key)
    assert res.status_code == 200, res.json
    return res.json


def fetch(client, image: dict) -> Image.Image:
    res = client.get(path_of(image["url"]))
    assert res.status_code == 200
    return Image.open(io.BytesIO(res.data))


def qr_texts(image: Image.Image) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image.convert("L"))]


def render_count(app) -> int:
    with database.read_session(app) as s:
        return s.scalar(select(func.count()).select_from(Render))


# ---------------------------------------------------------------- channels


def test_channel_list_is_public_and_lists_every_spec(client):
    res = client.get("/api/v1/channels")
    assert res.status_code == 200
    by_id = {c["id"]: c for c in res.json["items"]}
    assert set(by_id) == set(REGISTRY)
    assert by_id["x"]["weighted_length"] == "x" and by_id["weibo"]["hashtag_style"] == "weibo"
    assert {"role": "poster", "width": 1080, "height": 1440} in by_id["wechat_moments"]["image_sizes"]
    assert by_id["xiaohongshu"]["first_image_no_qr"] is True


# ---------------------------------------------------------------- editing content


def test_editing_content_makes_a_new_version_and_keeps_the_price_exact(owner, campaign):
    assert campaign["content_version"] == 1
    res = owner.client.patch(f"/api/v1/campaigns/{campaign['id']}", headers=owner._headers(None), json={
        "brand_name": "西湖茶社", "brand_color": "#2e7d32", "call_to_action": "立即购买", "price": "0.10",
        "original_price": None, "language": "zh-CN"})
    assert res.status_code == 200, res.json
    body = res.json
    assert body["content_version"] == 2 and body["price"] == "0.10" and body["original_price"] is None
    assert (body["brand_name"], body["brand_color"], body["call_to_action"]) == ("西湖茶社", "#2E7D32", "立即购买")
    same = owner.client.patch(f"/api/v1/campaigns/{campaign['id']}", headers=owner._headers(None),
                              json={"brand_name": "西湖茶社"})
    assert same.status_code == 200 and same.json["content_version"] == 2  # nothing changed, no new version


@pytest.mark.parametrize("change,field", [
    ({"brand_color": "green"}, "brand_color"),
    ({"brand_color": "#12345"}, "brand_color"),
    ({"price": 19.9}, "price"),
    ({"price": "19.999"}, "price"),
    ({"original_price": "100.00"}, "original_price"),
    ({"landing_url": "javascript:alert(1)"}, "landing_url"),
    ({"channels": ["myspace"]}, "channels"),
    ({"language": "Chinese please"}, "language"),
    ({"logo_image_id": 999}, "logo_image_id"),
    ({"title": ""}, "title"),
])
def test_a_bad_edit_is_a_422_and_changes_nothing(owner, campaign, change, field):
    path = f"/api/v1/campaigns/{campaign['id']}"
    res = owner.client.patch(path, headers=owner._headers(None), json={"name": "Renamed", **change})
    assert res.status_code == 422, res.json
    assert field in res.json["error"]["fields"]
    after = owner.get(path).json
    assert after["name"] == campaign["name"] and after["content_version"] == campaign["content_version"]
    assert after["price"] == "199.00"


def test_only_owners_and_marketers_edit_and_other_workspaces_get_404(owner, campaign, make_sharer, app):
    path = f"/api/v1/campaigns/{campaign['id']}"
    seller = make_sharer()["api_key"]
    assert owner.client.patch(path, headers=owner._headers(seller), json={"title": "x"}).status_code == 403
    stranger = run_cli(app, "workspace", "create", "--name", "Other")["api_key"]
    assert owner.client.patch(path, headers=owner._headers(stranger), json={"title": "x"}).status_code == 404


def test_changing_the_landing_url_tells_every_redirect_cache(owner, campaign, app):
    redis = redis_client.connection(app)
    before = int(redis.get(GENERATION_KEY) or 0)
    path = f"/api/v1/campaigns/{campaign['id']}"
    owner.client.patch(path, headers=owner._headers(None), json={"title": "新标题"})
    assert int(redis.get(GENERATION_KEY) or 0) == before  # a text edit leaves redirects alone
    res = owner.client.patch(path, headers=owner._headers(None), json={"landing_url": "https://shop.example.com/new"})
    assert res.status_code == 200 and res.json["landing_url"] == "https://shop.example.com/new"
    assert int(redis.get(GENERATION_KEY)) == before + 1


# ---------------------------------------------------------------- posts


@pytest.mark.parametrize("content", [CHINESE, ENGLISH], ids=["zh", "en"])
def test_every_channel_gets_a_post_with_images_at_its_exact_sizes(owner, client, content):
    campaign = make_campaign(owner, content)
    body = posts(owner, campaign["id"])
    assert body["content_version"] == body["latest_version"] == 2  # created, then a photo
    items = {item["channel"]: item for item in body["items"]}
    assert list(items) == ALL_CHANNELS
    price = "¥199.00" if content is CHINESE else "$19.90"
    for channel, item in items.items():
        spec = REGISTRY[channel].spec
        assert price in item["text"], channel
        assert spec.measure(item["text"]) <= (spec.text_limit or 10**9), channel
        if spec.link_policy == "qr_only":
            assert "http" not in item["text"], channel
            assert any(image["qr"] for image in item["images"]), channel
        fixed = [s for s in spec.image_sizes if s.height]
        for size in fixed:
            assert any((i["width"], i["height"]) == (size.width, size.height) for i in item["images"]), channel
        for image in item["images"]:
            assert fetch(client, image).size == (image["width"], image["height"])
        assert all(set(w) == {"code", "message"} for w in item["warnings"])
    assert items["weibo"]["hashtags"] == (["#春茶#", "#龙井#"] if content is CHINESE else ["#tea#", "#greentea#"])
    assert items["xiaohongshu"]["title"] and len(items["xiaohongshu"]["title"]) <= 20
    assert items["webhook"]["images"] == []
    email = items["email"]["images"][0]
    assert email["width"] == 1200 and email["height"] == 900  # the photo's own 4:3


def test_posts_warn_about_a_small_photo_and_a_missing_one(owner):
    campaign = make_campaign(owner, CHINESE, ["weibo"], photo=False)
    codes = [w["code"] for w in posts(owner, campaign["id"])["items"][0]["warnings"]]
    assert "no_photo" in codes
    upload(owner, campaign["id"], photo_bytes(300, 200))
    warnings = posts(owner, campaign["id"])["items"][0]["warnings"]
    upscaled = [w for w in warnings if w["code"] == "image_upscaled"]
    assert upscaled and "1080x1080" in upscaled[0]["message"]


def test_a_sharers_posts_carry_their_link_code_and_a_poster_that_scans_to_it(owner, client, make_sharer):
    campaign = make_campaign(owner, CHINESE, ["wechat_moments", "weibo", "xiaohongshu", "x"])
    sharer = make_sharer("小林")
    body = posts(owner, campaign["id"], f"?sharer_id={sharer['id']}")
    assert body["sharer_id"] == sharer["id"]
    for item in body["items"]:
        link = item["link"]
        assert link.startswith(f"{PUBLIC_URL}/r/"), item["channel"]
        assert item["code"] == sharer["code"]
        if REGISTRY[item["channel"]].spec.link_policy == "qr_only":
            assert sharer["code"] in item["text"] and "http" not in item["text"]
        else:
            assert link in item["text"]
        posters = [image for image in item["images"] if image["kind"] == "poster"]
        assert len(posters) == 1, item["channel"]
        assert qr_texts(fetch(client, posters[0])) == [link], item["channel"]
        redirect = client.get(path_of(link))
        assert redirect.status_code == 302 and redirect.headers["Location"].startswith(CAMPAIGN["landing_url"][:30])
    links = {item["channel"]: item["link"] for item in body["items"]}
    assert len(set(links.values())) == len(links)  # one tracked link per channel
    again = posts(owner, campaign["id"], f"?sharer_id={sharer['id']}")
    assert {i["channel"]: i["link"] for i in again["items"]} == links


def test_xiaohongshu_shows_the_plain_card_first_and_the_qr_poster_after(owner, client, make_sharer):
    campaign = make_campaign(owner, CHINESE, ["xiaohongshu"])
    sharer = make_sharer()
    for query in ("", f"?sharer_id={sharer['id']}"):
        images = posts(owner, campaign["id"], query)["items"][0]["images"]
        assert [i["kind"] for i in images] == ["card", "poster"]
        assert qr_texts(fetch(client, images[0])) == []
        assert len(qr_texts(fetch(client, images[1]))) == 1


def test_a_post_without_a_sharer_points_its_qr_at_the_landing_page(owner, client):
    campaign = make_campaign(owner, CHINESE, ["wechat_moments"])
    poster = posts(owner, campaign["id"])["items"][0]["images"][1]
    assert poster["kind"] == "poster" and qr_texts(fetch(client, poster)) == [CAMPAIGN["landing_url"]]


def test_the_second_request_draws_nothing(owner, app, make_sharer, monkeypatch):
    campaign = make_campaign(owner, CHINESE)
    sharer = make_sharer()
    query = f"?sharer_id={sharer['id']}"
    first = posts(owner, campaign["id"], query)
    drawn = render_count(app)
    for method in ("_poster", "_card", "_carousel_photo"):
        monkeypatch.setattr(Renderer, method, lambda *args: pytest.fail("drawn again"))
    second = posts(owner, campaign["id"], query)
    assert second == first and render_count(app) == drawn


def test_the_same_content_renders_to_the_same_files(owner):
    one = make_campaign(owner, CHINESE, ["weibo", "x"])
    two = make_campaign(owner, {**CHINESE, "name": "a twin"}, ["weibo", "x"])
    urls = [[i["url"] for item in posts(owner, c["id"])["items"] for i in item["images"]] for c in (one, two)]
    assert urls[0] == urls[1]


def test_an_edit_renders_a_new_version_and_a_grabbed_one_is_still_served(owner, client, make_sharer):
    campaign = make_campaign(owner, CHINESE, ["wechat_moments", "weibo"])
    sharer = make_sharer()
    query = f"?sharer_id={sharer['id']}"
    grabbed = posts(owner, campaign["id"], query)
    res = owner.client.patch(f"/api/v1/campaigns/{campaign['id']}", headers=owner._headers(None),
                             json={"title": "明前龙井 · 第二批到货", "price": "189.00"})
    assert res.status_code == 200 and res.json["content_version"] == grabbed["content_version"] + 1
    fresh = posts(owner, campaign["id"], query)
    assert fresh["content_version"] == grabbed["content_version"] + 1
    assert "¥189.00" in fresh["items"][0]["text"] and "第二批" in fresh["items"][1]["text"]
    old_urls = [i["url"] for item in grabbed["items"] for i in item["images"]]
    assert not set(old_urls) & {i["url"] for item in fresh["items"] for i in item["images"]}
    again = posts(owner, campaign["id"], f"{query}&version={grabbed['content_version']}")
    assert again["content_version"] == grabbed["content_version"] and again["latest_version"] == fresh["content_version"]
    assert again["items"] == grabbed["items"]
    for url in old_urls:
        assert client.get(path_of(url)).status_code == 200
    missing = owner.get(f"/api/v1/campaigns/{campaign['id']}/posts?version=99")
    assert missing.status_code == 404


def test_a_seller_reads_their_own_posts_only(owner, make_sharer):
    campaign = make_campaign(owner, CHINESE, ["wechat_moments"], photo=False)
    me, other = make_sharer("小林"), make_sharer("小王")
    mine = posts(owner, campaign["id"], key=me["api_key"])
    assert mine["sharer_id"] == me["id"] and mine["items"][0]["code"] == me["code"]
    assert posts(owner, campaign["id"], f"?sharer_id={me['id']}", key=me["api_key"])["sharer_id"] == me["id"]
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/posts?sharer_id={other['id']}", key=me["api_key"])
    assert res.status_code == 403 and res.json["error"]["code"] == "forbidden"


def test_posts_of_another_workspace_are_404(owner, app, make_sharer):
    campaign = make_campaign(owner, CHINESE, ["weibo"], photo=False)
    sharer = make_sharer()
    stranger = run_cli(app, "workspace", "create", "--name", "Other")["api_key"]
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}/posts", key=stranger).status_code == 404
    other_campaign = make_campaign(type(owner)(owner.client, stranger), CHINESE, ["weibo"], photo=False)
    res = owner.get(f"/api/v1/campaigns/{other_campaign['id']}/posts?sharer_id={sharer['id']}", key=stranger)
    assert res.status_code == 404  # their campaign, our sharer


def test_asking_for_a_channel_filters_and_an_unused_channel_is_a_422(owner):
    campaign = make_campaign(owner, CHINESE, ["weibo", "x"], photo=False)
    assert [i["channel"] for i in posts(owner, campaign["id"], "?channel=x")["items"]] == ["x"]
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/posts?channel=douyin")
    assert res.status_code == 422 and "channel" in res.json["error"]["fields"]


def test_a_campaign_from_before_versions_gets_its_first_version_on_first_read(owner, app):
    campaign = make_campaign(owner, CHINESE, ["weibo"], photo=False)
    with database.new_session(app) as s:  # as a campaign created before content versions existed
        s.execute(ContentVersion.__table__.delete())
        s.execute(Campaign.__table__.update().values(content_version=0))
        s.commit()
    body = posts(owner, campaign["id"])
    assert body["content_version"] == body["latest_version"] == 1 and "¥199.00" in body["items"][0]["text"]
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}").json["content_version"] == 1
    assert posts(owner, campaign["id"], "?version=1")["items"] == body["items"]


def test_posts_warn_where_the_channels_app_gets_in_the_way(owner, make_sharer):
    long_body = {**CHINESE, "body": "明前头采，一芽一叶。" * 30}
    campaign = make_campaign(owner, long_body, ["xiaohongshu", "douyin", "wechat_moments", "weibo"])
    sharer = make_sharer("小林")
    items = {i["channel"]: {w["code"] for w in i["warnings"]}
             for i in posts(owner, campaign["id"], f"?sharer_id={sharer['id']}")["items"]}
    assert "qr_reach_risk" in items["xiaohongshu"] and "qr_reach_risk" in items["douyin"]
    assert "qr_reach_risk" not in items["wechat_moments"]
    assert "cover_overlay" in items["douyin"] and "cover_overlay" not in items["xiaohongshu"]
    assert "text_folds" in items["wechat_moments"] and "text_folds" in items["weibo"]
    short = make_campaign(owner, {**CHINESE, "body": "明前头采。"}, ["wechat_moments"])
    [moments] = posts(owner, short["id"])["items"]
    assert "text_folds" not in {w["code"] for w in moments["warnings"]}
