"""Recording sales and refunds: idempotent, attributed, booked, enrolled.

``record_conversion`` gathers evidence, calls the pure attribution and
commission functions, and writes the results in the request's transaction.
Uniqueness per (workspace, type, order_id[, refund_id]) is the database's
job; a losing concurrent duplicate reads the winner's stored answer.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, and_, bindparam, case, func, inspect, null, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from catalog.models import Campaign
from catalog.rules import Rule
from events.emit import emit_reversals, emit_sale
from events.models import WebhookEndpoint
from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import format_amount, parse_amount
from referrals import bonuses, ledger, line_refunds, prizes
from referrals.attribution import Evidence, attribute
from referrals.binding import bind, binding_json, bound_evidence, find_binding, refunded, repeat_terms
from referrals.commission import shares_for_sale
from referrals.customer_rollup import first_purchase, note_sale, refresh_customer, refresh_first_sale
from referrals.enrollment import apply
from referrals.grades import rates_for
from referrals.identity import normalize_email, normalize_phone, same_person
from referrals.lines import held, pay_lines, resolve_lines, store_lines
from referrals.links import get_or_create_link, unsaved_link
from referrals.models import (
    Application,
    Click,
    Commission,
    Conversion,
    CustomerBinding,
    Link,
    RiskSettings,
    Sharer,
    SharerFirstSale,
)
from referrals.reviews import DEFAULT_HOLD_DAYS, hold_if_flagged, recent_sales, sales_so_far
from referrals.share_tokens import share_url
from referrals.sharers import create_sharer, customer_query, find_customer, unsaved_sharer
from referrals.visitors import ip_hash, ip_prefix_hash
from workspaces.models import Workspace

EVIDENCE_KEYS = ("click_id", "code", "sharer_id", "coupon")
# The API's names for how a sale was attributed (``attributed_by``).
ATTRIBUTED_BY = {"click": "click", "code": "code", "sharer_id": "sharer", "coupon": "coupon", "binding": "binding"}


@dataclass
class Outcome:
    status: int
    body: dict


def fingerprint(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_conversion(session: Session, workspace_id: int, data: dict, public_url: str) -> Outcome:
    """Record a sale or refund shaped by ConversionIn; the caller commits.

    :raise ApiError 422: bad amount, currency or evidence; nothing stored.
    :return: 201 and the answer; 200 and the first answer on an identical
        replay; raises 409 on a replay with different content.
    """
    return _record(session, workspace_id, data, public_url)


class _TakenMeanwhile(Exception):
    """A new buyer written with their sale found their code word or external_id taken (see _enroll)."""


def _record(session: Session, workspace_id: int, given: dict, public_url: str, enroll_apart: bool = False) -> Outcome:
    """:func:`record_conversion`; ``enroll_apart``: a new buyer is enrolled by statements of their
    own (see _enroll): on the second try, and whenever the session holds other work (several
    orders of one delivery, an import's dry run in a savepoint), which a second try's rollback
    would take with it."""
    enroll_apart = enroll_apart or session.in_transaction()
    data = given
    refund_id = data.get("refund_id") or ""
    if data["type"] == "sale" and refund_id:
        raise ApiError(422, "validation_error", "Only a refund has a refund_id.", {"refund_id": "not allowed on a sale"})
    data, network = _without_ip(data)
    request_hash = fingerprint({k: v for k, v in data.items() if v is not None})
    key = (workspace_id, data["type"], data["order_id"], refund_id)
    # One order at a time: a sale and its refunds must see each other, and
    # identical concurrent refunds must replay rather than both apply.
    order_lock = f"order:{workspace_id}:{data['order_id']}"
    if data["type"] == "sale":
        # The lock is taken before the sale's first read (see _sale), and its one read of the
        # context tells an earlier answer to replay too.
        done = _sale(session, workspace_id, data, public_url, key, request_hash, network, enroll_apart,
                     order_lock=order_lock)
        if isinstance(done, Outcome):
            return done
        body, conversion, follow_up = done
    else:
        database.lock(session, order_lock)
        replay = _replay(session, key, request_hash, public_url)
        if replay:
            return replay
        body, conversion, follow_up = _refund(session, session.get(Workspace, workspace_id), data, refund_id)
    conversion.request_hash = request_hash

    def write(book=None) -> None:
        """Insert the row, once, with the answer as known by then: a sale's follow-up writes it with
        its commissions, whose ids it knows already (see _Context): ``book(row)`` books them and
        inserts ``row`` (``ledger.book_new``; None: in already). An answer that changes after that
        (a review, early refunds, lines) costs an UPDATE at the end."""
        row = None
        if conversion not in session:
            conversion.response = copy.deepcopy(_stored(body))  # (body changes on; the row keeps this)
            if conversion.id is None:  # a refund: its INSERT draws its id
                session.add(conversion)
                session.flush()
            else:  # a sale, whose id was drawn with its context
                row = conversion
        if book is not None:
            book(row)
        elif row is not None:
            database.insert_object(session, row)
        body["id"] = conversion.id

    try:
        # No savepoint: on a conflict the whole transaction is rolled back below anyway.
        if conversion.id is None:  # a refund: its id is drawn by its INSERT, and its follow-up needs it
            write()
        body["id"] = conversion.id
        follow_up(conversion, body, write)
        write()
        stored = _stored(body)
        if stored != conversion.response:
            conversion.response = stored
        session.flush()
    except IntegrityError:
        # Someone recorded the same (type, order_id) while we worked: answer theirs.
        session.rollback()
        replay = _replay(session, key, request_hash, public_url)
        if replay:
            return replay
        raise
    except _TakenMeanwhile:
        # Nothing of this sale is written, and the transaction was this sale's alone: once more,
        # enrolling the buyer on their own (another order of theirs may have enrolled them).
        session.rollback()
        return _replay(session, key, request_hash, public_url) or _record(
            session, workspace_id, given, public_url, enroll_apart=True)
    return Outcome(201, _answer(conversion.response, workspace_id, public_url))


def _without_ip(data: dict) -> tuple[dict, str | None]:
    """The request with the buyer's IP (``customer.ip``, checked by the schema) replaced by a keyed
    hash of the whole address, which still tells a replay from a different request, and the keyed
    hash of its prefix, which the sale keeps: the address itself goes no further."""
    customer = data.get("customer") or {}
    if not customer.get("ip"):
        # (no "ip" key at all: a request without one hashes as it did before the field existed)
        return ({**data, "customer": {k: v for k, v in customer.items() if k != "ip"}} if "ip" in customer
                else data), None
    secret = current_app.config["SECRET_KEY"]
    try:
        network = ip_prefix_hash(secret, customer["ip"])
    except ValueError:  # (a caller that skipped the schema)
        raise ApiError(422, "validation_error", "Invalid IP address.",
                       {"customer.ip": "not an IPv4 or IPv6 address"}) from None
    return {**data, "customer": {**customer, "ip": ip_hash(secret, customer["ip"])}}, network


def _stored(body: dict) -> dict:
    """The answer as kept for replays: without the buyer's share URL, which can sign them in
    once, but with what re-derives it (``share``: link id, may_join, issued at)."""
    buyer = body.get("customer_sharer")
    if not buyer:
        return body
    return {**body, "customer_sharer": {k: v for k, v in buyer.items() if k != "share_url"}}


def _answer(stored: dict, workspace_id: int, public_url: str) -> dict:
    """The answer as sent: the share URL re-derived (the same URL as first issued), ``share`` dropped."""
    buyer = stored.get("customer_sharer")
    if not buyer or "share" not in buyer:
        return stored  # no buyer, or a row from before share URLs were re-derived
    link_id, may_join, issued_at = buyer["share"]
    shown = {k: v for k, v in buyer.items() if k != "share"}
    shown["share_url"] = share_url(public_url, workspace_id, link_id, may_join, issued_at)
    return {**stored, "customer_sharer": shown}


def _replay(session: Session, key: tuple, request_hash: str, public_url: str) -> Outcome | None:
    workspace_id, kind, order_id, refund_id = key
    existing = session.scalar(select(Conversion).where(
        Conversion.workspace_id == workspace_id, Conversion.type == kind,
        Conversion.order_id == order_id, Conversion.refund_id == refund_id))
    return _replay_of(existing, key, request_hash, public_url)


def _replay_of(existing: Conversion | _Prior | None, key: tuple, request_hash: str, public_url: str) -> Outcome | None:
    """The stored answer when ``existing`` (the row for ``key``) is there; 409 when it differs."""
    workspace_id, kind, order_id, _ = key
    if existing is None:
        return None
    if existing.request_hash != request_hash:
        raise ApiError(409, "conversion_conflict",
                       f"A {kind} for order {order_id!r} was already recorded with different content.")
    return Outcome(200, _answer(existing.response, workspace_id, public_url))


def _amount(data: dict, currency: str) -> int:
    try:
        amount = parse_amount(data["amount"], currency)
    except ValueError as exc:
        raise ApiError(422, "validation_error", "Invalid amount.", {"amount": str(exc)}) from None
    if amount <= 0:
        raise ApiError(422, "validation_error", "Invalid amount.", {"amount": "must be above 0"})
    return amount


# Made once: a fresh alias per sale costs its column proxies and a new cache key, milliseconds.
_INVITER, _BUYER, _PRIOR = aliased(Sharer, name="inviter"), aliased(Sharer, name="buyer"), aliased(Conversion, name="prior")


@dataclass
class _Prior:
    """What a replay reads of the order's recorded sale (see _replay_of)."""
    request_hash: str
    response: dict


@dataclass
class _Context:
    """What a sale reads before it writes, gathered by :func:`_context` in one query."""
    workspace: Workspace
    evidence: Evidence
    risk: RiskSettings
    listeners: bool  # any live webhook endpoint
    buyer: Sharer | None  # the sharer the customer already is (see find_customer)
    prior: _Prior | None  # this order's sale, recorded already
    early_refunds: bool  # refunds of this order wait for their sale
    seller_totals: tuple[int, int, int] | None  # the evidence sharer's sales, gross, refunded (before this one)
    seller_first_sale: datetime | None  # the evidence sharer's first sale as stored (SharerFirstSale)
    # Ids for the sale and its (at most two) commissions, taken before they are written, so that the
    # sale's row carries its whole answer from its INSERT: no UPDATE of the answer afterwards.
    conversion_id: int
    commission_ids: tuple[int, int]
    # Ids for a buyer who is no sharer yet and their link, likewise (see _enroll); None: the buyer
    # is, or is enrolled apart (record_conversion's second try).
    new_buyer_ids: tuple[int, int] | None


def _new_ids(postgresql: bool) -> tuple:
    """The next conversion id, two commission ids, and a sharer's and a link's for a buyer who is
    no sharer yet (see _enroll), as columns of the context query.

    PostgreSQL: drawn from the tables' sequences (an unused one is a gap, as after any rollback);
    the buyer's two only when the query found no buyer. SQLite: the next free ids, which nobody
    else can take meanwhile: every writing transaction there begins IMMEDIATE, so runs alone (see
    plumbing.database)."""
    if postgresql:
        new_buyer = _BUYER.id.is_(None)
        return (func.nextval("conversions_id_seq"), func.nextval("commissions_id_seq").label("c1"),
                func.nextval("commissions_id_seq").label("c2"),
                case((new_buyer, func.nextval("sharers_id_seq"))).label("buyer_id"),
                case((new_buyer, func.nextval("links_id_seq"))).label("buyer_link_id"))

    def next_free(model: type, name: str):
        """The next free id of ``model``'s table, read through an alias of its own (the query
        joins the same tables)."""
        table = aliased(model, name=name)
        return select(func.coalesce(func.max(table.id), 0) + 1).correlate(None).scalar_subquery()

    after = next_free(Commission, "latest_commission")
    return (next_free(Conversion, "latest"), after.label("c1"), (after + 1).label("c2"),
            next_free(Sharer, "latest_sharer").label("buyer_id"), next_free(Link, "latest_link").label("buyer_link_id"))


@functools.cache
def _context_query(by_code: bool, with_campaign: bool, external_id: bool, email: bool, phone: bool,
                   postgresql: bool = False) -> Select:
    """:func:`_context`'s query for one shape of sale, with bound parameters: built once per shape
    (building it per sale cost a quarter of a sale's CPU)."""
    inviter, buyer, prior = _INVITER, _BUYER, _PRIOR
    order_id = bindparam("order_id")
    listening = select(WebhookEndpoint.id).where(WebhookEndpoint.workspace_id == Workspace.id,
                                                 WebhookEndpoint.deleted_at.is_(None)).exists()
    waiting = select(Conversion.id).where(Conversion.workspace_id == Workspace.id, Conversion.type == "refund",
                                          Conversion.order_id == order_id, Conversion.applied.is_(False)).exists()
    # (the prior sale: the two columns a replay reads, not its whole row)
    # The seller's latest sales (the refund-share rule's input), summed in a one-row derived table
    # read from the seller's index alone: bounded however many sales the seller has.
    seller = (select(Link.sharer_id).where(Link.workspace_id == bindparam("workspace_id"),
                                           Link.code == bindparam("code")).correlate(None).scalar_subquery()
              if by_code else bindparam("sharer_id"))
    totals = sales_so_far(recent_sales(seller)).subquery("seller_totals")
    query = select(*(getattr(entity, key) for _, entity, keys in _rows_read() for key in keys),
                   prior.request_hash.label("prior_hash"),
                   prior.response.label("prior_response"), waiting.label("waiting"),
                   listening.label("listeners"), totals.c.sales, totals.c.gross, totals.c.refunded,
                   select(SharerFirstSale.first_sale_at).where(SharerFirstSale.workspace_id == Workspace.id,
                                                               SharerFirstSale.sharer_id == Sharer.id).scalar_subquery(),
                   *_new_ids(postgresql))
    if by_code:
        query = (query.add_columns(Link.id, Link.sharer_id, Link.campaign_id, Link.channel).select_from(Workspace)
                 .outerjoin(Link, and_(Link.workspace_id == Workspace.id, Link.code == bindparam("code"))))
        campaign_on = Campaign.id == (func.coalesce(Link.campaign_id, bindparam("campaign_id")) if with_campaign
                                      else Link.campaign_id)
        sharer_on = Sharer.id == Link.sharer_id
    else:
        query = query.select_from(Workspace)
        campaign_on, sharer_on = Campaign.id == bindparam("campaign_id"), Sharer.id == bindparam("sharer_id")
    found = customer_query(bindparam("workspace_id"), bindparam("external_id") if external_id else None,
                           bindparam("email") if email else None, bindparam("phone") if phone else None)
    # (correlate(None): the buyer's subquery is about every sharer, not the one joined outside)
    buyer_id = found.limit(1).correlate(None).scalar_subquery() if found is not None else null()
    return (query.outerjoin(Campaign, and_(campaign_on, Campaign.workspace_id == Workspace.id))
            .outerjoin(Sharer, and_(sharer_on, Sharer.workspace_id == Workspace.id))
            .outerjoin(totals, true())
            .outerjoin(inviter, inviter.id == Sharer.invited_by)
            .outerjoin(RiskSettings, RiskSettings.workspace_id == Workspace.id)
            .outerjoin(buyer, buyer.id == buyer_id)
            .outerjoin(prior, and_(prior.workspace_id == Workspace.id, prior.type == "sale",
                                   prior.order_id == order_id, prior.refund_id == ""))
            .where(Workspace.id == bindparam("workspace_id")))


# Columns a sale never reads, left out of its context (see _read).
_CAMPAIGN_UNREAD = ("title", "body", "hashtags", "price_minor", "original_price_minor", "landing_url", "channels",
                    "created_at", "updated_at", "brand_name", "brand_color", "call_to_action", "language",
                    "logo_image_id", "content_version", "look", "badges", "seller_opener", "template_id", "name",
                    "starts_at", "ends_at")
_RISK_UNREAD = ("updated_at",)
_WORKSPACE_UNREAD = ("slug", "name", "created_at", "min_payout_minor", "timezone", "approval_required")
_SHARER_UNREAD = ("notify_email", "notify_url", "notify_secret_sealed", "display_name", "suspension_reason",
                  "avatar_key", "phone_changed_at", "email_changed_at", "source", "created_at", "name", "code")


def _read(model: type, unread: tuple[str, ...]) -> tuple[str, ...]:
    """The attribute keys of ``model``'s columns but ``unread``: the context query's cost is per
    column (the driver decodes each, JSON ones are parsed), and more than half of
    them are campaign copy, profiles and names no sale reads (the sale tests pass with them raising
    when read). One that something reads after all is loaded then, by a statement of its own, as
    a deferred column is (tests/test_sale_statements.py counts them)."""
    keys = model.__mapper__.column_attrs.keys()
    assert set(unread) <= set(keys), "unread columns are the model's"
    return tuple(key for key in keys if key not in unread)


@functools.cache
def _rows_read() -> tuple:
    """The rows the context joins, in the order of its columns: (model, the entity in the query,
    the columns read). Read as plain columns and made objects by ``database.as_loaded``: the ORM's
    load of these six entities cost more than half of the context query's CPU. (Built on first
    use: the models' mappers are configured by then.)"""
    return ((Workspace, Workspace, _read(Workspace, _WORKSPACE_UNREAD)),
            (Campaign, Campaign, _read(Campaign, _CAMPAIGN_UNREAD)),
            (Sharer, Sharer, _read(Sharer, _SHARER_UNREAD)),
            (Sharer, _INVITER, _read(Sharer, _SHARER_UNREAD)),
            (RiskSettings, RiskSettings, _read(RiskSettings, _RISK_UNREAD)),
            (Sharer, _BUYER, _read(Sharer, _SHARER_UNREAD)))


def _context(session: Session, workspace_id: int, data: dict, evidence: Evidence | None,
             enroll_apart: bool = False, *, order_lock: str | None) -> _Context:
    """The workspace, the evidence's campaign, sharer, the sharer's inviter and sales so far, the
    risk settings, whether anyone listens to webhooks, and the buyer as a sharer: one query, run
    once the order's lock ``order_lock`` is held (on PostgreSQL sent with it, see
    ``database.locked_read``; None: held already).

    ``evidence`` None: the sale names a link ``code``, joined here too. The rows land in the
    session's identity map, so the ``session.get`` calls that follow (campaign, seller,
    inviter) cost no statement.
    """
    customer = data["customer"]
    external_id = customer.get("external_id") or None
    email, phone = normalize_email(customer.get("email")), normalize_phone(customer.get("phone"))
    by_code, with_campaign = evidence is None, data.get("campaign_id") is not None
    params = {"workspace_id": workspace_id, "order_id": data["order_id"], "external_id": external_id,
              "email": email, "phone": phone}
    if by_code:
        params.update(code=data["code"], campaign_id=data.get("campaign_id"))
    else:
        params.update(campaign_id=evidence.campaign_id, sharer_id=evidence.sharer_id)
    query = _context_query(by_code, with_campaign, bool(external_id), bool(email), bool(phone),
                           session.get_bind().dialect.name == "postgresql")
    (row,) = (database.locked_read(session, order_lock, query, params) if order_lock is not None
              else database.execute_compiled(session, query, params, fetch=True))
    rows, at = [], 0
    for model, _, keys in _rows_read():
        rows.append(database.as_loaded(session, model, dict(zip(keys, row[at:at + len(keys)]))))
        at += len(keys)
    # The identity map holds objects weakly: keep them for the transaction (the request's session).
    session.info["sale_context"] = tuple(rows)
    workspace, _, sharer, _, risk, known = rows
    (prior_hash, prior_response, waiting, listeners, sales, gross, refunded, first, conversion_id, commission_1,
     commission_2, buyer_id, buyer_link_id) = row[at:at + 13]
    recorded = None if prior_hash is None else _Prior(prior_hash, prior_response)
    if evidence is None:
        link_id, link_sharer, link_campaign, link_channel = row[at + 13:]
        evidence = (Evidence("code", None, data.get("campaign_id")) if link_id is None else
                    Evidence("code", link_sharer, link_campaign, link_id, link_channel or None))
    if sharer is not None and sharer.suspended_at is not None:
        evidence = replace(evidence, suspended=True)
    risk = risk or RiskSettings(workspace_id=workspace_id, rules={}, hold_days=DEFAULT_HOLD_DAYS,
                                expiry_decision="release")
    totals = (int(sales or 0), int(gross or 0), int(refunded or 0)) if sharer is not None else None
    return _Context(workspace, evidence, risk, bool(listeners), known, recorded, bool(waiting), totals, first,
                    conversion_id, (commission_1, commission_2),
                    None if enroll_apart or buyer_id is None else (buyer_id, buyer_link_id))


def _named(session: Session, workspace_id: int, data: dict, lock_order: Callable[[], None]) -> Evidence | None:
    """The evidence the sale names; None for a link code, which :func:`_context` looks up. Before
    reading anything (a click, a coupon's or an id's sharer), it calls ``lock_order``."""
    given = [k for k in EVIDENCE_KEYS if data.get(k) not in (None, "")]
    if len(given) > 1:
        raise ApiError(422, "validation_error", "Give one of click_id, code, sharer_id or coupon.",
                       {k: "give only one" for k in given})
    campaign_id = data.get("campaign_id")
    if not given:
        return Evidence("none", None, campaign_id)
    method = given[0]
    if method == "code":
        return None  # joined by _context
    lock_order()
    if method == "click_id":
        click = session.scalar(select(Click).where(Click.id == data["click_id"], Click.workspace_id == workspace_id))
        if click is None:
            return Evidence("click", None, campaign_id, click_id=data["click_id"])
        return Evidence("click", click.sharer_id, click.campaign_id, click.link_id, click.channel or None,
                        click.id, click.clicked_at, click.bot, content_version=click.content_version)
    if method == "coupon":
        sharer = session.scalar(select(Sharer).where(Sharer.workspace_id == workspace_id,
                                                     Sharer.code == str(data["coupon"]).strip().upper()))
    else:
        sharer = session.scalar(select(Sharer).where(Sharer.workspace_id == workspace_id,
                                                     Sharer.id == data["sharer_id"]))
    if sharer is not None and campaign_id is None:
        # Without a campaign, the sale belongs to what the sharer shared last.
        campaign_id = session.scalar(select(Link.campaign_id).where(Link.sharer_id == sharer.id)
                                     .order_by(Link.created_at.desc(), Link.id.desc()).limit(1))
        if campaign_id is None:
            raise ApiError(422, "validation_error", "This sharer has no links yet; give campaign_id.",
                           {"campaign_id": f"required with {method} for a sharer without links"})
    return Evidence(method, sharer.id if sharer else None, campaign_id)


def _sale(session: Session, workspace_id: int, data: dict, public_url: str, key: tuple, request_hash: str,
          network: str | None = None, enroll_apart: bool = False, *, order_lock: str):
    """The sale's answer, row and follow-up; or the earlier answer (an Outcome) when the order's sale
    was recorded already (``network``: the keyed hash of the buyer's IP prefix, if given), the
    order's lock (``order_lock``) taken before its first read: with the context's read (one round
    trip with the BEGIN on PostgreSQL), or before the evidence's own read when it has one.
    :raise ApiError 409: it was, with different content."""
    if not data.get("customer") or not data["customer"].get("external_id"):
        raise ApiError(422, "validation_error", "A sale needs the customer.",
                       {"customer.external_id": "required for a sale"})
    occurred_at = data.get("occurred_at") or utcnow()
    held = []

    def lock_order() -> None:
        database.lock(session, order_lock)
        held.append(order_lock)

    named = _named(session, workspace_id, data, lock_order)
    context = _context(session, workspace_id, data, named, enroll_apart, order_lock=None if held else order_lock)
    workspace, named = context.workspace, context.evidence
    if context.prior is not None:
        return _replay_of(context.prior, key, request_hash, public_url)
    binding = (find_binding(session, workspace.id, data["customer"], occurred_at)
               if workspace.binding_mode != "none" else None)
    evidence, protected = bound_evidence(named,
                                         binding.sharer_id if binding else None,
                                         binding.campaign_id if binding else None, workspace.binding_takeover)
    campaign = None
    if evidence.campaign_id is not None:
        campaign = session.get(Campaign, evidence.campaign_id)  # prefetched by _context unless bound elsewhere
        if campaign is None or campaign.workspace_id != workspace.id:
            raise ApiError(422, "validation_error", "No such campaign.", {"campaign_id": "no such campaign"})
        if data.get("campaign_id") not in (None, campaign.id) and evidence.method != "binding":
            raise ApiError(422, "validation_error", "campaign_id does not match the click or code.",
                           {"campaign_id": "does not match the evidence"})
    currency = data.get("currency") or (campaign.currency if campaign else workspace.currency)
    if campaign is not None and currency != campaign.currency:
        raise ApiError(422, "validation_error", f"The campaign sells in {campaign.currency}.",
                       {"currency": f"must be {campaign.currency}"})
    amount = _amount(data, currency)
    lines = resolve_lines(session, workspace.id, data.get("items"), currency, amount)
    window = campaign.attribution_window_days if campaign else 30
    verdict = attribute(evidence, occurred_at, window)
    sharer = session.get(Sharer, verdict.sharer_id) if verdict.attributed else None
    customer = data["customer"]
    self_referral = bool(sharer) and _self_buyer(session, customer, sharer) is not None
    # The buyer is enrolled before the sale is written, so its row names them from the start.
    buyer, enrolled = (_enroll(session, workspace, customer, sharer, self_referral, context.buyer,
                               context.new_buyer_ids)
                       if verdict.attributed else (None, False))
    buyer_sharer = buyer if isinstance(buyer, Sharer) else None
    conversion = Conversion(
        id=context.conversion_id, workspace_id=workspace.id, type="sale", order_id=data["order_id"], refund_id="",
        amount_minor=amount, currency=currency, campaign_id=campaign.id if campaign else None,
        link_id=verdict.link_id, sharer_id=verdict.sharer_id, channel=verdict.channel,
        click_id=evidence.click_id, attribution=verdict.method if verdict.attributed else f"none:{verdict.reason}",
        # A sale credited through a click inherits the creative the click came from.
        content_version=evidence.content_version if verdict.attributed and verdict.method == "click" else None,
        self_referral=self_referral, occurred_at=occurred_at, applied=True,
        customer_sharer_id=buyer_sharer.id if buyer_sharer else None,
        new_sharer=enrolled if buyer_sharer else None, ip_prefix=network,
    )
    body = {
        "type": "sale", "order_id": data["order_id"], "amount": format_amount(amount, currency),
        "currency": currency, "attributed": verdict.attributed, "attribution": verdict.method,
        "reason": verdict.reason, "campaign_id": conversion.campaign_id, "sharer_id": verdict.sharer_id,
        "channel": verdict.channel, "click_id": verdict.click_id, "self_referral": self_referral,
        "attributed_by": ATTRIBUTED_BY.get(verdict.method) if verdict.attributed else None,
        "commissions": [], "customer_sharer": None,
    }

    def follow_up(conversion: Conversion, body: dict, write) -> None:
        kept = None
        if verdict.attributed and not self_referral:
            # Before the sale's row, which names the binding (see bind).
            kept = bind(session, workspace, customer, binding, conversion)
            if kept is not None:
                body["binding"] = binding_json(kept, protected)
        if verdict.attributed:
            _book_sale(session, context, campaign, sharer, conversion, body, data["customer"], public_url, lines,
                       (buyer, enrolled), kept, write)
        elif lines:
            write()
            body["items"] = store_lines(session, conversion.id, lines, currency)
        if lines:
            flagged = [line for line in lines if line.flag]
            for line in flagged:
                body.setdefault("warnings", []).append(
                    {"code": line.flag, "message": f"line {line.sku or line.product.id}: {line.flag.replace('_', ' ')}"})
        if verdict.attributed:
            emit_sale(session, workspace.id, _answer(_stored(body), workspace.id, public_url),  # sent after commit
                      None if context.listeners else [])

    return body, conversion, follow_up


def _self_buyer(session: Session, customer: dict, sharer: Sharer) -> Sharer | None:
    """The sharer who would be paid on their own order: the seller, or the seller's inviter
    (the level-2 bonus). Either makes the sale a self-referral, which pays nobody."""
    inviter = session.get(Sharer, sharer.invited_by) if sharer.invited_by else None
    for paid in (sharer, inviter):
        if paid is not None and (
                same_person(customer.get("email"), customer.get("phone"), paid.email, paid.phone)
                or (paid.external_id is not None and paid.external_id == customer.get("external_id"))):
            return paid
    return None


def _book_sale(session: Session, context: _Context, campaign: Campaign, sharer: Sharer,
               conversion: Conversion, body: dict, customer: dict, public_url: str, lines: list,
               enrollment: tuple[Sharer | Application, bool], binding: CustomerBinding | None,
               write) -> None:
    """Commissions, enrollment and early refunds for an attributed sale; ``write`` inserts the sale's
    row, which this calls once the answer is known, with the commissions that refer to it.

    Without lines the whole amount follows the campaign's rule; with lines each
    pays by its product's rule, and a line off the brand's price holds them all.
    A repeat purchase through a binding pays the programme's repeat rule, if
    set, and nothing once past its limit in months.
    """
    workspace = context.workspace
    approvable_at = utcnow() + timedelta(days=workspace.holding_days)
    # A grade replaces the seller's rule and their inviter's bonus; it never adds a level.
    grade_rule, grade_bonus = rates_for(session, sharer)
    pays = True
    if conversion.attribution == "binding" and binding is not None:
        pays, repeat_rule = repeat_terms(workspace, binding, conversion.occurred_at)
        grade_rule = repeat_rule or grade_rule
        if not pays:
            body["reason"] = "repeat_limit_reached"
    if not pays:
        shares = []
    elif lines:
        shares = pay_lines(lines, campaign, workspace.margin_ceiling_percent, conversion.currency,
                           sharer.id, sharer.invited_by, conversion.self_referral, grade_rule, grade_bonus)
    else:
        rule = grade_rule or Rule(campaign.commission_type, campaign.commission_value)
        bonus = grade_bonus or (Rule(campaign.invite_type, campaign.invite_value) if campaign.invite_type else None)
        shares = shares_for_sale(conversion.amount_minor, conversion.currency, rule, bonus,
                                 sharer.id, sharer.invited_by, conversion.self_referral)
    status = "held" if held(lines) else "pending"
    assert len(shares) <= len(context.commission_ids), "at most two paid levels"
    rows = [dict(
        id=commission_id, workspace_id=workspace.id, conversion_id=conversion.id, campaign_id=campaign.id,
        sharer_id=share.sharer_id, level=share.level, currency=conversion.currency,
        amount_minor=share.amount_minor, reversed_minor=0, status=status, price_held=status == "held",
        approvable_at=approvable_at) for share, commission_id in zip(shares, context.commission_ids)]
    buyer, enrolled = enrollment
    buyer_id, new_rows, riders = None, (), ()
    if isinstance(buyer, Application):
        # Enrollment by approval: the buyer's request waits for a marketer like any other.
        body["customer_application"] = {"id": buyer.id, "status": buyer.status}
    else:
        buyer_id = buyer.id
    if buyer_id is not None and inspect(buyer).transient:  # made by _enroll with drawn ids: written with the sale
        link = unsaved_link(context.new_buyer_ids[1], workspace.id, campaign.id, buyer.id)
        new_rows = (buyer, link)
        if not context.early_refunds:  # their roll-ups follow from this sale alone: written with it too
            riders = (first_purchase(session, workspace.id, buyer.id, conversion),)
    elif buyer_id is not None:
        link, _ = get_or_create_link(session, workspace.id, campaign.id, buyer.id, "", new_sharer=enrolled)
    if buyer_id is not None:
        # The share page's address carries a secret, never the (public) link code: see share_tokens.
        issued_at = int(time.time())
        body["customer_sharer"] = {"id": buyer.id, "new": enrolled, "share": [link.id, enrolled, issued_at],
                                   "share_url": share_url(public_url, workspace.id, link.id, enrolled, issued_at)}
    body["commissions"] = _commissions_json(rows)  # as booked, unless a review or an early refund changes them
    # The sale's row goes in with its commissions (on PostgreSQL one statement: see ledger.book_new).
    try:
        write(functools.partial(ledger.book_new, session, rows, f"order {conversion.order_id}", new_rows=new_rows,
                                riders=riders))
    except IntegrityError as exc:
        if new_rows:  # (the buyer's unique columns; anything else fails the same way on the second try)
            raise _TakenMeanwhile from exc
        raise
    if lines:  # before the early refunds, which may name them
        body["items"] = store_lines(session, conversion.id, lines, conversion.currency)
    totals = context.seller_totals if context.evidence.sharer_id == sharer.id else None
    review = hold_if_flagged(session, conversion, sharer, customer, buyer_id, utcnow(), context.risk,
                             new_buyer=enrolled and buyer_id is not None, seller_totals=totals)
    if review is not None:
        body["review"] = {"id": review.id, "flags": review.flags}
    early_refunds = 0
    early = [] if not context.early_refunds else session.scalars(select(Conversion).where(
        Conversion.workspace_id == workspace.id, Conversion.type == "refund",
        Conversion.order_id == conversion.order_id, Conversion.applied.is_(False)).order_by(Conversion.id))
    for refund in early:
        if refund.currency != conversion.currency:
            # Never subtract one currency's minor units from another's: keep it for a human.
            body.setdefault("warnings", []).append(
                {"code": "refund_currency_mismatch",
                 "message": f"refund {refund.id} is in {refund.currency}, the sale in {conversion.currency}; not applied"})
            continue
        _apply_refund(session, conversion, refund)  # refreshes the buyer's rows itself
        early_refunds += 1
    if buyer_id is not None and not riders:
        # A buyer enrolled by this very sale has no rows yet, unless an early refund just wrote them.
        refresh_customer(session, workspace.id, buyer_id, new=enrolled and not early_refunds, sale=conversion)
    # After early refunds: a sale refunded in full is no first sale. A seller's later sales change
    # nothing, so they skip the upsert and its per-seller lock (which queued a seller's sales at peak).
    first = context.seller_first_sale if context.evidence.sharer_id == sharer.id else None
    if first is None or conversion.occurred_at < first:
        note_sale(session, conversion)
    session.flush()
    if review is not None or early_refunds:  # they changed the commissions as booked: read them back
        body["commissions"] = _commissions_json([
            {"id": c.id, "sharer_id": c.sharer_id, "level": c.level, "amount_minor": c.amount_minor,
             "currency": c.currency, "status": c.status}
            for c in session.scalars(select(Commission).where(Commission.conversion_id == conversion.id))])


def _commissions_json(rows: list[dict]) -> list[dict]:
    return [{"id": c["id"], "sharer_id": c["sharer_id"], "level": c["level"],
             "amount": format_amount(c["amount_minor"], c["currency"]), "status": c["status"]}
            for c in sorted(rows, key=lambda c: c["level"])]


def _enroll(session: Session, workspace: Workspace, customer: dict, sharer: Sharer,
            self_referral: bool, found: Sharer | None,
            new_ids: tuple[int, int] | None = None) -> tuple[Sharer | Application, bool]:
    """The buyer as a sharer invited by whoever brought them; a repeat buyer is found again
    (``found``: what :func:`find_customer` answers, read with the sale's context).

    ``new_ids``: the ids drawn for a new buyer and their link. The new sharer is then made
    unsaved, to be inserted with the sale's row (``ledger.book_new``): a taken code word, or an
    ``external_id`` another order of theirs took meanwhile, fails that statement, and
    record_conversion rolls back and tries the sale once more with the buyer enrolled apart
    (None: see _record).

    By approval, a new buyer gets an application (one, however often they buy) instead.
    """
    if self_referral:
        return _self_buyer(session, customer, sharer) or sharer, False
    workspace_id = workspace.id
    external_id, email, phone = customer.get("external_id"), customer.get("email"), customer.get("phone")
    if found:
        return found, False
    if workspace.enrollment == "approval":
        waiting = session.scalar(select(Application).where(
            Application.workspace_id == workspace_id, Application.external_id == external_id,
            Application.status == "pending"))
        if waiting is not None:
            return waiting, False
        try:
            return apply(session, workspace, customer.get("name") or "", email, phone, external_id,
                         invited_by=sharer.id, source="sale")[1], True
        except ApiError:  # contact details we cannot normalise must not cost the sale
            return apply(session, workspace, customer.get("name") or "", external_id=external_id,
                         invited_by=sharer.id, source="sale")[1], True
    name = customer.get("name") or ""

    def enroll(**contact) -> Sharer:
        given = dict(external_id=external_id, invited_by=sharer.id, source="enrolled", **contact)
        if new_ids is not None:
            return unsaved_sharer(session, new_ids[0], workspace_id, name, **given)
        return create_sharer(session, workspace_id, name, looked_up=True, **given)

    try:
        return enroll(email=email, phone=phone), True
    except ApiError as exc:
        if exc.code == "duplicate_external_id":  # (create_sharer's) another order of theirs enrolled them just now
            return find_customer(session, workspace_id, external_id, None, None), False
        # Contact details we cannot normalise must not cost the sale: enroll without them.
        return enroll(), True


def _refund(session, workspace: Workspace, data: dict, refund_id: str) -> tuple[dict, Conversion]:
    sale = session.scalar(select(Conversion).where(
        Conversion.workspace_id == workspace.id, Conversion.type == "sale",
        Conversion.order_id == data["order_id"]).with_for_update())
    currency = data.get("currency") or (sale.currency if sale else workspace.currency)
    if sale is not None and currency != sale.currency:
        raise ApiError(422, "validation_error", f"The sale was in {sale.currency}.", {"currency": f"must be {sale.currency}"})
    amount = _amount(data, currency)
    if sale is not None and amount > sale.amount_minor - sale.refunded_minor:
        raise ApiError(422, "refund_exceeds_sale", "The refunds would exceed the sale.",
                       {"amount": f"at most {format_amount(sale.amount_minor - sale.refunded_minor, currency)}"})
    named = line_refunds.parse_items(session, workspace.id, data["items"], currency, amount) if data.get("items") else []
    plan = None
    if sale is not None and named:
        lines = line_refunds.sale_lines(session, sale.id)
        if not lines:
            raise ApiError(422, "validation_error", "The sale has no lines to name.",
                           {"items": "the sale was recorded without items: refund it without items"})
        plan = line_refunds.allocate(lines, named, amount, currency, strict=True)
    refund = Conversion(
        workspace_id=workspace.id, type="refund", order_id=data["order_id"], refund_id=refund_id,
        amount_minor=amount, currency=currency, campaign_id=sale.campaign_id if sale else None,
        sharer_id=sale.sharer_id if sale else None, attribution="refund", applied=False,
        occurred_at=data.get("occurred_at") or utcnow())
    body = {"type": "refund", "order_id": data["order_id"], "refund_id": refund_id or None,
            "amount": format_amount(amount, currency), "currency": currency,
            "applied": sale is not None, "reversals": []}

    def follow_up(refund: Conversion, body: dict, write) -> None:  # (``write``: done already)
        items = line_refunds.store(session, refund.id, named, currency) if named else []
        per_line, rest = {}, {}
        if sale is not None:
            body["reversals"], per_line, rest = _apply_refund(session, sale, refund, plan)
        body["order_reversed"] = line_refunds.itemised_json(items, named, per_line, rest, currency)
        if named:
            body["items"] = items

    return body, refund, follow_up


def _apply_refund(session: Session, sale: Conversion, refund: Conversion,
                  plan: line_refunds.Allocation | None = None) -> tuple[list[dict], dict, dict]:
    """Reverse ``refund``'s share of every commission on ``sale``: in proportion to the order, and
    for the lines it names (``plan``, checked; or, for a refund that came before its sale, the
    lines it stored, cut to what is left of them) by each line's own share.

    Returns the reversals, and what they gave back per named line and for the order as a whole
    (:func:`line_refunds.itemise`)."""
    # A refund that came before its sale may be larger than what is left of it.
    room = min(refund.amount_minor, sale.amount_minor - sale.refunded_minor)
    after = sale.refunded_minor + room
    lines = line_refunds.sale_lines(session, sale.id)
    if plan is None and lines:
        plan = line_refunds.allocate(lines, line_refunds.stored(session, refund.id), room, sale.currency,
                                     strict=False)
    before, refunded_before = {line.id: line.refunded_minor for line in lines}, sale.refunded_minor
    line_refunds.apply(plan or [])
    reversals = []
    given: dict[int, int] = {}
    # Locked (by id, the order of every writer: see ledger.lock_awards): the approval job may be
    # moving these commissions right now.
    for c in sorted(session.scalars(select(Commission).where(Commission.conversion_id == sale.id)
                                    .order_by(Commission.id).with_for_update()), key=lambda c: c.level):
        delta = (c.amount_minor - c.reversed_minor) - line_refunds.kept(c, lines, sale.amount_minor, after)
        if delta > 0:
            kind = ledger.reverse(session, c, delta, refund.id, memo=f"refund of order {sale.order_id}")
            reversals.append({"commission_id": c.id, "sharer_id": c.sharer_id, "level": c.level,
                              "amount": format_amount(delta, c.currency), "kind": kind})
            given[c.level] = given.get(c.level, 0) + delta
    refunded(session, sale, after - sale.refunded_minor)
    if sale.sharer_id is not None:
        ledger.lock_awards(session, sale.workspace_id)
    prizes.reverse_for_refund(session, sale, after - sale.refunded_minor, refund.id)
    sale.refunded_minor = after
    bonuses.reverse_for_refund(session, sale, refund.id)  # reads the sale's refunds as they now stand
    refund.applied = True
    if sale.customer_sharer_id is not None:
        refresh_customer(session, sale.workspace_id, sale.customer_sharer_id)
    if sale.refunded_minor == sale.amount_minor:
        refresh_first_sale(session, sale)
    emit_reversals(session, sale.workspace_id, sale.order_id, sale.currency, refund.id, reversals)
    per_line, rest = line_refunds.itemise(plan or [], before, sale.amount_minor, refunded_before, given)
    return reversals, per_line, rest
