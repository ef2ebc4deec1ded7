"""Moves buffered clicks into the database in batches.

Reads the Redis stream through a consumer group (so several writers on
several machines share the work and a crashed writer's batch is claimed by
another), writes a batch in one transaction, then acknowledges it. Every step
is idempotent: click ids are primary keys, so a batch written twice (crash
between commit and ack) inserts and counts nothing the second time.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import attrgetter
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine, case, select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from events.emit import emit_clicks
from plumbing import database, metrics, outbox, redis_client
from plumbing.appstate import AppSlot
from plumbing.database import insert_for, insert_rows
from referrals.clickbuffer import ENTRY_SEP, FIELD, FIELDS, GROUP, STREAM, decode_values, spool_dir
from referrals.clickfacets import facets_of
from referrals.geoip import CountryOf, open_lookup
from referrals.models import Click, ClickCreativeHour, ClickFacetHour, ClickRollup, LinkClickTotal, VisitorHour

log = logging.getLogger(__name__)
CLAIM_IDLE_MS = 60_000
# A spool file another writer claimed and has not touched for this long is
# taken as abandoned (its writer is gone for good); a live writer reads a file
# in seconds.
STALE_READING_SECONDS = 300
# Clicks go to the database at most about this many a transaction, whatever the batch read:
# ``batch_size`` counts stream entries, and an entry carries up to a group commit's 256 clicks.
# Smaller transactions cost more a click (each rewrites the index pages it touched: +10% CPU at
# 1,000 and +45% at 500 on SQLite, draining 100,000 clicks). On SQLite a transaction holds the
# database's one write lock, and a sale waits for it, the longer as the writer is niced while a
# burst has the CPU: there they stay small (bench/bench_sale_during_clicks.py; 1,000 clicks:
# 20-60 ms of CPU). On PostgreSQL, where only a sale naming a click of the batch waits, they
# leave a burst's usual batch (250 entries of ~20 clicks) whole.
TRANSACTION_CLICKS = 5000
SQLITE_TRANSACTION_CLICKS = 1000
# Stream entries a writer holding off in a burst lets wait at most (each up to a group commit's
# 256 clicks; in a burst about twenty): Redis keeps them in memory meanwhile.
MAX_HELD_ENTRIES = 100_000
# Batches (of ``batch_size`` entries) a running writer reads between two looks at how fast clicks arrive.
RUN_BATCHES = 4


@dataclass
class WriteResult:
    written: int = 0
    unique: int = 0


CLICKS = Click.__table__
VISITOR_HOURS = VisitorHour.__table__
ROLLUPS = ClickRollup.__table__
TOTALS = LinkClickTotal.__table__
FACETS = ClickFacetHour.__table__
CREATIVES = ClickCreativeHour.__table__


@dataclass(slots=True)
class _Click:
    """A decoded click as the writer needs it; ``ts`` in milliseconds."""
    id: str
    workspace_id: int
    link_id: int
    campaign_id: int
    sharer_id: int
    channel: str
    ts: int
    visitor: str
    user_agent: str
    referrer: str
    bot: bool
    content_version: int | None
    country: str | None
    is_unique: bool = False
    clicked_at: datetime | None = None

    @property
    def hour(self) -> int:
        return self.ts // 3_600_000


def _clicks_of(values: list[list[str]], country_of: CountryOf | None) -> list[_Click]:
    """Pure but for ``country_of``: clicks' values (in ``FIELDS`` order) as ``_Click``\\ s, one per id, in
    the order of their ids."""
    clicks: dict[str, _Click] = {}
    times: dict[int, datetime] = {}  # a busy second's clicks share their milliseconds
    for click_id, link, workspace, campaign, sharer, channel, ts, visitor, bot, agent, referrer, tag, ip in values:
        at = int(ts)
        if (clicked_at := times.get(at)) is None:
            clicked_at = times[at] = datetime.fromtimestamp(at / 1000, timezone.utc)
        clicks[click_id] = _Click(
            click_id, int(workspace), int(link), int(campaign), int(sharer), channel, at, visitor, agent, referrer,
            bot == "1", int(tag) if tag.isascii() and tag.isdigit() else None,
            country_of(ip) if country_of is not None and ip else None, clicked_at=clicked_at)
    return sorted(clicks.values(), key=_by_id)  # ids are time-ordered: a key's first click comes first


_by_id = attrgetter("id")


def write_clicks(session: Session, clicks: list[dict], country_of: CountryOf | None = None) -> WriteResult:
    """Insert ``clicks`` (as :func:`~referrals.clickbuffer.decode_click` gives them; the creative tag
    and the address may be left out) and update rollups; the caller commits. See :func:`write_values`."""
    return write_values(session, [[c.get(field) or "" for field in FIELDS] for c in clicks], country_of)


def write_values(session: Session, clicks: list[list[str]], country_of: CountryOf | None = None) -> WriteResult:
    """Insert ``clicks`` (each its values in ``FIELDS`` order, as the stream holds them) and update
    rollups; the caller commits.

    Already-written clicks are skipped; uniqueness is one click per visitor per
    link per UTC hour, decided against everything written before. Only the
    clicks this call inserted are counted: another writer may hold the same
    click (a claimed batch, a sale fetching it early). The clicks and their
    visitor keys go in as multi-row statements run as the driver's SQL
    (:func:`plumbing.database.insert_rows`), and the rollups add up groups of
    clicks alike rather than clicks: the writer shares its machine with the
    redirect at peak. A click's creative tag counts when it names a content
    version its campaign has (one lookup per batch); with ``country_of`` (a
    GeoIP database) its address becomes a country facet.
    """
    if not clicks:
        return WriteResult()
    # Decoded before the first statement: on SQLite that statement takes the database's write
    # lock, and this (niced) process should hold it no longer than its writes need.
    rows = _clicks_of(clicks, country_of)
    conn = session.connection()
    _known_versions_only(conn, rows)
    # The first human click of each (link, visitor, hour) in the batch is
    # unique if the database did not know that key: the insert tells us. A click
    # written before (a replayed batch) had its key inserted with it.
    first_of_hour: dict[tuple, _Click] = {}
    for r in rows:
        if not r.bot:
            first_of_hour.setdefault((r.link_id, r.visitor, r.hour), r)
    firsts = insert_rows(conn, VISITOR_HOURS, sorted(first_of_hour), returning=VISITOR_HOURS.primary_key.columns)
    for key in firsts:
        first_of_hour[tuple(key)].is_unique = True
    written = {i for (i,) in insert_rows(conn, CLICKS, [
        (r.id, r.workspace_id, r.link_id, r.campaign_id, r.sharer_id, r.channel, r.clicked_at, r.visitor,
         r.user_agent, r.referrer, r.bot, r.is_unique, r.content_version) for r in rows],
        returning=[CLICKS.c.id])}
    fresh = [r for r in rows if r.id in written]
    emit_clicks(session, fresh)  # sent after commit
    _add_rollups(conn, fresh)
    return WriteResult(written=len(fresh), unique=sum(r.is_unique for r in fresh))


def _add_rollups(conn, fresh: list[_Click]) -> None:
    """Add the human clicks among ``fresh`` to the hourly, per-link, facet and creative counts: alike
    clicks (the same in everything counted: link, campaign, sharer, channel, hour, post version, user
    agent, referrer, country, uniqueness) are counted once as a group, since a busy link's clicks mostly
    are."""
    groups: dict[tuple, list[_Click]] = {}
    for r in fresh:
        if not r.bot:
            groups.setdefault((r.link_id, r.campaign_id, r.sharer_id, r.workspace_id, r.channel, r.hour,
                               r.content_version, r.user_agent, r.referrer, r.country, r.is_unique), []).append(r)
    hourly: dict[tuple, dict] = {}
    per_link: dict[int, dict] = {}
    facets: dict[tuple, dict] = {}
    creatives: dict[tuple, dict] = {}

    def add(cell: dict, count: int, unique: bool) -> None:
        cell["clicks"] += count
        cell["unique_clicks"] += count if unique else 0

    for (link_id, _, _, _, _, hour, version, user_agent, referrer, country, unique), alike in groups.items():
        r, count = alike[0], len(alike)
        add(hourly.setdefault((r.campaign_id, r.channel, hour), {
            "campaign_id": r.campaign_id, "channel": r.channel, "hour": hour, "workspace_id": r.workspace_id,
            "clicks": 0, "unique_clicks": 0}), count, unique)
        first, last = min(a.clicked_at for a in alike), max(a.clicked_at for a in alike)
        total = per_link.setdefault(link_id, {
            "link_id": link_id, "workspace_id": r.workspace_id, "campaign_id": r.campaign_id,
            "sharer_id": r.sharer_id, "clicks": 0, "unique_clicks": 0, "last_click_at": last,
            "first_click_at": first})
        add(total, count, unique)
        total["last_click_at"] = max(total["last_click_at"], last)
        total["first_click_at"] = min(total["first_click_at"], first)
        add(creatives.setdefault((r.campaign_id, hour, r.channel, version or 0), {
            "campaign_id": r.campaign_id, "hour": hour, "channel": r.channel, "content_version": version or 0,
            "workspace_id": r.workspace_id, "clicks": 0, "unique_clicks": 0}), count, unique)
        # Device, browser, system, referring site (and country): derived here, never on the redirect.
        values = facets_of(user_agent, referrer)
        if country is not None:
            values["country"] = country
        for facet, value in values.items():
            add(facets.setdefault((r.campaign_id, hour, facet, value), {
                "campaign_id": r.campaign_id, "hour": hour, "facet": facet, "value": value,
                "workspace_id": r.workspace_id, "clicks": 0, "unique_clicks": 0}), count, unique)
    insert = insert_for(conn)
    # Each table's rows in key order: writers on several nodes then lock them in the same order
    # (PostgreSQL), never each waiting for the other's.
    _add_counts(conn, insert, ROLLUPS, [ROLLUPS.c.campaign_id, ROLLUPS.c.channel, ROLLUPS.c.hour],
                [hourly[key] for key in sorted(hourly)])
    _add_counts(conn, insert, TOTALS, [TOTALS.c.link_id], [per_link[key] for key in sorted(per_link)],
                latest="last_click_at", earliest="first_click_at")
    _add_counts(conn, insert, FACETS, [FACETS.c.campaign_id, FACETS.c.hour, FACETS.c.facet, FACETS.c.value],
                [facets[key] for key in sorted(facets)])
    _add_counts(conn, insert, CREATIVES, [CREATIVES.c.campaign_id, CREATIVES.c.hour, CREATIVES.c.channel,
                                          CREATIVES.c.content_version], [creatives[key] for key in sorted(creatives)])


def _known_versions_only(conn, rows: list[_Click]) -> None:
    """Clear the creative tag of clicks naming a content version their campaign never had (typed by hand,
    or a campaign's tag on another's link): one statement for the batch's tagged campaigns."""
    tagged = {r.campaign_id for r in rows if r.content_version is not None}
    if not tagged:
        return
    latest = dict(conn.execute(select(Campaign.id, Campaign.content_version).where(Campaign.id.in_(tagged))).all())
    for r in rows:
        if r.content_version is not None and not 1 <= r.content_version <= latest.get(r.campaign_id, 0):
            r.content_version = None


