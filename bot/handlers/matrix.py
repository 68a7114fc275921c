"""Matrix transport (matrix-nio >= 0.26, end-to-end encryption with vodozemac).

How it works
------------
* All state is in the database (`bot/handlers/matrix_store.py`): session (access token, device id,
  sync token), nio's crypto store, replies still to send, offered choices, invites still to join,
  undecryptable events and the ids of handled events. Instances share nothing on disk; whoever leads
  builds a *fresh* nio client from the database, so a takeover continues with the current Olm account
  and Megolm sessions. A file store of deskbot's matrix-nio 0.25 days (``store_dir``) is imported once.
* Login: the password is used at most once (Synapse allows only a few logins per IP); later starts
  and other instances reuse the stored token and device. With a token instead of a password,
  ``whoami`` supplies the device id.
* Sync: our own loop. The leader keeps a snapshot of each joined room (encryption, members) in the
  database. A new leader builds its rooms from it and starts with an incremental sync from the stored
  token that returns at once, so the backlog is answered without waiting for a full-state sync; beside
  the incremental syncs a sync without ``since`` (read raw, not by nio) is the full-state check for
  pending invites. On the very first start (no snapshot yet) a ``full_state`` sync without ``since``
  comes first and its timelines are *not* answered. A sync without ``since`` gets a ``timeout`` of its
  own on every start, so Synapse's 2-minute response cache cannot hand a restart the stale response of
  an earlier start. The token is stored *after* the batch was handled. Limited timelines are
  back-filled with ``/messages``.
* Every message handed to the dialogue carries ``update_key=<event id>``. The event id is recorded in
  the database in one transaction with the replies still to send; a redelivered event is skipped.
  Replies carry a transaction id derived from the event id, so a replay shows up once.
* Undecryptable events are stored, their keys requested from the sender's device (a key it forwards
  is accepted: `accept_forwards_from_session_owner`), and they are retried after every sync; after
  `undecryptable_notice_after` the sender is told (once) to send the message again; after a day the
  row goes (with a warning in the log).
* Invites are joined when the inviter's homeserver is allowed (`allowed_homeservers`; ``None`` = only
  the bot's own homeserver, ``["*"]`` = any), otherwise rejected. Joins that hit the join limit
  (429) are retried after ``retry_after_ms``; invites are kept in the database until joined.
* Rooms: a message is for the bot when it mentions it (``m.mentions``, an Element pill, "@deskbot",
  the bot's display name at the start) or starts with "/" or is a single code-like word; the mention
  is stripped before the dialogue sees the text. A bare number (``2``, ``2.``, ``2️⃣``) or a keycap
  reaction answers only the sender's *own* pending choice. An edit (``m.replace``) is passed on with
  ``edited=True`` and the new text (never as a choice); redactions are ignored. At most one
  "slow down" reply per room and minute.
* Sending: one sender task per room (order within a room is kept). nio never sleeps on 429 itself
  (``max_limit_exceeded=0``); we honour ``retry_after_ms`` with a shared fair (FIFO) gate. Replies to a
  room that is joined but not synced yet are retried, not dropped. `send()` (outbox) raises
  `RetryLater` when the wait would exceed `max_send_wait` (30 s), `RecipientGone` on M_FORBIDDEN /
  unknown room, `SendError` otherwise. ``stop()`` stops syncing, then lets queued replies go out for up
  to `stop_grace` seconds; what is left stays in the database for the next leader.
* Several instances: pass ``lock=PgAdvisoryLeader(url).hold``; only the holder syncs and sends.
  Non-leaders raise `RetryLater` from `send()`.

Trust policy
------------
"Encrypt to every device, verify none" (TOFU-like): the bot shares its Megolm keys with all
non-blacklisted devices of the members of rooms it is in (``ignore_unverified_devices=True``), and
decrypts whatever it can. Commuters will not do interactive verification with a booking bot; the
risk accepted is that a device added to a user's account (by the homeserver admin) would also get
booking replies. Nothing is ever auto-blacklisted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import html
import logging
import random
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain import Attachment, Choice, IncomingMessage, Reply
from bot.handlers.matrix_store import PICKLE_KEY, MatrixState, import_legacy_store
from bot.i18n import translator
from bot.transport import RecipientGone, RetryLater, SendError

log = logging.getLogger(__name__)

KEYCAPS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"]
_GONE_CODES = {"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_TOKEN"}
_HANDLED_KEEP = 2000  # in-memory cache in front of matrix_handled_events
_NUMBER_RE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


# ---------------------------------------------------------------------------------------------
# pure helpers (unit-tested without a homeserver)


def server_of(user_id: str) -> str:
    return user_id.split(":", 1)[1] if ":" in user_id else ""


def invite_allowed(inviter: str, own_user_id: str, allowed_homeservers: list[str] | None) -> bool:
    """Join an invite only if the inviter's homeserver is allowed (None = only our own)."""
    server = server_of(inviter)
    if not server:
        return False
    allowed = [server_of(own_user_id)] if allowed_homeservers is None else allowed_homeservers
    return "*" in allowed or server.lower() in {s.lower() for s in allowed}


def txn_id(base: str, part: int) -> str:
    return hashlib.sha256(f"{base}:{part}".encode()).hexdigest()


def choice_marker(n: int) -> str:
    return KEYCAPS[n - 1] if 1 <= n <= len(KEYCAPS) else f"{n}."


def parse_choice_number(text: str) -> int | None:
    """'2', '2.', '2)', ' 2 ', '2️⃣' -> 2; anything else -> None."""
    t = text.strip()
    for i, cap in enumerate(KEYCAPS, 1):
        if t == cap or t == cap.replace("\ufe0f", ""):
            return i
    m = _NUMBER_RE.match(t)
    return int(m.group(1)) if m else None


def strip_reply_fallback(body: str) -> str:
    lines = body.split("\n")
    if lines and lines[0].startswith("> "):
        while lines and lines[0].startswith(">"):
            lines.pop(0)
        if lines and not lines[0].strip():
            lines.pop(0)
        return "\n".join(lines)
    return body


def render_text(reply: Reply, msgtype: str = "m.text") -> dict:
    """Reply -> m.room.message content with HTML + plain fallback and numbered choices."""
    choices = reply.flat_choices()
    plain = reply.text
    body_html = reply.html if reply.html is not None else html.escape(reply.text).replace("\n", "<br>")
    if choices:
        lines = [f"{choice_marker(i)} {c.label}" for i, c in enumerate(choices, 1)]
        plain = plain + "\n\n" + "\n".join(lines)
        body_html = body_html + "<br><br>" + "<br>".join(html.escape(line) for line in lines)
    return {"msgtype": msgtype, "body": plain, "format": "org.matrix.custom.html", "formatted_body": body_html}


