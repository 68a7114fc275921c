"""Matrix transport against a real Synapse (tests/synapse_fixture.py) and PostgreSQL leader lock."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessageNotice,
    RoomMessagesResponse,
    RoomMessageText,
    RoomSendResponse,
)

from bot.domain import Attachment, Choice, IncomingMessage, Reply
from bot.handlers.matrix import (
    MatrixTransport,
    invite_allowed,
    parse_choice_number,
    render_text,
    strip_reply_fallback,
    txn_id,
)
from bot.handlers.matrix_leader import PgAdvisoryLeader, psycopg_conninfo
from bot.storage.db import Database
from bot.transport import RecipientGone, RetryLater, Transport
from tests.synapse_fixture import MatrixUser, SynapseServer, synapse, synapse_user  # noqa: F401

ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


# ------------------------------------------------------------------------------- pure functions


def test_invite_decision():
    bot = "@deskbot:coesfeld.example"
    assert invite_allowed("@anna:coesfeld.example", bot, None)
    assert not invite_allowed("@spam:evil.example", bot, None)
    assert invite_allowed("@anna:matrix.org", bot, ["matrix.org", "coesfeld.example"])
    assert not invite_allowed("@anna:matrix.org.evil", bot, ["matrix.org"])
    assert invite_allowed("@x:anything.example", bot, ["*"])
    assert not invite_allowed("garbage", bot, ["*"])


def test_render_and_parse_choices():
    reply = Reply(text="Wo?\n<b>", choices=[[Choice("Coesfeld", "t1"), Choice("Dülmen", "t2")]])
    c = render_text(reply)
    assert c["msgtype"] == "m.text" and c["format"] == "org.matrix.custom.html"
    assert c["body"] == "Wo?\n<b>\n\n1️⃣ Coesfeld\n2️⃣ Dülmen"
    assert "&lt;b&gt;" in c["formatted_body"] and "2️⃣ Dülmen" in c["formatted_body"]
    assert [parse_choice_number(t) for t in ["2", " 2. ", "2)", "2️⃣", "2\u20e3", "zwei", "2 Tische", "123"]] == [
        2, 2, 2, 2, 2, None, None, None,
    ]
    assert strip_reply_fallback("> <@a:b> Wo?\n> x\n\n1") == "1"
    assert len(txn_id("k", 0)) == 64 and txn_id("k", 0) == txn_id("k", 0) != txn_id("k", 1)


# ------------------------------------------------------------------------------- helpers


class FakeDialogue:
    """Stands in for bot.dialogue.Dialogue (sync handle)."""

    def __init__(self) -> None:
        self.seen: list[IncomingMessage] = []
        self.lock = threading.Lock()

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        with self.lock:
            self.seen.append(msg)
        if msg.callback:
            return [Reply(text=f"picked {msg.callback}")]
        if msg.text == "menu":
            return [Reply(text="Welcher Ort?", choices=[[Choice("Coesfeld", "tok-a")], [Choice("Dülmen", "tok-b")]])]
        if msg.text.startswith("multi "):
            n = int(msg.text.split()[1])
            return [Reply(text=f"part {i}") for i in range(n)]
        if msg.text == "file":
            return [Reply(text="Ihre Rechnung", attachments=[Attachment("r.txt", "text/plain", b"42 EUR")])]
        return [Reply(text=f"echo: {msg.text}", html=f"<b>echo</b>: {msg.text}")]


class Human:
    """A person with an E2E-capable nio client (token from shared-secret registration)."""

    def __init__(self, server: SynapseServer, user: MatrixUser, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.user = user
        self.client = AsyncClient(
            server.base_url,
            user.user_id,
            device_id=user.device_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        self.client.restore_login(user.user_id, user.device_id, user.access_token)
        self.inbox: list[tuple[str, object]] = []

    async def sync(self, timeout: int = 500) -> None:
        c = self.client
        resp = await c.sync(timeout=timeout, full_state=c.next_batch is None)
        await c.send_to_device_messages()
        if c.should_upload_keys:
            await c.keys_upload()
        if c.should_query_keys:
            await c.keys_query()
        if c.should_claim_keys:
            await c.keys_claim(c.get_users_for_key_claiming())
        for room_id, info in getattr(resp, "rooms", None).join.items() if hasattr(resp, "rooms") else []:
            for ev in info.timeline.events:
                self.inbox.append((room_id, ev))

    async def dm(self, bot_id: str, encrypted: bool) -> str:
        resp = await self.client.room_create(
            invite=[bot_id], is_direct=True, initial_state=[ENCRYPTION] if encrypted else []
        )
        assert isinstance(resp, RoomCreateResponse), resp
        await self.wait_for(resp.room_id, lambda ev: getattr(ev, "membership", None) == "join"
                            and getattr(ev, "state_key", None) == bot_id)
        return resp.room_id

    async def say(self, room_id: str, text: str) -> str:
        resp = await self.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": text}, ignore_unverified_devices=True
        )
        assert isinstance(resp, RoomSendResponse), resp
        return resp.event_id

    async def wait_for(self, room_id: str, pred, timeout: float = 20, start: int = 0):
        deadline = time.monotonic() + timeout
        i = start
        while True:
            while i < len(self.inbox):
                rid, ev = self.inbox[i]
                i += 1
                if rid == room_id and pred(ev):
                    return ev
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out in {room_id}; got {[(type(e).__name__, getattr(e, 'body', '')) for r, e in self.inbox if r == room_id]}")
            await self.sync()

    async def wait_text(self, room_id: str, bot_id: str, body: str, timeout: float = 20):
        def pred(ev):
            assert not isinstance(ev, MegolmEvent) or ev.sender != bot_id, "could not decrypt bot's message"
            return isinstance(ev, (RoomMessageText, RoomMessageNotice)) and ev.sender == bot_id and ev.body == body
        return await self.wait_for(room_id, pred, timeout)

    async def bot_messages(self, room_id: str, bot_id: str) -> list[str]:
        """All of the bot's messages in the room, from the server's history (decrypted)."""
        await self.sync(0)
        resp = await self.client.room_messages(room_id, start=self.client.next_batch, limit=200)
        assert isinstance(resp, RoomMessagesResponse), resp
        mine = [ev for ev in reversed(resp.chunk) if ev.sender == bot_id]
        assert not any(isinstance(ev, MegolmEvent) for ev in mine), "undecryptable bot message"
        return [ev.body for ev in mine if isinstance(ev, (RoomMessageText, RoomMessageNotice))]

    async def close(self) -> None:
        await self.client.close()


@pytest.fixture
async def human(synapse: SynapseServer, synapse_user, tmp_path):
    h = Human(synapse, synapse_user("anna"), tmp_path / "human")
    await h.sync(timeout=0)
    yield h
    await h.close()


_DBS: dict[str, object] = {}


def db_for(store: Path):
    """The transport's database for a test: one migrated SQLite file per `store` path (shared by the
    transports of one test, like a deployment's PostgreSQL)."""
    key = str(store)
    if key not in _DBS:
        store.mkdir(parents=True, exist_ok=True)
        db = Database(f"sqlite:///{store / 'deskbot.sqlite3'}")
        db.migrate()
        _DBS[key] = db
    return _DBS[key]


