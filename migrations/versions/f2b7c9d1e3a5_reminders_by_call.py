"""reminders.by_call: a reminder the user asked to get as a phone call ("call me at seven to remind me…") (#13)

Revision ID: f2b7c9d1e3a5
Revises: e8f1a2b3c4d6
Create Date: 2026-12-07 02:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f2b7c9d1e3a5"
down_revision: str | None = "e8f1a2b3c4d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("by_call", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_column("by_call")
