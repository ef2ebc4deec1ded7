"""A campaign's schedule: a month calendar of its publications, scheduling channels, cancelling,
and the workspace's posting times. Times are shown and typed in the workspace's time zone.

The routes live with the other campaign pages (:mod:`web.console.campaigns`); these are their bodies.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, get_day_names
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from wtforms.fields.choices import SelectChoice

from catalog.campaigns import get_campaign
from plumbing import database, redis_client
from plumbing.database import utcnow
from plumbing.errors import ApiError
from publishing import publish_jobs as jobs
from publishing.approvals import approval_state
from publishing.routes import campaign_view
from publishing.schedule import cancel_publication, get_slots, schedule, set_slots
from publishing.schedule_schemas import ScheduleIn
from publishing.slots import parse_slot, slot_text
from web.console.campaign_calendar import month_start, month_weeks, shift
from web.console.campaign_fields import aware, flatten, split_list
from web.console.campaign_messages import explain
from web.console.campaign_preview import reading
from web.console.forms import ScheduleForm, SlotsForm, channel_label


def _schedule_form(campaign, blank: bool = False) -> ScheduleForm:
    """The schedule form offering the campaign's channels; ``blank`` ignores the request's form data."""
    form = ScheduleForm(formdata=None) if blank else ScheduleForm()
    if blank or not form.is_submitted():
        form.publish_at.data = _default_time(g.timezone)
    form.channels.choices = [SelectChoice(c, channel_label(c)) for c in campaign.channels]
    return form


def _default_time(zone: str) -> datetime:
    """The next full hour, as the wall clock of ``zone`` shows it."""
    now = utcnow().astimezone(ZoneInfo(zone))
    return (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0, tzinfo=None)


def _page(campaign_id: int, form: ScheduleForm, slots_form: SlotsForm | None = None, status: int = 200,
          problems=()):
    """The schedule page; a POST's refused changes are dropped first. :raise ApiError 404: not ours."""
    with reading() as reader:
        campaign = get_campaign(reader, g.key.workspace_id, campaign_id)
        view = campaign_view(reader, campaign)
        approval = approval_state(reader, campaign)
        if slots_form is None:
            slots_form = _slots_form(reader)
    zone = ZoneInfo(g.timezone)
    today = utcnow().astimezone(zone).date()
    first = month_start(request.args.get("month"), today)
    entries = [(datetime.fromisoformat(p["publish_at_utc"]).astimezone(zone), p)
               for p in view["publications"] if p["status"] != "cancelled"]
    locale = get_locale()
    return render_template(
        "console/schedule.html", campaign=view, approval=approval, form=form, slots_form=slots_form, problems=problems,
        weeks=month_weeks(first, today, entries), month_title=format_skeleton("yMMMM", first, locale=locale),
        day_names=[get_day_names("abbreviated", locale=locale)[i] for i in range(7)],
        day_full_names=[get_day_names("wide", locale=locale)[i] for i in range(7)],
        prev_month=shift(first, -1).strftime("%Y-%m"), next_month=shift(first, 1).strftime("%Y-%m"),
        this_month=today.strftime("%Y-%m"), shown_month=first.strftime("%Y-%m"),
    ), status


def _slots_form(reader) -> SlotsForm:
    """The posting-times form holding the workspace's times now."""
    form = SlotsForm(formdata=None)
    form.slots.data = ", ".join(slot_text(m) for m in get_slots(reader, g.key.workspace_id))
    return form


def show(campaign_id: int):
    """The calendar (``?month=YYYY-MM``), the schedule form and the publications. :raise ApiError 404: not ours."""
    campaign = get_campaign(database.session(), g.key.workspace_id, campaign_id)
    return _page(campaign_id, _schedule_form(campaign))


def _requests(form: ScheduleForm) -> list[dict]:
    """The form as the body of ``POST /api/v1/campaigns/{id}/schedule`` would carry it."""
    if form.when.data == "slot":
        return [{"channel": c, "slot": "next"} for c in form.channels.data]
    moment = aware(form.publish_at.data, g.timezone).isoformat()
    return [{"channel": c, "publish_at": moment} for c in form.channels.data]


