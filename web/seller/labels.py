"""Words the portal shows for codes: channel names, ledger reasons, other sellers' names."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from channels import REGISTRY
from web.i18n import current_language

CHANNELS = {
    "wechat_moments": _l("WeChat Moments"), "wechat_official": _l("WeChat Official Account"),
    "weibo": _l("Weibo"), "qzone": _l("QQ Zone"), "xiaohongshu": _l("Xiaohongshu"), "douyin": _l("Douyin"),
    "zhihu": _l("Zhihu answer or article"), "zhihu_pin": _l("Zhihu pin"), "tieba": _l("Baidu Tieba"),
    "douban_group": _l("Douban group"),
    "x": "X", "facebook": "Facebook", "instagram": "Instagram", "linkedin": _l("LinkedIn"),
    "mastodon": "Mastodon", "bluesky": "Bluesky",
    "telegram": "Telegram", "whatsapp": "WhatsApp", "email": _l("Email"), "webhook": _l("Webhook"),
}
BUCKETS = {"pending": _l("Pending"), "approved": _l("Approved"), "paid": _l("Paid"), "reversed": _l("Reversed"),
           "withdrawing": _l("Being withdrawn")}


def channel_label(channel: str | None) -> str:
    """A channel's name in the page's language; the general link (no channel) is "Any channel"."""
    if not channel:
        return _("Any channel")
    return str(CHANNELS.get(channel, channel))


def channel_tone(channel: str | None) -> str:
    """How posts read on the channel and what its rules forbid, in the page's language ("" if unsaid)."""
    spec = REGISTRY[channel].spec if channel in REGISTRY else None
    if spec is None:
        return ""
    return spec.tone_zh if current_language() == "zh_CN" else spec.tone


def reason_sentence(line: dict) -> str:
    """One ledger line (referrals.earnings.ledger_lines) as a sentence saying why the money moved."""
    order = line.get("order_id") or "?"
    campaign = line.get("campaign_title") or ""
    reason = line["reason"]
    if reason == "commission_earned":
        return _("Commission on order %(order)s (%(campaign)s), waiting for the holding period.",
                 order=order, campaign=campaign)
    if reason == "invite_bonus_earned":
        return _("Invite bonus: %(seller)s, who joined through you, sold order %(order)s (%(campaign)s).",
                 seller=line.get("seller_name") or _("a seller"), order=order, campaign=campaign)
    if reason == "reversed_by_refund":
        return _("Order %(order)s was refunded, so its commission is reversed.", order=order)
    if reason == "clawback_after_payout":
        return _("Order %(order)s was refunded after you were paid; the amount comes off your next payout.",
                 order=order)
    if reason == "approved":
        return _("Commission on order %(order)s approved: the holding period is over.", order=order)
    if reason == "paid_in_payout":
        if line.get("batch_id"):
            return _("Paid to you in payout batch %(batch)s.", batch=line["batch_id"])
        return _("Paid to you.")
    if reason == "held_for_withdrawal":
        return _("Set aside for your withdrawal request.")
    if reason == "target_bonus":
        return _("Target bonus: you reached a target with your own sales; it waits for the holding period.")
    if reason == "returned_from_withdrawal":
        return _("Back in your balance: the withdrawal was refused or did not go through.")
    return _("Balance adjustment.")


RAILS = {"wechat": _l("WeChat Pay (to your WeChat balance)"), "alipay": _l("Alipay"),
         "paypal": _l("PayPal (outside China)"), "bank": _l("Bank transfer")}
WITHDRAWAL_STATUSES = {"requested": _l("Waiting for review"), "approved": _l("Approved, being sent"),
                       "sending": _l("Being sent"), "paid": _l("Paid"), "refused": _l("Refused"),
                       "failed": _l("Did not go through")}


def rail_label(rail: str) -> str:
    return str(RAILS.get(rail, rail))


def withdrawal_status_label(status: str) -> str:
    return str(WITHDRAWAL_STATUSES.get(status, status))


def masked_name(name: str | None) -> str:
    """Another seller's name on the board, as the leaderboard service masked it, or "A seller"."""
    return name or _("A seller")
