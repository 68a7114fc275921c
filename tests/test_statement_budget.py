"""Issue 12: a one-day booking message is one transaction of at most 8 SQL statements, on both stores.

Counted with SQLAlchemy engine events (`before_cursor_execute`: every statement sent, including SQLite's
`BEGIN IMMEDIATE`; `commit`: every commit), around one whole `Dialogue.handle` of a known employee with a
messenger update key (so the handled mark and the durable reply rows are counted too). And a day that cannot
be booked (a full space, a contingent used up) changes nothing in the database.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select, text

from bot.dialogue import Dialogue
from bot.domain import IncomingMessage
from bot.storage.models import (
    Booking,
    ContingentAccount,
    Desk,
    Employer,
    HandledUpdate,
    Outbox,
    Space,
)

BUDGET = 8


class Counter:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        self.commits = 0
        event.listen(engine, "before_cursor_execute", self._stmt)
        event.listen(engine, "commit", self._commit)

    def _stmt(self, conn, cursor, statement, params, context, executemany) -> None:
        self.statements.append(statement)

    def _commit(self, conn) -> None:
        self.commits += 1

    def reset(self) -> None:
        self.statements.clear()
        self.commits = 0

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._stmt)
        event.remove(self.engine, "commit", self._commit)

    def show(self) -> str:
        return "\n".join(s.split("\n")[0][:120] for s in self.statements)


@pytest.fixture
def counted(core):
    dlg = Dialogue(core)
    counter = Counter(core.db.engine)
    yield dlg, counter
    counter.close()


def _send(dlg, user: str, text_: str, key: str) -> list:
    return dlg.handle(IncomingMessage("telegram", user, user, text_, display_name=user.capitalize(), update_key=key))


def test_one_day_employer_paid_booking_is_one_commit_of_at_most_8_statements(counted, core, clock):
    dlg, counter = counted
    _send(dlg, "anna", "hallo", "u1")
    _send(dlg, "anna", "KREIS-2026", "u2")  # an employee: both the member and the pool account are charged
    clock.advance(timedelta(minutes=5))
    for i, msg in enumerate(("morgen Dülmen", "übermorgen Olfen")):  # the first also opens the month's accounts
        counter.reset()
        replies = _send(dlg, "anna", msg, f"u{3 + i}")
        assert replies and replies[0].text.startswith("✅"), replies[0].text if replies else replies
        assert "Kontingent" in replies[0].text
        assert replies[0].outbox_id is not None  # the durable direct answer is part of the same transaction
        assert counter.commits == 1, counter.show()
        assert len(counter.statements) <= BUDGET, f"{len(counter.statements)} statements:\n{counter.show()}"
        assert not any(s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")) for s in counter.statements), counter.show()
    with core.db.session() as s:
        bookings = s.execute(select(Booking.day, Booking.payer, Booking.charged_halves, Booking.member_account_id,
                                    Booking.pool_account_id).where(Booking.status == "confirmed")
                             .order_by(Booking.day)).all()
        assert [(b.day, b.payer, b.charged_halves) for b in bookings] == [
            (date(2026, 11, 24), "employer", 2), (date(2026, 11, 25), "employer", 2)]
        assert all(b.member_account_id is not None for b in bookings)
        kinds = sorted(s.scalars(select(Outbox.kind).where(Outbox.kind.like("reminder_%"))))
        assert kinds == ["reminder_evening"] * 2 + ["reminder_morning"] * 2
        assert s.scalar(select(func.count()).select_from(HandledUpdate)) == 4
        assert all(b.pool_account_id is not None for b in bookings)
        # the charge is exact: the used half days are what the bookings charged, on both accounts
        emp_id = s.scalar(select(Employer.id).where(Employer.slug == "kreisverwaltung"))
        used = dict(s.execute(select(ContingentAccount.scope, ContingentAccount.used_halves)
                              .where(ContingentAccount.employer_id == emp_id)).all())
        assert sorted(used) == ["member:1", "pool"] and set(used.values()) == {4}, used


def test_a_redelivered_booking_message_changes_nothing(counted, core, clock):
    dlg, counter = counted
    _send(dlg, "anna", "KREIS-2026", "u1")
    replies = _send(dlg, "anna", "morgen Dülmen", "u2")
    assert replies[0].text.startswith("✅")
    dlg.mark_sent([r.outbox_id for r in replies])  # the transport delivered the answer
    before = _snapshot(core)
    counter.reset()
    assert _send(dlg, "anna", "morgen Dülmen", "u2") == []  # handled and answered already: nothing again
    assert counter.commits == 1 and len(counter.statements) <= 3, counter.show()  # BEGIN (SQLite), mark, unsent?
    assert _snapshot(core) == before


def _snapshot(core) -> dict:
    with core.db.session() as s:
        out = {}
        for table in ("bookings", "contingent_accounts", "outbox", "pending_actions", "handled_updates", "members",
                      "identities"):
            out[table] = sorted(tuple(str(v) for v in r) for r in s.execute(text(f"SELECT * FROM {table}")).all())
        return out


def _fill(core, slug: str, day: date) -> None:
    """Every desk of the space booked on the day by somebody else."""
    with core.db.session() as s:
        space = s.scalar(select(Space).where(Space.slug == slug))
        desks = s.scalars(select(Desk.id).where(Desk.space_id == space.id, Desk.active)).all()
    for i, _ in enumerate(desks):
        mid = core.members.resolve("terminal", f"filler{i}", f"filler{i}", f"Filler {i}").id
        assert type(core.booking.book(mid, slug, [day])[0]).__name__ == "Booked"


def test_a_failed_day_changes_nothing(counted, core, clock):
    """A full space and a used-up contingent: nothing written, not even a fresh account of the month."""
    dlg, counter = counted
    day = date(2026, 11, 24)
    _fill(core, "rosendahl", day)
    _send(dlg, "anna", "KREIS-2026", "u1")
    # full: the space has no desk left (anna's employer has not opened an account this month yet)
    before = _snapshot(core)
    counter.reset()
    replies = _send(dlg, "anna", "morgen Rosendahl", "u2")
    assert replies and "ausgebucht" in replies[0].text, replies[0].text
    assert counter.commits == 1
    after = _snapshot(core)
    # what a failed day may leave is the message's own trace: the handled mark, the durable reply rows, the
    # buttons offered (tokens) and the question they ask (members.prefs); no booking state
    for table in ("bookings", "contingent_accounts", "identities"):
        assert after[table] == before[table], table
    assert [r for r in after["outbox"] if r not in before["outbox"]] and all(
        "reply" in r for r in after["outbox"] if r not in before["outbox"])
    # no contingent: the employee's days are used up
    anna = _member_id(core, "anna")
    with core.db.session() as s:
        emp = s.scalar(select(Employer).where(Employer.slug == "kreisverwaltung"))
        for scope in (f"member:{anna}", "pool"):
            s.execute(text("INSERT INTO contingent_accounts (employer_id, scope, month, granted_halves, used_halves, alerted) "
                           "VALUES (:e, :s, '2026-11', 2, 2, :f) ON CONFLICT (employer_id, scope, month) DO UPDATE "
                           "SET granted_halves = 2, used_halves = 2"), {"e": emp.id, "s": scope, "f": False})
    before = _snapshot(core)
    replies = _send(dlg, "anna", "morgen Dülmen", "u3")
    assert replies and "Kontingent reicht" in replies[0].text, replies[0].text
    after = _snapshot(core)
    for table in ("bookings", "contingent_accounts", "identities"):
        assert after[table] == before[table], table
    assert all("reply" in r for r in after["outbox"] if r not in before["outbox"])
    assert not [r for r in after["outbox"] if r not in before["outbox"] and "reminder" in str(r)]


def _member_id(core, user: str) -> int:
    return core.members.resolve("telegram", user, user, user.capitalize()).id


def test_last_seen_is_written_at_most_hourly(counted, core, clock):
    dlg, counter = counted
    _send(dlg, "anna", "hallo", "u1")
    clock.advance(timedelta(minutes=10))
    counter.reset()
    _send(dlg, "anna", "hilfe", "u2")
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in counter.statements), counter.show()
    clock.advance(timedelta(hours=1))
    counter.reset()
    _send(dlg, "anna", "hilfe", "u3")
    updates = [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 2, counter.show()  # identities.last_used_at and members.last_seen_at


def test_a_refused_insert_retries_the_whole_message():
    """A desk taken concurrently (PostgreSQL) aborts the transaction: `ConflictRetry` carries SQLSTATE 40001,
    so `Dialogue.handle` runs the message again like any serialization failure."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    from bot.booking import ConflictRetry
    from bot.dialogue import _retryable

    exc = ConflictRetry(IntegrityError("INSERT INTO bookings ...", None, Exception("bookings_desk_no_overlap")))
    assert isinstance(exc, OperationalError) and _retryable(exc)


