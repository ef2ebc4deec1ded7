"""Sharers and invitations: the list, adding a sharer, invitation links, a sharer's page."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.orm import Session
from wtforms import EmailField, SearchField, SelectChoice, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from accounts.invitations import email_invitation, invitation_link, pass_url
from accounts.sessions import sign_out_seller_everywhere
from catalog.models import Campaign
from plumbing import database
from plumbing.errors import ApiError
from referrals.earnings import ledger_lines, sharer_performance
from referrals.links import link_urls
from referrals.models import ContactView, Link, LinkClickTotal, Sharer
from referrals.reports import list_sharers
from referrals.sharers import create_sharer, get_sharer
from web.console.blueprint import NAV, bp
from web.console.dashboard import channel_label
from web.session import staff_required

NAV.append(("console.sharers", _l("Sharers")))

SHARER = "/sharers/<int(min=1, max=2147483647):sharer_id>"
PAGE_SIZE = 50
INVITER_CHOICES = 500  # the newest sharers offered as "invited by"; older ones are rarely picked
NO_CONTROL = Regexp(r"^[^\x00-\x1f\x7f]*$", message=_l("Remove line breaks and control characters."))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Find a sharer"), validators=[Optional(), Length(max=200), NO_CONTROL])


class SharerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the sharer's name.")), Length(max=200),
                                               NO_CONTROL])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=320), NO_CONTROL])
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=32), NO_CONTROL])
    invited_by = SelectField(_l("Invited by"), coerce=str, validate_choice=False)


# What the create-sharer service's field errors say, in the page's language.
SERVICE_FIELD_ERRORS = {
    "email": _l("This is not an email address."),
    "phone": _l("This is not a phone number."),
    "invited_by": _l("Choose a sharer of this workspace, or nobody."),
}


def one_page(list_items, *args, **kwargs) -> dict:
    """``list_items(*args, **kwargs)``, a page of a list, where a cursor the list refuses (made up, or
    from another list) gets a message in the page's language.

    :raise ApiError 422: that cursor.
    """
    stale = ApiError(422, "validation_error", _("This page link is out of date or mistyped. Start again from the "
                                                "first page."), {"cursor": "not a cursor of this list"})
    try:
        return list_items(*args, **kwargs)
    except ApiError as exc:
        if "cursor" not in exc.fields:
            raise
        raise stale from None
    except StatementError as exc:
        # pagination.decode_cursor lets through a time at the edge of the calendar (year 1 or
        # 9999), which cannot be bound as UTC, and ids beyond PostgreSQL's integer, which the
        # database refuses; of what a list page sends, only its cursor can reach the database so.
        if not isinstance(exc.orig, OverflowError) and not isinstance(exc, DataError):
            raise
        database.session().rollback()
        raise stale from None


def shown_name(name: str, sharer_id: int) -> str:
    """A sharer's name; buyers enrolled without one are named by their number."""
    return name or _("Sharer #%(id)s", id=sharer_id)


def _inviter_choices(session: Session, workspace_id: int) -> list[SelectChoice]:
    sharers = session.execute(select(Sharer.id, Sharer.name).where(Sharer.workspace_id == workspace_id)
                              .order_by(Sharer.created_at.desc(), Sharer.id.desc()).limit(INVITER_CHOICES)).all()
    return [SelectChoice("", _("Nobody"))] + [SelectChoice(str(i), f"{shown_name(name, i)} (#{i})")
                                          for i, name in sharers]


@bp.get("/sharers")
@staff_required()
def sharers():
    """The workspace's sharers, newest first; ``q`` finds a name, email or phone; ``cursor`` pages.

    :raise 422: a cursor this list did not give (an error page), or a bad search (the form re-shown).
    """
    form = SearchForm(formdata=request.args)
    if request.args.get("q") is not None and not form.validate():
        return render_template("console/sharers.html", form=form, page=None), 422
    q = (form.q.data or "").strip() or None
    page = one_page(list_sharers, database.session(), g.key.workspace_id, q, request.args.get("cursor"), PAGE_SIZE)
    return render_template("console/sharers.html", form=form, page=page, q=q,
                           first_page=request.args.get("cursor") is not None)


