"""The SVG bar chart builder: pure values in, well-formed, accessible SVG out."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from web.console.charts import HEIGHT, Series, bar_chart, label_step, nice_step, y_ticks

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def chart(values, unique=None, labels=None, **kw):
    labels = labels or [f"d{i}" for i in range(len(values))]
    series = [Series("Clicks", values, "bar-clicks")] + ([Series("Unique", unique, "bar-unique")] if unique else [])
    return parse(bar_chart(labels, series, title=kw.pop("title", "Clicks by day"),
                           description=kw.pop("description", "desc"), chart_id="c", **kw))


@pytest.mark.parametrize("raw, step", [(0, 1), (0.5, 1), (1, 1), (1.2, 2), (2, 2), (2.5, 5), (7, 10), (10, 10),
                                        (11, 20), (45, 50), (51, 100), (999, 1000)])
def test_nice_step_is_the_next_1_2_or_5_times_a_power_of_ten(raw, step):
    assert nice_step(raw) == step


@pytest.mark.parametrize("largest, ticks", [(0, [0, 1]), (1, [0, 1]), (3, [0, 1, 2, 3]), (7, [0, 2, 4, 6, 8]),
                                             (10, [0, 5, 10]), (37, [0, 10, 20, 30, 40]), (100, [0, 50, 100])])
def test_y_ticks_start_at_zero_and_reach_the_largest_value(largest, ticks):
    assert y_ticks(largest) == ticks


@pytest.mark.parametrize("slots, step", [(1, 1), (8, 1), (14, 2), (24, 3), (48, 6), (92, 12), (2208, 276)])
def test_at_most_eight_x_labels_show(slots, step):
    assert label_step(slots) == step and -(-slots // step) <= 8


def test_the_chart_is_one_named_image_with_its_title_and_description():
    svg = chart([1, 2, 3], title="Clicks by day", description="6 clicks from Mon to Wed.")
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img" and svg.get("aria-labelledby") == "c-title c-desc"
    assert svg.find(f"{SVG}title").text == "Clicks by day" and svg.find(f"{SVG}title").get("id") == "c-title"
    assert svg.find(f"{SVG}desc").text == "6 clicks from Mon to Wed."
    assert svg.get("width") == "100%" and svg.get("height") == str(HEIGHT) and svg.get("viewBox") is None


def test_bar_heights_are_proportional_and_zero_draws_nothing():
    svg = chart([0, 5, 10, 2])
    bars = svg.findall(f".//{SVG}rect")
    assert len(bars) == 3
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == pytest.approx(heights[1] / 5)
    bottom = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars}
    assert len(bottom) == 1  # every bar stands on the same baseline
    assert [b.find(f"{SVG}title").text for b in bars] == ["d1: Clicks 5", "d2: Clicks 10", "d3: Clicks 2"]


def test_bars_sit_in_their_slot_across_the_width():
    bars = chart([1, 1, 1, 1]).findall(f".//{SVG}rect")
    xs = [float(b.get("x").rstrip("%")) for b in bars]
    widths = {b.get("width") for b in bars}
    assert xs == sorted(xs) and xs[0] > 0 and xs[-1] + float(bars[-1].get("width").rstrip("%")) < 100
    assert widths == {"18%"}  # 72% of a quarter


def test_the_second_series_is_drawn_narrower_inside_the_first():
    svg = chart([4, 6], unique=[2, 6])
    clicks = svg.findall(f".//{SVG}rect[@class='bar-clicks']")
    unique = svg.findall(f".//{SVG}rect[@class='bar-unique']")
    assert len(clicks) == len(unique) == 2
    for c, u in zip(clicks, unique):
        assert float(u.get("width").rstrip("%")) < float(c.get("width").rstrip("%"))
        assert float(u.get("x").rstrip("%")) > float(c.get("x").rstrip("%"))
    assert float(unique[1].get("height")) == pytest.approx(float(clicks[1].get("height")))


def test_axes_have_gridlines_tick_labels_and_thinned_x_labels():
    svg = chart(list(range(14)), number=lambda n: f"<{n}>")
    assert len(svg.findall(f".//{SVG}line")) == len(y_ticks(13))
    y_labels = [t.text for t in svg.find(f"{SVG}g[@class='chart-y']")]
    assert y_labels == [f"<{n}>" for n in y_ticks(13)]
    x_labels = [(t.text, t.get("class")) for t in svg.find(f"{SVG}g[@class='chart-x']")]
    assert x_labels == [("d0", None), ("d2", "minor"), ("d4", None), ("d6", "minor"), ("d8", None),
                        ("d10", "minor"), ("d12", None)]  # a phone shows every other one


def test_text_is_escaped():
    svg = chart([1], labels=['<script>"&'], title="A & B <c>")
    assert svg.find(f"{SVG}title").text == "A & B <c>"
    assert svg.find(f".//{SVG}g[@class='chart-x']")[0].text == '<script>"&'


def test_an_empty_or_all_zero_series_still_draws_axes():
    svg = chart([0, 0, 0])
    assert svg.findall(f".//{SVG}rect") == [] and len(svg.findall(f".//{SVG}line")) == 2
    empty = parse(bar_chart([], [], title="t", description="", chart_id="e"))
    assert empty.findall(f".//{SVG}rect") == []


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        bar_chart(["a", "b"], [Series("s", [1], "x")], title="t", description="", chart_id="c")
    with pytest.raises(ValueError):
        bar_chart(["a"], [Series("s", [-1], "x")], title="t", description="", chart_id="c")