def _place(form: ScheduleForm, items: list[dict], fields: dict) -> list[str]:
    """The schedule service's field errors (``publications.<i>.<name>``) on the form's fields."""
    loose = []
    for key, message in fields.items():
        parts = key.split(".")
        text = explain(message)
        if len(parts) >= 2 and parts[0] == "publications" and parts[1].isascii() and parts[1].isdigit() and int(parts[1]) < len(items):
            text = _("%(channel)s: %(problem)s", channel=channel_label(items[int(parts[1])]["channel"]), problem=text)
            name = parts[2] if len(parts) > 2 else "channels"
            field = {"publish_at": form.publish_at, "slot": form.when}.get(name, form.channels)
            field.errors = [*field.errors, text]
        elif parts[0] == "publications":
            form.channels.errors = [*form.channels.errors, text]
        else:
            loose.append(text)
    return loose


def save(campaign_id: int):
    """Schedule the chosen channels (a channel scheduled again is moved); all or nothing.
    :raise ApiError 404: not ours."""
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    form = _schedule_form(campaign)
    if not form.validate():
        return _page(campaign_id, form, status=422)
    items = _requests(form)
    try:
        loaded = ScheduleIn().load({"publications": items})  # the API's own checks, e.g. years 2000 to 2100
        new = schedule(session, campaign, loaded["publications"], [], utcnow())
        session.commit()
    except ValidationError as exc:
        return _page(campaign_id, form, status=422, problems=_place(form, items, flatten(exc.messages)))
    except ApiError as exc:
        if exc.code == "approval_required":
            return _page(campaign_id, form, status=409,
                         problems=[_("An owner must approve this content before it is scheduled.")])
        problems = _place(form, items, exc.fields) if exc.fields else [explain(exc.message)]
        return _page(campaign_id, form, status=exc.status if exc.status in (409, 422) else 422, problems=problems)
    queue = redis_client.queue()
    for publication in new:
        jobs.enqueue(queue, publication.id, publication.publish_at)
    first = min(p.publish_at for p in new).astimezone(ZoneInfo(g.timezone))
    flash(_("Scheduled: %(count)s publication(s). They are listed below.", count=len(new)))
    return redirect(url_for("console.campaign_schedule", campaign_id=campaign_id, month=first.strftime("%Y-%m"),
                            _anchor="publications"), 303)


def cancel(campaign_id: int, publication_id: int):
    """Cancel a scheduled publication. :raise ApiError 404: not a publication of this workspace's campaign."""
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    try:
        cancel_publication(session, campaign, publication_id, utcnow())
        session.commit()
        flash(_("The publication is cancelled."))
    except ApiError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        flash(_("Only a scheduled publication can be cancelled; this one is not (any more)."), "error")
    return redirect(url_for("console.campaign_schedule", campaign_id=campaign_id,
                            month=request.args.get("month") or None, _anchor="publications"), 303)


def save_slots(campaign_id: int):
    """Replace the workspace's posting times (``09:00, 20:30``), then back to the schedule.
    :raise ApiError 404: not ours."""
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    slots_form = SlotsForm()
    minutes, bad = [], []
    if slots_form.validate():
        for text in split_list(slots_form.slots.data):
            try:
                minutes.append(parse_slot(text))
            except ValueError as exc:
                bad.append(f"{text}: {explain(str(exc))}")
    if bad or slots_form.errors:
        slots_form.slots.errors = [*slots_form.slots.errors, *bad]
        return _page(campaign_id, _schedule_form(campaign, blank=True), slots_form, 422)
    set_slots(session, g.key.workspace_id, minutes)
    session.commit()
    flash(_("The posting times are saved.") if minutes else _("The posting times are cleared."))
    return redirect(url_for("console.campaign_schedule", campaign_id=campaign_id), 303)
