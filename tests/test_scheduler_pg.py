"""Delivery on PostgreSQL: two instances claiming the same outbox concurrently (each row sent exactly
once), and a worker SIGKILLed mid fan-out (nothing lost, at most the sends in flight repeat)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.storage.models import Outbox
from tests.test_scheduler import FakeTransport, add_rows, run_kill_test, status_counts

pytestmark = [pytest.mark.postgres]
WORKER = Path(__file__).resolve().parent / "test_scheduler.py"
REPO = WORKER.parents[1]


@pytest.fixture
def pg_core(pg_url, tmp_path, clock):
    from bot.app import build_core
    from tests.conftest import make_settings

    c = build_core(make_settings(pg_url, tmp_path), clock=clock, load_world=False)
    yield c
    c.close()


@pytest.mark.slow
def test_two_instances_send_each_row_exactly_once(pg_core, pg_url, tmp_path):
    from bot.clock import Clock

    n = 400
    add_rows(pg_core, n, chats=40, now=Clock(pg_core.clock.tz).now())
    out, go = tmp_path / "sends.log", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, str(WORKER), "worker", "--url", pg_url, "--out", str(out), "--concurrency", "8",
                               "--batch", "15", "--delay", "0.004", "--go", str(go)], cwd=REPO, stderr=subprocess.PIPE)
             for _ in range(2)]
    time.sleep(1.0)  # both imported and waiting
    go.touch()
    t0 = time.perf_counter()
    for p in procs:
        assert p.wait(timeout=60) == 0, p.stderr.read().decode()
    elapsed = time.perf_counter() - t0
    ends = [ln.split() for ln in out.read_text().splitlines() if ln.startswith("E ")]
    per_key = Counter(k for _, _, k in ends)
    per_worker = Counter(pid for _, pid, _ in ends)
    assert len(per_key) == n and set(per_key.values()) == {1}, [k for k, c in per_key.items() if c > 1]
    assert len(per_worker) == 2 and min(per_worker.values()) > n // 10, per_worker  # both really worked
    assert status_counts(pg_core) == {"sent": n}
    print(f"two instances: {n} rows in {elapsed:.2f}s, split {dict(per_worker)}")


@pytest.mark.slow
def test_kill_during_fan_out_pg(pg_core, pg_url, tmp_path):
    counts, in_flight = run_kill_test(pg_core, pg_url, tmp_path, concurrency=1)
    repeated = {k for k, c in counts.items() if c > 1}
    assert repeated <= in_flight and len(repeated) <= 1
    print(f"kill -9: {len(counts)} rows delivered, repeated: {sorted(repeated)}")


async def test_claims_skip_locked_rows_in_one_process(pg_core, pg_url, tmp_path):
    """Two workers in one event loop, separate connection pools: no row is claimed by both."""
    from bot.app import build_core
    from bot.scheduler import Delivery
    from tests.conftest import make_settings

    add_rows(pg_core, 120, chats=12)
    core2 = build_core(make_settings(pg_url, tmp_path), clock=pg_core.clock, migrate=False, load_world=False)
    try:
        tr1, tr2 = FakeTransport(delay=lambda c: 0.002), FakeTransport(delay=lambda c: 0.002)
        d1 = Delivery(pg_core, {"fake": tr1}, batch=10, worker_id="w1")
        d2 = Delivery(core2, {"fake": tr2}, batch=10, worker_id="w2")
        claimed = await asyncio.gather(asyncio.to_thread(d1.claim, pg_core.clock.now()),
                                       asyncio.to_thread(d2.claim, pg_core.clock.now()))
        ids1, ids2 = {r.id for r in claimed[0]}, {r.id for r in claimed[1]}
        assert len(ids1) == len(ids2) == 10 and not ids1 & ids2
        with pg_core.db.session() as s:
            owners = dict(s.execute(select(Outbox.id, Outbox.claimed_by).where(Outbox.claimed_by.is_not(None))).all())
        assert {i for i, w in owners.items() if w == "w1"} == ids1 and {i for i, w in owners.items() if w == "w2"} == ids2
        # those leases are held: a further claim (clock unchanged) gets other rows; the rest is delivered by both
        await asyncio.gather(d1.deliver_all(), d2.deliver_all())
        sent = Counter(k for _, _, k in tr1.sent + tr2.sent)
        assert len(sent) == 100 and set(sent.values()) == {1}  # the 20 leased rows wait for their lease
    finally:
        core2.close()
