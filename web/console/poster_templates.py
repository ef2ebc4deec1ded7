"""The brand's poster templates in the console: the list, a new template, and the editor of one aspect's
boxes (numbers in percent of the canvas) with a preview drawn by the server as the marketer types."""
from __future__ import annotations

import base64
import copy
from decimal import Decimal

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from PIL import Image
from wtforms import FileField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from channels.content import MasterContent, SharerVoice
from plumbing import database
from plumbing.errors import ApiError
from publishing.images import MAX_BYTES
from publishing.render.encoding import encode_jpeg
from publishing.render.photo import load_photo
from publishing.render.poster import render_poster, scan_hint
from publishing.render.template import (
    ASPECTS,
    BOXES,
    REFERENCE_PRICE,
    REFERENCE_TITLE,
    STARTER_LAYOUTS,
    TEXT_BOXES,
    layout_problems,
    render_template_base,
    seller_ink,
)
from publishing.storage import storage
from publishing.template_schemas import LayoutIn
from publishing.templates import (
    create_template,
    delete_template,
    get_template,
    list_templates,
    poster_sizes,
    set_background,
    template_json,
    update_template,
)
from publishing.versions import record_version
from web.console.blueprint import NAV, bp
from web.console.sharers import NO_CONTROL
from web.session import staff_required

NAV.append(("console.poster_templates", _l("Templates")))

ASPECT_NAMES = {"landscape": _l("Landscape (X, email)"), "square": _l("Square (Weibo, Telegram)"),
                "portrait": _l("Portrait (Moments, Xiaohongshu)"), "story": _l("Story (Douyin)")}
BOX_NAMES = {"photo": _l("Photo"), "title": _l("Title"), "price": _l("Price"), "qr": _l("QR code"),
             "seller": _l("Seller's photo and name")}
GEOMETRY = ("x", "y", "w", "h")
GEOMETRY_NAMES = {"x": _l("Left"), "y": _l("Top"), "w": _l("Width"), "h": _l("Height")}
PREVIEW_WIDTH = 540


class NewTemplateForm(FlaskForm):
    name = StringField(_l("Template name"), validators=[DataRequired(_l("Enter the template's name.")), Length(max=100),
                                               NO_CONTROL])


class BackgroundForm(FlaskForm):
    background = FileField(_l("Background image"))


def _layout_form_class():
    """A form with every number of one aspect's layout: ``<box>_<x|y|w|h>`` in percent, text boxes'
    sizes and colours."""
    attrs = {"name": StringField(_l("Template name"), validators=[DataRequired(_l("Enter the template's name.")),
                                                         Length(max=100), NO_CONTROL]),
             "background_color": StringField(_l("Background colour"), validators=[Length(max=7)])}
    for box in BOXES:
        for part in GEOMETRY:
            attrs[f"{box}_{part}"] = IntegerField(GEOMETRY_NAMES[part], validators=[
                InputRequired(_l("Enter a number.")), NumberRange(0, 100, _l("Between 0 and 100."))])
        if box in (*TEXT_BOXES, "seller"):
            attrs[f"{box}_color"] = StringField(_l("Colour"), validators=[Optional(), Length(max=7)])
        if box in TEXT_BOXES:
            attrs[f"{box}_font_min"] = IntegerField(_l("Smallest size (px)"), validators=[
                InputRequired(_l("Enter a number.")), NumberRange(10, 400, _l("Between 10 and 400."))])
            attrs[f"{box}_font_max"] = IntegerField(_l("Largest size (px)"), validators=[
                InputRequired(_l("Enter a number.")), NumberRange(10, 400, _l("Between 10 and 400."))])
    return type("LayoutForm", (FlaskForm,), attrs)


LayoutForm = _layout_form_class()


def _percent(value: float) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def fill(form, name: str, layout: dict) -> None:
    form.name.data = name
    form.background_color.data = layout.get("background_color", "#FFFFFF")
    for box, spec in layout["boxes"].items():
        for part in GEOMETRY:
            getattr(form, f"{box}_{part}").data = _percent(spec[part])
        for key in ("font_min", "font_max", "color"):
            if hasattr(form, f"{box}_{key}"):
                getattr(form, f"{box}_{key}").data = spec.get(key)


