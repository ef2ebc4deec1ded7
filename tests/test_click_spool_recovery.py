"""No answered click is lost, whatever step of the spool a click writer dies at (or fails at)."""
from __future__ import annotations

import os
import time

import pytest
import redis
from conftest import BROWSER, drain, path_of
from sqlalchemy import create_engine, func, select

from plumbing import database, redis_client
from referrals import redirect
from referrals.clickwriter import STALE_READING_SECONDS, ClickWriter, writer_for
from referrals.models import Click

SPOOLED = 12


def _count(app) -> int:
    with database.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(Click))


def _writer(app, consumer: str, engine=None) -> ClickWriter:
    """A click writer started afresh (what the supervisor does after a death)."""
    return ClickWriter(redis.Redis.from_url(app.config["REDIS_URL"]), engine or database.engine_of(app),
                       app.config["INSTANCE_PATH"] / "click-spool", consumer=consumer)


@pytest.fixture
def spooled(app, client, campaign, make_sharer, make_link):
    """SPOOLED answered clicks in a spool file (Redis unreachable), an hour old; returns its path."""
    link = make_link(campaign["id"], make_sharer()["id"])
    client.get(path_of(link["url"]), headers={"User-Agent": BROWSER})  # warms the link cache
    drain(app)
    assert _count(app) == 1
    buffer = redirect.layer(app).clicks
    buffer._redis, buffer._conn = redis_client.fast_client("redis://127.0.0.1:1/0"), None  # nothing listens there
    for _ in range(SPOOLED):
        assert client.get(path_of(link["url"]), headers={"User-Agent": BROWSER}).status_code == 302
    [path] = (app.config["INSTANCE_PATH"] / "click-spool").glob("clicks-*.log")
    old = time.time() - 3600
    os.utime(path, (old, old))
    return path


def _as(path, name: str, age: float = 3600):
    moved = path.rename(path.with_name(name))
    then = time.time() - age
    os.utime(moved, (then, then))
    return moved


def test_writer_killed_after_renaming_the_file_away_from_the_web(app, spooled):
    _as(spooled, f"draining-{time.time_ns()}-{spooled.name}")
    assert _writer(app, writer_for(app).consumer).drain() == SPOOLED
    assert _count(app) == 1 + SPOOLED


def test_writer_killed_after_claiming_the_file_is_recovered_by_its_restart(app, spooled):
    consumer = writer_for(app).consumer
    _as(spooled, f"reading-{consumer}-draining-{time.time_ns()}-{spooled.name}", age=0)
    assert _writer(app, consumer).drain() == SPOOLED
    assert _count(app) == 1 + SPOOLED
    assert not list(spooled.parent.iterdir())


def test_writer_killed_after_writing_but_before_deleting_counts_each_click_once(app, spooled):
    consumer = writer_for(app).consumer
    claimed = _as(spooled, f"reading-{consumer}-draining-{time.time_ns()}-{spooled.name}", age=0)
    text = claimed.read_text()
    assert _writer(app, consumer).drain() == SPOOLED
    claimed.write_text(text)  # as if it died between the commit and the unlink
    assert _writer(app, consumer).drain() == 0
    assert _count(app) == 1 + SPOOLED


def test_a_failed_database_write_leaves_the_file_for_the_next_drain(app, spooled):
    consumer = writer_for(app).consumer
    broken = _writer(app, consumer, create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
        broken.drain()
    assert _count(app) == 1
    assert [p.name.startswith(f"reading-{consumer}-") for p in spooled.parent.iterdir()] == [True]
    assert _writer(app, consumer).drain() == SPOOLED
    assert _count(app) == 1 + SPOOLED


def test_a_file_claimed_by_a_writer_that_never_came_back_is_taken_once_stale(app, spooled):
    claimed = _as(spooled, f"reading-gone-host-1a2b-draining-{time.time_ns()}-{spooled.name}", age=5)
    assert _writer(app, "writer-b").drain() == 0  # still fresh: its writer may be reading it right now
    then = time.time() - STALE_READING_SECONDS - 1
    os.utime(claimed, (then, then))
    assert _writer(app, "writer-b").drain() == SPOOLED
    assert _count(app) == 1 + SPOOLED
    assert not list(spooled.parent.iterdir())
