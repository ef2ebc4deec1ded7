"""The price line: the brand's price large in the brand colour, the old price struck through."""
from __future__ import annotations

from decimal import Decimal

from PIL import Image, ImageDraw

from channels.content import MasterContent
from plumbing.money import ROUNDING, currency_symbol, exponent
from publishing.render import fonts
from publishing.render.palette import FAINT
from publishing.render.textfit import Box, TextBlock


def format_amount(amount: Decimal, currency: str) -> str:
    """``128`` for whole amounts, ``99.90`` otherwise (to the currency's minor unit); thousands separated."""
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    places = exponent(currency)
    return f"{amount.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING):,.{places}f}"


def currency_sign(currency: str) -> str:
    """The sign drawn before the price: the shared symbol, else the code and a space."""
    return currency_symbol(currency) or currency + " "


def price_widths(content: MasterContent, size: int) -> tuple[float, float, float, float]:
    sign = currency_sign(content.currency)
    sign_w = fonts.measure(sign, "bold", max(1, round(size * 0.55)))
    amount_w = fonts.measure(format_amount(content.price, content.currency), "bold", size)
    old_w = 0.0
    gap = 0.0
    if content.original_price is not None:
        old_size = max(1, round(size * 0.4))
        old_w = fonts.measure(sign + format_amount(content.original_price, content.currency), "regular", old_size)
        gap = size * 0.3
    return sign_w, amount_w, gap, old_w


def draw_price(image: Image.Image, content: MasterContent, x: int, top: int, size: int,
                box: Box, brand, old_fill=FAINT) -> TextBlock:
    draw = ImageDraw.Draw(image)
    sign = currency_sign(content.currency)
    sign_size = max(1, round(size * 0.55))
    baseline = top + fonts.EM_ASCENT * size
    sign_w, amount_w, gap, old_w = price_widths(content, size)
    amount = format_amount(content.price, content.currency)
    fonts.draw_line(image, x, baseline, sign, "bold", sign_size, brand)
    fonts.draw_line(image, x + sign_w + size * 0.04, baseline, amount, "bold", size, brand)
    inks = [fonts.ink_box(sign, "bold", sign_size, x, baseline),
            fonts.ink_box(amount, "bold", size, x + sign_w + size * 0.04, baseline)]
    lines = [sign + amount]
    if content.original_price is not None:
        old_size = max(1, round(size * 0.4))
        old = sign + format_amount(content.original_price, content.currency)
        old_x = x + sign_w + size * 0.04 + amount_w + gap
        fonts.draw_line(image, old_x, baseline, old, "regular", old_size, old_fill)
        strike_y = round(baseline - old_size * 0.33)
        thickness = max(2, round(old_size * 0.07))
        draw.rectangle((round(old_x) - 2, strike_y - thickness // 2, round(old_x + old_w) + 2,
                        strike_y - thickness // 2 + thickness - 1), fill=old_fill)
        inks.append(fonts.ink_box(old, "regular", old_size, old_x, baseline))
        lines.append(old)
    ink = (min(b[0] for b in inks), min(b[1] for b in inks), max(b[2] for b in inks), max(b[3] for b in inks))
    return TextBlock("price", box, ink, size, tuple(lines))