def make_transport(synapse: SynapseServer, bot: MatrixUser, store: Path, dialogue, **kw) -> MatrixTransport:
    args = dict(homeserver=synapse.base_url, user_id=bot.user_id, access_token=bot.access_token, password=None,
                db=db_for(store), allowed_homeservers=None)
    args.update(kw)
    return MatrixTransport(dialogue, **args)


@pytest.fixture
async def bot(synapse: SynapseServer, synapse_user, tmp_path):
    """(transport, user, dialogue): a started transport on a fresh bot account without rate limits."""
    user = synapse_user("deskbot")
    dialogue = FakeDialogue()
    t = make_transport(synapse, user, tmp_path / "bot", dialogue)
    await t.start()
    await t.wait_synced()
    yield t, user, dialogue
    await t.stop()


# ------------------------------------------------------------------------------- conversations


@pytest.mark.synapse
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "e2e"])
async def test_dm_text_and_numbered_choice(bot, human: Human, encrypted: bool):
    transport, user, dialogue = bot
    assert isinstance(transport, Transport)
    room = await human.dm(user.user_id, encrypted)
    await human.say(room, "hallo")
    ev = await human.wait_text(room, user.user_id, "echo: hallo")
    assert ev.formatted_body == "<b>echo</b>: hallo" and ev.format == "org.matrix.custom.html"
    assert ev.decrypted is encrypted

    await human.say(room, "menu")
    await human.wait_text(room, user.user_id, "Welcher Ort?\n\n1️⃣ Coesfeld\n2️⃣ Dülmen")
    await human.say(room, "2")
    await human.wait_text(room, user.user_id, "picked tok-b")
    cb = [m for m in dialogue.seen if m.callback]
    assert [(m.callback, m.text, m.chat_id, m.user_id, m.transport, m.is_group) for m in cb] == [
        ("tok-b", "", room, human.user.user_id, "matrix", False)
    ]
    # a number with no choice on offer is just text
    await human.say(room, "7")
    await human.wait_text(room, user.user_id, "echo: 7")

    # attachment: uploaded (encrypted upload in e2e rooms) and sent as m.file
    await human.say(room, "file")
    fev = await human.wait_for(room, lambda e: e.sender == user.user_id and e.source["content"].get("msgtype") == "m.file"
                               or getattr(e, "body", None) == "r.txt" and e.sender == user.user_id)
    content = fev.source["content"]
    assert ("file" in content) is encrypted and ("url" in content) is not encrypted
    if not encrypted:
        dl = await human.client.download(mxc=content["url"])
        assert dl.body == b"42 EUR"
    assert [m.text for m in dialogue.seen] == ["hallo", "menu", "", "7", "file"]


