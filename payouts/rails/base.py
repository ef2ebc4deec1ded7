"""What every rail takes and answers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from plumbing import guarded_http


class RailError(ValueError):
    """Bad credentials or payee account for a rail; ``fields`` name what is wrong (for a 422)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


@dataclass(frozen=True)
class Transfer:
    """One payment to one payee. ``amount_minor`` in fen/cents of ``currency``."""

    out_no: str
    amount_minor: int
    currency: str
    account: dict
    remark: str
    notify_url: str | None = None  # where the platform may tell the outcome (rails that notify)
    rail_ref: str | None = None  # the platform's id from an earlier answer (PayPal's payout_batch_id)


@dataclass(frozen=True)
class Outcome:
    """What the platform said. ``state``: ``paid`` (final), ``failed`` (final: the money never
    left, so it may go back to the balance), ``pending`` (accepted or not known yet: ask
    again later with ``query``), or ``resend`` (the platform has no such request: send
    it again with the same out_no)."""

    state: str
    rail_status: str = ""
    rail_ref: str | None = None
    reason: str | None = None
    details: dict = field(default_factory=dict)


class Rail(Protocol):
    name: str
    #: True when the rail pays by itself; False for a file the finance team pays from (bank CSV)
    automatic: bool
    account_fields: tuple[str, ...]

    def clean_credentials(self, given: dict, allow_private: bool) -> dict:
        """:raise RailError: a missing or malformed field."""

    def clean_account(self, given: dict) -> dict:
        """:raise RailError: a missing or malformed payee field."""

    def mask(self, account: dict) -> str:
        """The account as every view shows it (most of it hidden)."""

    def send(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        """Ask the platform to pay; never raises for what the platform answers."""

    def query(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        """What became of a transfer sent before."""


def require_text(given: dict, names: tuple[str, ...], what: str) -> None:
    """:raise RailError: any of ``names`` missing or blank in ``given``."""
    errors = {f: "is required" for f in names if not isinstance(given.get(f), str) or not given[f].strip()}
    if errors:
        raise RailError(f"The {what} are incomplete.", errors)


def checked_url(url: str, field: str, allow_private: bool) -> str:
    """:raise RailError: a URL outgoing calls may not reach (see guarded_http)."""
    try:
        guarded_http.check_url(url, allow_private)
    except guarded_http.TargetRefused as exc:
        raise RailError(str(exc), {field: str(exc)}) from None
    return url
