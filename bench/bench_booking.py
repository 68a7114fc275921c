"""Booking path: a chat message through `Dialogue.handle` to the reply, against a plain-driver baseline.

The bot side is the real thing: an `IncomingMessage` such as "Lindendorf am 3.12." from a known
Telegram member goes through `Dialogue.handle` (member resolve, parse, booking with contingent charge,
desk choice, reminders in the outbox, the undo and .ics button tokens: one transaction since issue 12).

The baseline does the same database work with the plain driver (sqlite3 / psycopg), hand-written:
the same statements against the same schema and indexes (resolve the identity, touch it and the
member, read the roles; then in one transaction: member lock (PostgreSQL), space, closure,
own-overlap check, employment, charge the member and pool accounts, free desks (FOR UPDATE SKIP
LOCKED on PostgreSQL), insert the booking, two reminder rows in the outbox, the undo token). It
does not parse and does not format a reply; `baseline+parse` adds the same parser call.

Requests are planned so that every one must succeed: a member without a booking that day, a space
with a free desk (counted from the database before the run). Bot and baseline take turns in blocks
of 50 requests so that both see the same database state and machine load.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from common import NOW, summary

ACTIVE = ("confirmed", "checked_in")


@dataclass
class Req:
    member_id: int
    ext: str
    slug: str
    town: str
    space_id: int
    day: date

    @property
    def text(self) -> str:
        return f"{self.town} am {self.day.day}.{self.day.month}."


def plan(conn_exec, n: int, seed: int = 1, exclude_members: set[int] | None = None, days_ahead: tuple[int, int] = (1, 30),
         spaces_subset: int | None = None) -> list[Req]:
    """n bookable requests: (member free that day) x (space with a free desk that day)."""
    import holidays

    rnd = random.Random(seed)
    today = NOW.date()
    hol = holidays.country_holidays("DE", subdiv="NW", years=[today.year, today.year + 1])
    days = [today + timedelta(days=i) for i in range(days_ahead[0], days_ahead[1] + 1)]
    days = [d for d in days if d.weekday() < 5 and d not in hol]
    spaces = conn_exec("SELECT id, slug, town FROM spaces WHERE active ORDER BY id", ())
    if spaces_subset:
        spaces = spaces[:spaces_subset]
    desks = dict(conn_exec("SELECT space_id, count(*) FROM desks WHERE active GROUP BY space_id", ()))
    members = [r for r in conn_exec("SELECT i.member_id, i.external_id FROM identities i WHERE i.transport = 'telegram'", ())]
    exclude = exclude_members or set()
    members = [m for m in members if m[0] not in exclude]
    free: dict[tuple[int, date], int] = {}
    busy_members: dict[date, set[int]] = defaultdict(set)
    for d in days:
        used = dict(conn_exec("SELECT space_id, count(DISTINCT desk_id) FROM bookings WHERE day = ? AND status IN ('confirmed','checked_in') GROUP BY space_id", (d,)))
        for sid, _, _ in spaces:
            free[(sid, d)] = desks.get(sid, 0) - used.get(sid, 0)
        busy_members[d] = {r[0] for r in conn_exec("SELECT member_id FROM bookings WHERE day = ? AND status IN ('confirmed','checked_in')", (d,))}
    out: list[Req] = []
    rnd.shuffle(members)
    mi = 0
    slots = [(sid, slug, town, d) for d in days for sid, slug, town in spaces]
    rnd.shuffle(slots)
    si = 0
    while len(out) < n:
        if si >= len(slots) * 50:
            raise RuntimeError(f"world too small for {n} requests (planned {len(out)})")
        sid, slug, town, d = slots[si % len(slots)]
        si += 1
        if free[(sid, d)] <= 0:
            continue
        # next member free on that day
        for _ in range(len(members)):
            m, ext = members[mi % len(members)]
            mi += 1
            if m not in busy_members[d]:
                break
        else:
            continue
        busy_members[d].add(m)
        free[(sid, d)] -= 1
        out.append(Req(m, ext, slug, town, sid, d))
    return out


def sqlite_exec(path):
    import sqlite3

    conn = sqlite3.connect(path)

    def ex(sql, params):
        params = tuple(p.isoformat() if isinstance(p, date) else p for p in params)
        return conn.execute(sql, params).fetchall()

    return ex, conn.close


def pg_exec(dsn):
    import psycopg

    conn = psycopg.connect(dsn, autocommit=True)

    def ex(sql, params):
        return conn.execute(sql.replace("?", "%s"), params).fetchall()

    return ex, conn.close


# ------------------------------------------------------------------------------------------ bot side

def make_core(url: str, tmpdir, pool_size: int | None = None):
    from bot.app import build_core
    from bot.clock import OffsetClock
    from bot.settings import Settings
    from common import ROOT

    settings = Settings(database_url=url, world_file=ROOT / "config" / "demo_world.yaml", data_dir=tmpdir)
    clock = OffsetClock()
    clock.set(NOW)  # the bench world's Monday 08:00, and running from there (so "last seen" really changes)
    core = build_core(settings, clock=clock)
    if pool_size is not None and core.db.is_postgres:  # for the 32-thread run: a pool as large as the thread count
        from bot.storage.db import make_engine

        core.db.engine.dispose()
        core.db.engine = make_engine(url, pool_size=pool_size)
        core.db._sessions.configure(bind=core.db.engine)
    return core


def bot_one(dialogue, r: Req) -> bool:
    from bot.domain import IncomingMessage

    msg = IncomingMessage("telegram", r.ext, r.ext, r.text, display_name=f"Member {r.member_id}")
    replies = dialogue.handle(msg)
    # the confirmation with its buttons (undo, and since 59f051b the .ics behind a button instead of attached)
    return bool(replies and replies[0].text.startswith("✅") and replies[0].choices)


# ------------------------------------------------------------------------------------------ baseline

_HOL: dict = {}


def _holiday(day: date) -> bool:
    from bot.booking import holiday_name

    key = day
    if key not in _HOL:
        _HOL[key] = holiday_name("NW", day) is not None
    return _HOL[key]


WD = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SqliteBaseline:
    """The same transaction with the sqlite3 module, same pragmas as the bot's engine."""

    def __init__(self, path: str) -> None:
        import sqlite3

        self.conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
        for p in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "secure_delete=ON", "busy_timeout=60000"):
            self.conn.execute(f"PRAGMA {p}")

    @staticmethod
    def ts(dt: datetime) -> str:
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")

    def book(self, r: Req, slug: str, day: date, part: str | None) -> bool:
        c = self.conn
        now = NOW
        nts = self.ts(now)
        # resolve (own short transaction, as the bot)
        c.execute("BEGIN IMMEDIATE")
        ident = c.execute("SELECT id, member_id, chat_id FROM identities WHERE transport = ? AND external_id = ?",
                          ("telegram", r.ext)).fetchone()
        mem = c.execute("SELECT id, display_name, lang, prefs, deleted_at FROM members WHERE id = ?", (ident[1],)).fetchone()
        c.execute("UPDATE identities SET last_used_at = ? WHERE id = ?", (nts, ident[0]))
        c.execute("UPDATE members SET last_seen_at = ? WHERE id = ?", (nts, mem[0]))
        c.execute("SELECT kind, employer_id, space_id FROM roles WHERE member_id = ?", (mem[0],)).fetchall()
        c.execute("COMMIT")
        member_id = mem[0]
        c.execute("BEGIN IMMEDIATE")
        try:
            sp = c.execute("SELECT id, opening_hours, day_price_cents FROM spaces WHERE slug = ? AND active", (slug,)).fetchone()
            if c.execute("SELECT reason FROM space_closures WHERE space_id = ? AND day = ?", (sp[0], day.isoformat())).fetchone():
                raise RuntimeError("closed")
            if _holiday(day):
                raise RuntimeError("holiday")
            hours = json.loads(sp[1])[WD[day.weekday()]]
            o = int(hours[0][:2]) * 60 + int(hours[0][3:])
            cl = int(hours[1][:2]) * 60 + int(hours[1][3:])
            m0, m1 = (o, min(780, cl)) if part == "morning" else ((max(780, o), cl) if part == "afternoon" else (o, cl))
            base = (day - date(2000, 1, 1)).days * 1440
            t0, t1 = base + m0, base + m1
            if c.execute("SELECT id FROM bookings WHERE member_id = ? AND day = ? AND seat = 0 AND status IN ('confirmed','checked_in') "
                         "AND t0 < ? AND t1 > ?", (member_id, day.isoformat(), t1, t0)).fetchone():
                raise RuntimeError("already")
            emp = c.execute("SELECT e.id, e.days_per_employee_halves, e.pool_halves, r.contingent_override_halves "
                            "FROM employers e JOIN roles r ON r.employer_id = e.id WHERE r.member_id = ? "
                            "AND r.kind = 'employee' AND e.active ORDER BY r.id LIMIT 1", (member_id,)).fetchone()
            halves = 1 if part in ("morning", "afternoon") else 2
            month = f"{day.year:04d}-{day.month:02d}"
            accts = []
            for scope, granted in ((f"member:{member_id}", emp[3] if emp[3] is not None else emp[1]), ("pool", emp[2])):
                if granted is None:
                    accts.append(None)
                    continue
                row = c.execute("UPDATE contingent_accounts SET used_halves = used_halves + ? WHERE employer_id = ? "
                                "AND scope = ? AND month = ? AND used_halves + ? <= granted_halves "
                                "RETURNING id, granted_halves, used_halves", (halves, emp[0], scope, month, halves)).fetchone()
                if row is None:
                    raise RuntimeError("no contingent")
                accts.append(row)
            desk = c.execute("SELECT d.id, d.label FROM desks d WHERE d.space_id = ? AND d.active AND NOT EXISTS ("
                             "SELECT 1 FROM bookings b WHERE b.desk_id = d.id AND b.day = ? AND b.status IN ('confirmed','checked_in') "
                             "AND b.t0 < ? AND b.t1 > ?) ORDER BY d.id", (sp[0], day.isoformat(), t1, t0)).fetchall()
            if not desk:
                raise RuntimeError("full")
            bid = c.execute(
                "INSERT INTO bookings (member_id, space_id, desk_id, day, part, start_min, end_min, t0, t1, seat, group_ref, "
                "status, payer, employer_id, charged_halves, member_account_id, pool_account_id, price_cents, created_at, "
                "updated_at) VALUES (?,?,?,?,?,?,?,?,?,0,?,'confirmed','employer',?,?,?,?,?,?,?) RETURNING id",
                (member_id, sp[0], desk[0][0], day.isoformat(), part or "full", m0, m1, t0, t1, secrets.token_hex(6), emp[0],
                 halves, accts[0][0] if accts[0] else None, accts[1][0] if accts[1] else None,
                 sp[2] * halves // 2, nts, nts)).fetchone()[0]
            for kind, key, due in (("reminder_evening", f"rem-eve:{bid}", datetime.combine(day - timedelta(days=1), datetime.min.time().replace(hour=18), tzinfo=NOW.tzinfo)),
                                   ("reminder_morning", f"rem-mor:{bid}", datetime.combine(day, datetime.min.time().replace(hour=7, minute=30), tzinfo=NOW.tzinfo))):
                c.execute("INSERT INTO outbox (dedupe_key, kind, recipient_member_id, payload, booking_id, due_at, status, "
                          "attempts, created_at) VALUES (?,?,?,?,?,?,'pending',0,?) ON CONFLICT (dedupe_key) DO NOTHING",
                          (key, kind, member_id, json.dumps({"booking_id": bid}), bid, self.ts(due), nts))
            c.execute("INSERT INTO pending_actions (token, member_id, action, created_at, expires_at) VALUES (?,?,?,?,?)",
                      (secrets.token_urlsafe(12), member_id, json.dumps({"op": "undo", "ids": [bid], "group": "x"}), nts,
                       self.ts(now + timedelta(days=7))))
            c.execute("COMMIT")
            return True
        except BaseException:
            c.execute("ROLLBACK")
            raise


class PgBaseline:
    """The same transaction with psycopg 3 (prepared statements after the 5th use, like any psycopg app)."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.conn = psycopg.connect(dsn)

    def book(self, r: Req, slug: str, day: date, part: str | None) -> bool:
        from psycopg.types.json import Jsonb  # noqa: F401

        c = self.conn
        now = NOW
        with c.transaction():
            ident = c.execute("SELECT id, member_id, chat_id FROM identities WHERE transport = %s AND external_id = %s",
                              ("telegram", r.ext)).fetchone()
            mem = c.execute("SELECT id, display_name, lang, prefs, deleted_at FROM members WHERE id = %s", (ident[1],)).fetchone()
            c.execute("UPDATE identities SET last_used_at = %s WHERE id = %s", (now, ident[0]))
            c.execute("UPDATE members SET last_seen_at = %s WHERE id = %s", (now, mem[0]))
            c.execute("SELECT kind, employer_id, space_id FROM roles WHERE member_id = %s", (mem[0],)).fetchall()
        member_id = mem[0]
        with c.transaction():
            c.execute("SELECT id FROM members WHERE id = %s FOR UPDATE", (member_id,))
            sp = c.execute("SELECT id, opening_hours, day_price_cents FROM spaces WHERE slug = %s AND active", (slug,)).fetchone()
            if c.execute("SELECT reason FROM space_closures WHERE space_id = %s AND day = %s", (sp[0], day)).fetchone():
                raise RuntimeError("closed")
            if _holiday(day):
                raise RuntimeError("holiday")
            hours = sp[1][WD[day.weekday()]] if isinstance(sp[1], dict) else json.loads(sp[1])[WD[day.weekday()]]
            o = int(hours[0][:2]) * 60 + int(hours[0][3:])
            cl = int(hours[1][:2]) * 60 + int(hours[1][3:])
            m0, m1 = (o, min(780, cl)) if part == "morning" else ((max(780, o), cl) if part == "afternoon" else (o, cl))
            base = (day - date(2000, 1, 1)).days * 1440
            t0, t1 = base + m0, base + m1
            if c.execute("SELECT id FROM bookings WHERE member_id = %s AND day = %s AND seat = 0 AND status IN ('confirmed','checked_in') "
                         "AND t0 < %s AND t1 > %s", (member_id, day, t1, t0)).fetchone():
                raise RuntimeError("already")
            emp = c.execute("SELECT e.id, e.days_per_employee_halves, e.pool_halves, r.contingent_override_halves "
                            "FROM employers e JOIN roles r ON r.employer_id = e.id WHERE r.member_id = %s "
                            "AND r.kind = 'employee' AND e.active ORDER BY r.id LIMIT 1", (member_id,)).fetchone()
            halves = 1 if part in ("morning", "afternoon") else 2
            month = f"{day.year:04d}-{day.month:02d}"
            accts = []
            for scope, granted in ((f"member:{member_id}", emp[3] if emp[3] is not None else emp[1]), ("pool", emp[2])):
                if granted is None:
                    accts.append(None)
                    continue
                row = c.execute("UPDATE contingent_accounts SET used_halves = used_halves + %s WHERE employer_id = %s "
                                "AND scope = %s AND month = %s AND used_halves + %s <= granted_halves "
                                "RETURNING id, granted_halves, used_halves", (halves, emp[0], scope, month, halves)).fetchone()
                if row is None:
                    raise RuntimeError("no contingent")
                accts.append(row)
            desk = c.execute("SELECT d.id, d.label FROM desks d WHERE d.space_id = %s AND d.active AND NOT EXISTS ("
                             "SELECT 1 FROM bookings b WHERE b.desk_id = d.id AND b.day = %s AND b.status IN ('confirmed','checked_in') "
                             "AND b.t0 < %s AND b.t1 > %s) ORDER BY d.id FOR UPDATE SKIP LOCKED", (sp[0], day, t1, t0)).fetchall()
            if not desk:
                raise RuntimeError("full")
            bid = c.execute(
                "INSERT INTO bookings (member_id, space_id, desk_id, day, part, start_min, end_min, t0, t1, seat, group_ref, "
                "status, payer, employer_id, charged_halves, member_account_id, pool_account_id, price_cents, created_at, "
                "updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,0,%s,'confirmed','employer',%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                (member_id, sp[0], desk[0][0], day, part or "full", m0, m1, t0, t1, secrets.token_hex(6), emp[0],
                 halves, accts[0][0] if accts[0] else None, accts[1][0] if accts[1] else None,
                 sp[2] * halves // 2, now, now)).fetchone()[0]
            for kind, key, due in (("reminder_evening", f"rem-eve:{bid}", datetime.combine(day - timedelta(days=1), datetime.min.time().replace(hour=18), tzinfo=NOW.tzinfo)),
                                   ("reminder_morning", f"rem-mor:{bid}", datetime.combine(day, datetime.min.time().replace(hour=7, minute=30), tzinfo=NOW.tzinfo))):
                c.execute("INSERT INTO outbox (dedupe_key, kind, recipient_member_id, payload, booking_id, due_at, status, "
                          "attempts, created_at) VALUES (%s,%s,%s,%s,%s,%s,'pending',0,%s) ON CONFLICT (dedupe_key) DO NOTHING",
                          (key, kind, member_id, json.dumps({"booking_id": bid}), bid, due, now))
            c.execute("INSERT INTO pending_actions (token, member_id, action, created_at, expires_at) VALUES (%s,%s,%s,%s,%s)",
                      (secrets.token_urlsafe(12), member_id, json.dumps({"op": "undo", "ids": [bid], "group": "x"}), now,
                       now + timedelta(days=7)))
        return True


# ------------------------------------------------------------------------------------------ runs

def run_sequential(dialogue, baseline, reqs: list[Req], spaces, block: int = 50) -> dict:
    """Bot, baseline and baseline+parse take turns in blocks; returns a summary per side."""
    from bot.intents import parse

    sides = {"bot": [], "baseline": [], "baseline+parse": []}
    walls = {k: 0.0 for k in sides}
    fails = {k: 0 for k in sides}
    chunks = [reqs[i:i + block] for i in range(0, len(reqs), block)]
    for i, chunk in enumerate(chunks):
        side = ("bot", "baseline", "baseline+parse")[i % 3]
        t_block = time.perf_counter()
        for r in chunk:
            t = time.perf_counter()
            if side == "bot":
                ok = bot_one(dialogue, r)
            elif side == "baseline":
                ok = baseline.book(r, r.slug, r.day, None)
            else:
                it = parse(r.text, NOW, spaces)
                ok = baseline.book(r, it.space, it.dates[0], it.part)
            sides[side].append(time.perf_counter() - t)
            fails[side] += not ok
        walls[side] += time.perf_counter() - t_block
    out = {k: dict(summary(v, walls[k]), failed=fails[k]) for k, v in sides.items()}
    out["ratio_bot_vs_baseline"] = out["bot"]["per_s"] / out["baseline"]["per_s"]
    out["ratio_bot_vs_baseline+parse"] = out["bot"]["per_s"] / out["baseline+parse"]["per_s"]
    return out


def run_threads(fn, reqs: list[Req], threads: int) -> dict:
    lat: list[float] = []
    fails = [0]
    lock = threading.Lock()
    parts = [reqs[i::threads] for i in range(threads)]
    start = threading.Barrier(threads + 1)

    def work(items):
        local = []
        bad = 0
        start.wait()
        for r in items:
            t = time.perf_counter()
            try:
                ok = fn(r)
            except Exception:
                ok = False
            local.append(time.perf_counter() - t)
            bad += not ok
        with lock:
            lat.extend(local)
            fails[0] += bad

    ths = [threading.Thread(target=work, args=(p,)) for p in parts]
    for t in ths:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in ths:
        t.join()
    wall = time.perf_counter() - t0
    return dict(summary(lat, wall), failed=fails[0], threads=threads)
