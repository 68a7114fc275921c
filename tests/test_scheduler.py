"""Outbox delivery semantics (retries, dead letters, recipient gone, restart, concurrency, kill -9),
the APScheduler wiring, and DST changeover nights.

Also a worker program for the multi-process tests (here and in test_scheduler_pg.py):
    python tests/test_scheduler.py worker --url URL --out FILE [--concurrency N] [--batch N] [--delay S] [--go FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # when run as a worker program
    sys.path.insert(0, str(REPO))

from bot.clock import FixedClock  # noqa: E402
from bot.domain import Reply  # noqa: E402
from bot.scheduler import Delivery, Periodic, Scheduler, TerminalDriver, list_dead, replay  # noqa: E402
from bot.storage.models import Identity, Member, Outbox, Space  # noqa: E402
from bot.storage.outbox import enqueue  # noqa: E402
from bot.transport import RecipientGone, RetryLater, SendError  # noqa: E402

UTC = timezone.utc


class FakeTransport:
    """Records sends; `fail[chat_id]` is a list of exceptions raised by the next sends to that chat."""

    name = "fake"

    def __init__(self, clock=None, delay=None) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.at: list[datetime] = []
        self.fail: dict[str, list[Exception]] = {}
        self.clock = clock
        self.delay = delay  # chat_id -> seconds
        self.order: list[str] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply, *, dedupe_key: str | None = None) -> None:
        errs = self.fail.get(chat_id)
        if errs:
            raise errs.pop(0)
        if self.delay:
            await asyncio.sleep(self.delay(chat_id))
        self.sent.append((chat_id, reply.text, dedupe_key))
        self.order.append(chat_id)
        if self.clock is not None:
            self.at.append(self.clock.now().astimezone(UTC))


def add_rows(core, n: int, *, chats: int = 1, transport: str = "fake", now: datetime | None = None, prefix: str = "t") -> None:
    now = now or core.clock.now()
    with core.db.session() as s:
        for i in range(n):
            enqueue(s, "test", f"{prefix}:{i}", due_at=now, now=now, payload={"text": f"hello {i}"}, transport=transport,
                    chat_id=f"c{i % chats}")


def status_counts(core) -> dict[str, int]:
    with core.db.session() as s:
        return dict(s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())


def row(core, key: str) -> Outbox:
    with core.db.session() as s:
        return s.scalar(select(Outbox).where(Outbox.dedupe_key == key))


# ---------------------------------------------------------------------------------------------
# retries, dead letters, recipient gone


async def test_retry_with_backoff_then_sent(sqlite_core, clock):
    tr = FakeTransport()
    tr.fail["c0"] = [SendError("boom"), SendError("boom again")]
    d = Delivery(sqlite_core, {"fake": tr})
    add_rows(sqlite_core, 1)
    st = await d.deliver_all()
    assert (st.claimed, st.retried, st.sent) == (1, 1, 0)
    r = row(sqlite_core, "t:0")
    assert r.attempts == 1 and r.status == "pending" and r.last_error == "SendError: boom" and r.claimed_by is None
    first_wait = (r.next_retry_at - clock.now()).total_seconds()
    assert 8 <= first_wait <= 12
    assert (await d.deliver_all()).claimed == 0  # not due before next_retry_at
    clock.advance(timedelta(seconds=first_wait + 0.1))
    await d.deliver_all()
    r = row(sqlite_core, "t:0")
    second_wait = (r.next_retry_at - clock.now()).total_seconds()
    assert r.attempts == 2 and 16 <= second_wait <= 24  # exponential
    clock.advance(timedelta(seconds=second_wait + 0.1))
    st = await d.deliver_all()
    assert st.sent == 1 and tr.sent == [("c0", "hello 0", "t:0")]
    assert row(sqlite_core, "t:0").status == "sent"


async def test_retry_later_is_honoured_and_not_counted(sqlite_core, clock):
    tr = FakeTransport()
    tr.fail["c0"] = [RetryLater(42.0)] * 20
    d = Delivery(sqlite_core, {"fake": tr}, max_attempts=3)
    add_rows(sqlite_core, 1)
    for _ in range(10):
        await d.deliver_all()
        r = row(sqlite_core, "t:0")
        assert r.attempts == 0 and r.status == "pending"
        assert r.next_retry_at == clock.now() + timedelta(seconds=42)
        clock.advance(timedelta(seconds=41))
        assert (await d.deliver_all()).claimed == 0
        clock.advance(timedelta(seconds=1))
    tr.fail.clear()
    await d.deliver_all()
    assert tr.sent and row(sqlite_core, "t:0").status == "sent"


async def test_dead_after_max_attempts_list_and_replay(sqlite_core, clock):
    tr = FakeTransport()
    tr.fail["c0"] = [SendError(f"fail {i}") for i in range(8)]
    d = Delivery(sqlite_core, {"fake": tr})
    add_rows(sqlite_core, 2, chats=2)
    for _ in range(8):
        await d.deliver_all()
        clock.advance(timedelta(hours=2))
    r = row(sqlite_core, "t:0")
    assert (r.status, r.attempts, r.last_error) == ("dead", 8, "SendError: fail 7")
    dead = list_dead(sqlite_core)
    assert [(x.id, x.kind, x.recipient, x.attempts) for x in dead] == [(r.id, "test", "fake:c0", 8)]
    assert dead[0].as_dict()["last_error"] == "SendError: fail 7"
    assert [c for c, _, _ in tr.sent] == ["c1"]
    assert replay(sqlite_core, [r.id, 9999]) == 1
    await d.deliver_all()
    assert [c for c, _, _ in tr.sent] == ["c1", "c0"] and list_dead(sqlite_core) == []
    assert replay(sqlite_core, [r.id]) == 0  # only dead rows


async def test_recipient_gone_blocks_identity_and_kills_row(sqlite_core, clock):
    m = sqlite_core.members.resolve("fake", "u1", "dm-1", "Uwe")
    add_kw = dict(due_at=clock.now(), now=clock.now(), payload={"text": "hi"}, member_id=m.id)
    with sqlite_core.db.session() as s:
        enqueue(s, "test", "g:1", **add_kw)
        enqueue(s, "test", "g:2", **add_kw)
    tr = FakeTransport()
    tr.fail["dm-1"] = [RecipientGone("Forbidden: bot was blocked by the user")]
    d = Delivery(sqlite_core, {"fake": tr})
    await d.deliver_all()
    r1, r2 = row(sqlite_core, "g:1"), row(sqlite_core, "g:2")
    assert (r1.status, r1.last_error) == ("dead", "recipient gone: Forbidden: bot was blocked by the user")
    assert (r2.status, r2.last_error) == ("dead", "no reachable chat (blocked the bot or no account)")
    assert tr.sent == []
    with sqlite_core.db.session() as s:
        assert s.scalar(select(Identity.blocked_at).where(Identity.external_id == "u1")) == clock.now()
    # the member writes again: unblocked, replay reaches them
    sqlite_core.members.resolve("fake", "u1", "dm-1", "Uwe")
    assert replay(sqlite_core, [r1.id, r2.id]) == 2
    await d.deliver_all()
    assert [c for c, _, _ in tr.sent] == ["dm-1", "dm-1"]


async def test_member_notice_goes_to_latest_unblocked_identity(sqlite_core, clock):
    m = sqlite_core.members.resolve("fake", "u1", "dm-fake", "Uwe")
    other = FakeTransport()
    other.name = "other"
    with sqlite_core.db.session() as s:
        s.add(Identity(member_id=m.id, transport="other", external_id="u1@other", chat_id="dm-other",
                       last_used_at=clock.now() + timedelta(minutes=1)))
        enqueue(s, "test", "x:1", due_at=clock.now(), now=clock.now(), payload={"text": "a"}, member_id=m.id)
    fake = FakeTransport()
    d = Delivery(sqlite_core, {"fake": fake, "other": other})
    await d.deliver_all()
    assert other.sent == [("dm-other", "a", "x:1")] and fake.sent == []
    with sqlite_core.db.session() as s:
        s.execute(update(Identity).where(Identity.transport == "other").values(blocked_at=clock.now()))
        enqueue(s, "test", "x:2", due_at=clock.now(), now=clock.now(), payload={"text": "b"}, member_id=m.id)
    await d.deliver_all()
    assert fake.sent == [("dm-fake", "b", "x:2")]


async def test_unknown_transport_counts_as_failure(sqlite_core, clock):
    add_rows(sqlite_core, 1, transport="telegram")
    d = Delivery(sqlite_core, {"fake": FakeTransport()}, max_attempts=2)
    await d.deliver_all()
    clock.advance(timedelta(hours=1))
    await d.deliver_all()
    r = row(sqlite_core, "t:0")
    assert (r.status, r.last_error) == ("dead", "transport telegram not running")


# ---------------------------------------------------------------------------------------------
# restart, concurrency


async def test_restart_sends_nothing_twice(sqlite_core, clock):
    tr = FakeTransport()
    add_rows(sqlite_core, 30, chats=7)
    await Delivery(sqlite_core, {"fake": tr}, batch=7).deliver_all()
    assert len(tr.sent) == 30
    tr2 = FakeTransport()
    clock.advance(timedelta(hours=1))
    d2 = Delivery(sqlite_core, {"fake": tr2})  # a new process on the same database
    assert (await d2.deliver_all()).claimed == 0 and tr2.sent == []
    assert status_counts(sqlite_core) == {"sent": 30}


async def test_slow_chat_does_not_block_the_others(sqlite_core):
    tr = FakeTransport(delay=lambda chat: 0.5 if chat == "c0" else 0.01)
    add_rows(sqlite_core, 40, chats=10)  # c0 gets 4 rows: 2 s of sending
    d = Delivery(sqlite_core, {"fake": tr}, concurrency=4)
    t0 = time.perf_counter()
    task = asyncio.ensure_future(d.deliver_all())
    while len(tr.sent) < 36 and time.perf_counter() - t0 < 5:
        await asyncio.sleep(0.01)
    others_done = time.perf_counter() - t0
    await task
    assert others_done < 1.0, f"the other 9 chats waited {others_done:.2f}s for the slow one"
    assert [k for c, _, k in tr.sent if c == "c0"] == ["t:0", "t:10", "t:20", "t:30"]  # in order within a chat
    assert len(tr.sent) == 40


async def test_apscheduler_delivers_and_stop_finishes_the_send_in_flight(sqlite_core, clock):
    from bot.dialogue import Dialogue

    tr = FakeTransport(delay=lambda chat: 0.4)
    sch = Scheduler(sqlite_core, Dialogue(sqlite_core), {"fake": tr}, deliver_every=0.05)
    add_rows(sqlite_core, 1)
    await sch.start()
    try:
        t0 = time.perf_counter()
        while not sch._tasks and time.perf_counter() - t0 < 3:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # the send is in flight now
    finally:
        await sch.stop()
    assert tr.sent == [("c0", "hello 0", "t:0")]
    assert row(sqlite_core, "t:0").status == "sent"
    # after stop nothing runs any more
    add_rows(sqlite_core, 1, prefix="late")
    await asyncio.sleep(0.2)
    assert row(sqlite_core, "late:0").status == "pending"


async def test_stop_with_a_tick_in_flight_logs_no_error(sqlite_core, clock, monkeypatch, caplog):
    """SIGTERM while the minute's periodic work runs (seen right after a start): APScheduler's shutdown cancels the
    job waiting for it, the work itself finishes, and nothing is logged as an error (it logged the job's
    CancelledError with a traceback)."""
    import logging
    import threading

    from bot.dialogue import Dialogue

    caplog.set_level(logging.INFO)
    sch = Scheduler(sqlite_core, Dialogue(sqlite_core), {"fake": FakeTransport()}, deliver_every=0.05)
    started, finished = threading.Event(), threading.Event()

    def slow_run_due(now):
        started.set()
        time.sleep(0.4)
        finished.set()

    monkeypatch.setattr(sch.periodic, "run_due", slow_run_due)
    await sch.start()
    try:
        t0 = time.perf_counter()
        while not started.is_set() and time.perf_counter() - t0 < 3:
            await asyncio.sleep(0.01)
        assert started.is_set()
    finally:
        await sch.stop()
    assert finished.is_set()  # stop waited for the work in flight
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [(r.name, r.getMessage()) for r in errors]


async def test_stopping_job_whose_work_ends_in_the_same_turn_is_not_an_error(sqlite_core):
    """The shutdown's cancellation can reach the waiting job in the loop turn its shielded work ends: the job
    then ends with the work's result, not with CancelledError (APScheduler logged that as a failed job)."""
    from bot.dialogue import Dialogue

    sch = Scheduler(sqlite_core, Dialogue(sqlite_core), {"fake": FakeTransport()}, deliver_every=0.05)
    sch.delivery.stopping = True
    outcomes = []
    for turns in range(1, 8):  # cancel after 1..7 loop turns: while and after the work ends
        async def work():
            await asyncio.sleep(0)
            return "done"

        waiter = asyncio.ensure_future(sch._run_tracked(work()))
        for _ in range(turns):
            await asyncio.sleep(0)
        waiter.cancel()
        try:
            outcomes.append(await waiter)
        except asyncio.CancelledError:
            outcomes.append("cancelled")
    assert "cancelled" not in outcomes, outcomes
    assert "done" in outcomes  # some runs ended with the work's own result


