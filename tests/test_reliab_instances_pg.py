"""Several instances behind one webhook URL (issue 14 item 3), end to end: two deskbot processes (the real
`TelegramTransport` in webhook mode, the real dialogue, the real outbox delivery; tests/test_send_budget_pg.py's
worker) on one PostgreSQL behind a round-robin load balancer, the Bot API emulator posting every update to the
balancer as Telegram does (one update of a chat at a time, the next one after the 200; up to 40 at once).

* One user's five quick messages (book, list, cancel, book, list, sent back to back) are handled in order, though
  they are dealt to both instances: the answers say so, and exactly one booking stands.
* A kill -9 of one instance in the middle of a 150-update burst loses none: an update the dead instance had not
  answered with 200 goes to the survivor (as Telegram redelivers it), one it had answered has its reply in the
  outbox, delivered once the reply's lease is over. Every update is handled exactly once and in order, and every
  user is told everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from tests.test_send_budget_pg import NOW, TOWNS, Balancer

pytestmark = [pytest.mark.asyncio, pytest.mark.postgres, pytest.mark.slow]
WORKER = Path(__file__).resolve().parent / "test_send_budget_pg.py"
USER0 = 830_000_000


def weekdays(n: int) -> list[str]:
    d, out = NOW.date(), []
    while len(out) < n:
        d += timedelta(days=1)
        if d.weekday() < 5:
            out.append(f"{d:%d.%m.}")
    return out


def script(k: int) -> tuple[str, list[str]]:
    """User k's five messages; the order matters (cancel before the second booking, the lists in between)."""
    town, day = TOWNS[k % len(TOWNS)], weekdays(10)[k // len(TOWNS)]
    return day, [f"{town} {day} buchen", "meine Buchungen", f"storno {day}", f"{town} {day} buchen", "meine Buchungen"]


def kind(text: str, day: str) -> str:
    """What an answer says, so that answers out of order show (an empty list, 'already booked', nothing to cancel)."""
    if text.startswith("✅ Gebucht") and day in text:
        return "booked"
    if text.startswith("📅 Deine Buchungen") and day in text:
        return "list"
    if text.startswith("🗑️ Storniert") and day in text:
        return "cancelled"
    return "other: " + text[:60]


EXPECTED = ["booked", "list", "cancelled", "booked", "list"]


async def start_pair(pg_url: str, tmp_path: Path, emu) -> tuple[list[subprocess.Popen], Balancer]:
    from tests.tg_emulator import free_port

    ports = [free_port(), free_port()]
    lb = Balancer(ports)
    lb_url = await lb.start()
    procs = []
    loop = asyncio.get_running_loop()
    for k, port in enumerate(ports):
        cfg = {"db": pg_url, "dir": str(tmp_path / f"i{k}"), "token": emu.token, "base_url": emu.base_url,
               "lb_url": lb_url, "port": port, "rate": 30.0, "shared": True}  # fmt: skip
        procs.append(subprocess.Popen([sys.executable, str(WORKER), "worker", json.dumps(cfg)],  # noqa: ASYNC220
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1))
    for p in procs:
        line = await asyncio.wait_for(loop.run_in_executor(None, p.stdout.readline), 60)
        assert json.loads(line)["ready"]
    return procs, lb


async def stop_pair(procs: list[subprocess.Popen], lb: Balancer) -> None:
    loop = asyncio.get_running_loop()
    for p in procs:
        if p.poll() is None and p.stdin is not None:
            with contextlib.suppress(OSError):
                p.stdin.close()
    for p in procs:
        try:
            await asyncio.wait_for(loop.run_in_executor(None, p.wait), 30)
        except TimeoutError:
            p.kill()
            p.wait(5)
    await lb.stop()


async def greet(emu, users: list[int]) -> None:
    """Each user's first message (the welcome), so that the five that count are plain requests."""
    for u in users:
        emu.inject_message(u, u, "/start", first_name=f"U{u - USER0}", language_code="de")
    await emu.wait_for(lambda: all(emu.sent_to(u) for u in users), timeout=60)


def handled_in_order(core, users: list[int], first_ids: dict[int, list[int]]) -> dict[int, list[str]]:
    """Per user, what the stored answers (outbox rows of kind 'reply', keyed by update id) say, in update order."""
    from sqlalchemy import select

    from bot.storage.models import Outbox

    with core.db.session() as s:
        rows = dict(s.execute(select(Outbox.dedupe_key, Outbox.payload).where(Outbox.kind == "reply")).all())
    out = {}
    for k, u in enumerate(users):
        day, _ = script(k)
        out[u] = [kind((rows.get(f"reply:telegram:tg:{uid}:0") or {}).get("text", "(no answer stored)"), day)
                  for uid in first_ids[u]]  # fmt: skip
    return out


def bookings(core, users: list[int]) -> Counter:
    from sqlalchemy import select

    from bot.storage.models import Booking, Identity

    with core.db.session() as s:
        rows = s.execute(select(Identity.external_id, Booking.status).join(Booking, Booking.member_id == Identity.member_id)
                         .where(Identity.transport == "telegram")).all()  # fmt: skip
    return Counter((int(uid), st) for uid, st in rows if int(uid) in users)


async def test_one_users_quick_messages_keep_their_order_across_two_instances(pg_url, tmp_path):
    from bot.app import build_core
    from bot.clock import FixedClock
    from tests.conftest import make_settings
    from tests.tg_emulator import TelegramEmulator

    core = build_core(make_settings(pg_url, tmp_path / "setup"), clock=FixedClock(NOW))  # migrates, loads the world
    users = [USER0 + k for k in range(20)]
    async with TelegramEmulator(enforce_limits=True) as emu:
        for u in users:
            emu.add_chat(u, first_name=f"U{u - USER0}", language_code="de")
        procs, lb = await start_pair(pg_url, tmp_path, emu)
        try:
            await greet(emu, users)
            ids: dict[int, list[int]] = {}
            for k, u in enumerate(users):  # five quick messages each, back to back, all users at once
                ids[u] = [emu.inject_message(u, u, text, first_name=f"U{k}", language_code="de")["update_id"]
                          for text in script(k)[1]]  # fmt: skip
            await emu.wait_for(lambda: all(len(emu.sent_to(u, "sendMessage")) >= 6 for u in users), timeout=90)
            await asyncio.sleep(1.0)
        finally:
            await stop_pair(procs, lb)
        assert min(lb.forwarded) >= 40, lb.forwarded  # one user's messages went to both instances
        arrived = {u: [kind(c.text, script(k)[0]) for c in emu.sent_to(u, "sendMessage")[1:]] for k, u in enumerate(users)}
    assert {u: v for u, v in arrived.items() if v != EXPECTED} == {}
    assert {u: v for u, v in handled_in_order(core, users, ids).items() if v != EXPECTED} == {}
    assert bookings(core, users) == Counter({**{(u, "confirmed"): 1 for u in users}, **{(u, "cancelled"): 1 for u in users}})
    core.close()


async def test_kill_9_of_one_instance_during_a_150_update_burst_loses_none(pg_url, tmp_path):
    from sqlalchemy import func, select

    from bot.app import build_core
    from bot.clock import FixedClock
    from bot.handlers.telegram import TelegramTransport
    from bot.scheduler import Delivery
    from bot.storage.models import HandledUpdate, Outbox
    from tests.conftest import make_settings
    from tests.tg_emulator import TelegramEmulator

    core = build_core(make_settings(pg_url, tmp_path / "setup"), clock=FixedClock(NOW))
    users = [USER0 + k for k in range(30)]
    async with TelegramEmulator(enforce_limits=True) as emu:
        for u in users:
            emu.add_chat(u, first_name=f"U{u - USER0}", language_code="de")
        procs, lb = await start_pair(pg_url, tmp_path, emu)
        try:
            await greet(emu, users)
            n0 = sum(lb.forwarded)
            ids: dict[int, list[int]] = {u: [] for u in users}
            for step in range(5):  # the burst: 150 updates, every user's five in order, users interleaved
                for k, u in enumerate(users):
                    ids[u].append(emu.inject_message(u, u, script(k)[1][step], first_name=f"U{k}",
                                                     language_code="de")["update_id"])  # fmt: skip
            await emu.wait_for(lambda: sum(lb.forwarded) - n0 >= 75, timeout=60)
            procs[0].kill()  # kill -9, whatever it was doing
            procs[0].wait(5)
            await emu.wait_for(lambda: emu.pending_updates == 0, timeout=90)  # every update answered with 200
            seen = -1
            while seen != len(emu.sent):  # until the survivor has sent what it will send
                seen = len(emu.sent)
                await asyncio.sleep(2.0)
        finally:
            await stop_pair(procs, lb)
        with core.db.session() as s:
            waiting = s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "reply", Outbox.status == "pending"))
        # the dead instance's answers that were in the outbox, not sent: any instance sends them after their lease
        later = build_core(make_settings(pg_url, tmp_path / "later"), clock=FixedClock(NOW + timedelta(minutes=3)),
                           migrate=False, load_world=False)  # fmt: skip
        tr = TelegramTransport(None, token=emu.token, base_url=emu.base_url, set_commands=False,  # type: ignore[arg-type]
                               shared_budget=False)  # fmt: skip
        await tr.bot.initialize()
        try:
            delivery = Delivery(later, {"telegram": tr})
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                st = await delivery.deliver_due()
                if not st.claimed:
                    break
        finally:
            await tr.bot.shutdown()
            later.close()
        arrived = {u: Counter(kind(c.text, script(k)[0]) for c in emu.sent_to(u, "sendMessage")[1:])
                   for k, u in enumerate(users)}  # fmt: skip
    print(f"\nkill -9 mid-burst: {waiting} answers waited in the outbox for their lease; "
          f"repeats: {sum(sum(c.values()) - 5 for c in arrived.values())}")
    with core.db.session() as s:
        handled = set(s.scalars(select(HandledUpdate.key)))
        left = s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "reply", Outbox.status != "sent"))
    assert {f"tg:{i}" for v in ids.values() for i in v} <= handled
    assert left == 0  # every answer went out
    assert {u: v for u, v in handled_in_order(core, users, ids).items() if v != EXPECTED} == {}  # handled in order
    told = Counter(EXPECTED)
    for u, got in arrived.items():  # every answer arrived; a repeat only of what was in flight at the kill
        assert all(got[x] >= n for x, n in told.items()) and set(got) == set(told), (u, got)
        assert sum(got.values()) <= 6, (u, got)
    assert bookings(core, users) == Counter({**{(u, "confirmed"): 1 for u in users}, **{(u, "cancelled"): 1 for u in users}})
    core.close()
