"""users.staff_notes: what staff note about a caller who has an account, shown in the call-center popup (#13)

Revision ID: a7c3e5f9b1d2
Revises: f2b7c9d1e3a5
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e5f9b1d2"
down_revision: str | None = "f2b7c9d1e3a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_notes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("staff_notes")
