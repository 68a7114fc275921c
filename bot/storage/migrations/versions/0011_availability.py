"""availability (issue 16 item 5): the day's taken desks from the index alone (PostgreSQL)

`ix_bookings_day_space` (day, space_id) of 0003 gets INCLUDE (status, desk_id, t0, t1) on PostgreSQL, so the
busy count of `BookingService.availability` over all spaces (`count(DISTINCT desk_id) ... WHERE day = :d AND
status IN (...) AND t0 < :t1 AND t1 > :t0 GROUP BY space_id`) is an index-only scan: a day's bookings lie on
thousands of heap pages (bookings are made over weeks), ~6 000 page visits per call on the 2 M world. Same name
and key columns, so every query that used it still can; not partial, so a generic plan can use it too.
SQLite keeps the plain index (it has no INCLUDE, and its availability is fast without).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:20:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_bookings_day_space', table_name='bookings')
    op.create_index('ix_bookings_day_space', 'bookings', ['day', 'space_id'], unique=False,
                    postgresql_include=['status', 'desk_id', 't0', 't1'])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_bookings_day_space', table_name='bookings')
    op.create_index('ix_bookings_day_space', 'bookings', ['day', 'space_id'], unique=False)