# ---------------------------------------------------------------------------------------------
# kill -9 during fan-out (SQLite; PostgreSQL in test_scheduler_pg.py)


def run_kill_test(core, url: str, tmp_path: Path, *, concurrency: int, n: int = 60) -> tuple[Counter, set[str]]:
    """Start a worker, SIGKILL it mid-fan-out, let a new worker finish. Returns (sends per key, in flight)."""
    from bot.clock import Clock

    now = Clock(core.clock.tz).now()
    add_rows(core, n, chats=15, now=now)
    out = tmp_path / "sends.log"
    proc = subprocess.Popen([sys.executable, str(Path(__file__)), "worker", "--url", url, "--out", str(out),
                             "--concurrency", str(concurrency), "--batch", "10", "--delay", "0.02"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        done = sum(1 for ln in out.read_text().splitlines() if ln.startswith("E ")) if out.exists() else 0
        if done >= n // 3:
            break
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    lines = out.read_text().splitlines()
    begun = {ln.split()[2] for ln in lines if ln.startswith("B ")}
    ended = [ln.split()[2] for ln in lines if ln.startswith("E ")]
    assert 0 < len(ended) < n, "the kill did not land mid fan-out"
    with core.db.session() as s:
        marked = set(s.scalars(select(Outbox.dedupe_key).where(Outbox.status == "sent")))
    in_flight = begun - marked
    # a new worker after the lease ran out (its clock is past the lease)
    later = FixedClock(now + timedelta(minutes=10))
    core2 = _core_for(url, later, tmp_path)
    tr = FakeTransport()
    asyncio.run(Delivery(core2, {"fake": tr}, batch=25).deliver_all())
    core2.close()
    counts = Counter(ended) + Counter(k for _, _, k in tr.sent)
    assert status_counts(core) == {"sent": n}
    assert set(counts) == {f"t:{i}" for i in range(n)}, "a notice was lost"
    return counts, in_flight


def _core_for(url: str, clock, tmp_path: Path):
    from bot.app import build_core
    from tests.conftest import make_settings

    return build_core(make_settings(url, tmp_path), clock=clock, migrate=False, load_world=False)


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 4])
def test_kill_during_fan_out_sqlite(sqlite_core, sqlite_url, tmp_path, concurrency):
    counts, in_flight = run_kill_test(sqlite_core, sqlite_url, tmp_path, concurrency=concurrency)
    repeated = {k for k, c in counts.items() if c > 1}
    assert all(c <= 2 for c in counts.values())
    assert repeated <= in_flight  # only a send that was in flight at the kill may repeat
    assert len(repeated) <= concurrency  # ... at most one per concurrent chat sender (1 with concurrency 1)


