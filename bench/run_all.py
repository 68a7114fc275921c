"""The whole benchmark suite in one run: `make bench` (full, ~15 min) or `--quick` (small world, ~3 min).

    .venv/bin/python bench/run_all.py [--quick] [--only booking,queries,...] [--keep]

Builds the worlds (PostgreSQL: own database, dropped at the end; SQLite: bench/.data/), runs every
measurement and writes bench/results/<full|quick>-<UTC timestamp>.json plus a markdown table on
stdout (the one in bench/README.md comes from such a run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, create_pg_db, drop_pg_db, machine, pg_dsn, pg_sqlalchemy_url  # noqa: E402

FULL = dict(pg=(500, 100_000, 2_000_000), sqlite=(50, 10_000, 200_000), book_n=300, threads=32, per_thread=20,
            contention=200, fan_limited=1500, fan_limited_default=600, fan_lifted=10_000, fan_lifted_small=3000, footprint_runs=3, parser_rounds=20,
            query_n=300)
QUICK = dict(pg=(50, 10_000, 200_000), sqlite=(20, 2_000, 40_000), book_n=100, threads=32, per_thread=5,
             contention=200, fan_limited=300, fan_limited_default=150, fan_lifted=2_000, fan_lifted_small=1000, footprint_runs=1, parser_rounds=5,
             query_n=100)
SECTIONS = ("world", "queries", "booking", "threads", "contention", "fanout", "footprint", "parser")


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default=",".join(SECTIONS))
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL world database")
    a = ap.parse_args()
    cfg = QUICK if a.quick else FULL
    only = set(a.only.split(","))
    started = time.perf_counter()
    res: dict = {"mode": "quick" if a.quick else "full", "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "machine": machine(), "config": cfg, "command": " ".join([".venv/bin/python", "bench/run_all.py", *sys.argv[1:]])}
    log("machine", res["machine"])
    from world import Spec, load_pg, load_sqlite

    tmp = Path(tempfile.mkdtemp(prefix="deskbot-bench-"))
    data = ROOT / "bench" / ".data"
    data.mkdir(exist_ok=True)
    sqlite_path = data / ("world-quick.sqlite3" if a.quick else "world.sqlite3")
    pg_name = create_pg_db("deskbot_bench")
    stores = {"sqlite": f"sqlite:///{sqlite_path}", "postgresql": pg_sqlalchemy_url(pg_name)}
    try:
        # 1. worlds --------------------------------------------------------------------------------
        log("world: PostgreSQL", cfg["pg"])
        res["world_pg"] = load_pg(pg_name, Spec(*cfg["pg"]), log=lambda m: log(m))
        log("world: SQLite", cfg["sqlite"])
        for p in sqlite_path.parent.glob(sqlite_path.name + "*"):
            p.unlink()
        res["world_sqlite"] = load_sqlite(sqlite_path, Spec(*cfg["sqlite"]), log=lambda m: log(m))
        _save(res, a.quick)

        from bench_booking import PgBaseline, SqliteBaseline, make_core, pg_exec, plan, run_sequential, run_threads, bot_one, sqlite_exec
        from bot.dialogue import Dialogue

        cores = {k: make_core(u, tmp / k) for k, u in stores.items()}
        # 3. queries on the large world (before the writes below) ---------------------------------
        if "queries" in only:
            from bench_misc import bench_queries

            for k, core in cores.items():
                log("queries", k)
                res[f"queries_{k}"] = bench_queries(core, cfg["query_n"])
                _save(res, a.quick)
        # 2. booking path vs plain driver --------------------------------------------------------
        used: set[int] = set()
        if "booking" in only:
            for k, core in cores.items():
                log("booking path", k)
                ex, close = sqlite_exec(str(sqlite_path)) if k == "sqlite" else pg_exec(pg_dsn(pg_name))
                reqs = plan(ex, cfg["book_n"] * 3, seed=11)
                close()
                used |= {r.member_id for r in reqs}
                bl = SqliteBaseline(str(sqlite_path)) if k == "sqlite" else PgBaseline(pg_dsn(pg_name))
                d = Dialogue(core)
                # warm-up: caches, prepared statements, parser build (not counted)
                ex, close = sqlite_exec(str(sqlite_path)) if k == "sqlite" else pg_exec(pg_dsn(pg_name))
                warm = plan(ex, 40, seed=12, exclude_members={r.member_id for r in reqs})
                close()
                used |= {r.member_id for r in warm}
                for r in warm[:20]:
                    bot_one(d, r)
                # the whole parser too: a bare "place + day" is read without it (bot/intents.py, _quick_request), so
                # the warm-up above no longer builds its tables, and its first build (~0.3 s) would land in the count
                from bot.intents import parse as _parse
                from common import NOW as _NOW

                _parse("Ist morgen in Olfen noch was frei?", _NOW, core.space_refs())
                from bot.intent_model import get_model

                get_model()  # the learned second opinion (numpy, loaded on first use: ~0.2 s)
                for r in warm[20:]:
                    bl.book(r, r.slug, r.day, None)
                res[f"booking_{k}"] = run_sequential(d, bl, reqs, core.space_refs())
                bl.conn.close()
                log(json.dumps(res[f"booking_{k}"]))
                _save(res, a.quick)
        if "threads" in only:
            n_thr = cfg["threads"]
            log(f"booking path, {n_thr} threads, PostgreSQL")
            ex, close = pg_exec(pg_dsn(pg_name))
            reqs = plan(ex, n_thr * cfg["per_thread"] * 2, seed=21, exclude_members=used)
            close()
            used |= {r.member_id for r in reqs}
            half = len(reqs) // 2
            core32 = make_core(stores["postgresql"], tmp / "pg32", pool_size=n_thr)
            d32 = Dialogue(core32)
            res["threads_pg_bot"] = run_threads(lambda r: bot_one(d32, r), reqs[:half], n_thr)
            import threading

            local = threading.local()

            def bl_book(r):
                if not hasattr(local, "bl"):
                    local.bl = PgBaseline(pg_dsn(pg_name))
                return local.bl.book(r, r.slug, r.day, None)

            res["threads_pg_baseline"] = run_threads(bl_book, reqs[half:], n_thr)
            res["threads_pg_ratio"] = res["threads_pg_bot"]["per_s"] / res["threads_pg_baseline"]["per_s"]
            core32.close()
            log(json.dumps({k: res[k] for k in ("threads_pg_bot", "threads_pg_baseline")}))
            _save(res, a.quick)
        # 4. contention -------------------------------------------------------------------------------
        if "contention" in only:
            from bench_misc import bench_contention

            for k, core in cores.items():
                log("contention", k)
                c = make_core(stores[k], tmp / f"cont-{k}", pool_size=20)
                res[f"contention_{k}"] = bench_contention(c, cfg["contention"])
                c.close()
                log(json.dumps(res[f"contention_{k}"]))
                _save(res, a.quick)
        for c in cores.values():
            c.close()
        # 6. footprint ---------------------------------------------------------------------------------
        if "footprint" in only:
            from bench_misc import bench_footprint

            log("footprint: deskbot run on the PostgreSQL world")
            res["footprint_pg"] = bench_footprint(stores["postgresql"], cfg["footprint_runs"])
            log("footprint: deskbot run on the SQLite world")
            res["footprint_sqlite"] = bench_footprint(stores["sqlite"], 1)
            log(json.dumps(res["footprint_pg"]))
            _save(res, a.quick)
    finally:
        if not a.keep:
            drop_pg_db(pg_name)
        else:
            log("kept PostgreSQL database", pg_name)
    # 5. fan-out -------------------------------------------------------------------------------------
    if "fanout" in only:
        from bench_fanout import run as fan

        # limits lifted: by notices in flight (the scheduler's delivery runs 16 at a time)
        for inflight, n in ((4, cfg["fan_lifted"]), (16, cfg["fan_lifted_small"]), (64, cfg["fan_lifted_small"])):
            log(f"fan-out, limits lifted, {inflight} in flight", n)
            res[f"fanout_lifted_{inflight}"] = fan(n, False, inflight=inflight)
            log(json.dumps(res[f"fanout_lifted_{inflight}"]))
        log("fan-out, Telegram limits enforced, transport defaults", cfg["fan_limited_default"])
        res["fanout_limited_default"] = fan(cfg["fan_limited_default"], True, inflight=16)
        log(json.dumps(res["fanout_limited_default"]))
        log("fan-out, Telegram limits enforced, bulk budget 30/s", cfg["fan_limited"])
        res["fanout_limited_30"] = fan(cfg["fan_limited"], True, bulk_per_s=30.0, inflight=16)
        log(json.dumps(res["fanout_limited_30"]))
        # httpcore imports `sniffio` on every request; it is not installed (anyio 4.16 dropped it), so
        # every send searches sys.path for it ~13 times. Measured again with sniffio importable:
        extra = ROOT / "bench" / ".data" / "extra"
        if not (extra / "sniffio").exists():
            import subprocess

            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(extra), "sniffio"], check=False)
        if (extra / "sniffio").exists():
            sys.path.insert(0, str(extra))
            for inflight in (4, 16):
                log(f"fan-out, limits lifted, {inflight} in flight, with sniffio", cfg["fan_lifted_small"])
                res[f"fanout_lifted_{inflight}_sniffio"] = fan(cfg["fan_lifted_small"], False, inflight=inflight)
                log(json.dumps(res[f"fanout_lifted_{inflight}_sniffio"]))
        _save(res, a.quick)
    # 7. parser -----------------------------------------------------------------------------------------
    if "parser" in only:
        from bench_misc import bench_parser

        log("parser")
        res["parser"] = bench_parser(cfg["parser_rounds"])
    res["total_s"] = time.perf_counter() - started
    res["machine"]["loadavg_at_end"] = "%.2f %.2f %.2f" % os.getloadavg()
    path = _save(res, a.quick)
    print(table(res))
    log(f"done in {res['total_s']:.0f}s; results in {path.relative_to(ROOT)}")


def _save(res: dict, quick: bool) -> Path:
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = res["date_utc"].replace(":", "").replace("-", "")[:15]
    path = out / f"{'quick' if quick else 'full'}-{stamp}.json"
    path.write_text(json.dumps(res, indent=1, default=str))
    return path


def table(r: dict) -> str:
    def g(*keys, fmt="{:.1f}"):
        v = r
        for k in keys:
            if not isinstance(v, dict) or k not in v:
                return "–"
            v = v[k]
        return fmt.format(v) if isinstance(v, (int, float)) else str(v)

    rows = [("what", "goal", "measured")]
    for st, w in (("PostgreSQL", "world_pg"), ("SQLite", "world_sqlite")):
        rows.append((f"world {st}: {g(w, 'rows', 'spaces', fmt='{}')} spaces, {g(w, 'rows', 'members', fmt='{}')} members, "
                     f"{g(w, 'rows', 'bookings', fmt='{}')} bookings", "a few minutes",
                     f"{g(w, 'total_s')} s (COPY/insert {g(w, 'copy_s')} s, indexes+constraints {g(w, 'index_s')} s), {g(w, 'db_mb', fmt='{:.0f}')} MB"))
    for st in ("sqlite", "postgresql"):
        b = f"booking_{st}"
        rows.append((f"booking path {st}: bot msgs/s (p50/p99 ms)", "≥ 0.5× baseline",
                     f"{g(b, 'bot', 'per_s')} ({g(b, 'bot', 'p50_ms', fmt='{:.2f}')}/{g(b, 'bot', 'p99_ms', fmt='{:.2f}')})"))
        rows.append((f"  plain-driver baseline {st} (p50/p99 ms)", "",
                     f"{g(b, 'baseline', 'per_s')} ({g(b, 'baseline', 'p50_ms', fmt='{:.2f}')}/{g(b, 'baseline', 'p99_ms', fmt='{:.2f}')})"))
        rows.append((f"  ratio bot/baseline (bot/baseline+parse) {st}", "≥ 0.5",
                     f"{g(b, 'ratio_bot_vs_baseline', fmt='{:.2f}')} ({g(b, 'ratio_bot_vs_baseline+parse', fmt='{:.2f}')})"))
    rows.append(("booking path PostgreSQL, 32 threads: bot msgs/s (p50/p99 ms)", "≥ 0.5× baseline",
                 f"{g('threads_pg_bot', 'per_s')} ({g('threads_pg_bot', 'p50_ms')}/{g('threads_pg_bot', 'p99_ms')})"))
    rows.append(("  baseline, 32 threads (p50/p99 ms); ratio", "",
                 f"{g('threads_pg_baseline', 'per_s')} ({g('threads_pg_baseline', 'p50_ms')}/{g('threads_pg_baseline', 'p99_ms')}); "
                 f"{g('threads_pg_ratio', fmt='{:.2f}')}"))
    for st in ("postgresql", "sqlite"):
        q = f"queries_{st}"
        for name in ("availability_all_spaces", "availability_all_spaces_gc_frozen", "availability_one_space", "my_bookings", "my_bookings_history",
                     "chat_availability_one_space", "chat_my_bookings"):
            rows.append((f"{name} {st}: p50/p95/p99 ms (first call)", "p99 ≤ 20 ms",
                         f"{g(q, name, 'p50_ms', fmt='{:.2f}')}/{g(q, name, 'p95_ms', fmt='{:.2f}')}/{g(q, name, 'p99_ms', fmt='{:.2f}')}"
                         f" ({g(q, name, 'first_call_ms', fmt='{:.0f}')})"))
    for st in ("sqlite", "postgresql"):
        c = f"contention_{st}"
        rows.append((f"contention {st}: {g(c, 'clients', fmt='{}')} clients for the last {g(c, 'free_before', fmt='{}')} desks",
                     "exactly 10 booked, contingents exact",
                     f"booked {g(c, 'booked', fmt='{}')}, confirmed replies {g(c, 'confirmed_replies', fmt='{}')}, accounts off "
                     f"{g(c, 'accounts_mismatched', fmt='{}')}, double-booked {g(c, 'desks_double_booked', fmt='{}')}; "
                     f"{g(c, 'wall_s')} s, p99 {g(c, 'p99_ms', fmt='{:.0f}')} ms"))
    rows.append((f"fan-out, limits enforced, transport default budget ({g('fanout_limited_default', 'n', fmt='{}')} notices)",
                 "30/s, 0 × 429",
                 f"{g('fanout_limited_default', 'sustained_per_s')}/s sustained, 429s {g('fanout_limited_default', 'emulator', 'count_429', fmt='{}')}"))
    rows.append((f"fan-out, limits enforced, bulk budget 30/s ({g('fanout_limited_30', 'n', fmt='{}')} notices)", "30/s, 0 × 429",
                 f"{g('fanout_limited_30', 'sustained_per_s')}/s sustained, 429s {g('fanout_limited_30', 'emulator', 'count_429', fmt='{}')}"))
    for key, label in (("fanout_lifted_4", "4 in flight"), ("fanout_lifted_16", "16 in flight (scheduler default)"),
                       ("fanout_lifted_64", "64 in flight"), ("fanout_lifted_4_sniffio", "4 in flight, sniffio installed"),
                       ("fanout_lifted_16_sniffio", "16 in flight, sniffio installed")):
        rows.append((f"fan-out, limits lifted, {label} ({g(key, 'n', fmt='{}')} notices)", "≥ 500/s",
                     f"{g(key, 'per_s', fmt='{:.0f}')}/s, sender CPU {g(key, 'cpu_ms_per_send_sender', fmt='{:.2f}')} ms/notice, "
                     f"errors {g(key, 'errors')}"))
    rows.append(("deskbot run on the PostgreSQL world: start to /healthz 200", "≤ 1.5 s",
                 f"{g('footprint_pg', 'ready_s_min', fmt='{:.2f}')}–{g('footprint_pg', 'ready_s_max', fmt='{:.2f}')} s"))
    rows.append(("  RSS (peak)", "≤ 120 MB", f"{g('footprint_pg', 'rss_peak_mb_max', fmt='{:.0f}')} MB"))
    rows.append(("deskbot run on the SQLite world: ready / RSS peak", "≤ 1.5 s / ≤ 120 MB",
                 f"{g('footprint_sqlite', 'ready_s_min', fmt='{:.2f}')} s / {g('footprint_sqlite', 'rss_peak_mb_max', fmt='{:.0f}')} MB"))
    rows.append(("parser msgs/s warm (cold typo cache)", "≥ 5 000",
                 f"{g('parser', 'warm', fmt='{:,.0f}')} ({g('parser', 'cold', fmt='{:,.0f}')})"))
    w = [max(len(x[i]) for x in rows) for i in range(3)]
    lines = ["| " + " | ".join(x[i].ljust(w[i]) for i in range(3)) + " |" for x in rows]
    lines.insert(1, "|" + "|".join("-" * (w[i] + 2) for i in range(3)) + "|")
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
