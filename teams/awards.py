"""Contest prizes, pure: which team takes which place, and how a team's cash prize splits.

Compliance is in the shape of the code: a member's share is a function of that
member's own net sales (or an equal share), never of anyone else's, so a
captain is never paid on members' sales; the cash handed out is exactly the
pre-announced prizes, never more, and a team that scored nothing wins nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from plumbing.money import largest_remainder


@dataclass(frozen=True)
class Placed:
    team_id: int
    rank: int | None  # None: scored nothing, so no place
    cash_minor: int = 0
    goods: tuple[str, ...] = field(default_factory=tuple)


def place_teams(scores: dict[int, int], prizes: list[dict]) -> list[Placed]:
    """Rank teams by score (ties share a rank: 1, 1, 3) and hand out ``prizes``
    (``{"place", "amount_minor"?, "goods"?}``).

    Tied teams pool the cash of the places they occupy and split it equally;
    each of them gets the goods of the first place they share. Teams scoring 0 get no place.
    """
    cash = {p["place"]: p.get("amount_minor", 0) for p in prizes}
    goods = {p["place"]: p["goods"] for p in prizes if p.get("goods")}
    ordered = sorted(scores, key=lambda t: (-scores[t], t))
    placed: list[Placed] = []
    i = 0
    while i < len(ordered):
        group = [t for t in ordered[i:] if scores[t] == scores[ordered[i]]]
        rank = i + 1
        if scores[ordered[i]] <= 0:
            placed += [Placed(t, None) for t in group]
        else:
            pool = sum(cash.get(place, 0) for place in range(rank, rank + len(group)))
            split = largest_remainder(pool, {t: 1 for t in group}) if pool else {t: 0 for t in group}
            placed += [Placed(t, rank, split[t], (goods[rank],) if rank in goods else ()) for t in group]
        i += len(group)
    assert sum(p.cash_minor for p in placed) <= sum(cash.values())
    return placed


def split_team_prize(amount_minor: int, own_net_sales: dict[int, int], mode: str) -> dict[int, int]:
    """Each member's share of their team's cash prize: in proportion to their own net sales
    (``proportional``; members without sales get nothing) or ``equal`` among all members.
    """
    if amount_minor <= 0 or not own_net_sales:
        return {m: 0 for m in own_net_sales}
    if mode == "equal":
        return largest_remainder(amount_minor, {m: 1 for m in own_net_sales})
    weights = {m: max(v, 0) for m, v in own_net_sales.items()}
    if sum(weights.values()) == 0:
        return {m: 0 for m in own_net_sales}
    return largest_remainder(amount_minor, weights)
