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
    # catalog.products (the catalogue)
    "The product has invalid fields.": _l("The product has invalid fields."),
    "must not be above the price": _l("Must not be above the price."),
    "cannot change once the product has sold": _l("The currency cannot change once the product has sold."),
    "No such product.": _l("No such product."),
    "The product has sold: archive it (PATCH archived=true) instead.": _l("This product has sold: archive it instead."),
    "A campaign promotes this product: archive it instead.": _l("A campaign promotes this product: archive it instead."),
    "The campaign does not promote this product.": _l("The campaign does not promote this product."),
    "not a product of the campaign, or archived": _l("Not a product of the campaign, or archived."),
    "taken": _l("This is taken already."),
    # referrals.program and referrals.grades
    "The programme settings are invalid.": _l("The programme settings are invalid."),
    "required when the mode is days": _l("Give the number of days."),
    "a percentage above 0 and at most 100": _l("A percentage above 0 and at most 100."),
    "The grade has invalid fields.": _l("The grade has invalid fields."),
    "Another grade has this rank.": _l("Another grade has this rank."),
    # referrals.conversions and line_refunds (sales and refunds, e.g. an imported file's rows)
    "Invalid amount.": _l("Invalid amount."),
    "Invalid row.": _l("Invalid row."),
    "The refunds would exceed the sale.": _l("The refunds would exceed the sale."),
    "The refund's items are invalid.": _l("The refund's items are invalid."),
    "The refund names a line its sale does not have.": _l("The refund names a line its sale does not have."),
    "The refund names more than is left of a line of the sale.": _l(
        "The refund names more than is left of a line of the sale."),
    "The sale has no lines to name.": _l("The sale has no lines to name."),
    "not a line of this sale": _l("Not a line of this sale."),
    "no such product": _l("No such product."),
    "A sale needs the customer.": _l("A sale needs the customer."),
    "No such campaign.": _l("No such campaign."),
    # teams.contests
    "A contest needs a name.": _l("A contest needs a name."),
    "must not be blank": _l("This field is required."),
    "The contest ends before it starts.": _l("The contest ends before it starts."),
    "after starts_at": _l("Must be after the start."),
    "Prizes are fixed before a contest starts.": _l("Prizes are fixed before a contest starts."),
    "A contest needs two teams or more.": _l("A contest needs two teams or more."),
    "two or more": _l("Choose two teams or more."),
    "Each place has one prize: an amount, goods or both.": _l("Each place has one prize: an amount, goods or both."),
    "a new place with amount or goods": _l("Give each place once, with an amount or goods."),
    "No such team.": _l("No such team."),
}