@pytest.mark.synapse
async def test_first_start_does_not_answer_history(synapse, synapse_user, human: Human, tmp_path):
    user = synapse_user("deskbot")
    # The bot account is invited and joins through a helper transport...
    silent = make_transport(synapse, user, tmp_path / "b0", FakeDialogue())
    await silent.start()
    await silent.wait_synced()
    room = await human.dm(user.user_id, encrypted=False)
    await silent.stop()
    await human.say(room, "old history, before the bot store existed")
    # ...then a bot with a *fresh* store (new device, first sync ever) must not answer that.
    dialogue = FakeDialogue()
    t = make_transport(synapse, user, tmp_path / "b1", dialogue, access_token=None, password=user.password)
    await t.start()
    await t.wait_synced()
    await human.say(room, "new")
    await human.wait_text(room, user.user_id, "echo: new")
    await t.stop()
    assert [m.text for m in dialogue.seen] == ["new"]


@pytest.mark.synapse
async def test_restart_answers_missed_message_exactly_once(synapse, synapse_user, human: Human, tmp_path):
    user = synapse_user("deskbot")
    store = tmp_path / "bot"
    d1 = FakeDialogue()
    t1 = make_transport(synapse, user, store, d1, access_token=None, password=user.password)
    await t1.start()
    await t1.wait_synced()
    assert t1.logins == 1
    assert not list(store.glob("*.json")) and not (store / "crypto").exists()  # everything is in the database
    session = t1.state.session()
    assert session is not None and session.device_id == t1.client.device_id
    room = await human.dm(user.user_id, encrypted=True)
    await human.say(room, "menu")
    await human.wait_text(room, user.user_id, "Welcher Ort?\n\n1️⃣ Coesfeld\n2️⃣ Dülmen")
    await t1.stop()

    await human.say(room, "1")  # answered while the bot is down: a choice from before the restart
    await human.say(room, "while down")
    await asyncio.sleep(0.5)

    d2 = FakeDialogue()
    t2 = make_transport(synapse, user, store, d2, access_token=None, password=user.password)
    await t2.start()
    assert t2.logins == 0  # token and device reused, no second /login
    await human.wait_text(room, user.user_id, "picked tok-a")
    await human.wait_text(room, user.user_id, "echo: while down")
    await human.say(room, "after")
    await human.wait_text(room, user.user_id, "echo: after")
    await t2.stop()
    assert [(m.text, m.callback) for m in d2.seen] == [("", "tok-a"), ("while down", None), ("after", None)]
    msgs = await human.bot_messages(room, user.user_id)
    assert msgs == ["Welcher Ort?\n\n1️⃣ Coesfeld\n2️⃣ Dülmen", "picked tok-a", "echo: while down", "echo: after"]


