"""callback_requests.message_text, message_path: the voice message a caller leaves for the call back (#13)

Revision ID: 9b271a3d2ae9
Revises: 7eb7b2c8c481
Create Date: 2026-12-06 23:55:05.484941
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '9b271a3d2ae9'
down_revision: str | None = '7eb7b2c8c481'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('message_path', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_column('message_path')
        batch_op.drop_column('message_text')
