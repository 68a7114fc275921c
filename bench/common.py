"""Shared helpers for the benchmarks: PostgreSQL databases, percentiles, machine facts, the bench clock."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TZ = ZoneInfo("Europe/Berlin")
# the bench world's "now": a Monday morning (the same instant the test suite uses)
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
PG_ADMIN = os.environ.get("DESKBOT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pg_dsn(dbname: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


def pg_sqlalchemy_url(dbname: str) -> str:
    return pg_dsn(dbname).replace("postgresql://", "postgresql+psycopg://", 1)


def create_pg_db(prefix: str = "deskbot_bench") -> str:
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_db(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pct(values: list[float], p: float) -> float:
    """p-th percentile (nearest rank) of seconds -> milliseconds."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k] * 1000.0


def summary(lat: list[float], wall: float) -> dict:
    return {
        "n": len(lat),
        "per_s": len(lat) / wall if wall > 0 else float("nan"),
        "p50_ms": pct(lat, 50),
        "p95_ms": pct(lat, 95),
        "p99_ms": pct(lat, 99),
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
    }


def machine() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = f"{int(line.split()[1]) / 1024 / 1024:.1f}"
    except OSError:
        pass
    pg = "?"
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN) as c:
            pg = c.execute("SHOW server_version").fetchone()[0]
    except Exception:
        pass
    import sqlite3

    load = os.getloadavg()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": mem_gb,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgres": pg,
        "loadavg_at_start": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "git": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip(),
    }
