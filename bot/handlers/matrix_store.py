"""Matrix transport state in the database (tables `matrix_accounts`, `matrix_items`, `matrix_handled_events`).

`MatrixState` keeps the session (access token, device id, sync token), the pending replies, the offered
choices, invites still to be joined, undecryptable events, the handled event ids and a snapshot of each
joined room (encryption, members) from which a new leader starts answering before its full-state sync.
`DbCryptoStore` is matrix-nio's crypto store (``nio.store.MatrixStore`` interface: Olm account, Olm and Megolm sessions,
device keys, outgoing key requests, encrypted rooms) on the same `matrix_items` table, so that every
instance reads the crypto state of the instance that led before it; nothing is kept on disk.

Every call is one short transaction on its own connection (SQLite or PostgreSQL). The nio store is
called synchronously from nio's code on the event loop; the writes are small (one row each).

`import_legacy_store(state, store_dir)` moves a store directory of deskbot <= 0.1 (matrix-nio 0.25:
``matrix_state.json`` and ``crypto/<user>_<device>.db``) into the database once; nio 0.26 reads the
libolm pickles of that store and re-pickles them for vodozemac.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from bot.storage.models import MatrixAccount, MatrixHandledEvent, MatrixItem

log = logging.getLogger(__name__)

PICKLE_KEY = "DEFAULT_KEY"  # nio's default; the pickles were written with it by deskbot's 0.25 stores too


def _now() -> datetime:
    return datetime.now(UTC)


def _upsert(conn, account: str, kind: str, key: str, value: str) -> None:
    """INSERT ... ON CONFLICT DO UPDATE on both stores."""
    table = MatrixItem.__table__
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(account=account, kind=kind, key=key, value=value, updated_at=_now())
    stmt = stmt.on_conflict_do_update(
        index_elements=["account", "kind", "key"], set_={"value": value, "updated_at": _now()}
    )
    conn.execute(stmt)


class MatrixState:
    """The transport's own state for one bot account."""

    def __init__(self, engine: Engine, user_id: str) -> None:
        self.engine = engine
        self.user_id = user_id

    # ------------------------------------------------------------------------------ session
    def session(self) -> MatrixAccount | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(MatrixAccount.__table__).where(MatrixAccount.user_id == self.user_id)).first()
        if row is None:
            return None
        return MatrixAccount(user_id=row.user_id, device_id=row.device_id, access_token=row.access_token,
                             homeserver=row.homeserver, next_batch=row.next_batch, updated_at=row.updated_at)

    def save_session(self, device_id: str, access_token: str, homeserver: str) -> None:
        """A new login: new device, so the old device's crypto rows and the sync token go."""
        t = MatrixAccount.__table__
        with self.engine.begin() as conn:
            old = conn.execute(select(t.c.device_id).where(t.c.user_id == self.user_id)).scalar()
            conn.execute(delete(t).where(t.c.user_id == self.user_id))
            conn.execute(t.insert().values(user_id=self.user_id, device_id=device_id, access_token=access_token,
                                           homeserver=homeserver, next_batch=None, updated_at=_now()))
            if old and old != device_id:
                conn.execute(delete(MatrixItem.__table__).where(MatrixItem.account == f"{self.user_id}/{old}"))

    def forget_session(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(MatrixAccount.__table__).where(MatrixAccount.user_id == self.user_id))

    def save_next_batch(self, token: str) -> None:
        t = MatrixAccount.__table__
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.user_id == self.user_id).values(next_batch=token, updated_at=_now()))

    # ------------------------------------------------------------------------------ items
    def items(self, kind: str, prefix: str = "") -> dict[str, Any]:
        t = MatrixItem.__table__
        q = select(t.c.key, t.c.value).where(t.c.account == self.user_id, t.c.kind == kind)
        if prefix:
            q = q.where(t.c.key.startswith(prefix, autoescape=True))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return {r.key: json.loads(r.value) for r in rows}

    def get(self, kind: str, key: str) -> Any:
        t = MatrixItem.__table__
        with self.engine.connect() as conn:
            v = conn.execute(select(t.c.value).where(t.c.account == self.user_id, t.c.kind == kind,
                                                     t.c.key == key)).scalar()
        return None if v is None else json.loads(v)

    def put(self, kind: str, key: str, value: Any) -> None:
        with self.engine.begin() as conn:
            _upsert(conn, self.user_id, kind, key, json.dumps(value))

    def put_many(self, kind: str, values: dict[str, Any]) -> None:
        """Upsert several items in one transaction; a value of None deletes the item."""
        if not values:
            return
        t = MatrixItem.__table__
        with self.engine.begin() as conn:
            for key, value in values.items():
                if value is None:
                    conn.execute(delete(t).where(t.c.account == self.user_id, t.c.kind == kind, t.c.key == key))
                else:
                    _upsert(conn, self.user_id, kind, key, json.dumps(value))

    def drop(self, kind: str, key: str) -> None:
        t = MatrixItem.__table__
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.account == self.user_id, t.c.kind == kind, t.c.key == key))

    # ------------------------------------------------------------------------------ handled events
    def is_handled(self, event_id: str) -> bool:
        t = MatrixHandledEvent.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(t.c.event_id).where(t.c.event_id == event_id)).first() is not None

    def mark_handled(self, event_id: str, room_id: str, pending: dict[str, dict], choices: dict[str, Any]) -> bool:
        """Record the event as handled together with the replies still to send and the choices offered,
        in one transaction. False when another instance recorded it first (then nothing is written)."""
        from sqlalchemy.exc import IntegrityError

        t = MatrixHandledEvent.__table__
        try:
            with self.engine.begin() as conn:
                conn.execute(t.insert().values(event_id=event_id, account=self.user_id, room_id=room_id,
                                               handled_at=_now()))
                for pid, job in pending.items():
                    _upsert(conn, self.user_id, "pending", pid, json.dumps(job))
                for key, value in choices.items():
                    _upsert(conn, self.user_id, "choices", key, json.dumps(value))
        except IntegrityError:
            return False
        return True

    def purge_handled(self, older_than: timedelta = timedelta(days=7)) -> int:
        t = MatrixHandledEvent.__table__
        with self.engine.begin() as conn:
            return conn.execute(delete(t).where(t.c.account == self.user_id,
                                                t.c.handled_at < _now() - older_than)).rowcount

    def crypto_store_class(self):
        """A nio store class bound to this database (nio instantiates it in `load_store`)."""
        engine = self.engine

        def factory(user_id, device_id, store_path=None, pickle_key=PICKLE_KEY, store_name=""):
            return DbCryptoStore(engine, user_id, device_id, pickle_key or PICKLE_KEY)

        return factory


