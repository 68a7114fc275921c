"""Queries on the large world, contention for the last desks, footprint of `deskbot run`, parser."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta

from common import NOW, ROOT, pct, summary


# ------------------------------------------------------------------------------------------ queries

def bench_queries(core, n: int = 300, seed: int = 3) -> dict:
    """BookingService.availability (all spaces / one space) and my_bookings, plus the same as chat messages."""
    from bot.dialogue import Dialogue
    from bot.domain import IncomingMessage
    from sqlalchemy import text

    rnd = random.Random(seed)
    svc = core.booking
    today = NOW.date()
    days = [today + timedelta(days=i) for i in range(0, 30) if (today + timedelta(days=i)).weekday() < 5]
    with core.db.session() as s:
        slugs = [r[0] for r in s.execute(text("SELECT slug FROM spaces"))]
        towns = [r[0] for r in s.execute(text("SELECT town FROM spaces"))]
        n_members = s.execute(text("SELECT max(id) FROM members")).scalar()
        ext = dict(s.execute(text("SELECT member_id, external_id FROM identities WHERE member_id <= 5000")).all())
    out = {}

    def timed(fn, k=n):
        t = time.perf_counter()
        fn()  # the first call of a kind is cold (lazy imports such as `holidays`, statement caches): reported apart
        first = time.perf_counter() - t
        for _ in range(4):
            fn()
        lat = []
        t0 = time.perf_counter()
        for _ in range(k):
            t = time.perf_counter()
            fn()
            lat.append(time.perf_counter() - t)
        return dict(summary(lat, time.perf_counter() - t0), first_call_ms=first * 1000)

    out["availability_all_spaces"] = timed(lambda: svc.availability(rnd.choice(days)))
    # the same after gc.freeze() (what `deskbot run` would see if it froze its start-up objects): the p99
    # above includes full (generation 2) garbage collections of ~70 ms
    import gc

    gc.collect()
    gc.freeze()
    try:
        out["availability_all_spaces_gc_frozen"] = timed(lambda: svc.availability(rnd.choice(days)))
    finally:
        gc.unfreeze()
    out["availability_one_space"] = timed(lambda: svc.availability(rnd.choice(days), rnd.choice(slugs)))
    out["my_bookings"] = timed(lambda: svc.my_bookings(rnd.randint(1, n_members)))
    out["my_bookings_history"] = timed(lambda: svc.my_bookings(rnd.randint(1, n_members), from_day=today - timedelta(days=365)))
    d = Dialogue(core)
    ids = list(ext)

    def msg(text_):
        m = rnd.choice(ids)
        d.handle(IncomingMessage("telegram", ext[m], ext[m], text_, display_name=f"Member {m}"))

    out["chat_availability_one_space"] = timed(lambda: msg(f"Ist in {rnd.choice(towns)} morgen was frei?"))
    out["chat_my_bookings"] = timed(lambda: msg("meine Buchungen"))
    return out


# ------------------------------------------------------------------------------------------ contention

def bench_contention(core, clients: int = 200, last: int = 10, seed: int = 5) -> dict:
    """`clients` members at once ask for the same space and day that has `last` free desks left."""
    from sqlalchemy import text

    from bench_booking import Req, bot_one
    from bot.dialogue import Dialogue

    rnd = random.Random(seed)
    day = NOW.date() + timedelta(days=35)  # Monday 2026-12-28, after the generated bookings (they end 30 days ahead)
    with core.db.session() as s:
        sid, slug, town = s.execute(text("SELECT id, slug, town FROM spaces ORDER BY id DESC LIMIT 1")).one()
        n_desks = s.execute(text("SELECT count(*) FROM desks WHERE space_id = :s AND active"), {"s": sid}).scalar()
        busy = {r[0] for r in s.execute(text("SELECT member_id FROM bookings WHERE day = :d AND status IN ('confirmed','checked_in')"), {"d": day})}
        members = [tuple(r) for r in s.execute(text("SELECT member_id, external_id FROM identities ORDER BY member_id DESC LIMIT 5000"))]
    members = [m for m in members if m[0] not in busy]
    rnd.shuffle(members)
    d = Dialogue(core)

    def active_count():
        with core.db.session() as s:
            return s.execute(text("SELECT count(*) FROM bookings WHERE space_id = :s AND day = :d AND status IN ('confirmed','checked_in')"),
                             {"s": sid, "d": day}).scalar()

    # fill the space up to `last` free desks (through the bot, sequentially)
    fill = n_desks - last - active_count()
    fillers, members = members[:max(0, fill)], members[max(0, fill):]
    for m, e in fillers:
        assert bot_one(d, Req(m, e, slug, town, sid, day))
    if fill < 0:
        raise RuntimeError(f"space {slug} has fewer than {last} free desks on {day}")
    before = active_count()
    racers = members[:clients]
    results: list[bool] = []
    lat: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def go(m, e):
        barrier.wait()
        t = time.perf_counter()
        try:
            ok = bot_one(d, Req(m, e, slug, town, sid, day))
        except Exception:
            ok = False
        with lock:
            results.append(ok)
            lat.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    ths = [threading.Thread(target=go, args=r) for r in racers]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    wall = time.perf_counter() - t0
    after = active_count()
    with core.db.session() as s:
        # every contingent account used == what its active bookings were charged (global invariant)
        mismatched = s.execute(text("""
            SELECT count(*) FROM contingent_accounts a LEFT JOIN (
                SELECT acct, sum(ch) AS charged FROM (
                    SELECT member_account_id AS acct, charged_halves AS ch FROM bookings
                     WHERE member_account_id IS NOT NULL AND status IN ('confirmed','checked_in','no_show')
                    UNION ALL
                    SELECT pool_account_id, charged_halves FROM bookings
                     WHERE pool_account_id IS NOT NULL AND status IN ('confirmed','checked_in','no_show')) x
                GROUP BY acct) c ON c.acct = a.id
            WHERE a.used_halves <> coalesce(c.charged, 0)""")).scalar()
        overbooked = s.execute(text("""SELECT count(*) FROM (SELECT desk_id FROM bookings WHERE day = :d
            AND status IN ('confirmed','checked_in') GROUP BY desk_id HAVING count(*) > 1 AND max(part) = 'full') x"""),
                               {"d": day}).scalar()
    return {"clients": clients, "free_before": n_desks - before, "booked": after - before, "confirmed_replies": sum(results),
            "accounts_mismatched": mismatched, "desks_double_booked": overbooked, "wall_s": wall,
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
            "ok": (after - before == last and sum(results) == last and mismatched == 0 and overbooked == 0)}


# ------------------------------------------------------------------------------------------ footprint

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> tuple[float, float]:
    txt = open(f"/proc/{pid}/status").read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", txt).group(1)) / 1024
    hwm = int(re.search(r"VmHWM:\s+(\d+)", txt).group(1)) / 1024
    return rss, hwm


# `deskbot run` as the console script starts it, with the bot's clock at the bench world's "now" (NOW + the time
# since start): the world's bookings are dated around NOW, so on the real clock a run weeks later would first
# release every booking of the days since NOW as a no-show (44 000 on the large world, a catch-up, not the
# steady state this measures). Only `Clock.now` is shifted; APScheduler's intervals run on real time.
_RUN_AT = """
import sys
from datetime import datetime
import bot.clock as c
off = datetime.fromisoformat(sys.argv.pop(1)) - datetime.now(c.ZoneInfo("Europe/Berlin"))
real = c.Clock.now
c.Clock.now = lambda self: real(self) + off
from bot.cli import main
sys.argv[0] = "deskbot"
main()
"""


def bench_footprint(db_url: str, runs: int = 3, *, at=NOW) -> dict:
    """`deskbot run` with no transport and DESKBOT_HTTP_PORT: time to /healthz 200, RSS then and after 10 s.

    `at`: the bot's clock at start (default: the bench world's NOW; None: the real clock)."""
    exe = str(ROOT / ".venv" / "bin" / "deskbot")
    cmd = [exe, "run"] if at is None else [str(ROOT / ".venv" / "bin" / "python"), "-c", _RUN_AT, at.isoformat(), "run"]
    out = []
    for i in range(runs):
        port = _free_port()
        tmp = tempfile.mkdtemp(prefix="deskbot-fp-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_")}
        env.update(DESKBOT_DATABASE_URL=db_url, DESKBOT_HTTP_PORT=str(port), DESKBOT_DATA_DIR=tmp,
                   DESKBOT_WORLD_FILE=str(ROOT / "config" / "demo_world.yaml"), DESKBOT_LOG_LEVEL="WARNING")
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ready = None
        try:
            while time.perf_counter() - t0 < 30:
                if p.poll() is not None:
                    raise RuntimeError(f"deskbot run exited {p.returncode}: {p.stderr.read()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                        if r.status == 200:
                            ready = time.perf_counter() - t0
                            break
                except Exception:
                    pass
                time.sleep(0.01)
            rss_ready, _ = _rss_mb(p.pid)
            settle = 10 if i == 0 else 2
            time.sleep(settle)  # let the scheduler tick and deliver once
            for _ in range(5):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read()
            rss_later, hwm = _rss_mb(p.pid)
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        out.append({"ready_s": ready, "rss_ready_mb": rss_ready, "rss_after_mb": rss_later, "rss_peak_mb": hwm,
                    "settle_s": settle})
    best = min(out, key=lambda r: r["ready_s"] or 99)
    return {"clock_at_start": at.isoformat() if at is not None else "real", "runs": out, "ready_s_min": best["ready_s"], "ready_s_max": max(r["ready_s"] or 99 for r in out),
            "rss_peak_mb_max": max(r["rss_peak_mb"] for r in out)}


# ------------------------------------------------------------------------------------------ parser

def bench_parser(rounds: int = 20) -> dict:
    res = {}
    for cold in (False, True):
        r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_parser.py"), "--rounds", str(rounds),
                            *(["--cold"] if cold else [])], capture_output=True, text=True, cwd=str(ROOT), timeout=300)
        m = re.search(r"([\d,]+) msgs/s", r.stdout)
        res["cold" if cold else "warm"] = float(m.group(1).replace(",", "")) if m else None
        res["output_" + ("cold" if cold else "warm")] = r.stdout.strip()
    return res
