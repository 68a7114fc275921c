"""The HTTP client under the Telegram transport: python-telegram-bot's `BaseRequest` on aiohttp.

PTB's default client is httpx; on this project's machines one Bot API round trip through it costs about
3 ms of CPU against 0.35 ms with aiohttp (measured against tests/tg_emulator.py), and every reply takes
two (the getUpdates that brings the message, the sendMessage that answers it). aiohttp is a dependency
anyway (the webhook server, Matrix).

Errors are mapped the way PTB's own client maps them: a timeout before the request could be sent
(connecting, or waiting for a free connection) and a timeout while waiting for the answer are both
`TimedOut`, told apart by ``__cause__`` (`aiohttp.ConnectionTimeoutError`: nothing was sent) so the
transport knows when a send "may have arrived"; other transport errors are `NetworkError` with a
message that never contains the request URL (it carries the bot token).
"""

from __future__ import annotations

import re

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_BOT_PATH = re.compile(r"/bot[^/\s'\"]+")


def _clean(text: str) -> str:
    return _BOT_PATH.sub("/bot<redacted>", text)


def sent_nothing(exc: BaseException) -> bool:
    """True when this TimedOut happened before any byte of the request went out."""
    cause = exc.__cause__
    return isinstance(cause, aiohttp.ConnectionTimeoutError)


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 5.0,
        media_read_timeout: float | None = 20.0,
    ) -> None:
        self._pool = connection_pool_size
        self._read = read_timeout
        self._connect = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_read = media_read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool, limit_per_host=self._pool, ttl_dns_cache=300,
                                             keepalive_timeout=30)  # fmt: skip
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        params = request_data.json_parameters if request_data else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        if files and isinstance(read_timeout, DefaultValue):
            read = self._media_read
        conn = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        connect_total = None if conn is None and pool is None else (conn or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=None, connect=connect_total, sock_connect=conn, sock_read=read)
        data: aiohttp.FormData | dict[str, str] | None
        if files:
            form = aiohttp.FormData()
            for k, v in (params or {}).items():
                form.add_field(k, v)
            for name, (filename, content, mime) in files.items():
                body = content if isinstance(content, bytes) else content.read()
                form.add_field(name, body, filename=filename, content_type=mime)
            data = form
        else:
            data = params or None
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except aiohttp.ConnectionTimeoutError as err:
            raise TimedOut("Timed out before the request was sent") from err
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut() from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {_clean(str(err))}") from err


__all__ = ["AiohttpRequest", "sent_nothing"]
