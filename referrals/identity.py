"""Normalised contact details, so a buyer and a sharer can be compared."""
from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "CN"


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


def same_person(a_email: str | None, a_phone: str | None, b_email: str | None, b_phone: str | None) -> bool:
    """True when both sides share a normalised email or phone."""
    ea, eb = normalize_email(a_email), normalize_email(b_email)
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
