"""`deskbot run`: every configured transport, the scheduler and the health server in one event loop.

Stops gracefully on SIGTERM/SIGINT: transports stop taking updates and finish those in flight,
the scheduler finishes the send in progress (outbox rows stay consistent), then the loop ends.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import Core

log = logging.getLogger(__name__)


def build_transports(core: Core, dialogue) -> dict:
    """The transports whose settings are present."""
    s = core.settings
    transports: dict = {}
    if s.telegram_token:
        from bot.handlers.telegram import TelegramTransport

        transports["telegram"] = TelegramTransport(
            dialogue, token=s.telegram_token, base_url=s.telegram_base_url, mode=s.telegram_mode,
            webhook_url=s.telegram_webhook_url, webhook_listen=s.telegram_webhook_listen, webhook_port=s.telegram_webhook_port,
            webhook_secret=s.telegram_webhook_secret, on_blocked=lambda chat_id: mark_blocked(core, "telegram", chat_id),
        )
    if s.matrix_homeserver and s.matrix_user_id:
        from bot.handlers.matrix import MatrixTransport

        store = s.matrix_store_dir or (s.data_dir / "matrix")
        transports["matrix"] = MatrixTransport(
            dialogue, homeserver=s.matrix_homeserver, user_id=s.matrix_user_id, access_token=s.matrix_access_token,
            password=s.matrix_password, store_dir=store, allowed_homeservers=s.matrix_allowed_homeservers or None,
        )
    return transports


def mark_blocked(core: Core, transport: str, chat_id: str) -> None:
    """The user blocked the bot: stop sending to that chat until they write again."""
    from sqlalchemy import update

    from bot.storage.models import Identity

    with core.db.session() as s:
        s.execute(update(Identity).where(Identity.transport == transport, Identity.chat_id == chat_id)
                  .values(blocked_at=core.clock.now()))


async def run_forever(core: Core, stop_event: asyncio.Event | None = None) -> None:
    from bot.dialogue import Dialogue

    logging.basicConfig(level=core.settings.log_level)
    dialogue = Dialogue(core)
    transports = build_transports(core, dialogue)
    if not transports:
        log.warning("no transport configured (DESKBOT_TELEGRAM_TOKEN, DESKBOT_MATRIX_HOMESERVER): running the scheduler only")
    stop_event = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop_event.set)
        except (NotImplementedError, RuntimeError):
            pass
    scheduler = None
    try:
        from bot.scheduler import Scheduler

        scheduler = Scheduler(core, dialogue, transports)
    except ImportError:
        pass
    for name, tr in transports.items():
        await tr.start()
        log.info("transport %s started", name)
    if scheduler is not None:
        await scheduler.start()
    try:
        await stop_event.wait()
    finally:
        log.info("shutting down")
        for tr in transports.values():
            await tr.stop()
        if scheduler is not None:
            await scheduler.stop()
