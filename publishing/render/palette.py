"""The colours cards and posters are drawn in, and the brand colour made legible."""
from __future__ import annotations

from PIL import ImageColor

from channels.content import MasterContent

INK = (28, 28, 30)
MUTED = (110, 110, 115)
FAINT = (150, 150, 155)
PAPER = (255, 255, 255)
FOOTER = (245, 245, 247)
HAIRLINE = (228, 228, 232)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio between two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def brand_rgb(color: str, notes: list[str]) -> tuple[int, int, int]:
    try:
        rgb = ImageColor.getrgb(color)[:3]
    except (ValueError, AttributeError):
        notes.append("brand_color_invalid")
        rgb = ImageColor.getrgb(MasterContent.brand_color)[:3]
    adjusted = rgb
    # Price text is large and bold, so 3:1 on white is the bar (WCAG AA large).
    while contrast(adjusted, PAPER) < 3.0:
        adjusted = tuple(round(c * 0.9) for c in adjusted)  # type: ignore[assignment]
    if adjusted != rgb:
        notes.append("brand_color_adjusted")
    return adjusted


def tint(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return tuple(round(255 - (255 - c) * amount) for c in rgb)  # type: ignore[return-value]