class DbCryptoStore:
    """nio's crypto store (the ``nio.store.MatrixStore`` methods nio's Olm machine calls) on `matrix_items`."""

    def __init__(self, engine: Engine, user_id: str, device_id: str, pickle_key: str = PICKLE_KEY) -> None:
        self.engine = engine
        self.user_id = user_id
        self.device_id = device_id
        self.pickle_key = pickle_key
        self.account = f"{user_id}/{device_id}"

    # -- rows
    def _rows(self, kind: str) -> list[tuple[str, str]]:
        t = MatrixItem.__table__
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(t.c.key, t.c.value)
                                                    .where(t.c.account == self.account, t.c.kind == kind)).all()]

    def _get(self, kind: str, key: str) -> str | None:
        t = MatrixItem.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(t.c.value).where(t.c.account == self.account, t.c.kind == kind,
                                                        t.c.key == key)).scalar()

    def _put(self, kind: str, items: list[tuple[str, str]]) -> None:
        if not items:
            return
        with self.engine.begin() as conn:
            for key, value in items:
                _upsert(conn, self.account, kind, key, value)

    def _del(self, kind: str, key: str) -> None:
        t = MatrixItem.__table__
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.account == self.account, t.c.kind == kind, t.c.key == key))

    def _unpickle(self, make):
        """`make(key)` with this store's pickle key; a pickle still written with nio's default key (a store
        from before `DESKBOT_MATRIX_PICKLE_KEY` was set) is read with that and reported as to be
        re-saved, so the crypto state moves to the configured key on first load. Returns (obj, resave)."""
        try:
            return make(self.pickle_key), False
        except ValueError:  # vodozemac's PickleException: wrong key (MAC mismatch)
            if self.pickle_key == PICKLE_KEY:
                raise
            obj = make(PICKLE_KEY)
            return obj, True

    # -- account
    def load_account(self):
        from nio.crypto import OlmAccount

        raw = self._get("olm.account", "account")
        if raw is None:
            return None
        d = json.loads(raw)
        acc, resave = self._unpickle(lambda key: OlmAccount.from_pickle(d["pickle"].encode(), key, d["shared"]))
        if resave:
            log.info("matrix: re-encrypting the crypto store with the configured pickle key")
        if acc.upgrade_pickle or resave:
            acc.upgrade_pickle = False
            self.save_account(acc)
        return acc

    def save_account(self, account) -> None:
        self._put("olm.account", [("account", json.dumps(
            {"pickle": account.pickle(self.pickle_key).decode(), "shared": bool(account.shared)}))])

    # -- olm sessions
    def load_sessions(self):
        from nio.crypto import Session, SessionStore

        store = SessionStore()
        for _key, raw in self._rows("olm.session"):
            d = json.loads(raw)
            s, resave = self._unpickle(lambda key, d=d: Session.from_pickle(
                d["pickle"].encode(), datetime.fromisoformat(d["created"]), key,
                datetime.fromisoformat(d["used"]) if d.get("used") else None))
            store.add(d["sender_key"], s)
            if s.upgrade_pickle or resave:
                s.upgrade_pickle = False
                self.save_session(d["sender_key"], s)
        return store

    def save_session(self, curve_key: str, session) -> None:
        self._put("olm.session", [(f"{curve_key}|{session.id}", json.dumps({
            "sender_key": curve_key,
            "pickle": session.pickle(self.pickle_key).decode(),
            "created": session.creation_time.isoformat(),
            "used": session.use_time.isoformat() if getattr(session, "use_time", None) else None,
        }))])

    # -- megolm inbound sessions
    def load_inbound_group_sessions(self):
        from nio.crypto import GroupSessionStore, InboundGroupSession

        store = GroupSessionStore()
        for _key, raw in self._rows("megolm.inbound"):
            d = json.loads(raw)
            s, resave = self._unpickle(lambda key, d=d: InboundGroupSession.from_pickle(
                d["pickle"].encode(), d["ed25519"], d["sender_key"], d["room_id"], key, d.get("chain") or []))
            store.add(s)
            if s.upgrade_pickle or resave:
                s.upgrade_pickle = False
                self.save_inbound_group_session(s)
        return store

    def save_inbound_group_session(self, session) -> None:
        self._put("megolm.inbound", [(session.id, json.dumps({
            "pickle": session.pickle(self.pickle_key).decode(), "ed25519": session.ed25519,
            "sender_key": session.sender_key, "room_id": session.room_id,
            "chain": list(session.forwarding_chain),
        }))])

    def has_inbound_group_session(self, session_id: str) -> bool:
        return self._get("megolm.inbound", session_id) is not None

    # -- device keys and trust
    def load_device_keys(self):
        from nio.crypto import DeviceStore, OlmDevice, TrustState

        trust = dict(self._rows("trust"))
        store = DeviceStore()
        for key, raw in self._rows("device"):
            d = json.loads(raw)
            state = TrustState[trust[key]] if key in trust else TrustState.unset
            store.add(OlmDevice(d["user_id"], d["device_id"], d["keys"], display_name=d.get("display_name", ""),
                                deleted=d.get("deleted", False), trust_state=state))
        return store

    def save_device_keys(self, device_keys) -> None:
        rows = []
        for user_id, devices in device_keys.items():
            for device_id, dev in devices.items():
                rows.append((f"{user_id}|{device_id}", json.dumps({
                    "user_id": user_id, "device_id": device_id, "keys": dev.keys,
                    "display_name": dev.display_name, "deleted": dev.deleted,
                })))
        self._put("device", rows)

    def _trust(self, device, state: str | None) -> bool:
        from nio.crypto import TrustState

        key = f"{device.user_id}|{device.id}"
        current = self._get("trust", key)
        if current == state:
            return False
        if state is None:
            self._del("trust", key)
            device.trust_state = TrustState.unset
        else:
            self._put("trust", [(key, state)])
            device.trust_state = TrustState[state]
        return True

    def _is(self, device, state: str) -> bool:
        return self._get("trust", f"{device.user_id}|{device.id}") == state

    def verify_device(self, device) -> bool:
        return self._trust(device, "verified")

    def unverify_device(self, device) -> bool:
        return self._is(device, "verified") and self._trust(device, None)

    def is_device_verified(self, device) -> bool:
        return self._is(device, "verified")

    def blacklist_device(self, device) -> bool:
        return self._trust(device, "blacklisted")

    def unblacklist_device(self, device) -> bool:
        return self._is(device, "blacklisted") and self._trust(device, None)

    def is_device_blacklisted(self, device) -> bool:
        return self._is(device, "blacklisted")

    def ignore_device(self, device) -> bool:
        return self._trust(device, "ignored")

    def unignore_device(self, device) -> bool:
        return self._is(device, "ignored") and self._trust(device, None)

    def ignore_devices(self, devices) -> None:
        for d in devices:
            self.ignore_device(d)

    def is_device_ignored(self, device) -> bool:
        return self._is(device, "ignored")

    # -- rooms, key requests, sync token
    def load_encrypted_rooms(self) -> set[str]:
        return {k for k, _ in self._rows("room.encrypted")}

    def save_encrypted_rooms(self, rooms) -> None:
        self._put("room.encrypted", [(r, "1") for r in rooms])

    def delete_encrypted_room(self, room: str) -> None:
        self._del("room.encrypted", room)

    def load_outgoing_key_requests(self):
        from nio.crypto import OutgoingKeyRequest

        out = {}
        for key, raw in self._rows("keyreq"):
            d = json.loads(raw)
            out[key] = OutgoingKeyRequest(key, d["session_id"], d["room_id"], d["algorithm"])
        return out

    def add_outgoing_key_request(self, key_request) -> None:
        self._put("keyreq", [(key_request.request_id, json.dumps({
            "session_id": key_request.session_id, "room_id": key_request.room_id,
            "algorithm": key_request.algorithm}))])

    def remove_outgoing_key_request(self, key_request) -> None:
        self._del("keyreq", key_request.request_id)

    def save_sync_token(self, token: str) -> None:  # the transport keeps its own token (MatrixState)
        self._put("sync_token", [("token", token)])

    def load_sync_token(self) -> str | None:
        return self._get("sync_token", "token")


