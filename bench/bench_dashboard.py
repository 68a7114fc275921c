"""Dashboard pages (issue 19): time per page over HTTP on the bench world (goal: each page <= 300 ms).

    .venv/bin/python bench/bench_dashboard.py                       # builds the large PostgreSQL world (500 spaces,
                                                                    # 100 000 members, 2 M bookings), then drops it
    .venv/bin/python bench/bench_dashboard.py --db deskbot_world_x  # an existing world (bench/world.py --keep)
    .venv/bin/python bench/bench_dashboard.py --quick               # the quick PostgreSQL world (50/10 000/200 000)

The world of bench/world.py has no commute distances and only self-paid bookings; before measuring, this
adds a distance to every third member and makes the employer pay every second member's bookings from
2026-10-01 on (charged half days set), so the km sums, the employer's month table and its upcoming bookings
have rows. A platform admin, the admin of `firma-2` (1 000 staff, half of them with employer-paid bookings) and the operator of space 1 get a session
each (through `redeem_link`, as the browser would), then `deskbot run`'s HTTP server (HealthServer with the
routers' pages, in this process on its own thread) is asked for each page `--n` times after two warm-up
requests; the time is from request to the last byte (urllib, keep-alive off), so it includes the session
and role checks, the queries and the template. The district page is measured twice: as it is served (its
figures kept for 5 minutes) and cold, with the process's figure cache emptied before every request, so each
of those requests computes the figures as the first view after a start does ("first" is the very first
request of the process). Results: bench/results/dashboard-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import NOW, ROOT, create_pg_db, drop_pg_db, machine, pg_dsn, pg_sqlalchemy_url, summary  # noqa: E402

GOAL_MS = 300
COLD = "district, cold (no cached figures)"


def prepare(dbname: str) -> dict:
    """Distances, employer-paid bookings, and the three roles' members. Returns their member ids."""
    import psycopg

    with psycopg.connect(pg_dsn(dbname), autocommit=True) as c:
        c.execute("UPDATE members SET commute_km = 5 + id % 40 WHERE id % 3 = 0")
        c.execute("""UPDATE bookings SET payer = 'employer', employer_id = (member_id - 1) % 100 + 1,
                     charged_halves = CASE WHEN status = 'cancelled' THEN 0 WHEN part = 'full' THEN 2 ELSE 1 END
                     WHERE member_id % 2 = 0 AND day >= '2026-10-01'""")
        n_members = c.execute("SELECT max(id) FROM members").fetchone()[0]
        admin, boss, op = 1, 102, c.execute("SELECT member_id FROM roles WHERE kind = 'operator' AND space_id = 1").fetchone()[0]
        c.execute("INSERT INTO roles (member_id, kind, scope, created_at) VALUES (%s, 'platform_admin', '', now()) ON CONFLICT DO NOTHING", (admin,))
        c.execute("""INSERT INTO roles (member_id, kind, scope, employer_id, created_at)
                     VALUES (%s, 'employer_admin', 'employer:2', 2, now()) ON CONFLICT DO NOTHING""", (boss,))
        c.execute("VACUUM ANALYZE bookings")
        c.execute("VACUUM ANALYZE members")
    return {"platform_admin": admin, "employer_admin": boss, "operator": op, "members": n_members}


class Server:
    def __init__(self, core, routes):
        from bot.health import HealthServer

        self.loop = asyncio.new_event_loop()
        self.server = HealthServer(core, port=0, host="127.0.0.1", routes=routes)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(30)
        self.port = self.server._runner.addresses[0][1]

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


def get(url: str, cookie: str) -> tuple[int, int, float]:
    req = urllib.request.Request(url, headers={"Cookie": f"deskbot_dashboard={cookie}", "Connection": "close"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        body = r.read()
        status = r.status
    return status, len(body), time.perf_counter() - t


def run(dbname: str, n: int) -> dict:
    from bench_booking import make_core

    from bot.dialogue import Dialogue
    from bot.features.dashboard import service

    ids = prepare(dbname)
    core = make_core(pg_sqlalchemy_url(dbname), Path(tempfile.mkdtemp(prefix="deskbot-dash-")))
    dlg = Dialogue(core)
    srv = Server(core, dlg.routes.http)
    base = f"http://127.0.0.1:{srv.port}"
    now = core.clock.now()
    cookies = {}
    for role in ("platform_admin", "employer_admin", "operator"):
        token = service.issue_link(core, ids[role], now)
        cookies[role] = service.redeem_link(core, token, now)[0]
    pages = [
        ("index (platform admin)", "platform_admin", "/dashboard"),
        ("district", "platform_admin", "/dashboard/district"),
        (COLD, "platform_admin", "/dashboard/district"),
        ("district utilisation.csv", "platform_admin", "/dashboard/district/utilisation.csv"),
        ("employer firma-2 (1 000 staff)", "employer_admin", "/dashboard/employer/firma-2"),
        ("employer firma-2, 2026-10", "employer_admin", "/dashboard/employer/firma-2?month=2026-10"),
        ("employer upcoming.csv", "employer_admin", "/dashboard/employer/firma-2/upcoming.csv"),
        ("space 1 (operator)", "operator", "/dashboard/space/" + _slug(core, 1)),
    ]
    out = {}
    try:
        for name, role, path in pages:
            cold = name == COLD  # every request computes the figures: the process's figure cache is emptied first
            first = get(base + path, cookies[role])
            assert first[0] == 200, (path, first)
            get(base + path, cookies[role])
            lat, size = [], first[1]
            t0 = time.perf_counter()
            for _ in range(n):
                if cold:
                    service._cache.clear()
                status, size, dt = get(base + path, cookies[role])
                assert status == 200
                lat.append(dt)
            out[name] = dict(summary(lat, time.perf_counter() - t0), path=path, first_ms=first[2] * 1000, bytes=size,
                             goal_ms=GOAL_MS, met=max(lat) * 1000 <= GOAL_MS)
            print(f"{name:34s} p50 {out[name]['p50_ms']:7.1f} ms  p95 {out[name]['p95_ms']:7.1f} ms  "
                  f"max {max(lat) * 1000:7.1f} ms  first {first[2] * 1000:7.1f} ms  {size / 1024:7.1f} KiB", flush=True)
    finally:
        srv.stop()
        core.close()
    return {"pages": out, "ids": ids}


def _slug(core, space_id: int) -> str:
    from bot.storage.models import Space

    with core.db.session() as s:
        return s.get(Space, space_id).slug


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="an existing PostgreSQL bench world (bench/world.py --store pg --keep); it is changed")
    ap.add_argument("--quick", action="store_true", help="build the quick world (50 spaces, 10 000 members, 200 000 bookings)")
    ap.add_argument("--n", type=int, default=20, help="requests per page")
    a = ap.parse_args()
    res = {"date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
           "command": " ".join([".venv/bin/python", "bench/bench_dashboard.py", *sys.argv[1:]]),
           "load_before": os.getloadavg()}  # the box is shared: the 1/5/15-minute load when the run began and ended
    built = None
    if a.db:
        name = a.db
        res["world"] = f"existing database {a.db}"
    else:
        from world import Spec, load_pg

        spec = Spec(50, 10_000, 200_000) if a.quick else Spec(500, 100_000, 2_000_000)
        built = name = create_pg_db("deskbot_dash")
        res["world"] = load_pg(name, spec)
    try:
        res.update(run(name, a.n))
    finally:
        if built:
            drop_pg_db(built)
    res["load_after"] = os.getloadavg()
    path = ROOT / "bench" / "results" / f"dashboard-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(res, indent=1, default=str))
    print("results:", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
