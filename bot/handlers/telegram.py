"""Telegram transport (python-telegram-bot 22).

How it works
------------
* One PTB `Application`, started by hand (``initialize()``, ``start()``, then
  ``updater.start_polling()`` or ``updater.start_webhook()``), never ``run_polling()``, so it lives
  inside the bot's own event loop next to the other transports. ``stop()`` stops the updater, then
  the application (which waits until every update already fetched has been handled and answered),
  then shuts down.
* Concurrency: updates are processed concurrently across chats but one at a time per chat
  (`PerChatUpdateProcessor`), so a user's messages are answered in order while one chat's slow
  dialogue or throttled send never blocks another chat.
* Incoming: text messages and commands become `IncomingMessage`. In groups the bot reacts only
  when addressed (a command without ``@bot`` or with ``@<our username>``, an ``@<our username>``
  mention, or a reply to one of the bot's messages); the command suffix and the mention are
  stripped from the text. ``/start <payload>`` deep links pass through as that text. Button presses
  become ``IncomingMessage(callback=data)``; the callback query is answered at once.
* Outgoing: `Reply.choices` -> inline keyboard; ``Reply.html`` is sent with ``parse_mode=HTML``
  (falling back to the plain ``text`` if Telegram cannot parse it); ``Reply.edit`` edits the
  message that carried the pressed button ("message is not modified" is ignored; a message that
  can no longer be edited gets a new message instead); ``.ics`` / other files -> sendDocument,
  PNG/JPEG -> sendPhoto. Texts over 4096 characters are split, the keyboard goes on the last part.
* Flood limits: `FloodLimiter`, a PTB `BaseRateLimiter`, paces every send (GCRA / token bucket,
  reservations are FIFO): per bot 30 msg/s, of which `send()` (scheduler fan-out) may use at most
  `bulk_per_s` (25/s) so interactive replies always find room; per private chat 1 msg/s with a
  burst of 3; per group 20 msg/min with a burst of 20. Edits count only against the per-bot
  budget; callback answers, command setup and getUpdates are not limited. On a 429 the chat
  (or, for chat-less calls, the whole bot) is paused for ``retry_after`` and the request is retried.
  Network errors (5xx, timeouts, connection failures) are retried with exponential backoff.
* ``stop()``: replies in flight still go out, unless their chat is paused for more than
  ``FloodLimiter.stop_grace`` (5 s); those are dropped so shutdown stays quick.
* A reply that cannot go out within ``max_reply_wait`` (120 s; Telegram asked for a longer pause)
  is dropped with a warning rather than holding the chat.
* `send()` never waits longer than ``max_send_wait`` (the outbox reschedules instead): it raises
  `RetryLater` when the limiter or Telegram asks for a longer wait or retries are exhausted,
  `RecipientGone` (and calls ``on_blocked``) on 403 or "chat not found", `SendError` on other
  permanent errors. Parts of a multi-message reply already delivered under a ``dedupe_key`` are
  not sent again when the outbox retries (process-local memory; the Bot API has no idempotency).
* ``on_blocked(chat_id)`` is also called when Telegram reports (``my_chat_member``) that a user
  blocked the bot or the bot was removed from a group.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import io
import logging
import re
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.domain import Attachment, IncomingMessage, Reply
from bot.transport import RecipientGone, RetryLater, SendError

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
SEND_ENDPOINTS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "copyMessage", "forwardMessage"})
EDIT_ENDPOINTS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption", "deleteMessage"})
DEEP_LINK_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CHECKIN_PREFIX = "checkin-"

# (command, English description, German command, German description)
COMMANDS: list[tuple[str, str, str, str]] = [
    ("book", "Book a desk", "buchen", "Arbeitsplatz buchen"),
    ("cancel", "Cancel a booking", "storno", "Buchung stornieren"),
    ("mybookings", "My bookings", "buchungen", "Meine Buchungen"),
    ("free", "Free desks", "frei", "Freie Plätze"),
    ("checkin", "Check in", "checkin", "Einchecken"),
    ("contingent", "Employer contingent", "kontingent", "Kontingent des Arbeitgebers"),
    ("settings", "Settings", "einstellungen", "Einstellungen"),
    ("language", "Language", "sprache", "Sprache"),
    ("help", "Help", "hilfe", "Hilfe"),
]


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
# rate limiting


@dataclass(frozen=True)
class FloodLimits:
    global_per_s: float = 30.0
    bulk_per_s: float = 25.0  # share of the per-bot budget `send()` may use
    private_per_s: float = 1.0
    private_burst: int = 3
    group_per_min: float = 20.0
    group_burst: int = 20
    safety: float = 1.03  # space requests slightly wider than the nominal rate


@dataclass(frozen=True)
class SendPolicy:
    """Passed as PTB's ``rate_limit_args``."""

    bulk: bool = False
    deadline: float | None = None  # loop time; wait beyond it -> RetryAfter raised without sending
    max_429_retries: int = 8