def reply_to_json(reply: Reply) -> dict:
    return {
        "text": reply.text,
        "html": reply.html,
        "edit": reply.edit,
        "choices": [[[c.label, c.data] for c in row] for row in reply.choices],
        "attachments": [
            {"filename": a.filename, "mime": a.mime, "data": base64.b64encode(a.data).decode()}
            for a in reply.attachments
        ],
    }


def reply_from_json(d: dict) -> Reply:
    return Reply(
        text=d["text"],
        html=d.get("html"),
        edit=d.get("edit", False),
        choices=[[Choice(label, data) for label, data in row] for row in d.get("choices", [])],
        attachments=[
            Attachment(a["filename"], a["mime"], base64.b64decode(a["data"])) for a in d.get("attachments", [])
        ],
    )


_CODE_RE = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+$")
_PILL_RE = re.compile(r'<a\s+href="https://matrix\.to/#/([^"?]+)[^"]*"\s*>(.*?)</a>', re.IGNORECASE | re.DOTALL)


def mention_info(content: dict, bot_user_id: str, bot_display: str | None) -> tuple[str, bool]:
    """(text without the mention of the bot, was the bot mentioned). Knows ``m.mentions``, an Element
    pill (``<a href="https://matrix.to/#/@bot:hs">deskbot</a>: …``), "@deskbot[:hs]" and the bot's
    display name at the start of the message."""
    import urllib.parse

    text = strip_reply_fallback(content.get("body", "") or "")
    mentioned = bot_user_id in ((content.get("m.mentions") or {}).get("user_ids") or [])
    names: set[str] = {bot_user_id, "@" + bot_user_id[1:].split(":", 1)[0]}
    if bot_display:
        names.add(bot_display)
    for target, label in _PILL_RE.findall(content.get("formatted_body", "") or ""):
        if urllib.parse.unquote(target) == bot_user_id:
            mentioned = True
            names.add(html.unescape(re.sub(r"<[^>]+>", "", label)).strip())
    names.discard("")
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    lead = re.compile(rf"^\s*(?:{alts})(?![\w.-])\s*[:,]?\s*", re.IGNORECASE)
    stripped, n = lead.subn("", text, count=1)
    if n:
        mentioned = True
    if bot_user_id.lower() in stripped.lower():  # the full id anywhere in the text
        mentioned = True
        stripped = re.sub(re.escape(bot_user_id) + r"\s*[:,]?\s*", "", stripped, flags=re.IGNORECASE)
    return stripped.strip(), mentioned


def replaced_event(content: dict) -> str | None:
    """The event id an edit (m.replace) replaces, else None."""
    rel = content.get("m.relates_to") or {}
    return rel.get("event_id") if rel.get("rel_type") == "m.replace" else None


def accept_forwards_from_session_owner(olm) -> None:
    """Let nio's Olm machine accept a room key we asked for when the device that *created* the Megolm
    session forwards it (``m.forwarded_room_key`` whose ``sender_key`` is the Olm sender's own key, no
    forwarding chain). nio accepts forwarded keys only from the bot's own verified devices, and the bot
    has no other device: the one that can answer its key request is the sender's. This trusts nothing
    new, since that device could just as well have sent the key as ``m.room_key``."""
    original = olm._should_accept_forward

    def accept(sender: str, sender_key: str, event) -> bool:
        content = (getattr(event, "source", None) or {}).get("content") or {}
        req = olm.outgoing_key_requests.get(event.session_id)
        if (req is not None and event.algorithm == "m.megolm.v1.aes-sha2" and req.room_id == event.room_id
                and req.session_id == event.session_id and content.get("sender_key") == sender_key
                and not content.get("forwarding_curve25519_key_chain")):
            device = olm.device_store.device_from_sender_key(sender, sender_key)
            if device is not None and not device.blacklisted:
                return True
        return original(sender, sender_key, event)

    olm._should_accept_forward = accept


_SLOW_DOWN_TEXTS: set[str] | None = None


def is_slow_down(reply: Reply) -> bool:
    global _SLOW_DOWN_TEXTS
    if _SLOW_DOWN_TEXTS is None:
        try:
            from bot.i18n import t

            _SLOW_DOWN_TEXTS = {t("de", "slow_down"), t("en", "slow_down")}
        except Exception:  # noqa: BLE001 - no texts, no throttle of the throttle
            _SLOW_DOWN_TEXTS = set()
    return reply.text in _SLOW_DOWN_TEXTS and not reply.choices


tr = translator("transport")  # texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po


def undecryptable_text(at: str) -> str:
    """The notice for a message whose keys never came, in both languages (the sender's is not known)."""
    return "\n".join(tr(lang, "undecryptable", at=at) for lang in ("de", "en"))


# ---------------------------------------------------------------------------------------------


@dataclass
class _Job:
    room_id: str
    reply: Reply
    base: str  # transaction id base
    msgtype: str = "m.text"
    max_wait: float | None = None  # None: wait as long as the homeserver says
    future: asyncio.Future | None = None
    pending_id: str | None = None  # key of the persisted pending send (kind "pending")
    edit_of: str | None = None
    choices_key: str | None = None  # where the sent choice message's event id is remembered
    outbox_id: int | None = None  # the dialogue's outbox row of this direct reply (marked sent after delivery)


def _engine_of(db):
    if db is None:
        raise ValueError("MatrixTransport needs the database (db=Engine or bot.storage.db.Database)")
    return getattr(db, "engine", db)


