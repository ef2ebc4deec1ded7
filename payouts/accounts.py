"""How sharers are paid (their payout method) and which rails a brand has set up.

Account details and rail credentials are sealed with the app's vault; views show
only the masked account and the names of the credential fields that are set.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from payouts.models import PayoutMethod, PayoutMethodChange, RailCredential
from payouts.rails.base import Rail, RailError
from payouts.rails.registry import RAILS
from plumbing.database import insert_for, utcnow
from plumbing.errors import ApiError
from plumbing.vault import Vault
from referrals.sharers import get_sharer


def rail_named(name: str) -> Rail:
    """:raise ApiError 404: no such rail."""
    if name not in RAILS:
        raise ApiError(404, "not_found", f"No such payout rail; there are {', '.join(sorted(RAILS))}.")
    return RAILS[name]


def save_rail_credentials(session: Session, vault: Vault, workspace_id: int, name: str, given: dict,
                          allow_private: bool) -> RailCredential:
    """Validate and store (replace) a rail's merchant credentials; the caller commits.

    :raise ApiError 404: no such rail. :raise ApiError 422: a missing or malformed field.
    """
    rail = rail_named(name)
    try:
        clean = rail.clean_credentials(given, allow_private)
    except RailError as exc:
        raise ApiError(422, "validation_error", str(exc), exc.fields) from None
    values = {"sealed": vault.seal(clean), "field_names": sorted(clean), "updated_at": utcnow()}
    stmt = insert_for(session)(RailCredential).values(workspace_id=workspace_id, rail=name, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "rail"], set_=values))
    return session.scalar(select(RailCredential).where(RailCredential.workspace_id == workspace_id,
                                                       RailCredential.rail == name)
                          .execution_options(populate_existing=True))


def rail_credentials(session: Session, vault: Vault, workspace_id: int, name: str) -> dict | None:
    """A rail's decrypted credentials, or None when the brand has not set the rail up."""
    if not RAILS[name].automatic:
        return {}
    sealed = session.scalar(select(RailCredential.sealed).where(RailCredential.workspace_id == workspace_id,
                                                                RailCredential.rail == name))
    return vault.open(sealed) if sealed is not None else None


def rails_view(session: Session, workspace_id: int) -> dict:
    """Every rail: whether it pays by itself, whether it is set up, and which fields are set."""
    rows = {r.rail: r for r in session.scalars(select(RailCredential).where(
        RailCredential.workspace_id == workspace_id))}
    return {"items": [{"rail": name, "automatic": rail.automatic,
                       "configured": not rail.automatic or name in rows,
                       "fields": rows[name].field_names if name in rows else [],
                       "updated_at": rows[name].updated_at if name in rows else None}
                      for name, rail in sorted(RAILS.items())]}


def sealed_account(vault: Vault, rail_name: str, account: dict) -> tuple[str, str]:
    """``(sealed, masked)`` of a payee account checked by its rail.

    :raise ApiError 404: no such rail. :raise ApiError 422: a bad account.
    """
    rail = rail_named(rail_name)
    try:
        clean = rail.clean_account(account)
    except RailError as exc:
        raise ApiError(422, "validation_error", str(exc), exc.fields) from None
    return vault.seal(clean), rail.mask(clean)


def apply_payout_method(session: Session, workspace_id: int, sharer_id: int, rail_name: str, sealed: str,
                        masked: str) -> PayoutMethod:
    """Make a checked, sealed account the sharer's payout method; the caller commits. A request already
    open keeps the account it was made with."""
    method = session.get(PayoutMethod, sharer_id)
    if method is None:
        method = PayoutMethod(sharer_id=sharer_id, workspace_id=workspace_id)
        session.add(method)
    method.rail, method.sealed, method.masked, method.updated_at = rail_name, sealed, masked, utcnow()
    return method


def set_payout_method(session: Session, vault: Vault, workspace_id: int, sharer_id: int, rail_name: str,
                      account: dict) -> PayoutMethod:
    """Set (replace) how a sharer is paid at once (staff); the caller commits. A seller's own change
    waits for a code instead (method_changes.py).

    :raise ApiError 404: no such sharer or rail. :raise ApiError 422: a bad account.
    """
    get_sharer(session, workspace_id, sharer_id)
    sealed, masked = sealed_account(vault, rail_name, account)
    return apply_payout_method(session, workspace_id, sharer_id, rail_name, sealed, masked)


def forget_payout_method(session: Session, sharer_id: int) -> None:
    """Erasure: the sharer's payout method and any change waiting for its code go; withdrawals keep the
    payee they were made to (the books must say who was paid). The caller commits."""
    session.execute(delete(PayoutMethodChange).where(PayoutMethodChange.sharer_id == sharer_id))
    session.execute(delete(PayoutMethod).where(PayoutMethod.sharer_id == sharer_id))


def payout_method(session: Session, workspace_id: int, sharer_id: int) -> PayoutMethod | None:
    """:raise ApiError 404: no such sharer in this workspace."""
    get_sharer(session, workspace_id, sharer_id)
    return session.get(PayoutMethod, sharer_id)


def method_json(method: PayoutMethod | None, pending: dict | None = None) -> dict:
    """The method in force (masked), and ``pending``: a change waiting for its code (method_changes.py)."""
    if method is None:
        return {"rail": None, "account": None, "updated_at": None, "pending": pending}
    return {"rail": method.rail, "account": method.masked, "updated_at": method.updated_at, "pending": pending}
