"""The invitation a brand sends a sharer: a one-time sign-in link (7 days) by email, in the
request's language. Used by the sharer's console page and by the bulk import of sharers."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from accounts import passes
from credentials import mail
from referrals.models import Sharer


def invitation_link(session: Session, sharer: Sharer) -> passes.Issued:
    """A new invitation pass for the sharer (its link: ``pass_url``); the caller commits."""
    return passes.issue_pass(session, sharer, "invite")


def pass_url(token: str) -> str:
    """The pass's link under ``PUBLIC_URL``; built from the URL map, so a background job (the
    console's sharer import) makes it as a request does."""
    path = current_app.url_map.bind("").build("web_auth.seller_pass", {"token": token})
    return f"{current_app.config['PUBLIC_URL']}{path}"


def email_invitation(workspace_id: int, brand: str, name: str, email: str, link: str) -> None:
    """Queue the invitation email (after the pass is committed)."""
    subject = _("%(brand)s invites you to share on Sharecast", brand=brand)
    text = _("Hello %(name)s,\n\n%(brand)s invites you to its seller space: ready-made posts with your own link, "
             "and commission on every real sale they bring. Joining is free.\n\nOpen this link within 7 days to "
             "sign in:\n%(link)s\n\nThe link works once and is only for you.", name=name, brand=brand, link=link)
    mail.enqueue_sign_in_link(workspace_id, email, subject, text, link)