class MatrixTransport:
    name = "matrix"

    def __init__(
        self,
        dialogue,
        *,
        homeserver: str,
        user_id: str,
        access_token: str | None = None,
        password: str | None = None,
        db=None,
        store_dir: Path | None = None,
        allowed_homeservers: list[str] | None = None,
        lock: Callable | None = None,
        device_name: str = "deskbot",
        max_send_wait: float = 30.0,
        sync_timeout_ms: int = 30_000,
        stop_grace: float = 8.0,
        slow_down_interval: float = 60.0,
        undecryptable_notice_after: float = 120.0,
        login_timeout: float = 20.0,
        pickle_key: str | None = None,
        unsynced_room_wait: float = 10.0,
    ) -> None:
        self.dialogue = dialogue
        self.homeserver = homeserver.rstrip("/")
        self.user_id = user_id
        self._access_token = access_token
        self._password = password
        self.state = MatrixState(_engine_of(db), user_id)
        self.store_dir = Path(store_dir) if store_dir else None  # only read for the one-time import
        self.allowed_homeservers = allowed_homeservers
        self._lock = lock
        self.device_name = device_name
        self.max_send_wait = max_send_wait
        self.sync_timeout_ms = sync_timeout_ms
        self.stop_grace = stop_grace
        self.slow_down_interval = slow_down_interval
        self.undecryptable_notice_after = undecryptable_notice_after
        self.login_timeout = login_timeout
        self.pickle_key = pickle_key
        self.unsynced_room_wait = unsynced_room_wait  # a joined room not in our sync yet: wait, then retry later

        self.client = None  # nio.AsyncClient while leading (or after start() without a lock)
        self._task: asyncio.Task | None = None
        self._sync_task: asyncio.Task | None = None
        self._joiner: asyncio.Task | None = None
        self._invite_checker: asyncio.Task | None = None
        self._join_wakeup = asyncio.Event()
        self._senders: dict[str, asyncio.Task] = {}
        self._queues: dict[str, asyncio.Queue[_Job]] = {}
        self._gate = asyncio.Lock()  # FIFO: rooms take turns while throttled
        self._blocked_until = 0.0
        self._gate_users = 0
        self._crypto_lock = asyncio.Lock()
        self._handled: OrderedDict[str, None] = OrderedDict()
        self._synced = asyncio.Event()  # set after the first sync of this leadership
        self._leader = False
        self._draining = False
        self._slow_down_sent: dict[str, float] = {}
        self._room_snaps: dict[str, dict] = {}  # what the database holds of each room (see _save_rooms)
        self.logins = 0  # for tests / metrics
        self.became_leader_at: float | None = None  # monotonic, for takeover measurements
        self.first_sync_at: float | None = None
        self.timings: dict[str, float] = {}  # wall clock of the last takeover's steps (leader, store, client, rooms,
        #                                      first_sync, ready)

    # -------------------------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        import nio  # noqa: F401 - imported now, not at takeover time (the import alone takes 0.5-1 s)

        if self.store_dir is not None:
            await asyncio.to_thread(import_legacy_store, self.state, self.store_dir)
        if self._lock is None:  # one instance: fail fast on bad credentials
            await self._open_client()
        self._task = asyncio.create_task(self._run(), name="matrix-sync")

    async def stop(self) -> None:
        """Stop syncing, let queued replies go out for up to `stop_grace` s, then stop everything.
        Unsent replies stay in the database and are sent by the next leader."""
        self._draining = True
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(BaseException):
                await self._sync_task
        queues = [q for q in self._queues.values()]
        if queues and self.stop_grace > 0:
            try:
                await asyncio.wait_for(asyncio.gather(*(q.join() for q in queues)), self.stop_grace)
            except TimeoutError:
                left = sum(q.qsize() for q in queues)
                log.warning("matrix: %d replies not sent within the %.0f s grace; they stay queued in the "
                            "database", left, self.stop_grace)
        tasks = [t for t in [self._task, self._joiner, self._invite_checker, *self._senders.values()]
                 if t is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(BaseException):
                await t
        self._task = None
        self._senders.clear()
        self._queues.clear()
        await self._close_client()
        self._draining = False

    async def wait_synced(self, timeout: float = 30) -> None:
        await asyncio.wait_for(self._synced.wait(), timeout)

    # ------------------------------------------------------------------------------------ login
    async def _open_client(self) -> None:
        """A fresh nio client on the database: the crypto state is loaded as it is *now*."""
        from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

        await self._close_client()
        config = AsyncClientConfig(
            store=self.state.crypto_store_class(),
            pickle_key=self.pickle_key or PICKLE_KEY,  # encrypts the Olm/Megolm pickles in the database
            store_sync_tokens=False,  # we persist the token ourselves, after handling (see docstring)
            encryption_enabled=True,
            max_limit_exceeded=0,  # never let nio sleep on 429; we schedule retries
            max_timeouts=None,
            request_timeout=self.sync_timeout_ms / 1000 + 30,
        )
        # store_path is not used by the database store, but nio skips loading a store without one
        client = AsyncClient(self.homeserver, self.user_id, store_path="database", config=config)
        self.client = client
        session = await asyncio.to_thread(self.state.session)
        if session is not None:
            client.restore_login(self.user_id, session.device_id, session.access_token)  # loads the crypto store
            accept_forwards_from_session_owner(client.olm)
            self.timings["store"] = time.time()
            resp = await self._bounded(client.whoami())
            if isinstance(resp, WhoamiResponse):
                return
            if getattr(resp, "status_code", None) != "M_UNKNOWN_TOKEN":
                raise SendError(f"whoami failed: {resp}")
            log.warning("stored Matrix token is no longer valid; logging in again")
            await asyncio.to_thread(self.state.forget_session)
            await client.close()
            client = self.client = AsyncClient(self.homeserver, self.user_id, store_path="database", config=config)
        if self._access_token:
            client.access_token = self._access_token
            client.user_id = self.user_id
            resp = await self._bounded(client.whoami())
            if not isinstance(resp, WhoamiResponse) or not resp.device_id:
                raise SendError(f"access token rejected or without device: {resp}")
            device_id, token = resp.device_id, self._access_token
        elif self._password:
            resp = await self._bounded(client.login(self._password, device_name=self.device_name))
            self.logins += 1
            if not isinstance(resp, LoginResponse):
                raise SendError(f"Matrix login failed: {resp}")
            device_id, token = resp.device_id, resp.access_token
        else:
            raise SendError("Matrix: neither a stored session, an access token nor a password")
        await asyncio.to_thread(self.state.save_session, device_id, token, self.homeserver)
        client.restore_login(self.user_id, device_id, token)
        accept_forwards_from_session_owner(client.olm)

    async def _bounded(self, request):
        """A login-time request (whoami, login) within `login_timeout` s. nio itself retries connection
        errors for ever (``max_timeouts=None``, which the long-poll sync needs); at start-up an unreachable
        homeserver must instead surface as a TimeoutError, which the runner retries with backoff and one
        log line per attempt (bot/runner.py)."""
        try:
            return await asyncio.wait_for(request, self.login_timeout)
        except TimeoutError:
            raise TimeoutError(f"homeserver {self.homeserver} did not answer within {self.login_timeout:.0f} s") from None

    async def _close_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()

    # ------------------------------------------------------------------------------------- sync
    async def _run(self) -> None:
        while True:
            try:
                if self._lock is None:
                    await self._lead()
                else:
                    async with self._lock() as lost:
                        lead = asyncio.create_task(self._lead())
                        lost_wait = asyncio.create_task(lost.wait())
                        try:
                            await asyncio.wait({lead, lost_wait}, return_when=asyncio.FIRST_COMPLETED)
                        finally:
                            for t in (lead, lost_wait):
                                t.cancel()
                            for t in (lead, lost_wait):
                                with contextlib.suppress(BaseException):
                                    await t
                        if lead.done() and not lead.cancelled() and lead.exception():
                            raise lead.exception()  # type: ignore[misc]
                        log.warning("lost the sync leadership; waiting to regain it")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("matrix sync loop crashed; restarting in 5 s")
                await asyncio.sleep(5)

    async def _lead(self) -> None:
        self.became_leader_at = time.monotonic()
        self.timings = {"leader": time.time()}
        if self._lock is not None or self.client is None:
            await self._open_client()  # another instance may have led until now: its state is in the DB
        self.timings["client"] = time.time()
        self._handled.clear()
        self._room_snaps.clear()
        self._leader = True
        self._sync_task = asyncio.create_task(self._sync_loop(), name="matrix-sync-loop")
        self._joiner = asyncio.create_task(self._join_loop(), name="matrix-join")
        try:
            try:
                await self._sync_task
            except asyncio.CancelledError:
                if not self._draining:
                    raise
                await asyncio.Event().wait()  # stop() drains the senders, then cancels us
        finally:
            self._leader = False
            self._synced.clear()
            for t in [self._joiner, self._invite_checker, *self._senders.values()]:
                if t is not None:
                    t.cancel()
            self._joiner = self._invite_checker = None
            self._senders.clear()
            self._queues.clear()
            if self._lock is not None:
                await self._close_client()

    async def _sync(self, **kw):
        from nio import SyncResponse

        backoff = 1.0
        while True:
            resp = await self.client.sync(set_presence="online", **kw)
            if isinstance(resp, SyncResponse):
                return resp
            if getattr(resp, "status_code", None) == "M_UNKNOWN_TOKEN":
                raise SendError("Matrix access token revoked")
            log.warning("sync failed: %s", resp)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60)

    async def _sync_loop(self) -> None:
        assert self.client is not None
        session = await asyncio.to_thread(self.state.session)
        stored = session.next_batch if session else None
        rooms = await asyncio.to_thread(self.state.items, "room") if stored else {}
        invite_check_due = False
        if rooms:
            # 1a. A leader has synced before: the rooms (encryption, members) come from the database, and
            #     the first sync is an incremental one from the stored token that returns at once, so the
            #     backlog is answered without waiting for a full-state sync. The full-state check for
            #     invites follows, beside the incremental syncs (`_invite_check`).
            self._restore_rooms(rooms)
            self.timings["rooms"] = time.time()
            since = stored
            invite_check_due = True
            first: dict[str, Any] | None = {"timeout": 0}
        else:
            # 1b. First leadership on this database: a full-state sync, timelines not answered. nio keeps
            #     room state only in memory, so this is how we learn our rooms and all pending invites.
            resp = await self._sync(
                timeout=random.randint(1, 60_000), since=None, full_state=True,
                sync_filter={"room": {"timeline": {"limit": 1}, "ephemeral": {"not_types": ["*"]},
                                      "account_data": {"not_types": ["*"]}},
                             "presence": {"not_types": ["*"]}, "account_data": {"not_types": ["*"]}},
            )
            self.first_sync_at = time.monotonic()
            self.timings["first_sync"] = time.time()
            await self._crypto_housekeeping()
            await self._handle_invites(resp)
            await self._save_rooms(resp)
            since = stored or resp.next_batch
            await asyncio.to_thread(self.state.save_next_batch, since)
            self._set_ready()
            first = None
        for pid, job in (await asyncio.to_thread(self.state.items, "pending")).items():
            self._enqueue(_Job(job["room_id"], reply_from_json(job["reply"]), job["base"],
                               job.get("msgtype", "m.text"), pending_id=pid, edit_of=job.get("edit_of"),
                               choices_key=job.get("choices_key"), outbox_id=job.get("outbox_id")))
        await self._retry_undecrypted()
        # 2. Incremental syncs from the persisted token: everything here is answered.
        sync_filter = {"room": {"timeline": {"limit": 50}, "ephemeral": {"not_types": ["*"]},
                                "account_data": {"not_types": ["*"]}},
                       "presence": {"not_types": ["*"]}, "account_data": {"not_types": ["*"]}}
        purged = time.monotonic()
        while True:
            if first is not None:
                kw, first = first, None
            else:
                kw = {"timeout": self.sync_timeout_ms}
            resp = await self._sync(sync_filter=sync_filter, since=since, **kw)
            if not self._synced.is_set():
                self.first_sync_at = time.monotonic()
                self.timings["first_sync"] = time.time()
            await self._handle_invites(resp)
            await self._handle_rooms(resp, since)  # answers first; nio decrypted the batch in sync()
            if not self._synced.is_set():
                self.timings["handled"] = time.time()
            await self._crypto_housekeeping()
            await self._retry_undecrypted()
            await self._save_rooms(resp)
            since = resp.next_batch
            await asyncio.to_thread(self.state.save_next_batch, since)
            self._set_ready()
            if invite_check_due:
                invite_check_due = False
                self._invite_checker = asyncio.create_task(self._invite_check(), name="matrix-invite-check")
            if time.monotonic() - purged > 3600:
                purged = time.monotonic()
                await asyncio.to_thread(self.state.purge_handled)

    def _set_ready(self) -> None:
        if not self._synced.is_set():
            self.timings["ready"] = time.time()
            self._synced.set()

    def _room_snapshot(self, room) -> dict:
        return {"encrypted": bool(room.encrypted),
                "members": sorted([uid, u.display_name, bool(u.invited)] for uid, u in room.users.items())}

    def _restore_rooms(self, rooms: dict[str, dict]) -> None:
        """nio rooms from the snapshots the last leader stored (`_save_rooms`)."""
        from nio import MatrixRoom

        c = self.client
        for room_id, snap in rooms.items():
            room = MatrixRoom(room_id, self.user_id, bool(snap.get("encrypted")) or room_id in c.encrypted_rooms)
            for uid, name, invited in snap.get("members", []):
                room.add_member(uid, name, None, invited=invited)
            c.rooms[room_id] = room
            self._room_snaps[room_id] = snap
        # the members' device keys are in the crypto store; the full-state sync that follows the first one
        # has nio query them again (not in front of the backlog)

    async def _save_rooms(self, resp) -> None:
        """Store the snapshot of every room this sync changed (and forget the rooms left), before the sync
        token: a new leader resumes from the token with these rooms."""
        changed: dict[str, Any] = {}
        for room_id in resp.rooms.join:
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            snap = self._room_snapshot(room)
            if self._room_snaps.get(room_id) != snap:
                changed[room_id] = self._room_snaps[room_id] = snap
        for room_id in resp.rooms.leave:
            self._room_snaps.pop(room_id, None)
            changed[room_id] = None
        if changed:
            await asyncio.to_thread(self.state.put_many, "room", changed)

    async def _crypto_housekeeping(self) -> None:
        c = self.client
        async with self._crypto_lock:
            try:
                await c.send_to_device_messages()
                if c.should_upload_keys:
                    await c.keys_upload()
                if c.should_query_keys:
                    await c.keys_query()
                if c.should_claim_keys:
                    await c.keys_claim(c.get_users_for_key_claiming())
            except Exception as e:  # noqa: BLE001 - next sync retries
                log.warning("crypto housekeeping: %s", e)

    # ---------------------------------------------------------------------------------- invites
    async def _handle_invites(self, resp) -> None:
        from nio import InviteMemberEvent

        invites = []
        for room_id, info in resp.rooms.invite.items():
            inviter = None
            for ev in info.invite_state:
                if isinstance(ev, InviteMemberEvent) and ev.state_key == self.user_id and ev.membership == "invite":
                    inviter = ev.sender
            invites.append((room_id, inviter))
        await self._take_invites(invites)

    async def _invite_check(self) -> None:
        """The full-state check for pending invites after a start from the stored rooms. Incremental syncs
        list an invite once, even with ``full_state``; an invite from before the stored token that the
        database does not hold is listed only by a sync without ``since``. That sync is read raw, not by
        nio, so the to-device messages in it are not handled a second time; it is kept small (no
        timelines, lazily loaded members), and its ``timeout`` differs on every start, so Synapse's
        2-minute response cache cannot hand it the response of an earlier start."""
        from nio import Api

        c = self.client
        flt = {"room": {"timeline": {"limit": 0}, "state": {"lazy_load_members": True},
                        "ephemeral": {"not_types": ["*"]}, "account_data": {"not_types": ["*"]}},
               "presence": {"not_types": ["*"]}, "account_data": {"not_types": ["*"]}}
        method, path = Api.sync(c.access_token, since=None, timeout=random.randint(1, 60_000), filter=flt,
                                full_state=True)
        try:
            resp = await c.send(method, path, timeout=self.login_timeout + 60)
            data = await resp.json() if resp.status == 200 else None
        except Exception as e:  # noqa: BLE001 - the next start checks again
            log.warning("matrix: full-state invite check failed: %s", e)
            return
        if data is None:
            log.warning("matrix: full-state invite check failed: HTTP %s", resp.status)
            return
        invites = []
        for room_id, info in ((data.get("rooms") or {}).get("invite") or {}).items():
            if room_id in c.rooms:
                continue  # joined meanwhile
            inviter = None
            for ev in (info.get("invite_state") or {}).get("events") or []:
                if (ev.get("type") == "m.room.member" and ev.get("state_key") == self.user_id
                        and (ev.get("content") or {}).get("membership") == "invite"):
                    inviter = ev.get("sender")
            invites.append((room_id, inviter))
        self.timings["invite_check"] = time.time()
        await self._take_invites(invites)

    async def _take_invites(self, invites: list[tuple[str, str | None]]) -> None:
        """Keep the allowed invites in the database (the join loop joins them); reject the others."""
        new = False
        for room_id, inviter in invites:
            if inviter and invite_allowed(inviter, self.user_id, self.allowed_homeservers):
                if await asyncio.to_thread(self.state.get, "invite", room_id) is None:
                    await asyncio.to_thread(self.state.put, "invite", room_id,
                                            {"inviter": inviter, "ts": int(time.time() * 1000), "next": 0})
                    new = True
            else:
                log.info("rejecting invite to %s from %s", room_id, inviter)
                await self.client.room_leave(room_id)
        if new:
            self._join_wakeup.set()

    async def _join_loop(self) -> None:
        """Join the stored invites; on 429 wait `retry_after_ms`, on other errors back off."""
        from nio import JoinResponse

        while True:
            invites = await asyncio.to_thread(self.state.items, "invite")
            now = time.time()
            next_due = None
            for room_id, inv in sorted(invites.items(), key=lambda kv: kv[1]["ts"]):
                if inv.get("next", 0) > now:
                    next_due = min(next_due or inv["next"], inv["next"])
                    continue
                r = await self.client.join(room_id)
                if isinstance(r, JoinResponse):
                    log.info("joined %s (invited by %s)", room_id, inv["inviter"])
                    await asyncio.to_thread(self.state.put, "joined_at", room_id, inv["ts"])
                    await asyncio.to_thread(self.state.drop, "invite", room_id)
                    continue
                code = getattr(r, "status_code", None)
                if code == "M_LIMIT_EXCEEDED":
                    wait = (getattr(r, "retry_after_ms", None) or 1000) / 1000
                    log.info("join limit: retrying %s in %.1f s", room_id, wait)
                    await asyncio.sleep(wait)  # the limit is per account: everyone waits
                    break
                if code in ("M_FORBIDDEN", "M_NOT_FOUND"):
                    log.info("invite to %s is gone (%s)", room_id, code)
                    await asyncio.to_thread(self.state.drop, "invite", room_id)
                    continue
                attempts = inv.get("attempts", 0) + 1
                delay = min(2 ** attempts, 600)
                log.warning("join %s failed (%s); retrying in %d s", room_id, r, delay)
                await asyncio.to_thread(self.state.put, "invite", room_id,
                                        {**inv, "attempts": attempts, "next": time.time() + delay})
            else:
                self._join_wakeup.clear()
                timeout = None if next_due is None else max(0.1, next_due - time.time())
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._join_wakeup.wait(), timeout)

    # ------------------------------------------------------------------------------------ rooms
    async def _handle_rooms(self, resp, since: str | None) -> None:
        per_room: dict[str, list] = {}
        for room_id, info in resp.rooms.join.items():
            events = list(info.timeline.events)
            if info.timeline.limited and since and info.timeline.prev_batch:
                events = await self._backfill(room_id, info.timeline.prev_batch, since) + events
            per_room[room_id] = events
        await asyncio.gather(*(self._handle_room_events(rid, evs) for rid, evs in per_room.items()))

    async def _backfill(self, room_id: str, start: str, end: str) -> list:
        from nio import RoomMessagesResponse

        older: list = []
        token = start
        for _ in range(20):
            r = await self.client.room_messages(room_id, start=token, end=end, limit=100)
            if not isinstance(r, RoomMessagesResponse) or not r.chunk:
                break
            older.extend(r.chunk)  # newest first
            if not r.end or r.end == token:
                break
            token = r.end
        older.reverse()
        return older

    async def _handle_room_events(self, room_id: str, events: list) -> None:
        from nio import MegolmEvent, RoomMemberEvent

        joined_at = await asyncio.to_thread(self.state.get, "joined_at", room_id)
        own_join_seen = False
        for ev in events:
            if isinstance(ev, RoomMemberEvent) and ev.state_key == self.user_id and ev.membership == "join":
                own_join_seen = True
            if joined_at is not None and not own_join_seen and ev.server_timestamp < joined_at - 5000:
                continue  # history of a room we were just invited to, older than the invite
            if isinstance(ev, MegolmEvent):
                await self._store_undecrypted(room_id, ev)
                continue
            await self._handle_event(room_id, ev)

    async def _store_undecrypted(self, room_id: str, ev) -> None:
        if ev.event_id in self._handled or ev.sender == self.user_id:
            return
        source = dict(ev.source)
        source.setdefault("room_id", room_id)
        if not getattr(ev, "room_id", None):
            ev.room_id = room_id  # the key request names the room
        await asyncio.to_thread(self.state.put, "undecrypted", ev.event_id,
                                {"room_id": room_id, "source": source, "since": time.time(), "told": False})
        log.info("could not decrypt %s in %s yet; keys requested", ev.event_id, room_id)
        await self._request_keys(ev)

    async def _request_keys(self, ev, again: bool = False) -> None:
        """Ask for the Megolm key of `ev`: from the sender's device (the one that has it; nio's own
        `request_room_key` asks only the bot's other devices, and it has none) and from the bot's own
        devices. The request is kept in the crypto store, so a key forwarded after a takeover is taken
        too (`accept_forwards_from_session_owner`)."""
        c = self.client
        olm = getattr(c, "olm", None)
        if olm is None or not getattr(ev, "session_id", None):
            return
        if not again and ev.session_id in olm.outgoing_key_requests:
            return  # asked already (for an earlier event of the same session)
        for user, device in ((ev.sender, getattr(ev, "device_id", None)), (self.user_id, None)):
            olm.outgoing_to_device_messages.append(ev.as_key_request(user, c.device_id, ev.session_id, device))
        async with self._crypto_lock:
            try:
                await c.send_to_device_messages()
            except Exception as e:  # noqa: BLE001 - the notice after undecryptable_notice_after asks again
                log.warning("matrix: key request for %s failed: %s", ev.event_id, e)

    async def _retry_undecrypted(self) -> None:
        """Undecryptable events from the database: handled once their keys arrived; the sender is told
        after `undecryptable_notice_after`; given up (with a warning) after a day."""
        from nio import MegolmEvent
        from nio.exceptions import EncryptionError

        rows = await asyncio.to_thread(self.state.items, "undecrypted")
        for event_id, row in rows.items():
            ev = MegolmEvent.from_dict(row["source"])
            dec = None
            if isinstance(ev, MegolmEvent):
                ev.room_id = row["room_id"]
                try:
                    dec = self.client.decrypt_event(ev)
                except (EncryptionError, Exception):  # noqa: BLE001 - keys not here yet
                    dec = None
            if dec is not None and not isinstance(dec, MegolmEvent):
                await self._handle_event(row["room_id"], dec)
                await asyncio.to_thread(self.state.drop, "undecrypted", event_id)
                continue
            age = time.time() - row["since"]
            if age > 86400:
                log.warning("could not decrypt %s in %s for a day; giving up", event_id, row["room_id"])
                await asyncio.to_thread(self.state.drop, "undecrypted", event_id)
            elif age > self.undecryptable_notice_after and not row.get("told"):
                row["told"] = True
                await asyncio.to_thread(self.state.put, "undecrypted", event_id, row)
                await self._request_keys(ev, again=True)
                at = time.strftime("%H:%M", time.gmtime(row["source"].get("origin_server_ts", 0) / 1000))
                text = undecryptable_text(at)
                self._enqueue(_Job(row["room_id"], Reply(text=text), f"undecryptable:{event_id}", "m.notice"))

    # ------------------------------------------------------------------------------------ events
    def _choices_key(self, room_id: str, user_id: str) -> str:
        return f"{room_id}|{user_id}"

    def _incoming(self, room_id: str, ev, choices: dict) -> tuple[IncomingMessage | None, str | None]:
        """(IncomingMessage, key of the choice answered) for an event, (None, None) for events we ignore."""
        from nio import RoomMessageText, UnknownEvent

        if ev.sender == self.user_id:
            return None, None
        room = self.client.rooms.get(room_id)
        display = room.user_name(ev.sender) if room else ev.sender
        is_group = bool(room and room.member_count > 2)
        content = ev.source.get("content", {}) or {}
        if isinstance(ev, RoomMessageText) or (ev.source.get("type") == "m.room.message"
                                                and content.get("msgtype") in ("m.text", None)
                                                and "body" in content):
            edited = replaced_event(content) is not None
            if edited:
                content = content.get("m.new_content") or {}
                if not isinstance(content.get("body"), str):
                    return None, None
            bot_display = room.user_name(self.user_id) if room else None
            text, mentioned = mention_info(content, self.user_id, bot_display)
            callback = ckey = None
            if not edited:
                n = parse_choice_number(text)
                if n is not None:
                    callback, ckey = self._choice_data(room_id, ev.sender, n, choices, is_group)
            addressed = not is_group or mentioned or callback is not None or text.startswith("/")
            return IncomingMessage(
                transport="matrix", user_id=ev.sender, chat_id=room_id, text="" if callback else text,
                display_name=display, is_group=is_group, addressed=addressed, callback=callback,
                update_key=ev.event_id, edited=edited,
            ), ckey
        if (isinstance(ev, UnknownEvent) and ev.type == "m.reaction") or ev.source.get("type") == "m.reaction":
            rel = content.get("m.relates_to", {})
            n = parse_choice_number(rel.get("key", ""))
            if n is None:
                return None, None
            callback, ckey = self._choice_data(room_id, ev.sender, n, choices, is_group, rel.get("event_id"))
            if callback is None:
                return None, None
            return IncomingMessage(
                transport="matrix", user_id=ev.sender, chat_id=room_id, text="", display_name=display,
                is_group=is_group, addressed=True, callback=callback, update_key=ev.event_id,
            ), ckey
        return None, None  # notices, emotes, redactions, state, media: not for the dialogue

    def _choice_data(self, room_id: str, sender: str, n: int, choices: dict, is_group: bool,
                     event_id: str | None = None) -> tuple[str | None, str | None]:
        """The sender's own offered choice n. Choices sent through the outbox (`send`) belong to the
        room ("*"); in a group room they are answered by reaction only."""
        keys = [self._choices_key(room_id, sender)]
        if not is_group or event_id is not None:
            keys.append(self._choices_key(room_id, "*"))
        for key in keys:
            ch = choices.get(key)
            if not ch:
                continue
            if event_id is not None and event_id not in ch.get("events", []):
                continue
            opts = ch.get("options", [])
            if 1 <= n <= len(opts):
                return opts[n - 1][1], key
        return None, None

    async def _handle_event(self, room_id: str, ev) -> None:
        if ev.event_id in self._handled:
            return
        if await asyncio.to_thread(self.state.is_handled, ev.event_id):
            self._remember_handled(ev.event_id)
            return
        choices = await asyncio.to_thread(self.state.items, "choices", room_id + "|")
        msg, ckey = self._incoming(room_id, ev, choices)
        if msg is None:
            return
        if msg.is_group and not msg.addressed and await self._is_code(msg.text):
            msg = dataclasses.replace(msg, addressed=True)  # "or just the code" (operator guide)
        log.debug("handling %s in %s", ev.event_id, room_id)
        try:
            replies = await asyncio.to_thread(self.dialogue.handle, msg)
        except Exception:
            log.exception("dialogue failed on %s", ev.event_id)
            replies = []
        replies = self._quieten(room_id, replies)
        edit_of = None
        if msg.callback is not None and ckey:
            edit_of = (choices.get(ckey, {}).get("events") or [None])[-1]
        pending: dict[str, dict] = {}
        jobs = []
        new_choices: dict[str, Any] = {}
        own_key = self._choices_key(room_id, msg.user_id)
        for i, reply in enumerate(replies):
            if reply.alert and not reply.text:
                if reply.outbox_id is not None:
                    await self._mark_sent(reply.outbox_id)
                continue
            if reply.outbox_id is not None:
                # the dialogue keeps this reply in its outbox too (dedupe key "reply:matrix:<event>:<i>"): the
                # same transaction id as the scheduler's send of that row, so Synapse shows it once either way
                base = "outbox:" + f"reply:matrix:{ev.event_id}:{i}"[:200]
            else:
                base = f"{ev.event_id}:{i}"
            pid = txn_id(base, 0)[:16]
            ck = own_key if reply.flat_choices() else None
            job = _Job(room_id, reply, base, "m.text", pending_id=pid,
                       edit_of=edit_of if reply.edit else None, choices_key=ck, outbox_id=reply.outbox_id)
            pending[pid] = {"room_id": room_id, "reply": reply_to_json(reply), "base": base,
                            "msgtype": "m.text", "edit_of": job.edit_of, "choices_key": ck,
                            "outbox_id": reply.outbox_id}
            if ck:
                new_choices[ck] = {"options": [[c.label, c.data] for c in reply.flat_choices()], "events": []}
            jobs.append(job)
        recorded = await asyncio.to_thread(self.state.mark_handled, ev.event_id, room_id, pending, new_choices)
        self._remember_handled(ev.event_id)
        if not recorded:
            log.warning("event %s was recorded by another instance meanwhile; not answering twice", ev.event_id)
            return
        for job in jobs:
            self._enqueue(job)

    async def _is_code(self, text: str) -> bool:
        """A single word that is a known invite/operator code: in a room it is for the bot unaddressed."""
        words = text.split()
        if len(words) != 1 or not _CODE_RE.match(words[0]):
            return False
        check = getattr(getattr(self.dialogue, "members", None), "is_code", None)
        if check is None:
            return True  # no code registry to ask: a code-like word counts as one
        try:
            return bool(await asyncio.to_thread(check, words[0]))
        except Exception:
            log.exception("matrix: code check failed")
            return False

    async def _mark_sent(self, outbox_id: int) -> None:
        """Tell the dialogue its outbox row of a direct reply went out (else the scheduler sends it again,
        with the same transaction id)."""
        fn = getattr(self.dialogue, "mark_sent", None)
        if fn is None:
            return
        try:
            await asyncio.to_thread(fn, [outbox_id])
        except Exception:
            log.exception("matrix: mark_sent(%s) failed", outbox_id)

    def _remember_handled(self, event_id: str) -> None:
        self._handled[event_id] = None
        while len(self._handled) > _HANDLED_KEEP:
            self._handled.popitem(last=False)

    def _quieten(self, room_id: str, replies: list[Reply]) -> list[Reply]:
        """At most one "slow down" reply per room and `slow_down_interval`."""
        out = []
        now = time.monotonic()
        for r in replies:
            if is_slow_down(r):
                last = self._slow_down_sent.get(room_id)
                if last is not None and now - last < self.slow_down_interval:
                    continue
                self._slow_down_sent[room_id] = now
            out.append(r)
        return out

    # ---------------------------------------------------------------------------------- sending
    def _enqueue(self, job: _Job) -> None:
        q = self._queues.get(job.room_id)
        if q is None:
            q = self._queues[job.room_id] = asyncio.Queue()
            self._senders[job.room_id] = asyncio.create_task(self._sender(job.room_id, q), name=f"send {job.room_id}")
        q.put_nowait(job)

    async def _sender(self, room_id: str, q: asyncio.Queue[_Job]) -> None:
        while True:
            job = await q.get()
            try:
                await self._send_job(room_id, job)
            finally:
                q.task_done()

    async def _send_job(self, room_id: str, job: _Job) -> None:
        delay = 1.0
        while True:
            try:
                event_ids = await self._deliver(job)
                if job.future and not job.future.done():
                    job.future.set_result(event_ids)
                if job.outbox_id is not None:
                    await self._mark_sent(job.outbox_id)
                break
            except asyncio.CancelledError:
                if job.future and not job.future.done():
                    job.future.set_exception(RetryLater(5, "matrix transport stopping"))
                raise
            except RetryLater as e:
                if job.future is not None:  # the outbox reschedules it
                    if not job.future.done():
                        job.future.set_exception(e)
                    return
                # a direct reply: never dropped; wait and try again (it stays in the database meanwhile)
                wait = max(e.retry_after, delay)
                delay = min(delay * 2, 60)
                log.info("reply to %s not sent yet (%s); retrying in %.1f s", room_id, e, wait)
                await asyncio.sleep(wait)
            except Exception as e:  # noqa: BLE001
                if job.future and not job.future.done():
                    job.future.set_exception(e if isinstance(e, SendError) else SendError(str(e)))
                elif not isinstance(e, RecipientGone):
                    log.warning("dropping reply to %s after error: %s", room_id, e)
                break
        if job.pending_id:
            await asyncio.to_thread(self.state.drop, "pending", job.pending_id)

    async def _deliver(self, job: _Job) -> list[str]:
        room = await self._room(job.room_id)
        msgtype = job.msgtype
        contents: list[dict] = []
        for att in job.reply.attachments:
            contents.append(await self._attachment_content(job, att, room.encrypted))
        if job.reply.text or job.reply.choices or not contents:
            content = render_text(job.reply, msgtype)
            if job.edit_of:
                content = {
                    **{k: v for k, v in content.items()},
                    "body": "* " + content["body"],
                    "formatted_body": "* " + content["formatted_body"],
                    "m.new_content": content,
                    "m.relates_to": {"rel_type": "m.replace", "event_id": job.edit_of},
                }
            contents.insert(0, content)
        event_ids = []
        started = time.monotonic()
        for part, content in enumerate(contents):
            event_ids.append(await self._send_event(job, content, txn_id(job.base, part), started))
        if job.reply.flat_choices() and event_ids and job.choices_key:
            ch = await asyncio.to_thread(self.state.get, "choices", job.choices_key)
            if ch is not None:
                ch["events"] = (ch.get("events", []) + [event_ids[0]])[-5:]
                await asyncio.to_thread(self.state.put, "choices", job.choices_key, ch)
        return event_ids

    async def _room(self, room_id: str):
        """The nio room; waits briefly if we joined it but the sync loop has not caught up yet."""
        from nio import JoinedRoomsResponse

        room = self.client.rooms.get(room_id)
        if room is not None:
            return room
        resp = await self.client.joined_rooms()
        if not isinstance(resp, JoinedRoomsResponse):
            raise SendError(f"joined_rooms failed: {resp}")
        if room_id not in resp.rooms:
            raise RecipientGone(f"not in room {room_id}")
        deadline = time.monotonic() + self.unsynced_room_wait
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            room = self.client.rooms.get(room_id)
            if room is not None:
                return room
        raise RetryLater(self.unsynced_room_wait / 2, "room joined but not synced yet")

    async def _attachment_content(self, job: _Job, att: Attachment, encrypted: bool) -> dict:
        from nio import UploadResponse

        for _ in range(10):
            data = att.data
            resp, keys = await self.client.upload(
                lambda *_a: data, content_type=att.mime, filename=att.filename, encrypt=encrypted,
                filesize=len(data),
            )
            if isinstance(resp, UploadResponse):
                break
            retry = (getattr(resp, "retry_after_ms", None) or 0) / 1000
            if getattr(resp, "status_code", None) == "M_LIMIT_EXCEEDED" and (
                job.max_wait is None or retry <= job.max_wait
            ):
                await asyncio.sleep(retry or 1)
                continue
            if retry:
                raise RetryLater(retry)
            raise SendError(f"upload failed: {resp}")
        else:
            raise SendError("upload kept failing")
        msgtype = "m.image" if att.mime.startswith("image/") else "m.file"
        content: dict = {
            "msgtype": msgtype,
            "body": att.filename,
            "filename": att.filename,
            "info": {"mimetype": att.mime, "size": len(att.data)},
        }
        if encrypted and keys:
            content["file"] = {"url": resp.content_uri, **keys, "mimetype": att.mime}
        else:
            content["url"] = resp.content_uri
        return content

    async def _send_event(self, job: _Job, content: dict, tid: str, started: float) -> str:
        """Send one event. While the account is throttled, rooms queue at a FIFO gate; the room at the
        head keeps the gate until its event went out, so each freed slot goes to the room that has
        waited longest (a room with a long backlog cannot starve the others)."""
        while True:
            wait = self._blocked_until - time.monotonic()
            self._check_budget(job, started, wait)
            if wait <= 0 and self._gate_users == 0:
                resp = await self._room_send(job, content, tid)
                if resp is not None:
                    return resp
                continue  # throttled now: go through the gate
            self._gate_users += 1
            try:
                if job.max_wait is None:
                    await self._gate.acquire()
                else:  # the time spent queueing behind other rooms counts against the budget
                    budget = job.max_wait - (time.monotonic() - started)
                    try:
                        await asyncio.wait_for(self._gate.acquire(), max(budget, 0.001))
                    except TimeoutError:
                        raise RetryLater(max(self.throttled_for(), 5.0)) from None
                try:
                    while True:
                        wait = self._blocked_until - time.monotonic()
                        self._check_budget(job, started, wait)
                        if wait > 0:
                            await asyncio.sleep(wait)
                        resp = await self._room_send(job, content, tid)
                        if resp is not None:
                            return resp
                finally:
                    self._gate.release()
            finally:
                self._gate_users -= 1

    def throttled_for(self) -> float:
        """Seconds until the homeserver lets us send again (0 when not rate limited)."""
        return max(0.0, self._blocked_until - time.monotonic())

    @staticmethod
    def _check_budget(job: _Job, started: float, wait: float) -> None:
        if wait > 0 and job.max_wait is not None and (time.monotonic() - started) + wait > job.max_wait:
            raise RetryLater(wait)

    async def _room_send(self, job: _Job, content: dict, tid: str) -> str | None:
        """event id on success, None when rate limited (``_blocked_until`` updated), else raises."""
        from nio import RoomSendResponse
        from nio.exceptions import LocalProtocolError

        try:
            resp = await self.client.room_send(
                job.room_id, "m.room.message", content, tx_id=tid, ignore_unverified_devices=True
            )
        except LocalProtocolError as e:
            raise RecipientGone(str(e)) from e
        if isinstance(resp, RoomSendResponse):
            return resp.event_id
        code = getattr(resp, "status_code", None)
        if code == "M_LIMIT_EXCEEDED":
            retry = (getattr(resp, "retry_after_ms", None) or 5000) / 1000
            self._blocked_until = max(self._blocked_until, time.monotonic() + retry)
            log.info("rate limited in %s, retry after %.1fs", job.room_id, retry)
            return None
        if code in _GONE_CODES:
            raise RecipientGone(f"{code}: {getattr(resp, 'message', '')}")
        raise SendError(f"room_send failed: {resp}")

    async def send(self, chat_id: str, reply: Reply, *, dedupe_key: str | None = None) -> None:
        """Outbox entry point: deliver `reply` to room `chat_id` (as m.notice)."""
        if self.client is None or (self._lock is not None and not self._leader):
            raise RetryLater(10, "matrix transport is not the active instance")
        if not self._synced.is_set():
            try:
                await asyncio.wait_for(self._synced.wait(), 10)
            except TimeoutError:
                raise RetryLater(10, "matrix transport not synced yet") from None
        wait = self._blocked_until - time.monotonic()
        if wait > self.max_send_wait:
            raise RetryLater(wait)
        fut = asyncio.get_running_loop().create_future()
        base = f"outbox:{dedupe_key}" if dedupe_key else f"random:{uuid.uuid4()}"
        ck = None
        if reply.flat_choices():
            ck = self._choices_key(chat_id, "*")
            await asyncio.to_thread(self.state.put, "choices", ck,
                                    {"options": [[c.label, c.data] for c in reply.flat_choices()], "events": []})
        self._enqueue(_Job(chat_id, reply, base, "m.notice", max_wait=self.max_send_wait, future=fut,
                           choices_key=ck))
        try:
            await asyncio.wait_for(asyncio.shield(fut), self.max_send_wait + 30)
        except TimeoutError:
            raise RetryLater(self.max_send_wait) from None
