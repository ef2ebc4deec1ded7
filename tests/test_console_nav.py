"""The console's navigation groups: every section shows in exactly one group, in the groups' order."""
from __future__ import annotations

from web.console.blueprint import GROUPS, NAV, nav_groups


def test_every_section_is_in_one_named_group(app):
    with app.test_request_context():
        groups = nav_groups()
    shown = [endpoint for _, items in groups for endpoint, _ in items]
    assert sorted(shown) == sorted(endpoint for endpoint, _ in NAV) and len(set(shown)) == len(shown)
    assert [str(title) for title, _ in groups] == [str(title) for title, _ in GROUPS]  # none left for "More"


def test_a_section_no_group_names_still_shows_last(app, monkeypatch):
    monkeypatch.setattr("web.console.blueprint.NAV", [*NAV, ("console.new_thing", "New thing")])
    with app.test_request_context():
        title, items = nav_groups()[-1]
    assert str(title) == "More" and items == [("console.new_thing", "New thing")]


def test_the_bar_names_its_groups_for_screen_readers(console):
    page = console.get("/console/").text
    assert page.count('role="group"') == len(GROUPS) and 'aria-labelledby="navgroup-1"' in page
