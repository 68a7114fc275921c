"""Telegram transport (python-telegram-bot 22: its `ExtBot` for the Bot API, our own update loop).

How it works
------------
* Incoming, polling: one loop calls getUpdates. The offset (which confirms every update below it to
  Telegram) never moves past an update whose dialogue call has not returned: while updates are being
  handled, getUpdates is asked from the oldest of them (what comes back again is skipped), and only
  once they are handled does the offset move on. A kill at any moment therefore loses no update; an
  update whose handling had begun is redelivered and the dialogue's ``update_key`` ("tg:<update_id>")
  makes the second delivery a no-op.
* Incoming, webhook: our own aiohttp server, on 127.0.0.1 unless configured otherwise, refuses a request
  without the right ``X-Telegram-Bot-Api-Secret-Token`` with 403 (constant-time comparison; webhook mode
  needs a secret) and answers 200 only after the dialogue returned (the reply is then in the outbox
  even if sending fails) and its replies went out (at most ``webhook_send_wait``, 10 s, longer only in a
  429 pause: the reply then waits in the outbox). Telegram posts a chat's next update only after the 200,
  so with several instances behind one URL a chat's answers still arrive in order. A redelivered
  ``update_id`` is answered from a small in-process memory (and across instances by the dialogue's
  ``update_key``).
* Per chat: updates are handled one at a time, in order; the dialogue's replies then go to the chat's
  send chain, so sending (1 message/s per chat) never holds up the next dialogue call or another chat.
  At most ``max_pending_per_chat`` (10; a group: ``max_pending_per_group``, 20) updates per chat may be
  pending (accepted, reply not yet sent);
  above that updates are dropped (and confirmed) with at most one "slow down" notice per chat and minute.
* Buttons: the callback query is answered as soon as the dialogue returned (or after
  ``callback_answer_after`` seconds with an empty answer if it is slow), never behind the chat's sends; a
  429 on it waits for that query alone. A reply with ``alert=True`` is the callback answer
  (show_alert), not a chat message. A reply with ``edit=True`` edits the message carrying the pressed
  button; when it cannot (a document, a long text), the spent keyboard is removed and a new message sent.
* Outgoing: `Reply.choices` -> inline keyboard; ``Reply.html`` with ``parse_mode=HTML`` (plain ``text``
  if Telegram cannot parse it); texts over 4096 UTF-16 units are split at line boundaries, the keyboard
  on the last part; ``.ics`` / other files -> sendDocument, PNG/JPEG -> sendPhoto.
* Pacing: `FloodLimiter` (bot/handlers/telegram_send.py): 30 messages/s per bot served round robin
  across chats (every chat's first part before anyone's second), interactive replies before `send()`'s
  bulk, 1/s per private chat (burst 2 of the ~3 Telegram tolerates), 20/min per group. No delay beyond these limits.
  On PostgreSQL every send is also drawn from the bot's budget in the database (`PgSendBudget`,
  bot/throttle.py), so all instances together keep these limits (``shared_budget``).
* HTTP: PTB's `ExtBot` on an aiohttp client (bot/handlers/telegram_http.py; ~10x less CPU per Bot API
  call than PTB's default httpx client).
* Failures: 429 -> the chat waits ``retry_after`` and the message is retried; network errors are
  retried with backoff, except a send that timed out after the request went out: it may have arrived,
  so it is not retried (logged, counted in ``stats["maybe_sent"]``). A reply sent is confirmed with
  ``dialogue.mark_sent([outbox_id, ...])``; one not sent within ``max_reply_wait`` (90 s from the dialogue's
  return, inside the dialogue's 120 s lease on the row) or by stop time stays in the outbox, its lease
  ended (``dialogue.release_replies``), and the scheduler delivers it at once (after a restart, or
  another instance).
* `send()` (the scheduler's outbox) never waits longer than ``max_send_wait``: it raises `RetryLater`
  when Telegram or the limiter asks for a longer wait or retries are exhausted, `RecipientGone` (and
  calls ``on_blocked``) on 403 or "chat not found", `SendError` on other permanent errors. Parts of a
  multi-message reply already delivered under a ``dedupe_key`` are not sent again.
* ``stop()``: no new updates; updates accepted are handled; sends drain for up to ``stop_grace``
  (5 s), what is left stays in the outbox (logged with its count); the polling offset is confirmed.
* The bot token and the webhook secret never reach the log: a filter redacts them from every record
  of the Bot API's loggers (httpx logs each request URL) and from tracebacks; an `InvalidToken` at
  start-up is re-raised without the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import io
import logging
import re
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
from aiohttp import web
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.domain import Attachment, IncomingMessage, Reply
from bot.handlers.telegram_http import AiohttpRequest, sent_nothing
from bot.handlers.telegram_send import (
    EDIT_ENDPOINTS,
    INTERACTIVE,
    SEND_ENDPOINTS,
    FloodLimiter,
    FloodLimits,
    SendPolicy,
    retry_after_seconds,
)
from bot.handlers.telegram_text import (
    MAX_TEXT_UTF16,
    TokenRedactor,
    split_text,
    utf16_len,
)
from bot.i18n import translator
from bot.transport import RecipientGone, RetryLater, SendError

log = logging.getLogger(__name__)

# edits are asked for so that an edited request is answered ("ändert nichts, schick eine neue Nachricht"), never
# silently ignored and never booked a second time (the dialogue refuses `edited` messages)
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
DEEP_LINK_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
CHECKIN_PREFIX = "checkin-"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# (English command, German command): the menu; descriptions are the catalogue's "cmd_<English command>"
COMMANDS: list[tuple[str, str]] = [
    ("book", "buchen"), ("cancel", "storno"), ("mybookings", "buchungen"), ("free", "frei"), ("checkin", "checkin"),
    ("contingent", "kontingent"), ("settings", "einstellungen"), ("language", "sprache"), ("help", "hilfe"),
]

tr = translator("transport")  # texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po


def slow_down_text(lang: str | None) -> str:
    """The notice for updates dropped above a chat's queue cap: in the member's language, or in both when it is
    not known."""
    if lang in ("de", "en"):
        return tr(lang, "slow_down_dropped")
    return " / ".join(tr(code, "slow_down_short") for code in ("de", "en"))


class DialogueLike(Protocol):
    def handle(self, msg: IncomingMessage) -> list[Reply]: ...


# ---------------------------------------------------------------------------------------------
# deep links & QR codes


def deep_link(bot_username: str, payload: str) -> str:
    if not DEEP_LINK_RE.fullmatch(payload):
        raise ValueError(f"a /start payload is 1-64 characters of A-Z a-z 0-9 _ -: {payload!r}")
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


def invite_link(bot_username: str, code: str) -> str:
    """Link that opens the bot and sends ``/start <code>`` (the dialogue redeems any payload that
    is not ``checkin-...`` as an invitation code)."""
    return deep_link(bot_username, code)


def checkin_link(bot_username: str, slug: str) -> str:
    """Link that opens the bot and sends ``/start checkin-<slug>``."""
    return deep_link(bot_username, CHECKIN_PREFIX + slug)


def checkin_qr_png(bot_username: str, slug: str, *, scale: int = 12) -> bytes:
    """A printable QR code (PNG, black on white, quiet zone 4) for the check-in deep link."""
    import segno

    qr = segno.make(checkin_link(bot_username, slug), error="q", micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=4, dark="#000000", light="#ffffff")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# rendering


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.data) for c in row] for row in reply.choices if row]
    )


def _is_photo(att: Attachment) -> bool:
    return att.mime in ("image/png", "image/jpeg") or att.filename.lower().endswith((".png", ".jpg", ".jpeg"))


def _chat_not_found(exc: TelegramError) -> bool:
    m = str(exc).lower()
    return "chat not found" in m or "user not found" in m or "peer_id_invalid" in m


def _maybe_sent(exc: TimedOut) -> bool:
    """A timeout after the request went out: Telegram may have acted on it. Connect and pool timeouts
    happen before anything was sent."""
    cause = exc.__cause__
    if sent_nothing(exc) or isinstance(cause, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return False
    return "pool timeout" not in str(exc).lower()


# ---------------------------------------------------------------------------------------------
# the transport


class _Delivered:
    """Remembers which parts of a reply went out under a dedupe key (bounded LRU)."""

    def __init__(self, size: int = 4096) -> None:
        self._d: OrderedDict[str, set[int]] = OrderedDict()
        self._size = size

    def done(self, key: str | None, part: int) -> bool:
        return key is not None and part in self._d.get(key, ())

    def mark(self, key: str | None, part: int) -> None:
        if key is None:
            return
        self._d.setdefault(key, set()).add(part)
        self._d.move_to_end(key)
        while len(self._d) > self._size:
            self._d.popitem(last=False)


@dataclass(eq=False)
class _Item:
    """One accepted update on its way through the dialogue and out."""

    update_id: int
    chat_key: int
    msg: IncomingMessage
    done: asyncio.Future  # resolved when the dialogue returned (webhook: then the 200)
    received: float
    query: CallbackQuery | None = None
    source: int | None = None  # message id carrying the pressed button
    answered: bool = False
    timer: asyncio.TimerHandle | None = None
    handled_at: float = 0.0  # loop time the dialogue returned (its reply's outbox lease started then)
    sent: asyncio.Event = field(default_factory=asyncio.Event)  # its replies went out (or were left to the outbox)


@dataclass(eq=False)
class _Chat:
    key: int
    queue: deque[_Item] = field(default_factory=deque)
    pending: int = 0  # accepted and not yet through the send chain
    worker: asyncio.Task | None = None
    tail: asyncio.Task | None = None  # the last delivery of the chain
    parts: int = 0  # messages sent since the chat's backlog was last empty (the fair sender's round)


class _App:
    """What bench code used of PTB's Application: ``initialize()``, ``shutdown()``, ``bot``."""

    def __init__(self, bot: ExtBot) -> None:
        self.bot = bot

    async def initialize(self) -> None:
        await self.bot.initialize()

    async def shutdown(self) -> None:
        await self.bot.shutdown()


