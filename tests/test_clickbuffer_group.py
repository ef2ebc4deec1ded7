"""Group commit: the clicks of requests waiting at the same moment reach Redis in one entry,
and no request returns before its own click is in Redis."""
from __future__ import annotations

import threading

import redis
from conftest import drain
from sqlalchemy import func, select

from plumbing import database
from referrals.clickbuffer import FIELD, STREAM, ClickBuffer, encode_click
from referrals.models import Click, Link


def click(n: int, link_id: int = 1, workspace_id: int = 1, campaign_id: int = 1, sharer_id: int = 1) -> str:
    return encode_click(f"{1_700_000_000_000 + n:011x}{n:010x}", link_id, workspace_id, campaign_id, sharer_id,
                        "weibo", 1_700_000_000_000 + n, f"visitor{n}", False, "UA\nwith a line break", "")


class HeldFirstWrite(ClickBuffer):
    """Holds its first write until ``others`` more clicks wait behind it."""

    def __init__(self, redis, spool_dir, others: int):
        super().__init__(redis, spool_dir)
        self.others = others
        self.writes: list[int] = []

    def _xadd(self, batch):
        if not self.writes:
            with self._cond:
                self._cond.wait_for(lambda: len(self._waiting) == self.others, timeout=10)
        self.writes.append(len(batch))
        super()._xadd(batch)


def test_clicks_waiting_together_go_in_one_entry_and_each_push_returns_after_its_own(app, tmp_path):
    r = redis.Redis.from_url(app.config["REDIS_URL"])
    buffer = HeldFirstWrite(r, tmp_path, others=7)
    in_redis_on_return: dict[int, bool] = {}

    def request(n: int) -> None:
        buffer.push(click(n))
        stored = "".join(fields[FIELD.encode()].decode() for _, fields in r.xrange(STREAM))
        in_redis_on_return[n] = f"{n:010x}" in stored

    first = threading.Thread(target=request, args=(0,))
    first.start()
    rest = [threading.Thread(target=request, args=(n,)) for n in range(1, 8)]
    for t in rest:
        t.start()
    for t in [first, *rest]:
        t.join(20)
    assert buffer.writes == [1, 7]  # the first click alone, then everything that came while it was out
    assert r.xlen(STREAM) == 2
    assert in_redis_on_return == dict.fromkeys(range(8), True)


def test_every_click_of_a_group_entry_is_written_once(app, campaign, make_sharer, make_link, tmp_path):
    sharer = make_sharer()
    link = make_link(campaign["id"], sharer["id"])
    with database.new_session(app) as s:
        workspace_id = s.get(Link, link["id"]).workspace_id
    r = redis.Redis.from_url(app.config["REDIS_URL"])
    clicks = [click(n, link["id"], workspace_id, campaign["id"], sharer["id"]) for n in range(5)]
    r.xadd(STREAM, {FIELD: "\n".join(clicks)})
    r.xadd(STREAM, {FIELD: "\n".join([clicks[0], "not a click"])})  # a replay, and a line no one can read
    assert drain(app) == 5
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Click)) == 5
