"""regions as tenants (issue 17): spaces, employers and invite codes belong to a region; a role may be
scoped to a region (region admin); a member remembers the region of the code they redeemed

An existing database gets one region `default` (its holiday region: the one most of its spaces use),
and every space, employer and code is assigned to it, so nothing changes for a world with one district.

SQLite cannot add a NOT NULL column with a foreign key (nor alter one): the column is added nullable,
filled, and then, as for 0005, the table's stored SQL is rewritten in place to say NOT NULL (no rebuild:
a rebuild of `spaces` would drop the parent table of desks and bookings, and with it their rows). The
constraint holds for every row when it is written, since every row was just assigned. Regions are never
deleted, so none of the new foreign keys has an ON DELETE rule (SQLite's column-level form cannot be read back
with one).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

REQUIRED = ('spaces', 'employers', 'invite_codes')  # NOT NULL region_id
INDEXED = ('spaces', 'employers')


def _sqlite_set_not_null(bind, table: str, nullable: bool) -> None:
    old, new = ("region_id INTEGER NOT NULL", "region_id INTEGER") if nullable else (
        "region_id INTEGER", "region_id INTEGER NOT NULL")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?",
                         (old, new, table))
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def _add_region_column(bind, table: str, ondelete: str | None) -> None:
    if bind.dialect.name == "sqlite":
        tail = f" ON DELETE {ondelete}" if ondelete else ""
        bind.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN region_id INTEGER REFERENCES regions (id){tail}")
    else:
        op.add_column(table, sa.Column('region_id', sa.Integer(), nullable=True))
        op.create_foreign_key(f'{table}_region_id_fkey', table, 'regions', ['region_id'], ['id'], ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        'regions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('holiday_region', sa.String(length=8), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('slug'),
    )
    bind = op.get_bind()
    holiday = bind.execute(sa.text(
        "SELECT holiday_region FROM spaces GROUP BY holiday_region ORDER BY count(*) DESC, holiday_region LIMIT 1"
    )).scalar() or 'NW'
    bind.execute(sa.text("INSERT INTO regions (slug, name, holiday_region, timezone) "
                         "VALUES ('default', 'Region', :h, 'Europe/Berlin')"), {"h": holiday})
    region_id = bind.execute(sa.text("SELECT id FROM regions WHERE slug = 'default'")).scalar()
    for table in REQUIRED:
        _add_region_column(bind, table, None)
        bind.execute(sa.text(f"UPDATE {table} SET region_id = :r"), {"r": region_id})
        if bind.dialect.name == "sqlite":
            _sqlite_set_not_null(bind, table, nullable=False)
        else:
            op.alter_column(table, 'region_id', existing_type=sa.Integer(), nullable=False)
    for table in INDEXED:
        op.create_index(f'ix_{table}_region_id', table, ['region_id'], unique=False)
    _add_region_column(bind, 'roles', None)
    _add_region_column(bind, 'members', None)
    # members who already redeemed a code are in its region; there is only the one
    bind.execute(sa.text("UPDATE members SET region_id = :r WHERE id IN (SELECT member_id FROM roles)"),
                 {"r": region_id})


def downgrade() -> None:
    bind = op.get_bind()
    for table in INDEXED:
        op.drop_index(f'ix_{table}_region_id', table_name=table)
    for table in ('members', 'roles') + REQUIRED:
        if bind.dialect.name == "sqlite":
            bind.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN region_id")
        else:
            op.drop_constraint(f'{table}_region_id_fkey', table, type_='foreignkey')
            op.drop_column(table, 'region_id')
    op.drop_table('regions')