def test_the_fast_path_tells_the_same_as_the_orm_path(core):
    """What `_book_fast` reports of a space and a booking is what the ORM reads (coordinates included)."""
    mid = core.members.resolve("terminal", "zoe", "zoe", "Zoe").id
    (o,) = core.booking.book(mid, "rosendahl", [date(2026, 11, 24)])
    assert o.booking.space == core.booking.get_space("rosendahl")
    assert o.booking.space.lat is not None
    (mine,) = core.booking.my_bookings(mid)
    assert mine == o.booking


def test_sqlite_units_of_work_reuse_a_kept_session_cleanly(tmp_path):
    """SQLite: a unit of work runs on one of the kept sessions (no pool checkout per message); it begins and
    commits its own transaction, carries no loaded object into the next unit, and a unit that fails rolls back
    and its session is not used again."""
    from bot.storage.db import Database
    from bot.storage.models import Region

    db = Database(f"sqlite:///{tmp_path / 'kept.sqlite3'}")
    db.migrate()
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda c, cur, st, p, ctx, many: seen.append(st))
    try:
        with db.unit_of_work() as s1:
            region = s1.scalar(select(Region))
            assert region is not None
        with db.unit_of_work() as s2:
            assert s2 is s1  # kept
            assert region not in s2  # nothing of the last unit is carried over
            s2.add(Region(slug="kept", name="Kept", holiday_region="NW", timezone="Europe/Berlin"))
        assert seen.count("BEGIN IMMEDIATE") == 2
        with pytest.raises(ZeroDivisionError), db.unit_of_work() as s3:
            s3.add(Region(slug="lost", name="Lost", holiday_region="NW", timezone="Europe/Berlin"))
            s3.flush()
            raise ZeroDivisionError
        with db.unit_of_work() as s4:
            assert s4 is not s3  # a failed unit's session is dropped
            slugs = set(s4.scalars(select(Region.slug)))
        assert "kept" in slugs and "lost" not in slugs
        with db.session() as s5:  # outside a unit of work: its own session, as before
            assert s5 is not s4
    finally:
        db.dispose()
    assert not db._warm and db._warm_made == 0


