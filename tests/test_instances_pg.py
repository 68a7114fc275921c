"""Two deskbot processes on one PostgreSQL, updates dealt out round robin (issue 14): a kill -9 of one instance
in the middle of a 150-update burst loses nothing. What it had not acknowledged is delivered again to the other
instance (as Telegram redelivers a webhook that got no 200); every update is then handled exactly once, every
booking exists once, and every answer is in the outbox (sent at once, or left for the scheduler)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import build_core
from bot.storage.models import Booking, HandledUpdate, Outbox
from tests.conftest import make_settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
WORKER = Path(__file__).resolve().parent / "instance_worker.py"


def _start(url: str, data_dir: Path) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, str(WORKER), url, str(data_dir)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, bufsize=1, env=dict(os.environ))
    assert json.loads(p.stdout.readline())["ready"]
    return p


def _send(p: subprocess.Popen, u: dict) -> dict | None:
    try:
        p.stdin.write(json.dumps(u) + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
    except (BrokenPipeError, OSError):
        return None
    return json.loads(line) if line else None


def test_kill_9_of_one_instance_during_a_burst_loses_nothing(pg_url, tmp_path, clock):
    core = build_core(make_settings(pg_url, tmp_path / "setup"), clock=clock)  # migrates and loads the world
    users = [f"u{i}" for i in range(30)]
    updates = [{"id": i, "user": u, "text": "KREIS-2026"} for i, u in enumerate(users)]
    # one desk for everybody (the demo world's desks: Coesfeld 8, Dülmen 6, Lüdinghausen 6, Senden 5, ...)
    towns = ["Coesfeld"] * 8 + ["Dülmen"] * 6 + ["Lüdinghausen"] * 6 + ["Senden"] * 5 + ["Ascheberg"] * 4 + ["Billerbeck"]
    for j, u in enumerate(users):  # each user: book, list, cancel, book again (order matters)
        base = 100 + 10 * j
        town = towns[j]
        updates += [{"id": base, "user": u, "text": f"buche morgen {town}"},
                    {"id": base + 1, "user": u, "text": "meine Buchungen"},
                    {"id": base + 2, "user": u, "text": "storno morgen"},
                    {"id": base + 3, "user": u, "text": f"buche übermorgen {town}"}]
    assert len(updates) == 150
    workers = [_start(pg_url, tmp_path / "a"), _start(pg_url, tmp_path / "b")]
    acked: set[int] = set()
    killed = False
    try:
        for n, u in enumerate(updates):
            w = workers[n % len(workers)]
            if not killed and n == 75:
                os.kill(workers[0].pid, signal.SIGKILL)  # mid-burst, whatever it was doing
                workers[0].wait(5)
                killed = True
            if w.poll() is not None:
                w = workers[1]
            got = _send(w, u)
            if got is None:  # no 200: Telegram delivers the update again, here to the surviving instance
                w = workers[1]
                got = _send(w, u)
            assert got is not None and got["ack"] == u["id"]
            acked.add(u["id"])
        # a redelivery of everything (as after a long outage) changes nothing
        for u in updates[-10:]:
            _send(workers[1], u)
    finally:
        for w in workers:
            if w.poll() is None:
                w.stdin.close()
                w.wait(10)
    assert acked == {u["id"] for u in updates}
    with core.db.session() as s:
        handled = set(s.scalars(select(HandledUpdate.key)))
        assert handled == {f"tg:{u['id']}" for u in updates}
        replies = s.execute(select(Outbox.dedupe_key).where(Outbox.kind == "reply")).scalars().all()
        for u in updates:
            assert any(k.startswith(f"reply:telegram:tg:{u['id']}:") for k in replies), u
        # book, cancel, book again ran in order for every user: exactly the second booking stands
        active = s.scalar(select(func.count(Booking.id)).where(Booking.status == "confirmed"))
        cancelled = s.scalar(select(func.count(Booking.id)).where(Booking.status == "cancelled"))
        assert (active, cancelled) == (30, 30)
    core.close()