def _add_counts(conn, insert, table, keys, rows, latest: str | None = None, earliest: str | None = None) -> None:
    """Upsert ``rows``, adding their clicks and unique clicks to what is there; ``latest`` and ``earliest``
    name time columns that keep the later and the earlier of the stored and the new."""
    rows = list(rows)
    if not rows:
        return
    stmt = insert(table)
    changes = {"clicks": table.c.clicks + stmt.excluded.clicks,
               "unique_clicks": table.c.unique_clicks + stmt.excluded.unique_clicks}
    if latest:  # a spooled batch may be older than what is there
        newer = stmt.excluded[latest]
        changes[latest] = case((table.c[latest].is_(None), newer), (newer > table.c[latest], newer),
                               else_=table.c[latest])
    if earliest:  # likewise a spooled batch may be older: it moves the first click back
        older = stmt.excluded[earliest]
        changes[earliest] = case((table.c[earliest].is_(None), older), (older < table.c[earliest], older),
                                 else_=table.c[earliest])
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes), rows)


def backlog(redis) -> tuple[int, float]:
    """Stream entries waiting, and the age in seconds of the oldest (0 when none), by the clock
    of Redis, which stamped the entry ids (a host's own may be off by seconds): one round trip."""
    pipe = redis.pipeline(transaction=False)
    pipe.xlen(STREAM).xrange(STREAM, "-", "+", count=1).time()
    waiting, oldest, (seconds, micros) = pipe.execute()
    if not waiting or not oldest:
        return 0, 0.0
    ms, _ = _entry_id(oldest[0][0])
    return waiting, max(0.0, seconds + micros / 1e6 - ms / 1000)


