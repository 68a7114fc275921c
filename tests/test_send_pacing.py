"""The Telegram send pacing (bot/handlers/telegram_send.py) when answers come late.

Telegram counts a message when it arrives, and all the sender knows is that it arrived somewhere between the
grant and the answer. When the link (or the sender's event loop, or Telegram's front end) stalls, the sends
granted meanwhile arrive together, and a limiter that counted them at their grant times then adds a fresh
burst on top: 429s. Here the "Telegram" is a token bucket with Telegram's numbers (30 per bot, refill
30/s), fed with each send at the moment its answer comes back (the latest it can have arrived).
"""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import RetryAfter

from bot.handlers.telegram_send import INTERACTIVE, FloodLimiter, FloodLimits


class StalledTelegram:
    """Answers every send at once, except that until ``stall_until`` (loop time) nothing is answered:
    what was sent meanwhile arrives then, all at once. 429 when the bot's bucket (30, 30/s) is empty."""

    def __init__(self, stall_until: float, capacity: float = 30.0, rate: float = 30.0) -> None:
        self.stall_until = stall_until
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp: float | None = None
        self.count_429 = 0
        self.arrived: list[tuple[int, float]] = []
        self.started = 0
        self.started_in_stall = 0
        self.in_flight = 0
        self.most_in_flight = 0

    async def send(self, chat: int) -> bool:
        loop = asyncio.get_running_loop()
        self.started += 1
        self.started_in_stall += loop.time() < self.stall_until
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(max(0.0, self.stall_until - loop.time()))
            now = loop.time()
            if self.stamp is not None:
                self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                self.count_429 += 1
                raise RetryAfter(1)
            self.tokens -= 1
            self.arrived.append((chat, now))
            return True
        finally:
            self.in_flight -= 1


async def send_all(limiter: FloodLimiter, tg: StalledTelegram, chats: list[int]) -> list[bool]:
    async def one(chat: int) -> bool:
        return await limiter.process_request(tg.send, (chat,), {}, "sendMessage", {"chat_id": chat}, None)

    try:
        return await asyncio.wait_for(asyncio.gather(*(one(c) for c in chats)), 30)
    finally:
        await limiter.shutdown()


async def test_a_stalled_link_piles_up_at_most_the_in_flight_limit():
    """During a stall the dispatcher does not hand on more than ``max_in_flight`` sends: what arrives at once
    when the link comes back stays well under Telegram's burst (with two instances too: 2 x 12 < 30)."""
    loop = asyncio.get_running_loop()
    tg = StalledTelegram(stall_until=loop.time() + 1.5)
    limiter = FloodLimiter(FloodLimits())
    assert await send_all(limiter, tg, list(range(1, 61))) == [True] * 60
    assert tg.most_in_flight == 12
    assert tg.started_in_stall == 12  # (without the limit: the burst of 25 and then ~29/s through the stall)


async def test_sends_that_arrive_late_are_counted_when_they_arrive():
    """After a 1.5 s stall, the 12 sends that were in flight arrive at once; the limiter then counts them as
    sent now (not 1.5 s ago), so it does not add a fresh burst of 25 on top: 0 x 429, every send once."""
    loop = asyncio.get_running_loop()
    tg = StalledTelegram(stall_until=loop.time() + 1.5)
    limiter = FloodLimiter(FloodLimits())
    chats = list(range(1, 121))
    assert await send_all(limiter, tg, chats) == [True] * 120
    assert tg.count_429 == 0 and limiter.hits_429 == 0
    assert sorted(c for c, _ in tg.arrived) == chats
    assert limiter.landed_late == 12
    # within Telegram's bucket in every window, counted at arrival
    times = sorted(t for _, t in tg.arrived)
    for i, t in enumerate(times):
        in_1s = sum(1 for u in times[i:] if u < t + 1.0)
        assert in_1s <= 30 + 30 * 1.0, (t, in_1s)
    assert limiter._global.inflight == 0  # noqa: SLF001 - every grant was answered


async def test_no_wait_is_added_without_a_stall():
    """Answers that come at once are not late: the limiter grants the burst (25) at once and then the rate."""
    loop = asyncio.get_running_loop()
    tg = StalledTelegram(stall_until=loop.time())
    limiter = FloodLimiter(FloodLimits())
    t0 = loop.time()
    assert await send_all(limiter, tg, list(range(1, 26))) == [True] * 25
    assert limiter.landed_late == 0
    assert max(t for _, t in tg.arrived) - t0 < 0.5  # the burst of 25: no pacing wait at all (1 s would be)


async def test_a_caller_that_gives_up_after_its_grant_frees_its_place():
    """A send whose caller is cancelled right after its grant was never made: it must not hold one of the
    in-flight places for good (else the bot would stop sending after twelve of them)."""
    limiter = FloodLimiter(FloodLimits())
    for k in range(30):
        waiter = asyncio.ensure_future(limiter._acquire(1000 + k, "sendMessage", INTERACTIVE, None))  # noqa: SLF001
        while limiter.granted == k:  # the dispatcher grants it; the waiter has not run since
            await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert limiter.granted == 30
    assert limiter._global.inflight == 0  # noqa: SLF001
    tg = StalledTelegram(stall_until=asyncio.get_running_loop().time())
    assert await send_all(limiter, tg, [1, 2, 3]) == [True] * 3


@pytest.mark.postgres
async def test_late_sends_move_the_shared_budget_for_every_instance(pg_url, tmp_path):
    """Several instances: what one instance learns from late answers holds for the others too (the bot's row
    and the chat's row in `send_budget`), and a restamp never moves a budget back."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.app import build_core
    from bot.clock import FixedClock
    from bot.throttle import BudgetRequest, PgSendBudget
    from tests.conftest import make_settings

    now = datetime(2026, 11, 23, 8, tzinfo=ZoneInfo("Europe/Berlin"))
    build_core(make_settings(pg_url, tmp_path), clock=FixedClock(now), load_world=False).close()  # migrates
    interval = 1.03 / 30
    one, other = (PgSendBudget(pg_url, bot="tg:1", global_interval=interval, global_tau=24 * interval,
                               bulk_reserve=10 * interval) for _ in range(2))  # fmt: skip
    try:
        assert await one.take([BudgetRequest(42, 1.03, 1.03, False)]) == [0.0]
        await one.restamp({None: 3.0, 42: 5.0})
        bot_wait, = await other.take([BudgetRequest(7, 1.03, 1.03, False)])
        assert -3.0 < bot_wait < -(3.0 - 24 * interval) + 0.5  # the bot-wide budget: 3 s ahead, less the burst
        await one.restamp({None: 0.0, 42: 1.0})  # smaller: moves nothing back
        await asyncio.sleep(3.0 - 24 * interval + 0.1)
        chat_wait, = await other.take([BudgetRequest(42, 1.03, 1.03, False)])
        assert 0 < chat_wait < 5.0 - 1.03 - (3.0 - 24 * interval)  # the chat's: 5 s ahead of the restamp
        assert await other.take([BudgetRequest(7, 1.03, 1.03, False)]) == [0.0]
    finally:
        await one.close()
        await other.close()
