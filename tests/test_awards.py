"""Contest prize maths, pure: places with ties, exact splits, nothing for a team that scored nothing."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from teams.awards import Placed, largest_remainder, place_teams, split_team_prize

PRIZES = [{"place": 1, "amount_minor": 30000}, {"place": 2, "amount_minor": 10000, "goods": "tea set"},
          {"place": 3, "goods": "mug"}]


def test_places_follow_the_score():
    assert place_teams({1: 5, 2: 9, 3: 7}, PRIZES) == [
        Placed(2, 1, 30000), Placed(3, 2, 10000, ("tea set",)), Placed(1, 3, 0, ("mug",))]


def test_tied_teams_pool_the_cash_of_their_places_and_split_it_equally():
    assert place_teams({1: 9, 2: 9, 3: 1}, PRIZES) == [
        Placed(1, 1, 20000), Placed(2, 1, 20000), Placed(3, 3, 0, ("mug",))]


def test_a_team_that_scored_nothing_wins_nothing():
    assert place_teams({1: 0, 2: 0}, PRIZES) == [Placed(1, None), Placed(2, None)]


def test_a_captain_with_no_own_sales_gets_nothing_of_a_proportional_prize():
    assert split_team_prize(10000, {1: 0, 2: 300, 3: 100}, "proportional") == {1: 0, 2: 7500, 3: 2500}


def test_an_equal_split_spreads_the_odd_cent():
    assert split_team_prize(10001, {1: 0, 2: 5}, "equal") == {1: 5001, 2: 5000}


@given(st.integers(0, 10**9), st.dictionaries(st.integers(1, 50), st.integers(0, 10**7), min_size=1, max_size=20))
def test_a_split_is_exact_and_never_more_than_the_prize(amount, sales):
    shares = split_team_prize(amount, sales, "proportional")
    assert sum(shares.values()) == (amount if sum(sales.values()) else 0)
    assert all(shares[m] == 0 for m, v in sales.items() if v == 0)
    assert largest_remainder(amount, {1: 1}) == {1: amount}


@given(st.dictionaries(st.integers(1, 30), st.integers(0, 5), min_size=1, max_size=12))
def test_the_cash_handed_out_never_exceeds_the_announced_prizes(scores):
    placed = place_teams(scores, PRIZES)
    assert sum(p.cash_minor for p in placed) <= 40000
    assert sorted(p.team_id for p in placed) == sorted(scores)
