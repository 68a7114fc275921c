"""Telegram end to end: users write to the bot through tests/tg_emulator.py with Telegram's limits
enforced (30 messages/s per bot, 1/s per private chat after a burst of 3); deskbot answers through
its real transport (polling) and its real dialogue (SQLite, demo world, clock Mon 2026-11-23 08:00).

    .venv/bin/python bench/bench_telegram.py                    # all three cases
    .venv/bin/python bench/bench_telegram.py --only burst       # burst | inflight | serial | flood | pair
    .venv/bin/python bench/bench_telegram.py --quick            # burst, inflight (5 rounds), serial (30)

The emulator and the users run in a child process (its own event loop and GIL, as Telegram would be);
latencies are measured there on CLOCK_MONOTONIC, from the update being queued to the message arriving:

* burst:    200 new users each send one booking at a random moment within 3 s;
* inflight: 10 users, each sends a booking, waits for the answer, then the next (at most 1 a second,
            the per-chat limit), 15 rounds;
* serial:   one user at a time, 100 bookings by 100 users, each waiting for the answer;
* flood:    one chat sends 500 messages at once while 50 other users write one each over 5 s;
* pair:     two deskbot processes on PostgreSQL behind a round-robin balancer (webhooks), sharing the
            send budget: 200 users book within 3 s while 1 000 notices are due, at Telegram's 30/s
            (tests/test_send_budget_pg.py at DESKBOT_TEST_SEND_RATE=30; DESKBOT_TEST_SHARED_BUDGET=0: off).

"first" = the first message of the answer, "complete" = its last (quiet for 1 s after).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import NOW, ROOT, pct  # noqa: E402

TOWNS = ["Dülmen", "Coesfeld", "Lüdinghausen", "Senden", "Ascheberg", "Billerbeck", "Nottuln", "Havixbeck",
         "Olfen", "Nordkirchen", "Rosendahl"]
USER0 = 700_000_000


def _days() -> list[date]:
    d, out = NOW.date(), []
    while len(out) < 60:
        d += timedelta(days=1)
        if d.weekday() < 5:
            out.append(d)
    return out


def booking_text(i: int) -> str:
    days = _days()
    return f"{TOWNS[i % len(TOWNS)]} {days[(i // len(TOWNS)) % len(days)]:%d.%m.}"


# ---------------------------------------------------------------------------------------------
# child: the emulator and the users


def child() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from tg_emulator import TelegramEmulator

    async def main() -> None:
        emu = TelegramEmulator(enforce_limits=True)
        await emu.start()
        print(json.dumps({"base_url": emu.base_url, "token": emu.token}), flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        uid = [USER0]
        while line := (await reader.readline()).decode().strip():
            case, *args = line.split()
            kw = {k: int(v) for k, v in (a.split("=") for a in args)}
            res = await {"burst": burst, "inflight": inflight, "serial": serial, "flood": flood}[case](emu, uid, **kw)
            print(json.dumps(res), flush=True)
        await emu.stop()

    def sends(emu, chat: int, after: float) -> list:
        return [c for c in emu.sent_to(chat) if c.at >= after]

    async def quiet(emu, seconds: float = 1.0, limit: float = 60.0) -> None:
        t0 = time.monotonic()
        n = -1
        while time.monotonic() - t0 < limit:
            if len(emu.sent) == n:
                return
            n = len(emu.sent)
            await asyncio.sleep(seconds)

    def report(emu, users: dict[int, float], t_start: float, before_429: int, n0: int) -> dict:
        first, complete, parts, booked = [], [], [], 0
        for chat, at in users.items():
            got = sends(emu, chat, at)
            if not got:
                continue
            first.append(got[0].at - at)
            complete.append(got[-1].at - at)
            parts.append(len(got))
            booked += any(("Gebucht" in (c.text or "")) or ("Booked" in (c.text or "")) for c in got)
        last = max((c.at for c in emu.sent[n0:]), default=t_start)
        return {
            "users": len(users), "answered": len(first), "booked": booked,
            "sends": len(emu.sent) - n0, "per_user": round(sum(parts) / max(1, len(parts)), 2),
            "count_429": emu.count_429 - before_429,
            "first_p50_ms": pct(first, 50), "first_p95_ms": pct(first, 95), "first_max_ms": pct(first, 100),
            "complete_p50_ms": pct(complete, 50), "complete_p95_ms": pct(complete, 95),
            "all_answered_s": round(last - t_start, 2),
        }

    async def burst(emu, uid, n: int = 200, window: float = 3.0) -> dict:
        rnd = random.Random(14)
        at = sorted(rnd.uniform(0, window) for _ in range(n))
        users: dict[int, float] = {}
        before, n0 = emu.count_429, len(emu.sent)
        t0 = time.monotonic()
        for k, offset in enumerate(at):
            delay = t0 + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            chat = uid[0] = uid[0] + 1
            users[chat] = time.monotonic()
            emu.inject_message(chat, chat, booking_text(k), first_name=f"U{k}", language_code="de")
        await quiet(emu)
        return {"case": "burst", **report(emu, users, t0, before, n0)}

    async def flood(emu, uid, spam: int = 500, others: int = 50, window: float = 5.0) -> dict:
        """One chat sends 500 messages at once; 50 other users write one message each over 5 s."""
        before, n0 = emu.count_429, len(emu.sent)
        uid[0] += 1
        spammer = uid[0]
        t0 = time.monotonic()
        for k in range(spam):
            emu.inject_message(spammer, spammer, f"/hilfe {k}", language_code="de")
        users: dict[int, float] = {}
        for k in range(others):
            await asyncio.sleep(window / others)
            chat = uid[0] = uid[0] + 1
            users[chat] = time.monotonic()
            emu.inject_message(chat, chat, booking_text(5000 + k), language_code="de")
        await quiet(emu)
        lat = [sends(emu, c, at)[0].at - at for c, at in users.items() if sends(emu, c, at)]
        spam_got = sends(emu, spammer, t0)
        return {"case": "flood", "spam": spam, "others": others, "answered": len(lat),
                "others_p50_ms": pct(lat, 50), "others_p99_ms": pct(lat, 99), "others_max_ms": pct(lat, 100),
                "spammer_messages_got": len(spam_got),
                "slow_down_notices": sum("angsam" in (c.text or "") for c in spam_got),
                "count_429": emu.count_429 - before, "sends": len(emu.sent) - n0}

    async def converse(emu, chat: int, text: str) -> tuple[float, float]:
        """Send one message, wait for the answer to be complete (no new message for 0.3 s)."""
        n0 = len(emu.sent_to(chat))
        at = time.monotonic()
        emu.inject_message(chat, chat, text, language_code="de")
        await emu.wait_for(lambda: len(emu.sent_to(chat)) > n0, timeout=30)
        while True:
            n = len(emu.sent_to(chat))
            await asyncio.sleep(0.3)
            if len(emu.sent_to(chat)) == n:
                break
        got = emu.sent_to(chat)[n0:]
        return got[0].at - at, got[-1].at - at

    async def inflight(emu, uid, users: int = 10, rounds: int = 15) -> dict:
        first: list[float] = []
        complete: list[float] = []
        before, n0 = emu.count_429, len(emu.sent)
        chats = []
        for _ in range(users):
            uid[0] += 1
            chats.append(uid[0])
        for c in chats:  # make them known first (the welcome is not what is measured)
            await converse(emu, c, "/hilfe")

        async def user(k: int, chat: int) -> None:
            for r in range(rounds):
                t = time.monotonic()
                f, c = await converse(emu, chat, booking_text(1000 + k * rounds + r))
                first.append(f)
                complete.append(c)
                await asyncio.sleep(max(0.0, 1.05 - (time.monotonic() - t)))

        t0 = time.monotonic()
        await asyncio.gather(*(user(k, c) for k, c in enumerate(chats)))
        return {"case": "inflight", "users": users, "bookings": len(first), "count_429": emu.count_429 - before,
                "sends": len(emu.sent) - n0, "wall_s": round(time.monotonic() - t0, 1),
                "first_p50_ms": pct(first, 50), "first_p95_ms": pct(first, 95),
                "complete_p50_ms": pct(complete, 50), "complete_p95_ms": pct(complete, 95)}

    async def serial(emu, uid, n: int = 100) -> dict:
        first: list[float] = []
        complete: list[float] = []
        before = emu.count_429
        chats = []
        for _ in range(n):
            uid[0] += 1
            chats.append(uid[0])
        for c in chats:
            await converse(emu, c, "/hilfe")
        for k, c in enumerate(chats):
            f, done = await converse(emu, c, booking_text(3000 + k))
            first.append(f)
            complete.append(done)
        return {"case": "serial", "bookings": n, "count_429": emu.count_429 - before,
                "first_p50_ms": pct(first, 50), "first_p95_ms": pct(first, 95), "first_p99_ms": pct(first, 99),
                "complete_p50_ms": pct(complete, 50)}

    asyncio.run(main())


# ---------------------------------------------------------------------------------------------
# parent: deskbot


QUICK = {"inflight": "inflight rounds=5", "serial": "serial n=30"}


def pair() -> dict:
    """Two instances sharing the send budget (the scenario of tests/test_send_budget_pg.py, at 30/s)."""
    import contextlib
    import io

    os.environ.setdefault("DESKBOT_TEST_SEND_RATE", "30")
    sys.path.insert(0, str(ROOT))
    from tests.conftest import create_pg_database, drop_pg_database
    from tests.test_send_budget_pg import (
        test_two_instances_share_the_send_budget as scenario,
    )

    url = create_pg_database()
    out = io.StringIO()
    error = None
    try:
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out):
            try:
                asyncio.run(scenario(url, Path(tmp)))
            except AssertionError as exc:  # the figures are printed before the assertions
                error = str(exc).splitlines()[0][:300]
    finally:
        drop_pg_database(url)
    line = next(x for x in out.getvalue().splitlines() if x.startswith("send budget figures:"))
    res = {"case": "pair", **json.loads(line.split(":", 1)[1]), "assertion": error, "load_avg": os.getloadavg()[0]}
    print(json.dumps(res), flush=True)
    return res


async def run(cases: list[str], concurrency: int | None = None, quick: bool = False) -> list[dict]:
    from bot.app import build_core
    from bot.clock import FixedClock
    from bot.dialogue import Dialogue
    from bot.handlers.telegram import TelegramTransport
    from bot.settings import Settings

    proc = subprocess.Popen([sys.executable, __file__, "--child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)  # fmt: skip
    assert proc.stdin and proc.stdout
    info = json.loads(proc.stdout.readline())
    out: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.sqlite3", world_file=ROOT / "config" / "demo_world.yaml",
                            data_dir=Path(tmp) / "data")  # fmt: skip
        core = build_core(settings, clock=FixedClock(NOW))
        dialogue = Dialogue(core)
        handle_times: list[float] = []
        plain_handle = dialogue.handle

        def timed_handle(msg):
            t = time.perf_counter()
            try:
                return plain_handle(msg)
            finally:
                handle_times.append(time.perf_counter() - t)

        dialogue.handle = timed_handle  # type: ignore[method-assign]
        extra = {} if concurrency is None else {"dialogue_concurrency": concurrency}
        tr = TelegramTransport(dialogue, token=info["token"], base_url=info["base_url"], poll_timeout=10,
                               set_commands=False, **extra)  # fmt: skip
        await tr.start()
        loop = asyncio.get_running_loop()
        try:
            for case in cases:
                handle_times.clear()
                proc.stdin.write((QUICK.get(case, case) if quick else case) + "\n")
                proc.stdin.flush()
                line = await loop.run_in_executor(None, proc.stdout.readline)
                res = json.loads(line)
                res["transport_stats"] = {k: v for k, v in getattr(tr, "stats", {}).items() if v}
                res["limiter_429"] = tr.limiter.hits_429
                res["dialogue_handle_p50_ms"] = pct(handle_times, 50)
                res["dialogue_handle_p95_ms"] = pct(handle_times, 95)
                res["dialogue_handle_max_ms"] = pct(handle_times, 100)
                res["load_avg"] = os.getloadavg()[0]
                res["dialogue_concurrency"] = concurrency
                out.append(res)
                print(json.dumps(res), flush=True)
        finally:
            await tr.stop()
            proc.stdin.close()
            proc.wait(10)
            core.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--only", default="burst,inflight,serial,flood")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--concurrency", type=int, default=None, help="dialogue calls at once (default: the thread pool)")
    ap.add_argument("--quick", action="store_true", help="burst, inflight with 5 rounds, serial with 30 bookings")
    args = ap.parse_args()
    if args.child:
        child()
        return
    import logging

    logging.basicConfig(level=logging.WARNING)
    cases = ["burst", "inflight", "serial"] if args.quick and args.only == ap.get_default("only") else args.only.split(",")
    res = asyncio.run(run([c for c in cases if c != "pair"], args.concurrency, args.quick)) if set(cases) - {"pair"} else []
    if "pair" in cases:
        res.append(pair())
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
