"""A sharer's own data: a copy to download, and erasure on request (PIPL).

Erasure removes what identifies the person (name, contact details, external id,
notification address, WeChat identity, sign-in codes, sessions) and disables
their links; the ledger's amounts stay, now attached to an anonymous sharer, so
commissions already earned, paid or reversed still add up in the books.
"""
from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from accounts.models import PhoneCode, SellerPass, WeChatIdentity
from accounts.sessions import sign_out_seller_everywhere
from plumbing.database import utcnow
from plumbing.money import format_amount
from referrals.links import link_urls
from referrals.models import Commission, LedgerEntry, Link, RetiredAvatar, Sharer

ERASED_NAME = "—"


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_sharer(session: Session, sharer: Sharer, public_url: str) -> dict:
    """Everything Sharecast keeps about the sharer, as plain JSON values."""
    links = session.scalars(select(Link).where(Link.sharer_id == sharer.id).order_by(Link.id)).all()
    commissions = session.scalars(select(Commission).where(Commission.sharer_id == sharer.id)
                                  .order_by(Commission.id)).all()
    ledger = session.scalars(select(LedgerEntry).where(LedgerEntry.sharer_id == sharer.id)
                             .order_by(LedgerEntry.id)).all()
    wechat = session.scalars(select(WeChatIdentity).where(WeChatIdentity.sharer_id == sharer.id)).all()
    return {
        "exported_at": utcnow().isoformat(),
        "sharer": {"id": sharer.id, "name": sharer.name, "display_name": sharer.display_name, "email": sharer.email,
                   "phone": sharer.phone, "external_id": sharer.external_id, "code": sharer.code,
                   "source": sharer.source, "invited_by": sharer.invited_by, "created_at": _when(sharer.created_at),
                   "notify_email": sharer.notify_email, "notify_url": sharer.notify_url,
                   "avatar_key": sharer.avatar_key},
        "wechat": [{"app_id": w.app_id, "openid": w.openid, "unionid": w.unionid, "created_at": _when(w.created_at)}
                   for w in wechat],
        "links": [{"code": lk.code, "campaign_id": lk.campaign_id, "channel": lk.channel,
                   "url": link_urls(public_url, lk.code)["url"], "disabled": lk.disabled} for lk in links],
        "commissions": [{"id": c.id, "campaign_id": c.campaign_id, "level": c.level, "currency": c.currency,
                         "amount": format_amount(c.amount_minor, c.currency),
                         "reversed": format_amount(c.reversed_minor, c.currency), "status": c.status,
                         "created_at": _when(c.created_at)} for c in commissions],
        "ledger": [{"bucket": e.bucket, "reason": e.reason, "currency": e.currency,
                    "amount": format_amount(e.amount_minor, e.currency), "created_at": _when(e.created_at)}
                   for e in ledger],
    }


def erase_sharer(session: Session, sharer: Sharer) -> None:
    """Remove the sharer's personal data, keep the amounts; the caller commits."""
    if sharer.phone:
        session.execute(delete(PhoneCode).where(PhoneCode.phone == sharer.phone))
    session.execute(delete(WeChatIdentity).where(WeChatIdentity.sharer_id == sharer.id))
    session.execute(update(Link).where(Link.sharer_id == sharer.id).values(disabled=True))
    sign_out_seller_everywhere(session, sharer.workspace_id, sharer.id)
    session.execute(update(SellerPass).where(SellerPass.sharer_id == sharer.id).values(email=None))
    sharer.name, sharer.display_name, sharer.email, sharer.phone, sharer.external_id = ERASED_NAME, None, None, None, None
    sharer.notify_email, sharer.notify_url, sharer.notify_secret_sealed = False, None, None
    if sharer.avatar_key:  # the public file goes too, once no poster is being drawn with it
        session.add(RetiredAvatar(storage_key=sharer.avatar_key))
    sharer.avatar_key = None
    session.flush()
