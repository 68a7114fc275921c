"""handled updates (one unit of work per message) and cancellable waitlist entries

* `handled_updates`: the messenger's update/event ids, written in the transaction of the message they
  caused, so a redelivered update is not handled twice (`Dialogue.handle`).
* `ck_booking_desk` allowed a booking without a desk only while waitlisted, so a waitlist entry could
  never be cancelled (nor erased, nor closed with its day). Now cancelled entries may be deskless too.
  SQLite cannot alter a CHECK constraint; as its documentation describes for a constraint that only
  becomes weaker, the table's stored SQL is rewritten in place (no rebuild, so the overlap triggers,
  indexes and foreign keys stay as they are).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD = "status = 'waitlisted' OR desk_id IS NOT NULL"
NEW = "desk_id IS NOT NULL OR status IN ('waitlisted','cancelled')"


def _set_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'bookings'",
                             (old, new))
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    else:
        op.drop_constraint("ck_booking_desk", "bookings", type_="check")
        op.create_check_constraint("ck_booking_desk", "bookings", new)


def upgrade() -> None:
    op.create_table(
        'handled_updates',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('transport', sa.String(length=20), nullable=False),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handled_updates_handled_at'), ['handled_at'], unique=False)
    _set_check(OLD, NEW)


def downgrade() -> None:
    _set_check(NEW, OLD)
    op.drop_table('handled_updates')
