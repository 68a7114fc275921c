"""dashboard speed (issue 19): covering indexes for the district figures, so the first view after a start is
computed from index-only scans instead of reading 12 weeks of bookings from the table

- ix_bookings_day_space_stats (day, space_id) INCLUDE (status, part, start_min, end_min), partial on the statuses
  that count or are no-shows: utilisation, check-ins and no-shows per space and day, in index order;
- ix_bookings_month_member (year * 12 + month of the day, member_id, day) INCLUDE (...), partial on the counted
  statuses, PostgreSQL only: one month's bookings in member order, so the per-member figures (members, commuters,
  attended days, km) are a streaming aggregate.

On SQLite only the first is made (without INCLUDE); SQLite cannot compare expression indexes and has no use for it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SPACE_STATUSES = "status IN ('confirmed','checked_in','no_show')"
MEMBER_STATUSES = "status IN ('confirmed','checked_in')"
MONTH = "(CAST(EXTRACT(year FROM day) * 12 + EXTRACT(month FROM day) AS INTEGER))"


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_index('ix_bookings_day_space_stats', 'bookings', ['day', 'space_id'], unique=False,
                    postgresql_include=['status', 'part', 'start_min', 'end_min'],
                    postgresql_where=sa.text(SPACE_STATUSES), sqlite_where=sa.text(SPACE_STATUSES))
    if pg:
        op.create_index('ix_bookings_month_member', 'bookings', [sa.text(MONTH), 'member_id', 'day'], unique=False,
                        postgresql_include=['status', 'seat', 'part', 'start_min', 'end_min', 'payer', 'employer_id',
                                            'space_id'],
                        postgresql_where=sa.text(MEMBER_STATUSES))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_bookings_month_member', table_name='bookings')
    op.drop_index('ix_bookings_day_space_stats', table_name='bookings')
