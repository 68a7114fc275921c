"""Matrix for real deployments (issue 15), against a real Synapse: takeover with an encrypted DM, state in
the database, undecryptable events kept until their keys come, the join limit, a restart within two
minutes, rooms (mentions, commands, own choices, edits, redactions, slow down), draining on stop."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from datetime import timedelta

import pytest
from nio import RoomCreateResponse, RoomSendResponse
from sqlalchemy import delete, select

from bot.domain import Choice, IncomingMessage, Reply
from bot.handlers.matrix import MatrixTransport, mention_info
from bot.handlers.matrix_leader import PgAdvisoryLeader
from bot.i18n import t as text_of
from bot.storage.db import Database
from bot.storage.models import MatrixItem
from bot.transport import RetryLater
from tests.synapse_fixture import SynapseServer, start_synapse, synapse, synapse_user  # noqa: F401
from tests.test_matrix import ENCRYPTION, FakeDialogue, Human

# ------------------------------------------------------------------------------- pure


def test_mention_forms_are_stripped():
    bot = "@deskbot:deskbot.test"
    cases = [
        ({"body": "@deskbot OP-COESFELD"}, "OP-COESFELD", True),
        ({"body": "@deskbot:deskbot.test: /ankuenfte"}, "/ankuenfte", True),
        ({"body": "Deskbot, morgen Olfen"}, "morgen Olfen", True),  # display name prefix
        ({"body": "deskbot: OP-OLFEN", "format": "org.matrix.custom.html",
          "formatted_body": '<a href="https://matrix.to/#/@deskbot:deskbot.test">deskbot</a>: OP-OLFEN',
          "m.mentions": {"user_ids": [bot]}}, "OP-OLFEN", True),  # Element pill
        ({"body": "Schreibtisch-Bot: hilfe", "formatted_body":
          '<a href="https://matrix.to/#/%40deskbot%3Adeskbot.test">Schreibtisch-Bot</a>: hilfe'}, "hilfe", True),
        ({"body": "morgen Olfen", "m.mentions": {"user_ids": [bot]}}, "morgen Olfen", True),
        ({"body": "hallo zusammen"}, "hallo zusammen", False),
        ({"body": "deskbots sind toll"}, "deskbots sind toll", False),
        ({"body": "> <@anna:x> Wo?\n\n@deskbot 2"}, "2", True),
    ]
    for content, text, mentioned in cases:
        assert mention_info(content, bot, "Deskbot") == (text, mentioned), content


# ------------------------------------------------------------------------------- helpers


def migrated(url: str) -> Database:
    db = Database(url)
    db.migrate()
    return db


@pytest.fixture
def sqlite_db(tmp_path):
    db = migrated(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    yield db
    db.dispose()


@pytest.fixture
def pg_db(pg_url):
    db = migrated(pg_url)
    yield db
    db.dispose()


def transport(synapse, user, db, dialogue, **kw) -> MatrixTransport:
    args = dict(homeserver=synapse.base_url, user_id=user.user_id, access_token=user.access_token, db=db,
                allowed_homeservers=None)
    args.update(kw)
    return MatrixTransport(dialogue, **args)


async def test_unreachable_homeserver_fails_the_start_within_the_login_timeout(sqlite_db):
    """nio retries connection errors for ever; the start must instead end with a TimeoutError that the
    runner retries with backoff and one log line per attempt (bot/runner.py)."""
    import socket

    from bot.runner import _transient

    with socket.socket() as s:  # a port nothing listens on: every connect is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = MatrixTransport(FakeDialogue(), homeserver=f"http://127.0.0.1:{port}", user_id="@deskbot:deskbot.test",
                        password="secret", db=sqlite_db, login_timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError) as exc:
        await t.start()
    assert time.monotonic() - t0 < 10
    assert _transient(exc.value) and f"127.0.0.1:{port}" in str(exc.value)
    await t.stop()


async def crash(t: MatrixTransport) -> None:
    """Stop an instance abruptly: no draining, tasks cancelled mid-flight (its lock connection closes)."""
    t.stop_grace = 0
    tasks = [x for x in [t._sync_task, t._joiner, *t._senders.values(), t._task] if x is not None]
    for x in tasks:
        x.cancel()
    for x in tasks:
        with contextlib.suppress(BaseException):
            await x
    await t._close_client()


async def answered_encrypted_dm(synapse, synapse_user, db, tmp_path):
    """An instance running and Anna's encrypted DM with it, answered once ("eins" -> "echo: eins"):
    (bot user, Anna, the FakeDialogue, the transport, the room id)."""
    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    d = FakeDialogue()
    t1 = transport(synapse, bot, db, d)
    await human.sync(0)
    await t1.start()
    await t1.wait_synced()
    room = await human.dm(bot.user_id, encrypted=True)
    await human.say(room, "eins")
    await human.wait_text(room, bot.user_id, "echo: eins")
    return bot, human, d, t1, room


async def group_room(owner: Human, others: list[str], bot_id: str, encrypted: bool = False) -> str:
    resp = await owner.client.room_create(invite=[*others, bot_id], initial_state=[ENCRYPTION] if encrypted else [])
    assert isinstance(resp, RoomCreateResponse), resp
    await owner.wait_for(resp.room_id, lambda ev: getattr(ev, "membership", None) == "join"
                         and getattr(ev, "state_key", None) == bot_id, timeout=30)
    return resp.room_id


async def wait_until(pred, timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------------------- takeover, encrypted


@pytest.mark.synapse
@pytest.mark.postgres
async def test_takeover_keeps_answering_an_encrypted_dm(synapse, synapse_user, pg_db, tmp_path):
    """Two instances on one PostgreSQL: the standby takes over and still decrypts the DM (the Megolm
    session came in while the first instance led; it is read from the database)."""
    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    key = f"deskbot.takeover.{secrets.token_hex(4)}"
    d1, d2 = FakeDialogue(), FakeDialogue()
    l1 = PgAdvisoryLeader(pg_db.engine.url.render_as_string(hide_password=False), key=key, check_interval=0.5)
    l2 = PgAdvisoryLeader(pg_db.engine.url.render_as_string(hide_password=False), key=key, check_interval=0.5)
    t1 = transport(synapse, bot, pg_db, d1, lock=l1.hold)
    t2 = transport(synapse, bot, pg_db, d2, lock=l2.hold)
    try:
        await human.sync(0)
        await t1.start()
        await t1.wait_synced()
        await t2.start()
        room = await human.dm(bot.user_id, encrypted=True)
        await human.say(room, "vorher")
        ev = await human.wait_text(room, bot.user_id, "echo: vorher")
        assert ev.decrypted
        with pytest.raises(RetryLater):
            await t2.send(room, Reply(text="x"))  # the standby does not send
        t0 = time.monotonic()
        await crash(t1)
        await t2.wait_synced(timeout=10)
        took = time.monotonic() - t0
        for i in range(3):  # same Megolm session as before the takeover
            await human.say(room, f"nachher {i}")
        for i in range(3):
            ev = await human.wait_text(room, bot.user_id, f"echo: nachher {i}")
            assert ev.decrypted
        print(f"\ntakeover (crash -> first sync of the new leader): {took:.2f}s")
        assert [m.text for m in d1.seen] == ["vorher"]
        assert [m.text for m in d2.seen] == [f"nachher {i}" for i in range(3)]
        assert all(m.update_key and m.update_key.startswith("$") for m in d1.seen + d2.seen)
        assert t2.logins == 0 and t2.client.device_id == bot.device_id
    finally:
        await crash(t1)
        await t2.stop()
        await human.close()


@pytest.mark.synapse
async def test_undecryptable_event_kept_until_its_keys_come(synapse, synapse_user, sqlite_db, tmp_path):
    """An event that cannot be decrypted is stored, not lost: after a restart that brings the keys it is
    answered, once."""
    bot, human, d, t1, room = await answered_encrypted_dm(synapse, synapse_user, sqlite_db, tmp_path)
    await t1.stop()
    # the Megolm session goes missing from the store (as if the keys had not arrived yet)
    megolm = MatrixItem.__table__
    with sqlite_db.engine.begin() as conn:
        saved = conn.execute(select(megolm).where(megolm.c.kind == "megolm.inbound")).mappings().all()
        conn.execute(delete(megolm).where(megolm.c.kind == "megolm.inbound"))
    assert saved
    t2 = transport(synapse, bot, sqlite_db, d, undecryptable_notice_after=1.0, sync_timeout_ms=500)
    await t2.start()
    await t2.wait_synced()
    await human.say(room, "geheim")
    await wait_until(lambda: t2.state.items("undecrypted"), what="the undecryptable event in the database")
    # not silently lost: after a while the sender is told (once) in both languages
    notice = await human.wait_for(room, lambda ev: ev.sender == bot.user_id and "🔒" in (getattr(ev, "body", "") or ""))
    assert "nicht entschlüsseln" in notice.body and "could not decrypt" in notice.body
    assert [m.text for m in d.seen] == ["eins"]
    await t2.stop()
    with sqlite_db.engine.begin() as conn:  # the keys arrive (a forwarded key would land here too)
        conn.execute(megolm.insert(), [dict(r) for r in saved])
    t3 = transport(synapse, bot, sqlite_db, d)
    await t3.start()
    try:
        await human.wait_text(room, bot.user_id, "echo: geheim")
        assert [m.text for m in d.seen] == ["eins", "geheim"]
        assert t3.state.items("undecrypted") == {}
    finally:
        await t3.stop()
        await human.close()


@pytest.mark.synapse
async def test_missing_key_is_requested_from_the_sender_and_the_event_answered_when_it_comes(
        synapse, synapse_user, sqlite_db, tmp_path):
    """A message whose Megolm key the bot never got (the sender's client did not share it with the bot's
    device): the running bot keeps it, asks the *sender's* device for the key, and answers the message
    once that device forwards the key, without a restart."""
    from nio import RoomKeyRequest

    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    d = FakeDialogue()
    tr = transport(synapse, bot, sqlite_db, d, sync_timeout_ms=500)
    await human.sync(0)
    await tr.start()
    await tr.wait_synced()
    try:
        room = await human.dm(bot.user_id, encrypted=True)
        await human.say(room, "eins")
        await human.wait_text(room, bot.user_id, "echo: eins")
        # the bot's Olm session with anna is older than an hour (the normal case): nio itself asks the
        # sender for a missing key only within its 60-minute "unwedging" window after a new Olm session
        for olm_session in tr.client.olm.session_store:
            olm_session.creation_time -= timedelta(hours=2)
        # a new Megolm session, marked shared without sending its key to the bot's device
        olm = human.client.olm
        olm.create_outbound_group_session(room)
        session = olm.outbound_group_sessions[room]
        session.shared = True
        await human.say(room, "geheim")
        await wait_until(lambda: tr.state.items("undecrypted"), what="the undecryptable event in the database")
        assert [m.text for m in d.seen] == ["eins"]
        # the bot asked the sender's device for exactly that session
        requests: list = []
        deadline = time.monotonic() + 20
        while not requests:
            assert time.monotonic() < deadline, "no key request reached the sender"
            resp = await human.client.sync(timeout=500)
            requests = [e for e in getattr(resp, "to_device_events", []) if isinstance(e, RoomKeyRequest)
                        and e.session_id == session.id and e.sender == bot.user_id]
        assert requests[0].requesting_device_id == bot.device_id and requests[0].room_id == room
        # the sender's device answers with the key (as Element does for a device it meant to share with)
        own_key = olm.account.identity_keys["curve25519"]
        group_session = olm.inbound_group_store.get(room, own_key, session.id)
        device = olm.device_store[bot.user_id][bot.device_id]
        forward = olm._encrypt_forwarding_key(room, group_session, olm.session_store.get(device.curve25519), device)
        await human.client.to_device(forward)
        await human.wait_text(room, bot.user_id, "echo: geheim")
        await wait_until(lambda: not tr.state.items("undecrypted"), what="the stored event dropped")
        assert [m.text for m in d.seen] == ["eins", "geheim"]
        assert (await human.bot_messages(room, bot.user_id)).count("echo: geheim") == 1
    finally:
        await tr.stop()
        await human.close()


# ------------------------------------------------------------------------------- joins, restarts

RC_JOINS = """
rc_joins:
  local:
    per_second: 0.5
    burst_count: 2
