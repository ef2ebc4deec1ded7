"""approval before scheduling: workspaces.approval_required and content_approvals

Revision ID: b5d2f7a9c134
Revises: 5e1ec7ed0b01
Create Date: 2026-11-30 13:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


# revision identifiers, used by Alembic.
revision: str = 'b5d2f7a9c134'
down_revision: Union[str, Sequence[str], None] = '5e1ec7ed0b01'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_required', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('content_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('content_version', sa.Integer(), nullable=False),
    sa.Column('approver_key_id', sa.Integer(), nullable=True),
    sa.Column('approver_user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('approved_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approver_key_id'], ['api_keys.id'], name=op.f('fk_content_approvals_approver_key_id_api_keys')),
    sa.ForeignKeyConstraint(['approver_user_id'], ['users.id'], name=op.f('fk_content_approvals_approver_user_id_users')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_content_approvals_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_content_approvals_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_approvals')),
    sa.UniqueConstraint('campaign_id', 'content_version', name=op.f('uq_content_approvals_campaign_id_content_version'))
    )
    with op.batch_alter_table('content_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_approvals_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('content_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_approvals_workspace_id'))
    op.drop_table('content_approvals')
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('approval_required')
