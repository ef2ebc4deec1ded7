"""seller pass email: a pass that confirms a seller's new email address

Revision ID: b3e5d7f9a1c2
Revises: b3e8f1a2c4d6
Create Date: 2026-11-30 15:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b3e5d7f9a1c2'
down_revision: Union[str, Sequence[str], None] = 'b3e8f1a2c4d6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('seller_passes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('seller_passes', schema=None) as batch_op:
        batch_op.drop_column('email')
