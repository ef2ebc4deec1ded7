"""phone sign-in codes, WeChat accounts and identities, sharers' display name

Revision ID: a3c9e1d4b7f2
Revises: b4d2f6e8a012
Create Date: 2026-11-30 12:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


revision: str = 'a3c9e1d4b7f2'
down_revision: Union[str, Sequence[str], None] = 'b4d2f6e8a012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('phone_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('expires_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_codes'))
    )
    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.create_index('ix_phone_codes_phone_created', ['phone', 'created_at'], unique=False)

    op.create_table('wechat_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('secret_sealed', sa.Text(), nullable=False),
    sa.Column('updated_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_wechat_accounts_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_accounts')),
    sa.UniqueConstraint('workspace_id', name=op.f('uq_wechat_accounts_workspace_id'))
    )
    op.create_table('wechat_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('sharer_id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('openid', sa.String(length=128), nullable=False),
    sa.Column('unionid', sa.String(length=128), nullable=True),
    sa.Column('created_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sharer_id'], ['sharers.id'], name=op.f('fk_wechat_identities_sharer_id_sharers')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_wechat_identities_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_identities')),
    sa.UniqueConstraint('app_id', 'openid', name=op.f('uq_wechat_identities_app_id_openid'))
    )
    with op.batch_alter_table('wechat_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wechat_identities_sharer_id'), ['sharer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wechat_identities_unionid'), ['unionid'], unique=False)
        batch_op.create_index(batch_op.f('ix_wechat_identities_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('sharers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=60), nullable=True))
        batch_op.create_index('ix_sharers_phone', ['phone'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sharers', schema=None) as batch_op:
        batch_op.drop_index('ix_sharers_phone')
        batch_op.drop_column('display_name')
    with op.batch_alter_table('wechat_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wechat_identities_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_wechat_identities_unionid'))
        batch_op.drop_index(batch_op.f('ix_wechat_identities_sharer_id'))
    op.drop_table('wechat_identities')
    op.drop_table('wechat_accounts')
    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_phone_codes_phone_created')
    op.drop_table('phone_codes')
