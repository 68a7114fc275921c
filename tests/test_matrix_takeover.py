"""The issue's target, measured: two deskbot Matrix instances (separate processes) on one PostgreSQL,
kill -9 of the leader while 30 users write in encrypted DMs. Every message must be answered exactly
once, and the standby must take over quickly.

The instances run this module as a script (``python -m tests.test_matrix_takeover instance ...``) with
a dialogue that behaves like the real one will for ``update_key``: it records the key in PostgreSQL
in the same transaction as its "change" and answers a redelivered update without a second change.
``DESKBOT_TAKEOVER_USERS`` (default 30) and ``DESKBOT_TAKEOVER_ROUNDS`` (default 3) size the run.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.domain import IncomingMessage, Reply
from tests.synapse_fixture import synapse, synapse_user  # noqa: F401

USERS = int(os.environ.get("DESKBOT_TAKEOVER_USERS", "30"))
ROUNDS = int(os.environ.get("DESKBOT_TAKEOVER_ROUNDS", "3"))


class RecordingDialogue:
    """Records every update key once (unique key in PostgreSQL) and counts the calls."""

    def __init__(self, url: str, name: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.name = name
        with self.engine.begin() as c:
            c.exec_driver_sql("CREATE TABLE IF NOT EXISTS t_changes (update_key text PRIMARY KEY, instance text,"
                              " text text)")
            c.exec_driver_sql("CREATE TABLE IF NOT EXISTS t_calls (update_key text, instance text, at float8)")

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        with self.engine.begin() as c:
            c.exec_driver_sql("INSERT INTO t_calls VALUES (%s, %s, %s)", (msg.update_key, self.name, time.time()))
            c.exec_driver_sql("INSERT INTO t_changes VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                              (msg.update_key, self.name, msg.text))
        return [Reply(text=f"echo: {msg.text}")]


async def _instance(url: str, hs: str, user_id: str, token: str, key: str, status: Path, name: str) -> None:
    from bot.handlers.matrix import MatrixTransport
    from bot.handlers.matrix_leader import PgAdvisoryLeader
    from bot.storage.db import Database

    if name.endswith("real"):  # the real core on the demo world, clock fixed at Monday 2026-11-23 08:00
        from datetime import datetime
        from zoneinfo import ZoneInfo

        from bot.app import build_core
        from bot.clock import FixedClock
        from bot.dialogue import Dialogue
        from tests.conftest import DEMO_WORLD, make_settings

        core = build_core(make_settings(url, status.parent), clock=FixedClock(
            datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))))
        dialogue, db = Dialogue(core), core.db
        assert DEMO_WORLD.exists()
    else:
        dialogue, db = RecordingDialogue(url, name), Database(url)
    leader = PgAdvisoryLeader(url, key=key, retry_interval=0.5, check_interval=0.5)
    t = MatrixTransport(dialogue, homeserver=hs, user_id=user_id, access_token=token, db=db, lock=leader.hold)
    await t.start()
    while True:
        await t._synced.wait()
        status.write_text(json.dumps({"leader_since": time.time(), "pid": os.getpid(), **t.timings}))
        while t._synced.is_set():
            await asyncio.sleep(0.05)


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.test_matrix_takeover", "instance", *args],
                            cwd=Path(__file__).resolve().parent.parent, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


@pytest.mark.synapse
@pytest.mark.postgres
@pytest.mark.slow
async def test_kill_9_of_the_leader_during_encrypted_dms(synapse, synapse_user, pg_url, tmp_path):
    from sqlalchemy import create_engine

    from bot.storage.db import Database
    from tests.test_matrix import Human

    Database(pg_url).migrate()
    bot = synapse_user("deskbot")
    key = f"deskbot.kill9.{os.getpid()}.{time.time()}"
    status = [tmp_path / "a.json", tmp_path / "b.json"]
    args = lambda i: [pg_url, synapse.base_url, bot.user_id, bot.access_token, key, str(status[i]), "ab"[i]]
    procs = [_spawn(args(0), tmp_path / "a.log")]
    humans: list[Human] = []
    try:
        deadline = time.monotonic() + 30
        while not status[0].exists():
            assert time.monotonic() < deadline, (tmp_path / "a.log").read_text()[-3000:]
            await asyncio.sleep(0.1)
        procs.append(_spawn(args(1), tmp_path / "b.log"))
        await asyncio.sleep(1.0)
        humans = [Human(synapse, synapse_user(f"h{i}_"), tmp_path / f"h{i}") for i in range(USERS)]
        await asyncio.gather(*(h.sync(0) for h in humans))
        rooms = await asyncio.gather(*(h.dm(bot.user_id, encrypted=True) for h in humans))

        async def say_round(r: int) -> None:
            await asyncio.gather(*(h.say(room, f"r{r} {h.user.localpart}") for h, room in zip(humans, rooms)))

        await say_round(0)
        await asyncio.sleep(float(os.environ.get("DESKBOT_TAKEOVER_KILL_AFTER", "0.1")))  # mid-round
        killed_at = time.time()
        os.kill(procs[0].pid, signal.SIGKILL)
        procs[0].wait()
        await say_round(1)
        deadline = time.monotonic() + 30
        while not status[1].exists():
            assert time.monotonic() < deadline, (tmp_path / "b.log").read_text()[-3000:]
            await asyncio.sleep(0.02)
        st = json.loads(status[1].read_text())
        # takeover: the kill until the new leader's first sync is back and it answers the backlog;
        # batch: until that first batch (up to 30 messages) is handled and its replies queued
        takeover = st.get("first_sync", st["leader_since"]) - killed_at
        batch = st.get("ready", st["leader_since"]) - killed_at
        steps = ", ".join(f"{k} +{st[k] - killed_at:.2f}s" for k in (
            "leader", "store", "client", "rooms", "first_sync", "handled", "ready") if k in st)
        for r in range(2, ROUNDS):
            await say_round(r)
        expected = {h.user.user_id: [f"echo: r{r} {h.user.localpart}" for r in range(ROUNDS)] for h in humans}

        async def wait_answers(h: Human, room: str) -> list[str]:
            want = expected[h.user.user_id]
            end = time.monotonic() + 90
            while True:
                got = await h.bot_messages(room, bot.user_id)
                if all(w in got for w in want) or time.monotonic() > end:
                    return got
                await asyncio.sleep(0.5)

        t0 = time.monotonic()
        got = await asyncio.gather(*(wait_answers(h, room) for h, room in zip(humans, rooms)))
        after = time.monotonic() - t0
        await asyncio.sleep(2)  # late duplicates would show up now
        got = await asyncio.gather(*(h.bot_messages(room, bot.user_id) for h, room in zip(humans, rooms)))
        eng = create_engine(pg_url)
        with eng.connect() as c:
            calls = c.exec_driver_sql("SELECT update_key, count(*) FROM t_calls GROUP BY update_key").all()
            changes = c.exec_driver_sql("SELECT count(*) FROM t_changes").scalar()
        eng.dispose()
        redelivered = sum(1 for _, n in calls if n > 1)
        wrong = {h.user.user_id: g for h, g in zip(humans, got) if sorted(g) != sorted(expected[h.user.user_id])}
        print(f"\n[kill -9] {USERS} encrypted DMs x {ROUNDS} messages: takeover {takeover:.2f}s after the kill, "
              f"first batch handled {batch:.2f}s; "
              f"all answered {after:.1f}s after the last round; dialogue calls {sum(n for _, n in calls)} for "
              f"{changes} updates ({redelivered} redelivered, recorded once); rooms with missing/duplicate "
              f"answers: {len(wrong)}; steps after the kill: {steps}")
        assert not wrong, list(wrong.items())[:3]
        assert changes == USERS * ROUNDS
        # a bound that only a takeover waiting for something (a lock timeout, a full-state sync) would exceed; the
        # speed itself (target 1 s) is a measured figure in docs/guide-admin.md, not a timed test: on the slower
        # 2-vCPU box of 2 December the first batch took 3.5 s, on the faster ones 0.65-2.15 s
        assert batch < 10
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for h in humans:
            await h.close()


if __name__ == "__main__" and sys.argv[1:2] == ["instance"]:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("bot.handlers.matrix").setLevel(logging.DEBUG)  # "handling <event>" per message
    url, hs, user_id, token, key, status_file, name = sys.argv[2:9]
    asyncio.run(_instance(url, hs, user_id, token, key, Path(status_file), name))


TOWNS = ["Coesfeld"] * 8 + ["Dülmen"] * 6 + ["Lüdinghausen"] * 6 + ["Senden"] * 5


@pytest.mark.synapse
@pytest.mark.postgres
@pytest.mark.slow
async def test_kill_9_during_bookings_with_the_real_dialogue(synapse, synapse_user, pg_url, tmp_path):
    """The issue's "2 of 24 users got 'schon eine Buchung'": 24 users book in encrypted DMs, the leader
    is killed while the bookings are being answered. Everyone is booked exactly once and nobody is told
    "schon eine Buchung"; a confirmation is sent at once by the new leader, or — when the killed leader
    had committed the booking but not yet sent its reply — waits in the outbox for the scheduler."""
    from sqlalchemy import create_engine

    from bot.storage.db import Database
    from tests.test_matrix import Human

    n_users = min(USERS, 24)
    Database(pg_url).migrate()
    bot = synapse_user("deskbot")
    key = f"deskbot.kill9r.{os.getpid()}.{time.time()}"
    status = [tmp_path / "a.json", tmp_path / "b.json"]
    args = lambda i: [pg_url, synapse.base_url, bot.user_id, bot.access_token, key, str(status[i]), "ab"[i] + "real"]
    procs = [_spawn(args(0), tmp_path / "a.log")]
    humans: list[Human] = []
    try:
        deadline = time.monotonic() + 60
        while not status[0].exists():
            assert time.monotonic() < deadline, (tmp_path / "a.log").read_text()[-3000:]
            await asyncio.sleep(0.1)
        procs.append(_spawn(args(1), tmp_path / "b.log"))
        humans = [Human(synapse, synapse_user(f"b{i}_"), tmp_path / f"h{i}") for i in range(n_users)]
        await asyncio.gather(*(h.sync(0) for h in humans))
        rooms = await asyncio.gather(*(h.dm(bot.user_id, encrypted=True) for h in humans))

        async def until(h: Human, room: str, part: str, count: int = 1, timeout: float = 90) -> list[str]:
            end = time.monotonic() + timeout
            while True:
                got = await h.bot_messages(room, bot.user_id)
                if sum(part in m for m in got) >= count or time.monotonic() > end:
                    return got
                await asyncio.sleep(0.5)

        await asyncio.gather(*(h.say(room, "STADTWERKE-2026") for h, room in zip(humans, rooms)))
        await asyncio.gather(*(until(h, room, "Stadtwerke") for h, room in zip(humans, rooms)))
        await asyncio.sleep(1.5)  # the standby is waiting for the lock by now
        await asyncio.gather(*(h.say(room, f"morgen {TOWNS[i]}") for i, (h, room) in enumerate(zip(humans, rooms))))
        await asyncio.sleep(float(os.environ.get("DESKBOT_TAKEOVER_KILL_AFTER", "0.1")))
        killed_at = time.time()
        os.kill(procs[0].pid, signal.SIGKILL)
        procs[0].wait()
        deadline = time.monotonic() + 30
        while not status[1].exists():
            assert time.monotonic() < deadline, (tmp_path / "b.log").read_text()[-3000:]
            await asyncio.sleep(0.02)
        st = json.loads(status[1].read_text())
        takeover = st.get("first_sync", st["leader_since"]) - killed_at
        got = await asyncio.gather(*(until(h, room, "Gebucht") for h, room in zip(humans, rooms)))
        await asyncio.sleep(2)
        got = await asyncio.gather(*(h.bot_messages(room, bot.user_id) for h, room in zip(humans, rooms)))
        eng = create_engine(pg_url)
        with eng.connect() as c:
            booked = c.exec_driver_sql("SELECT count(*) FROM bookings WHERE status = 'confirmed'").scalar()
            redelivered = c.exec_driver_sql("SELECT count(*) FROM handled_updates").scalar()
            in_outbox = dict(c.exec_driver_sql(
                "SELECT chat_id, count(*) FROM outbox WHERE kind = 'reply' AND status = 'pending' GROUP BY chat_id").all())
        eng.dispose()
        handled = [(tmp_path / f"{n}.log").read_text().count(" handling $") for n in "ab"]
        confirmations = [sum("✅ Gebucht" in m for m in g) for g in got]
        already = sum(any("schon eine Buchung" in m for m in g) for g in got)
        duplicates = sum(len(g) - len(set(g)) for g in got)
        print(f"\n[kill -9, real dialogue] {n_users} users booking in encrypted DMs: takeover {takeover:.2f}s; "
              f"confirmations per user {sorted(set(confirmations))}, 'schon eine Buchung' {already}, duplicate "
              f"bot messages {duplicates}, confirmed bookings {booked}, handled updates {redelivered}; messages handled "
              f"by the killed / the new leader: {handled[0]} / {handled[1]} (of {2 * n_users})")
        # A booking whose reply the killed leader had committed but not sent (the crash window) is not
        # booked again: the dialogue skips the redelivered event, and the reply waits in the outbox for
        # the scheduler (after the dialogue's REPLY_LEASE; no scheduler runs in this test).
        waiting = [in_outbox.get(room, 0) for room in rooms]
        print(f"confirmations sent {sum(confirmations)}, waiting in the outbox for the scheduler "
              f"{sum(1 for c, w in zip(confirmations, waiting) if c == 0 and w)}")
        assert already == 0 and duplicates == 0 and booked == n_users
        assert all(c == 1 or (c == 0 and w >= 1) for c, w in zip(confirmations, waiting)), (confirmations, waiting)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for h in humans:
            await h.close()
