"""users.is_clinical: staff who may read health details (#14)

Revision ID: e8f1a2b3c4d6
Revises: d7e3a91f5c20
Create Date: 2026-12-07 02:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e8f1a2b3c4d6"
down_revision: str | None = "d7e3a91f5c20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_clinical", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_clinical")