@pytest.mark.synapse
async def test_send_dedupe_key_yields_one_event(bot, human: Human, synapse, tmp_path):
    transport, user, _ = bot
    room = await human.dm(user.user_id, encrypted=True)
    await transport.send(room, Reply(text="Erinnerung: morgen 9 Uhr"), dedupe_key="outbox-17")
    await transport.send(room, Reply(text="Erinnerung: morgen 9 Uhr"), dedupe_key="outbox-17")
    await transport.send(room, Reply(text="Erinnerung: morgen 9 Uhr"), dedupe_key="outbox-18")
    await transport.stop()
    # after a "crash": a new process (same store, same device) repeats the send
    t2 = make_transport(synapse, user, tmp_path / "bot", FakeDialogue())
    await t2.start()
    await t2.send(room, Reply(text="Erinnerung: morgen 9 Uhr"), dedupe_key="outbox-17")
    ev = await human.wait_text(room, user.user_id, "Erinnerung: morgen 9 Uhr")
    assert isinstance(ev, RoomMessageNotice)
    await asyncio.sleep(0.3)
    assert await human.bot_messages(room, user.user_id) == ["Erinnerung: morgen 9 Uhr"] * 2
    with pytest.raises(RecipientGone):
        await t2.send("!nosuchroom:deskbot.test", Reply(text="x"), dedupe_key="gone")
    await t2.stop()


@pytest.mark.synapse
@pytest.mark.slow
async def test_rate_limit_keeps_other_rooms_answered(synapse, synapse_user, tmp_path):
    """Stock rc_message (0.2/s, burst 10) on the bot: room A's backlog must not starve room B."""
    user = synapse_user("deskbot", unlimited=False)
    dialogue = FakeDialogue()
    t = make_transport(synapse, user, tmp_path / "bot", dialogue)
    await t.start()
    await t.wait_synced()
    alice = Human(synapse, synapse_user("alice"), tmp_path / "alice")
    bob = Human(synapse, synapse_user("bob"), tmp_path / "bob")
    try:
        await alice.sync(0)
        await bob.sync(0)
        room_a = await alice.dm(user.user_id, encrypted=False)
        room_b = await bob.dm(user.user_id, encrypted=False)
        t0 = time.monotonic()
        # 12 replies: the burst of 10 (less the bot's two joins), then one per 5 s
        await alice.say(room_a, "multi 12")
        await alice.wait_text(room_a, user.user_id, "part 0")
        while not t.throttled_for():  # room A has hit the limit
            await asyncio.sleep(0.05)
        assert time.monotonic() - t0 < 10
        await bob.say(room_b, "ping")
        await bob.wait_text(room_b, user.user_id, "echo: ping", timeout=30)
        t_b = time.monotonic() - t0
        # outbox sends do not wait long: with a 2 s budget they ask to be rescheduled
        t.max_send_wait = 2
        with pytest.raises(RetryLater) as exc:
            await t.send(room_b, Reply(text="later"), dedupe_key="rl-1")
        assert 0 < exc.value.retry_after <= 10
        await alice.wait_text(room_a, user.user_id, "part 11", timeout=60)
        t_a = time.monotonic() - t0
        print(f"\nroom B answered after {t_b:.1f}s, room A backlog done after {t_a:.1f}s")
        assert t_b < t_a
        assert await alice.bot_messages(room_a, user.user_id) == [f"part {i}" for i in range(12)]
    finally:
        await t.stop()
        await alice.close()
        await bob.close()


@pytest.mark.synapse
async def test_invite_from_foreign_server_ignored_and_groups(bot, human: Human, synapse_user):
    transport, user, dialogue = bot
    transport.allowed_homeservers = ["other.example"]  # our own server is no longer allowed
    resp = await human.client.room_create(invite=[user.user_id])
    assert isinstance(resp, RoomCreateResponse)
    await asyncio.sleep(1.5)
    await human.sync()
    room = human.client.rooms[resp.room_id]
    assert user.user_id not in room.users  # invite rejected, never joined
    assert user.user_id not in room.invited_users


# ------------------------------------------------------------------------------- leader lock

PG_URL = os.environ.get("DESKBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


async def _pg_or_skip():
    import psycopg

    try:
        conn = await psycopg.AsyncConnection.connect(psycopg_conninfo(PG_URL), autocommit=True, connect_timeout=3)
    except Exception as e:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL required in CI: {e}")
        pytest.skip(f"no PostgreSQL: {e}")
    return conn


@pytest.mark.postgres
async def test_pg_advisory_leader_failover():
    admin = await _pg_or_skip()
    key = f"deskbot.test.{os.getpid()}.{time.time()}"
    first = PgAdvisoryLeader(PG_URL, key=key, retry_interval=0.5, check_interval=0.5)
    second = PgAdvisoryLeader(PG_URL, key=key, retry_interval=0.5, check_interval=0.5)
    try:
        async with first.hold() as lost:
            assert first.is_leader
            assert not await second.try_acquire()
            took_over = asyncio.Event()

            async def run_second():
                async with second.hold():
                    took_over.set()
                    await asyncio.sleep(3600)

            task = asyncio.create_task(run_second())
            await asyncio.sleep(1)
            assert not took_over.is_set()
            t0 = time.monotonic()
            await admin.execute("SELECT pg_terminate_backend(%s)", (first.backend_pid(),))
            await asyncio.wait_for(took_over.wait(), 5)
            took = time.monotonic() - t0
            await asyncio.wait_for(lost.wait(), 5)  # the old holder notices too
            assert second.is_leader and not first.is_leader
            print(f"\nfailover after {took:.2f}s")
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 15)  # leaving hold() is bounded, never a hang
        # released cleanly: the lock is free again
        assert await asyncio.wait_for(first.try_acquire(), 15)
        await asyncio.wait_for(first.release(), 15)
    finally:
        await admin.close()


