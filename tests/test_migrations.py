"""The schema is made by Alembic migrations, and they match the models exactly (on both stores)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database
from bot.storage.models import Base


def test_migrations_build_the_models_schema(db_url):
    db = Database(db_url)
    db.migrate()
    assert db.current_revision() == db.head_revision()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    names = set(inspect(db.engine).get_table_names())
    assert {"spaces", "desks", "employers", "members", "identities", "roles", "bookings", "outbox",
            "contingent_accounts", "invite_codes"} <= names
    db.migrate()  # idempotent
    db.dispose()


def test_overlap_guards_exist(db_url):
    db = Database(db_url)
    db.migrate()
    with db.engine.connect() as conn:
        if db.is_postgres:
            names = set(conn.execute(text(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'bookings'::regclass AND contype = 'x'")).scalars())
        else:
            names = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    assert {"bookings_desk_no_overlap", "bookings_member_no_overlap"} <= names
    db.dispose()


def test_0008_puts_an_existing_world_into_one_default_region(db_url):
    """An existing database (at 0007, with spaces, desks, employers, codes, a member with a role and a
    booking) gets one region `default`; every row is in it and nothing else changes (issue 17)."""
    from alembic import command

    db = Database(db_url)
    command.upgrade(db._alembic_config(), "0007")
    ts = "2026-11-20 08:00:00"
    with db.engine.begin() as c:
        c.execute(text(
            "INSERT INTO spaces (id, slug, name, town, address, timezone, opening_hours, holiday_region, day_price_cents,"
            " cancel_cutoff_hours, checkin_deadline_minutes, active) VALUES"
            " (1, 'coesfeld', 'Coworking Coesfeld', 'Coesfeld', '', 'Europe/Berlin', '{}', 'NW', 1500, 12, 120, true),"
            " (2, 'olfen', 'Coworking Olfen', 'Olfen', '', 'Europe/Berlin', '{}', 'NW', 1500, 12, 120, true)"))
        c.execute(text("INSERT INTO desks (id, space_id, label, features, active) VALUES (1, 1, '1', '[]', true)"))
        c.execute(text("INSERT INTO employers (id, slug, name, alert_percent, active) VALUES (1, 'stadtwerke', 'SW', 20, true)"))
        c.execute(text(f"INSERT INTO invite_codes (code, kind, employer_id, uses, created_at) VALUES"
                       f" ('SW-1', 'employee', 1, 1, '{ts}'), ('OP-1', 'operator', NULL, 0, '{ts}')"))
        c.execute(text(f"INSERT INTO members (id, display_name, lang, prefs, created_at) VALUES"
                       f" (1, 'Anna', 'de', '{{}}', '{ts}'), (2, 'Ben', 'de', '{{}}', '{ts}')"))
        c.execute(text(f"INSERT INTO roles (member_id, kind, scope, employer_id, created_at) VALUES"
                       f" (1, 'employee', 'employer:1', 1, '{ts}')"))
        c.execute(text(
            f"INSERT INTO bookings (member_id, space_id, desk_id, day, part, start_min, end_min, t0, t1, seat, group_ref,"
            f" status, payer, charged_halves, price_cents, created_at, updated_at) VALUES"
            f" (1, 1, 1, '2026-11-24', 'full', 480, 1080, 100, 200, 0, '', 'confirmed', 'self', 0, 1500, '{ts}', '{ts}')"))
    db.migrate()
    with db.engine.connect() as c:
        regions = c.execute(text("SELECT id, slug, holiday_region FROM regions")).all()
        assert [(r.slug, r.holiday_region) for r in regions] == [("default", "NW")]
        rid = regions[0].id
        for table in ("spaces", "employers", "invite_codes"):
            assert set(c.execute(text(f"SELECT region_id FROM {table}")).scalars()) == {rid}, table
        assert dict(c.execute(text("SELECT id, region_id FROM members")).tuples().all()) == {1: rid, 2: None}
        assert c.execute(text("SELECT count(*) FROM bookings")).scalar() == 1  # the desk and booking survive
        assert c.execute(text("SELECT count(*) FROM desks")).scalar() == 1
    # NOT NULL holds from now on
    with pytest.raises(IntegrityError), db.engine.begin() as c:
        c.execute(text("INSERT INTO employers (slug, name, alert_percent, active) VALUES ('x', 'X', 20, true)"))
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    db.dispose()
