"""reminders.importance, fired_at, fired_late: reminders that fire, once, and say when they were late (#13)

Revision ID: e1a2b3c4d5f6
Revises: baf2d1db29ad
Create Date: 2026-12-06 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e1a2b3c4d5f6"
down_revision: str | None = "baf2d1db29ad"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("importance", sa.String(length=16), nullable=False, server_default="medium"))
        batch_op.add_column(sa.Column("fired_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("fired_late", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f("ix_reminders_fired_at"), ["fired_at"], unique=False)
    # Reminders already past their time when this runs were never delivered: they stay unfired and
    # fire (late) at the next start, as anything missed while the server was down does.


def downgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminders_fired_at"))
        batch_op.drop_column("fired_late")
        batch_op.drop_column("fired_at")
        batch_op.drop_column("importance")
