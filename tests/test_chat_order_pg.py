"""Two instances on one PostgreSQL handle one chat's messages one at a time (issue 14): the chat's advisory
lock is taken by the statement that records the update, so a second instance waits for the first to commit."""

from __future__ import annotations

import threading
import time

import pytest

from bot.app import build_core
from bot.dialogue import Dialogue
from bot.domain import IncomingMessage
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres


def test_one_chat_is_serialised_across_instances(pg_url, tmp_path, clock):
    a = build_core(make_settings(pg_url, tmp_path / "a"), clock=clock)
    b = build_core(make_settings(pg_url, tmp_path / "b"), clock=clock, load_world=False)
    try:
        da, db_ = Dialogue(a), Dialogue(b)
        da.handle(IncomingMessage("telegram", "7", "7", "KREIS-2026", update_key="tg:1"))
        inside = threading.Event()
        release = threading.Event()
        order: list[str] = []
        real = da.routes.intents["book"]

        def slow_book(dlg, ctx):  # instance A is in the middle of a booking for chat 7
            inside.set()
            release.wait(5)
            order.append("A")
            return real(dlg, ctx)

        da.routes.intents["book"] = slow_book
        t = threading.Thread(target=lambda: da.handle(
            IncomingMessage("telegram", "7", "7", "buche morgen Olfen", update_key="tg:2")))
        t.start()
        assert inside.wait(5)
        got: list = []
        u = threading.Thread(target=lambda: got.append(db_.handle(
            IncomingMessage("telegram", "7", "7", "storno morgen", update_key="tg:3"))))
        u.start()
        time.sleep(0.5)
        assert u.is_alive()  # B waits for A's transaction on the chat's lock
        other = db_.handle(IncomingMessage("telegram", "8", "8", "hallo", update_key="tg:4"))
        assert other  # another chat is not held up
        release.set()
        t.join(5)
        u.join(5)
        order.append("B")
        assert order == ["A", "B"]
        assert "Storniert" in got[0][0].text  # B saw A's booking: the cancel found it
    finally:
        a.close()
        b.close()


def test_flood_throttle_is_shared_by_instances(pg_url, tmp_path, clock):
    a = build_core(make_settings(pg_url, tmp_path / "a"), clock=clock)
    b = build_core(make_settings(pg_url, tmp_path / "b"), clock=clock, load_world=False)
    try:
        dialogues = [Dialogue(a), Dialogue(b)]
        limit = a.settings.flood_messages_per_minute
        answers = [dialogues[i % 2].handle(IncomingMessage("telegram", "9", "9", "/hilfe", update_key=f"tg:f{i}"))
                   for i in range(limit + 5)]
        answered = [r for r in answers[:limit] if r]
        assert len(answered) == limit  # round robin over two instances: the limit counts once, not per instance
        slow = [r for r in answers[limit:] if r]
        assert len(slow) == 1 and "Langsam" in slow[0][0].text  # one "slow down", then silence
    finally:
        a.close()
        b.close()


def test_a_statement_timeout_gets_the_apology_and_shows_in_healthz(pg_url, tmp_path, clock):
    import asyncio

    from sqlalchemy import text

    from bot.health import _db_check

    core = build_core(make_settings(pg_url, tmp_path), clock=clock)
    try:
        dlg = Dialogue(core)
        real = dlg.routes.intents["help"]

        def slow_help(d, ctx):
            with core.db.session() as s:
                s.execute(text("SET LOCAL statement_timeout = 50"))
                s.execute(text("SELECT pg_sleep(1)"))
            return real(d, ctx)

        dlg.routes.intents["help"] = slow_help
        r = dlg.handle(IncomingMessage("telegram", "5", "5", "/hilfe", update_key="tg:t1"))
        assert "schiefgegangen" in r[0].text  # the apology: nothing was changed
        check = asyncio.run(_db_check(core))
        assert check["ok"] is False and "statement timeout" in check["error"]
    finally:
        core.close()