# ---------------------------------------------------------------------------------------------
# DST changeover nights


def _dst_world(core, clock, friday: datetime):
    """Bookings for Monday, reminders at 02:30 and 18:00, nudges at 02:30 and 18:00, Dülmen open on
    Sunday from 02:30 (for a digest in the night)."""
    from bot.dialogue import Dialogue
    from tests.conftest import Chat

    clock.set(friday)
    dlg = Dialogue(core)
    chat = Chat(dlg)
    monday = (friday + timedelta(days=3)).date()
    with core.db.session() as s:
        sp = s.scalar(select(Space).where(Space.slug == "duelmen"))
        sp.opening_hours = dict(sp.opening_hours, sun=["02:30", "12:00"])
    chat.send("olga", "OP-DUELMEN")
    chat.send("anna", "/einstellungen erinnerung 02:30")
    chat.send("bert", "/einstellungen erinnerung 18:00")
    for user in ("anna", "bert"):
        out = chat.send(user, f"/buchen {monday:%d.%m.%Y} coesfeld")
        assert "Gebucht" in out, out
    chat.send("carla", "/einstellungen pendeln 02:30 täglich")
    chat.send("dora", "/einstellungen pendeln 18:00 täglich")
    with core.db.session() as s:
        for name, slug in (("Carla", "senden"), ("Dora", "duelmen")):
            m = s.scalar(select(Member).where(Member.display_name == name))
            m.prefs = dict(m.prefs, nudge=dict(m.prefs["nudge"], spaces=[slug]))
    return dlg


