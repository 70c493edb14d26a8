"""contacts.given_phone: a number a web-page caller typed, for staff to call back (#12)

Revision ID: baf2d1db29ad
Revises: f81ff87a1a74
Create Date: 2026-12-06 23:34:23.657052
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'baf2d1db29ad'
down_revision: str | None = 'f81ff87a1a74'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('given_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('given_phone')

