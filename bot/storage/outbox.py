"""Writing outbox rows: in the same transaction as the change that causes them.

Delivery (claiming due rows, retries, dead letters) lives in `bot/scheduler.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.models import ChatChannel, Outbox, Role


def enqueue(
    s: Session,
    kind: str,
    dedupe_key: str,
    *,
    due_at: datetime,
    now: datetime,
    payload: dict[str, Any] | None = None,
    member_id: int | None = None,
    transport: str | None = None,
    chat_id: str | None = None,
    booking_id: int | None = None,
) -> bool:
    """Add one outbox row unless a row with this dedupe key exists. Returns True if added.

    One statement (INSERT ... ON CONFLICT (dedupe_key) DO NOTHING) instead of look-up + savepoint +
    insert: the same outcome, also when a concurrent writer inserts the same key first."""
    values = dict(
        dedupe_key=dedupe_key,
        kind=kind,
        recipient_member_id=member_id,
        transport=transport,
        chat_id=chat_id,
        payload=payload or {},
        booking_id=booking_id,
        due_at=due_at,
        status="pending",
        attempts=0,
        created_at=now,
    )
    stmt = _insert_stmt(s.get_bind().dialect.name)
    if stmt is None:  # another dialect: the portable way
        return _enqueue_portable(s, values)
    s.flush()  # as the ORM statements did (autoflush): rows this one refers to are written first
    return s.execute(stmt, values).rowcount == 1


_COLS = ("dedupe_key", "kind", "recipient_member_id", "transport", "chat_id", "payload", "booking_id", "due_at", "status",
         "attempts", "created_at")
# Written as text: SQLAlchemy cannot cache the compiled form of the dialects' on_conflict_do_nothing()
# inserts, and compiling one costs ~0.3 ms, more than running it. Both SQLite and PostgreSQL take this SQL;
# the column types still process the values (UTC datetimes, JSON).
_INSERT_SQL = text(
    f"INSERT INTO outbox ({', '.join(_COLS)}) VALUES ({', '.join(':' + c for c in _COLS)}) "
    "ON CONFLICT (dedupe_key) DO NOTHING"
).bindparams(*(bindparam(c, type_=Outbox.__table__.c[c].type) for c in _COLS))


def _insert_stmt(dialect: str):
    """The INSERT ... ON CONFLICT DO NOTHING statement for SQLite and PostgreSQL; None for other stores."""
    return _INSERT_SQL if dialect in ("sqlite", "postgresql") else None


def _enqueue_portable(s: Session, values: dict[str, Any]) -> bool:
    if s.scalar(select(Outbox.id).where(Outbox.dedupe_key == values["dedupe_key"])) is not None:
        return False
    try:
        with s.begin_nested():
            s.add(Outbox(**values))
            s.flush()
    except IntegrityError:  # a concurrent writer got there first: same notice, keep one
        return False
    return True


def cancel_for_booking(s: Session, booking_id: int, kinds: tuple[str, ...] | None = None) -> int:
    """Withdraw pending notices about a booking (e.g. its reminders, after a cancellation)."""
    stmt = update(Outbox).where(Outbox.booking_id == booking_id, Outbox.status == "pending")
    if kinds:
        stmt = stmt.where(Outbox.kind.in_(kinds))
    return s.execute(stmt.values(status="cancelled")).rowcount or 0


def notify_space(
    s: Session, space_id: int, kind: str, key: str, *, now: datetime, payload: dict[str, Any], due_at: datetime | None = None,
    booking_id: int | None = None,
) -> int:
    """Send a notice to everyone watching a space: its registered groups/rooms and its operators."""
    n = 0
    for ch in s.scalars(select(ChatChannel).where(ChatChannel.space_id == space_id)):
        n += enqueue(
            s, kind, f"{key}:ch{ch.id}", due_at=due_at or now, now=now, payload=payload,
            transport=ch.transport, chat_id=ch.chat_id, booking_id=booking_id,
        )
    operators = s.scalars(select(Role.member_id).where(Role.kind == "operator", Role.space_id == space_id)).all()
    for member_id in operators:
        n += enqueue(
            s, kind, f"{key}:m{member_id}", due_at=due_at or now, now=now, payload=payload,
            member_id=member_id, booking_id=booking_id,
        )
    return n
