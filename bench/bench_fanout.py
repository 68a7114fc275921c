"""Fan-out: notices through the real Telegram adapter (`TelegramTransport.send`) into the Bot API
emulator of tests/tg_emulator.py, which runs in its own process (so it does not share the event loop
and the GIL with the sender; on 2 cores each side gets one).

    .venv/bin/python bench/bench_fanout.py --n 1500 --limits      # Telegram limits enforced
    .venv/bin/python bench/bench_fanout.py --n 10000               # limits lifted

Every notice goes to a different private chat (like reminders to many members). The sender feeds
`send()` with a bounded number in flight, as the scheduler's delivery does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT  # noqa: E402

CHAT0 = 500_000_000


def serve(n_chats: int, enforce: bool) -> None:
    """Child process: run the emulator until stdin closes; answer 'stats' lines with JSON."""
    sys.path.insert(0, str(ROOT / "tests"))
    from tg_emulator import TelegramEmulator

    async def main():
        emu = TelegramEmulator(enforce_limits=enforce)
        await emu.start()
        for i in range(n_chats):
            emu.add_chat(CHAT0 + i, first_name=f"M{i}")
        print(json.dumps({"port": emu.port, "token": emu.token, "base_url": emu.base_url}), flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = await reader.readline()
            if not line:
                break
            if line.strip() == b"stats":
                sent = [c for c in emu.sent if c.method in ("sendMessage", "sendDocument", "sendPhoto")]
                emu.sent.clear()
                emu.calls.clear()
                print(json.dumps({"sent": len(sent), "count_429": emu.count_429}), flush=True)
        await emu.stop()

    asyncio.run(main())


async def _fanout(info: dict, n: int, lifted: bool, bulk_per_s: float | None, inflight: int) -> dict:
    from bot.domain import Reply
    from bot.handlers.telegram import FloodLimits, TelegramTransport

    if lifted:
        limits = FloodLimits(global_per_s=1e6, bulk_per_s=1e6, private_per_s=1e6, private_burst=1000)
    elif bulk_per_s is not None:
        limits = FloodLimits(bulk_per_s=bulk_per_s)
    else:
        limits = None  # the transport's defaults
    tr = TelegramTransport(None, token=info["token"], base_url=info["base_url"], limits=limits, set_commands=False)
    await tr.app.initialize()
    sem = asyncio.Semaphore(inflight)
    lat: list[float] = []
    errors: dict[str, int] = {}
    done_at: list[float] = []

    async def one(i: int) -> None:
        async with sem:
            t = time.perf_counter()
            try:
                await tr.send(str(CHAT0 + i), Reply(f"Erinnerung: morgen Coworking Olfen, Platz {i % 20 + 1}. 📍 Bilholtstraße 21"))
            except Exception as exc:  # counted, not raised
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            lat.append(time.perf_counter() - t)
            done_at.append(time.perf_counter())

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - t0
    hits = tr.limiter.hits_429
    await tr.app.shutdown()
    # sustained rate: the middle 80 % of completions (leaves out the start-up burst and the tail)
    done_at.sort()
    a, b = done_at[int(n * 0.1)], done_at[int(n * 0.9) - 1]
    sustained = (int(n * 0.9) - 1 - int(n * 0.1)) / (b - a) if b > a else float("nan")
    from common import pct

    return {"n": n, "wall_s": wall, "per_s": n / wall, "sustained_per_s": sustained, "p50_ms": pct(lat, 50),
            "p99_ms": pct(lat, 99), "errors": errors, "limiter_429_retries": hits}


def _cpu_s(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(n: int, enforce: bool, *, bulk_per_s: float | None = None, inflight: int = 64) -> dict:
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(n), *(["--limits"] if enforce else [])],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        info = json.loads(child.stdout.readline())
        c0, p0 = _cpu_s(child.pid), time.process_time()
        res = asyncio.run(_fanout(info, n, not enforce, bulk_per_s, inflight))
        # CPU seconds per notice on each side: which one saturates its core
        res["cpu_ms_per_send_sender"] = (time.process_time() - p0) / n * 1000
        res["cpu_ms_per_send_emulator"] = (_cpu_s(child.pid) - c0) / n * 1000
        child.stdin.write("stats\n")
        child.stdin.flush()
        res.update(emulator=json.loads(child.stdout.readline()))
    finally:
        child.stdin.close()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
    res["limits_enforced"] = enforce
    res["bulk_per_s_setting"] = bulk_per_s
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--limits", action="store_true")
    ap.add_argument("--bulk", type=float, default=None, help="FloodLimits.bulk_per_s (default: the transport's)")
    a = ap.parse_args()
    if a.serve is not None:
        serve(a.serve, a.limits)
        return
    print(json.dumps(run(a.n, a.limits, bulk_per_s=a.bulk), indent=1))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