@pytest.mark.postgres
@pytest.mark.synapse
async def test_only_leader_syncs(synapse, synapse_user, human: Human, tmp_path):
    admin = await _pg_or_skip()
    await admin.close()
    user = synapse_user("deskbot")
    key = f"deskbot.sync.{os.getpid()}.{time.time()}"
    l1 = PgAdvisoryLeader(PG_URL, key=key, retry_interval=0.5, check_interval=0.5)
    l2 = PgAdvisoryLeader(PG_URL, key=key, retry_interval=0.5, check_interval=0.5)
    d1, d2 = FakeDialogue(), FakeDialogue()
    store = tmp_path / "bot"  # one database for both: same device, same crypto store
    t1 = make_transport(synapse, user, store, d1, lock=l1.hold)
    await t1.start()
    await t1.wait_synced()
    t2 = make_transport(synapse, user, store, d2, lock=l2.hold)
    await t2.start()
    try:
        room = await human.dm(user.user_id, encrypted=False)
        await human.say(room, "eins")
        await human.wait_text(room, user.user_id, "echo: eins")
        with pytest.raises(RetryLater):
            await t2.send(room, Reply(text="x"))
        await t1.stop()  # instance 1 goes away (its connection closes)
        await t2.wait_synced(timeout=10)
        await human.say(room, "zwei")
        await human.wait_text(room, user.user_id, "echo: zwei")
        assert [m.text for m in d1.seen] == ["eins"] and [m.text for m in d2.seen] == ["zwei"]
    finally:
        await t1.stop()
        await t2.stop()


# ------------------------------------------------------------------------------- real dialogue


@pytest.mark.synapse
async def test_real_dialogue_over_encrypted_matrix(synapse, synapse_user, human: Human, chat, tmp_path):
    """The real core (SQLite, demo world, fixed clock) behind the Matrix transport."""
    user = synapse_user("deskbot")
    t = make_transport(synapse, user, tmp_path / "bot", chat.dialogue)
    await t.start()
    await t.wait_synced()
    try:
        room = await human.dm(user.user_id, encrypted=True)

        def from_bot(part):
            return lambda ev: ev.sender == user.user_id and part in (getattr(ev, "body", "") or "")

        await human.say(room, "STADTWERKE-2026")
        await human.wait_for(room, from_bot("Stadtwerke Münsterland"))
        await human.say(room, "Freitag Nottuln")
        booked = await human.wait_for(room, from_bot("✅ Gebucht: Coworking Nottuln, Fr, 27.11."))
        if "In den Kalender" in booked.body:  # the calendar file is offered as a choice
            n = [line for line in booked.body.splitlines() if "In den Kalender" in line][0].split()[0]
            await human.say(room, str(["1️⃣", "2️⃣", "3️⃣", "4️⃣"].index(n) + 1))
        ics = await human.wait_for(room, lambda ev: ev.sender == user.user_id
                                   and ev.source["content"].get("msgtype") == "m.file")
        assert "file" in ics.source["content"]  # encrypted attachment (.ics)
        await human.say(room, "morgen nachmittags")
        ask = await human.wait_for(room, from_bot("In welchem Coworking"))
        assert "1️⃣ ⭐ Nottuln" in ask.body and "\n11. " in ask.body
        await human.say(room, "1")
        done = await human.wait_for(room, from_bot("Gebucht: Coworking Nottuln, Di, 24.11., nachmittags"))
        if done.body.startswith("* "):  # the dialogue asked to edit the question: m.replace
            assert done.source["content"]["m.relates_to"] == {"rel_type": "m.replace", "event_id": ask.event_id}
    finally:
        await t.stop()
