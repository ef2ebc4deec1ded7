"""Campaign pages of the console: the list, the form (new and edit) with its live preview, the
campaign page, image uploads, and the schedule (whose bodies are in :mod:`web.console.schedule`).
All their routes are declared here, so the navigation bar lights "Campaigns" on every one.

Every page reads and writes through the services the API uses, scoped to
the signed-in account's workspace (another workspace's campaign is a 404).
A refused input re-shows the form with 422 and each message by its field;
nothing is stored then.
"""
from __future__ import annotations

from babel.lists import format_list
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from catalog.campaigns import get_campaign
from catalog.landing import own_hosts
from plumbing import database, redis_client
from plumbing.errors import ApiError
from publishing import storage
from publishing.campaigns import create_campaign, list_campaigns, update_campaign
from publishing.images import MAX_BYTES, add_image, set_focus
from publishing.models import ACTIVE, Publication
from publishing.routes import REDIRECT_COLUMNS, campaign_view
from publishing.templates import list_templates
from referrals import linkcache
from web.console import schedule
from web.console.blueprint import bp
from web.console.campaign_fields import Refused, changes_of, fill_form, load_input, offer_language, place_errors
from web.console.campaign_messages import explain
from web.console.campaign_preview import live_preview, preview_fragment, reading, saved_posts
from web.console.forms import CampaignForm, ImageForm, channel_label
from web.forms import image_refusal
from web.session import staff_required

ID = "int(min=1, max=2147483647)"  # as the API: an id PostgreSQL can hold, else 404
STATUS_LABELS = {"draft": _l("Draft"), "scheduled": _l("Scheduled"), "live": _l("Live"), "ended": _l("Ended"),
                 "published": _l("Published"), "failed": _l("Failed"), "cancelled": _l("Cancelled")}


# "Published" alone would claim a post went out where it only reached the sellers' library.
PUBLISHED_LABELS = {"library": _l("In sellers' library"), "account": _l("Posted to the brand's account")}


@bp.app_template_global()
def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# Where a post stands on the platform that decides on it later (publishing/post_states.py).
PLATFORM_STATES = {
    "publishing": _l("in review"), "published": _l("published"), "failed": _l("failed"),
    "failed_originality": _l("refused: not original content"), "failed_review": _l("refused by the platform's review"),
    "deleted": _l("deleted"), "banned": _l("taken down by the platform"), "unknown": _l("not known yet"),
}


@bp.app_template_global()
def platform_state_label(state: str) -> str:
    return str(PLATFORM_STATES.get(state, state))


@bp.app_template_global()
def publication_label(pub: dict) -> str:
    """A publication's status in words; a published one says where it went."""
    if pub["status"] == "published":
        return str(PUBLISHED_LABELS[pub["delivered_to"]])
    return status_label(pub["status"])


bp.add_app_template_global(channel_label)


@bp.app_template_global()
def channel_list(channel_ids: list[str]) -> str:
    """Channel names as a list in the page's language ("微博、X" / "Weibo, X")."""
    return format_list([channel_label(c) for c in channel_ids], locale=get_locale())


@bp.app_template_global()
def publication_error(text: str) -> str:
    """A publication's error (the scheduler's or a channel's message) in the page's language where known."""
    return explain(text)


def dashboard_url(campaign_id: int) -> str | None:
    """The campaign's dashboard, once that page exists."""
    if "console.campaign_dashboard" in current_app.view_functions:
        return url_for("console.campaign_dashboard", campaign_id=campaign_id)
    return None


def next_publications(session, workspace_id: int, campaign_ids: list[int]) -> dict[int, object]:
    """Each campaign's next scheduled publication time (UTC), where one waits."""
    if not campaign_ids:
        return {}
    rows = session.execute(select(Publication.campaign_id, func.min(Publication.publish_at))
                           .where(Publication.workspace_id == workspace_id,
                                  Publication.campaign_id.in_(campaign_ids), Publication.status.in_(ACTIVE))
                           .group_by(Publication.campaign_id))
    return dict(rows.all())


