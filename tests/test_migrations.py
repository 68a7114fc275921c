"""The schema is made by Alembic migrations, and they match the models exactly (on both stores)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

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