def layout_of(form) -> dict:
    """The form's numbers as a layout, checked by :class:`LayoutIn`.

    :raise ValidationError: a value the schema refuses (its messages name the box).
    """
    boxes = {}
    for box in BOXES:
        spec = {part: float(Decimal(getattr(form, f"{box}_{part}").data) / 100) for part in GEOMETRY}
        if box in TEXT_BOXES:
            spec.update(font_min=getattr(form, f"{box}_font_min").data, font_max=getattr(form, f"{box}_font_max").data)
        entry = getattr(form, f"{box}_color", None)
        colour = (entry.data or "").strip() if entry is not None else ""
        if colour:
            spec["color"] = colour
        boxes[box] = spec
    return LayoutIn().load({"background_color": (form.background_color.data or "#FFFFFF").strip() or "#FFFFFF",
                            "boxes": boxes})


def _aspect() -> str:
    aspect = request.args.get("aspect", "square")
    if aspect not in ASPECTS:
        abort(404)
    return aspect


@bp.route("/templates", methods=["GET", "POST"])
@staff_required()
def poster_templates():
    """The workspace's templates; posting a name makes a new one from the starter layouts."""
    session = database.session()
    form = NewTemplateForm()
    if form.validate_on_submit():
        template = create_template(session, g.key.workspace_id,
                                   {"name": form.name.data, "layouts": copy.deepcopy(STARTER_LAYOUTS)})
        session.commit()
        flash(_("%(name)s was created: move its boxes, then choose it on a campaign.", name=template.name))
        return redirect(url_for("console.poster_template", template_id=template.id), 303)
    templates = [template_json(session, t) for t in list_templates(session, g.key.workspace_id)]
    status = 422 if request.method == "POST" else 200
    return render_template("console/poster_templates.html", templates=templates, form=form), status


