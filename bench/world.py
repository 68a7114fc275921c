"""Synthetic regional world for the benchmarks: spaces, desks, employers, members, bookings.

    .venv/bin/python bench/world.py --store pg --spaces 500 --members 100000 --bookings 2000000

The schema comes from the bot's own Alembic migrations; the rows are bulk-loaded (PostgreSQL: COPY,
SQLite: executemany in 50 000-row batches inside one transaction). The overlap guards of the
`bookings` table (PostgreSQL exclusion constraints + indexes, SQLite triggers + indexes) are dropped
for the load and made again afterwards from their stored definitions, so the finished database is
exactly what the migrations build (the re-creation also validates every row against them).

Shape of the data (deterministic, seeded):
- `spaces` coworking spaces (the eleven real towns of Kreis Coesfeld first, then invented place
  names), 20 desks each, open Mon-Fri 08:00-18:00, holidays of NRW;
- `members` members, each with a Telegram identity and an employee role at one of the employers
  (100 employers, 20 days per employee and month, every second one also with a monthly pool), a
  contingent account for this and next month; one operator per space; an invite code per employer;
- `bookings` bookings over the working days up to 30 days ahead of the bench clock (2026-11-23),
  ~70 % of the desks booked each day: 85 % full days, 10 % mornings, 5 % afternoons; past days are
  checked in / no-show / cancelled, future days confirmed / cancelled. Historic bookings are
  self-paid (the contingent accounts start at zero used).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import NOW, ROOT  # noqa: E402

TOWNS = ["Ascheberg", "Billerbeck", "Coesfeld", "Dülmen", "Havixbeck", "Lüdinghausen", "Nordkirchen", "Nottuln",
         "Olfen", "Rosendahl", "Senden"]
_PRE = ["Alten", "Neuen", "Ober", "Nieder", "Klein", "Groß", "Hohen", "Wester", "Oster", "Süder", "Norder", "Mittel",
        "Linden", "Buchen", "Eichen", "Birken", "Tannen", "Erlen", "Weiden", "Ulmen", "Rosen", "Lilien", "Heide", "Moor",
        "Bruch", "Wald", "Feld", "Berg", "Tal", "Bach", "Fuchs", "Hasen", "Wolfs", "Bären", "Adler", "Falken", "Kranich",
        "Reiher", "Schwanen", "Lerchen"]
_SUF = ["dorf", "hausen", "heim", "feld", "horst", "kamp", "lohe", "stede", "wick", "ingen", "rode", "au", "bühren"]
DESKS_PER_SPACE = 20
HOURS = {"mon": ["08:00", "18:00"], "tue": ["08:00", "18:00"], "wed": ["08:00", "18:00"], "thu": ["08:00", "18:00"],
         "fri": ["08:00", "18:00"], "sat": None, "sun": None}
EPOCH = date(2000, 1, 1)
FUTURE_DAYS = 30


@dataclass
class Spec:
    spaces: int
    members: int
    bookings: int
    employers: int = 100
    seed: int = 8


def town_names(n: int) -> list[str]:
    names = list(TOWNS)
    for p in _PRE:
        for s in _SUF:
            if len(names) >= n:
                return names[:n]
            names.append(p + s)
    if len(names) < n:
        raise ValueError(f"at most {len(names)} spaces")
    return names[:n]


def slug_of(town: str) -> str:
    return town.lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae").replace("ß", "ss")


def working_days(today: date, n: int) -> list[date]:
    """The last n working days (Mon-Fri, not an NRW holiday) ending FUTURE_DAYS after today."""
    import holidays

    hol = holidays.country_holidays("DE", subdiv="NW", years=range(today.year - 3, today.year + 2))
    out: list[date] = []
    d = today + timedelta(days=FUTURE_DAYS)
    while len(out) < n:
        if d.weekday() < 5 and d not in hol:
            out.append(d)
        d -= timedelta(days=1)
    return sorted(out)


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


# ------------------------------------------------------------------------------------------ rows

def rows(spec: Spec, dt, dd, js, b):
    """Yield (table, columns, iterator of row tuples). dt/dd/js/b format datetimes/dates/json/bools."""
    rnd = random.Random(spec.seed)
    today = NOW.date()
    ts = dt(NOW)
    towns = town_names(spec.spaces)
    n_emp = min(spec.employers, max(1, spec.members // 100))

    yield "regions", ("id", "slug", "name", "holiday_region", "timezone"), iter([(1, "muensterland", "Münsterland", "NW",
                                                                                 "Europe/Berlin")])
    yield "spaces", ("id", "slug", "name", "town", "address", "timezone", "opening_hours", "holiday_region",
                     "day_price_cents", "cancel_cutoff_hours", "checkin_deadline_minutes", "active", "lat", "lon",
                     "region_id"), (
        (i + 1, slug_of(t), f"Coworking {t}", t, f"Hauptstraße {i + 1}, 48653 {t}", "Europe/Berlin", js(HOURS), "NW",
         1500, 12, 120, b(True), None, None, 1) for i, t in enumerate(towns))
    yield "desks", ("id", "space_id", "label", "features", "active"), (
        (s * DESKS_PER_SPACE + k + 1, s + 1, str(k + 1), "[]", b(True))
        for s in range(spec.spaces) for k in range(DESKS_PER_SPACE))
    yield "employers", ("id", "slug", "name", "days_per_employee_halves", "pool_halves", "alert_percent", "active",
                        "region_id"), (
        (e + 1, f"firma-{e + 1}", f"Firma {e + 1} GmbH", 40, 1_000_000 if e % 2 == 0 else None, 20, b(True), 1)
        for e in range(n_emp))
    yield "invite_codes", ("id", "code", "kind", "employer_id", "space_id", "expires_at", "max_uses", "uses",
                           "created_at", "region_id"), (
        (e + 1, f"FIRMA{e + 1}-2026", "employee", e + 1, None, None, None, 0, ts, 1) for e in range(n_emp))
    yield "members", ("id", "display_name", "lang", "commute_km", "prefs", "created_at", "last_seen_at", "deleted_at"), (
        (i + 1, f"Member {i + 1}", "de" if i % 5 else "en", None, "{}", ts, ts, None) for i in range(spec.members))
    yield "identities", ("id", "member_id", "transport", "external_id", "chat_id", "blocked_at", "last_used_at"), (
        (i + 1, i + 1, "telegram", str(10_000_000 + i), str(10_000_000 + i), None, ts) for i in range(spec.members))
    n_ops = min(spec.spaces, spec.members // 2)

    def roles():
        for i in range(spec.members):
            e = i % n_emp
            yield (i + 1, i + 1, "employee", f"employer:{e + 1}", e + 1, None, None, ts)
        for j in range(n_ops):
            m = spec.members - j
            yield (spec.members + j + 1, m, "operator", f"space:{j + 1}", None, j + 1, None, ts)

    yield "roles", ("id", "member_id", "kind", "scope", "employer_id", "space_id", "contingent_override_halves",
                    "created_at"), roles()
    months = [month_key(today), month_key(date(today.year + today.month // 12, today.month % 12 + 1, 1))]

    def accounts():
        k = 0
        for mo in months:
            for e in range(n_emp):
                if e % 2 == 0:
                    k += 1
                    yield (k, e + 1, "pool", mo, 1_000_000, 0, b(False))
            for i in range(spec.members):
                k += 1
                yield (k, i % n_emp + 1, f"member:{i + 1}", mo, 40, 0, b(False))

    yield "contingent_accounts", ("id", "employer_id", "scope", "month", "granted_halves", "used_halves", "alerted"), accounts()

    n_desks = spec.spaces * DESKS_PER_SPACE
    per_day = int(n_desks * 0.7)
    n_days = -(-spec.bookings // per_day)
    days = working_days(today, n_days)

    def bookings():
        bid = 0
        left = spec.bookings
        for d in days:
            k = min(per_day, left, spec.members)
            left -= k
            desks = rnd.sample(range(n_desks), k)
            members = rnd.sample(range(spec.members), k)
            ordinal = (d - EPOCH).days * 1440
            past = d < today
            created = dt(NOW - timedelta(days=max(1, (today - d).days + 3)))
            for desk, m in zip(desks, members):
                bid += 1
                r = rnd.random()
                part, m0, m1 = ("full", 480, 1080) if r < 0.85 else (("morning", 480, 780) if r < 0.95 else ("afternoon", 780, 1080))
                r = rnd.random()
                if past:
                    status = "checked_in" if r < 0.80 else ("no_show" if r < 0.88 else "cancelled")
                else:
                    status = "confirmed" if r < 0.9 else "cancelled"
                yield (bid, m + 1, desk // DESKS_PER_SPACE + 1, desk + 1, dd(d), part, m0, m1, ordinal + m0, ordinal + m1,
                       0, "", status, "self", None, 0, None, None, 1500 if part == "full" else 750, created, created,
                       created if status == "checked_in" else None, created if status == "cancelled" else None)

    yield "bookings", ("id", "member_id", "space_id", "desk_id", "day", "part", "start_min", "end_min", "t0", "t1", "seat",
                       "group_ref", "status", "payer", "employer_id", "charged_halves", "member_account_id",
                       "pool_account_id", "price_cents", "created_at", "updated_at", "checked_in_at", "cancelled_at"), bookings()


# ------------------------------------------------------------------------------------------ writers

def migrate(url: str) -> None:
    from bot.storage.db import Database

    db = Database(url)
    db.migrate()
    db.dispose()


def load_pg(dbname: str, spec: Spec, log=print) -> dict:
    import psycopg

    from common import pg_dsn, pg_sqlalchemy_url

    t_start = time.perf_counter()
    migrate(pg_sqlalchemy_url(dbname))
    t_mig = time.perf_counter() - t_start
    counts = {}
    with psycopg.connect(pg_dsn(dbname)) as conn:
        cur = conn.cursor()
        # remember and drop the bookings guards (made again below, which also checks every row)
        cons = cur.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                              WHERE conrelid = 'bookings'::regclass AND contype = 'x'""").fetchall()
        idx = cur.execute("""SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'bookings'
                             AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'bookings'::regclass)
                             """).fetchall()
        for name, _ in cons:
            cur.execute(f"ALTER TABLE bookings DROP CONSTRAINT {name}")
        for name, _ in idx:
            cur.execute(f"DROP INDEX {name}")
        cur.execute("DELETE FROM regions")  # migration 0008's 'default' region of an empty store: the world brings its own
        conn.commit()
        t_load = time.perf_counter()

        def dt(x):
            return x.isoformat()

        def fmt(v):
            if v is None:
                return "\\N"
            if v is True:
                return "t"
            if v is False:
                return "f"
            return str(v)

        for table, cols, it in rows(spec, dt, lambda d: d.isoformat(), json.dumps, lambda x: x):
            n = 0
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                buf = io.StringIO()
                for r in it:
                    buf.write("\t".join(map(fmt, r)))
                    buf.write("\n")
                    n += 1
                    if n % 100_000 == 0:
                        cp.write(buf.getvalue())
                        buf = io.StringIO()
                cp.write(buf.getvalue())
            counts[table] = n
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            log(f"  {table}: {n} rows ({time.perf_counter() - t_load:.1f}s)")
        conn.commit()
        t_copy = time.perf_counter() - t_load
        t_idx = time.perf_counter()
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, d in idx:
            cur.execute(d)
        for name, d in cons:
            cur.execute(f"ALTER TABLE bookings ADD CONSTRAINT {name} {d}")
        conn.commit()
        t_idx = time.perf_counter() - t_idx
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
        size = cur.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    total = time.perf_counter() - t_start
    return {"store": "postgresql", "rows": counts, "migrate_s": t_mig, "copy_s": t_copy, "index_s": t_idx,
            "total_s": total, "db_mb": size / 1e6}