@bp.get("/")
@staff_required()
def campaigns():
    """The workspace's campaigns, newest first, a page at a time (``?cursor=``)."""
    session = database.session()
    cursor = request.args.get("cursor") or None
    try:
        page = list_campaigns(session, g.key.workspace_id, None, cursor[:200] if cursor else None)
    except ApiError:  # a cursor from elsewhere: start from the top rather than fail
        page = list_campaigns(session, g.key.workspace_id)
    upcoming = next_publications(session, g.key.workspace_id, [c["id"] for c in page["items"]])
    return render_template("console/campaigns.html", items=page["items"], next_cursor=page["next_cursor"],
                           upcoming=upcoming, first_page=cursor is None)


def _form_page(form: CampaignForm, campaign_id: int | None, status: int = 200, problems: list[str] = ()):
    """The campaign form (new, or editing ``campaign_id``) beside its preview."""
    with reading() as reader:
        campaign = get_campaign(reader, g.key.workspace_id, campaign_id) if campaign_id else None
        offer_language(form, campaign.language if campaign else None)
        form.template_id.choices = [("", _("None: the look alone"))] + [
            (str(t.id), t.name) for t in list_templates(reader, g.key.workspace_id)]
        return render_template("console/campaign_form.html", form=form, campaign=campaign, problems=problems,
                               preview=live_preview(reader, form, campaign)), status


def _refused(form: CampaignForm, campaign_id: int | None, fields: dict):
    """The form again (422) with the services' messages by their fields; nothing was stored."""
    return _form_page(form, campaign_id, 422, place_errors(form, fields))


@bp.route("/campaigns/new", methods=["GET", "POST"])
@staff_required()
def campaign_new():
    """Write a new campaign; saved as a draft until it is scheduled."""
    form = CampaignForm()
    if request.method == "GET":
        form.currency.data = g.workspace.currency
        return _form_page(form, None)
    if not form.validate():
        return _form_page(form, None, 422)
    session = database.session()
    try:
        campaign = create_campaign(session, g.key.workspace_id, load_input(form, g.timezone), own_hosts(),
                                       current_app.config["ALLOW_PRIVATE_TARGETS"])
        session.commit()
    except Refused as exc:
        return _refused(form, None, exc.fields)
    except ApiError as exc:
        return _refused(form, None, exc.fields or {"_": exc.message})
    flash(_("The campaign is saved as a draft. Add images, then schedule it."))
    return redirect(url_for("console.campaign", campaign_id=campaign.id), 303)


@bp.route(f"/campaigns/<{ID}:campaign_id>/edit", methods=["GET", "POST"])
@staff_required()
def campaign_edit(campaign_id: int):
    """Edit a campaign; posts grabbed before keep what they showed. :raise 404: not in this workspace."""
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    form = CampaignForm()
    if request.method == "GET":
        fill_form(form, campaign, g.timezone)
        return _form_page(form, campaign_id)
    offer_language(form, campaign.language)
    if not form.validate():
        return _form_page(form, campaign_id, 422)
    try:
        changes = changes_of(campaign, load_input(form, g.timezone), g.timezone)
        changed = update_campaign(session, campaign, changes, own_hosts(),
                                  current_app.config["ALLOW_PRIVATE_TARGETS"]) if changes else set()
        session.commit()
    except Refused as exc:
        return _refused(form, campaign_id, exc.fields)
    except ApiError as exc:
        return _refused(form, campaign_id, exc.fields or {"_": exc.message})
    if changed & REDIRECT_COLUMNS:
        linkcache.invalidate(redis_client.connection())
    flash(_("Your changes are saved.") if changed else _("Nothing changed."))
    return redirect(url_for("console.campaign", campaign_id=campaign.id), 303)


