"""The floor for ``bench_sales.py``: a bare Flask app recording a sale in the statements Sharecast spends on one.

Per ``POST /api/v1/conversions``: the JSON body read, one transaction with SQLAlchemy Core on the
same database (the order's lock, one read for an earlier answer, the sale and seven more rows, as a
sale with enrolment writes: buyer, link, commissions, ledger lines, roll-ups), in as many statements
as Sharecast's sale (ten on SQLite; three on PostgreSQL: the lock sent with BEGIN, the read, and
one write for every row), and the answer as JSON; a replayed order answers its first answer. No key check,
schema, attribution, rules or roll-up logic: what is left is the stack (granian, Flask, SQLAlchemy,
the driver and the database) at the same work, the most any app on it could reach.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from flask import Flask, request
from sqlalchemy import text

from plumbing.database import make_engine

app = Flask(__name__)
_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(os.environ['SHARECAST_INSTANCE']) / 'bare-sale.db'}"
POSTGRESQL = _url.startswith("postgresql")
# Sharecast's own engine settings (SQLite: WAL, NORMAL sync, the busy timeout, BEGIN IMMEDIATE).
engine = make_engine(_url)
_ROWS = ("buyer", "link", "commission 1", "commission 2", "ledger 1", "ledger 2", "rollup")


def create_tables() -> None:
    key = "BIGSERIAL PRIMARY KEY" if POSTGRESQL else "INTEGER PRIMARY KEY"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bare_rows"))
        conn.execute(text("DROP TABLE IF EXISTS bare_orders"))
        conn.execute(text(f"CREATE TABLE bare_orders (id {key}, order_id VARCHAR(200) UNIQUE NOT NULL, "
                          "amount_minor BIGINT NOT NULL, response TEXT NOT NULL)"))
        conn.execute(text(f"CREATE TABLE bare_rows (id {key}, order_ref BIGINT NOT NULL, kind VARCHAR(20) NOT NULL, "
                          "amount_minor BIGINT NOT NULL)"))


@app.post("/api/v1/conversions")
def conversions():
    body = request.get_json()
    order, amount = str(body["order_id"]), int(round(float(body["amount"]) * 100))
    with engine.begin() as conn:
        if POSTGRESQL:  # (SQLite: the engine's BEGIN IMMEDIATE, as Sharecast's, is the lock)
            lock = int.from_bytes(hashlib.blake2b(order.encode(), digest_size=8).digest(), "big", signed=True)
            with conn.connection.driver_connection.pipeline():  # with its BEGIN, as Sharecast's (database.lock)
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%(k)s)", {"k": lock})
        prior = conn.execute(text("SELECT response FROM bare_orders WHERE order_id = :o"), {"o": order}).scalar()
        if prior is not None:
            return app.response_class(prior, status=200, mimetype="application/json")
        answer = json.dumps({"order_id": order, "amount": body["amount"], "customer": body.get("customer"),
                             "commissions": [{"level": 1}, {"level": 2}]})
        if POSTGRESQL:
            _one_write(conn, order, amount, answer)
        else:
            ref = conn.execute(text("INSERT INTO bare_orders (order_id, amount_minor, response) VALUES (:o, :a, :r) "
                                    "RETURNING id"), {"o": order, "a": amount, "r": answer}).scalar()
            for kind in _ROWS:
                conn.execute(text("INSERT INTO bare_rows (order_ref, kind, amount_minor) VALUES (:r, :k, :a)"),
                             {"r": ref, "k": kind, "a": amount})
    return app.response_class(answer, status=201, mimetype="application/json")


def _one_write(conn, order: str, amount: int, answer: str) -> None:
    """The same rows in the one statement a Sharecast sale writes them in on PostgreSQL: the order,
    and its seven rows after it."""
    values = ", ".join(f"('{kind}')" for kind in _ROWS)
    conn.execute(text(
        "WITH o AS (INSERT INTO bare_orders (order_id, amount_minor, response) VALUES (:o, :a, :r) RETURNING id) "
        f"INSERT INTO bare_rows (order_ref, kind, amount_minor) SELECT o.id, k.kind, :a FROM o, (VALUES {values}) AS k(kind)"),
        {"o": order, "a": amount, "r": answer})
