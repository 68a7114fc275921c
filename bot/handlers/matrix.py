"""Matrix transport (matrix-nio, E2E with libolm).

How it works
------------
* Login: the password is used at most once. Access token, device id and the sync token are kept in
  ``store_dir/matrix_state.json`` (mode 0600); later starts reuse them (Synapse allows only a few
  logins per IP). If a token is given instead of a password, ``whoami`` supplies the device id.
  nio's crypto store (SQLite, Olm account, Megolm sessions) lives in ``store_dir/crypto``.
* Sync: our own loop (not ``sync_forever``). The very first sync (no stored token) is a
  ``full_state`` sync whose timelines are *not* answered (no replies to history). Afterwards the
  sync token is persisted *after* the batch has been handled (nio's own ``store_sync_tokens`` saves
  it before the callbacks ran, which can lose a message on a crash; we pass ``since`` ourselves).
  Each handled event id is also persisted together with the replies it produced, so a restart
  neither answers twice nor loses a message; replies carry a transaction id derived from the
  incoming event id, so even a replay inside the crash window shows up only once.
  Limited (gappy) timelines are back-filled with ``/messages`` up to the previous token.
* Invites are joined when the server part of the inviter's user id is allowed
  (`allowed_homeservers`; ``None`` = only the bot's own homeserver, ``["*"]`` = any), otherwise
  rejected. In a freshly joined room we answer only messages sent after the invite reached us
  (so the first message of an Element DM, which is sent before we join, is answered) and never
  our own events or notices (bots talk in notices; this avoids bot loops).
* Choices are rendered as numbered lines (1️⃣ ...); a bare number (``2``, ``2.``, ``2️⃣``) or a
  keycap reaction on the message becomes ``IncomingMessage(callback=<choice data>)``. The current
  choices per room are persisted.
* Sending: one sender task per room (order within a room is kept). nio is configured with
  ``max_limit_exceeded=0`` so it never sleeps on 429 itself; we honour ``retry_after_ms`` with a
  shared fair (FIFO) gate, so while the bot is throttled rooms take turns instead of one room's
  backlog starving the others, and the sync loop never waits for a send. `send()` (outbox) raises
  `RetryLater` when the wait would exceed `max_send_wait` (30 s), `RecipientGone` on
  M_FORBIDDEN / unknown room, `SendError` otherwise. Transaction ids are
  ``sha256(dedupe_key:part)`` so a repeated send is de-duplicated by the homeserver.
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
import hashlib
import html
import json
import logging
import os
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain import Attachment, Choice, IncomingMessage, Reply
from bot.transport import RecipientGone, RetryLater, SendError

log = logging.getLogger(__name__)

STATE_FILE = "matrix_state.json"
KEYCAPS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"]
_GONE_CODES = {"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_TOKEN"}
_HANDLED_KEEP = 500
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


# ---------------------------------------------------------------------------------------------


@dataclass
class _Job:
    room_id: str
    reply: Reply
    base: str  # transaction id base
    msgtype: str = "m.text"
    max_wait: float | None = None  # None: wait as long as the homeserver says
    future: asyncio.Future | None = None
    pending_id: str | None = None  # key in persisted pending sends
    edit_of: str | None = None


class _StateFile:
    """Small JSON state (0600), written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        if path.exists():
            self.data = json.loads(path.read_text())

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)


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
        store_dir: Path,
        allowed_homeservers: list[str] | None = None,
        lock: Callable | None = None,
        device_name: str = "deskbot",
        max_send_wait: float = 30.0,
        sync_timeout_ms: int = 30_000,
    ) -> None:
        self.dialogue = dialogue
        self.homeserver = homeserver.rstrip("/")
        self.user_id = user_id
        self._access_token = access_token
        self._password = password
        self.store_dir = Path(store_dir)
        self.allowed_homeservers = allowed_homeservers
        self._lock = lock
        self.device_name = device_name
        self.max_send_wait = max_send_wait
        self.sync_timeout_ms = sync_timeout_ms

        self.client = None  # nio.AsyncClient after start()
        self.state: _StateFile | None = None
        self._task: asyncio.Task | None = None
        self._senders: dict[str, asyncio.Task] = {}
        self._queues: dict[str, asyncio.Queue[_Job]] = {}
        self._gate = asyncio.Lock()  # FIFO: rooms take turns while throttled
        self._blocked_until = 0.0
        self._gate_users = 0
        self._crypto_lock = asyncio.Lock()
        self._handled: OrderedDict[str, None] = OrderedDict()
        self._synced = asyncio.Event()  # set after the first sync of this leadership
        self._leader = False
        self._undecrypted: list[tuple[str, Any, float]] = []
        self.logins = 0  # for tests / metrics

    # -------------------------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        from nio import AsyncClient, AsyncClientConfig

        self.store_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.store_dir, 0o700)
        (self.store_dir / "crypto").mkdir(exist_ok=True)
        self.state = _StateFile(self.store_dir / STATE_FILE)
        if self.state.data.get("user_id") not in (None, self.user_id):
            self.state.data = {}  # store belongs to another account
        self._handled = OrderedDict((e, None) for e in self.state.data.get("handled", []))
        config = AsyncClientConfig(
            store_sync_tokens=False,  # we persist the token ourselves, after handling (see docstring)
            encryption_enabled=True,
            max_limit_exceeded=0,  # never let nio sleep on 429; we schedule retries
            max_timeouts=None,
            request_timeout=self.sync_timeout_ms / 1000 + 30,
        )
        self.client = AsyncClient(
            self.homeserver, self.user_id, store_path=str(self.store_dir / "crypto"), config=config
        )
        await self._login()
        self._task = asyncio.create_task(self._run(), name="matrix-sync")

    async def stop(self) -> None:
        tasks = [t for t in [self._task, *self._senders.values()] if t is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(BaseException):
                await t
        self._task = None
        self._senders.clear()
        self._queues.clear()
        if self.client is not None:
            await self.client.close()
            self.client = None

    async def wait_synced(self, timeout: float = 30) -> None:
        await asyncio.wait_for(self._synced.wait(), timeout)

    # ------------------------------------------------------------------------------------ login
    async def _login(self) -> None:
        from nio import LoginResponse, WhoamiResponse

        assert self.client is not None and self.state is not None
        d = self.state.data
        if d.get("access_token") and d.get("device_id"):
            self.client.restore_login(self.user_id, d["device_id"], d["access_token"])
            resp = await self.client.whoami()
            if isinstance(resp, WhoamiResponse):
                return
            if getattr(resp, "status_code", None) != "M_UNKNOWN_TOKEN":
                raise SendError(f"whoami failed: {resp}")
            log.warning("stored Matrix token is no longer valid; logging in again")
            d.clear()
        if self._access_token:
            self.client.access_token = self._access_token
            self.client.user_id = self.user_id
            resp = await self.client.whoami()
            if not isinstance(resp, WhoamiResponse) or not resp.device_id:
                raise SendError(f"access token rejected or without device: {resp}")
            self.client.restore_login(self.user_id, resp.device_id, self._access_token)
        elif self._password:
            resp = await self.client.login(self._password, device_name=self.device_name)
            self.logins += 1
            if not isinstance(resp, LoginResponse):
                raise SendError(f"Matrix login failed: {resp}")
        else:
            raise SendError("Matrix: neither a stored session, an access token nor a password")
        d.update(
            user_id=self.user_id,
            device_id=self.client.device_id,
            access_token=self.client.access_token,
            homeserver=self.homeserver,
        )
        d.pop("next_batch", None)
        self.state.save()

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
        # Another instance may have led until now (shared store_dir): take its state from disk.
        assert self.state is not None and self.client is not None
        self.state = _StateFile(self.state.path)
        self._handled = OrderedDict((e, None) for e in self.state.data.get("handled", []))
        if self._lock is not None:
            self.client.restore_login(self.user_id, self.client.device_id, self.client.access_token)
        self._leader = True
        try:
            await self._sync_loop()
        finally:
            self._leader = False
            self._synced.clear()
            for t in self._senders.values():
                t.cancel()
            self._senders.clear()
            self._queues.clear()

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
        assert self.client is not None and self.state is not None
        # 1. Every start: a full-state sync, timelines not answered. nio keeps room state only in
        #    memory, so this is how we learn our rooms (membership, encryption) again.
        resp = await self._sync(
            timeout=0, since=None, full_state=True,
            sync_filter={"room": {"timeline": {"limit": 1}}, "presence": {"not_types": ["*"]}},
        )
        await self._crypto_housekeeping()
        await self._handle_invites(resp)
        since = self.state.data.get("next_batch") or resp.next_batch
        self.state.data["next_batch"] = since
        self.state.save()
        self._synced.set()
        for pid, job in list((self.state.data.get("pending") or {}).items()):
            self._enqueue(_Job(job["room_id"], reply_from_json(job["reply"]), job["base"],
                               job.get("msgtype", "m.text"), pending_id=pid, edit_of=job.get("edit_of")))
        # 2. Incremental syncs from the persisted token: everything here is answered.
        sync_filter = {"room": {"timeline": {"limit": 50}}, "presence": {"not_types": ["*"]}}
        while True:
            resp = await self._sync(timeout=self.sync_timeout_ms, sync_filter=sync_filter, since=since)
            await self._crypto_housekeeping()
            await self._handle_invites(resp)
            await self._handle_rooms(resp, since)
            await self._retry_undecrypted()
            since = resp.next_batch
            self.state.data["next_batch"] = since
            self.state.data["handled"] = list(self._handled)
            self.state.save()

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

    async def _handle_invites(self, resp) -> None:
        from nio import InviteMemberEvent

        invites = self.state.data.setdefault("invites", {})
        for room_id, info in resp.rooms.invite.items():
            inviter = None
            for ev in info.invite_state:
                if isinstance(ev, InviteMemberEvent) and ev.state_key == self.user_id and ev.membership == "invite":
                    inviter = ev.sender
            if inviter and invite_allowed(inviter, self.user_id, self.allowed_homeservers):
                invites.setdefault(room_id, int(time.time() * 1000))
                r = await self.client.join(room_id)
                log.info("joined %s (invited by %s): %s", room_id, inviter, type(r).__name__)
            else:
                log.info("rejecting invite to %s from %s", room_id, inviter)
                await self.client.room_leave(room_id)
        # forget stale invite timestamps
        cutoff = time.time() * 1000 - 7 * 86400_000
        for rid in [r for r, ts in invites.items() if ts < cutoff]:
            invites.pop(rid)

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

        joined_at = self.state.data.get("invites", {}).get(room_id)
        own_join_seen = False
        for ev in events:
            if isinstance(ev, RoomMemberEvent) and ev.state_key == self.user_id and ev.membership == "join":
                own_join_seen = True
            if isinstance(ev, MegolmEvent):
                self._undecrypted.append((room_id, ev, time.monotonic()))
                with contextlib.suppress(Exception):
                    await self.client.request_room_key(ev)
                continue
            if joined_at is not None and not own_join_seen and ev.server_timestamp < joined_at - 5000:
                continue  # history of a room we were just invited to, older than the invite
            await self._handle_event(room_id, ev)

    async def _retry_undecrypted(self) -> None:
        keep = []
        for room_id, ev, since in self._undecrypted:
            try:
                dec = self.client.decrypt_event(ev)
            except Exception:  # noqa: BLE001
                dec = None
            if dec is not None and not isinstance(dec, type(ev)):
                await self._handle_event(room_id, dec)
            elif time.monotonic() - since < 600:
                keep.append((room_id, ev, since))
            else:
                log.warning("could not decrypt %s in %s; giving up", ev.event_id, room_id)
        self._undecrypted = keep

    def _incoming(self, room_id: str, ev) -> IncomingMessage | None:
        """Translate a (decrypted) event into an IncomingMessage; None for events we ignore."""
        from nio import RoomMessageText, UnknownEvent

        if ev.sender == self.user_id:
            return None
        room = self.client.rooms.get(room_id)
        display = room.user_name(ev.sender) if room else ev.sender
        is_group = bool(room and room.member_count > 2)
        callback = None
        text = ""
        content = ev.source.get("content", {})
        if isinstance(ev, RoomMessageText):
            text = strip_reply_fallback(ev.body)
            n = parse_choice_number(text)
            if n is not None:
                callback = self._choice_data(room_id, n)
        elif (isinstance(ev, UnknownEvent) and ev.type == "m.reaction") or ev.source.get("type") == "m.reaction":
            rel = content.get("m.relates_to", {})
            n = parse_choice_number(rel.get("key", ""))
            if n is None:
                return None
            callback = self._choice_data(room_id, n, rel.get("event_id"))
            if callback is None:
                return None
        else:
            return None  # notices, emotes, state, media: not for the dialogue
        addressed = True
        if is_group and callback is None:
            mentions = content.get("m.mentions", {}).get("user_ids", [])
            local = self.user_id[1:].split(":", 1)[0].lower()
            low = (text + " " + content.get("formatted_body", "")).lower()
            addressed = self.user_id in mentions or self.user_id.lower() in low or local in low
        return IncomingMessage(
            transport="matrix",
            user_id=ev.sender,
            chat_id=room_id,
            text="" if callback else text,
            display_name=display,
            is_group=is_group,
            addressed=addressed,
            callback=callback,
        )

    def _choice_data(self, room_id: str, n: int, event_id: str | None = None) -> str | None:
        ch = self.state.data.get("choices", {}).get(room_id)
        if not ch:
            return None
        if event_id is not None and event_id not in ch.get("events", []):
            return None
        opts = ch.get("options", [])
        return opts[n - 1][1] if 1 <= n <= len(opts) else None

    async def _handle_event(self, room_id: str, ev) -> None:
        if ev.event_id in self._handled:
            return
        msg = self._incoming(room_id, ev)
        if msg is None:
            return
        log.debug("handling %s in %s", ev.event_id, room_id)
        try:
            replies = await asyncio.to_thread(self.dialogue.handle, msg)
        except Exception:
            log.exception("dialogue failed on %s", ev.event_id)
            replies = []
        edit_of = None
        if msg.callback is not None:
            edit_of = self.state.data.get("choices", {}).get(room_id, {}).get("events", [None])[-1]
        pending = self.state.data.setdefault("pending", {})
        jobs = []
        for i, reply in enumerate(replies):
            base = f"{ev.event_id}:{i}"
            pid = txn_id(base, 0)[:16]
            job = _Job(room_id, reply, base, "m.text", pending_id=pid,
                       edit_of=edit_of if reply.edit else None)
            pending[pid] = {"room_id": room_id, "reply": reply_to_json(reply), "base": base,
                            "msgtype": "m.text", "edit_of": job.edit_of}
            jobs.append(job)
        self._remember_choices(room_id, replies)
        self._handled[ev.event_id] = None
        while len(self._handled) > _HANDLED_KEEP:
            self._handled.popitem(last=False)
        self.state.data["handled"] = list(self._handled)
        self.state.save()
        for job in jobs:
            self._enqueue(job)

    def _remember_choices(self, room_id: str, replies: list[Reply]) -> None:
        for reply in replies:
            if reply.flat_choices():
                self.state.data.setdefault("choices", {})[room_id] = {
                    "options": [[c.label, c.data] for c in reply.flat_choices()],
                    "events": [],
                }

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
                event_ids = await self._deliver(job)
                if job.future and not job.future.done():
                    job.future.set_result(event_ids)
            except asyncio.CancelledError:
                if job.future and not job.future.done():
                    job.future.set_exception(RetryLater(5, "matrix transport stopping"))
                raise
            except Exception as e:  # noqa: BLE001
                if job.future and not job.future.done():
                    job.future.set_exception(e if isinstance(e, SendError) else SendError(str(e)))
                elif not isinstance(e, RecipientGone):
                    log.warning("dropping reply to %s after error: %s", room_id, e)
            if job.pending_id and self.state is not None:
                self.state.data.get("pending", {}).pop(job.pending_id, None)
                self.state.save()

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
        if job.reply.flat_choices() and event_ids:
            ch = self.state.data.setdefault("choices", {}).get(job.room_id)
            if ch is not None:
                ch.setdefault("events", []).append(event_ids[0])
                ch["events"] = ch["events"][-5:]
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
        for _ in range(50):
            await asyncio.sleep(0.2)
            room = self.client.rooms.get(room_id)
            if room is not None:
                return room
        raise RetryLater(5, "room joined but not synced yet")

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
                    except asyncio.TimeoutError:
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
            except asyncio.TimeoutError:
                raise RetryLater(10, "matrix transport not synced yet") from None
        wait = self._blocked_until - time.monotonic()
        if wait > self.max_send_wait:
            raise RetryLater(wait)
        fut = asyncio.get_running_loop().create_future()
        base = f"outbox:{dedupe_key}" if dedupe_key else f"random:{uuid.uuid4()}"
        self._remember_choices(chat_id, [reply])
        self._enqueue(_Job(chat_id, reply, base, "m.notice", max_wait=self.max_send_wait, future=fut))
        try:
            await asyncio.wait_for(asyncio.shield(fut), self.max_send_wait + 30)
        except asyncio.TimeoutError:
            raise RetryLater(self.max_send_wait) from None