# UTC times of the changeover weekends: Sat 18:00, Sun 02:30, Sun 18:00 local
DST_NIGHTS = {
    "spring": (datetime(2026, 3, 27, 12, 0), datetime(2026, 3, 28, 17, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
               datetime(2026, 3, 29, 16, 0, tzinfo=UTC)),
    "autumn": (datetime(2026, 10, 23, 12, 0), datetime(2026, 10, 24, 16, 0, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
               datetime(2026, 10, 25, 17, 0, tzinfo=UTC)),
}


@pytest.mark.parametrize("mode", ["minute_ticks", "catch_up"])
@pytest.mark.parametrize("night", ["spring", "autumn"])
def test_dst_nights_nothing_twice_nothing_missed(sqlite_core, clock, night, mode):
    from bot.clock import FixedClock as _FC  # noqa: F401

    friday_noon, sat18, sun0230, sun18 = DST_NIGHTS[night]
    tz = clock.tz
    dlg = _dst_world(sqlite_core, clock, friday_noon.replace(tzinfo=tz))
    got: list[tuple[str, str, datetime]] = []

    class Rec:
        name = "terminal"

        async def send(self, chat_id, reply, *, dedupe_key=None):
            got.append((chat_id, reply.text.split("\n")[0], clock.now().astimezone(UTC)))

    start = datetime.combine(friday_noon.date() + timedelta(days=1), datetime.min.time(), tzinfo=tz).replace(hour=13)
    end = start + timedelta(hours=34)  # Sat 13:00 .. Sun 22:00 / Mon 00:00 local
    clock.set(start)
    drv = TerminalDriver(sqlite_core, dlg, {"terminal": Rec()})
    if mode == "minute_ticks":
        # what APScheduler's interval job does: run_due + deliver, every tick (10 min here), in UTC steps
        t = start.astimezone(UTC)
        while t <= end.astimezone(UTC):
            clock.set(t)
            drv.periodic.run_due(clock.now())
            asyncio.run(drv.delivery.deliver_all(clock.now()))
            t += timedelta(minutes=10)
    else:
        clock.set(end)
        drv.catch_up(clock.now())
    expected = [
        ("dora", "🚲 Morgen (So", sat18),
        ("anna", "🔔 Erinnerung", sun0230),
        ("carla", "🚲 Morgen (Mo", sun0230),
        ("olga", "☀️ Heute in Coworking Dülmen (So", sun0230),
        ("bert", "🔔 Erinnerung", sun18),
        ("dora", "🚲 Morgen (Mo", sun18),
    ]
    got.sort(key=lambda x: (x[2], x[0]))
    expected.sort(key=lambda x: (x[2], x[0]))
    assert [(c, t) for c, _, t in got] == [(c, t) for c, _, t in expected], got
    for (_, line, _), (_, prefix, _) in zip(got, expected):
        assert line.startswith(prefix), (line, prefix)


# ---------------------------------------------------------------------------------------------
# worker program


def _worker_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--go", default=None)
    a = p.parse_args(argv)
    import random
    import tempfile

    from bot.app import build_core
    from bot.clock import Clock
    from bot.settings import Settings

    core = build_core(Settings(database_url=a.url, data_dir=Path(tempfile.mkdtemp())), clock=Clock(), migrate=False,
                      load_world=False)
    fd = os.open(a.out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    pid = os.getpid()

    class FileTransport:
        name = "fake"

        async def send(self, chat_id, reply, *, dedupe_key=None):
            os.write(fd, f"B {pid} {dedupe_key}\n".encode())
            if a.delay:
                await asyncio.sleep(a.delay * random.uniform(0.5, 1.5))
            os.write(fd, f"E {pid} {dedupe_key}\n".encode())

    if a.go:
        while not os.path.exists(a.go):
            time.sleep(0.005)
    d = Delivery(core, {"fake": FileTransport()}, concurrency=a.concurrency, batch=a.batch)

    async def loop() -> None:
        while True:
            st = await d.deliver_due()
            if st.claimed == 0:
                with core.db.session() as s:
                    if not s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "pending")):
                        return
                await asyncio.sleep(0.02)

    asyncio.run(loop())
    core.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        _worker_main(sys.argv[2:])