def load_sqlite(path: Path, spec: Spec, log=print) -> dict:
    import sqlite3

    t_start = time.perf_counter()
    if path.exists():
        path.unlink()
    migrate(f"sqlite:///{path}")
    t_mig = time.perf_counter() - t_start
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    guards = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'bookings' "
                          "AND type IN ('trigger', 'index') AND sql IS NOT NULL").fetchall()
    for typ, name, _ in guards:
        conn.execute(f"DROP {typ.upper()} {name}")
    t_load = time.perf_counter()
    counts = {}
    conn.execute("BEGIN")
    conn.execute("DELETE FROM regions")  # migration 0008's 'default' region of an empty store: the world brings its own

    def dt(x):
        from datetime import timezone

        return x.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")

    for table, cols, it in rows(spec, dt, lambda d: d.isoformat(), json.dumps, lambda x: 1 if x else 0):
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        n = 0
        batch = []
        for r in it:
            batch.append(r)
            if len(batch) == 50_000:
                conn.executemany(sql, batch)
                n += len(batch)
                batch = []
        conn.executemany(sql, batch)
        n += len(batch)
        counts[table] = n
        log(f"  {table}: {n} rows ({time.perf_counter() - t_load:.1f}s)")
    conn.execute("COMMIT")
    t_copy = time.perf_counter() - t_load
    t_idx = time.perf_counter()
    for typ, _, sql in sorted(guards, key=lambda g: g[0] != "index"):
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    t_idx = time.perf_counter() - t_idx
    return {"store": "sqlite", "rows": counts, "migrate_s": t_mig, "copy_s": t_copy, "index_s": t_idx,
            "total_s": time.perf_counter() - t_start, "db_mb": path.stat().st_size / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", choices=["pg", "sqlite"], default="sqlite")
    ap.add_argument("--spaces", type=int, default=50)
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--bookings", type=int, default=200_000)
    ap.add_argument("--sqlite-path", default=str(ROOT / "bench" / ".data" / "world.sqlite3"))
    ap.add_argument("--keep", action="store_true", help="PostgreSQL: keep the database (its name is printed)")
    a = ap.parse_args()
    spec = Spec(a.spaces, a.members, a.bookings)
    if a.store == "pg":
        from common import create_pg_db, drop_pg_db

        name = create_pg_db("deskbot_world")
        try:
            print(name, load_pg(name, spec))
        finally:
            if not a.keep:
                drop_pg_db(name)
    else:
        p = Path(a.sqlite_path)
        p.parent.mkdir(parents=True, exist_ok=True)
        print(load_sqlite(p, spec))


if __name__ == "__main__":
    main()
