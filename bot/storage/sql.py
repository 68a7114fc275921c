"""Hot-path statements as driver SQL: the few statements every booking message runs.

A statement built with SQLAlchemy (even a cached `text()`) costs ~50 µs of Python per execution on top of
the driver (compile-cache look-up, bind and result processors), more than SQLite needs to run it. The
booking path's statements are therefore written once per dialect as plain SQL with positional
parameters and run with `Connection.exec_driver_sql` — still through the engine (its events, its
transaction, its error wrapping: `IntegrityError`, `OperationalError`), only without the compiler. The
values are converted here as the column types would (`UTCDateTime`, `Date`, `JSON`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from json.encoder import JSONEncoder, c_make_encoder, encode_basestring_ascii
from typing import Any

_UTC = UTC
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECONDS: dict[int, str] = {}  # Dialect.ts: seconds since the epoch -> "YYYY-MM-DD HH:MM:SS."

# json.dumps with its default settings, without building an encoder per call (~2 µs instead of ~4.5 µs); no
# circular-reference check (the values are plain dicts and lists built by the bot; a cycle would end in
# RecursionError instead of ValueError). Falls back to json.dumps where the C encoder is missing.
if c_make_encoder is not None:
    _encode = c_make_encoder(None, JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ", False, False, True)

    def _dumps(obj: Any) -> str:
        if isinstance(obj, str):
            return encode_basestring_ascii(obj)
        return "".join(_encode(obj, 0))
else:  # pragma: no cover - PyPy and builds without _json
    _dumps = json.dumps


class Dialect:
    """Value conversions and placeholders of one store (SQLite or PostgreSQL) for driver SQL."""

    def __init__(self, name: str) -> None:
        if name not in ("sqlite", "postgresql"):
            raise ValueError(f"no driver SQL for {name}")
        self.name = name
        self.pg = name == "postgresql"
        self._last_ts: tuple[datetime | None, str] = (None, "")

    def sql(self, text: str) -> str:
        """`?` placeholders as the driver wants them (psycopg: %s)."""
        return text.replace("?", "%s") if self.pg else text

    def cast(self, pg_type: str) -> str:
        """A placeholder, typed on PostgreSQL (a bare parameter in a SELECT list would be text)."""
        return f"CAST(? AS {pg_type})" if self.pg else "?"

    def ts(self, dt: datetime | None) -> Any:
        """An aware datetime as `UTCDateTime` stores it."""
        if dt is None or self.pg:
            return dt
        last = self._last_ts
        if last[0] is dt:  # the same "now" is stored several times per message
            return last[1]
        if dt.tzinfo is None:  # pragma: no cover - the bot's datetimes are aware
            return dt.astimezone(_UTC).isoformat(" ", "microseconds")[:26]
        # "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's SQLite format). Formatting a datetime costs ~10 000 CPU
        # instructions (isoformat; strftime more), so the text up to the second is kept for the last few seconds
        # seen (a message stores several timestamps of the same second) and the microseconds are appended.
        td = dt - _EPOCH
        sec = td.days * 86400 + td.seconds
        head = _SECONDS.get(sec)
        if head is None:
            if len(_SECONDS) >= 64:
                _SECONDS.clear()
            head = _SECONDS[sec] = (_EPOCH + timedelta(seconds=sec)).isoformat(" ")[:19] + "."
        out = head + str(1_000_000 + td.microseconds)[1:]
        self._last_ts = (dt, out)
        return out

    def ts_out(self, v: Any) -> datetime | None:
        if v is None:
            return None
        if isinstance(v, str):
            return datetime.fromisoformat(v).replace(tzinfo=_UTC)
        return v.astimezone(_UTC) if v.tzinfo is not None else v.replace(tzinfo=_UTC)

    def day(self, d: date) -> Any:
        return d if self.pg else d.isoformat()

    @staticmethod
    def js(obj: Any) -> str:
        """A JSON value, as `json.dumps` writes it (the SQL casts it to json on PostgreSQL: `CAST(? AS JSON)`)."""
        return _dumps(obj)

    @staticmethod
    def js_out(v: Any) -> Any:
        return json.loads(v) if isinstance(v, str) else v


_DIALECTS: dict[str, Dialect] = {}


def dialect_of(name: str) -> Dialect:
    d = _DIALECTS.get(name)
    if d is None:
        d = _DIALECTS[name] = Dialect(name)
    return d


def run(conn, sql: str, params: tuple | list = (), *, many: bool = False):
    """Run driver SQL on the DBAPI cursor of a SQLAlchemy `Connection` (inside its transaction); returns the
    cursor (rows as tuples).

    Cheaper than `exec_driver_sql` (~45 µs less per statement: no execution context, no result
    metadata), and still visible to the engine: its `before_cursor_execute` / `after_cursor_execute` events
    fire (with `context=None`), and a driver error is raised as SQLAlchemy's exception of that class
    (`IntegrityError`, `OperationalError`, ...), as `Connection.execute` would."""
    cursor = conn.connection.dbapi_connection.cursor()
    after = None
    dispatch = _listeners(conn)
    if dispatch is not None:
        before = dispatch.before_cursor_execute
        if before:
            for fn in before:
                sql, params = fn(conn, cursor, sql, params, None, many)
        after = dispatch.after_cursor_execute
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
    except Exception as exc:
        _raise_driver_error(conn, sql, exc)
    if after:
        for fn in after:
            fn(conn, cursor, sql, params, None, many)
    return cursor


def _listeners(conn):
    """The engine's event listeners directly, unless the connection has its own (its dispatcher joins both, at a
    cost); None when nobody listens."""
    return conn.dispatch if conn._has_events else conn.engine.dispatch if conn.engine._has_events else None


def _raise_driver_error(conn, sql: str, exc: Exception):
    error = conn.dialect.loaded_dbapi.Error
    if not isinstance(exc, error):
        raise exc
    from sqlalchemy.exc import DBAPIError

    raise DBAPIError.instance(sql, None, exc, error, hide_parameters=True, dialect=conn.dialect) from exc


def begin_raw(conn) -> None:
    """`BEGIN IMMEDIATE` on the DBAPI connection (SQLite), unless the driver has a transaction open already."""
    if not conn.connection.dbapi_connection.in_transaction:
        run(conn, "BEGIN IMMEDIATE")


def end_raw(conn, *, commit: bool) -> None:
    """COMMIT (or ROLLBACK) the transaction that `run(conn, "BEGIN IMMEDIATE")` opened on the DBAPI connection, as
    `Connection.commit()` would: the engine's `commit` / `rollback` listeners fire, a driver error is raised as
    SQLAlchemy's. Nothing happens when the driver has no transaction open (a ROLLBACK after a failed BEGIN)."""
    dbapi_conn = conn.connection.dbapi_connection
    if not dbapi_conn.in_transaction:
        return
    dispatch = _listeners(conn)
    if dispatch is not None:
        for fn in (dispatch.commit if commit else dispatch.rollback):
            fn(conn)
    try:
        if commit:
            dbapi_conn.commit()
        else:
            dbapi_conn.rollback()
    except Exception as exc:
        _raise_driver_error(conn, "COMMIT" if commit else "ROLLBACK", exc)


def connection(s):
    """The session's `Connection` of its current transaction (`Session.connection()`, remembered for the
    transaction: the hot path asks for it several times per message). In a unit of work on a kept SQLite session
    (`Database.unit_of_work`) that is the session's own connection, whose transaction the unit opened itself."""
    raw = s.info.get("_raw")
    if raw is not None:
        begin_raw(raw)  # again if the session's rollback ended it (a dry run)
        return raw
    tx = s.get_transaction()
    cached = s.info.get("_sql_conn")
    if cached is not None and tx is not None and cached[0] is tx:
        return cached[1]
    conn = s.connection()
    s.info["_sql_conn"] = (s.get_transaction(), conn)
    return conn
