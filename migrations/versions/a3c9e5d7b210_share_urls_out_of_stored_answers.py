"""share URLs out of stored conversion answers

A sale's stored answer (conversions.response) kept the buyer's share URL, whose
token can sign the buyer in once. The answer now keeps what re-derives that very
URL (``customer_sharer.share``: link id, may_join, issued at, read from the
token's own unsigned payload and timestamp) and drops the URL. Downgrade keeps
the rows as they are: the code of either side answers them.

Revision ID: a3c9e5d7b210
Revises: a1c4e7f20b3d
Create Date: 2026-11-30 12:45:00

"""
import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from itsdangerous.encoding import base64_decode, bytes_to_int

revision: str = 'a3c9e5d7b210'
down_revision: Union[str, Sequence[str], None] = 'a1c4e7f20b3d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

conversions = sa.table("conversions", sa.column("id", sa.Integer), sa.column("response", sa.JSON))


def share_of(url: str):
    """``[link_id, may_join, issued_at]`` from a share URL's token, or None when unreadable."""
    import zlib

    token = url.rsplit("/", 1)[-1]
    compressed = token.startswith(".")
    parts = token.lstrip(".").split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64_decode(parts[0])
        if compressed:
            payload = zlib.decompress(payload)
        _, link_id, may_join = json.loads(payload)
        return [int(link_id), bool(may_join), bytes_to_int(base64_decode(parts[1]))]
    except Exception:  # noqa: BLE001 - a token we cannot read is dropped, as it must not stay
        return None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(conversions.c.id, conversions.c.response)).all()
    for row_id, response in rows:
        if isinstance(response, str):
            response = json.loads(response)
        buyer = (response or {}).get("customer_sharer")
        if not isinstance(buyer, dict) or "share_url" not in buyer:
            continue
        share = share_of(buyer["share_url"])
        kept = {k: v for k, v in buyer.items() if k != "share_url"}
        if share is not None:
            kept["share"] = share
        bind.execute(sa.update(conversions).where(conversions.c.id == row_id)
                     .values(response={**response, "customer_sharer": kept}))


def downgrade() -> None:
    pass
