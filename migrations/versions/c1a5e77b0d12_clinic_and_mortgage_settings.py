"""clinic hours and providers, mortgage rates: business settings staff edit (#12)

Revision ID: c1a5e77b0d12
Revises: 9b271a3d2ae9
Create Date: 2026-12-07 01:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'c1a5e77b0d12'
down_revision: str | None = '9b271a3d2ae9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BOOKED = sa.text("status = 'booked'")


def upgrade() -> None:
    op.create_table('clinic_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('clinic_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('closures', sa.JSON(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('mortgage_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rates', sa.JSON(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('clinic_appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_id', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_index('uq_clinic_appointments_booked_slot',
                            sqlite_where=_BOOKED, postgresql_where=_BOOKED)
        batch_op.create_index('uq_clinic_appointments_booked_slot', ['starts_at', 'provider_id'], unique=True,
                              sqlite_where=_BOOKED, postgresql_where=_BOOKED)
    with op.batch_alter_table('clinic_appointments', schema=None) as batch_op:
        batch_op.alter_column('provider_id', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('clinic_appointments', schema=None) as batch_op:
        batch_op.drop_index('uq_clinic_appointments_booked_slot',
                            sqlite_where=_BOOKED, postgresql_where=_BOOKED)
        batch_op.create_index('uq_clinic_appointments_booked_slot', ['starts_at'], unique=True,
                              sqlite_where=_BOOKED, postgresql_where=_BOOKED)
        batch_op.drop_column('provider_id')
    op.drop_table('mortgage_settings')
    op.drop_table('clinic_settings')
    op.drop_table('clinic_providers')