def test_sqlite_unit_of_work_on_driver_sql_alone_commits_or_rolls_back_as_one(tmp_path):
    """A unit of work on a kept SQLite session opens its transaction on the connection itself: a message that runs
    only driver SQL (the booking path) commits once without a session transaction, a failure rolls all of it back,
    and driver SQL and the ORM in one unit share the one transaction (after the session's own rollback too)."""
    from bot.storage.db import Database
    from bot.storage.models import Region
    from bot.storage.sql import connection, run

    db = Database(f"sqlite:///{tmp_path / 'raw.sqlite3'}")
    db.migrate()
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))
    row = ("INSERT INTO regions (slug, name, holiday_region, timezone) VALUES (?, ?, 'NW', 'Europe/Berlin')")
    try:
        with db.unit_of_work() as s:
            run(connection(s), row, ("raw", "Raw"))
            assert not s.in_transaction()  # no session transaction was needed
        assert commits == [1]
        with pytest.raises(ZeroDivisionError), db.unit_of_work() as s:
            run(connection(s), row, ("raw-lost", "Lost"))
            s.add(Region(slug="orm-lost", name="Lost", holiday_region="NW", timezone="Europe/Berlin"))
            s.flush()
            run(connection(s), row, ("raw-lost-2", "Lost"))
            raise ZeroDivisionError
        with db.unit_of_work() as s:
            s.add(Region(slug="orm", name="Orm", holiday_region="NW", timezone="Europe/Berlin"))
            s.flush()
            run(connection(s), row, ("raw-2", "Raw 2"))
        with db.unit_of_work() as s:  # a dry run: the session's rollback, then more work in the same unit
            s.add(Region(slug="dry", name="Dry", holiday_region="NW", timezone="Europe/Berlin"))
            s.flush()
            s.rollback()
            run(connection(s), row, ("after-dry", "After"))
            assert s.bind.connection.dbapi_connection.in_transaction  # not autocommitted statement by statement
        with db.unit_of_work() as s:  # Connection.execute begins the connection's own transaction; a session joins it
            connection(s).execute(text("SELECT 1"))
            run(connection(s), row, ("conn-exec", "Conn"))
            s.add(Region(slug="orm-3", name="Orm 3", holiday_region="NW", timezone="Europe/Berlin"))
        assert len(commits) == 4  # one per unit that ended normally
        with db.unit_of_work() as s:  # and the kept session begins the next unit cleanly
            run(connection(s), row, ("next", "Next"))
        with db.session() as s:
            slugs = set(s.scalars(select(Region.slug)))
        assert {"raw", "orm", "raw-2", "after-dry", "conn-exec", "orm-3", "next"} <= slugs
        assert not {"raw-lost", "orm-lost", "raw-lost-2", "dry"} & slugs
    finally:
        db.dispose()
