"""click facet hours: human clicks by device, browser, system and referring site, per campaign and hour

Revision ID: c3a9d5e7f102
Revises: b8e2f4a61c07
Create Date: 2026-11-30 16:10:00

"""
from datetime import datetime
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from plumbing import database
from referrals.clickfacets import facets_of

revision: str = 'c3a9d5e7f102'
down_revision: Union[str, Sequence[str], None] = 'b8e2f4a61c07'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('click_facet_hours',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('facet', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('clicks', sa.BigInteger(), nullable=False),
    sa.Column('unique_clicks', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('campaign_id', 'hour', 'facet', 'value', name=op.f('pk_click_facet_hours'))
    )
    _backfill()


def _backfill() -> None:
    """The clicks still kept (older ones are gone with their partitions), counted as the writer counts."""
    conn = op.get_bind()
    cells: dict[tuple, list[int]] = {}
    # Streamed in chunks (per statement: the migration's connection itself must stay as it is).
    result = conn.execute(sa.text(
        "SELECT workspace_id, campaign_id, clicked_at, user_agent, referrer, is_unique FROM clicks WHERE NOT bot"
    ).execution_options(stream_results=True, yield_per=5000))
    for workspace_id, campaign_id, at, agent, referrer, unique in result:
        at = database.UTCDateTime().process_result_value(
            datetime.fromisoformat(at) if isinstance(at, str) else at, conn.dialect)
        hour = int(at.timestamp()) // 3600
        for facet, value in facets_of(agent, referrer).items():
            cell = cells.setdefault((campaign_id, hour, facet, value, workspace_id), [0, 0])
            cell[0] += 1
            cell[1] += bool(unique)
    table = sa.table("click_facet_hours", *(sa.column(c) for c in (
        "campaign_id", "hour", "facet", "value", "workspace_id", "clicks", "unique_clicks")))
    rows = [{"campaign_id": c, "hour": h, "facet": f, "value": v, "workspace_id": w, "clicks": n, "unique_clicks": u}
            for (c, h, f, v, w), (n, u) in sorted(cells.items())]
    for base in range(0, len(rows), 5000):
        op.bulk_insert(table, rows[base:base + 5000])


def downgrade() -> None:
    op.drop_table('click_facet_hours')
