"""lines, contacts and clinic appointment codes: public business lines (#12)

Revision ID: 501fe781a8a3
Revises: d4e5f6a7b8c9
Create Date: 2026-12-06 23:16:53.833800
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '501fe781a8a3'
down_revision: str | None = 'd4e5f6a7b8c9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('domains', sa.JSON(), nullable=False),
    sa.Column('greeting', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('access', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lines_number'), ['number'], unique=True)

    op.create_table('contacts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('first_call_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_call_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_phone'), ['phone'], unique=True)
        batch_op.create_index(batch_op.f('ix_contacts_user_id'), ['user_id'], unique=True)

    with op.batch_alter_table('clinic_appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.create_index(batch_op.f('ix_clinic_appointments_confirmation_code'), ['confirmation_code'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('clinic_appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinic_appointments_confirmation_code'))
        batch_op.drop_column('confirmation_code')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_user_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_phone'))

    op.drop_table('contacts')
    with op.batch_alter_table('lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lines_number'))

    op.drop_table('lines')
