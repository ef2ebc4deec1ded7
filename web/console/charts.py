"""Bar charts as inline SVG, drawn on the server: no chart library, no script, nothing inline to allow.

Pure: plain values in, markup out (no request, no session, no translation;
the caller passes every text already in the page's language).

The SVG has no ``viewBox``: bars are placed in percentages of the width and
pixels of the height, so the chart fills a 375 px phone or a desktop column
while its text stays at its real size instead of shrinking with the drawing.
The y axis's labels sit just right of the plot (``x="100%"``), in room the
page's CSS gives the SVG (a right padding, with ``overflow: visible``).
It is one image to assistive technology (``role="img"`` named by its
``<title>`` and ``<desc>``); the page puts the same figures in a table for
screen readers.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

HEIGHT = 240  # px, the whole drawing
TOP, BOTTOM = 18, 26  # px above the plot (room for the top tick label) and below it (the x labels)
MAX_X_LABELS = 8
# Label steps that fall on whole days of hours and whole weeks of days.
_LABEL_STEPS = (1, 2, 3, 4, 6, 7, 12, 14, 24, 28, 48)


@dataclass(frozen=True)
class Series:
    """One set of bars: ``values`` per slot, drawn with the CSS class ``css_class``."""

    name: str
    values: Sequence[int]
    css_class: str


def nice_step(raw: float) -> int:
    """The smallest whole 1, 2 or 5 × 10^k at or above ``raw`` (at least 1)."""
    if raw <= 1:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def y_ticks(largest: int, count: int = 4) -> list[int]:
    """Gridline values from 0 to a round top at or above ``largest``, about ``count`` steps apart."""
    step = nice_step(max(largest, 0) / count)
    top = step * max(1, math.ceil(largest / step))
    return list(range(0, top + 1, step))


def label_step(slots: int, most: int = MAX_X_LABELS) -> int:
    """Label every n-th slot so that at most ``most`` labels show."""
    for step in _LABEL_STEPS:
        if math.ceil(slots / step) <= most:
            return step
    return math.ceil(slots / most)


def _pct(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "%"


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, description: str, chart_id: str,
              tooltips: Sequence[str] | None = None, number: Callable[[int], str] = str) -> Markup:
    """An SVG bar chart: one slot per label, the series' bars overlaid in each slot (the first widest).

    ``labels`` are the x axis's short texts (every few shown, see :func:`label_step`);
    ``tooltips`` the full text of each slot (a ``<title>`` on its bars);
    ``number`` formats the y axis's values; ``chart_id`` prefixes the ids in the SVG.

    :raise ValueError: a series whose length differs from the labels', or a negative value.
    """
    slots = len(labels)
    for s in series:
        if len(s.values) != slots:
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {slots} labels")
        if any(v < 0 for v in s.values):
            raise ValueError(f"series {s.name!r} has a negative value")
    tooltips = list(tooltips) if tooltips is not None else list(labels)
    ticks = y_ticks(max((v for s in series for v in s.values), default=0))
    top = ticks[-1]
    plot = HEIGHT - TOP - BOTTOM

    def y(value: int) -> float:
        return TOP + plot - value / top * plot

    cid = escape(chart_id)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" width="100%" height="{HEIGHT}" '
           f'role="img" aria-labelledby="{cid}-title {cid}-desc" focusable="false">',
           f'<title id="{cid}-title">{escape(title)}</title>',
           f'<desc id="{cid}-desc">{escape(description)}</desc>',
           '<g class="chart-grid">']
    for tick in ticks:
        out.append(f'<line x1="0" x2="100%" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>')
    out.append('</g><g class="chart-data">')
    if slots:
        slot = 100 / slots
        for i in range(slots):
            for depth, s in enumerate(series):
                value = s.values[i]
                if value == 0:
                    continue
                width = slot * (0.72 - 0.32 * depth / max(1, len(series) - 1)) if len(series) > 1 else slot * 0.72
                x = slot * i + (slot - width) / 2
                out.append(f'<rect class="{escape(s.css_class)}" x="{_pct(x)}" width="{_pct(width)}" '
                           f'y="{y(value):.1f}" height="{value / top * plot:.1f}">'
                           f'<title>{escape(tooltips[i])}: {escape(s.name)} {escape(number(value))}</title></rect>')
    out.append('</g><g class="chart-y">')
    for tick in ticks:
        out.append(f'<text x="100%" dx="6" y="{y(tick) + 4:.1f}" text-anchor="start">{escape(number(tick))}</text>')
    out.append('</g><g class="chart-x">')
    if slots:
        every = label_step(slots)
        for k, i in enumerate(range(0, slots, every)):
            # Every other label is "minor": a narrow screen's CSS may hide those.
            minor = ' class="minor"' if k % 2 else ""
            out.append(f'<text{minor} x="{_pct(100 / slots * (i + 0.5))}" y="{HEIGHT - 8}" '
                       f'text-anchor="middle">{escape(labels[i])}</text>')
    out.append('</g></svg>')
    return Markup("".join(out))
