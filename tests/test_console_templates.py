"""The poster template pages of the console: a new template from the starter layouts, one aspect's boxes
as numbers with the server-drawn preview, and a layout that would cover the code refused under its box."""
from __future__ import annotations

import base64
import io

import zxingcpp
from PIL import Image
from test_console_campaigns import FORM, create, text_of
from test_poster_templates import LAYOUTS, background, png

from publishing.render.template import BOXES


def layout_form(layout: dict, name="春茶海报", **changes) -> dict:
    form = {"name": name, "background_color": layout["background_color"]}
    for box, spec in layout["boxes"].items():
        for part in ("x", "y", "w", "h"):
            form[f"{box}_{part}"] = str(round(spec[part] * 100))
        for key in ("font_min", "font_max", "color"):
            if key in spec:
                form[f"{box}_{key}"] = str(spec[key])
    form.update(changes)
    return form


def new_template(console) -> str:
    res = console.post("/console/templates", {"name": "春茶海报"})
    assert res.status_code == 303, res.text
    return res.headers["Location"].split("?")[0]


def preview_image(html: str) -> Image.Image:
    data = html.split('src="data:image/jpeg;base64,', 1)[1].split('"', 1)[0]
    return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")


def test_a_marketer_makes_a_template_and_the_preview_follows_the_unsaved_numbers(console):
    path = new_template(console)
    page = console.get(path)
    assert page.status_code == 200 and "春茶海报" in page.text and 'src="data:image/jpeg;base64,' in page.text
    res = console.post(f"{path}/background", {"background": (io.BytesIO(png(background())), "bg.png")},
                       token_from=path, content_type="multipart/form-data")
    assert res.status_code == 303

    moved = layout_form(LAYOUTS["square"], title_color="#FFFFFF", background_color="#000000")
    res = console.post(f"{path}/preview?aspect=square", moved, token_from=path)
    assert res.status_code == 200
    image = preview_image(res.text)
    assert image.width == 540
    assert image.getpixel((4, 4))[2] > 90, "the uploaded background, not the colour"
    [found] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text.endswith("/r/SAMPLE01"), "the preview's code scans at the preview's size"

    res = console.post(f"{path}?aspect=square", moved, token_from=path)
    assert res.status_code == 303
    assert 'value="#FFFFFF"' in console.get(f"{path}?aspect=square").text


def test_a_layout_whose_photo_covers_the_code_is_refused_and_nothing_changes(console):
    path = new_template(console)
    bad = layout_form(LAYOUTS["square"], photo_h="70")
    res = console.post(f"{path}?aspect=square", bad, token_from=path)
    assert res.status_code == 422
    assert "the photo box overlaps the code" in res.text
    assert 'value="46"' in console.get(f"{path}?aspect=square").text, "the saved photo height is unchanged"
    preview = console.post(f"{path}/preview?aspect=square", bad, token_from=path)
    assert "the photo box overlaps the code" in preview.text


def test_a_box_leaving_the_canvas_and_an_unknown_aspect_are_refused(console):
    path = new_template(console)
    res = console.post(f"{path}?aspect=square", layout_form(LAYOUTS["square"], photo_x="50", photo_w="60"),
                       token_from=path)
    assert res.status_code == 422 and "leaves the canvas" in res.text
    assert console.get(f"{path}?aspect=oval").status_code == 404
    assert console.get("/console/templates/999").status_code == 404
    assert set(BOXES) <= set(LAYOUTS["square"]["boxes"])


def test_a_campaign_chooses_a_template_on_its_form_and_a_title_too_long_for_it_is_refused_in_chinese(app, console):
    path = new_template(console)
    template_id = path.rsplit("/", 1)[1]
    page = console.get("/console/campaigns/new")
    assert f'<option value="{template_id}">春茶海报</option>' in page.text
    campaign_id = create(console, template_id=template_id)
    edit = console.get(f"/console/campaigns/{campaign_id}/edit")
    assert f'<option selected value="{template_id}">' in edit.text or f'value="{template_id}" selected' in edit.text

    res = console.post("/console/campaigns/new", {**FORM, "title": "高山乌龙秋茶上新" * 40, "template_id": template_id},
                       headers={"Accept-Language": "zh-CN"})
    assert res.status_code == 422
    assert "在海报模板的最小字号下仍放不下" in text_of(res)


def test_a_template_in_use_is_kept_on_delete_and_an_unused_one_goes(console, owner):
    path = new_template(console)
    template_id = int(path.rsplit("/", 1)[1])
    campaign_id = create(console, template_id=str(template_id))
    res = console.post(f"{path}/delete", {}, token_from=path)
    assert res.status_code == 303 and res.headers["Location"].endswith(path)
    assert str(campaign_id) in console.get(path).text
    assert console.post(f"/console/campaigns/{campaign_id}/edit", {**FORM, "template_id": ""},
                        token_from=f"/console/campaigns/{campaign_id}/edit").status_code == 303
    res = console.post(f"{path}/delete", {}, token_from=path)
    assert res.status_code == 303 and res.headers["Location"].endswith("/console/templates")
    assert console.get(path).status_code == 404


def test_the_template_pages_title_is_only_its_name_with_no_form_or_csrf_token_in_it(console):
    """The page's <title> (shown in tabs, kept in history and bookmarks) holds text only: never the
    delete form, nor its CSRF token."""
    path = new_template(console)
    html = console.get(path).text
    title = html[html.index("<title>") + len("<title>"):html.index("</title>")]
    assert title == "春茶海报 · Poster templates · Sharecast", title
    assert html.count('class="danger-zone"') == 1
