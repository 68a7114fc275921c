"""A small Telegram Bot API emulator for tests.

It is a real aiohttp HTTP server on 127.0.0.1 (random free port), so the real python-telegram-bot
stack (HTTPXRequest, ExtBot, Updater, rate limiter) talks to it exactly as it would talk to
api.telegram.org:

    async with TelegramEmulator() as emu:
        app = ApplicationBuilder().token(emu.token).base_url(emu.base_url).build()
        ...
        emu.inject_message(chat_id=42, user_id=42, text="/start")
        call = await emu.wait_for(lambda: emu.sent_to(42))

PTB appends the token to ``base_url``; requests arrive at ``/bot<token>/<method>``.

Webhooks: after setWebhook, queued updates are POSTed to the bot like Telegram does: up to
``max_connections`` (40) requests at once, one at a time per chat, an update leaving the queue on a 2xx.

Faults: ``fail_next`` (an error answer), ``delay_next`` (a late answer, after or before the call took
effect). Message length is checked in UTF-16 code units, as Telegram counts it.

Implemented methods: getMe, getUpdates (long poll, offset confirmation, allowed_updates),
sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery, sendDocument,
sendPhoto, setMyCommands, getMyCommands, deleteMyCommands, setWebhook, deleteWebhook,
getWebhookInfo, getChat, leaveChat. Error texts mirror the real Bot API.

Requests may be form-encoded (what PTB sends: each non-string parameter JSON-encoded),
multipart (uploads; a file field under the parameter's name or referenced as ``attach://name``)
or a JSON body.

Rate limits (``enforce_limits=True``)
-------------------------------------
Telegram documents only rough numbers ("about 30 messages per second" per bot, "avoid more than
one message per second in a chat, short bursts may be allowed", "no more than 20 messages per
minute in a group"). The emulator models them as token buckets, counted only for message-creating
calls (sendMessage, sendDocument, sendPhoto); edits, callback answers and getUpdates are free:

* per bot: capacity ``global_burst`` (30), refill ``global_rate`` (30 / s);
* per private chat: capacity ``private_burst`` (3: a short burst), refill ``private_rate`` (1 / s);
* per group / supergroup: capacity ``group_burst`` (20), refill ``group_per_minute`` (20 / 60 s).

A call that finds an empty bucket is rejected with HTTP 429
``{"description": "Too Many Requests: retry after N", "parameters": {"retry_after": N}}`` where N
is the whole number of seconds until a token is available (at least 1, as Telegram sends integers)
and consumes nothing. All numbers are constructor arguments (``Limits``) so tests can scale them.
``count_429`` counts every 429 the emulator answered, injected or enforced.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import html.parser
import itertools
import json
import math
import re
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

# ---------------------------------------------------------------------------------------------
# records


@dataclass
class UploadedFile:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class SentCall:
    """One successful outgoing call of the bot that a user would see."""

    method: str
    chat_id: int | None
    text: str | None  # plain text (entities stripped), or the caption of a media message
    reply_markup: dict | None
    files: list[UploadedFile]
    params: dict
    message_id: int | None
    at: float  # time.monotonic()

    def button_data(self) -> list[str]:
        return _keyboard_data(self.reply_markup)

    def button_labels(self) -> list[str]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b.get("text", "") for row in rows for b in row]


@dataclass
class ApiCall:
    """Every request the emulator answered, successful or not."""

    method: str
    params: dict
    status: int
    description: str | None
    at: float


@dataclass
class Limits:
    global_rate: float = 30.0
    global_burst: float = 30.0
    private_rate: float = 1.0
    private_burst: float = 3.0
    group_per_minute: float = 20.0
    group_burst: float = 20.0


@dataclass
class _Delay:
    seconds: float
    after: bool  # True: the call takes effect, then the answer is late (a client timeout is "maybe sent")
    method: str | None
    chat_id: int | None
    remaining: int


@dataclass
class _Fault:
    status: int
    retry_after: float | None
    description: str | None
    method: str | None
    chat_id: int | None
    remaining: int


class _Bucket:
    def __init__(self, capacity: float, rate_per_s: float) -> None:
        self.capacity = capacity
        self.rate = rate_per_s
        self.tokens = capacity
        self.stamp = time.monotonic()

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, now: float) -> float:
        self._refill(now)
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> ApiError:
    return ApiError(400, "Bad Request: " + description)


# ---------------------------------------------------------------------------------------------
# helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


_ENTITY_RE = re.compile(
    r"(?<![\w/@])(?P<cmd>/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?![\w/])"
    r"|(?<![\w@])(?P<mention>@[A-Za-z0-9_]{4,32})(?!\w)"
)


def auto_entities(text: str) -> list[dict]:
    """bot_command and mention entities as Telegram computes them (offsets in UTF-16 units)."""
    out = []
    for m in _ENTITY_RE.finditer(text):
        kind = "bot_command" if m.group("cmd") else "mention"
        out.append(
            {
                "type": kind,
                "offset": _utf16_len(text[: m.start()]),
                "length": _utf16_len(m.group(0)),
            }
        )
    return out


def _keyboard_data(markup: dict | None) -> list[str]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


_HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}  # fmt: skip


class _TgHtml(html.parser.HTMLParser):
    """Checks Telegram's HTML subset and returns the plain text a client would show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.error:
            return
        if tag not in _HTML_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
            return
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.error:
            return
        if not self.stack or self.stack[-1] != tag:
            self.error = f'Unmatched end tag "{tag}"'
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_plain(text: str) -> str:
    # a bare '<' or '&' that is not an entity is rejected by Telegram
    if re.search(r"<(?![a-zA-Z/])", text):
        raise _bad("can't parse entities: Unexpected end of name token")
    if re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        raise _bad("can't parse entities: Character entity expected")
    p = _TgHtml()
    p.feed(text)
    p.close()
    if p.error:
        raise _bad(f"can't parse entities: {p.error}")
    if p.stack:
        raise _bad(f"can't parse entities: Can't find end tag corresponding to start tag \"{p.stack[-1]}\"")
    return html.unescape("".join(p.out))


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return w, h
    return 0, 0