# Messages with values in them: (pattern, translated text with the groups as named placeholders).
_PATTERNS = [
    (re.compile(r"has more than (?P<places>\d+) decimal places for (?P<currency>[A-Z]{3})"),
     lambda m: _("Use at most %(places)s decimal places for %(currency)s.", **m.groupdict())),
    (re.compile(r"unknown channel\(s\): (?P<channels>.+)"),
     lambda m: _("Unknown channels: %(channels)s.", **m.groupdict())),
    (re.compile(r"is before the campaign starts \((?P<at>[^)]+)\)"),
     lambda m: _("This is before the campaign starts (%(at)s).", at=_when(m["at"]))),
    (re.compile(r"is not before the campaign ends \((?P<at>[^)]+)\)"),
     lambda m: _("This is not before the campaign ends (%(at)s).", at=_when(m["at"]))),
    # The margin guard (catalog.products.check_margin, referrals.grades.check_rule_margin)
    (re.compile(r"The (?P<rule>commission|campaign (?P<id>\d+) (?:commission|invite_bonus)) rule would pay "
                r"(?P<paid>[\d.]+) on a sale at the brand's price, above the margin ceiling of (?P<ceiling>[\d.]+)\."),
     lambda m: _("%(rule)s would pay %(paid)s on a sale at the brand's price, above the margin ceiling of "
                 "%(ceiling)s.", rule=_margin_rule(m["rule"], m["id"]), paid=m["paid"], ceiling=m["ceiling"])),
    (re.compile(r"pays (?P<paid>[\d.]+) of at most (?P<ceiling>[\d.]+)"),
     lambda m: _("Would pay %(paid)s; the margin allows at most %(ceiling)s.", **m.groupdict())),
    (re.compile(r"The (?P<whose>grade's|repeat) (?P<name>commission|invite_bonus) would pay (?P<paid>[\d.]+) on "
                r"product (?P<product>\d+) at the brand's price, above its margin ceiling of (?P<ceiling>[\d.]+)\."),
     lambda m: _("%(rule)s would pay %(paid)s on product %(product)s at the brand's price, above its margin ceiling "
                 "of %(ceiling)s.", rule=_margin_rule(f"{m['whose']} {m['name']}", None), paid=m["paid"],
                 product=m["product"], ceiling=m["ceiling"])),
    (re.compile(r"exceeds the margin ceiling of product (?P<product>\d+)"),
     lambda m: _("Above the margin ceiling of product %(product)s.", **m.groupdict())),
    (re.compile(r"Another product already has the SKU '(?P<sku>.*)'\."),
     lambda m: _("Another product already has the SKU %(sku)s.", **m.groupdict())),
    (re.compile(r"at most (?P<amount>[\d.]+) is left of this line"),
     lambda m: _("At most %(amount)s is left of this line.", **m.groupdict())),
    (re.compile(r"at most (?P<quantity>\d+) left of this line"),
     lambda m: _("At most %(quantity)s left of this line.", **m.groupdict())),
    (re.compile(r"at most (?P<amount>[\d.]+)"),
     lambda m: _("At most %(amount)s.", **m.groupdict())),
    (re.compile(r"The sale was in (?P<currency>[A-Z]{3})\."),
     lambda m: _("The sale was in %(currency)s.", **m.groupdict())),
    (re.compile(r"must be (?P<currency>[A-Z]{3})"),
     lambda m: _("Must be %(currency)s.", **m.groupdict())),
    (re.compile(r"Longer than maximum length (?P<n>\d+)\."),
     lambda m: _("Use at most %(n)s characters.", **m.groupdict())),
    # The brand's own accounts (channels/x.py, weibo.py, wechat_official.py; publishing/direct_post.py)
    (re.compile(r"\w+: (?P<platform>X|Weibo|WeChat|Mastodon|Bluesky|LinkedIn|Facebook|Instagram) rate limit reached; resets at (?P<at>\S+)( \(.*\))?"),
     lambda m: _("%(platform)s's rate limit was reached; the post goes out after it resets (%(at)s).",
                 platform=m["platform"], at=_when(m["at"]))),
    (re.compile(r"\w+: the \w+ account needs connecting again.*", re.S),
     lambda m: _("The brand's account needs connecting again: open Accounts and connect it.")),
    (re.compile(r"no \w+ account is connected.*", re.S),
     lambda m: _("No brand account is connected for this channel: open Accounts and connect it.")),
    (re.compile(r"\w+: (?P<platform>X|Weibo|WeChat|Mastodon|Bluesky|LinkedIn|Facebook|Instagram) refused the access token.*", re.S),
     lambda m: _("%(platform)s refused the account's access: open Accounts and connect it again.",
                 platform=m["platform"])),
    (re.compile(r"\w+: (?P<platform>X|Weibo|WeChat|Mastodon|Bluesky|LinkedIn|Facebook|Instagram) refused the (?:post|article): (?P<detail>.*)", re.S),
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
    (re.compile(r"instagram: Instagram fetches each image from its public URL, and SHARECAST_PUBLIC_URL is not "
                r"public \((?P<host>[^)]*)\).*", re.S),
     lambda m: _("Instagram downloads each image from Sharecast's public address, and SHARECAST_PUBLIC_URL "
                 "(%(host)s) cannot be reached from the internet: whoever runs Sharecast must set it to its "
                 "public address.", **m.groupdict())),
    (re.compile(r"instagram: the Instagram caption is (?P<n>\d+) characters; Instagram takes at most (?P<limit>\d+)"),
     lambda m: _("The Instagram caption is %(n)s characters; Instagram takes at most %(limit)s.", **m.groupdict())),
    (re.compile(r"instagram: an Instagram post needs at least one image"),
     lambda m: _("An Instagram post needs at least one image: add a product image.")),
    (re.compile(r"\w+: the \w+ account waits for the choice of the page it posts as.*", re.S),
     lambda m: _("The brand's account waits for you to choose the page it posts as: open Accounts and choose it.")),
    (re.compile(r"wechat_official: an Official Account article needs a cover image"),
     lambda m: _("An Official Account article needs a cover image: add a product image.")),
]


def _margin_rule(rule: str, campaign_id: str | None) -> str:
    """The rule a margin message names, in the page's language."""
    named = {"commission": _l("The product's commission"), "grade's commission": _l("The grade's commission"),
             "grade's invite_bonus": _l("The grade's invite bonus"),
             "repeat commission": _l("The repeat-purchase commission"),
             "repeat invite_bonus": _l("The repeat-purchase invite bonus")}
    if rule in named:
        return str(named[rule])
    if rule.endswith("invite_bonus"):
        return _("The invite bonus of campaign %(id)s", id=campaign_id)
    return _("The commission of campaign %(id)s", id=campaign_id)


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