INTERACTIVE = SendPolicy()


class _Gcra:
    """Generic cell rate algorithm == token bucket with FIFO reservations."""

    __slots__ = ("interval", "tau", "tat")

    def __init__(self, per_s: float, burst: int, safety: float) -> None:
        self.interval = safety / per_s
        self.tau = (max(1, burst) - 1) * self.interval
        self.tat = 0.0

    def start_time(self, now: float) -> float:
        return max(now, max(self.tat, now) - self.tau)

    def reserve(self, now: float) -> float:
        start = self.start_time(now)
        self.tat = max(self.tat, now) + self.interval
        return start

    def pause_until(self, t: float) -> None:
        self.tat = max(self.tat, t + self.tau)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ra = exc.retry_after
    return ra.total_seconds() if isinstance(ra, dtm.timedelta) else float(ra)


class FloodLimiter(BaseRateLimiter[SendPolicy]):
    """Paces sends below Telegram's flood limits and retries 429s (see module doc)."""

    def __init__(self, limits: FloodLimits | None = None) -> None:
        self.limits = limits or FloodLimits()
        self._global: _Gcra
        self._bulk: _Gcra
        self._chats: dict[int | str, _Gcra] = {}
        self.hits_429 = 0
        self.stop_grace = 5.0
        self._stopping: asyncio.Event | None = None
        self._reset()

    def _reset(self) -> None:
        lim = self.limits
        self._global = _Gcra(lim.global_per_s, max(1, int(lim.global_per_s)), lim.safety)
        self._bulk = _Gcra(lim.bulk_per_s, max(1, int(lim.bulk_per_s)), lim.safety)
        self._chats.clear()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @staticmethod
    def _is_private(chat_id: int | str) -> bool:
        try:
            return int(chat_id) > 0
        except (TypeError, ValueError):
            return False  # "@channel" usernames

    def _chat(self, chat_id: int | str) -> _Gcra:
        g = self._chats.get(chat_id)
        if g is None:
            if len(self._chats) > 4096:  # forget idle chats
                now = asyncio.get_running_loop().time()
                for k in [k for k, v in self._chats.items() if v.tat < now]:
                    del self._chats[k]
            lim = self.limits
            if self._is_private(chat_id):
                g = _Gcra(lim.private_per_s, lim.private_burst, lim.safety)
            else:
                g = _Gcra(lim.group_per_min / 60.0, lim.group_burst, lim.safety)
            self._chats[chat_id] = g
        return g

    def begin_stop(self) -> None:
        """From now on a wait longer than ``stop_grace`` ends at once with RetryAfter, so that a
        shutdown is not held up by a chat Telegram paused for minutes."""
        if self._stopping is None:
            self._stopping = asyncio.Event()
        self._stopping.set()

    def _too_long_for_stop(self, t: float) -> bool:
        stopping = self._stopping is not None and self._stopping.is_set()
        return stopping and t - asyncio.get_running_loop().time() > self.stop_grace

    async def _sleep_until(self, t: float) -> None:
        loop = asyncio.get_running_loop()
        if self._stopping is None:
            self._stopping = asyncio.Event()
        while (delay := t - loop.time()) > 0:
            if self._too_long_for_stop(t):
                raise RetryAfter(max(1, int(delay + 0.999)))
            if self._stopping.is_set():
                await asyncio.sleep(delay)
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _acquire(self, chat_id: Any, endpoint: str, policy: SendPolicy) -> None:
        loop = asyncio.get_running_loop()
        if endpoint in SEND_ENDPOINTS and chat_id is not None:
            chat = self._chat(chat_id)
            start = chat.start_time(loop.time())
            if policy.deadline is not None and start > policy.deadline:
                raise RetryAfter(max(1, int(start - loop.time() + 0.999)))
            await self._sleep_until(chat.reserve(loop.time()))
            if policy.bulk:
                await self._sleep_until(self._bulk.reserve(loop.time()))
        if endpoint in SEND_ENDPOINTS or endpoint in EDIT_ENDPOINTS:
            await self._sleep_until(self._global.reserve(loop.time()))

    async def process_request(
        self,
        callback: Callable[..., Awaitable[Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: SendPolicy | None,
    ) -> Any:
        policy = rate_limit_args or INTERACTIVE
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            await self._acquire(chat_id, endpoint, policy)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.hits_429 += 1
                wait = retry_after_seconds(exc)
                until = loop.time() + wait
                if chat_id is not None and (endpoint in SEND_ENDPOINTS or endpoint in EDIT_ENDPOINTS):
                    self._chat(chat_id).pause_until(until)
                else:
                    self._global.pause_until(until)
                attempt += 1
                log.info("telegram 429 on %s chat=%s: retry after %.1fs (attempt %d)", endpoint, chat_id, wait, attempt)
                if attempt > policy.max_429_retries or (policy.deadline is not None and until > policy.deadline):
                    raise
                if self._too_long_for_stop(until):
                    raise


# ---------------------------------------------------------------------------------------------
# update processing: concurrent across chats, serial within a chat


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[Any, asyncio.Lock] = {}
        self._users: dict[Any, int] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = None
        if isinstance(update, Update) and update.effective_chat is not None:
            key = update.effective_chat.id
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]


# ---------------------------------------------------------------------------------------------
# rendering


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.data) for c in row] for row in reply.choices if row]
    )


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split at paragraph / line / word boundaries into parts of at most ``limit`` characters."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        if cut <= limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not parts:
        parts.append(rest)
    return parts


