"""Saving and loading channel credentials (validated by the channel's adapter)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels import REGISTRY, publishers
from channels.base import InvalidCredentials, Publisher
from credentials.models import ChannelCredential
from plumbing.database import insert_for, utcnow
from plumbing.errors import ApiError
from plumbing.vault import Vault


def adapter_for(channel: str) -> Publisher:
    """:raise ApiError 404: unknown channel. :raise ApiError 422: a channel without an API adapter,
    or one whose account is connected by OAuth (brand_accounts/)."""
    if channel not in REGISTRY:
        raise ApiError(404, "not_found", "No such channel.")
    adapters = publishers()
    if channel not in adapters:
        raise ApiError(422, "no_api_adapter", f"The {channel} channel is published as a copy-ready kit; "
                                              f"only {', '.join(c for c, a in adapters.items() if getattr(a, 'oauth', None) is None)} "
                                              f"take credentials.")
    if getattr(adapters[channel], "oauth", None) is not None:
        raise ApiError(422, "connect_by_oauth", f"The brand's {channel} account is connected by OAuth: "
                                                f"POST /api/v1/accounts/{channel}/connect.")
    return adapters[channel]


def save_credentials(session: Session, vault: Vault, workspace_id: int, channel: str, given: dict,
                     allow_private: bool) -> tuple[ChannelCredential, dict]:
    """Validate and store (replace) the channel's credentials; the caller commits.

    :return: the row, and the generated values to show this once (e.g. a webhook secret).
    :raise ApiError 404/422: unknown channel, no adapter, or invalid fields.
    """
    publisher = adapter_for(channel)
    try:
        clean = publisher.validate(given, allow_private)
    except InvalidCredentials as exc:
        raise ApiError(422, "validation_error", f"The {channel} credentials are invalid.", exc.fields) from None
    names = sorted(k for k, v in clean.items() if v is not None)
    values = {"sealed": vault.seal(clean), "field_names": names, "updated_at": utcnow()}
    insert = insert_for(session)
    stmt = insert(ChannelCredential).values(workspace_id=workspace_id, channel=channel, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "channel"], set_=values))
    row = session.scalar(select(ChannelCredential).where(ChannelCredential.workspace_id == workspace_id,
                                                         ChannelCredential.channel == channel)
                         .execution_options(populate_existing=True))
    shown_once = {k: clean[k] for k in publisher.generated if k not in given and clean.get(k) is not None}
    return row, shown_once


def load_credentials(session: Session, vault: Vault, workspace_id: int, channel: str) -> dict | None:
    """The channel's decrypted credentials, or None when none are stored (for publishing jobs)."""
    sealed = session.scalar(select(ChannelCredential.sealed).where(
        ChannelCredential.workspace_id == workspace_id, ChannelCredential.channel == channel))
    return vault.open(sealed) if sealed is not None else None


def credential_exists(session: Session, workspace_id: int, channel: str) -> bool:
    return session.scalar(select(ChannelCredential.id).where(ChannelCredential.workspace_id == workspace_id,
                                                             ChannelCredential.channel == channel)) is not None


def get_credential_row(session: Session, workspace_id: int, channel: str) -> ChannelCredential | None:
    adapter_for(channel)
    return session.scalar(select(ChannelCredential).where(ChannelCredential.workspace_id == workspace_id,
                                                          ChannelCredential.channel == channel))


def delete_credentials(session: Session, workspace_id: int, channel: str) -> None:
    """:raise ApiError 404: nothing stored for the channel."""
    row = get_credential_row(session, workspace_id, channel)
    if row is None:
        raise ApiError(404, "not_found", f"No {channel} credentials are stored.")
    session.delete(row)


def redacted(row: ChannelCredential | None, channel: str) -> dict:
    """What the API may show: which fields are set and when, never a value."""
    if row is None:
        return {"channel": channel, "configured": False, "fields": [], "updated_at": None}
    return {"channel": channel, "configured": True, "fields": row.field_names, "updated_at": row.updated_at}