class TelegramTransport:
    name = "telegram"

    def __init__(
        self,
        dialogue: DialogueLike,
        *,
        token: str,
        base_url: str | None = None,
        mode: Literal["polling", "webhook"] = "polling",
        webhook_url: str | None = None,
        webhook_listen: str = "127.0.0.1",
        webhook_port: int = 8443,
        webhook_secret: str | None = None,
        on_blocked: Callable[[str], None] | None = None,
        limits: FloodLimits | None = None,
        max_send_wait: float = 30.0,
        max_reply_wait: float = 90.0,  # below the dialogue's REPLY_LEASE (120 s), or the scheduler sends it too
        network_retries: int = 4,
        network_backoff: float = 0.5,
        poll_timeout: float = 10.0,
        set_commands: bool = True,
        max_pending_per_chat: int = 10,
        max_pending_per_group: int = 20,  # a group is many people (and Telegram lets it have 20 messages a minute)
        flood_notice_every: float = 60.0,
        callback_answer_after: float = 2.0,
        stop_grace: float = 5.0,
        webhook_send_wait: float = 10.0,
        read_timeout: float = 5.0,
        dialogue_concurrency: int | None = None,
        shared_budget: str | bool | None = None,
    ) -> None:
        if mode not in ("polling", "webhook"):
            raise ValueError(f"telegram mode must be 'polling' or 'webhook', not {mode!r}")
        if mode == "webhook":
            if not webhook_url:
                raise ValueError("telegram webhook mode needs webhook_url (DESKBOT_TELEGRAM_WEBHOOK_URL)")
            if not webhook_secret:
                raise ValueError("telegram webhook mode needs a secret (DESKBOT_TELEGRAM_WEBHOOK_SECRET)")
            if not SECRET_RE.fullmatch(webhook_secret):
                raise ValueError("telegram webhook secret: 1-256 characters of A-Z a-z 0-9 _ -")
        self.dialogue = dialogue
        self.mode = mode
        self.webhook_url = webhook_url
        self.webhook_listen = webhook_listen or "127.0.0.1"
        self.webhook_port = webhook_port
        self.webhook_secret = webhook_secret
        self.on_blocked = on_blocked
        self.max_send_wait = max_send_wait
        self.max_reply_wait = max_reply_wait
        self.network_retries = network_retries
        self.network_backoff = network_backoff
        self.poll_timeout = poll_timeout
        self.set_commands = set_commands
        self.max_pending_per_chat = max_pending_per_chat
        self.max_pending_per_group = max_pending_per_group
        self.flood_notice_every = flood_notice_every
        self.callback_answer_after = callback_answer_after
        self.stop_grace = stop_grace
        self.webhook_send_wait = webhook_send_wait
        # how many dialogue calls may run at once (None: as many as asyncio's worker threads); SQLite has one
        # writer, so a few concurrent calls finish sooner than many that wait for each other's locks
        self.dialogue_concurrency = dialogue_concurrency
        self._dialogue_slots: asyncio.Semaphore | None = None
        self.limiter = FloodLimiter(limits)
        self.limiter.stop_grace = stop_grace
        url = self._budget_url(dialogue, shared_budget)
        if url is not None:  # several instances may run: the bot's budget is shared through the database
            self.limiter.share(url, "tg:" + token.split(":", 1)[0])
        self.stats: dict[str, int] = dict.fromkeys(
            ("updates", "duplicates", "dropped_flood", "flood_notices", "sent", "maybe_sent", "left_to_outbox",
             "lost", "callback_answers", "webhook_refused"), 0)
        self._redactor = TokenRedactor(token, webhook_secret)
        self._redactor.install()  # before the ExtBot exists: it logs its URLs (with the token) at DEBUG
        self._delivered = _Delivered()
        self._chats: dict[int, _Chat] = {}
        self._inflight: dict[int, _Item] = {}  # update_id -> item, until its dialogue call returned
        self._recent: OrderedDict[int, asyncio.Future] = OrderedDict()  # update_id -> its item's `done`
        self._notice_at: OrderedDict[int, float] = OrderedDict()
        self._max_seen = -1
        self._confirmed = 0  # the offset Telegram was last given
        self._handled: asyncio.Event | None = None
        self._poll_task: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._web: web.AppRunner | None = None
        self._mark_ids: list[int] = []
        self._release_ids: list[int] = []  # replies given up (stop, long flood wait): their lease ends now
        self._mark_task: asyncio.Task | None = None
        self._started = False
        self._stopping = False

        if base_url and base_url.endswith("/bot"):
            base_file_url = base_url[: -len("/bot")] + "/file/bot"
        else:
            base_file_url = None
        self.bot = ExtBot(
            token,
            base_url=base_url or "https://api.telegram.org/bot",
            base_file_url=base_file_url or "https://api.telegram.org/file/bot",
            request=AiohttpRequest(connection_pool_size=256, read_timeout=read_timeout),
            get_updates_request=AiohttpRequest(connection_pool_size=2, read_timeout=read_timeout),
            rate_limiter=self.limiter,
        )
        self.app = _App(self.bot)

    @staticmethod
    def _budget_url(dialogue: Any, shared_budget: str | bool | None) -> str | None:
        """The PostgreSQL URL whose ``send_budget`` this process draws from, or None (it alone sends).
        ``shared_budget``: a URL; True/None = the dialogue's database if it is PostgreSQL; False = never
        (tests: an instance that paces only itself)."""
        if isinstance(shared_budget, str):
            return shared_budget
        if shared_budget is False:
            return None
        core = getattr(dialogue, "core", None)
        db = getattr(core, "db", None)
        if db is None or not getattr(db, "is_postgres", False):
            return None
        return core.settings.effective_database_url

    # ----------------------------------------------------------------- life cycle

    @property
    def bot_username(self) -> str:
        return self.bot.username

    async def start(self) -> None:
        self._redactor.install()  # again (idempotent): a stop() took it away
        self._handled = asyncio.Event()
        self._stopping = False
        try:
            await self.bot.initialize()  # getMe
        except InvalidToken:
            self._redactor.uninstall()
            raise InvalidToken("the bot token was rejected by Telegram (DESKBOT_TELEGRAM_TOKEN)") from None
        except TelegramError as exc:
            self._redactor.uninstall()
            raise NetworkError(f"telegram: getMe failed: {self._redactor.redact(str(exc))}") from None
        if self.set_commands:
            await self._set_commands()
        if self.mode == "polling":
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._poll_task = asyncio.get_running_loop().create_task(self._poll_loop(), name="telegram-poll")
        else:
            await self._start_webhook_server()
            await self.bot.set_webhook(url=self.webhook_url, secret_token=self.webhook_secret,  # type: ignore[arg-type]
                                       allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)  # fmt: skip
        self._started = True
        log.info("telegram: @%s started (%s)", self.bot_username, self.mode)

    async def stop(self) -> None:
        if not self._started:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()
            self._redactor.uninstall()
            return
        self._started = False
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.stop_grace
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(BaseException):
                await self._poll_task
            self._poll_task = None
        self.limiter.begin_stop(deadline)  # a send that could only go out after the grace is left to the outbox
        # updates accepted are handled (dialogue calls are quick); then the offset is confirmed
        workers = [c.worker for c in self._chats.values() if c.worker is not None]
        if workers:
            await asyncio.wait(workers, timeout=max(0.1, deadline - loop.time()))
        if self.mode == "polling":
            await self._confirm_offset()
        tails = [c.tail for c in self._chats.values() if c.tail is not None and not c.tail.done()]
        if tails:
            await asyncio.wait(tails, timeout=max(0.0, deadline - loop.time()))
        self.limiter.abort_waiting()  # the rest stays in the outbox; all of stop() stays under ~grace + 3 s
        tails = [t for t in tails if not t.done()]
        if tails:
            await asyncio.wait(tails, timeout=1.0)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=0.5)
        if self._mark_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._mark_task), 1.0)
        if self.stats["left_to_outbox"] or self.stats["lost"]:
            log.warning("telegram: stopped with %d replies left to the outbox (%d without an outbox row, lost)",
                        self.stats["left_to_outbox"], self.stats["lost"])  # fmt: skip
        if self._web is not None:
            await self._web.cleanup()
            self._web = None
        with contextlib.suppress(Exception):
            await self.bot.shutdown()
        self._redactor.uninstall()

    async def _set_commands(self) -> None:
        en = [BotCommand(cmd, tr("en", f"cmd_{cmd}")) for cmd, _ in COMMANDS]
        de = [BotCommand(cmd_de, tr("de", f"cmd_{cmd}")) for cmd, cmd_de in COMMANDS]
        await self.bot.set_my_commands(en)
        await self.bot.set_my_commands(de, language_code="de")

    def _spawn(self, coro: Any) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ----------------------------------------------------------------- polling

    def _offset(self) -> int:
        """Every update below this is handled: the oldest one still in the dialogue, else the next new one."""
        if self._inflight:
            return min(self._inflight)
        return self._max_seen + 1

    async def _poll_loop(self) -> None:
        assert self._handled is not None
        backoff = self.network_backoff
        while not self._stopping:
            offset = self._offset()
            busy = bool(self._inflight)
            try:
                updates = await self.bot.get_updates(
                    offset=offset or None, timeout=0 if busy else self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
            except asyncio.CancelledError:
                raise
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except (Conflict, InvalidToken, TelegramError) as exc:
                log.warning("telegram: getUpdates failed (%s: %s); retry in %.1fs", type(exc).__name__,
                            self._redactor.redact(str(exc)), backoff)  # fmt: skip
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception:
                log.exception("telegram: getUpdates failed; retry in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = self.network_backoff
            self._confirmed = max(self._confirmed, offset)
            fresh = 0
            for update in updates:
                if update.update_id <= self._max_seen:
                    continue  # still being handled: asked again only so as not to confirm it
                self._max_seen = update.update_id
                fresh += 1
                self._accept(update)
            if len(updates) >= 100 and not fresh and self._inflight:
                self._unblind()
            if self._inflight and len(updates) < 100:
                # the offset is held back: asking again now would only bring back what is being handled, so
                # wait for a dialogue call to return (or a moment, to look for new updates again)
                self._handled.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._handled.wait(), 0.05)

    def _unblind(self) -> None:
        """A full page of updates we hold already: what comes after them cannot be seen until the oldest one
        is handled. That is a flood (one chat's queued updates, then hundreds more it sent that were
        dropped): drop that chat's updates that wait behind the one being handled, so the offset can move."""
        item = self._inflight[min(self._inflight)]
        chat = self._chats.get(item.chat_key)
        if chat is None or not chat.queue:
            return
        waiting = list(chat.queue)
        chat.queue.clear()
        for it in waiting:
            self._inflight.pop(it.update_id, None)
            chat.pending -= 1
            if it.timer is not None:
                it.timer.cancel()
            if not it.done.done():
                it.done.set_result(None)
            self._drop_flood(it)
        log.info("telegram: chat %s floods; %d queued updates dropped so newer ones can be read", chat.key, len(waiting))

    async def _confirm_offset(self) -> None:
        offset = self._offset()
        if self._max_seen < 0 or offset <= self._confirmed:
            return
        try:
            await self.bot.get_updates(offset=offset, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES)
            self._confirmed = offset
        except TelegramError as exc:
            log.warning("telegram: could not confirm updates below %d (%s); they will be redelivered",
                        offset, self._redactor.redact(str(exc)))  # fmt: skip

    # ----------------------------------------------------------------- webhook

    async def _start_webhook_server(self) -> None:
        path = "/" + urlsplit(self.webhook_url or "").path.lstrip("/")
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(path, self._on_webhook)
        self._web = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._web.setup()
        site = web.TCPSite(self._web, self.webhook_listen, self.webhook_port)
        await site.start()

    async def _on_webhook(self, request: web.Request) -> web.Response:
        secret = self.webhook_secret or ""
        got = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(got.encode(), secret.encode()):
            self.stats["webhook_refused"] += 1
            log.warning("telegram webhook: request without the right secret token refused (from %s)", request.remote)
            return web.Response(status=403, text="forbidden")
        if self._stopping:
            return web.Response(status=503, text="stopping")  # Telegram redelivers it (to another instance)
        try:
            update = Update.de_json(await request.json(), self.bot)
        except Exception:  # noqa: BLE001 (any malformed body is the sender's problem: 400)
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        done = self._accept(update)
        try:
            item = await asyncio.shield(done)
        except Exception:  # noqa: BLE001 (the dialogue failed and logged it: 500, so Telegram redelivers)
            return web.Response(status=500, text="not handled")
        if isinstance(item, _Item) and self.webhook_send_wait > 0:
            # Telegram posts a chat's next update only after this 200: holding it until this update's replies
            # went out keeps the chat's answers in order also when its next update goes to another instance
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(item.sent.wait(), self.webhook_send_wait)
        return web.Response(status=200)

    # ----------------------------------------------------------------- incoming

    def _accept(self, update: Update) -> asyncio.Future:
        """Take one update: returns a future resolved once its dialogue call returned (or it was dropped)."""
        loop = asyncio.get_running_loop()
        uid = update.update_id
        seen = self._recent.get(uid)
        if seen is not None:
            self.stats["duplicates"] += 1
            return seen
        done: asyncio.Future = loop.create_future()
        self._recent[uid] = done
        while len(self._recent) > 4096:
            self._recent.popitem(last=False)
        self.stats["updates"] += 1
        item = self._item(update, done)
        if item is None:
            done.set_result(None)
            return done
        chat = self._chats.get(item.chat_key)
        if chat is None:
            chat = self._chats[item.chat_key] = _Chat(item.chat_key)
        cap = self.max_pending_per_chat if item.chat_key > 0 else self.max_pending_per_group
        if chat.pending >= cap:
            done.set_result(None)
            self._drop_flood(item)
            return done
        chat.pending += 1
        chat.queue.append(item)
        self._inflight[uid] = item
        if item.query is not None:
            item.timer = loop.call_later(self.callback_answer_after, lambda: self._spawn(self._answer(item)))
        if chat.worker is None:
            chat.worker = loop.create_task(self._chat_worker(chat))
        return done

    def _item(self, update: Update, done: asyncio.Future) -> _Item | None:
        now = asyncio.get_running_loop().time()
        key = f"tg:{update.update_id}"
        if update.my_chat_member is not None:
            cmu = update.my_chat_member
            if cmu.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
                log.info("telegram: bot blocked / removed in chat %s", cmu.chat.id)
                self._spawn(self._notify_gone(str(cmu.chat.id)))
            return None
        query = update.callback_query
        if query is not None:
            if not query.data or query.message is None:
                self._spawn(self._answer_now(query))
                return None
            chat = query.message.chat
            msg = IncomingMessage(
                transport=self.name, user_id=str(query.from_user.id), chat_id=str(chat.id),
                display_name=query.from_user.full_name, lang_hint=query.from_user.language_code,
                is_group=chat.type != ChatType.PRIVATE, addressed=True, callback=query.data, update_key=key,
            )  # fmt: skip
            source = query.message.message_id if isinstance(query.message, Message) else None
            return _Item(update.update_id, chat.id, msg, done, now, query=query, source=source)
        edited = update.message is None and update.edited_message is not None
        message = update.message or update.edited_message
        user = update.effective_user
        if message is None or user is None or message.chat is None or user.is_bot or message.text is None:
            return None
        if message.via_bot is not None:
            return None
        chat = message.chat
        is_group = chat.type != ChatType.PRIVATE
        if is_group:
            addressed, text = self._addressed(message)
            if not addressed:
                return None
        else:
            addressed, text = True, self._strip_own_suffix(message)
        msg = IncomingMessage(
            transport=self.name, user_id=str(user.id), chat_id=str(chat.id), text=text,
            display_name=user.full_name, lang_hint=user.language_code, is_group=is_group, addressed=addressed,
            update_key=key, edited=edited,
        )  # fmt: skip
        return _Item(update.update_id, chat.id, msg, done, now)

    def _addressed(self, message: Message) -> tuple[bool, str]:
        """(addressed, cleaned text) for a group message."""
        text = message.text or ""
        me = (self.bot.username or "").lower()
        addressed = False
        cut: list[tuple[str, str]] = []  # (entity text, replacement)
        kinds = [MessageEntity.BOT_COMMAND, MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
        for ent, value in message.parse_entities(kinds).items():
            if ent.type == MessageEntity.BOT_COMMAND:
                cmd, _, target = value.partition("@")
                if not target or target.lower() == me:
                    addressed = True
                    if target:
                        cut.append((value, cmd))
            elif ent.type == MessageEntity.MENTION and value[1:].lower() == me:
                addressed = True
                cut.append((value, ""))
            elif ent.type == MessageEntity.TEXT_MENTION and ent.user and ent.user.id == self.bot.id:
                addressed = True
        reply_to = message.reply_to_message
        if reply_to is not None and reply_to.from_user is not None and reply_to.from_user.id == self.bot.id:
            addressed = True
        for old, new in cut:
            text = text.replace(old, new, 1)
        return addressed, " ".join(text.split()) if cut else text

    def _strip_own_suffix(self, message: Message) -> str:
        text = message.text or ""
        me = self.bot.username or ""
        if me and text.startswith("/"):
            first, sep, rest = text.partition(" ")
            if first.lower().endswith("@" + me.lower()):
                text = first[: -len(me) - 1] + sep + rest
        return text

    async def _chat_worker(self, chat: _Chat) -> None:
        """Hand the chat's updates to the dialogue one at a time, in order; replies go to the send chain."""
        loop = asyncio.get_running_loop()
        assert self._handled is not None
        try:
            while chat.queue:
                item = chat.queue.popleft()
                try:
                    replies = await self._handle(item.msg)
                except Exception as exc:  # Dialogue.handle never raises; anything else is not confirmed
                    log.exception("telegram: dialogue failed on update %s", item.update_id)
                    self._inflight.pop(item.update_id, None)
                    self._recent.pop(item.update_id, None)
                    chat.pending -= 1
                    if not item.done.done():
                        item.done.set_exception(exc)
                    self._handled.set()
                    continue
                self._inflight.pop(item.update_id, None)
                item.handled_at = loop.time()
                if not item.done.done():
                    item.done.set_result(item)
                self._handled.set()
                replies = list(replies or [])
                if item.query is not None:
                    replies = await self._callback_replies(item, replies)
                prev = chat.tail
                chat.tail = loop.create_task(self._deliver(chat, item, replies, prev))
        finally:
            chat.worker = None
            if chat.pending <= 0 and not chat.queue and (chat.tail is None or chat.tail.done()):
                self._chats.pop(chat.key, None)

    async def _handle(self, msg: IncomingMessage) -> list[Reply]:
        if self.dialogue_concurrency is None:
            return await asyncio.to_thread(self.dialogue.handle, msg)
        if self._dialogue_slots is None:
            self._dialogue_slots = asyncio.Semaphore(self.dialogue_concurrency)
        async with self._dialogue_slots:
            return await asyncio.to_thread(self.dialogue.handle, msg)

    async def _callback_replies(self, item: _Item, replies: list[Reply]) -> list[Reply]:
        """Answer the button press now (with the alert, if the dialogue gave one); the rest goes to the chat."""
        alerts = [r for r in replies if r.alert]
        rest = [r for r in replies if not r.alert]
        if item.timer is not None:
            item.timer.cancel()
        if not item.answered:
            text = alerts[0].text[:200] if alerts else None
            rows = [r.outbox_id for r in alerts if r.outbox_id is not None]
            self._spawn(self._answer(item, text, bool(alerts), rows))
        elif alerts:  # the spinner was stopped already (slow dialogue): a private chat gets it as a message
            if item.msg.is_group:
                log.info("telegram: alert for chat %s dropped (callback answered already)", item.chat_key)
                self._mark([r.outbox_id for r in alerts if r.outbox_id is not None])
            else:
                rest = [Reply(a.text, outbox_id=a.outbox_id) for a in alerts] + rest
        return rest

    async def _answer(self, item: _Item, text: str | None = None, alert: bool = False,
                      rows: list[int] | None = None) -> None:  # fmt: skip
        """answerCallbackQuery for this press only: a 429 waits for this query, nobody else."""
        if item.answered or item.query is None:
            return
        item.answered = True
        # an alert is delivered by this answer or not at all: its outbox row must never become a chat message
        self._mark(rows or [])
        loop = asyncio.get_running_loop()
        expires = item.received + 14.0  # Telegram lets a query expire after about 15 s
        while True:
            try:
                await self.bot.answer_callback_query(item.query.id, text=text, show_alert=alert or None)
                self.stats["callback_answers"] += 1
                return
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                self.limiter.hits_429 += 1
                if loop.time() + wait > expires:
                    log.info("telegram: callback answer gave up (retry after %.0fs)", wait)
                    return
                await asyncio.sleep(wait)
            except NetworkError as exc:
                if loop.time() + 0.5 > expires:
                    return
                log.info("telegram: callback answer: network error (%s), retrying", exc)
                await asyncio.sleep(0.5)
            except TelegramError as exc:
                log.info("telegram: callback answer failed: %s", exc)
                return

    async def _answer_now(self, query: CallbackQuery, text: str | None = None) -> None:
        with contextlib.suppress(TelegramError):
            await self.bot.answer_callback_query(query.id, text=text)

    def _drop_flood(self, item: _Item) -> None:
        self.stats["dropped_flood"] += 1
        loop = asyncio.get_running_loop()
        now = loop.time()
        last = self._notice_at.get(item.chat_key)
        notice = last is None or now - last >= self.flood_notice_every
        if notice:
            self._notice_at[item.chat_key] = now
            self._notice_at.move_to_end(item.chat_key)
            while len(self._notice_at) > 4096:
                self._notice_at.popitem(last=False)
        if item.query is not None:
            self._spawn(self._answer_now(item.query, slow_down_text(None)[:200] if notice else None))
        elif notice:
            self._spawn(self._flood_notice(item))
        if notice:
            log.info("telegram: chat %s has too many updates pending; dropping the rest for now", item.chat_key)

    async def _flood_notice(self, item: _Item) -> None:
        self.stats["flood_notices"] += 1
        text = slow_down_text(None)
        lang_of = getattr(self.dialogue, "language_of", None)
        if lang_of is not None:
            with contextlib.suppress(Exception):
                lang = await asyncio.to_thread(lang_of, item.msg)
                text = slow_down_text(lang)
        policy = SendPolicy(deadline=asyncio.get_running_loop().time() + self.max_reply_wait)
        with contextlib.suppress(TelegramError):
            await self._send_text(item.chat_key, text, None, None, policy)

    async def _notify_gone(self, chat_id: str) -> None:
        if self.on_blocked is None:
            return
        try:
            await asyncio.to_thread(self.on_blocked, chat_id)
        except Exception:
            log.exception("telegram: on_blocked(%s) failed", chat_id)

    # ----------------------------------------------------------------- delivery of direct replies

    async def _deliver(self, chat: _Chat, item: _Item, replies: list[Reply], prev: asyncio.Task | None) -> None:
        """Send one update's replies after the chat's earlier ones (its place in the chain)."""
        try:
            if prev is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.shield(prev)
            await self._send_replies(item, replies, chat)
        except Exception:
            log.exception("telegram: delivery to chat %s failed", item.chat_key)
        finally:
            item.sent.set()
            chat.pending -= 1
            if chat.pending <= 0 and not chat.queue and chat.worker is None and chat.tail is asyncio.current_task():
                self._chats.pop(chat.key, None)

    def _left(self, replies: list[Reply], why: str, chat_id: int) -> None:
        """These replies were not sent: they stay in the outbox (or, without an outbox row, are lost)."""
        if not replies:
            return
        rows = [r.outbox_id for r in replies if r.outbox_id is not None]
        lost = len(replies) - len(rows)
        self.stats["left_to_outbox"] += len(rows)
        self.stats["lost"] += lost
        if lost:
            log.warning("telegram: %d replies to chat %s dropped: not sent (%s) and not in the outbox", lost, chat_id, why)
        if rows:
            log.info("telegram: %d replies to chat %s left to the outbox (%s): rows %s", len(rows), chat_id, why, rows)
            self._release(rows)

    async def _send_replies(self, item: _Item, replies: list[Reply], chat: _Chat | None = None) -> None:
        chat_id = item.chat_key
        # counted from the dialogue's return: past it the reply's outbox lease may end and the scheduler sends it
        policy = SendPolicy(deadline=(item.handled_at or asyncio.get_running_loop().time()) + self.max_reply_wait)
        counter = chat
        edit_target = item.source
        keyboard_spent = item.query is not None and bool(replies) and replies[0].edit
        for i, reply in enumerate(replies):
            try:
                edited = False
                if reply.edit and edit_target is not None:
                    edited = await self._edit(chat_id, edit_target, reply, self._part(policy, counter))
                    if not edited and keyboard_spent:
                        await self._remove_keyboard(chat_id, edit_target, self._part(policy, counter))
                    edit_target = None  # further edit replies go out as new messages
                if not edited:
                    await self._send_reply(chat_id, reply, policy, dedupe_key=None, counter=counter)
                self.stats["sent"] += 1
                if reply.outbox_id is not None:
                    self._mark([reply.outbox_id])
            except (Forbidden, RecipientGone):
                await self._notify_gone(str(chat_id))
                self._left(replies[i:], "recipient gone", chat_id)
                return
            except RetryAfter:
                self._left(replies[i:], "flood wait beyond the reply deadline or stop", chat_id)
                return
            except BadRequest as exc:
                if _chat_not_found(exc):
                    await self._notify_gone(str(chat_id))
                    self._left(replies[i:], "chat not found", chat_id)
                    return
                log.warning("telegram: reply to chat %s refused: %s", chat_id, exc)
                self._left([reply], "refused", chat_id)
            except TelegramError as exc:  # network errors after retries
                log.warning("telegram: reply to chat %s not sent: %s", chat_id, self._redactor.redact(str(exc)))
                self._left(replies[i:], "network", chat_id)
                return

    def _mark(self, ids: list[int]) -> None:
        """Tell the dialogue these outbox rows went out (batched, in a worker thread)."""
        if not ids or getattr(self.dialogue, "mark_sent", None) is None:
            return
        self._mark_ids.extend(ids)
        if self._mark_task is None or self._mark_task.done():
            self._mark_task = asyncio.get_running_loop().create_task(self._flush_marks())

    def _release(self, ids: list[int]) -> None:
        """These outbox rows were given up: their lease ends now, so the outbox delivery (here, after a restart,
        or another instance) sends them at once instead of after the lease (batched with the marks)."""
        if not ids or getattr(self.dialogue, "release_replies", None) is None:
            return
        self._release_ids.extend(ids)
        if self._mark_task is None or self._mark_task.done():
            self._mark_task = asyncio.get_running_loop().create_task(self._flush_marks())

    async def _flush_marks(self) -> None:
        mark = getattr(self.dialogue, "mark_sent", None)
        release = getattr(self.dialogue, "release_replies", None)
        while (self._mark_ids and mark is not None) or (self._release_ids and release is not None):
            if self._mark_ids and mark is not None:
                ids, self._mark_ids = self._mark_ids, []
                try:
                    await asyncio.to_thread(mark, ids)
                except Exception:
                    log.exception("telegram: mark_sent(%d rows) failed; the outbox will send them again", len(ids))
            if self._release_ids and release is not None:
                ids, self._release_ids = self._release_ids, []
                try:
                    await asyncio.to_thread(release, ids)
                except Exception:
                    log.exception("telegram: release_replies(%d rows) failed; they go out after their lease", len(ids))

    # ----------------------------------------------------------------- outgoing

    async def _call(self, fn: Callable[..., Any], policy: SendPolicy, *, creates: bool, **kwargs: Any) -> Any:
        """One Bot API call with network-error retries (429s are retried by the limiter). A message-creating
        call that timed out after the request went out is not retried: it may have arrived (None)."""
        loop = asyncio.get_running_loop()
        delay = self.network_backoff
        for attempt in range(self.network_retries + 1):
            try:
                return await fn(**kwargs, rate_limit_args=policy)
            except BadRequest:
                raise
            except TimedOut as exc:
                if creates and _maybe_sent(exc):
                    self.stats["maybe_sent"] += 1
                    log.warning("telegram: %s to chat %s timed out after it was sent; not retried (it may have "
                                "arrived)", fn.__name__, kwargs.get("chat_id"))  # fmt: skip
                    return None
                if attempt == self.network_retries or (policy.deadline is not None and loop.time() + delay > policy.deadline):
                    raise
                log.info("telegram: timeout before sending, retry in %.1fs", delay)
            except NetworkError as exc:  # 5xx, connection errors
                if attempt == self.network_retries:
                    raise
                if policy.deadline is not None and loop.time() + delay > policy.deadline:
                    raise
                log.info("telegram network error (%s), retry in %.1fs", self._redactor.redact(str(exc)), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    async def _send_text(self, chat_id: int | str, text: str, html: str | None, markup: Any, policy: SendPolicy) -> Any:
        bot = self.bot
        if html is not None:
            try:
                return await self._call(bot.send_message, policy, creates=True, chat_id=chat_id, text=html,
                                        parse_mode=ParseMode.HTML, reply_markup=markup)  # fmt: skip
            except BadRequest as exc:
                if "can't parse entities" not in str(exc).lower():
                    raise
                log.warning("telegram: HTML rejected (%s); sending plain text", exc)
        return await self._call(bot.send_message, policy, creates=True, chat_id=chat_id, text=text, reply_markup=markup)

    @staticmethod
    def _part(policy: SendPolicy, counter: _Chat | None) -> SendPolicy:
        """The policy for the chat's next message: its round in the fair sender."""
        if counter is None:
            return policy
        counter.parts += 1
        return dataclasses.replace(policy, round=counter.parts)

    async def _send_reply(self, chat_id: int | str, reply: Reply, policy: SendPolicy, dedupe_key: str | None,
                          counter: _Chat | None = None) -> None:  # fmt: skip
        markup = _markup(reply)
        part = 0
        use_html = reply.html is not None and utf16_len(reply.html) <= MAX_TEXT_UTF16
        texts = [reply.text or reply.html or ""] if use_html else (split_text(reply.text) if reply.text else [])
        for i, text in enumerate(texts):
            last = i == len(texts) - 1
            if not self._delivered.done(dedupe_key, part):
                await self._send_text(chat_id, text, reply.html if use_html else None, markup if last else None,
                                      self._part(policy, counter))  # fmt: skip
                self._delivered.mark(dedupe_key, part)
            part += 1
        for att in reply.attachments:
            if not self._delivered.done(dedupe_key, part):
                await self._send_attachment(chat_id, att, self._part(policy, counter), markup if not texts else None)
                self._delivered.mark(dedupe_key, part)
            part += 1

    async def _send_attachment(self, chat_id: int | str, att: Attachment, policy: SendPolicy, markup: Any) -> None:
        bot = self.bot
        if _is_photo(att):
            await self._call(bot.send_photo, policy, creates=True, chat_id=chat_id, photo=att.data,
                             filename=att.filename, reply_markup=markup)  # fmt: skip
        else:
            await self._call(bot.send_document, policy, creates=True, chat_id=chat_id, document=att.data,
                             filename=att.filename, reply_markup=markup)  # fmt: skip

    async def _edit(self, chat_id: int, message_id: int, reply: Reply, policy: SendPolicy) -> bool:
        """Edit the message carrying the pressed button. False: send a new message instead."""
        if reply.attachments or not reply.text or utf16_len(reply.text) > MAX_TEXT_UTF16:
            return False
        markup = _markup(reply)
        attempts: list[tuple[str, str | None]] = []
        if reply.html and utf16_len(reply.html) <= MAX_TEXT_UTF16:
            attempts.append((reply.html, ParseMode.HTML))
        attempts.append((reply.text, None))
        for text, mode in attempts:
            try:
                await self._call(self.bot.edit_message_text, policy, creates=False, chat_id=chat_id,
                                 message_id=message_id, text=text, parse_mode=mode, reply_markup=markup)  # fmt: skip
                return True
            except BadRequest as exc:
                err = str(exc).lower()
                if "message is not modified" in err:
                    return True
                if mode == ParseMode.HTML and "can't parse entities" in err:
                    continue
                if _chat_not_found(exc):
                    raise
                log.info("telegram: cannot edit message %s in %s (%s); sending anew", message_id, chat_id, exc)
                return False
        return False

    async def _remove_keyboard(self, chat_id: int, message_id: int, policy: SendPolicy) -> None:
        """The pressed button's keyboard is spent but the answer comes as a new message: take it away."""
        try:
            await self._call(self.bot.edit_message_reply_markup, policy, creates=False, chat_id=chat_id,
                             message_id=message_id, reply_markup=None)  # fmt: skip
        except BadRequest as exc:
            if _chat_not_found(exc):
                raise
            log.debug("telegram: keyboard of %s in %s not removed: %s", message_id, chat_id, exc)

    async def send(self, chat_id: str, reply: Reply, *, dedupe_key: str | None = None) -> None:
        if reply.alert:  # a callback alert can only be shown as the answer to its button press, never posted
            log.info("telegram: alert for chat %s not posted (its button press is answered or expired)", chat_id)
            return
        loop = asyncio.get_running_loop()
        policy = SendPolicy(bulk=True, deadline=loop.time() + self.max_send_wait)
        cid: int | str = int(chat_id) if re.fullmatch(r"-?\d+", chat_id) else chat_id
        try:
            try:
                await self._send_reply(cid, reply, policy, dedupe_key)
            except ChatMigrated as exc:
                log.warning("telegram: chat %s migrated to %s", chat_id, exc.new_chat_id)
                await self._send_reply(exc.new_chat_id, reply, policy, dedupe_key)
        except RetryAfter as exc:
            raise RetryLater(retry_after_seconds(exc), str(exc)) from exc
        except Forbidden as exc:
            await self._notify_gone(chat_id)
            raise RecipientGone(str(exc)) from exc
        except BadRequest as exc:
            if _chat_not_found(exc):
                await self._notify_gone(chat_id)
                raise RecipientGone(str(exc)) from exc
            raise SendError(str(exc)) from exc
        except NetworkError as exc:
            raise RetryLater(max(1.0, self.network_backoff * 4), self._redactor.redact(str(exc))) from exc
        except TelegramError as exc:
            raise SendError(self._redactor.redact(str(exc))) from exc


__all__ = [
    "COMMANDS",
    "EDIT_ENDPOINTS",
    "INTERACTIVE",
    "SEND_ENDPOINTS",
    "FloodLimiter",
    "FloodLimits",
    "SendPolicy",
    "TelegramTransport",
    "checkin_link",
    "checkin_qr_png",
    "deep_link",
    "invite_link",
    "split_text",
    "utf16_len",
]
