"""Exact money: integer minor units at rest, decimal strings on the wire.

Rounding is stated once, here: ROUND_HALF_UP to the currency's minor unit
(ISO 4217 exponent, from Babel's CLDR data: CNY 2, JPY 0, ...).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision, list_currencies

ROUNDING = ROUND_HALF_UP
_CURRENCIES = frozenset(list_currencies())
# Above this a single amount is certainly a typo (and would overflow int64 minor units long before).
MAX_MAJOR = Decimal("1000000000")


def is_currency(code: str) -> bool:
    return code in _CURRENCIES


def exponent(currency: str) -> int:
    return get_currency_precision(currency)


def parse_amount(text: str, currency: str) -> int:
    """A decimal string (``"199.00"``) as integer minor units of ``currency``.

    :raise ValueError: not a plain non-negative decimal, more decimals than the
        currency has, or absurdly large.
    """
    if not isinstance(text, str) or not text or text.strip() != text:
        raise ValueError("must be a decimal string such as \"199.00\"")
    if not all(ch in "0123456789." for ch in text) or text.count(".") > 1 or text.startswith(".") or text.endswith("."):
        raise ValueError("must be a plain decimal string such as \"199.00\"")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - filtered above
        raise ValueError("not a decimal") from exc
    if value > MAX_MAJOR:
        raise ValueError("is too large")
    exp = exponent(currency)
    if -value.as_tuple().exponent > exp:
        raise ValueError(f"has more than {exp} decimal places for {currency}")
    return int(value.scaleb(exp))


def from_minor(minor: int, currency: str) -> Decimal:
    exp = exponent(currency)
    return (Decimal(minor).scaleb(-exp)).quantize(Decimal(1).scaleb(-exp))


def format_amount(minor: int, currency: str) -> str:
    """``19900, "CNY"`` → ``"199.00"`` (the wire format)."""
    return str(from_minor(minor, currency))


# The sign a post or card writes before an amount; a currency without one is
# written with its code ("CHF 199.00"). One table for every place that shows a price.
CURRENCY_SYMBOLS = {
    "CNY": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "KRW": "₩",
    "INR": "₹", "HKD": "HK$", "TWD": "NT$", "SGD": "S$", "AUD": "A$",
    "CAD": "C$", "MOP": "MOP$",
}


def currency_symbol(currency: str) -> str | None:
    """The currency's sign (``"¥"``), or None when it is written by its code."""
    return CURRENCY_SYMBOLS.get(currency)


def round_minor(value: Decimal) -> int:
    """An exact decimal number of minor units rounded to a whole one, half up."""
    return int(value.quantize(Decimal(1), rounding=ROUNDING))


def largest_remainder(total: int, weights: dict[int, int]) -> dict[int, int]:
    """Split ``total`` minor units in proportion to ``weights`` (all >= 0, some > 0), exactly:
    floors first, then one unit each to the largest remainders (ties: the lower key).
    """
    weight_sum = sum(weights.values())
    assert total >= 0 and weight_sum > 0 and min(weights.values()) >= 0
    shares = {k: total * w // weight_sum for k, w in weights.items()}
    left = total - sum(shares.values())
    order = sorted(weights, key=lambda k: (-(total * weights[k] % weight_sum), k))
    for k in order[:left]:
        shares[k] += 1
    assert sum(shares.values()) == total
    return shares


def amount_field(data: dict, field: str, currency: str, errors: dict[str, str], allow_zero: bool = False) -> int | None:
    """``data[field]`` (a decimal string or None) in minor units; a problem goes to ``errors[field]``.

    Forms of several amounts collect every bad field before answering once.
    """
    if data.get(field) is None:
        return None
    try:
        value = parse_amount(data[field], currency)
    except ValueError as exc:
        errors[field] = str(exc)
        return None
    if value < 0 or (value == 0 and not allow_zero):
        errors[field] = "must be above 0"
    return value
