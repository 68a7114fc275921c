"""indexes for the overlap lookups: bookings (desk_id, t1) and (member_id, t1)

The SQLite overlap triggers (0001) look for an active booking of the same desk / member with
`t0 < NEW.t1 AND NEW.t0 < t1`. With only the (desk_id, day) / (member_id, day) indexes SQLite read
the desk's or member's whole booking history on every insert (~0.5 ms per booking at 200 bookings
per desk); with (desk_id, t1) it range-scans only the bookings that end after the new one starts
(~0.05 ms). PostgreSQL checks the same rules with the GiST exclusion constraints, and gets the same
two btree indexes so that the schema is one on both stores (they cost little there).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:20:00
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_desk_t1', ['desk_id', 't1'], unique=False)
        batch_op.create_index('ix_bookings_member_t1', ['member_id', 't1'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_member_t1')
        batch_op.drop_index('ix_bookings_desk_t1')
