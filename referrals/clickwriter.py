"""Moves buffered clicks into the database in batches.

Reads the Redis stream through a consumer group (so several writers on
several machines share the work and a crashed writer's batch is claimed by
another), writes a batch in one transaction, then acknowledges it. Every step
is idempotent: click ids are primary keys, so a batch written twice (crash
between commit and ack) inserts and counts nothing the second time.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from database import insert_for
from referrals.clickbuffer import GROUP, STREAM
from referrals.models import Click, ClickRollup, VisitorHour

log = logging.getLogger(__name__)
CLAIM_IDLE_MS = 60_000


@dataclass
class WriteResult:
    written: int = 0
    unique: int = 0


def write_clicks(session: Session, clicks: list[dict]) -> WriteResult:
    """Insert ``clicks`` (stream field dicts) and update rollups; the caller commits.

    Already-written clicks are skipped; uniqueness is one click per visitor per
    link per UTC hour, decided against everything written before.
    """
    if not clicks:
        return WriteResult()
    insert = insert_for(session)
    rows = {}
    for c in clicks:
        rows[c["id"]] = {
            "id": c["id"], "workspace_id": int(c["ws"]), "link_id": int(c["link"]),
            "campaign_id": int(c["campaign"]), "sharer_id": int(c["sharer"]), "channel": c["channel"],
            "clicked_at": datetime.fromtimestamp(int(c["ts"]) / 1000, timezone.utc),
            "visitor": c["visitor"], "user_agent": c["ua"], "referrer": c["ref"],
            "bot": c["bot"] == "1", "is_unique": False,
        }
    new_ids = set(session.scalars(
        insert(Click).values(list(rows.values())).on_conflict_do_nothing().returning(Click.id)
    ))
    if not new_ids:
        return WriteResult()
    human = [rows[i] for i in sorted(new_ids) if not rows[i]["bot"]]
    first_of_hour: dict[tuple, str] = {}
    for r in human:
        key = (r["link_id"], r["visitor"], int(r["clicked_at"].timestamp()) // 3600)
        first_of_hour.setdefault(key, r["id"])
    unique_ids: list[str] = []
    if first_of_hour:
        fresh = set(tuple(row) for row in session.execute(
            insert(VisitorHour)
            .values([{"link_id": k[0], "visitor": k[1], "hour": k[2]} for k in first_of_hour])
            .on_conflict_do_nothing()
            .returning(VisitorHour.link_id, VisitorHour.visitor, VisitorHour.hour)
        ))
        unique_ids = [first_of_hour[k] for k in fresh]
        if unique_ids:
            session.execute(update(Click).where(Click.id.in_(unique_ids)).values(is_unique=True))
    unique_set = set(unique_ids)
    rollups: dict[tuple, dict] = {}
    for r in human:
        hour = int(r["clicked_at"].timestamp()) // 3600
        agg = rollups.setdefault((r["link_id"], hour), {
            "link_id": r["link_id"], "hour": hour, "workspace_id": r["workspace_id"],
            "campaign_id": r["campaign_id"], "sharer_id": r["sharer_id"], "channel": r["channel"],
            "clicks": 0, "unique_clicks": 0,
        })
        agg["clicks"] += 1
        agg["unique_clicks"] += r["id"] in unique_set
    if rollups:
        stmt = insert(ClickRollup).values(list(rollups.values()))
        stmt = stmt.on_conflict_do_update(
            index_elements=[ClickRollup.link_id, ClickRollup.hour],
            set_={"clicks": ClickRollup.clicks + stmt.excluded.clicks,
                  "unique_clicks": ClickRollup.unique_clicks + stmt.excluded.unique_clicks},
        )
        session.execute(stmt)
    return WriteResult(written=len(new_ids), unique=len(unique_ids))


def _decode(fields: dict) -> dict:
    return {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
            for k, v in fields.items()}


class ClickWriter:
    """One consumer of the click stream (and of this machine's spool files)."""

    def __init__(self, redis, engine: Engine, spool_dir: Path, batch_size: int = 2000, consumer: str | None = None):
        self.redis = redis
        self.engine = engine
        self.spool_dir = spool_dir
        self.batch_size = batch_size
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self._ensure_group()

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
        total = self._drain_spool()
        for _ in range(max_batches):
            entries = self._next_entries(block_ms)
            block_ms = None
            if not entries:
                break
            ids = [entry_id for entry_id, _ in entries]
            with Session(self.engine) as session, session.begin():
                total += write_clicks(session, [_decode(f) for _, f in entries if f]).written
            self.redis.xack(STREAM, GROUP, *ids)
            self.redis.xdel(STREAM, *ids)
        return total

    def _next_entries(self, block_ms: int | None) -> list:
        mine = self.redis.xreadgroup(GROUP, self.consumer, {STREAM: "0"}, count=self.batch_size)
        if mine and mine[0][1]:
            return mine[0][1]
        claimed = self.redis.xautoclaim(STREAM, GROUP, self.consumer, CLAIM_IDLE_MS, "0-0", count=self.batch_size)
        if claimed and claimed[1]:
            return claimed[1]
        fresh = self.redis.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=self.batch_size, block=block_ms)
        return fresh[0][1] if fresh else []

    def _drain_spool(self) -> int:
        """Clicks spooled while Redis was away: renamed first, read after a pause.

        The pause lets a web process that opened the file just before the
        rename finish its single append.
        """
        if not self.spool_dir.is_dir():
            return 0
        for path in self.spool_dir.glob("clicks-*.jsonl"):
            path.rename(path.with_name(f"draining-{time.time_ns()}-{path.name}"))
        total = 0
        for path in sorted(self.spool_dir.glob("draining-*")):
            if time.time() - path.stat().st_mtime < 1.0:
                continue
            clicks = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            for start in range(0, len(clicks), self.batch_size):
                with Session(self.engine) as session, session.begin():
                    total += write_clicks(session, clicks[start:start + self.batch_size]).written
            path.unlink()
        return total

    def run(self, should_stop, idle_block_ms: int = 1000) -> None:
        """Drain until ``should_stop()``; database or Redis outages back off and retry."""
        delay = 0.5
        while not should_stop():
            try:
                self.drain(block_ms=idle_block_ms)
                delay = 0.5
            except Exception:  # noqa: BLE001 - keep the writer alive; entries stay pending in Redis
                log.exception("click write failed; retrying in %.1fs", delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