@bp.route("/sharers/new", methods=["GET", "POST"])
@staff_required()
def new_sharer():
    """Add a sharer (joining is free; there is no fee anywhere). Bad input: 422 with the form re-shown."""
    session = database.session()
    form = SharerForm()
    form.invited_by.choices = _inviter_choices(session, g.key.workspace_id)
    if request.method == "GET":
        form.invited_by.data = request.args.get("invited_by", "")
    if form.validate_on_submit():
        inviter = form.invited_by.data or ""
        if inviter not in {choice.value for choice in form.invited_by.choices}:
            form.invited_by.errors.append(str(SERVICE_FIELD_ERRORS["invited_by"]))
        else:
            try:
                sharer = create_sharer(session, g.key.workspace_id, form.name.data, email=form.email.data or None,
                                       phone=form.phone.data or None, invited_by=int(inviter) if inviter else None)
            except ApiError as exc:
                session.rollback()
                for name, _message in exc.fields.items():
                    getattr(form, name).errors.append(str(SERVICE_FIELD_ERRORS.get(name, exc.message)))
            else:
                session.commit()
                flash(_("%(name)s was added. Create an invitation link to let them sign in.", name=sharer.name))
                return redirect(url_for("console.sharer", sharer_id=sharer.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("console/sharers_new.html", form=form), status


def sharer_links(session: Session, workspace_id: int, sharer_id: int) -> list[dict]:
    """The sharer's tracked links, newest first, with their campaign and click totals."""
    rows = session.execute(
        select(Link, Campaign.name, LinkClickTotal.clicks, LinkClickTotal.unique_clicks)
        .join(Campaign, Campaign.id == Link.campaign_id)
        .outerjoin(LinkClickTotal, LinkClickTotal.link_id == Link.id)
        .where(Link.workspace_id == workspace_id, Link.sharer_id == sharer_id)
        .order_by(Link.created_at.desc(), Link.id.desc()))
    public = current_app.config["PUBLIC_URL"]
    return [{"campaign_id": link.campaign_id, "campaign": name, "channel": link.channel or None,
             "url": link_urls(public, link.code)["url"], "disabled": link.disabled,
             "clicks": int(clicks or 0), "unique_clicks": int(unique or 0)} for link, name, clicks, unique in rows]


def ledger_reason(line: dict) -> str:
    """The sentence explaining one ledger line (``ledger_lines``' ``reason`` code and its context)."""
    order, campaign = line.get("order_id") or "—", line.get("campaign_title") or "—"
    reason = line["reason"]
    if reason == "commission_earned":
        return _("Commission on order %(order)s (%(campaign)s)", order=order, campaign=campaign)
    if reason == "invite_bonus_earned":
        return _("Invite bonus: order %(order)s sold by %(seller)s, whom they invited (%(campaign)s)",
                 order=order, seller=line.get("seller_name") or "—", campaign=campaign)
    if reason == "reversed_by_refund":
        return _("Order %(order)s was refunded, so its commission was reversed", order=order)
    if reason == "clawback_after_payout":
        return _("Order %(order)s was refunded after payout; the amount comes off the next payout", order=order)
    if reason == "approved":
        return _("Approved for payout: order %(order)s is past its holding period", order=order)
    if reason == "paid_in_payout":
        if line.get("batch_id") is None:
            return _("Paid by withdrawal (payout #%(payout)s)", payout=line.get("payout_id") or "—")
        return _("Paid in payout batch #%(batch)s", batch=line.get("batch_id") or "—")
    if reason == "held_for_withdrawal":
        return _("Held for a withdrawal request")
    if reason == "returned_from_withdrawal":
        return _("Returned to the balance: withdrawal refused or failed")
    return reason


@bp.get(SHARER)
@staff_required()
def sharer(sharer_id: int):
    """A sharer: who they are, their links, figures, earnings by state and ledger lines (``cursor`` pages those).

    :raise 404: not a sharer of this workspace. :raise 422: a bad cursor.
    """
    return _detail(get_sharer(database.session(), g.key.workspace_id, sharer_id), full_contact=False)


@bp.post(f"{SHARER}/contact")
@staff_required()
def contact(sharer_id: int):
    """The sharer's page with their full phone number and email; the view is recorded (who, whom, when).

    :raise 404: not a sharer of this workspace.
    """
    session = database.session()
    found = get_sharer(session, g.key.workspace_id, sharer_id)
    session.add(ContactView(workspace_id=g.key.workspace_id, user_id=g.user.id, sharer_id=found.id))
    session.commit()
    return _detail(found, full_contact=True)


def _detail(found: Sharer, full_contact: bool):
    """Contact details are masked unless ``full_contact`` (asked for, and recorded, by :func:`contact`)."""
    session = database.session()
    inviter = session.get(Sharer, found.invited_by) if found.invited_by else None
    return render_template(
        "console/sharers_detail.html", sharer=found, inviter=inviter, full_contact=full_contact,
        performance=sharer_performance(session, g.key.workspace_id, found.id),
        links=sharer_links(session, g.key.workspace_id, found.id),
        ledger=one_page(ledger_lines, session, g.key.workspace_id, found.id, cursor=request.args.get("cursor"),
                        limit=PAGE_SIZE),
        first_page=request.args.get("cursor") is not None, channel_label=channel_label,
        ledger_reason=ledger_reason)


@bp.post(f"{SHARER}/invite")
@staff_required()
def invite(sharer_id: int):
    """A new invitation link for the sharer (valid 7 days, one sign-in), shown once.

    :raise 404: not a sharer of this workspace.
    """
    session = database.session()
    found = get_sharer(session, g.key.workspace_id, sharer_id)
    issued = invitation_link(session, found)
    session.commit()
    return render_template("console/sharers_invite.html", sharer=found, link=pass_url(issued.token),
                           expires_at=issued.expires_at)


@bp.post(f"{SHARER}/invite/email")
@staff_required()
def email_invite(sharer_id: int):
    """Email the sharer a new invitation link (through the workspace's SMTP settings), in the page's language.

    :raise 404: not a sharer of this workspace. :raise 422: the sharer has no email address.
    """
    session = database.session()
    found = get_sharer(session, g.key.workspace_id, sharer_id)
    name = shown_name(found.name, found.id)
    if not found.email:
        raise ApiError(422, "validation_error", _("%(name)s has no email address. Add one, or copy an invitation "
                                                  "link and send it yourself.", name=name), {"email": "missing"})
    issued = invitation_link(session, found)
    session.commit()
    email_invitation(g.key.workspace_id, g.workspace.name, name, found.email, pass_url(issued.token))
    flash(_("An invitation is on its way to %(email)s.", email=found.email))
    return redirect(url_for("console.sharer", sharer_id=found.id), 303)


@bp.post(f"{SHARER}/sign-out")
@staff_required()
def sign_out_everywhere(sharer_id: int):
    """End every seller-space session of the sharer and void their unused invitation and sign-in links
    (a lost phone, a forwarded link). :raise 404: not a sharer of this workspace.
    """
    session = database.session()
    found = get_sharer(session, g.key.workspace_id, sharer_id)
    ended = sign_out_seller_everywhere(session, g.key.workspace_id, found.id)
    session.commit()
    flash(_("%(name)s is signed out (sessions ended: %(num)d); their unused links no longer work.",
            name=shown_name(found.name, found.id), num=ended))
    return redirect(url_for("console.sharer", sharer_id=found.id), 303)