_JSON_PARAMS = {
    "reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
    "link_preview_options", "reply_parameters",
}  # fmt: skip
_INT_PARAMS = {
    "chat_id", "message_id", "offset", "limit", "user_id", "max_connections",
    "cache_time", "reply_to_message_id",
}  # fmt: skip
_BOOL_PARAMS = {
    "drop_pending_updates", "show_alert", "disable_notification", "protect_content",
    "disable_web_page_preview", "disable_content_type_detection",
}  # fmt: skip


def _decode(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {name} JSON object") from None
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. "@channelusername"
    if name == "timeout":  # Telegram wants an int; fractions are accepted so tests stay fast
        try:
            return float(value)
        except ValueError:
            raise _bad("timeout must be a number") from None
    if name in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    return value


# ---------------------------------------------------------------------------------------------
# the emulator


class TelegramEmulator:
    def __init__(
        self,
        *,
        token: str = "123456789:TEST-token_abcdefghijklmnopqrstuvwxyz",
        bot_username: str = "deskbot_test_bot",
        bot_first_name: str = "Deskbot",
        enforce_limits: bool = False,
        limits: Limits | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.enforce_limits = enforce_limits
        self.limits = limits or Limits()

        self.port: int | None = None
        self.sent: list[SentCall] = []
        self.calls: list[ApiCall] = []
        self.count_429 = 0
        self.callback_answers: dict[str, dict] = {}
        self.webhook_deliveries: list[dict] = []  # {"update_id", "status", "secret"}
        # commands: (scope_key, language_code) -> list of {"command","description"}
        self.commands: dict[tuple[str, str], list[dict]] = {}

        self._chats: dict[int, dict] = {}
        self._users: dict[int, dict] = {}
        self._blocked: set[int] = set()
        self._left: set[int] = set()
        self._messages: dict[tuple[int, int], dict] = {}
        self._msg_counter: dict[int, itertools.count] = {}
        self._updates: list[dict] = []
        self._update_ids = itertools.count(100_000)
        self._allowed_updates: list[str] | None = None
        self._pending_cb: set[str] = set()
        self._cb_ids = itertools.count(7_000_000_000_000_000)
        self._file_ids = itertools.count(1)
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._global_bucket: _Bucket | None = None
        self._chat_buckets: dict[int, _Bucket] = {}

        self._webhook: dict | None = None
        self._webhook_task: asyncio.Task | None = None
        self._webhook_last_error: str | None = None
        self._webhook_inflight: set[int] = set()
        self._session: ClientSession | None = None

        self._poll_generation = 0
        self._new_updates = asyncio.Event()
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None

    # ----------------------------------------------------------------- life cycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{self.token}"

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        self.port = free_port()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()

    async def stop(self) -> None:
        self._closing = True
        self._new_updates.set()
        if self._webhook_task:
            self._webhook_task.cancel()
            with contextlib.suppress(BaseException):
                await self._webhook_task
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- test API: users & chats

    def _user(self, user_id: int, first_name: str | None, language_code: str | None, username: str | None) -> dict:
        u = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if first_name is not None:
            u["first_name"] = first_name
        if language_code is not None:
            u["language_code"] = language_code
        if username is not None:
            u["username"] = username
        self._users[user_id] = u
        return dict(u)

    def _chat(self, chat_id: int, chat_type: str, user: dict, title: str | None) -> dict:
        c = self._chats.get(chat_id)
        if c is None:
            if chat_type == "private":
                c = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
                if "username" in user:
                    c["username"] = user["username"]
            else:
                c = {"id": chat_id, "type": chat_type, "title": title or f"Group {chat_id}"}
            self._chats[chat_id] = c
        return dict(c)

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._msg_counter.setdefault(chat_id, itertools.count(1)))

    def _enqueue(self, update: dict) -> dict:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_updates.set()
        if self._webhook:
            self._kick_webhook()
        return update

    def add_chat(
        self,
        chat_id: int | str,
        user_id: int | str | None = None,
        *,
        chat_type: str = "private",
        first_name: str | None = None,
        language_code: str | None = None,
        title: str | None = None,
    ) -> None:
        """Make a chat known (a user who wrote to the bot some time ago) without queuing an update."""
        chat_id = int(chat_id)
        user_id = chat_id if user_id is None else int(user_id)
        user = self._user(user_id, first_name, language_code, None)
        self._chat(chat_id, chat_type, user, title)

    def inject_message(
        self,
        chat_id: int | str,
        user_id: int | str,
        text: str,
        *,
        chat_type: str = "private",
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
        title: str | None = None,
        entities: list[dict] | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict:
        """A user writes ``text``. Returns the update. Entities for /commands and @mentions
        are filled in automatically unless given."""
        chat_id, user_id = int(chat_id), int(user_id)
        if chat_type == "private" and chat_id != user_id:
            raise ValueError("in a private chat chat_id == user_id")
        if chat_type != "private" and chat_id >= 0:
            raise ValueError("group chat ids are negative")
        user = self._user(user_id, first_name, language_code, username)
        chat = self._chat(chat_id, chat_type, user, title)
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        ents = auto_entities(text) if entities is None else entities
        if ents:
            msg["entities"] = ents
        if reply_to_message_id is not None:
            orig = self._messages.get((chat_id, reply_to_message_id))
            if orig is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
            msg["reply_to_message"] = orig
        self._messages[(chat_id, msg["message_id"])] = msg
        return self._enqueue({"message": msg})

    def edit_user_message(self, chat_id: int | str, message_id: int, text: str) -> dict:
        """The user edits their message ``message_id``: an ``edited_message`` update with the new text."""
        chat_id = int(chat_id)
        orig = self._messages.get((chat_id, message_id))
        if orig is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        msg = dict(orig, text=text, edit_date=int(time.time()))
        ents = auto_entities(text)
        msg.pop("entities", None)
        if ents:
            msg["entities"] = ents
        self._messages[(chat_id, message_id)] = msg
        return self._enqueue({"edited_message": msg})

    def press_button(self, chat_id: int | str, user_id: int | str, message_id: int, data: str) -> dict:
        """A user presses the inline button with ``callback_data == data`` under a bot message."""
        chat_id, user_id = int(chat_id), int(user_id)
        msg = self._messages.get((chat_id, message_id))
        if msg is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        if data not in _keyboard_data(msg.get("reply_markup")):
            raise ValueError(f"message {message_id} has no button with data {data!r}: {msg.get('reply_markup')}")
        cb_id = str(next(self._cb_ids))
        self._pending_cb.add(cb_id)
        user = self._user(user_id, None, None, None)
        return self._enqueue(
            {
                "callback_query": {
                    "id": cb_id,
                    "from": user,
                    "message": msg,
                    "chat_instance": str(abs(chat_id) * 7919),
                    "data": data,
                }
            }
        )

    def block_user(self, chat_id: int | str, *, notify: bool = True) -> None:
        """The user blocks the bot: sends to this chat fail with 403 from now on. If ``notify``,
        a ``my_chat_member`` update (status "kicked") is queued, as Telegram does."""
        chat_id = int(chat_id)
        self._blocked.add(chat_id)
        if notify and chat_id in self._users:
            user = dict(self._users[chat_id])
            bot = self._bot_user()
            self._enqueue(
                {
                    "my_chat_member": {
                        "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": user["first_name"]}),
                        "from": user,
                        "date": int(time.time()),
                        "old_chat_member": {"status": "member", "user": bot},
                        "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0},
                    }
                }
            )

    def unblock_user(self, chat_id: int | str) -> None:
        self._blocked.discard(int(chat_id))

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        retry_after: float | None = 1,
        description: str | None = None,
        method: str | None = None,
        chat_id: int | str | None = None,
    ) -> None:
        """The next ``n`` matching calls (any method but getUpdates, or only ``method`` /
        ``chat_id``) fail with ``status``. 429 carries ``parameters.retry_after`` (a float is
        passed through as is so tests can stay fast; real Telegram sends integers). 502 answers
        with an HTML body like Telegram's nginx does."""
        self._faults.append(
            _Fault(status, retry_after, description, method, None if chat_id is None else int(chat_id), n)
        )

    def delay_next(
        self,
        n: int = 1,
        *,
        seconds: float,
        after: bool = True,
        method: str | None = None,
        chat_id: int | str | None = None,
    ) -> None:
        """The next ``n`` matching calls (not getUpdates) are slow by ``seconds``: with ``after`` (the
        default) the call takes effect at once and only its answer is late, so a client that times out
        cannot know whether it was sent; otherwise the call waits before it takes effect."""
        self._delays.append(_Delay(seconds, after, method, None if chat_id is None else int(chat_id), n))

    def _take_delay(self, method: str, params: dict) -> _Delay | None:
        if method == "getUpdates":
            return None
        for d in self._delays:
            if d.method is not None and d.method != method:
                continue
            if d.chat_id is not None and params.get("chat_id") != d.chat_id:
                continue
            d.remaining -= 1
            if d.remaining <= 0:
                self._delays.remove(d)
            return d
        return None

    # ----------------------------------------------------------------- test API: inspection

    def sent_to(self, chat_id: int | str, method: str | None = None) -> list[SentCall]:
        chat_id = int(chat_id)
        return [c for c in self.sent if c.chat_id == chat_id and (method is None or c.method == method)]

    def message(self, chat_id: int | str, message_id: int) -> dict | None:
        return self._messages.get((int(chat_id), message_id))

    def bot_messages(self, chat_id: int | str) -> list[dict]:
        chat_id = int(chat_id)
        return [
            m for (c, _), m in sorted(self._messages.items()) if c == chat_id and m["from"]["id"] == self.bot_id
        ]

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    def commands_shown_to(self, *, language_code: str = "", chat_type: str = "private") -> list[dict]:
        """The command menu a client would show (scope fallback, then language fallback)."""
        scopes = (
            ["all_private_chats", "default"]
            if chat_type == "private"
            else ["all_chat_administrators", "all_group_chats", "default"]
        )
        for scope in scopes:
            key = json.dumps({"type": scope}, sort_keys=True)
            for lang in ([language_code] if language_code else []) + [""]:
                if (key, lang) in self.commands:
                    return self.commands[(key, lang)]
        return []

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked whenever the emulator records
        something, and every 50 ms); returns its value. Raises TimeoutError listing ``sent``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - loop.time()
            if left <= 0:
                recent = "\n".join(f"  {c.method} chat={c.chat_id} text={c.text!r}" for c in self.sent[-15:])
                raise TimeoutError(f"condition not met within {timeout}s; last sent:\n{recent}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.05))

    # ----------------------------------------------------------------- HTTP plumbing

    def _bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name, "username": self.bot_username}

    async def _params(self, request: web.Request) -> tuple[dict, list[UploadedFile]]:
        raw: dict[str, Any] = dict(request.query)
        files: list[UploadedFile] = []
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                body = await request.json()
                raw.update(body if isinstance(body, dict) else {})
            else:
                form = await request.post()
                for k, v in form.items():
                    if isinstance(v, web.FileField):
                        files.append(UploadedFile(k, v.filename or k, v.content_type, v.file.read()))
                    else:
                        raw[k] = v
        params = {k: _decode(k, v) for k, v in raw.items()}
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        now = time.monotonic()
        try:
            params, files = await self._params(request)
        except ApiError as e:
            self.calls.append(ApiCall(method, {}, e.status, e.description, now))
            return self._error(e)
        handler = getattr(self, "_m_" + method[:1].lower() + method[1:], None)
        if handler is None:
            self.calls.append(ApiCall(method, params, 404, "Not Found", now))
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        fault = self._take_fault(method, params)
        if fault is not None:
            return self._fault_response(method, params, fault, now)
        delay = self._take_delay(method, params)
        if delay is not None and not delay.after:
            await asyncio.sleep(delay.seconds)
        try:
            result = await handler(params, files)
        except ApiError as e:
            if e.status == 429:
                self.count_429 += 1
            self.calls.append(ApiCall(method, params, e.status, e.description, now))
            self._changed.set()
            return self._error(e)
        self.calls.append(ApiCall(method, params, 200, None, now))
        self._changed.set()
        if delay is not None and delay.after:
            await asyncio.sleep(delay.seconds)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(e: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": e.status, "description": e.description}
        if e.parameters:
            body["parameters"] = e.parameters
        return web.json_response(body, status=e.status)

    def _take_fault(self, method: str, params: dict) -> _Fault | None:
        if method == "getUpdates":
            return None
        for f in self._faults:
            if f.method is not None and f.method != method:
                continue
            if f.chat_id is not None and params.get("chat_id") != f.chat_id:
                continue
            f.remaining -= 1
            if f.remaining <= 0:
                self._faults.remove(f)
            return f
        return None

    def _fault_response(self, method: str, params: dict, f: _Fault, now: float) -> web.Response:
        self._changed.set()
        if f.status == 429:
            self.count_429 += 1
            ra = f.retry_after if f.retry_after is not None else 1
            shown = int(ra) if float(ra).is_integer() else ra
            e = ApiError(429, f.description or f"Too Many Requests: retry after {shown}", {"retry_after": shown})
            self.calls.append(ApiCall(method, params, 429, e.description, now))
            return self._error(e)
        if f.status in (502, 504):
            phrase = "Bad Gateway" if f.status == 502 else "Gateway Time-out"
            self.calls.append(ApiCall(method, params, f.status, phrase, now))
            body = f"<html>\r\n<head><title>{f.status} {phrase}</title></head>\r\n<body>\r\n<center><h1>{f.status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            return web.Response(status=f.status, text=body, content_type="text/html")
        desc = f.description or {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error"}.get(f.status, "Error")
        e = ApiError(f.status, desc)
        self.calls.append(ApiCall(method, params, f.status, desc, now))
        return self._error(e)

    def _check_limits(self, chat_id: int) -> None:
        if not self.enforce_limits:
            return
        lim = self.limits
        now = time.monotonic()
        if self._global_bucket is None:
            self._global_bucket = _Bucket(lim.global_burst, lim.global_rate)
        chat = self._chats[chat_id]
        bucket = self._chat_buckets.get(chat_id)
        if bucket is None:
            if chat["type"] == "private":
                bucket = _Bucket(lim.private_burst, lim.private_rate)
            else:
                bucket = _Bucket(lim.group_burst, lim.group_per_minute / 60.0)
            self._chat_buckets[chat_id] = bucket
        wait = max(self._global_bucket.wait_time(now), bucket.wait_time(now))
        if wait > 0:
            ra = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {ra}", {"retry_after": ra})
        self._global_bucket.take()
        bucket.take()

    def _resolve_chat(self, chat_id: Any) -> dict:
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad("chat not found")
        return self._chats[chat_id]

    def _check_chat_writable(self, chat_id: Any) -> dict:
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        chat = self._resolve_chat(chat_id)
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._left:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        return chat

    def _check_markup(self, markup: Any) -> dict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
            for row in rows:
                for b in row:
                    if not b.get("text"):
                        raise _bad("text buttons are unallowed in the inline keyboard")
                    data = b.get("callback_data")
                    if data is not None and not (1 <= len(data.encode()) <= 64):
                        raise _bad("BUTTON_DATA_INVALID")
        return markup

    def _render_text(self, params: dict, key: str = "text", required: bool = True) -> str | None:
        text = params.get(key)
        if text is None or text == "":
            if required:
                raise _bad("message text is empty")
            return None
        mode = (params.get("parse_mode") or "").lower()
        plain = html_to_plain(text) if mode == "html" else text
        if required and not plain.strip():
            raise _bad("message text is empty")
        limit = 4096 if key == "text" else 1024
        if _utf16_len(plain) > limit:  # Telegram counts UTF-16 code units (an emoji outside the BMP is 2)
            raise _bad("message is too long" if key == "text" else "message caption is too long")
        return plain

    def _new_bot_message(self, chat: dict, extra: dict, markup: dict | None) -> dict:
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "from": self._bot_user(),
            "chat": dict(chat),
            "date": int(time.time()),
            **extra,
        }
        if markup and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        self._messages[(chat["id"], msg["message_id"])] = msg
        return msg

    def _record(self, method: str, params: dict, text: str | None, markup: dict | None,
                files: list[UploadedFile], message_id: int | None) -> None:  # fmt: skip
        chat_id = params.get("chat_id")
        self.sent.append(
            SentCall(method, chat_id if isinstance(chat_id, int) else None, text, markup, files,
                     params, message_id, time.monotonic())  # fmt: skip
        )

    # ----------------------------------------------------------------- Bot API methods

    async def _m_getMe(self, params: dict, files: list) -> dict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_getUpdates(self, params: dict, files: list) -> list:
        if self._webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        if "allowed_updates" in params:
            self._allowed_updates = params["allowed_updates"] or None
        offset = params.get("offset") or 0
        limit = max(1, min(100, params.get("limit") or 100))
        timeout = max(0, params.get("timeout") or 0)
        if offset:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        self._new_updates.set()  # a getUpdates still waiting ends with 409
        deadline = time.monotonic() + timeout
        while True:
            ready = self._deliverable()[:limit]
            if ready or self._closing:
                return ready
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            self._new_updates.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._new_updates.wait(), left)
            if generation != self._poll_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")

    def _deliverable(self) -> list[dict]:
        """Updates of a type the bot did not ask for are dropped (never delivered)."""
        allowed = self._allowed_updates or ["message", "edited_message", "channel_post", "edited_channel_post",
                                            "callback_query", "my_chat_member", "inline_query"]  # fmt: skip
        keep = []
        for u in self._updates:
            kind = next(k for k in u if k != "update_id")
            if kind in allowed:
                keep.append(u)
        self._updates = keep
        return keep

    async def _m_sendMessage(self, params: dict, files: list) -> dict:
        chat = self._check_chat_writable(params.get("chat_id"))
        plain = self._render_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        self._check_limits(chat["id"])
        msg = self._new_bot_message(chat, {"text": plain}, markup)
        self._record("sendMessage", params, plain, markup, [], msg["message_id"])
        return msg

    def _upload(self, params: dict, files: list[UploadedFile], field_name: str) -> UploadedFile:
        ref = params.get(field_name)
        wanted = field_name
        if isinstance(ref, str) and ref.startswith("attach://"):
            wanted = ref[len("attach://"):]
        for f in files:
            if f.field == wanted:
                return f
        if isinstance(ref, str) and ref:
            raise _bad("wrong remote file identifier specified: Wrong string length")
        raise _bad(f"there is no {field_name} in the request")

    async def _m_sendDocument(self, params: dict, files: list) -> dict:
        chat = self._check_chat_writable(params.get("chat_id"))
        up = self._upload(params, files, "document")
        if not up.data:
            raise _bad("file must be non-empty")
        caption = self._render_text(params, "caption", required=False)
        markup = self._check_markup(params.get("reply_markup"))
        self._check_limits(chat["id"])
        n = next(self._file_ids)
        extra: dict[str, Any] = {
            "document": {
                "file_name": up.filename,
                "mime_type": up.content_type,
                "file_id": f"BQACAgIAAxkDAAI{n:06d}",
                "file_unique_id": f"AgAD{n:06d}",
                "file_size": len(up.data),
            }
        }
        if caption:
            extra["caption"] = caption
        msg = self._new_bot_message(chat, extra, markup)
        self._record("sendDocument", params, caption, markup, [up], msg["message_id"])
        return msg

    async def _m_sendPhoto(self, params: dict, files: list) -> dict:
        chat = self._check_chat_writable(params.get("chat_id"))
        up = self._upload(params, files, "photo")
        w, h = _png_size(up.data)
        if not up.data or (up.data[:8] == b"\x89PNG\r\n\x1a\n" and not (w and h)):
            raise _bad("IMAGE_PROCESS_FAILED")
        caption = self._render_text(params, "caption", required=False)
        markup = self._check_markup(params.get("reply_markup"))
        self._check_limits(chat["id"])
        n = next(self._file_ids)
        extra: dict[str, Any] = {
            "photo": [
                {"file_id": f"AgACAgIAAxkDAAI{n:06d}", "file_unique_id": f"AQAD{n:06d}",
                 "file_size": len(up.data), "width": w, "height": h}  # fmt: skip
            ]
        }
        if caption:
            extra["caption"] = caption
        msg = self._new_bot_message(chat, extra, markup)
        self._record("sendPhoto", params, caption, markup, [up], msg["message_id"])
        return msg

    def _editable(self, params: dict) -> dict:
        if "inline_message_id" in params:
            raise _bad("inline messages are not supported by the emulator")
        chat = self._resolve_chat(params.get("chat_id"))
        msg = self._messages.get((chat["id"], params.get("message_id")))
        if msg is None:
            raise _bad("message to edit not found")
        if msg["from"]["id"] != self.bot_id:
            raise _bad("message can't be edited")
        return msg

    async def _m_editMessageText(self, params: dict, files: list) -> dict:
        msg = self._editable(params)
        if "text" not in msg:
            raise _bad("there is no text in the message to edit")
        plain = self._render_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if plain == msg["text"] and new_markup == msg.get("reply_markup"):
            raise _bad(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        msg["text"] = plain
        msg["edit_date"] = int(time.time())
        if new_markup:
            msg["reply_markup"] = new_markup
        else:
            msg.pop("reply_markup", None)  # editMessageText without markup removes the keyboard
        self._record("editMessageText", params, plain, new_markup, [], msg["message_id"])
        return msg

    async def _m_editMessageReplyMarkup(self, params: dict, files: list) -> dict:
        msg = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        new_markup = markup if markup and markup.get("inline_keyboard") else None
        if new_markup == msg.get("reply_markup"):
            raise _bad(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        if new_markup:
            msg["reply_markup"] = new_markup
        else:
            msg.pop("reply_markup", None)
        msg["edit_date"] = int(time.time())
        self._record("editMessageReplyMarkup", params, msg.get("text"), new_markup, [], msg["message_id"])
        return msg

    async def _m_answerCallbackQuery(self, params: dict, files: list) -> bool:
        cb_id = str(params.get("callback_query_id", ""))
        if cb_id not in self._pending_cb:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._pending_cb.discard(cb_id)
        self.callback_answers[cb_id] = params
        return True

    def _scope_key(self, params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    async def _m_setMyCommands(self, params: dict, files: list) -> bool:
        cmds = params.get("commands")
        if not isinstance(cmds, list):
            raise _bad("can't parse commands JSON object")
        if len(cmds) > 100:
            raise _bad("too many commands")
        lang = params.get("language_code") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise _bad("LANG_CODE_INVALID")
        for c in cmds:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(c.get("description", "")) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_key(params)
        if cmds:
            self.commands[key] = [{"command": c["command"], "description": c["description"]} for c in cmds]
        else:
            self.commands.pop(key, None)
        return True

    async def _m_getMyCommands(self, params: dict, files: list) -> list:
        return self.commands.get(self._scope_key(params), [])

    async def _m_deleteMyCommands(self, params: dict, files: list) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    async def _m_getChat(self, params: dict, files: list) -> dict:
        chat = self._resolve_chat(params.get("chat_id"))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11}

    async def _m_leaveChat(self, params: dict, files: list) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat["type"] == "private":
            raise _bad("chat member status can't be changed in private chats")
        if chat["id"] in self._left:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        self._left.add(chat["id"])
        return True

    # ----------------------------------------------------------------- webhooks

    async def _m_setWebhook(self, params: dict, files: list) -> bool:
        url = params.get("url") or ""
        if not url:
            return await self._m_deleteWebhook(params, files)
        if not re.match(r"https?://", url):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("bad webhook: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in params:
            self._allowed_updates = params["allowed_updates"] or None
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": params.get("max_connections") or 40,
        }
        self._poll_generation += 1  # a waiting getUpdates ends with 409
        self._new_updates.set()
        self._kick_webhook()
        return True

    async def _m_deleteWebhook(self, params: dict, files: list) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if self._webhook_task:
            self._webhook_task.cancel()
            self._webhook_task = None
        return True

    async def _m_getWebhookInfo(self, params: dict, files: list) -> dict:
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            if self._allowed_updates:
                info["allowed_updates"] = self._allowed_updates
            if self._webhook_last_error:
                info["last_error_date"] = int(time.time())
                info["last_error_message"] = self._webhook_last_error
        return info

    def _kick_webhook(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())
        else:
            self._new_updates.set()

    @staticmethod
    def _update_chat(update: dict) -> int | None:
        for kind in ("message", "edited_message", "my_chat_member"):
            if kind in update:
                return update[kind].get("chat", {}).get("id")
        if "callback_query" in update:
            return update["callback_query"].get("message", {}).get("chat", {}).get("id")
        return None

    async def _webhook_loop(self) -> None:
        """Deliver queued updates like Telegram: up to ``max_connections`` requests at once, one at a time per
        chat and in order within a chat; a failed one is retried with a backoff. An update leaves the queue
        once the bot's server answered 2xx."""
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        busy_chats: set[Any] = set()
        tasks: set[asyncio.Task] = set()
        backoff = [0.05]

        async def deliver(update: dict, chat: Any, hook: dict) -> None:
            headers = {"Content-Type": "application/json"}
            if hook["secret_token"]:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
            try:
                async with self._session.post(hook["url"], data=json.dumps(update), headers=headers) as resp:  # type: ignore[union-attr]
                    status = resp.status
                    await resp.read()
            except (OSError, asyncio.TimeoutError) as exc:
                status, self._webhook_last_error = 0, f"Connection failed: {exc!r}"
            self.webhook_deliveries.append({"update_id": update["update_id"], "status": status})
            self._changed.set()
            if 200 <= status < 300:
                with contextlib.suppress(ValueError):
                    self._updates.remove(update)
                backoff[0] = 0.05
            else:
                if status:
                    self._webhook_last_error = f"Wrong response from the webhook: {status}"
                await asyncio.sleep(backoff[0])
                backoff[0] = min(backoff[0] * 2, 1.0)
            self._webhook_inflight.discard(update["update_id"])
            busy_chats.discard(chat)
            self._new_updates.set()

        try:
            while self._webhook and not self._closing:
                hook = self._webhook
                started = False
                for update in self._deliverable():
                    if len(self._webhook_inflight) >= hook["max_connections"]:
                        break
                    chat = self._update_chat(update)
                    if update["update_id"] in self._webhook_inflight or chat in busy_chats:
                        if chat is not None:
                            busy_chats.add(chat)  # later updates of this chat wait for the earlier one
                        continue
                    self._webhook_inflight.add(update["update_id"])
                    busy_chats.add(chat)
                    task = asyncio.get_running_loop().create_task(deliver(update, chat, hook))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    started = True
                # chats that only had an update in flight must not stay marked busy for the next round
                busy_chats.intersection_update(
                    {self._update_chat(u) for u in self._updates if u["update_id"] in self._webhook_inflight})
                if not started:
                    self._new_updates.clear()
                    await self._new_updates.wait()
        finally:
            for task in list(tasks):
                task.cancel()