@bp.route("/templates/<int(min=1, max=2147483647):template_id>", methods=["GET", "POST"])
@staff_required()
def poster_template(template_id: int):
    """One aspect's layout (``?aspect=``) of a template: numbers, the preview, saving.

    Saving a layout that would clip text or shrink or cover the code answers 422 with the reason
    under the box it names, and changes nothing. :raise 404: not a template of this workspace.
    """
    session = database.session()
    template = get_template(session, g.key.workspace_id, template_id)
    aspect = _aspect()
    form = LayoutForm()
    problem = None
    if request.method == "GET":
        fill(form, template.name, template.layouts.get(aspect) or STARTER_LAYOUTS[aspect])
    elif form.validate_on_submit():
        try:
            layouts = {**template.layouts, aspect: layout_of(form)}
            for campaign in update_template(session, template, {"name": form.name.data, "layouts": layouts}):
                record_version(session, campaign)
        except ValidationError as exc:
            problem = _place(form, exc.messages)
        except ApiError as exc:
            session.rollback()
            problem = exc.message
            _place_fields(form, exc.fields)
        else:
            session.commit()
            flash(_("The layout was saved."))
            return redirect(url_for("console.poster_template", template_id=template.id, aspect=aspect), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("console/poster_template.html", template=template_json(session, template), form=form,
                           aspect=aspect, aspects=ASPECT_NAMES, boxes=BOX_NAMES, geometry=GEOMETRY,
                           text_boxes=TEXT_BOXES, problem=problem, background_form=BackgroundForm(),
                           preview=_preview(template, aspect, form) if status == 200 else None,
                           max_bytes=MAX_BYTES), status


def _place(form, messages: dict) -> str:
    """Put the schema's messages under the fields they name; the first as the page's problem."""
    flat = []
    for box, parts in (messages.get("boxes") or {}).items():
        for part, why in (parts.items() if isinstance(parts, dict) else [("x", parts)]):
            target = getattr(form, f"{box}_{part}", None) or getattr(form, f"{box}_x")
            text = " ".join(why) if isinstance(why, list) else str(why)
            target.errors = [*target.errors, text]
            flat.append(f"{BOX_NAMES.get(box, box)}: {text}")
    for key, why in messages.items():
        if key != "boxes":
            flat.append(" ".join(why) if isinstance(why, list) else str(why))
    return "; ".join(flat) or _("The layout has invalid values.")


def _place_fields(form, fields: dict) -> None:
    for name, why in fields.items():
        box = name.rsplit(".", 1)[-1]
        target = getattr(form, f"{box}_x", None)
        if target is not None:
            target.errors = [*target.errors, why]


@bp.post("/templates/<int(min=1, max=2147483647):template_id>/preview")
@staff_required()
def poster_template_preview(template_id: int):
    """The preview of the unsaved form (an HTML fragment with the drawn poster and what is wrong)."""
    session = database.session()
    template = get_template(session, g.key.workspace_id, template_id)
    aspect = _aspect()
    form = LayoutForm()
    form.validate()
    return render_template("console/_template_preview.html", **_preview(template, aspect, form))


def _preview(template, aspect: str, form) -> dict:
    """The poster drawn from the form's layout at the aspect's first channel size, with a sample
    seller, as a data: URL; or the reasons it cannot be drawn."""
    try:
        layout = layout_of(form)
    except (ValidationError, TypeError, ArithmeticError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else {}
        return {"image": None, "problems": [_place(form, messages)] if messages else [_("Fill in every number.")]}
    width, height = poster_sizes()[aspect][0]
    problems = [f"{BOX_NAMES.get(box, box)}: {why}" for box, why in
                layout_problems(layout, list(poster_sizes()[aspect]), [_sample()]).items()]
    background = None
    if template.background_key:
        background = load_photo(storage().read(template.background_key))
    photo = Image.new("RGB", (1200, 900), (214, 200, 178))
    base = render_template_base(layout, background, _sample(), photo, width, height)
    voice = SharerVoice(name=_("Seller"), link="https://example.com/r/SAMPLE01", code="SAMPLE01")
    language = str(get_locale() or "en").replace("_", "-")
    poster = render_poster(base.image, voice, scan_hint(language, True), slots=base.slots, language=language,
                           note_ink=seller_ink(layout))
    shown = poster.resize((PREVIEW_WIDTH, round(height * PREVIEW_WIDTH / width)), Image.Resampling.LANCZOS)
    data = base64.b64encode(encode_jpeg(shown, quality=82)).decode()
    return {"image": f"data:image/jpeg;base64,{data}", "problems": problems, "size": f"{width}×{height}"}


def _sample() -> MasterContent:
    return MasterContent(title=REFERENCE_TITLE, body="", price=REFERENCE_PRICE.price,
                         original_price=REFERENCE_PRICE.original_price)


@bp.post("/templates/<int(min=1, max=2147483647):template_id>/background")
@staff_required()
def poster_template_background(template_id: int):
    """Upload the template's background. A refused file: 4xx with the template page and the reason."""
    session = database.session()
    template = get_template(session, g.key.workspace_id, template_id)
    form = BackgroundForm()
    upload = form.background.data
    if not form.validate_on_submit() or upload is None or not getattr(upload, "filename", ""):
        flash(_("Choose an image to upload."), "error")
        return redirect(url_for("console.poster_template", template_id=template.id), 303)
    try:
        for campaign in set_background(session, storage(), template, upload.read(MAX_BYTES + 1)):
            record_version(session, campaign)
    except ApiError as exc:
        session.rollback()
        flash(_("The image was refused: %(why)s", why=exc.message), "error")
        return redirect(url_for("console.poster_template", template_id=template.id), 303)
    session.commit()
    flash(_("The background was saved."))
    return redirect(url_for("console.poster_template", template_id=template.id), 303)


@bp.post("/templates/<int(min=1, max=2147483647):template_id>/delete")
@staff_required()
def poster_template_delete(template_id: int):
    """Delete a template; one that campaigns still use is kept and the page says which.

    :raise 404: not a template of this workspace.
    """
    session = database.session()
    template = get_template(session, g.key.workspace_id, template_id)
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("console.poster_template", template_id=template.id), 303)
    name = template.name
    try:
        delete_template(session, template)
    except ApiError as exc:
        session.rollback()
        flash(_("%(name)s is still used by campaigns %(ids)s: choose a look or another template for them first.",
                name=name, ids=exc.fields.get("campaign_ids", "")), "error")
        return redirect(url_for("console.poster_template", template_id=template_id), 303)
    session.commit()
    flash(_("%(name)s was deleted.", name=name))
    return redirect(url_for("console.poster_templates"), 303)
