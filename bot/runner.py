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

Start-up errors: a transport whose server cannot be reached (network down, Telegram or the
homeserver unreachable) is retried with exponential backoff (1 s, 2 s, 4 s ... at most 60 s), one
log line per attempt, until it starts or the bot is stopped. A rejected credential (Telegram's
InvalidToken, a refused Matrix login) is not retried: `StartupError`, one line naming the setting,
`deskbot run` exits 2. Secrets (bot token, passwords, the webhook secret) are masked in every log line
(`install_redaction`).

With PostgreSQL the Matrix transport gets a leader lock (`PgAdvisoryLeader`), so several instances
can run side by side and exactly one of them syncs Matrix.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time

from bot.app import Core

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0  # per component
START_BACKOFF = 1.0  # first wait before a transport's start is tried again
START_BACKOFF_MAX = 60.0


class StartupError(Exception):
    """`deskbot run` cannot start; the message is one line naming the setting (exit code 2)."""


# ------------------------------------------------------------------------------------- secrets in logs
class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter and masks the given secrets in the finished line (traceback included)."""

    def __init__(self, inner: logging.Formatter, secrets: list[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = sorted({x for x in secrets if x and len(x) >= 4}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self.inner.format(record))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text


def secrets_of(settings) -> list[str]:
    """Values that must never appear in a log line."""
    out = [settings.telegram_token, settings.telegram_webhook_secret, settings.matrix_password,
           settings.matrix_access_token, getattr(settings, "matrix_pickle_key", None), getattr(settings, "database_password", None)]
    token = settings.telegram_token or ""
    if ":" in token:
        out.append(token.split(":", 1)[1])  # the secret half alone (the bot id before the colon is public)
    try:
        from sqlalchemy.engine import make_url

        out.append(make_url(settings.effective_database_url).password)
    except Exception:  # pragma: no cover - settings validated the URL already
        pass
    return [x for x in out if x]


def install_redaction(settings) -> None:
    """Mask the settings' secrets in everything the root logger's handlers write."""
    secrets = secrets_of(settings)
    if not secrets:
        return
    for handler in logging.getLogger().handlers:
        fmt = handler.formatter or logging.Formatter()
        if isinstance(fmt, RedactingFormatter):
            fmt = fmt.inner
        handler.setFormatter(RedactingFormatter(fmt, secrets))


# ------------------------------------------------------------------------------------- transport start
def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _rejected_credential(name: str, exc: BaseException) -> str | None:
    """The StartupError line when `exc` means a setting is wrong (retrying cannot help), else None."""
    kind = type(exc).__name__
    if name == "telegram" and kind == "InvalidToken":
        return "DESKBOT_TELEGRAM_TOKEN: Telegram rejected the token (InvalidToken); get the right one from @BotFather"
    if name == "telegram" and isinstance(exc, OSError) and exc.errno in (98, 99, 13):  # in use / cannot assign / denied
        return f"DESKBOT_TELEGRAM_WEBHOOK_PORT: cannot listen for webhooks: {_one_line(exc)}"
    if name == "matrix" and (kind in ("LoginError", "MatrixLoginError") or "M_FORBIDDEN" in str(exc)
                             or "M_UNKNOWN_TOKEN" in str(exc)
                             or "login failed" in str(exc) or "access token rejected" in str(exc)):
        return ("DESKBOT_MATRIX_PASSWORD / DESKBOT_MATRIX_ACCESS_TOKEN: the homeserver refused the login "
                f"({_one_line(exc)})")
    if name == "matrix" and isinstance(exc, ValueError) and "pickle" in str(exc).lower():
        return ("DESKBOT_MATRIX_PICKLE_KEY: the bot's Matrix keys in the database cannot be decrypted with this "
                "key; set the key they were stored with")
    return None


def _transient(exc: BaseException) -> bool:
    """A network-level failure worth retrying (server unreachable, timeout, 5xx)."""
    kinds = {c.__name__ for c in type(exc).__mro__}
    return bool(kinds & {"NetworkError", "TimedOut", "ClientError", "ClientConnectionError", "ServerDisconnectedError",
                         "OSError", "TimeoutError", "ConnectError", "TransportError", "LocalProtocolError"})


async def _start_or_stop(transport, stop_event: asyncio.Event) -> bool:
    """`transport.start()`, abandoned (cancelled) when a stop is requested meanwhile: False then.

    A start may take long (a client library retrying by itself); SIGTERM must still stop the bot at once.
    """
    starting = asyncio.ensure_future(transport.start())
    stopping = asyncio.ensure_future(stop_event.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if starting.done():
        starting.result()  # raises what start() raised
        return True
    starting.cancel()
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(starting, STOP_TIMEOUT)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(transport.stop(), STOP_TIMEOUT)
    log.info("stopped while starting a transport")
    return False


async def start_with_retry(name: str, transport, stop_event: asyncio.Event) -> bool:
    """Start `transport`, retrying network failures with backoff; False if stopped before it started."""
    attempt = 0
    while True:
        attempt += 1
        try:
            if not await _start_or_stop(transport, stop_event):
                return False
            return True
        except Exception as exc:
            fatal = _rejected_credential(name, exc)
            if fatal:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(transport.stop(), STOP_TIMEOUT)
                raise StartupError(fatal) from None
            if not _transient(exc):
                raise
            delay = min(START_BACKOFF_MAX, START_BACKOFF * 2 ** (attempt - 1))
            log.warning("transport %s: cannot start, attempt %d (%s); next try in %.0fs",
                        name, attempt, _one_line(exc), delay)
        with contextlib.suppress(Exception):  # drop half-opened clients before the next try
            await asyncio.wait_for(transport.stop(), STOP_TIMEOUT)
        try:
            await asyncio.wait_for(stop_event.wait(), delay)
            return False
        except asyncio.TimeoutError:
            pass


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
            lock=lock, pickle_key=s.matrix_pickle_key or None,
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
    settings.check_for_run()
    setup_from_settings(settings)
    install_redaction(settings)
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

            health = HealthServer(core, port=settings.http_port, metrics=metrics, routes=dialogue.routes.http)
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
            if not await start_with_retry(name, tr, stop_event):
                break
            started[name] = tr
            log.info("transport %s started", name)

        made = _make_scheduler(core, dialogue, transports)
        if made is not None and not stop_event.is_set():
            scheduler = made
            await scheduler.start()
            log.info("scheduler started")
            if health is not None:
                health.scheduler = scheduler

        if not stop_event.is_set():  # (stopped while a transport's start was being retried: never "running")
            if health is not None:
                health.phase = "running"
            log.info("deskbot running: transports=%s, database=%s, http_port=%s",
                     ",".join(started) or "none", core.db.dialect, settings.http_port)
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