def import_legacy_store(state: MatrixState, store_dir: Path) -> bool:
    """Move a file store of matrix-nio 0.25 (``matrix_state.json`` + ``crypto/*.db``) into the database,
    once: only when the database has no session for the account yet. True when something was imported."""
    path = Path(store_dir) / "matrix_state.json"
    if not path.exists() or state.session() is not None:
        return False
    data = json.loads(path.read_text())
    if data.get("user_id") not in (None, state.user_id) or not (data.get("device_id") and data.get("access_token")):
        return False
    device_id = data["device_id"]
    crypto_dir = Path(store_dir) / "crypto"
    db_file = crypto_dir / f"{state.user_id}_{device_id}.db"
    if db_file.exists():
        from nio.store import SqliteStore

        old = SqliteStore(state.user_id, device_id, str(crypto_dir), PICKLE_KEY)
        new = DbCryptoStore(state.engine, state.user_id, device_id)
        account = old.load_account()  # libolm pickles are read and re-pickled for vodozemac
        if account is not None:
            new.save_account(account)
            for sender_key, sessions in old.load_sessions().items():
                for s in sessions:
                    new.save_session(sender_key, s)
            for s in old.load_inbound_group_sessions():
                new.save_inbound_group_session(s)
            devices = old.load_device_keys()
            new.save_device_keys({u: dict(devs) for u, devs in devices.items()})
            new.save_encrypted_rooms(old.load_encrypted_rooms())
        old.database.close()
    state.save_session(device_id, data["access_token"], data.get("homeserver", ""))
    if data.get("next_batch"):
        state.save_next_batch(data["next_batch"])
    for pid, job in (data.get("pending") or {}).items():
        state.put("pending", pid, job)
    for rid, ts in (data.get("invites") or {}).items():
        state.put("joined_at", rid, ts)
    for eid in data.get("handled") or []:
        state.mark_handled(eid, "", {}, {})
    log.warning("imported the Matrix store %s into the database (one-time migration); the directory is no "
                "longer used and may be deleted", store_dir)
    return True