def trim_acknowledged(redis) -> int:
    """Delete the stream's entries the group has read and acknowledged, written already but left
    behind by a writer stopped between its ``XACK`` and ``XDEL``; how many. Left there, they would
    count as waiting for ever, age the writer-lag metric without end and cut every burst's hold short.

    Every entry older than the group's last delivered one was delivered (ids only grow), so those
    older than the oldest still pending are acknowledged: ``XTRIM MINID`` of the smaller of that
    one and the next id after the last delivered keeps the rest. Another writer reading or
    acknowledging meanwhile only makes the bound lower than it could be. (The writer calls it
    once its group exists.)"""
    pipe = redis.pipeline(transaction=False)
    groups, pending = pipe.xinfo_groups(STREAM).xpending(STREAM, GROUP).execute()
    ms, seq = _entry_id(next(g["last-delivered-id"] for g in groups if g["name"] in (GROUP, GROUP.encode())))
    bound = min((ms, seq + 1), _entry_id(pending["min"])) if pending["pending"] else (ms, seq + 1)
    trimmed = redis.xtrim(STREAM, minid=f"{bound[0]}-{bound[1]}", approximate=False)
    if trimmed:
        log.warning("deleted %d click entries acknowledged but left in the stream", trimmed)
    return trimmed


def _entry_id(value: bytes | str) -> tuple[int, int]:
    """A stream entry id (``<ms>-<seq>``) as numbers, which order as the ids do."""
    ms, seq = (value.decode() if isinstance(value, bytes) else value).split("-")
    return int(ms), int(seq)


