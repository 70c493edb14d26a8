"""call_center_outcomes: the call center's ring outcomes, for history and metrics

Revision ID: c3d4e5f6a7b8
Revises: b7c1d2e3f4a5
Create Date: 2026-11-22 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c3d4e5f6a7b8"
down_revision: str | None = "b7c1d2e3f4a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_center_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("call_sid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("agent_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("handle_s", sa.Float(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_center_outcomes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_center_outcomes_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_center_outcomes_call_sid"), ["call_sid"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_center_outcomes_outcome"), ["outcome"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_center_outcomes_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_center_outcomes_at"), ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("call_center_outcomes")
