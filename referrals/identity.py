"""Normalised contact details, so a buyer and a sharer can be compared."""
from __future__ import annotations

import unicodedata

import phonenumbers

DEFAULT_REGION = "CN"

# Mail providers that deliver ``s.e.l.l.e.r@`` to ``seller@`` (dots in the local
# part are ignored), each mapped to its canonical domain. Google documents it
# for Gmail ("Dots don't matter in Gmail addresses"), and googlemail.com is the
# same mailbox. Outlook, Yahoo, QQ, 163 and most others treat dots as
# significant, so they are not listed.
DOTS_IGNORED = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def normalize_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return None
    return value.strip().lower()


def normalize_phone(value: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 (``+8613800138000``) or None when it is not a possible number."""
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mailbox_of(value: str | None) -> str | None:
    """The mailbox an address reaches, to tell whether two addresses are one person; never for sending.

    NFKC first (a full-width ``＠``, ``Ｓ``, or the Kelvin sign ``\u212a`` are ``@``, ``S``, ``K``), then
    case-folded; the domain loses a trailing dot (``shop.com.`` is ``shop.com``); the local part loses a
    plus-tag (``seller+shop@``: RFC 5233 subaddressing, honoured by Gmail, Outlook, iCloud, Fastmail,
    ProtonMail...), and its dots where the provider ignores them (``DOTS_IGNORED``).
    None when it is no address.
    """
    if not value:
        return None
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    local, at, domain = text.rpartition("@")
    domain = domain.strip().rstrip(".")
    local = local.strip().split("+", 1)[0]
    if not at or not domain:
        return None
    if domain in DOTS_IGNORED:
        local, domain = local.replace(".", ""), DOTS_IGNORED[domain]
    return f"{local}@{domain}" if local else None


def same_person(a_email: str | None, a_phone: str | None, b_email: str | None, b_phone: str | None) -> bool:
    """True when both sides reach one mailbox (see ``mailbox_of``) or share a normalised phone."""
    ea, eb = mailbox_of(a_email), mailbox_of(b_email)
    pa, pb = normalize_phone(a_phone), normalize_phone(b_phone)
    return bool((ea and ea == eb) or (pa and pa == pb))


def mask_phone(value: str | None) -> str:
    """A number as people without need see it: ``+86138****8000`` (the middle four digits hidden)."""
    if not value:
        return ""
    return value[:-8] + "****" + value[-4:] if len(value) > 8 else "****"


def mask_email(value: str | None) -> str:
    """An address as people without need see it: ``l***@example.com``."""
    if not value or "@" not in value:
        return ""
    local, domain = value.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


def poster_name(name: str | None, display_name: str | None, source: str) -> str:
    """The name a public poster prints for a sharer: the one they chose; else, for a seller the brand
    invited, their name; for a buyer enrolled by a sale, nothing ("a friend"): the shop's copy of a
    buyer's real name never goes public until they choose what to show."""
    if display_name:
        return display_name
    return (name or "") if source != "enrolled" else ""