def _is_photo(att: Attachment) -> bool:
    return att.mime in ("image/png", "image/jpeg") or att.filename.lower().endswith((".png", ".jpg", ".jpeg"))


# ---------------------------------------------------------------------------------------------
# the transport


class _Delivered:
    """Remembers which parts of a reply went out under a dedupe key (bounded LRU)."""

    def __init__(self, size: int = 2048) -> None:
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
        max_reply_wait: float = 120.0,
        network_retries: int = 4,
        network_backoff: float = 0.5,
        poll_timeout: float = 10.0,
        set_commands: bool = True,
    ) -> None:
        if mode not in ("polling", "webhook"):
            raise ValueError(f"telegram mode must be 'polling' or 'webhook', not {mode!r}")
        if mode == "webhook" and not webhook_url:
            raise ValueError("telegram webhook mode needs webhook_url")
        self.dialogue = dialogue
        self.mode = mode
        self.webhook_url = webhook_url
        self.webhook_listen = webhook_listen
        self.webhook_port = webhook_port
        self.webhook_secret = webhook_secret
        self.on_blocked = on_blocked
        self.max_send_wait = max_send_wait
        self.max_reply_wait = max_reply_wait
        self.network_retries = network_retries
        self.network_backoff = network_backoff
        self.poll_timeout = poll_timeout
        self.set_commands = set_commands
        self.limiter = FloodLimiter(limits)
        self.processor = PerChatUpdateProcessor(256)
        self._delivered = _Delivered()
        self._started = False

        builder = (
            ApplicationBuilder()
            .token(token)
            .rate_limiter(self.limiter)
            .concurrent_updates(self.processor)
            .job_queue(None)
        )
        if base_url:
            builder = builder.base_url(base_url)
            if base_url.endswith("/bot"):
                builder = builder.base_file_url(base_url[: -len("/bot")] + "/file/bot")
        self.app: Application = builder.build()
        self.app.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.VIA_BOT, self._on_message)
        )
        self.app.add_handler(CallbackQueryHandler(self._on_callback))
        self.app.add_handler(ChatMemberHandler(self._on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        self.app.add_error_handler(self._on_error)

    # ----------------------------------------------------------------- life cycle

    @property
    def bot_username(self) -> str:
        return self.app.bot.username

    async def start(self) -> None:
        await self.app.initialize()  # getMe
        if self.set_commands:
            await self._set_commands()
        await self.app.start()
        assert self.app.updater is not None
        if self.mode == "polling":
            await self.app.updater.start_polling(
                poll_interval=0.0,
                timeout=dtm.timedelta(seconds=self.poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                error_callback=self._polling_error,
            )
        else:
            url_path = urlsplit(self.webhook_url or "").path.lstrip("/")
            await self.app.updater.start_webhook(
                listen=self.webhook_listen,
                port=self.webhook_port,
                url_path=url_path,
                webhook_url=self.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        self._started = True
        log.info("telegram: @%s started (%s)", self.bot_username, self.mode)

    async def stop(self) -> None:
        if not self._started:
            with contextlib.suppress(Exception):
                await self.app.shutdown()
            return
        self._started = False
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        self.limiter.begin_stop()  # replies in flight still go out unless Telegram paused them long
        if self.app.running:
            await self.app.stop()  # waits for updates in flight
        await self.app.shutdown()

    async def _set_commands(self) -> None:
        en = [BotCommand(cmd, desc) for cmd, desc, _, _ in COMMANDS]
        de = [BotCommand(cmd, desc) for _, _, cmd, desc in COMMANDS]
        await self.app.bot.set_my_commands(en)
        await self.app.bot.set_my_commands(de, language_code="de")

    def _polling_error(self, exc: TelegramError) -> None:
        log.warning("telegram polling error: %s", exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: error while handling an update", exc_info=context.error)

    # ----------------------------------------------------------------- incoming

    def _addressed(self, message: Message) -> tuple[bool, str]:
        """(addressed, cleaned text) for a group message."""
        text = message.text or ""
        me = (self.app.bot.username or "").lower()
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
            elif ent.type == MessageEntity.TEXT_MENTION and ent.user and ent.user.id == self.app.bot.id:
                addressed = True
        reply_to = message.reply_to_message
        if reply_to is not None and reply_to.from_user is not None and reply_to.from_user.id == self.app.bot.id:
            addressed = True
        for old, new in cut:
            text = text.replace(old, new, 1)
        return addressed, " ".join(text.split()) if cut else text

    def _strip_own_suffix(self, message: Message) -> str:
        text = message.text or ""
        me = self.app.bot.username or ""
        if me and text.startswith("/"):
            first, sep, rest = text.partition(" ")
            if first.lower().endswith("@" + me.lower()):
                text = first[: -len(me) - 1] + sep + rest
        return text

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        user = update.effective_user
        chat = update.effective_chat
        if message is None or user is None or chat is None or user.is_bot:
            return
        is_group = chat.type != ChatType.PRIVATE
        if is_group:
            addressed, text = self._addressed(message)
            if not addressed:
                return
        else:
            addressed, text = True, self._strip_own_suffix(message)
        msg = IncomingMessage(
            transport=self.name,
            user_id=str(user.id),
            chat_id=str(chat.id),
            text=text,
            display_name=user.full_name,
            lang_hint=user.language_code,
            is_group=is_group,
            addressed=addressed,
        )
        await self._dispatch(msg, source=None)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        with contextlib.suppress(TelegramError):
            await query.answer()  # stop the client's spinner right away
        if not query.data or query.message is None:
            return
        chat = query.message.chat
        msg = IncomingMessage(
            transport=self.name,
            user_id=str(query.from_user.id),
            chat_id=str(chat.id),
            display_name=query.from_user.full_name,
            lang_hint=query.from_user.language_code,
            is_group=chat.type != ChatType.PRIVATE,
            addressed=True,
            callback=query.data,
        )
        await self._dispatch(msg, source=query.message.message_id if isinstance(query.message, Message) else None)

    async def _on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        cmu = update.my_chat_member
        if cmu is None:
            return
        if cmu.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            log.info("telegram: bot blocked / removed in chat %s", cmu.chat.id)
            await self._notify_gone(str(cmu.chat.id))

    async def _dispatch(self, msg: IncomingMessage, source: int | None) -> None:
        replies = await asyncio.to_thread(self.dialogue.handle, msg)
        policy = SendPolicy(deadline=asyncio.get_running_loop().time() + self.max_reply_wait)
        edit_target = source
        for reply in replies:
            try:
                edited = False
                if reply.edit and edit_target is not None:
                    edited = await self._edit(int(msg.chat_id), edit_target, reply, policy)
                    edit_target = None  # further edit replies go out as new messages
                if not edited:
                    await self._send_reply(int(msg.chat_id), reply, policy, dedupe_key=None)
            except (Forbidden, RecipientGone):
                await self._notify_gone(msg.chat_id)
                return
            except TelegramError as exc:
                if _chat_not_found(exc):
                    await self._notify_gone(msg.chat_id)
                    return
                log.warning("telegram: reply to chat %s dropped: %s", msg.chat_id, exc)

    async def _notify_gone(self, chat_id: str) -> None:
        if self.on_blocked is None:
            return
        try:
            await asyncio.to_thread(self.on_blocked, chat_id)
        except Exception:
            log.exception("telegram: on_blocked(%s) failed", chat_id)

    # ----------------------------------------------------------------- outgoing

    async def _call(self, fn: Callable[..., Awaitable[Any]], policy: SendPolicy, **kwargs: Any) -> Any:
        """One Bot API call with network-error retries (429s are retried by the limiter)."""
        loop = asyncio.get_running_loop()
        delay = self.network_backoff
        for attempt in range(self.network_retries + 1):
            try:
                return await fn(**kwargs, rate_limit_args=policy)
            except BadRequest:
                raise
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                if attempt == self.network_retries:
                    raise
                if policy.deadline is not None and loop.time() + delay > policy.deadline:
                    raise
                log.info("telegram network error (%s), retry in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    async def _send_text(self, chat_id: int, text: str, html: str | None, markup: Any, policy: SendPolicy) -> Message:
        bot = self.app.bot
        if html is not None:
            try:
                return await self._call(bot.send_message, policy, chat_id=chat_id, text=html,
                                        parse_mode=ParseMode.HTML, reply_markup=markup)  # fmt: skip
            except BadRequest as exc:
                if "can't parse entities" not in str(exc).lower():
                    raise
                log.warning("telegram: HTML rejected (%s); sending plain text", exc)
        return await self._call(bot.send_message, policy, chat_id=chat_id, text=text, reply_markup=markup)

    async def _send_reply(self, chat_id: int, reply: Reply, policy: SendPolicy, dedupe_key: str | None) -> None:
        markup = _markup(reply)
        part = 0
        use_html = reply.html is not None and len(reply.html) <= MessageLimit.MAX_TEXT_LENGTH
        texts = [reply.text] if use_html else (split_text(reply.text) if reply.text else [])
        for i, text in enumerate(texts):
            last = i == len(texts) - 1
            if not self._delivered.done(dedupe_key, part):
                await self._send_text(chat_id, text, reply.html if use_html else None, markup if last else None, policy)
                self._delivered.mark(dedupe_key, part)
            part += 1
        for att in reply.attachments:
            if not self._delivered.done(dedupe_key, part):
                await self._send_attachment(chat_id, att, policy, markup if not texts else None)
                self._delivered.mark(dedupe_key, part)
            part += 1

    async def _send_attachment(self, chat_id: int, att: Attachment, policy: SendPolicy, markup: Any) -> None:
        bot = self.app.bot
        if _is_photo(att):
            await self._call(bot.send_photo, policy, chat_id=chat_id, photo=att.data, filename=att.filename, reply_markup=markup)
        else:
            await self._call(bot.send_document, policy, chat_id=chat_id, document=att.data,
                             filename=att.filename, reply_markup=markup)  # fmt: skip

    async def _edit(self, chat_id: int, message_id: int, reply: Reply, policy: SendPolicy) -> bool:
        """Edit the message carrying the pressed button. False: send a new message instead."""
        if reply.attachments or len(reply.text) > MessageLimit.MAX_TEXT_LENGTH or not reply.text:
            return False
        markup = _markup(reply)
        bot = self.app.bot
        attempts = [(reply.html, ParseMode.HTML)] if reply.html else []
        attempts.append((reply.text, None))
        for text, mode in attempts:
            try:
                await self._call(bot.edit_message_text, policy, chat_id=chat_id, message_id=message_id,
                                 text=text, parse_mode=mode, reply_markup=markup)  # fmt: skip
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

    async def send(self, chat_id: str, reply: Reply, *, dedupe_key: str | None = None) -> None:
        loop = asyncio.get_running_loop()
        policy = SendPolicy(bulk=True, deadline=loop.time() + self.max_send_wait)
        cid: int | str = int(chat_id) if re.fullmatch(r"-?\d+", chat_id) else chat_id
        try:
            try:
                await self._send_reply(cid, reply, policy, dedupe_key)  # type: ignore[arg-type]
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
            raise RetryLater(max(1.0, self.network_backoff * 4), str(exc)) from exc
        except TelegramError as exc:
            raise SendError(str(exc)) from exc


def _chat_not_found(exc: TelegramError) -> bool:
    m = str(exc).lower()
    return "chat not found" in m or "user not found" in m or "peer_id_invalid" in m


__all__ = [
    "COMMANDS",
    "FloodLimiter",
    "FloodLimits",
    "PerChatUpdateProcessor",
    "SendPolicy",
    "TelegramTransport",
    "checkin_link",
    "checkin_qr_png",
    "deep_link",
    "invite_link",
    "split_text",
]
