"""wechat website app: the Open Platform website app beside the Official Account, for QR-code sign-in

Revision ID: c4f6e8a0b2d3
Revises: b3e5d7f9a1c2
Create Date: 2026-11-30 15:50:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c4f6e8a0b2d3'
down_revision: Union[str, Sequence[str], None] = 'b3e5d7f9a1c2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('wechat_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('web_app_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('web_secret_sealed', sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('wechat_accounts', schema=None) as batch_op:
        batch_op.drop_column('web_secret_sealed')
        batch_op.drop_column('web_app_id')
