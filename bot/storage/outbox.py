"""Writing outbox rows: in the same transaction as the change that causes them.

Delivery (claiming due rows, retries, dead letters) lives in `bot/scheduler.py`.

`enqueue` writes its row at once. `defer` only remembers the row in the session (`session.info`):
all rows deferred in one transaction (a booking's reminders and arrival notices, the message's
direct answers) go to the database in ONE multi-row `INSERT ... ON CONFLICT (dedupe_key) DO NOTHING`
— written by `flush_deferred` (the dialogue calls it with the reply rows), or at the latest right before
the commit, and before any other ORM statement of that session, so a later query or update of the
outbox in the same transaction sees them. A rollback drops them with everything else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.models import ChatChannel, Outbox, Role
from bot.storage.sql import connection, dialect_of, run


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
    if s.info.get(_DEFERRED):
        flush_deferred(s)  # the rows deferred earlier come first (same dedupe keys: the first one wins)
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


# --- deferred rows: one multi-row INSERT per transaction -------------------------------------------

_DEFERRED = "outbox_deferred"
_ROW_COLS = _COLS + ("claimed_by", "claimed_until")
_MULTI: dict[tuple[str, int, bool], str] = {}


def _multi_insert(dialect, n: int, returning: bool) -> str:
    """INSERT of n rows ... ON CONFLICT DO NOTHING [RETURNING id, dedupe_key] as driver SQL, built once."""
    key = (dialect.name, n, returning)
    sql = _MULTI.get(key)
    if sql is None:
        one = "(" + ", ".join(dialect.cast("JSON") if c == "payload" else "?" for c in _ROW_COLS) + ")"
        sql = (f"INSERT INTO outbox ({', '.join(_ROW_COLS)}) VALUES {', '.join([one] * n)} "
               "ON CONFLICT (dedupe_key) DO NOTHING" + (" RETURNING id, dedupe_key" if returning else ""))
        sql = dialect.sql(sql)
        if len(_MULTI) < 256:
            _MULTI[key] = sql
    return sql


def outbox_row(kind: str, dedupe_key: str, *, due_at: datetime, now: datetime, payload: dict[str, Any] | None = None,
               member_id: int | None = None, transport: str | None = None, chat_id: str | None = None,
               booking_id: int | None = None, claimed_by: str | None = None,
               claimed_until: datetime | None = None) -> dict[str, Any]:
    """The values of one outbox row (for `defer` and `flush_deferred`)."""
    return dict(dedupe_key=dedupe_key, kind=kind, recipient_member_id=member_id, transport=transport, chat_id=chat_id,
                payload=payload or {}, booking_id=booking_id, due_at=due_at, status="pending", attempts=0,
                created_at=now, claimed_by=claimed_by, claimed_until=claimed_until)


def defer(s: Session, kind: str, dedupe_key: str, **kw) -> None:
    """Like `enqueue`, but the row is written with the transaction's other deferred rows in one statement
    (see the module docstring). Only for rows no savepoint rollback can follow."""
    rows = s.info.get(_DEFERRED)
    if rows is None:
        rows = s.info[_DEFERRED] = []
    rows.append(outbox_row(kind, dedupe_key, **kw))


def flush_deferred(s: Session, extra: list[dict[str, Any]] | None = None, *, returning: bool = False) -> dict[str, int]:
    """Write the deferred rows (and `extra` rows) in one INSERT ... ON CONFLICT (dedupe_key) DO NOTHING.
    With `returning`: {dedupe_key: id} of the rows written (a key that existed already is absent)."""
    rows = s.info.pop(_DEFERRED, None) or []
    if extra:
        rows = rows + extra
    if not rows:
        return {}
    if s.get_bind().dialect.name not in ("sqlite", "postgresql"):  # pragma: no cover - other stores
        out = {}
        for r in rows:
            vals = {k: v for k, v in r.items()}
            if _enqueue_portable(s, vals):
                out[r["dedupe_key"]] = s.scalar(select(Outbox.id).where(Outbox.dedupe_key == r["dedupe_key"]))
        return out
    d = dialect_of(s.get_bind().dialect.name)
    params: list[Any] = []
    for r in rows:
        params += (r["dedupe_key"], r["kind"], r["recipient_member_id"], r["transport"], r["chat_id"], d.js(r["payload"]),
                   r["booking_id"], d.ts(r["due_at"]), "pending", 0, d.ts(r["created_at"]), r["claimed_by"],
                   d.ts(r["claimed_until"]))
    cursor = run(connection(s), _multi_insert(d, len(rows), returning), tuple(params))
    if not returning:
        return {}
    return {key: row_id for row_id, key in cursor.fetchall()}


@event.listens_for(Session, "do_orm_execute")
def _deferred_before_statement(state) -> None:
    """Any ORM statement of the session sees the rows deferred so far."""
    if state.session.info.get(_DEFERRED):
        flush_deferred(state.session)


@event.listens_for(Session, "before_commit")
def _deferred_before_commit(s: Session) -> None:
    if s.info.get(_DEFERRED):
        flush_deferred(s)


@event.listens_for(Session, "after_transaction_end")
def _deferred_dropped(s: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:  # the outermost transaction: committed or rolled back
        s.info.pop(_DEFERRED, None)


def cancel_for_booking(s: Session, booking_id: int, kinds: tuple[str, ...] | None = None) -> int:
    """Withdraw pending notices about a booking (e.g. its reminders, after a cancellation)."""
    stmt = update(Outbox).where(Outbox.booking_id == booking_id, Outbox.status == "pending")
    if kinds:
        stmt = stmt.where(Outbox.kind.in_(kinds))
    return s.execute(stmt.values(status="cancelled")).rowcount or 0


def notify_space(
    s: Session, space_id: int, kind: str, key: str, *, now: datetime, payload: dict[str, Any], due_at: datetime | None = None,
    booking_id: int | None = None, deferred: bool = False,
) -> int:
    """Send a notice to everyone watching a space: its registered groups/rooms and its operators.
    `deferred`: the rows are written with the transaction's other deferred rows (`defer`); returns the
    number of recipients then."""
    if deferred:
        rows = connection(s).execute(_WATCHERS, {"space_id": space_id}).all()
        for ch_id, transport, chat_id, member_id in rows:
            if ch_id is not None:
                defer(s, kind, f"{key}:ch{ch_id}", due_at=due_at or now, now=now, payload=payload, transport=transport,
                      chat_id=chat_id, booking_id=booking_id)
            else:
                defer(s, kind, f"{key}:m{member_id}", due_at=due_at or now, now=now, payload=payload,
                      member_id=member_id, booking_id=booking_id)
        return len(rows)
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


# the space's registered chats and its operators, in one statement (for `notify_space(deferred=True)`)
_WATCHERS = text(
    "SELECT id, transport, chat_id, NULL FROM chat_channels WHERE space_id = :space_id "
    "UNION ALL SELECT NULL, NULL, NULL, member_id FROM roles WHERE kind = 'operator' AND space_id = :space_id"
)


# --- the inbox side: a messenger update handled once -------------------------------------------------

_HANDLED = ('INSERT INTO handled_updates ("key", transport, handled_at, chat_key) VALUES (?, ?, ?, ?)'
            ' ON CONFLICT ("key") DO NOTHING')


# PostgreSQL: the same insert, after taking the chat's advisory lock for the rest of the transaction, so one
# chat's messages are handled one at a time across all instances (SQLite: one writer anyway, BEGIN IMMEDIATE)
_HANDLED_LOCKED = ('WITH chat_lock AS (SELECT pg_advisory_xact_lock(hashtextextended(%s, 8211)))'
                   ' INSERT INTO handled_updates ("key", transport, handled_at, chat_key) SELECT %s, %s, %s, %s FROM chat_lock'
                   ' ON CONFLICT ("key") DO NOTHING')


def record_update(s: Session, key: str, transport: str, now: datetime, chat_key: str | None = None) -> bool:
    """Mark a messenger update as handled in this transaction; False if it was handled before.

    One statement, no savepoint: a concurrent transaction recording the same key makes this one wait for
    it, then skip (it committed) or insert (it rolled back). With `chat_key` on PostgreSQL the same statement
    first takes the chat's transaction lock, so two instances never handle one chat's messages at once."""
    d = dialect_of(s.get_bind().dialect.name)
    chat = chat_key[:300] if chat_key else None
    if chat and d.pg:
        return run(connection(s), _HANDLED_LOCKED, (chat, key[:200], transport, now, chat)).rowcount == 1
    return run(connection(s), d.sql(_HANDLED), (key[:200], transport, d.ts(now), chat)).rowcount == 1


def recent_updates(s: Session, chat_key: str, since: datetime) -> int:
    """How many updates of this chat were handled since then, by any instance (the shared flood throttle)."""
    d = dialect_of(s.get_bind().dialect.name)
    return run(connection(s), d.sql("SELECT count(*) FROM handled_updates WHERE chat_key = ? AND handled_at > ?"),
               (chat_key[:300], d.ts(since))).fetchone()[0]


def store_replies(s: Session, rows: list[dict[str, Any]]) -> list[int | None]:
    """The direct answers' outbox rows, written with the transaction's deferred rows in one statement;
    the id of each (None where its dedupe key existed already)."""
    ids = flush_deferred(s, rows, returning=True)
    return [ids.get(r["dedupe_key"]) for r in rows]
