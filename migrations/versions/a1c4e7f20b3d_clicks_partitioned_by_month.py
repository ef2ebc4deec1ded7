"""clicks keyed by (id, clicked_at); on PostgreSQL partitioned by month

Revision ID: a1c4e7f20b3d
Revises: f81b240dbb17
Create Date: 2026-11-30 12:40:00

"""
from datetime import date, datetime, timezone
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from plumbing import database

revision: str = 'a1c4e7f20b3d'
down_revision: Union[str, Sequence[str], None] = 'f81b240dbb17'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ("id, workspace_id, link_id, campaign_id, sharer_id, channel, clicked_at, visitor, user_agent, "
           "referrer, bot, is_unique")


def _columns() -> list:
    return [
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('sharer_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('clicked_at', database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('visitor', sa.String(length=32), nullable=False),
        sa.Column('user_agent', sa.String(length=512), nullable=False),
        sa.Column('referrer', sa.String(length=1000), nullable=False),
        sa.Column('bot', sa.Boolean(), nullable=False),
        sa.Column('is_unique', sa.Boolean(), nullable=False),
    ]


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    if postgres:
        op.execute("ALTER TABLE clicks RENAME CONSTRAINT pk_clicks TO pk_clicks_before")
    op.rename_table('clicks', 'clicks_before')
    with op.batch_alter_table('clicks_before') as batch_op:
        batch_op.drop_index('ix_clicks_campaign_time')
        batch_op.drop_index('ix_clicks_link_id')
    op.create_table('clicks', *_columns(), sa.PrimaryKeyConstraint('id', 'clicked_at', name='pk_clicks'),
                    **({'postgresql_partition_by': 'RANGE (clicked_at)'} if postgres else {}))
    if postgres:
        # A partition per month from the oldest click to three months ahead, and a default; bounds
        # in UTC (without an offset they would be read in the session's TimeZone).
        oldest = (bind.scalar(sa.text("SELECT min(clicked_at) FROM clicks_before"))  # (in the session's zone)
                  or datetime.now(timezone.utc)).astimezone(timezone.utc)
        now = datetime.now(timezone.utc)
        first, last = oldest.year * 12 + oldest.month - 1, now.year * 12 + now.month - 1 + 3
        for index in range(first, last + 1):
            start, end = _month(index), _month(index + 1)
            op.execute(f"CREATE TABLE clicks_y{start.year}m{start.month:02d} PARTITION OF clicks "
                       f"FOR VALUES FROM ('{start.isoformat()} 00:00:00+00') TO ('{end.isoformat()} 00:00:00+00')")
        op.execute("CREATE TABLE clicks_default PARTITION OF clicks DEFAULT")
    op.execute(f"INSERT INTO clicks ({COLUMNS}) SELECT {COLUMNS} FROM clicks_before")
    op.drop_table('clicks_before')
    with op.batch_alter_table('clicks') as batch_op:
        batch_op.create_index('ix_clicks_campaign_time', ['campaign_id', 'clicked_at'], unique=False)
        batch_op.create_index('ix_clicks_link_id', ['link_id'], unique=False)


def downgrade() -> None:
    op.rename_table('clicks', 'clicks_after')
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("ALTER TABLE clicks_after RENAME CONSTRAINT pk_clicks TO pk_clicks_after")
    with op.batch_alter_table('clicks_after') as batch_op:
        batch_op.drop_index('ix_clicks_campaign_time')
        batch_op.drop_index('ix_clicks_link_id')
    op.create_table('clicks', *_columns(), sa.PrimaryKeyConstraint('id', name='pk_clicks'))
    op.execute(f"INSERT INTO clicks ({COLUMNS}) SELECT {COLUMNS} FROM clicks_after")
    op.drop_table('clicks_after')  # on PostgreSQL its partitions go with it
    with op.batch_alter_table('clicks') as batch_op:
        batch_op.create_index('ix_clicks_campaign_time', ['campaign_id', 'clicked_at'], unique=False)
        batch_op.create_index('ix_clicks_link_id', ['link_id'], unique=False)
