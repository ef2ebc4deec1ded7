"""mastodon_apps: Sharecast's app registration on each Mastodon instance a brand connects on

Revision ID: e5a7c9d1f3b2
Revises: 61deb9c92e9e
Create Date: 2026-11-30 19:05:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


# revision identifiers, used by Alembic.
revision: str = 'e5a7c9d1f3b2'
down_revision: Union[str, Sequence[str], None] = '61deb9c92e9e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'mastodon_apps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance', sa.String(length=300), nullable=False),
        sa.Column('redirect_uri', sa.String(length=600), nullable=False),
        sa.Column('client_id', sa.String(length=200), nullable=False),
        sa.Column('sealed', sa.Text(), nullable=False),
        sa.Column('created_at', database.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mastodon_apps')),
        sa.UniqueConstraint('instance', 'redirect_uri', name=op.f('uq_mastodon_apps_instance_redirect_uri')),
    )


def downgrade() -> None:
    op.drop_table('mastodon_apps')
