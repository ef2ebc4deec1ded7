"""creative attribution: the content version a click and a sale came from, clicks per creative and hour

Revision ID: e4b8c2a9d513
Revises: e5a7c9d1f3b2
Create Date: 2026-11-30 19:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'e4b8c2a9d513'
down_revision: Union[str, Sequence[str], None] = 'e5a7c9d1f3b2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): instant, and on PostgreSQL it reaches every partition of clicks.
    op.add_column('clicks', sa.Column('content_version', sa.Integer(), nullable=True))
    op.add_column('conversions', sa.Column('content_version', sa.Integer(), nullable=True))
    op.create_table('click_creative_hours',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('content_version', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('clicks', sa.BigInteger(), nullable=False),
    sa.Column('unique_clicks', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('campaign_id', 'hour', 'channel', 'content_version', name=op.f('pk_click_creative_hours'))
    )
    # Clicks recorded before carried no creative tag: they count as version 0 (unknown), per channel and hour.
    op.execute(
        "INSERT INTO click_creative_hours (campaign_id, hour, channel, content_version, workspace_id, clicks, "
        "unique_clicks) SELECT campaign_id, hour, channel, 0, MIN(workspace_id), SUM(clicks), SUM(unique_clicks) "
        "FROM click_rollups GROUP BY campaign_id, hour, channel")


def downgrade() -> None:
    op.drop_table('click_creative_hours')
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_column('content_version')
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_column('content_version')
