"""The campaign form as the campaign services' input, and their refusals as the form's errors.

Times are typed in the workspace's time zone (``<input type="datetime-local">``
carries no zone) and become aware datetimes here. The input goes through the
API's own schema (:class:`publishing.schemas.CampaignIn`) and services, so a
page and an API call accept and refuse exactly the same campaigns.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from wtforms import Form
from wtforms.fields.choices import SelectChoice

from catalog.models import Campaign
from channels.content import MasterContent
from plumbing.money import from_minor, is_currency, parse_amount
from publishing.campaigns import campaign_input
from publishing.render.looks import LOOKS, MAX_BADGES
from publishing.schemas import CampaignIn
from web.console.campaign_messages import explain
from web.console.forms import LANGUAGES, LOCAL_TIME, CampaignForm

# Where a service's field name (``commission.value``) shows on the form.
_FORM_FIELD = {"commission": "commission_value", "commission.value": "commission_value",
               "commission.type": "commission_type", "invite_bonus": "invite_value",
               "invite_bonus.value": "invite_value", "invite_bonus.type": "invite_type"}
_SEPARATORS = re.compile(r"[\s,，、;；#＃]+")


class Refused(Exception):
    """The input was refused; ``fields`` maps each service field name to its message."""

    def __init__(self, fields: dict):
        super().__init__("refused")
        self.fields = fields


def local_text(value: datetime | None, zone: str) -> str:
    """An aware datetime as ``datetime-local`` text in ``zone`` (to the minute)."""
    return value.astimezone(ZoneInfo(zone)).strftime(LOCAL_TIME) if value else ""


def aware(value: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time typed in ``zone`` as an aware datetime (the earlier one where clocks go back)."""
    return value.replace(tzinfo=ZoneInfo(zone)) if value else None


def split_list(text: str | None) -> list[str]:
    """Words typed as a list: ``"#春茶 #龙井, tea"`` → ``["春茶", "龙井", "tea"]`` (hashtags, posting times)."""
    return [word for word in _SEPARATORS.split(text or "") if word]


def _text(value) -> str:
    return (value or "").strip()


def raw_input(form: CampaignForm, zone: str) -> dict:
    """The form as a JSON body of ``POST /api/v1/campaigns`` would carry it."""
    def iso(value):
        moment = aware(value, zone)
        return moment.isoformat() if moment else None

    invite = ({"type": form.invite_type.data, "value": _text(form.invite_value.data)}
              if form.invite_type.data else None)
    return {
        "name": _text(form.name.data), "title": _text(form.title.data), "body": (form.body.data or "").strip(),
        "hashtags": split_list(form.hashtags.data), "price": _text(form.price.data),
        "original_price": _text(form.original_price.data) or None, "currency": _text(form.currency.data).upper(),
        "landing_url": _text(form.landing_url.data), "channels": list(form.channels.data or []),
        "commission": {"type": form.commission_type.data, "value": _text(form.commission_value.data)},
        "invite_bonus": invite, "attribution_window_days": form.attribution_window_days.data,
        "starts_at": iso(form.starts_at.data), "ends_at": iso(form.ends_at.data),
        "brand_name": _text(form.brand_name.data), "brand_color": _text(form.brand_color.data).upper(),
        "call_to_action": _text(form.call_to_action.data), "language": form.language.data,
        "look": form.look.data, "badges": split_list(form.badges.data),
        "seller_opener": _text(form.seller_opener.data),
        "template_id": int(form.template_id.data) if (form.template_id.data or "").isascii() and (form.template_id.data or "").isdigit() else None,
    }


def flatten(messages: dict, prefix: str = "") -> dict[str, object]:
    """A schema's nested messages (``{"commission": {"value": [...]}}``) keyed ``commission.value``."""
    out: dict[str, object] = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


def load_input(form: CampaignForm, zone: str) -> dict:
    """The form's campaign, loaded by the API's schema. :raise Refused: a field the schema refuses."""
    try:
        return CampaignIn().load(raw_input(form, zone))
    except ValidationError as exc:
        raise Refused(flatten(exc.messages)) from None


