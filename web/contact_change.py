"""The steps of changing how a seller is reached, shared by the profile page (web/seller/contact.py)
and the seller's own tools (web/contact_api.py), so both verify, limit and notify alike.

- A new number is used once the code texted to it is entered (the sign-in codes and SMS job).
- A new email address is used once the link emailed to it is opened (an ``email`` pass and the
  sign-in links' mail job); the previous address is then told, so a seller whose inbox was taken
  over learns of it. The old number is not texted a notice: the SMS providers send only the one
  approved sign-in code template (platforms/sms.py), and a notice would need its own template.
- WeChat is disconnected by removing the sharer's bindings.
"""
from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.orm import Session

from accounts import email_change, phone_codes, sms
from accounts.models import WeChatIdentity
from accounts.phone_codes import Outcome
from credentials import mail
from plumbing.database import utcnow
from referrals.identity import mask_email
from referrals.models import Sharer
from workspaces.models import Workspace


def text_phone_code(session: Session, phone: str) -> None:
    """Text a code to the new number ``phone`` (E.164); commits."""
    code = phone_codes.issue_code(session, current_app.config["SECRET_KEY"], phone)
    session.commit()
    sms.enqueue_sign_in_code(phone, code)


def confirm_phone(session: Session, sharer: Sharer, phone: str, code: str) -> Outcome:
    """Spend an attempt on ``code`` for ``phone``; OK makes the number the sharer's. Commits either way
    (a wrong code spends a try)."""
    outcome = phone_codes.check_code(session, current_app.config["SECRET_KEY"], phone, code)
    if outcome is Outcome.OK:
        sharer.phone, sharer.phone_changed_at = phone, utcnow()
    session.commit()
    return outcome


def email_link(session: Session, sharer: Sharer, workspace: Workspace, email: str) -> None:
    """Email a link confirming ``email`` (normalised, not the sharer's already) to that address; commits."""
    issued = email_change.ask(session, sharer, email)
    session.commit()
    link = f"{current_app.config['PUBLIC_URL']}{url_for('seller.confirm_email', token=issued.token)}"
    subject = _("Confirm your email address for %(brand)s", brand=workspace.name)
    text = _("Hello %(name)s,\n\nOpen this link within an hour to use this address for %(brand)s's seller space:\n"
             "%(link)s\n\nIf you did not ask for it, ignore this email: nothing changes.",
             name=sharer.display_name or sharer.name, brand=workspace.name, link=link)
    mail.enqueue_sign_in_link(sharer.workspace_id, email, subject, text, link)


def confirm_email(session: Session, token: str) -> Sharer | None:
    """Spend the emailed link: its address becomes the sharer's and the previous address (if any) is
    told. None, with nothing changed, when the link is unknown, used or expired. Commits."""
    found = email_change.peek(session, token)
    previous = session.get(Sharer, found.sharer_id).email if found is not None else None
    sharer = email_change.confirm(session, token)
    if sharer is None:
        session.rollback()
        return None
    session.commit()
    if previous and previous != sharer.email:
        _tell_previous_address(session, sharer, previous)
    return sharer


def _tell_previous_address(session: Session, sharer: Sharer, previous: str) -> None:
    workspace = session.get(Workspace, sharer.workspace_id)
    sign_in = f"{current_app.config['PUBLIC_URL']}{url_for('web_auth.seller_sign_in')}"
    subject = _("Your email address for %(brand)s was changed", brand=workspace.name)
    text = _("Hello %(name)s,\n\nThe email address of your seller space at %(brand)s is now %(email)s; "
             "this address no longer receives its sign-in links.\n\nIf you did not change it, sign in with "
             "your phone or WeChat and change it back, or tell %(brand)s at once:\n%(link)s",
             name=sharer.display_name or sharer.name, brand=workspace.name, email=mask_email(sharer.email),
             link=sign_in)
    mail.enqueue_sign_in_link(sharer.workspace_id, previous, subject, text, sign_in)


def disconnect_wechat(session: Session, sharer: Sharer) -> bool:
    """Unbind every WeChat of the sharer (it no longer signs them in); whether one was bound. Commits."""
    removed = session.execute(delete(WeChatIdentity).where(WeChatIdentity.sharer_id == sharer.id)).rowcount
    session.commit()
    return removed > 0
