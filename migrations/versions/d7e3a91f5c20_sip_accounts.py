"""sip_accounts: each staff member's extension for the call-center softphone, kept as a digest HA1 (#17)

Revision ID: d7e3a91f5c20
Revises: c1a5e77b0d12
Create Date: 2026-12-07 02:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'd7e3a91f5c20'
down_revision: str | None = 'c1a5e77b0d12'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sip_accounts',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('extension', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('realm', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('ha1', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade() -> None:
    op.drop_table('sip_accounts')
