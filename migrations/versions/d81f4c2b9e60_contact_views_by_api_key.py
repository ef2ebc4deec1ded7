"""contact views by API key: an owner key's sharer list shows full contacts, each view kept

Revision ID: d81f4c2b9e60
Revises: ec46136d4b78
Create Date: 2026-11-30 13:25:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'd81f4c2b9e60'
down_revision: Union[str, Sequence[str], None] = 'ec46136d4b78'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('contact_views', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_key_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contact_views_api_key_id_api_keys'), 'api_keys', ['api_key_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM contact_views WHERE user_id IS NULL")
    with op.batch_alter_table('contact_views', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_contact_views_api_key_id_api_keys'), type_='foreignkey')
        batch_op.drop_column('api_key_id')
