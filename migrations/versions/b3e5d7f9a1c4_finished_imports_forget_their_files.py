"""finished imports forget their files: a kept CSV (names, phones, addresses) is cleared once
its import is done; the report (each row's outcome) stays

Revision ID: b3e5d7f9a1c4
Revises: a9d1e3f5b7c2
Create Date: 2026-12-01 00:20:00

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'b3e5d7f9a1c4'
down_revision: Union[str, Sequence[str], None] = 'a9d1e3f5b7c2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for table in ("sales_imports", "sharer_imports"):
        op.execute(f"UPDATE {table} SET csv = '' WHERE status = 'done'")


def downgrade() -> None:
    pass  # the files are gone
