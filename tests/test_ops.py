"""Operations: JSON logs, health checks, metrics, graceful shutdown, refusing a newer database, backups."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import DEMO_WORLD, require_pg

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_")}
    env.update(extra)
    return env


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)
    logging.captureWarnings(False)


# ------------------------------------------------------------------------------------- logging
def test_json_logs_one_object_per_line(restore_logging):
    from bot.logging_setup import setup_logging

    buf = io.StringIO()
    setup_logging("DEBUG", "json", stream=buf)
    log = logging.getLogger("deskbot.test")
    log.info("Buchung für %s in Dülmen", "Anna")
    log.debug("detail", extra={"booking_id": 42, "transport": "telegram"})
    try:
        raise ValueError("kaputt\nzweite Zeile")
    except ValueError:
        log.exception("handling failed")
    import warnings

    warnings.warn("a warning goes through logging too", UserWarning)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 4, lines
    records = [json.loads(line) for line in lines]
    for r in records:
        assert {"ts", "level", "message", "logger"} <= r.keys()
    assert records[0] == records[0] | {"level": "INFO", "logger": "deskbot.test", "message": "Buchung für Anna in Dülmen"}
    assert records[1]["booking_id"] == 42 and records[1]["transport"] == "telegram" and records[1]["level"] == "DEBUG"
    assert records[2]["level"] == "ERROR" and "ValueError: kaputt" in records[2]["exc"]
    assert records[3]["level"] == "WARNING" and records[3]["logger"] == "py.warnings"


def test_text_logs_default_and_idempotent(restore_logging):
    from bot.logging_setup import setup_logging

    buf = io.StringIO()
    setup_logging("INFO", "text", stream=buf)
    setup_logging("INFO", "text", stream=buf)  # no duplicate handler
    logging.getLogger("x").info("hello")
    logging.getLogger("x").debug("hidden")
    out = buf.getvalue().splitlines()
    assert len(out) == 1 and out[0].endswith("INFO    x: hello")
    with pytest.raises(ValueError):
        setup_logging("LOUD", "text", stream=buf)


# ------------------------------------------------------------------------------------- health
class FakeTransport:
    def __init__(self, name: str, events: list, **attrs) -> None:
        self.name = name
        self.events = events
        self.__dict__.update(attrs)

    async def start(self) -> None:
        self.events.append(f"{self.name} started")

    async def stop(self) -> None:
        await asyncio.sleep(0.05)
        self.events.append(f"{self.name} stopped")

    async def send(self, chat_id, reply, *, dedupe_key=None) -> None:
        pass


class HealthyTransport(FakeTransport):
    ok = True

    def healthy(self) -> bool:
        return self.ok


async def test_health_checks(sqlite_core):
    import time as _time

    from bot.health import HealthServer

    h = HealthServer(sqlite_core, port=0)
    ok, body = await h.check()
    assert not ok and body["phase"] == "starting"
    h.phase = "running"
    ok, body = await h.check()
    assert ok and body["checks"]["database"]["ok"] and body["checks"]["scheduler"]["state"] == "absent"

    ev: list = []
    h.transports = {"a": HealthyTransport("a", ev), "b": FakeTransport("b", ev, connected=True),
                    "c": FakeTransport("c", ev)}
    ok, body = await h.check()
    assert ok, body
    assert body["checks"]["transports"] == {"a": {"ok": True, "state": "healthy"},
                                            "b": {"ok": True, "state": "connected"},
                                            "c": {"ok": True, "state": "unknown"}}
    h.transports["a"].ok = False
    ok, body = await h.check()
    assert not ok and body["checks"]["transports"]["a"]["ok"] is False
    h.transports["a"].ok = True
    h.transports["b"].connected = False
    assert not (await h.check())[0]
    h.transports["b"].connected = True

    class Sched:
        last_tick = _time.monotonic()

    h.scheduler = Sched()
    assert (await h.check())[0]
    Sched.last_tick = _time.monotonic() - 3600
    ok, body = await h.check()
    assert not ok and body["checks"]["scheduler"]["state"] == "stale"

    class Sched2:
        def alive(self) -> bool:
            return False

    h.scheduler = Sched2()
    assert not (await h.check())[0]
    h.scheduler = None

    sqlite_core.db.dispose()
    real_ping = sqlite_core.db.ping
    sqlite_core.db.ping = lambda: (_ for _ in ()).throw(RuntimeError("database is gone"))
    try:
        ok, body = await h.check()
        assert not ok and body["checks"]["database"] == {"ok": False, "dialect": "sqlite", "error": "database is gone"}
    finally:
        sqlite_core.db.ping = real_ping


# ------------------------------------------------------------------------------------- metrics
def _samples(text: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_from_dialogue_and_database(sqlite_core, clock):
    from bot.dialogue import Dialogue
    from bot.domain import IncomingMessage
    from bot.metrics import METRIC_NAMES, Metrics
    from bot.storage.models import Outbox

    m = Metrics(sqlite_core).install()
    try:
        d = Dialogue(sqlite_core)
        for text in ("hilfe", "help"):
            d.handle(IncomingMessage("terminal", "anna", "anna", text, display_name="Anna"))
        d.handle(IncomingMessage("telegram", "42", "42", "hallo", display_name="Ben"))
    finally:
        m.uninstall()
    assert m.observe not in Dialogue.observers

    member = sqlite_core.members.resolve("terminal", "anna", "anna", "Anna")
    day = clock.today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    outcomes = sqlite_core.booking.book(member.id, "coesfeld", [day], part="full", pay_self=True)
    assert type(outcomes[0]).__name__ == "Booked", outcomes

    before = _samples(m.render().decode())
    now = clock.now()
    rows = [("pending", 0, now - timedelta(minutes=5)), ("pending", 2, now - timedelta(minutes=1)),
            ("pending", 0, now + timedelta(days=1)), ("sent", 1, now), ("dead", 5, now), ("cancelled", 0, now)]
    with sqlite_core.db.session() as s:
        for i, (status, attempts, due) in enumerate(rows):
            s.add(Outbox(dedupe_key=f"k{i}", kind="test", payload={}, due_at=due, status=status, attempts=attempts,
                         created_at=now))

    text = m.render().decode()
    for name in METRIC_NAMES:
        assert f"# HELP {name} " in text, name
    got = _samples(text)
    by_transport: dict = {}
    for (name, labels), v in got.items():
        if name == "deskbot_messages_total":
            t = dict(labels)["transport"]
            by_transport[t] = by_transport.get(t, 0) + v
    assert by_transport == {"terminal": 2, "telegram": 1}
    assert got[("deskbot_message_handling_seconds_count", (("transport", "terminal"),))] == 2
    assert got[("deskbot_bookings", (("status", "confirmed"),))] >= 1
    assert got[("deskbot_bookings", (("status", "no_show"),))] == 0
    delta = {k: v - before.get(k, 0) for k, v in got.items()}  # the booking itself may have queued reminders
    assert delta[("deskbot_notices", (("state", "sent"),))] == 1
    assert delta[("deskbot_notices", (("state", "dead"),))] == 1
    assert delta[("deskbot_notices", (("state", "failed"),))] == 1
    assert delta[("deskbot_notices", (("state", "cancelled"),))] == 1
    assert delta[("deskbot_outbox_depth", ())] == 2
    assert delta[("deskbot_outbox_scheduled", ())] == 1
    assert 250 <= got[("deskbot_outbox_oldest_due_age_seconds", ())] <= 350
    assert got[("deskbot_db_up", ())] == 1


def test_metrics_survive_a_broken_database(sqlite_core):
    from bot.metrics import Metrics

    m = Metrics(sqlite_core)

    def broken():
        raise RuntimeError("no database")

    sqlite_core.db.session = broken
    got = _samples(m.render().decode())
    assert got[("deskbot_db_up", ())] == 0
    assert not any(name.startswith("deskbot_bookings") for name, _ in got)


# ------------------------------------------------------------------------------------- runner
async def test_run_forever_starts_and_stops_in_order(sqlite_core, monkeypatch, restore_logging):
    import types

    import aiohttp

    from bot import runner
    from bot.dialogue import Dialogue

    events: list = []
    tg = HealthyTransport("telegram", events)
    mx = FakeTransport("matrix", events, connected=True)
    monkeypatch.setattr(runner, "build_transports", lambda core, dialogue: {"telegram": tg, "matrix": mx})

    class Scheduler:
        def __init__(self, core, dialogue, transports) -> None:
            assert set(transports) == {"telegram", "matrix"}

        async def start(self) -> None:
            events.append("scheduler started")

        async def stop(self) -> None:
            await asyncio.sleep(0.05)
            events.append("scheduler stopped")

        def alive(self) -> bool:
            return True

    monkeypatch.setitem(sys.modules, "bot.scheduler", types.SimpleNamespace(Scheduler=Scheduler))
    port = free_port()
    sqlite_core.settings.http_port = port
    observers = list(Dialogue.observers)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(sqlite_core, stop))
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        body = None
        for _ in range(100):
            try:
                async with http.get(url + "/healthz") as r:
                    body = await r.json()
                    if r.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
        assert body and body["status"] == "ok", body
        assert body["checks"]["scheduler"]["state"] == "alive"
        assert body["checks"]["transports"]["matrix"]["state"] == "connected"
        assert len(Dialogue.observers) == len(observers) + 1
        mx.connected = False
        async with http.get(url + "/healthz") as r:
            assert r.status == 503
        async with http.get(url + "/metrics") as r:
            text = await r.text()
        assert 'deskbot_transport_up{transport="matrix"} 0.0' in text
        assert 'deskbot_transport_up{transport="telegram"} 1.0' in text
    stop.set()
    await asyncio.wait_for(task, 5)
    assert events == ["telegram started", "matrix started", "scheduler started",
                      "scheduler stopped", "matrix stopped", "telegram stopped"]
    assert Dialogue.observers == observers
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


async def test_a_hanging_transport_does_not_block_shutdown(sqlite_core, monkeypatch, restore_logging):
    from bot import runner

    class Hangs(FakeTransport):
        async def stop(self) -> None:
            await asyncio.sleep(3600)

    events: list = []
    monkeypatch.setattr(runner, "build_transports", lambda core, dialogue: {"x": Hangs("x", events)})
    monkeypatch.setattr(runner, "STOP_TIMEOUT", 0.2)
    sqlite_core.settings.http_port = None
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.2, stop.set)
    await asyncio.wait_for(runner.run_forever(sqlite_core, stop), 5)
    assert events == ["x started"]  # its stop() was abandoned after STOP_TIMEOUT


# ------------------------------------------------------------------------------------- newer database
def _stamp_future(url: str) -> None:
    from sqlalchemy import text

    from bot.storage.db import Database

    db = Database(url)
    db.migrate()
    with db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    db.dispose()


@pytest.mark.parametrize("command", [["migrate"], ["run"]])
def test_refuses_a_newer_database(tmp_path, command):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    _stamp_future(url)
    env = clean_env(DESKBOT_DATABASE_URL=url, DESKBOT_DATA_DIR=str(tmp_path / "data"),
                    DESKBOT_WORLD_FILE=str(DEMO_WORLD), DESKBOT_HTTP_PORT=str(free_port()))
    proc = subprocess.run([str(BIN / "deskbot"), *command], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1, proc.stderr
    assert "9999_from_the_future" in err[0] and "newer" in err[0]
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------- backup
def test_sqlite_backup_contains_the_data(sqlite_core, tmp_path):
    from bot.backup import backup
    from bot.storage.models import Member

    with sqlite_core.db.session() as s:
        s.add(Member(display_name="Backup-Probe Åsa", lang="de", prefs={}, created_at=sqlite_core.clock.now()))
    # the bot keeps its connections open (WAL not checkpointed): the backup must still see the row
    out = backup(sqlite_core.settings, tmp_path / "backups" / "deskbot.sqlite3")
    assert out == tmp_path / "backups" / "deskbot.sqlite3" and out.stat().st_size > 0
    assert not list(out.parent.glob("*.partial"))
    con = sqlite3.connect(out)
    try:
        assert con.execute("SELECT count(*) FROM members WHERE display_name = 'Backup-Probe Åsa'").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM spaces").fetchone()[0] >= 10  # demo world
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == sqlite_core.db.head_revision()
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    finally:
        con.close()

    second = backup(sqlite_core.settings, str(tmp_path / "dir") + "/")  # a directory: time-stamped name
    assert second.parent == tmp_path / "dir" and second.name.startswith("deskbot-") and second.suffix == ".sqlite3"


def test_backup_cli(sqlite_core, tmp_path):
    sqlite_core.close()
    env = clean_env(DESKBOT_DATABASE_URL=sqlite_core.settings.effective_database_url,
                    DESKBOT_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, "-m", "bot.backup", str(tmp_path / "b.sqlite3")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "backup written" in proc.stdout and (tmp_path / "b.sqlite3").exists()
    proc = subprocess.run([sys.executable, "-m", "bot.backup", str(tmp_path / "c.sqlite3")], cwd=tmp_path,
                          env=clean_env(DESKBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'missing.sqlite3'}"),
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "not found" in proc.stderr


def test_postgres_backup_route(tmp_path):
    from bot.backup import BackupError, pg_dump_command, postgres_backup

    url = "postgresql+psycopg://deskbot:s3cret@postgres:5432/deskbot"
    argv, env = pg_dump_command(url, tmp_path / "x.dump")
    assert argv[0] == "pg_dump" and "--format=custom" in argv and "--host=postgres" in argv
    assert "--dbname=deskbot" in argv and not any("s3cret" in a for a in argv) and env == {"PGPASSWORD": "s3cret"}
    with pytest.raises(BackupError) as exc:
        postgres_backup(url, tmp_path / "x.dump", run=False)
    assert "pg_dump --format=custom" in str(exc.value) and "s3cret" not in str(exc.value)


@pytest.mark.postgres
def test_postgres_backup_with_pg_dump(pg_url, tmp_path):
    import shutil

    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed")
    require_pg()
    from bot.backup import BackupError, backup
    from bot.settings import Settings
    from bot.storage.db import Database

    db = Database(pg_url)
    db.migrate()
    db.dispose()
    try:
        out = backup(Settings(database_url=pg_url, data_dir=tmp_path), tmp_path / "pg.dump")
    except BackupError as exc:  # e.g. client older than the server
        pytest.skip(str(exc))
    listing = subprocess.run(["pg_restore", "--list", str(out)], capture_output=True, text=True)
    assert listing.returncode == 0 and "alembic_version" in listing.stdout


async def test_run_forever_with_telegram_end_to_end(sqlite_core, restore_logging):
    """The real Telegram transport (against the Bot API emulator): a message is answered and counted,
    then the bot stops cleanly."""
    import time as _time

    import aiohttp
    from tg_emulator import TelegramEmulator

    from bot import runner

    async with TelegramEmulator() as emu:
        port = free_port()
        sqlite_core.settings.http_port = port
        sqlite_core.settings.telegram_token = emu.token
        sqlite_core.settings.telegram_base_url = emu.base_url
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run_forever(sqlite_core, stop))
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(url + "/healthz") as r:
                        body = await r.json()
                        if r.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
            assert body["status"] == "ok" and "telegram" in body["checks"]["transports"], body
            emu.inject_message(4711, 4711, "hilfe", first_name="Anna", language_code="de")
            await emu.wait_for(lambda: len(emu.sent_to(4711)) >= 1)
            for _ in range(100):
                async with http.get(url + "/metrics") as r:
                    text = await r.text()
                if 'deskbot_messages_total{intent=' in text and 'transport="telegram"' in text:
                    break
                await asyncio.sleep(0.05)
            assert 'transport="telegram"' in text and "deskbot_message_handling_seconds_count" in text
        t0 = _time.monotonic()
        stop.set()
        await asyncio.wait_for(task, 15)
        assert _time.monotonic() - t0 < 12