def changes_of(campaign: Campaign, data: dict, zone: str) -> dict:
    """What ``data`` (a whole loaded campaign) changes: the body of a PATCH.

    A date shown to the minute and sent back untouched is no change (the
    stored one may carry seconds, and "ends in the past" is checked only
    when the end changes).
    """
    before = campaign_input(campaign)
    changes = {}
    for name, value in data.items():
        old = before.get(name)
        if name in ("starts_at", "ends_at"):
            if local_text(old, zone) == local_text(value, zone):
                continue
        elif old == value:
            continue
        changes[name] = value
    return changes


def place_errors(form: Form, fields: dict) -> list[str]:
    """Put each refused field's message (translated) on the form; returns those no field shows."""
    loose = []
    for name, message in fields.items():
        target = _FORM_FIELD.get(name) or name.split(".")[0]
        field = getattr(form, target, None) if target in form else None
        text = explain(message)
        if field is None:
            loose.append(text)
        elif text not in field.errors:
            field.errors = [*field.errors, text]
    return loose


def fill_form(form: CampaignForm, campaign: Campaign, zone: str) -> None:
    """Put a stored campaign's values in the form (the edit page's first view)."""
    values = campaign_input(campaign)
    form.name.data, form.title.data, form.body.data = values["name"], values["title"], values["body"]
    form.hashtags.data = " ".join(values["hashtags"])
    form.price.data, form.original_price.data = values["price"], values["original_price"] or ""
    form.currency.data, form.landing_url.data = values["currency"], values["landing_url"]
    form.call_to_action.data, form.channels.data = values["call_to_action"], values["channels"]
    form.commission_type.data = values["commission"]["type"]
    form.commission_value.data = values["commission"]["value"]
    invite = values["invite_bonus"] or {"type": "", "value": ""}
    form.invite_type.data, form.invite_value.data = invite["type"], invite["value"]
    form.attribution_window_days.data = values["attribution_window_days"]
    zone_info = ZoneInfo(zone)
    for name in ("starts_at", "ends_at"):
        value = values[name]
        getattr(form, name).data = value.astimezone(zone_info).replace(tzinfo=None, second=0, microsecond=0) \
            if value else None
    form.brand_name.data, form.brand_color.data = values["brand_name"], values["brand_color"].lower()
    form.language.data = values["language"]
    form.look.data, form.badges.data = values["look"], " ".join(values["badges"])
    form.seller_opener.data = values["seller_opener"]
    form.template_id.data = str(values["template_id"] or "")


def offer_language(form: CampaignForm, language: str | None) -> None:
    """Keep a campaign's language choosable even when the API set one the form does not list."""
    if language and language not in {choice.value for choice in LANGUAGES}:
        form.language.choices = [*LANGUAGES, SelectChoice(language, language)]


def _amount(text: str | None, currency: str) -> Decimal | None:
    try:
        return from_minor(parse_amount(_text(text), currency), currency)
    except ValueError:
        return None


def draft_content(form: CampaignForm, default_currency: str) -> tuple[MasterContent, bool]:
    """The unsaved form as master content for a preview, however incomplete; and whether
    the price was usable (a preview without one shows 0)."""
    currency = _text(form.currency.data).upper()
    currency = currency if is_currency(currency) else default_currency
    price = _amount(form.price.data, currency)
    content = MasterContent(
        title=_text(form.title.data), body=(form.body.data or "").strip(), price=price or Decimal(0),
        currency=currency, original_price=_amount(form.original_price.data, currency),
        hashtags=tuple(split_list(form.hashtags.data)),
        brand_name=_text(form.brand_name.data), brand_color=_text(form.brand_color.data) or "#C8102E",
        call_to_action=_text(form.call_to_action.data), landing_url=_text(form.landing_url.data),
        language=form.language.data or "zh-CN",
        look=form.look.data if form.look.data in LOOKS else "clean",
        badges=tuple(split_list(form.badges.data))[:MAX_BADGES], seller_opener=_text(form.seller_opener.data),
    )
    return content, price is not None