def _decode(fields: dict) -> list[list[str]]:
    """The clicks of a stream entry (one group commit's); none when it is malformed."""
    raw = fields.get(FIELD.encode()) if fields else None
    try:
        lines = raw.decode().split(ENTRY_SEP) if raw else []
    except UnicodeDecodeError:
        log.error("dropping a malformed click entry: %r", fields)
        return []
    clicks = []
    for line in lines:
        try:
            clicks.append(decode_values(line))
        except ValueError:
            log.error("dropping a malformed click: %r", line[:200])
    return clicks


def _transactions(entries: list[tuple[str, list[list[str]]]], size: int):
    """Stream entries (id, clicks) in runs of about ``size`` clicks: (ids, clicks)."""
    ids: list[str] = []
    clicks: list[list[str]] = []
    for entry_id, values in entries:
        ids.append(entry_id)
        clicks.extend(values)
        if len(clicks) >= size:
            yield ids, clicks
            ids, clicks = [], []
    if ids:
        yield ids, clicks


class ClickWriter:
    """One consumer of the click stream (and of this machine's spool files)."""

    def __init__(self, redis, engine: Engine, spool_dir: Path, batch_size: int = 250, consumer: str | None = None,
                 claim_idle_ms: int = CLAIM_IDLE_MS, country_of: CountryOf | None = None,
                 burst_rate: float = 0, max_lag: float = 0):
        self.redis = redis
        # A burst: clicks arriving at ``burst_rate`` a second or faster (0: never). The writer then
        # lets them gather in Redis for up to ``max_lag`` seconds (see run).
        self.burst_rate = burst_rate
        self.max_lag = max_lag
        self.country_of = country_of
        self.engine = engine
        self.spool_dir = spool_dir
        self.batch_size = batch_size
        self.claim_idle_ms = claim_idle_ms
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        # Our own unacknowledged entries are re-read only after a failure (or
        # at start); a dead writer's are claimed at most every few seconds.
        self._recover = True
        self._next_claim = 0.0
        self._next_spool = 0.0
        self._group_ready = False
        self._per_entry = 1.0  # clicks a stream entry held, in the last transaction written
        self._sqlite = engine.dialect.name == "sqlite"
        self._transaction_clicks = SQLITE_TRANSACTION_CLICKS if self._sqlite else TRANSACTION_CLICKS

    def _session(self) -> Session:
        # Names our Redis so webhook events emitted in the batch are enqueued after commit.
        return Session(self.engine, info=outbox.session_info(self.redis))

    def _ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except Exception as exc:  # noqa: BLE001
            if "BUSYGROUP" not in str(exc):
                raise

    def drain(self, block_ms: int | None = None, max_batches: int = 1_000) -> int:
        """Write what is buffered now; returns the number of clicks newly written.

        Our own unacknowledged entries (a failed earlier try) go first, then
        entries idle for a minute in a dead writer's hands, then new ones.
        :raise: database errors propagate, leaving the batch unacknowledged.
        """
        if not self._group_ready:
            self._ensure_group()
            self._group_ready = True
        total = 0
        if time.monotonic() >= self._next_spool:
            self._next_spool = time.monotonic() + 1.0
            total += self._drain_spool()
        for _ in range(max_batches):
            try:
                entries = self._next_entries(block_ms)
            except Exception:
                self._recover = True
                raise
            block_ms = None
            if not entries:
                break
            for ids, clicks in _transactions([(entry_id, _decode(fields)) for entry_id, fields in entries],
                                             self._transaction_clicks):
                try:
                    written = self._commit(clicks)
                    self.redis.xack(STREAM, GROUP, *ids)
                    self.redis.xdel(STREAM, *ids)
                    self._per_entry = len(clicks) / len(ids)
                except Exception:
                    self._recover = True  # the rest of the batch stays pending; read it again next time
                    raise
                total += written
        return total

    def _commit(self, clicks: list[list[str]]) -> int:
        """Write ``clicks`` in a transaction of their own; how many were new. Then, on SQLite, leave
        the write lock free a moment: a sale waiting for it takes it now
        (``database.begin_immediate``) rather than after the whole backlog."""
        with self._session() as session, session.begin():
            written = write_values(session, clicks, self.country_of).written
        metrics.CLICKS_WRITTEN.inc(written)
        if self._sqlite:
            time.sleep(database.SQLITE_TURN_SECONDS)
        return written

    def _next_entries(self, block_ms: int | None) -> list:
        if self._recover:
            mine = self.redis.xreadgroup(GROUP, self.consumer, {STREAM: "0"}, count=self.batch_size)
            if mine and mine[0][1]:
                return mine[0][1]
            self._recover = False
        if time.monotonic() >= self._next_claim:
            claimed = self.redis.xautoclaim(STREAM, GROUP, self.consumer, self.claim_idle_ms, "0-0",
                                            count=self.batch_size)
            if claimed and claimed[1]:
                return claimed[1]
            trim_acknowledged(self.redis)
            self._next_claim = time.monotonic() + 5.0
        fresh = self.redis.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=self.batch_size, block=block_ms)
        return fresh[0][1] if fresh else []

    def _drain_spool(self) -> int:
        """Clicks spooled while Redis was away, whatever state their file was left in.

        A spool file goes through three names, and each is recovered:

        - ``clicks-<pid>.log``: web processes append to it. Renamed away from
          them to ``draining-<ns>-clicks-<pid>.log``.
        - ``draining-...``: once still for a second (a web process that opened
          it just before the rename finishes its single append), claimed by
          renaming it to ``reading-<consumer>-draining-...``, so two writers
          never read the same file at once.
        - ``reading-<consumer>-...``: written to the database, then deleted. A
          writer that dies, or whose database write raises, leaves it: the same
          consumer (its name survives a restart) takes it back at its next
          drain, and any writer takes it once untouched for
          ``STALE_READING_SECONDS`` (a consumer that never came back). Writes
          are idempotent by click id, so a file read twice counts once.
        """
        if not self.spool_dir.is_dir():
            return 0
        for path in self.spool_dir.glob("clicks-*.log"):
            try:
                path.rename(path.with_name(f"draining-{time.time_ns()}-{path.name}"))
            except FileNotFoundError:
                pass
        mine = f"reading-{self.consumer}-draining-"
        total = 0
        for path in sorted(self.spool_dir.glob("reading-*")):
            if path.name.startswith(mine):
                total += self._write_spool_file(path)
            elif self._stale(path):
                total += self._claim_and_write(path, "draining-" + path.name.split("-draining-", 1)[-1])
        for path in sorted(self.spool_dir.glob("draining-*")):
            try:
                if time.time() - path.stat().st_mtime < 1.0:
                    continue
            except FileNotFoundError:
                continue  # another writer took it
            total += self._claim_and_write(path, path.name)
        return total

    @staticmethod
    def _stale(path: Path) -> bool:
        try:
            return time.time() - path.stat().st_mtime > STALE_READING_SECONDS
        except FileNotFoundError:
            return False

    def _claim_and_write(self, path: Path, draining_name: str) -> int:
        try:
            claimed = path.rename(path.with_name(f"reading-{self.consumer}-{draining_name}"))
            os.utime(claimed)  # fresh again: other writers now see it as taken, not abandoned
        except FileNotFoundError:
            return 0  # another writer took it
        return self._write_spool_file(claimed)

    def _write_spool_file(self, path: Path) -> int:
        clicks = []
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            return 0  # written and deleted by a writer that took it as abandoned
        for line in text.split("\n"):
            if not line:
                continue
            try:
                clicks.append(decode_values(line))
            except ValueError:
                log.error("dropping a malformed spooled click: %r", line[:200])
        size = self._transaction_clicks
        total = sum(self._commit(clicks[start:start + size]) for start in range(0, len(clicks), size))
        path.unlink(missing_ok=True)
        return total

    def write_now(self, click_id: str) -> bool:
        """Write one click still waiting in the stream (a sale names it early).

        Looks only around the time its id encodes; never raises, because a
        sale must be recorded whatever the buffer's state. True when written.
        """
        try:
            with Session(self.engine) as session:
                if session.scalar(select(Click.id).where(Click.id == click_id)) is not None:
                    return False
            ms = int(click_id[:11], 16)
            # Stream ids carry Redis's clock at XADD time: within a second or
            # two of the web process's clock that stamped the click id.
            entries = self.redis.xrange(STREAM, f"{max(ms - 5_000, 0)}", f"{ms + 5_000}", count=100_000)
            for click in (c for _, fields in entries for c in _decode(fields)):
                if click[0] == click_id:  # FIELDS[0], the id
                    with self._session() as session, session.begin():
                        written = write_values(session, [click], self.country_of).written
                    metrics.CLICKS_WRITTEN.inc(written)
                    return True
        except Exception:  # noqa: BLE001
            log.exception("could not fetch click %s from the buffer", click_id)
        return False

    def run(self, should_stop, idle_block_ms: int = 1000, pause: float = 0.2) -> None:
        """Drain until ``should_stop()``; database or Redis outages back off and retry.

        The pause between drains lets clicks gather into large batches: one
        transaction per few hundred clicks instead of one per handful. In a burst
        (clicks arriving at ``burst_rate`` a second or faster, seen over two drains
        in a row) the writer holds off
        until the oldest waiting click has waited ``max_lag`` seconds (see hold_off):
        the redirects have the machine, and the database, to themselves meanwhile.
        """
        delay = 0.5
        since, waiting = time.monotonic(), None
        fast = False  # the drain before this one saw clicks arrive at the burst's rate too
        while not should_stop():
            try:
                waiting = self.redis.xlen(STREAM) if waiting is None else waiting
                # A few batches at a time, so that a burst is seen while it lasts: a drain reads
                # until the stream is empty, which in a burst the writer (niced) may never see.
                written = self.drain(block_ms=idle_block_ms, max_batches=RUN_BATCHES)
                now, left = time.monotonic(), self.redis.xlen(STREAM)
                # Clicks that arrived meanwhile: those written, less a backlog caught up (a restart,
                # a spool file, the end of a hold), plus what waits now that did not before.
                arrived = max(0.0, written + (left - waiting) * self._per_entry)
                rate, since, waiting = arrived / max(now - since, 1e-3), now, left
                delay = 0.5
                # Two drains in a row at the rate: not one drain's misjudged entry sizes.
                burst = bool(self.burst_rate) and self.max_lag > 0 and rate >= self.burst_rate
                if burst and fast:
                    self.hold_off(should_stop, rate, pause)
                else:
                    time.sleep(pause)
                fast = burst
            except Exception:  # noqa: BLE001 - keep the writer alive; entries stay pending in Redis
                log.exception("click write failed; retrying in %.1fs", delay)
                waiting = None
                time.sleep(delay)
                delay = min(delay * 2, 30.0)

    def hold_off(self, should_stop, rate: float, pause: float = 0.2) -> float:
        """Wait, in a burst, until the oldest click in the stream has waited ``max_lag`` seconds
        (or ``MAX_HELD_ENTRIES`` entries wait, or ``max_lag`` seconds passed
        here, or we stop); the seconds waited.

        A burst of redirects on a machine the writer shares with them (and with the database)
        would otherwise lose CPU to every batch written: its inserts, roll-ups and commits, in
        this process and in the database's. Its clicks are durable in Redis meanwhile, and a
        sale naming one writes it at once (write_now). While the burst lasts, each click is
        written about ``max_lag`` seconds after it arrived (a backlog older than that is
        written without waiting); a writer that falls behind even so writes as it always did.
        """
        started = time.monotonic()
        while not should_stop() and time.monotonic() - started < self.max_lag:
            # (the wall-clock bound: another writer may keep the stream young, and this one's
            # spool files, read only by a drain, wait with it)
            waiting, oldest = backlog(self.redis)
            if oldest >= self.max_lag - pause or waiting >= MAX_HELD_ENTRIES:
                break  # (at once while a backlog older than that is still being written)
            time.sleep(pause)
        waited = time.monotonic() - started
        if waited >= 1:
            log.info("held clicks for %.1f s in a burst (%.0f/s reached this writer)", waited, rate)
        return waited


_writer: AppSlot[ClickWriter] = AppSlot("click_writer")


def writer_for(app: Flask) -> ClickWriter:
    """The app's click writer, made on first use: the click-writer process's, or the
    one a sale uses to write the click it names before the writer gets to it."""
    return _writer.get_or_make(app, lambda: ClickWriter(
        redis_client.connection(app), database.engine_of(app), spool_dir(app.config),
        app.config["CLICK_BATCH_SIZE"], consumer_name(app.config), int(app.config["CLICK_CLAIM_IDLE_SECONDS"] * 1000),
        open_lookup(app.config.get("GEOIP_DB", "")), app.config["CLICK_WRITER_BURST_RATE"],
        app.config["CLICK_WRITER_MAX_LAG_SECONDS"]))


def consumer_name(config) -> str:
    """``CLICK_CONSUMER``, else this host and instance folder: the same after a restart."""
    digest = hashlib.sha256(str(Path(config["INSTANCE_PATH"]).resolve()).encode()).hexdigest()[:8]
    return config["CLICK_CONSUMER"] or f"{socket.gethostname()}-{digest}"
