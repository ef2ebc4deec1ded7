"""The services' English field messages, said in the page's language.

The services (shared with the API) explain a refused field in English; the
console shows the same explanation translated. A message this table does not
know is shown as the service wrote it, never dropped.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.i18n import when

_EXACT = {
    # publishing.campaigns / money.parse_amount
    "must be above 0": _l("Must be above 0."),
    "must not be below the price": _l("Must not be below the price."),
    "must not contain spaces or control characters": _l("Must not contain spaces or control characters."),
    "is not a valid URL": _l("This is not a valid web address."),
    "must be an absolute http(s) URL": _l("Give a full web address starting with https:// or http://."),
    "must not carry credentials": _l("The address must not contain a user name or password."),
    "must not point back at Sharecast itself": _l("The product page must be on your shop's site, not on Sharecast."),
    "each channel may appear once": _l("Each channel may be chosen once."),
    "commission and invite bonus together exceed the price": _l(
        "The commission and the invite bonus together are more than the price."),
    "must be after starts_at": _l("Must be after the start."),
    "must be in the future": _l("Must be in the future."),
    'must be a decimal string such as "199.00"': _l("Write an amount such as 199.00."),
    'must be a plain decimal string such as "199.00"': _l("Write an amount such as 199.00."),
    'Must be a non-negative decimal string such as "199.00".': _l("Write an amount such as 199.00."),
    'Must be a decimal string such as "199.00" (not a number).': _l("Write an amount such as 199.00."),
    "is too large": _l("This amount is too large."),
    "no such template in this workspace": _l("Choose one of your workspace's templates."),
    "cannot change once the campaign has sales": _l(
        "The currency cannot change once the campaign has sales: its amounts are in the old one."),
    # catalog.rules.parse_rule
    "value must be a decimal string": _l("Write a number such as 10 or 12.50."),
    "a percentage must be above 0 and at most 100": _l("A percentage must be above 0 and at most 100."),
    "a percentage may have at most 4 decimal places": _l("A percentage may have at most 4 decimal places."),
    "a fixed commission must be above 0": _l("A fixed amount must be above 0."),
    "type must be 'percent' or 'fixed'": _l("Choose a percentage or a fixed amount."),
    # fields.py and the schemas
    "not an ISO-4217 code": _l("Not a currency code; write one such as CNY, USD or EUR."),
    "Must be a colour written #RRGGBB.": _l("Write the colour as #RRGGBB."),
    "Must be a language tag such as zh-CN or en.": _l("Choose a language."),
    "must be between 2000 and 2100": _l("Give a date between 2000 and 2100."),
    "must not contain NUL characters": _l("Remove the invisible control characters."),
    "Missing data for required field.": _l("This field is required."),
    # publishing.schedule
    "is in the past": _l("This time has passed."),
    "each channel may be scheduled once per request": _l("Each channel may be chosen once."),
    "no free time slot before the campaign ends": _l("No posting time is free before the campaign ends."),
    "the workspace has no time slots; set them with PUT /api/v1/workspace/slots": _l(
        "There are no posting times yet; add them below."),
    "replaced by a new schedule": _l("Replaced by a new schedule."),
    "cancelled": _l("Cancelled."),
    "must be a 24-hour time written HH:MM": _l("Write each time as HH:MM, for example 09:00 or 20:30."),
}

# Messages with values in them: (pattern, translated text with the groups as named placeholders).
_PATTERNS = [
    (re.compile(r"the campaign does not fit the template: (?P<detail>.+)", re.S),
     lambda m: _("The title or the price does not fit the poster template at its smallest size (%(detail)s). "
                 "Shorten the title, or choose a look or another template.", **m.groupdict())),
    (re.compile(r"has more than (?P<places>\d+) decimal places for (?P<currency>[A-Z]{3})"),
     lambda m: _("Use at most %(places)s decimal places for %(currency)s.", **m.groupdict())),
    (re.compile(r"unknown channel\(s\): (?P<channels>.+)"),
     lambda m: _("Unknown channels: %(channels)s.", **m.groupdict())),
    (re.compile(r"is before the campaign starts \((?P<at>[^)]+)\)"),
     lambda m: _("This is before the campaign starts (%(at)s).", at=_when(m["at"]))),
    (re.compile(r"is not before the campaign ends \((?P<at>[^)]+)\)"),
     lambda m: _("This is not before the campaign ends (%(at)s).", at=_when(m["at"]))),
    (re.compile(r"Longer than maximum length (?P<n>\d+)\."),
     lambda m: _("Use at most %(n)s characters.", **m.groupdict())),
    # The brand's own accounts (channels/x.py, weibo.py, wechat_official.py; publishing/direct_post.py)
    (re.compile(r"\w+: (?P<platform>X|Weibo|WeChat|Mastodon|Bluesky|LinkedIn|Facebook) rate limit reached; resets at (?P<at>\S+)( \(.*\))?"),
     lambda m: _("%(platform)s's rate limit was reached; the post goes out after it resets (%(at)s).",
                 platform=m["platform"], at=_when(m["at"]))),
    (re.compile(r"\w+: the \w+ account needs connecting again.*", re.S),
     lambda m: _("The brand's account needs connecting again: open Accounts and connect it.")),
    (re.compile(r"no \w+ account is connected.*", re.S),
     lambda m: _("No brand account is connected for this channel: open Accounts and connect it.")),
    (re.compile(r"\w+: (?P<platform>X|Weibo|WeChat|Mastodon|Bluesky|LinkedIn|Facebook) refused the access token.*", re.S),
     lambda m: _("%(platform)s refused the account's access: open Accounts and connect it again.",
                 platform=m["platform"])),
    (re.compile(r"\w+: (?P<platform>X|Weibo|WeChat|Mastodon|Bluesky|LinkedIn|Facebook) refused the (?:post|article): (?P<detail>.*)", re.S),
     lambda m: _("%(platform)s refused the post: %(detail)s", platform=m["platform"], detail=m["detail"])),
    (re.compile(r"weibo: Weibo's share API only takes posts with a link on the app's secure domain "
                r"\((?P<domain>[^)]*)\); this post's link is (?P<host>.*)"),
     lambda m: _("Weibo only takes links on the app's secure domain (%(domain)s); this post links to %(host)s.",
                 **m.groupdict())),
    (re.compile(r"weibo: the picture is 5 MB or more.*"),
     lambda m: _("The picture is too large for Weibo (under 5 MB).")),
    (re.compile(r"bluesky: Bluesky refused the handle and app password.*", re.S),
     lambda m: _("Bluesky refused the handle and app password: create a new app password and store it again.")),
    (re.compile(r"linkedin: LinkedIn posts as the one page the connected member administers; they administer "
                r"(?P<n>\d+) \((?P<pages>[^)]*)\).*", re.S),
     lambda m: _("LinkedIn posts as the one page the connecting member administers; this member administers "
                 "%(n)s (%(pages)s): connect a member who administers only the brand's page.", **m.groupdict())),
    (re.compile(r"wechat_official: an Official Account article needs a cover image"),
     lambda m: _("An Official Account article needs a cover image: add a product image.")),
]


def _when(iso: str) -> str:
    try:
        return when(iso, "short")
    except ValueError:
        return iso


def explain(message) -> str:
    """``message`` (a service's field message, or a list of them) in the page's language."""
    if isinstance(message, (list, tuple)):
        return " ".join(explain(m) for m in message)
    if isinstance(message, dict):
        return " ".join(explain(m) for m in message.values())
    text = str(message)
    if text in _EXACT:
        return str(_EXACT[text])
    for pattern, say in _PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return say(found)
    return text