"""


@pytest.fixture(scope="module")
def limited_synapse(tmp_path_factory):
    server = start_synapse(tmp_path_factory.mktemp("synapse_rcjoins"), extra_yaml=RC_JOINS)
    yield server
    server.stop()


@pytest.mark.synapse
@pytest.mark.slow
async def test_join_limit_and_restart_within_two_minutes(limited_synapse: SynapseServer, sqlite_db, tmp_path, caplog):
    """6 invites against rc_joins burst 2: every DM is joined (after retry_after_ms) and answered, also
    when the bot restarts twice within two minutes while invites are still waiting."""
    caplog.set_level("INFO", logger="bot.handlers.matrix")
    server = limited_synapse
    bot = server.register(f"deskbot_{secrets.token_hex(3)}")  # the bot keeps the join limit
    humans = []
    for i in range(6):
        u = server.register(f"u{i}_{secrets.token_hex(3)}")
        server.override_ratelimit(u.user_id)
        h = Human(server, u, tmp_path / f"h{i}")
        await h.sync(0)
        humans.append(h)
    d = FakeDialogue()
    t1 = transport(server, bot, sqlite_db, d)
    await t1.start()
    await t1.wait_synced()
    t_start = time.monotonic()
    t2 = None
    try:
        rooms = []
        for h in humans:
            resp = await h.client.room_create(invite=[bot.user_id], is_direct=True)
            assert isinstance(resp, RoomCreateResponse)
            rooms.append(resp.room_id)
        await wait_until(lambda: len(t1.state.items("invite")) >= 3 and t1.state.items("joined_at"), 20,
                         "a first join and invites waiting")
        await t1.stop()  # restart while invites wait for the join limit
        t2 = transport(server, bot, sqlite_db, d)
        await t2.start()
        await t2.wait_synced()
        await t2.stop()  # and once more, still within Synapse's 2-minute sync cache
        t2 = transport(server, bot, sqlite_db, d)
        await t2.start()
        assert time.monotonic() - t_start < 120
        for h, room in zip(humans, rooms):
            await h.wait_for(room, lambda ev: getattr(ev, "membership", None) == "join"
                             and getattr(ev, "state_key", None) == bot.user_id, timeout=60)
            await h.say(room, f"hallo von {h.user.localpart}")
        for h, room in zip(humans, rooms):
            await h.wait_text(room, bot.user_id, f"echo: hallo von {h.user.localpart}", timeout=60)
        print(f"\n6 DMs joined and answered under rc_joins 0.5/s burst 2 after {time.monotonic() - t_start:.1f}s")
        assert sorted(m.text for m in d.seen) == sorted(f"hallo von {h.user.localpart}" for h in humans)
        assert t2.state.items("invite") == {}
        assert "join limit: retrying" in caplog.text  # the 429s happened and were waited out
    finally:
        if t2 is not None:
            await t2.stop()
        for h in humans:
            await h.close()


@pytest.mark.synapse
async def test_restart_within_two_minutes_sees_new_invite_and_answers(synapse, synapse_user, sqlite_db, tmp_path):
    """Started, stopped, invited while down, started again within seconds: the invite is joined and
    the message answered (the first sync is not Synapse's cached one of the earlier start)."""
    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    await human.sync(0)
    d = FakeDialogue()
    t1 = transport(synapse, bot, sqlite_db, d)
    await t1.start()
    await t1.wait_synced()
    await t1.stop()
    resp = await human.client.room_create(invite=[bot.user_id], is_direct=True)
    room = resp.room_id
    while room not in human.client.rooms:
        await human.sync()
    await human.say(room, "bist du da?")
    t2 = transport(synapse, bot, sqlite_db, d)
    await t2.start()
    try:
        await human.wait_text(room, bot.user_id, "echo: bist du da?", timeout=30)
        assert [m.text for m in d.seen] == ["bist du da?"]
    finally:
        await t2.stop()
        await human.close()


@pytest.mark.synapse
async def test_reply_to_a_joined_but_not_yet_synced_room_is_retried_not_dropped(
        synapse, synapse_user, sqlite_db, tmp_path, caplog):
    """A reply to a room the bot has joined but its sync does not know yet (after a restart whose first
    sync predates the join) waits in the database and goes out once the room is synced, once."""
    from bot.handlers.matrix import _Job, reply_to_json

    caplog.set_level("INFO", logger="bot.handlers.matrix")
    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    tr = transport(synapse, bot, sqlite_db, FakeDialogue(), unsynced_room_wait=0.4)
    await human.sync(0)
    await tr.start()
    await tr.wait_synced()
    try:
        room = await human.dm(bot.user_id, encrypted=False)
        await human.say(room, "eins")
        await human.wait_text(room, bot.user_id, "echo: eins")

        class Rooms(dict):  # what the transport looks up; nio's own bookkeeping still sees the room
            hidden: set[str] = set()

            def get(self, key, default=None):
                return default if key in self.hidden else super().get(key, default)

        tr.client.rooms = Rooms(tr.client.rooms)
        Rooms.hidden.add(room)  # joined on the server, unknown to this sync
        reply = Reply(text="später")
        tr.state.put("pending", "p-unsynced", {"room_id": room, "reply": reply_to_json(reply), "base": "unsynced"})
        tr._enqueue(_Job(room, reply, "unsynced", pending_id="p-unsynced"))
        await wait_until(lambda: "not synced yet" in caplog.text, what="the send waiting for the room")
        assert tr.state.get("pending", "p-unsynced") is not None  # kept for a next leader meanwhile
        Rooms.hidden.clear()  # the room comes in a sync
        await human.wait_text(room, bot.user_id, "später")
        await wait_until(lambda: tr.state.get("pending", "p-unsynced") is None, what="the pending row dropped")
        assert (await human.bot_messages(room, bot.user_id)).count("später") == 1
    finally:
        await tr.stop()
        await human.close()


class HeldFullState(MatrixTransport):
    """A transport whose full-state syncs and full-state invite check wait until the test lets them go
    (a slow homeserver)."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.release_full_state = asyncio.Event()
        self.full_state_syncs = 0

    async def _sync(self, **kw):
        if kw.get("full_state"):
            await self.release_full_state.wait()
            self.full_state_syncs += 1
        return await super()._sync(**kw)

    async def _invite_check(self) -> None:
        await self.release_full_state.wait()
        self.full_state_syncs += 1
        await super()._invite_check()


@pytest.mark.synapse
async def test_a_new_leader_answers_from_the_stored_rooms_before_its_full_state_sync(
        synapse, synapse_user, sqlite_db, tmp_path):
    """The takeover's critical path: a restarted (or taking-over) instance builds its rooms from the
    database and answers the backlog of an encrypted DM from an incremental sync; the full-state sync
    (invites, room state) comes after, not before."""
    bot, human, d, t1, room = await answered_encrypted_dm(synapse, synapse_user, sqlite_db, tmp_path)
    await crash(t1)
    assert set(t1.state.items("room")) == {room}
    await human.say(room, "zwei")  # while no instance runs
    t2 = HeldFullState(FakeDialogue(), homeserver=synapse.base_url, user_id=bot.user_id,
                       access_token=bot.access_token, db=sqlite_db)
    await t2.start()
    try:
        ev = await human.wait_text(room, bot.user_id, "echo: zwei", timeout=15)
        assert ev.decrypted and t2.full_state_syncs == 0
        assert t2.client.rooms[room].encrypted and t2.client.rooms[room].member_count == 2
        t2.release_full_state.set()  # then the full-state check runs and the bot keeps answering
        await wait_until(lambda: "invite_check" in t2.timings, what="the full-state invite check")
        assert t2.full_state_syncs == 1
        await human.say(room, "drei")
        await human.wait_text(room, bot.user_id, "echo: drei")
        assert (await human.bot_messages(room, bot.user_id)).count("echo: zwei") == 1
    finally:
        t2.release_full_state.set()
        await t2.stop()
        await human.close()


class NoJoins(MatrixTransport):
    async def _join_loop(self) -> None:  # sees invites, joins nothing
        await asyncio.Event().wait()


@pytest.mark.synapse
async def test_an_invite_only_the_full_state_check_lists_is_joined_after_a_restart(
        synapse, synapse_user, sqlite_db, tmp_path):
    """An invite from before the stored sync token that the database does not hold (lost with a crashed
    instance): the incremental syncs will never show it again; the full-state check after the start finds
    it, and the room is joined and answered."""
    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    await human.sync(0)
    t0 = transport(synapse, bot, sqlite_db, FakeDialogue())
    await t0.start()
    await t0.wait_synced()
    earlier = await human.dm(bot.user_id, encrypted=False)  # the next starts take the stored rooms
    await wait_until(lambda: earlier in t0.state.items("room"), what="the earlier room stored")
    await t0.stop()
    t1 = NoJoins(FakeDialogue(), homeserver=synapse.base_url, user_id=bot.user_id, access_token=bot.access_token,
                 db=sqlite_db, sync_timeout_ms=500)
    await t1.start()
    await t1.wait_synced()
    assert "rooms" in t1.timings  # (started from the stored rooms)
    token = t1.state.session().next_batch
    resp = await human.client.room_create(invite=[bot.user_id], is_direct=True)
    room = resp.room_id
    await wait_until(lambda: t1.state.get("invite", room) is not None, what="the invite seen")
    await wait_until(lambda: t1.state.session().next_batch != token, what="the token past the invite")
    await crash(t1)
    t1.state.drop("invite", room)  # lost
    d = FakeDialogue()
    t2 = transport(synapse, bot, sqlite_db, d)
    await t2.start()
    try:
        await t2.wait_synced()
        assert "rooms" in t2.timings
        await human.wait_for(room, lambda ev: getattr(ev, "membership", None) == "join"
                             and getattr(ev, "state_key", None) == bot.user_id, timeout=30)
        await human.say(room, "hallo")
        await human.wait_text(room, bot.user_id, "echo: hallo")
        assert [m.text for m in d.seen] == ["hallo"]
    finally:
        await t2.stop()
        await human.close()


# ------------------------------------------------------------------------------- rooms


class RoomDialogue(FakeDialogue):
    """Echoes, offers a choice on "frage", and throttles on "flut"."""

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        with self.lock:
            self.seen.append(msg)
        if msg.is_group and not msg.addressed and not msg.callback:
            return []
        if msg.callback:
            return [Reply(text=f"picked {msg.callback} for {msg.user_id}")]
        if msg.text == "frage":
            return [Reply(text="Welcher Ort?", choices=[[Choice("Olfen", f"tok-{msg.user_id}")]])]
        if msg.text == "flut":
            return [Reply(text=text_of("de", "slow_down"))]
        return [Reply(text=f"{'edit' if msg.edited else 'echo'}: {msg.text}")]


@pytest.mark.synapse
async def test_team_room_as_the_operator_guide_says(synapse, synapse_user, sqlite_db, tmp_path):
    """docs/guide-operators.md: invite the bot into the team room, send the operator code there
    (`@deskbot OP-COESFELD` or just the code). Commands work without addressing the bot; chatter is
    not answered; a bare number answers only the sender's own choice."""
    bot = synapse_user("deskbot")
    olga = Human(synapse, synapse_user("olga"), tmp_path / "olga")
    paul = Human(synapse, synapse_user("paul"), tmp_path / "paul")
    d = RoomDialogue()
    tr = transport(synapse, bot, sqlite_db, d)
    await olga.sync(0)
    await paul.sync(0)
    await tr.start()
    await tr.wait_synced()
    try:
        room = await group_room(olga, [paul.user.user_id], bot.user_id)
        await paul.sync()
        await paul.client.join(room)
        while room not in paul.client.rooms:
            await paul.sync()
        await olga.wait_for(room, lambda ev: getattr(ev, "state_key", None) == paul.user.user_id
                            and getattr(ev, "membership", None) == "join")
        await wait_until(lambda: tr.client.rooms.get(room) and tr.client.rooms[room].member_count == 3,
                         what="bot sees three members")
        local = bot.localpart
        pill = {"msgtype": "m.text", "body": f"{local}: OP-OLFEN", "format": "org.matrix.custom.html",
                "formatted_body": f'<a href="https://matrix.to/#/{bot.user_id}">{local}</a>: OP-OLFEN',
                "m.mentions": {"user_ids": [bot.user_id]}}
        await olga.say(room, "OP-COESFELD")
        await olga.wait_text(room, bot.user_id, "echo: OP-COESFELD")
        await olga.say(room, f"@{local} OP-DUELMEN")
        await olga.wait_text(room, bot.user_id, "echo: OP-DUELMEN")
        r = await olga.client.room_send(room, "m.room.message", pill)
        assert isinstance(r, RoomSendResponse)
        await olga.wait_text(room, bot.user_id, "echo: OP-OLFEN")
        await olga.say(room, "/hilfe")
        await olga.wait_text(room, bot.user_id, "echo: /hilfe")
        await olga.say(room, f"@{local} /ankuenfte")
        await olga.wait_text(room, bot.user_id, "echo: /ankuenfte")
        await olga.say(room, "hallo zusammen, kaffee?")
        # own choices: olga asks, paul's "1" is chatter, olga's "1" is her answer
        await olga.say(room, f"@{local} frage")
        await olga.wait_text(room, bot.user_id, "Welcher Ort?\n\n1️⃣ Olfen")
        await paul.say(room, "1")
        await olga.say(room, "1")
        await olga.wait_text(room, bot.user_id, f"picked tok-{olga.user.user_id} for {olga.user.user_id}")
        texts = [(m.user_id == olga.user.user_id, m.text, m.addressed, m.callback) for m in d.seen]
        assert texts == [
            (True, "OP-COESFELD", True, None),
            (True, "OP-DUELMEN", True, None),
            (True, "OP-OLFEN", True, None),
            (True, "/hilfe", True, None),
            (True, "/ankuenfte", True, None),
            (True, "hallo zusammen, kaffee?", False, None),
            (True, "frage", True, None),
            (False, "1", False, None),
            (True, "", True, f"tok-{olga.user.user_id}"),
        ]
        assert all(m.is_group for m in d.seen)
    finally:
        await tr.stop()
        await olga.close()
        await paul.close()


@pytest.mark.synapse
async def test_edit_redaction_and_one_slow_down_per_minute(synapse, synapse_user, sqlite_db, tmp_path):
    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    d = RoomDialogue()
    tr = transport(synapse, bot, sqlite_db, d)
    await human.sync(0)
    await tr.start()
    await tr.wait_synced()
    try:
        room = await human.dm(bot.user_id, encrypted=True)
        first = await human.say(room, "morgen Olfen")
        await human.wait_text(room, bot.user_id, "echo: morgen Olfen")
        r = await human.client.room_send(room, "m.room.message", {
            "msgtype": "m.text", "body": "* übermorgen Olfen",
            "m.new_content": {"msgtype": "m.text", "body": "übermorgen Olfen"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": first},
        }, ignore_unverified_devices=True)
        assert isinstance(r, RoomSendResponse)
        await human.wait_text(room, bot.user_id, "edit: übermorgen Olfen")
        edit = d.seen[-1]
        assert edit.edited and edit.update_key == r.event_id and edit.callback is None
        # an edit to a bare number is text, never a choice
        await human.say(room, "frage")
        await human.wait_text(room, bot.user_id, "Welcher Ort?\n\n1️⃣ Olfen")
        q = await human.say(room, "kein Ort")
        await human.wait_text(room, bot.user_id, "echo: kein Ort")
        await human.client.room_send(room, "m.room.message", {
            "msgtype": "m.text", "body": "* 1", "m.new_content": {"msgtype": "m.text", "body": "1"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": q}}, ignore_unverified_devices=True)
        await human.wait_text(room, bot.user_id, "edit: 1")
        # a redaction is ignored
        n = len(d.seen)
        await human.client.room_redact(room, first)
        # a flood: three throttled answers, one "slow down" reply
        for _ in range(3):
            await human.say(room, "flut")
        await human.say(room, "ende")
        await human.wait_text(room, bot.user_id, "echo: ende")
        assert [m.text for m in d.seen[n:]] == ["flut", "flut", "flut", "ende"]
        msgs = await human.bot_messages(room, bot.user_id)
        assert msgs.count(text_of("de", "slow_down")) == 1
        assert msgs[-1] == "echo: ende"
    finally:
        await tr.stop()
        await human.close()


@pytest.mark.synapse
async def test_stop_drains_queued_replies(synapse, synapse_user, sqlite_db, tmp_path):
    """SIGTERM (stop) lets the replies already produced go out within the grace period."""
    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    d = FakeDialogue()
    tr = transport(synapse, bot, sqlite_db, d, stop_grace=8)
    await human.sync(0)
    await tr.start()
    await tr.wait_synced()
    room = await human.dm(bot.user_id, encrypted=False)
    await human.say(room, "multi 15")
    await wait_until(lambda: d.seen, what="the message reached the dialogue")
    await wait_until(lambda: tr._queues.get(room) is not None, what="replies queued")
    await tr.stop()
    try:
        msgs = await human.bot_messages(room, bot.user_id)
        assert msgs == [f"part {i}" for i in range(15)]
        assert tr.state.items("pending") == {}
    finally:
        await human.close()


@pytest.mark.synapse
async def test_team_room_registration_with_the_real_dialogue(synapse, synapse_user, chat, sqlite_db, tmp_path):
    """The guide's steps with the real core: invite the bot into the team room, send the operator code
    (plain, then "@deskbot OP-…" for a second space); the room is registered for both spaces' notices,
    and "/hilfe" and "@deskbot /ankuenfte" are answered there without "not understood"."""
    from sqlalchemy import select as sselect

    from bot.storage.models import ChatChannel

    bot = synapse_user("deskbot")
    olga = Human(synapse, synapse_user("olga"), tmp_path / "olga")
    paul = Human(synapse, synapse_user("paul"), tmp_path / "paul")
    tr = transport(synapse, bot, sqlite_db, chat.dialogue)
    await olga.sync(0)
    await paul.sync(0)
    await tr.start()
    await tr.wait_synced()
    try:
        # Access: the operator code in a direct chat makes olga an operator (of two spaces here)
        dm = await olga.dm(bot.user_id, encrypted=True)
        for code in ("OP-COESFELD", "OP-DUELMEN"):
            await olga.say(dm, code)
            await olga.wait_for(dm, lambda ev, c=code: ev.sender == bot.user_id and c.split("-")[1].title()[:4]
                                in (getattr(ev, "body", "") or "").replace("ü", "ue").title(), timeout=20)
        # Arrival notices in the team room: invite the bot, send the code there
        room = await group_room(olga, [paul.user.user_id], bot.user_id)
        await paul.sync()
        await paul.client.join(room)
        await wait_until(lambda: tr.client.rooms.get(room) and tr.client.rooms[room].member_count == 3,
                         what="bot sees three members")

        def from_bot(after: int):
            return lambda ev: ev.sender == bot.user_id and ev.server_timestamp >= after

        async def ask(text: str) -> str:
            sent = await olga.say(room, text)
            await olga.sync(0)
            ts = [e for r, e in olga.inbox if getattr(e, "event_id", None) == sent]
            after = ts[0].server_timestamp if ts else 0
            ev = await olga.wait_for(room, from_bot(after), timeout=20)
            return ev.body

        first = await ask("OP-COESFELD")
        second = await ask(f"@{bot.localpart} OP-DUELMEN")
        helptext = await ask("/hilfe")
        arrivals = await ask(f"@{bot.localpart} /ankuenfte")
        with chat.dialogue.core.db.session() as s:
            channels = s.scalars(sselect(ChatChannel).where(ChatChannel.chat_id == room)).all()
            assert len(channels) == 2 and {c.transport for c in channels} == {"matrix"}
        assert "Ankunftsmeldungen für Coworking Coesfeld" in first and "Coworking Dülmen" in second
        assert "/hilfe" in helptext and "Coworking Coesfeld – Ankünfte" in arrivals
        for body in (first, second, helptext, arrivals):
            assert "Für welchen Tag" not in body and "nicht verstanden" not in body.lower()
    finally:
        await tr.stop()
        await olga.close()
        await paul.close()


@pytest.mark.synapse
async def test_edit_with_the_real_dialogue_books_once_and_says_so(synapse, synapse_user, chat, sqlite_db, tmp_path):
    """The issue's case: "morgen Olfen" edited to "übermorgen Olfen" must not add a second booking; the bot
    says that the edit changed nothing."""
    from sqlalchemy import func
    from sqlalchemy import select as sselect

    from bot.storage.models import Booking

    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    tr = transport(synapse, bot, sqlite_db, chat.dialogue)
    await human.sync(0)
    await tr.start()
    await tr.wait_synced()
    try:
        room = await human.dm(bot.user_id, encrypted=True)

        def from_bot(part):
            return lambda ev: ev.sender == bot.user_id and part in (getattr(ev, "body", "") or "")

        await human.say(room, "STADTWERKE-2026")
        await human.wait_for(room, from_bot("Stadtwerke Münsterland"))
        first = await human.say(room, "morgen Olfen")
        await human.wait_for(room, from_bot("Gebucht: Coworking Olfen"))
        r = await human.client.room_send(room, "m.room.message", {
            "msgtype": "m.text", "body": "* übermorgen Olfen",
            "m.new_content": {"msgtype": "m.text", "body": "übermorgen Olfen"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": first},
        }, ignore_unverified_devices=True)
        assert isinstance(r, RoomSendResponse)
        await human.wait_for(room, from_bot(text_of("de", "edit_refused")[:30]))
        await human.say(room, "meine Buchungen")
        await human.wait_for(room, from_bot("Olfen"))
        with chat.dialogue.core.db.session() as s:
            n = s.scalar(sselect(func.count()).select_from(Booking).where(Booking.status == "confirmed"))
        assert n == 1
    finally:
        await tr.stop()
        await human.close()


@pytest.mark.synapse
async def test_crash_between_the_booking_and_the_transport_record_books_once(
        synapse, synapse_user, chat, sqlite_db, tmp_path):
    """The kill -9 window of item 3, made deterministic: the dialogue has committed the booking with its
    handled update key and its reply's outbox row (one transaction), and the instance dies before the
    transport recorded the event or sent the reply. The next instance gets the event again: nothing is
    booked twice, nobody reads "schon eine Buchung", and the committed confirmation goes out once."""
    from sqlalchemy import func
    from sqlalchemy import select as sselect

    from bot.storage.models import Booking, Outbox

    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    t1 = transport(synapse, bot, sqlite_db, chat.dialogue)
    await human.sync(0)
    await t1.start()
    await t1.wait_synced()
    t2 = None
    try:
        room = await human.dm(bot.user_id, encrypted=True)

        def from_bot(part):
            return lambda ev: ev.sender == bot.user_id and part in (getattr(ev, "body", "") or "")

        await human.say(room, "STADTWERKE-2026")
        await human.wait_for(room, from_bot("Stadtwerke Münsterland"))
        died = asyncio.Event()
        loop = asyncio.get_running_loop()

        def dies(event_id, *a, **kw):  # the process "dies" right after the dialogue's commit
            loop.call_soon_threadsafe(died.set)
            raise RuntimeError("killed")

        t1.state.mark_handled = dies
        await human.say(room, "morgen Olfen")
        await asyncio.wait_for(died.wait(), 20)
        await crash(t1)
        with chat.dialogue.core.db.session() as s:
            assert s.scalar(sselect(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 1
            assert s.scalar(sselect(func.count()).select_from(Outbox).where(
                Outbox.kind == "reply", Outbox.status == "pending")) == 1  # committed, not sent
        t2 = transport(synapse, bot, sqlite_db, chat.dialogue)
        await t2.start()
        await human.wait_for(room, from_bot("Gebucht: Coworking Olfen"))
        await human.say(room, "meine Buchungen")
        await human.wait_for(room, from_bot("Deine Buchungen"))
        msgs = await human.bot_messages(room, bot.user_id)
        assert sum("Gebucht: Coworking Olfen" in m for m in msgs) == 1
        assert not any("schon eine Buchung" in m for m in msgs)
        with chat.dialogue.core.db.session() as s:
            assert s.scalar(sselect(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 1

        def unsent():
            with chat.dialogue.core.db.session() as s:
                return s.scalars(sselect(Outbox.dedupe_key).where(Outbox.kind == "reply",
                                                                  Outbox.status == "pending")).all()

        # the confirmation's outbox row is marked sent by the new instance (the scheduler would not repeat it)
        await wait_until(lambda: not unsent(), 10, f"the replies marked sent ({unsent()})")
    finally:
        await crash(t1)
        if t2 is not None:
            await t2.stop()
        await human.close()


@pytest.mark.synapse
async def test_the_transport_writes_nothing_on_disk(synapse, synapse_user, tmp_path, monkeypatch):
    """All Matrix state is in the database: an instance with an encrypted DM, a restart and a second
    exchange leaves its working directory and home empty (nio gets no store path it could write to)."""
    bot = synapse_user("deskbot")
    human = Human(synapse, synapse_user("anna"), tmp_path / "anna")
    db = migrated(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(work))
    monkeypatch.setenv("XDG_DATA_HOME", str(work))
    try:
        await human.sync(0)
        for text in ("eins", "zwei"):
            tr = transport(synapse, bot, db, FakeDialogue())
            await tr.start()
            await tr.wait_synced()
            room = room if text == "zwei" else await human.dm(bot.user_id, encrypted=True)
            await human.say(room, text)
            ev = await human.wait_text(room, bot.user_id, f"echo: {text}")
            assert ev.decrypted
            await tr.stop()
        assert list(work.rglob("*")) == []
        assert db.engine.url.database == str(tmp_path / "db.sqlite3")
    finally:
        await human.close()
        db.dispose()
