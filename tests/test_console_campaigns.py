"""Console campaign pages on the Flask test client: list, form, live preview, campaign page,
image upload, schedule calendar; every bad input re-shown with 422 and nothing stored;
workspaces, sessions and CSRF kept apart."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from conftest import CAMPAIGN, STAFF_PASSWORD, Pages, csrf_token_of, run_cli, seller_pages
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from catalog.models import Campaign
from plumbing import database
from publishing.images import MAX_BYTES
from publishing.models import CampaignImage, ContentVersion, Publication, TimeSlot

CST = timezone(timedelta(hours=8))  # the test workspace's zone, Asia/Shanghai

FORM = {
    "name": "Autumn Oolong", "title": "高山乌龙 · 秋茶上新", "body": "今年秋茶香气高扬，回甘明显。",
    "hashtags": "#秋茶 乌龙, 高山", "price": "168.00", "original_price": "198.00", "currency": "CNY",
    "landing_url": "https://shop.example.com/p/oolong", "call_to_action": "点这里下单",
    "channels": ["weibo", "wechat_moments", "x"], "commission_type": "percent", "commission_value": "12",
    "invite_type": "fixed", "invite_value": "5", "attribution_window_days": "14",
    "starts_at": "2027-03-01T09:00", "ends_at": "2027-04-01T00:00",
    "brand_name": "山里茶", "brand_color": "#2e7d32", "language": "zh-CN",
}


def text_of(res) -> str:
    return unescape(re.sub(r"\s+", " ", res.get_data(as_text=True)))


def rows(app, model) -> int:
    with database.read_session(app) as s:
        return s.scalar(select(func.count()).select_from(model))


def snapshot(app) -> tuple:
    """Everything a refused request must leave alone."""
    with database.read_session(app) as s:
        campaigns = [(c.id, c.name, c.title, c.price_minor, c.channels, c.content_version, c.starts_at, c.ends_at)
                     for c in s.scalars(select(Campaign).order_by(Campaign.id))]
        pubs = [(p.id, p.channel, p.status, p.publish_at)
                for p in s.scalars(select(Publication).order_by(Publication.id))]
        return campaigns, pubs, rows(app, CampaignImage), rows(app, ContentVersion), rows(app, TimeSlot)


def png(width=1200, height=1200, color=(200, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def create(console, **changes) -> int:
    res = console.post("/console/campaigns/new", {**FORM, **changes})
    assert res.status_code == 303, text_of(res)
    return int(re.search(r"/console/campaigns/(\d+)$", res.headers["Location"]).group(1))


def later(days=3, hour=10) -> datetime:
    return (datetime.now(CST) + timedelta(days=days)).replace(hour=hour, minute=30, second=0, microsecond=0)


# --- the list -------------------------------------------------------------------------------------

def test_empty_list_explains_campaigns_and_offers_to_create_one(console):
    res = console.get("/console/")
    assert res.status_code == 200
    page = text_of(res)
    assert "No campaigns yet" in page and "Create your first campaign" in page
    assert 'href="/console/campaigns/new"' in res.text


def test_list_shows_name_title_status_channels_price_dates_and_next_publication(console, owner, campaign):
    at = later()
    owner.post(f"/api/v1/campaigns/{campaign['id']}/schedule",
               {"publications": [{"channel": "weibo", "publish_at": at.isoformat()}]})
    draft = create(console, name="Draft one", channels=["x"], starts_at="", ends_at="")
    page = text_of(console.get("/console/"))
    assert "Spring Longjing" in page and "明前龙井 · 春茶首发" in page and "Draft one" in page
    assert 'badge-scheduled">Scheduled' in page and 'badge-draft">Draft' in page
    assert "WeChat Moments, Weibo, and X" in page and "CN¥199.00" in page
    assert at.strftime("%-m/%-d/%y") in page and "None scheduled" in page
    assert page.index("Draft one") < page.index("Spring Longjing")  # newest first
    assert f'href="/console/campaigns/{draft}"' in page


def test_list_pages_with_a_cursor_and_ignores_a_foreign_one(console, owner):
    for i in range(51):
        assert owner.post("/api/v1/campaigns", {**CAMPAIGN, "name": f"C{i:02d}"}).status_code == 201
    first = console.get("/console/")
    cursor = re.search(r'href="/console/\?cursor=([^"]+)"', first.text).group(1)
    second = text_of(console.get(f"/console/?cursor={cursor}"))
    assert "C00" in second and "C50" not in second
    assert console.get("/console/?cursor=not-a-cursor%00").status_code == 200


def test_list_in_chinese(console, campaign):
    page = text_of(console.get("/console/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}))
    assert "新建活动" in page and "朋友圈" in page and "草稿" in page


# --- creating and editing ---------------------------------------------------------------------------

def test_new_campaign_form_saves_every_field_and_opens_the_campaign(console, owner):
    get = console.get("/console/campaigns/new")
    assert get.status_code == 200
    assert 'value="CNY"' in get.text and 'type="datetime-local"' in get.text and 'name="channels"' in get.text
    campaign_id = create(console)
    got = owner.get(f"/api/v1/campaigns/{campaign_id}").json
    assert {k: got[k] for k in ("name", "title", "body", "hashtags", "price", "original_price", "currency",
                                 "landing_url", "channels", "commission", "invite_bonus",
                                 "attribution_window_days", "brand_name", "brand_color", "call_to_action",
                                 "language", "status")} == {
        "name": "Autumn Oolong", "title": "高山乌龙 · 秋茶上新", "body": "今年秋茶香气高扬，回甘明显。",
        "hashtags": ["秋茶", "乌龙", "高山"], "price": "168.00", "original_price": "198.00", "currency": "CNY",
        "landing_url": "https://shop.example.com/p/oolong", "channels": ["weibo", "wechat_moments", "x"],
        "commission": {"type": "percent", "value": "12"}, "invite_bonus": {"type": "fixed", "value": "5"},
        "attribution_window_days": 14, "brand_name": "山里茶", "brand_color": "#2E7D32",
        "call_to_action": "点这里下单", "language": "zh-CN", "status": "scheduled"}
    # Typed in the workspace's zone (Asia/Shanghai), stored as that instant.
    assert datetime.fromisoformat(got["starts_at"]) == datetime(2027, 3, 1, 9, 0, tzinfo=CST)
    assert datetime.fromisoformat(got["ends_at"]) == datetime(2027, 4, 1, 0, 0, tzinfo=CST)
    page = text_of(console.get(f"/console/campaigns/{campaign_id}"))
    assert "The campaign is saved as a draft" in page and "Autumn Oolong" in page


@pytest.mark.parametrize("changes, field, message", [
    ({"title": ""}, "title", "This field is required."),
    ({"body": "   "}, "body", "This field is required."),
    ({"price": "abc"}, "price", "Write an amount such as 199.00."),
    ({"price": "0"}, "price", "Must be above 0."),
    ({"price": "1.234"}, "price", "Use at most 2 decimal places for CNY."),
    ({"original_price": "100"}, "original_price", "Must not be below the price."),
    ({"currency": "XYZ"}, "currency", "Not a currency code"),
    ({"landing_url": "ftp://shop.example.com/x"}, "landing_url", "Give a full web address"),
    ({"landing_url": "http://sharecast.test/r/abc"}, "landing_url", "must be on your shop's site"),
    ({"channels": []}, "channels", "Choose at least one channel."),
    ({"channels": ["weibo", "myspace"]}, "channels", "is not a valid choice for this field."),
    ({"commission_value": "150"}, "commission_value", "A percentage must be above 0 and at most 100."),
    ({"commission_type": "fixed", "commission_value": "160", "invite_value": "20"}, "commission_value",
     "together are more than the price"),
    ({"invite_value": ""}, "invite_value", "Give the invite bonus's value"),
    ({"attribution_window_days": "0"}, "attribution_window_days", "Number must be between 1 and 365."),
    ({"attribution_window_days": "many"}, "attribution_window_days", "Not a valid integer value."),
    ({"ends_at": "2027-02-01T00:00"}, "ends_at", "Must be after the start."),
    ({"starts_at": "next tuesday"}, "starts_at", "Not a valid datetime value."),
    ({"starts_at": "1999-01-01T00:00"}, "starts_at", "between 2000 and 2100"),
    ({"brand_color": "red"}, "brand_color", "Write the colour as #RRGGBB."),
    ({"language": "klingon"}, "language", "Not a valid choice."),
    ({"title": "x" * 501}, "title", "Field cannot be longer than 500 characters."),
    ({"title": "bad\x00title"}, "title", "Remove the invisible control characters."),
])
def test_bad_campaign_input_is_shown_by_its_field_with_422_and_nothing_stored(app, console, changes, field,
                                                                              message):
    before = snapshot(app)
    res = console.post("/console/campaigns/new", {**FORM, **changes})
    assert res.status_code == 422, text_of(res)
    page = text_of(res)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', res.get_data(as_text=True))
    assert error and message in unescape(error.group(1)), page[:3000]
    assert "The campaign was not saved" in page
    assert f'href="#{field}' in res.text  # the summary links to the field
    assert snapshot(app) == before
    # What was typed is kept.
    assert "高山乌龙 · 秋茶上新" in page or changes.get("title") is not None


def test_edit_form_shows_the_campaign_and_saves_a_change_as_a_new_version(console, owner, campaign):
    url = f"/console/campaigns/{campaign['id']}/edit"
    page = console.get(url)
    assert page.status_code == 200
    html = page.text
    assert 'value="Spring Longjing"' in html and "今年的明前龙井到了" in html and 'value="春茶 龙井"' in html
    assert re.search(r'value="weibo"[^>]*checked|checked[^>]*value="weibo"', html)
    form = {**FORM, "name": "Spring Longjing", "title": "明前龙井 · 第二批", "body": CAMPAIGN["body"],
            "hashtags": "春茶 龙井", "price": "199.00", "original_price": "299.00",
            "landing_url": CAMPAIGN["landing_url"], "channels": CAMPAIGN["channels"], "commission_value": "10",
            "invite_type": "percent", "invite_value": "2", "attribution_window_days": "30", "starts_at": "",
            "ends_at": "", "brand_name": "", "brand_color": "#c8102e", "call_to_action": ""}
    res = console.post(url, form)
    assert res.status_code == 303 and res.headers["Location"].endswith(f"/console/campaigns/{campaign['id']}")
    got = owner.get(f"/api/v1/campaigns/{campaign['id']}").json
    assert got["title"] == "明前龙井 · 第二批" and got["content_version"] == 2
    assert got["starts_at"] is None and got["commission"] == {"type": "percent", "value": "10"}
    assert "Your changes are saved." in text_of(console.get(f"/console/campaigns/{campaign['id']}"))
    # Sending the same form again changes nothing.
    again = console.post(url, form)
    assert again.status_code == 303
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}").json["content_version"] == 2


def test_editing_with_a_bad_value_changes_nothing(app, console, campaign):
    before = snapshot(app)
    res = console.post(f"/console/campaigns/{campaign['id']}/edit",
                       {**FORM, "title": "changed", "original_price": "1.00"})
    assert res.status_code == 422
    assert "Must not be below the price." in text_of(res)
    assert snapshot(app) == before


def test_an_untouched_past_end_date_does_not_block_other_edits(app, console, owner):
    campaign_id = create(console, starts_at="", ends_at="")
    with database.new_session(app) as s:  # a campaign that has ended, with seconds on its end
        s.get(Campaign, campaign_id).ends_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        s.commit()
    page = console.get(f"/console/campaigns/{campaign_id}/edit").text
    assert 'value="2026-01-02T11:04"' in page
    res = console.post(f"/console/campaigns/{campaign_id}/edit",
                       {**FORM, "name": "Renamed", "starts_at": "", "ends_at": "2026-01-02T11:04"})
    assert res.status_code == 303, text_of(res)
    assert owner.get(f"/api/v1/campaigns/{campaign_id}").json["ends_at"] == "2026-01-02T03:04:05+00:00"


def test_an_api_set_language_stays_choosable_on_edit(console, owner):
    made = owner.post("/api/v1/campaigns", {**CAMPAIGN, "language": "ja"}).json
    page = console.get(f"/console/campaigns/{made['id']}/edit").text
    assert re.search(r'<option selected value="ja">ja</option>|<option value="ja" selected>', page)
    res = console.post(f"/console/campaigns/{made['id']}/edit", {**FORM, "language": "ja"})
    assert res.status_code == 303


# --- the live preview -------------------------------------------------------------------------------

def test_preview_composes_the_unsaved_form_for_each_chosen_channel_and_stores_nothing(app, console):
    before = snapshot(app)
    res = console.post("/console/campaigns/preview", {**FORM, "title": "未保存的标题"},
                       token_from="/console/campaigns/new")
    assert res.status_code == 200 and res.mimetype == "text/html"
    html = res.get_data(as_text=True)
    assert "<html" not in html  # a fragment
    page = text_of(res)
    assert "【未保存的标题】" in page and "#秋茶# #乌龙# #高山#" in page and "¥168.00（原价¥198.00）" in page
    assert [m for m in re.findall(r'id="preview-(\w+)-name"', html)] == ["weibo", "wechat_moments", "x"]
    assert "长按识别海报二维码" in page  # WeChat Moments: no clickable links
    assert re.search(r"Length \d+ of 2000", page) and "Length" in page
    assert "Images are drawn when you save the campaign with this channel" in page
    assert snapshot(app) == before


def test_preview_shows_warnings_in_the_page_language(console):
    form = {**FORM, "body": "很长的正文。" * 80 + " 只要¥99！", "channels": ["x"], "original_price": "100"}
    en = text_of(console.post("/console/campaigns/preview", form, token_from="/console/campaigns/new"))
    assert "The text was cut to fit X's limit of 280." in en
    assert "The original price is not above the price, so it is not shown." in en
    zh = text_of(console.post("/console/campaigns/preview", form, token_from="/console/campaigns/new",
                              headers={"Accept-Language": "zh-CN"}))
    assert "正文" in zh and "The text was cut" not in zh


def test_preview_tolerates_an_unfinished_form(console):
    res = console.post("/console/campaigns/preview", {"channels": ["weibo", "nope"], "price": "abc", "currency": "?"},
                       token_from="/console/campaigns/new")
    assert res.status_code == 200
    page = text_of(res)
    assert "The price is not a valid amount yet" in page and 'id="preview-weibo-name"' in res.text
    empty = console.post("/console/campaigns/preview", {}, token_from="/console/campaigns/new")
    assert empty.status_code == 200 and "Choose one or more channels" in text_of(empty)


def test_edit_preview_shows_the_saved_images_beside_the_live_text(console, campaign):
    url = f"/console/campaigns/{campaign['id']}/preview"
    res = console.post(url, {**FORM, "title": "改了但没保存", "channels": ["weibo"]},
                       token_from=f"/console/campaigns/{campaign['id']}/edit")
    assert res.status_code == 200
    page = text_of(res)
    assert "【改了但没保存】" in page
    assert re.search(r'<img src="http://sharecast.test/media/[0-9a-f]{2}/[^"]+" alt="Weibo image 1', res.text)
    assert "they refresh when you save" in page


# --- the campaign page and uploads ------------------------------------------------------------------

def test_campaign_page_shows_summary_posts_with_images_and_publications(app, console, owner, campaign):
    owner.post(f"/api/v1/campaigns/{campaign['id']}/schedule",
               {"publications": [{"channel": "x", "publish_at": later().isoformat()}]})
    res = console.get(f"/console/campaigns/{campaign['id']}")
    assert res.status_code == 200
    page = text_of(res)
    for expected in ("Spring Longjing", "明前龙井 · 春茶首发", "CN¥199.00", "was CN¥299.00", "10% of the price",
                     "2% of the price", "30 days", "No images yet", "Posts by channel", "WeChat Moments",
                     "【明前龙井 · 春茶首发】", "Scheduled", "Cancel X"):
        assert expected in page, expected
    assert f'href="/console/campaigns/{campaign["id"]}/edit"' in res.text
    assert f'href="/console/campaigns/{campaign["id"]}/schedule"' in res.text
    if "console.campaign_dashboard" in app.view_functions:  # the dashboard is another page's work
        assert "Dashboard</a>" in res.text
    assert len(re.findall(r'<img src="http://sharecast.test/media/', res.text)) >= 3
    assert "No product photo yet" in page  # a render warning
    assert 'accept="image/png,image/jpeg,image/webp"' in res.text and 'enctype="multipart/form-data"' in res.text


def upload(console, campaign_id, data: bytes, name="photo.png", role="product", **kw):
    page = f"/console/campaigns/{campaign_id}"
    return console.post(f"{page}/images", {"file": (io.BytesIO(data), name), "role": role}, token_from=page,
                        content_type="multipart/form-data", **kw)


def test_uploading_a_photo_adds_it_and_a_new_content_version(app, console, owner, campaign):
    res = upload(console, campaign["id"], png())
    assert res.status_code == 303 and res.headers["Location"].endswith(f"/console/campaigns/{campaign['id']}#images")
    got = owner.get(f"/api/v1/campaigns/{campaign['id']}").json
    assert [(i["role"], i["width"]) for i in got["images"]] == [("product", 1200)] and got["content_version"] == 2
    page = text_of(console.get(f"/console/campaigns/{campaign['id']}"))
    assert "The photo is uploaded" in page and "Product photo · 1200×1200" in page
    logo = upload(console, campaign["id"], png(300, 300), role="logo")
    assert logo.status_code == 303
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}").json["logo_image_id"] is not None


@pytest.mark.parametrize("data, name, status, message", [
    (b"GIF89a" + b"\x00" * 100, "x.gif", 415, "This is not a PNG, JPEG or WebP image."),
    (b"%PDF-1.4 not an image", "x.pdf", 415, "This is not a PNG, JPEG or WebP image."),
    (png()[:200], "cut.png", 422, "The file is damaged or empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_BYTES + 10), "huge.png", 413, "The file is too large: the limit is 20 MB."),
])
def test_a_refused_upload_is_explained_on_the_campaign_page(app, console, campaign, data, name, status, message):
    before = snapshot(app)
    res = upload(console, campaign["id"], data, name)
    assert res.status_code == status
    assert message in text_of(res) and "Spring Longjing" in text_of(res)
    assert snapshot(app) == before


def test_an_upload_without_a_file_or_with_a_bad_role_is_422(app, console, campaign):
    before = snapshot(app)
    page = f"/console/campaigns/{campaign['id']}"
    res = console.post(f"{page}/images", {"role": "product"}, token_from=page, content_type="multipart/form-data")
    assert res.status_code == 422 and "Choose an image file." in text_of(res)
    res = upload(console, campaign["id"], png(), role="banner")
    assert res.status_code == 422 and "Not a valid choice" in text_of(res)
    assert snapshot(app) == before


# --- the schedule -------------------------------------------------------------------------------------

def schedule_page(campaign_id):
    return f"/console/campaigns/{campaign_id}/schedule"


def test_schedule_page_shows_the_month_calendar_with_today_and_month_links(console, campaign):
    res = console.get(schedule_page(campaign["id"]))
    assert res.status_code == 200
    today = datetime.now(CST)
    html = res.get_data(as_text=True)
    assert 'aria-current="date"' in html and today.strftime("%B %Y") in text_of(res)
    nxt = (today.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    assert f"?month={nxt}" in html
    assert 'type="datetime-local"' in html and "Nothing is scheduled yet." in text_of(res)
    assert console.get(schedule_page(campaign["id"]) + "?month=2027-02").status_code == 200
    assert "February 2027" in text_of(console.get(schedule_page(campaign["id"]) + "?month=2027-02"))
    for odd in ("2027-13", "x", "99999-01", "%00", "1999-12"):
        assert console.get(schedule_page(campaign["id"]) + f"?month={odd}").status_code == 200


def test_scheduling_two_channels_at_a_time_lists_and_calendars_them(console, owner, campaign):
    at = later(days=40)
    res = console.post(schedule_page(campaign["id"]), {"channels": ["weibo", "x"], "when": "time",
                                                       "publish_at": at.strftime("%Y-%m-%dT%H:%M")})
    assert res.status_code == 303
    assert f"month={at.strftime('%Y-%m')}" in res.headers["Location"]
    got = owner.get(f"/api/v1/campaigns/{campaign['id']}").json
    assert sorted((p["channel"], p["status"]) for p in got["publications"]) == [("weibo", "scheduled"),
                                                                                   ("x", "scheduled")]
    assert {datetime.fromisoformat(p["publish_at"]) for p in got["publications"]} == {at}
    page = console.get(res.headers["Location"])
    html = page.get_data(as_text=True)
    assert "Scheduled: 2 publication(s)" in text_of(page)
    day_cell = re.search(rf'<div class="day">{at.day}</div>(.*?)</td>', html, re.S).group(1)
    assert "Weibo" in day_cell and "X" in day_cell and "10:30" in day_cell
    assert text_of(page).count("Cancel Weibo") == 1


@pytest.mark.parametrize("form, field, message", [
    ({"channels": [], "when": "time"}, "channels", "Choose at least one channel."),
    ({"channels": ["facebook"], "when": "time"}, "channels", "is not a valid choice for this field."),
    ({"channels": ["weibo"], "when": "time", "publish_at": ""}, "publish_at", "Give the date and time to publish at."),
    ({"channels": ["weibo"], "when": "time", "publish_at": "soon"}, "publish_at", "Not a valid datetime value."),
    ({"channels": ["weibo"], "when": "time", "publish_at": "2020-01-01T09:00"}, "publish_at",
     "Weibo: This time has passed."),
    ({"channels": ["weibo"], "when": "slot"}, "when", "There are no posting times yet; add them below."),
    ({"channels": ["weibo"], "when": "never"}, "when", "Not a valid choice."),
])
def test_a_bad_schedule_is_shown_by_its_field_with_422_and_nothing_stored(app, console, campaign, form, field,
                                                                            message):
    before = snapshot(app)
    res = console.post(schedule_page(campaign["id"]), form)
    assert res.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', res.get_data(as_text=True))
    assert error and message in unescape(error.group(1)), text_of(res)[:3000]
    assert "Nothing was scheduled." in text_of(res)
    assert snapshot(app) == before


def test_a_time_outside_the_campaign_dates_is_refused(app, console):
    campaign_id = create(console)  # runs 2027-03-01 09:00 → 2027-04-01 00:00
    before = snapshot(app)
    res = console.post(schedule_page(campaign_id), {"channels": ["x"], "when": "time",
                                                    "publish_at": "2027-02-27T09:00"})
    assert res.status_code == 422 and "X: This is before the campaign starts (3/1/27, 9:00 AM)." in text_of(res)
    assert snapshot(app) == before


def test_posting_times_then_next_free_time_slot(app, console, owner, campaign):
    page = schedule_page(campaign["id"])
    res = console.post(f"/console/campaigns/{campaign['id']}/slots", {"slots": "20:00, 09:00 12:30"}, token_from=page)
    assert res.status_code == 303
    assert 'value="09:00, 12:30, 20:00"' in console.get(page).text
    res = console.post(page, {"channels": ["weibo", "wechat_moments"], "when": "slot"})
    assert res.status_code == 303
    pubs = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"]
    assert {p["slot"] for p in pubs} <= {"09:00", "12:30", "20:00"} and len(pubs) == 2
    assert "posting time" in text_of(console.get(page))


def test_bad_posting_times_are_422_and_keep_the_old_ones(app, console, campaign):
    page = schedule_page(campaign["id"])
    console.post(f"/console/campaigns/{campaign['id']}/slots", {"slots": "09:00"}, token_from=page)
    before = snapshot(app)
    res = console.post(f"/console/campaigns/{campaign['id']}/slots", {"slots": "09:00, 25:00, noon"}, token_from=page)
    assert res.status_code == 422
    page_text = text_of(res)
    assert "25:00: Write each time as HH:MM" in page_text and "noon: Write each time as HH:MM" in page_text
    assert snapshot(app) == before


def test_cancelling_a_publication_and_cancelling_it_again(console, owner, campaign):
    res = owner.post(f"/api/v1/campaigns/{campaign['id']}/schedule",
                     {"publications": [{"channel": "weibo", "publish_at": later().isoformat()}]})
    pub_id = res.json["publications"][0]["id"]
    page = schedule_page(campaign["id"])
    url = f"/console/campaigns/{campaign['id']}/publications/{pub_id}/cancel"
    assert f'action="{url}' in console.get(page).text
    res = console.post(url, {}, token_from=page)
    assert res.status_code == 303
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"][0]["status"] == "cancelled"
    assert "The publication is cancelled." in text_of(console.get(page))
    again = console.post(url, {}, token_from=page)
    assert again.status_code == 303
    assert "Only a scheduled publication can be cancelled" in text_of(console.get(page))
    assert console.post(f"/console/campaigns/{campaign['id']}/publications/999999/cancel", {},
                        token_from=page).status_code == 404


def test_a_failed_publication_shows_its_error_and_attempts(app, console, owner, campaign):
    res = owner.post(f"/api/v1/campaigns/{campaign['id']}/schedule",
                     {"publications": [{"channel": "x", "publish_at": later().isoformat()}]})
    with database.new_session(app) as s:
        pub = s.get(Publication, res.json["publications"][0]["id"])
        pub.status, pub.attempts, pub.error = "failed", 3, "X said: 401 Unauthorized"
        s.commit()
    page = text_of(console.get(f"/console/campaigns/{campaign['id']}"))
    assert 'badge-failed">Failed' in page and "X said: 401 Unauthorized" in page


def test_a_published_publication_says_whether_it_reached_the_library_or_the_brands_account(
        app, console, owner):
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": ["x", "telegram"]}).json
    res = owner.post(f"/api/v1/campaigns/{campaign['id']}/schedule",
                     {"publications": [{"channel": "x", "publish_at": later().isoformat()},
                                       {"channel": "telegram", "publish_at": later().isoformat()}]})
    assert res.status_code == 200, res.json
    with database.new_session(app) as s:
        for row in res.json["publications"]:
            pub = s.get(Publication, row["id"])
            pub.status, pub.attempts = "published", 1
            pub.external_id = "42" if pub.channel == "telegram" else None
        s.commit()
    shown = {p["channel"]: p for p in owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"]}
    assert shown["x"]["delivered_to"] == "library" and shown["telegram"]["delivered_to"] == "account"
    page = text_of(console.get(f"/console/campaigns/{campaign['id']}"))
    assert "In sellers' library" in page and "Posted to the brand's account" in page
    assert 'badge-published">Published' not in page
    zh = text_of(console.get(f"/console/campaigns/{campaign['id']}", headers={"Accept-Language": "zh-CN"}))
    assert "已进入卖家素材库" in zh and "已发布到品牌账号" in zh


# --- who may see what ---------------------------------------------------------------------------------

def other_workspace(app) -> Pages:
    """A second workspace with its own signed-in owner."""
    from accounts.users import create_user

    made = run_cli(app, "workspace", "create", "--name", "B")
    with database.new_session(app) as s:
        create_user(s, made["workspace"]["id"], "b@b.example", STAFF_PASSWORD, "owner")
        s.commit()
    pages = Pages(app.test_client())
    pages.sign_in("b@b.example", STAFF_PASSWORD)
    return pages


def campaign_urls(campaign_id: int, pub_id: int = 1) -> list[tuple[str, str]]:
    base = f"/console/campaigns/{campaign_id}"
    return [("GET", base), ("GET", f"{base}/edit"), ("GET", f"{base}/schedule"), ("POST", f"{base}/edit"),
            ("POST", f"{base}/preview"), ("POST", f"{base}/images"), ("POST", f"{base}/schedule"),
            ("POST", f"{base}/slots"), ("POST", f"{base}/publications/{pub_id}/cancel")]


def test_another_workspaces_campaign_is_404_on_every_page(app, console, owner, campaign):
    res = owner.post(f"/api/v1/campaigns/{campaign['id']}/schedule",
                     {"publications": [{"channel": "weibo", "publish_at": later().isoformat()}]})
    pub_id = res.json["publications"][0]["id"]
    other = other_workspace(app)
    before = snapshot(app)
    assert "Spring Longjing" not in other.get("/console/").get_data(as_text=True)
    for method, url in campaign_urls(campaign["id"], pub_id):
        if method == "GET":
            res = other.get(url)
        else:
            res = other.post(url, {**FORM, "channels": ["weibo"], "when": "time", "slots": "09:00"},
                             token_from="/console/campaigns/new")
        assert res.status_code == 404, (method, url)
        assert "This page does not exist" in text_of(res)
    assert snapshot(app) == before


def test_unknown_and_out_of_range_ids_are_404(console):
    for url in ("/console/campaigns/999999", "/console/campaigns/99999999999999999999/edit",
                "/console/campaigns/0/schedule", "/console/campaigns/-1"):
        assert console.get(url).status_code == 404, url


def test_a_form_without_its_csrf_token_is_400_and_stores_nothing(app, console, campaign):
    before = snapshot(app)
    base = f"/console/campaigns/{campaign['id']}"
    for url in ("/console/campaigns/new", "/console/campaigns/preview", f"{base}/edit", f"{base}/preview",
                f"{base}/images", f"{base}/schedule", f"{base}/slots", f"{base}/publications/1/cancel"):
        res = console.client.post(url, data={**FORM, "channels": ["weibo"], "publish_at": "2027-03-02T09:00"})
        assert res.status_code == 400, url
        assert "This form has expired" in text_of(res)
        res = console.client.post(url, data={**FORM, "csrf_token": "forged"})
        assert res.status_code == 400, url
    assert snapshot(app) == before


def test_pages_send_a_stranger_to_sign_in(client, campaign):
    for url in ("/console/", "/console/campaigns/new", f"/console/campaigns/{campaign['id']}",
                f"/console/campaigns/{campaign['id']}/schedule"):
        res = client.get(url)
        assert res.status_code == 302 and "/console/sign-in?next=" in res.headers["Location"], url


def test_a_seller_session_cannot_open_console_pages(app, campaign, make_sharer):
    sharer = make_sharer("小林")
    pages = seller_pages(app, sharer["id"])
    for url in ("/console/", "/console/campaigns/new", f"/console/campaigns/{campaign['id']}",
                f"/console/campaigns/{campaign['id']}/edit", f"/console/campaigns/{campaign['id']}/schedule"):
        res = pages.get(url)
        assert res.status_code == 302 and "/console/sign-in" in res.headers["Location"], url
    token = csrf_token_of(pages.get("/seller/").get_data(as_text=True))
    res = pages.client.post("/console/campaigns/new", data={**FORM, "csrf_token": token})
    assert res.status_code == 302 and rows(app, Campaign) == 1


def test_a_marketer_may_do_everything_here(app, owner):
    from accounts.users import create_user

    with database.new_session(app) as s:
        create_user(s, 1, "m@acme-tea.com", STAFF_PASSWORD, "marketer")
        s.commit()
    pages = Pages(app.test_client())
    pages.sign_in("m@acme-tea.com", STAFF_PASSWORD)
    campaign_id = create(pages)
    assert pages.get(f"/console/campaigns/{campaign_id}").status_code == 200


# --- languages ----------------------------------------------------------------------------------------

def test_pages_speak_chinese_to_a_chinese_browser(console, campaign):
    zh = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    form = text_of(console.get("/console/campaigns/new", headers=zh))
    assert "活动名称" in form and "佣金" in form and "预览" in form and "微博" in form
    page = text_of(console.get(f"/console/campaigns/{campaign['id']}", headers=zh))
    assert "各渠道帖子" in page and "上传" in page
    schedule = text_of(console.get(schedule_page(campaign["id"]), headers=zh))
    assert "发布时间" in schedule and "年" in schedule
    bad = console.post("/console/campaigns/new", {**FORM, "original_price": "1"}, headers=zh)
    assert bad.status_code == 422 and "不能低于售价" in text_of(bad)


# --- no input gives a 500 -------------------------------------------------------------------------

def test_a_refused_edit_draws_its_images_without_waiting_on_its_own_write_lock(app, console, campaign):
    # Nothing rendered yet: the 422 page draws every image and saves the renders meanwhile.
    res = console.post(f"/console/campaigns/{campaign['id']}/edit", {**FORM, "ends_at": "2001-01-01T00:00",
                                                                     "starts_at": ""},
                       token_from="/console/campaigns/new")
    assert res.status_code == 422 and "Must be in the future." in text_of(res)
    assert 'alt="Weibo image 1' in res.text


@pytest.mark.parametrize("path, form", [
    ("new", {"starts_at": "0001-01-01T00:00"}),
    ("new", {"starts_at": "9999-12-31T23:59", "ends_at": ""}),
    ("new", {"attribution_window_days": "9" * 40}),
    ("new", {"price": "9" * 400}),
    ("new", {"body": "x" * 30_000}),
    ("new", {"hashtags": " ".join(["t"] * 40)}),
    ("new", {"currency": "\x00\x00\x00"}),
    ("new", {"landing_url": "http://[::1/x"}),
    ("schedule", {"channels": ["weibo"], "when": "time", "publish_at": "0001-01-01T00:00"}),
    ("schedule", {"channels": ["weibo"], "when": "time", "publish_at": "9999-12-31T23:59"}),
    ("schedule", {"channels": ["weibo"] * 60, "when": "time", "publish_at": "2027-01-01T00:00"}),
    ("slots", {"slots": "x" * 300}),
    ("slots", {"slots": "\x00"}),
])
def test_odd_input_is_refused_with_422_and_stores_nothing(app, console, campaign, path, form):
    before = snapshot(app)
    url = "/console/campaigns/new" if path == "new" else f"/console/campaigns/{campaign['id']}/{path}"
    res = console.post(url, {**FORM, **form} if path == "new" else form, token_from="/console/campaigns/new")
    assert res.status_code == 422
    assert snapshot(app) == before


def test_the_preview_survives_any_text(console):
    for form in ({**FORM, "body": "\x00" * 10, "language": "\x00", "price": "1" * 30},
                 {**FORM, "original_price": "1e5", "currency": "JPY", "price": "1.5"},
                 {"channels": list(CAMPAIGN["channels"]) * 100, "hashtags": "#" * 5000}):
        res = console.post("/console/campaigns/preview", form, token_from="/console/campaigns/new")
        assert res.status_code == 200


# --- the pure parts --------------------------------------------------------------------------------

def test_month_weeks_cover_the_month_from_monday_with_entries_on_their_local_day():
    from datetime import date

    from web.console.campaign_calendar import month_start, month_weeks, shift

    first = month_start("2027-02", date(2026, 11, 24))
    assert first == date(2027, 2, 1)
    assert month_start("2027-13", date(2026, 11, 24)) == date(2026, 11, 1)
    assert shift(date(2027, 1, 1), -1) == date(2026, 12, 1) and shift(date(2027, 12, 1), 1) == date(2028, 1, 1)
    at = datetime(2027, 2, 14, 23, 30, tzinfo=CST)
    weeks = month_weeks(first, date(2027, 2, 3), [(at, "late"), (at - timedelta(hours=1), "early")])
    assert [len(w) for w in weeks] == [7, 7, 7, 7] and weeks[0][0].date == date(2027, 2, 1)  # a Monday
    days = {d.date: d for w in weeks for d in w}
    assert days[date(2027, 2, 14)].entries == ["early", "late"] and days[date(2027, 2, 3)].today


def test_every_warning_code_is_said_in_both_languages(app):
    from channels import REGISTRY
    from publishing.posts import RENDER_WARNINGS
    from web.console.campaign_preview import _WARNINGS, warning_text

    # The codes publishing.compose.ComposeWarning documents, and those of the image renders.
    compose_codes = {"text_cut", "title_cut", "caption_cut", "too_many_hashtags", "hashtags_dropped",
                     "body_url_removed", "no_link", "original_price_ignored", "price_mismatch"}
    assert compose_codes | set(RENDER_WARNINGS) <= set(_WARNINGS)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        said = warning_text(REGISTRY["x"].spec, "price_mismatch", "The body mentions ¥99, which is not the price.")
        assert said == "正文中提到了 ¥99，与活动售价不符。"
        assert warning_text(REGISTRY["x"].spec, "new_code", "Something new.") == "Something new."


def test_clicking_the_product_in_the_photo_sets_where_crops_centre(app, console, owner, campaign):
    photo = Image.new("RGB", (1200, 1200), (240, 238, 232))
    ImageDraw.Draw(photo).rectangle((250, 500, 450, 700), fill=(20, 60, 30))  # something to crop around
    out = io.BytesIO()
    photo.save(out, "PNG")
    assert upload(console, campaign["id"], out.getvalue()).status_code == 303
    got = owner.get(f"/api/v1/campaigns/{campaign['id']}").json
    image_id, version = got["images"][0]["id"], got["content_version"]
    page = f"/console/campaigns/{campaign['id']}"
    assert 'type="image" data-focus' in console.get(page).text
    before = owner.get(f"/api/v1/campaigns/{campaign['id']}/posts?channel=weibo").json["items"][0]["images"]
    # The photo was shown 300 px wide; the marketer clicked 3/4 across, 1/4 down.
    res = console.post(f"{page}/images/{image_id}/focus", {"focus.x": "225", "focus.y": "75", "shown_width": "300"},
                       token_from=page)
    assert res.status_code == 303
    got = owner.get(f"/api/v1/campaigns/{campaign['id']}").json
    assert got["images"][0]["focus"] == [0.75, 0.25] and got["content_version"] == version + 1
    assert "Focus set at 75% across, 25% down." in text_of(console.get(page))
    after = owner.get(f"/api/v1/campaigns/{campaign['id']}/posts?channel=weibo").json["items"][0]["images"]
    assert [i["url"] for i in after] != [i["url"] for i in before], "the cards are drawn again around the point"

    outside = console.post(f"{page}/images/{image_id}/focus", {"focus.x": "400", "focus.y": "10", "shown_width": "300"},
                           token_from=page)
    assert outside.status_code == 422
    assert console.post(f"{page}/images/{image_id}/focus", {}, token_from=page).status_code == 422
    assert console.post(f"{page}/images/{image_id + 99}/focus", {"focus.x": "1", "focus.y": "1"},
                        token_from=page).status_code == 404
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}").json["images"][0]["focus"] == [0.75, 0.25]
