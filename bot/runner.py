"""`deskbot run`: every configured transport, the scheduler and the health server in one event loop.

Start order: logging -> metrics observer -> health server (answers 503 "starting" at once) ->
transports -> scheduler -> phase "running" (/healthz 200).

Stops gracefully on SIGTERM/SIGINT (Docker sends SIGTERM, then SIGKILL after the grace period;
docker-compose.yml gives 30 s, each step below is capped so the whole stop fits):

1. /healthz turns 503 ("stopping"), so a load balancer stops sending webhooks here;
2. the scheduler stops claiming outbox rows and finishes the send in progress (a row is marked
   sent/failed in the transaction that follows its send, so it stays consistent; a row whose claim
   was not finished is picked up again after its claim expires);
3. transports stop taking updates and finish the ones in flight (their replies still go out);
4. the health server closes; the log says "deskbot stopped" and `run_forever` returns (exit 0).

With PostgreSQL the Matrix transport gets a leader lock (`PgAdvisoryLeader`), so several instances
can run side by side and exactly one of them syncs Matrix.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time

from bot.app import Core

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0  # per component


def build_transports(core: Core, dialogue) -> dict:
    """The transports whose settings are present."""
    s = core.settings
    transports: dict = {}
    if s.telegram_token:
        from bot.handlers.telegram import TelegramTransport

        transports["telegram"] = TelegramTransport(
            dialogue, token=s.telegram_token, base_url=s.telegram_base_url or None, mode=s.telegram_mode,
            webhook_url=s.telegram_webhook_url or None, webhook_listen=s.telegram_webhook_listen,
            webhook_port=s.telegram_webhook_port, webhook_secret=s.telegram_webhook_secret or None,
            on_blocked=lambda chat_id: mark_blocked(core, "telegram", chat_id),
        )
    if s.matrix_homeserver and s.matrix_user_id:
        from bot.handlers.matrix import MatrixTransport

        lock = None
        if core.db.is_postgres:
            from bot.handlers.matrix_leader import PgAdvisoryLeader

            lock = PgAdvisoryLeader(core.settings.effective_database_url).hold
        store = s.matrix_store_dir or (s.data_dir / "matrix")
        transports["matrix"] = MatrixTransport(
            dialogue, homeserver=s.matrix_homeserver, user_id=s.matrix_user_id, access_token=s.matrix_access_token or None,
            password=s.matrix_password or None, db=core.db, store_dir=store, allowed_homeservers=s.matrix_allowed_homeservers or None,
            lock=lock,
        )
    return transports


def mark_blocked(core: Core, transport: str, chat_id: str) -> None:
    """The user blocked the bot: stop sending to that chat until they write again."""
    from sqlalchemy import update

    from bot.storage.models import Identity

    with core.db.session() as s:
        s.execute(update(Identity).where(Identity.transport == transport, Identity.chat_id == chat_id)
                  .values(blocked_at=core.clock.now()))


def _make_scheduler(core: Core, dialogue, transports: dict):
    """`bot.scheduler.Scheduler(core, dialogue, transports)`, or None while that module does not exist."""
    try:
        from bot.scheduler import Scheduler
    except ImportError as exc:
        if exc.name in ("bot.scheduler",) or "cannot import name 'Scheduler'" in str(exc):
            log.warning("no scheduler in this build (bot.scheduler): reminders and notices are not sent")
            return None
        raise
    return Scheduler(core, dialogue, transports)


async def _stop(what: str, coro_fn, timeout: float | None = None) -> None:
    timeout = STOP_TIMEOUT if timeout is None else timeout
    started = time.monotonic()
    try:
        await asyncio.wait_for(coro_fn(), timeout)
    except asyncio.TimeoutError:
        log.error("%s did not stop within %.0fs; going on", what, timeout)
    except Exception:
        log.exception("%s failed while stopping", what)
    else:
        log.info("%s stopped (%.1fs)", what, time.monotonic() - started)


async def run_forever(core: Core, stop_event: asyncio.Event | None = None) -> None:
    """Run until `stop_event` is set or SIGTERM/SIGINT arrives; then stop everything in order."""
    from bot.dialogue import Dialogue
    from bot.logging_setup import setup_from_settings

    settings = core.settings
    setup_from_settings(settings)
    try:
        from bot.metrics import Metrics
    except ImportError as exc:  # prometheus_client missing: run anyway, /metrics answers 404
        log.error("metrics disabled: %s (install prometheus_client)", exc)
        Metrics = None  # noqa: N806
    stop_event = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signame: str) -> None:
        if stop_event.is_set():
            log.info("received %s again; still shutting down", signame)
            return
        log.info("received %s: shutting down", signame)
        stop_event.set()

    installed: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, on_signal, sig.name)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / not Unix
            pass

    metrics = Metrics(core).install() if Metrics is not None else None
    dialogue = Dialogue(core)
    # the start-up objects (modules, settings, parser tables) live as long as the process: move them out
    # of the cyclic collector's generations, so full collections stay short (bench: availability p99
    # 89 -> 22 ms once the 70 ms GC pauses were gone)
    gc.collect()
    gc.freeze()
    health = None
    transports: dict = {}
    started: dict = {}
    scheduler = None
    try:
        if settings.http_port is not None:
            from bot.health import HealthServer

            health = HealthServer(core, port=settings.http_port, metrics=metrics)
            await health.start()

        transports = build_transports(core, dialogue)
        if metrics is not None:
            metrics.transports = transports
        if health is not None:
            health.transports = transports
        if not transports:
            log.warning("no transport configured (DESKBOT_TELEGRAM_TOKEN, DESKBOT_MATRIX_HOMESERVER): "
                        "running the scheduler only")
        for name, tr in transports.items():
            if stop_event.is_set():
                break
            await tr.start()
            started[name] = tr
            log.info("transport %s started", name)

        made = _make_scheduler(core, dialogue, transports)
        if made is not None and not stop_event.is_set():
            scheduler = made
            await scheduler.start()
            log.info("scheduler started")
            if health is not None:
                health.scheduler = scheduler

        if health is not None:
            health.phase = "running"
        log.info("deskbot running: transports=%s, database=%s, http_port=%s",
                 ",".join(transports) or "none", core.db.dialect, settings.http_port)
        await stop_event.wait()
    finally:
        log.info("shutting down")
        if health is not None:
            health.phase = "stopping"
        if scheduler is not None:
            await _stop("scheduler", scheduler.stop)
        for name, tr in reversed(list(started.items())):
            await _stop(f"transport {name}", tr.stop)
        if health is not None:
            await _stop("health server", health.stop, 5.0)
        if metrics is not None:
            metrics.uninstall()
        for sig in installed:
            try:
                loop.remove_signal_handler(sig)
            except Exception:  # pragma: no cover
                pass
        log.info("deskbot stopped")