def _campaign_page(campaign_id: int, image_form: ImageForm, status: int = 200):
    """The campaign page. :raise ApiError 404: not a campaign of this workspace."""
    with reading() as reader:
        campaign = get_campaign(reader, g.key.workspace_id, campaign_id)
        return render_template("console/campaign.html", campaign=campaign_view(reader, campaign),
                               posts=saved_posts(reader, campaign), image_form=image_form,
                               dashboard=dashboard_url(campaign_id), max_mb=MAX_BYTES // (1024 * 1024)), status


@bp.get(f"/campaigns/<{ID}:campaign_id>")
@staff_required()
def campaign(campaign_id: int):
    """The campaign: summary, images, each channel's post, publications. :raise 404: not in this workspace."""
    return _campaign_page(campaign_id, ImageForm())


FOCUS_WIDTH = 320  # the photo is shown this wide to be clicked: the click's x and y divide by it


@bp.post(f"/campaigns/<{ID}:campaign_id>/images/<{ID}:image_id>/focus")
@staff_required()
def campaign_focus(campaign_id: int, image_id: int):
    """Set where the product is in a photo: the marketer clicks it (an image button sends the
    click's ``focus.x`` and ``focus.y`` on the photo shown ``FOCUS_WIDTH`` wide).

    :raise 404: not in this workspace. :raise 422: no click, or a click outside the photo.
    """
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    image = next((i for i in campaign_view(session, campaign)["images"] if i["id"] == image_id), None)
    if image is None:
        raise ApiError(404, "not_found", _("No such image of this campaign."))
    try:
        # The page's script sends how wide the photo was shown; without it, FOCUS_WIDTH.
        shown = float(request.form.get("shown_width") or FOCUS_WIDTH)
        if not 1 <= shown <= 4000:
            raise ValueError(shown)
        x = float(request.form["focus.x"]) / shown
        y = float(request.form["focus.y"]) / (shown * image["height"] / image["width"])
    except (KeyError, ValueError):
        raise ApiError(422, "validation_error", _("Click the product in the photo."), {"focus": "missing"}) from None
    set_focus(session, campaign, image_id, x, y)
    session.commit()
    flash(_("Crops now centre on the point you clicked."))
    return redirect(url_for("console.campaign", campaign_id=campaign_id, _anchor="images"), 303)


@bp.post(f"/campaigns/<{ID}:campaign_id>/images")
@staff_required()
def campaign_upload(campaign_id: int):
    """Upload a product photo or the brand's logo (PNG, JPEG or WebP); refused files are
    explained on the campaign page (413, 415 or 422). :raise 404: not in this workspace."""
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    form = ImageForm()
    if not form.validate():
        return _campaign_page(campaign_id, form, 422)
    try:
        add_image(session, storage.storage(), campaign, form.file.data.read(MAX_BYTES + 1), form.role.data)
        session.commit()
    except ApiError as exc:
        form.file.errors = [image_refusal(exc) or explain(exc.message)]
        return _campaign_page(campaign_id, form, exc.status)
    flash(_("The logo is uploaded; the images now show it.") if form.role.data == "logo"
          else _("The photo is uploaded; the images now show it."))
    return redirect(url_for("console.campaign", campaign_id=campaign_id, _anchor="images"), 303)



@bp.post("/campaigns/preview")
@staff_required()
def campaign_preview_new():
    """The live preview of a campaign being written (an HTML fragment; nothing is stored)."""
    return preview_fragment(None)


@bp.post(f"/campaigns/<{ID}:campaign_id>/preview")
@staff_required()
def campaign_preview(campaign_id: int):
    """The live preview of a campaign being edited. :raise 404: not in this workspace."""
    return preview_fragment(campaign_id)


@bp.get(f"/campaigns/<{ID}:campaign_id>/schedule")
@staff_required()
def campaign_schedule(campaign_id: int):
    """The month calendar (``?month=YYYY-MM``), the schedule form, the publications. :raise 404: not ours."""
    return schedule.show(campaign_id)


@bp.post(f"/campaigns/<{ID}:campaign_id>/schedule")
@staff_required()
def campaign_schedule_save(campaign_id: int):
    """Schedule the chosen channels at one time or each at its next posting time. :raise 404: not ours."""
    return schedule.save(campaign_id)


@bp.post(f"/campaigns/<{ID}:campaign_id>/publications/<{ID}:publication_id>/cancel")
@staff_required()
def publication_cancel(campaign_id: int, publication_id: int):
    """Cancel a scheduled publication. :raise 404: not a publication of this workspace's campaign."""
    return schedule.cancel(campaign_id, publication_id)


@bp.post(f"/campaigns/<{ID}:campaign_id>/slots")
@staff_required()
def workspace_slots_save(campaign_id: int):
    """Replace the workspace's posting times, back to this campaign's schedule. :raise 404: not ours."""
    return schedule.save_slots(campaign_id)
