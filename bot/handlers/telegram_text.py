"""Text helpers of the Telegram transport: lengths in UTF-16 units, splitting long replies, token redaction."""

from __future__ import annotations

import logging
import re

MAX_TEXT_UTF16 = 4096  # Telegram counts a message's length in UTF-16 code units


def utf16_len(s: str) -> int:
    """Length as Telegram counts it (an emoji outside the BMP is 2 units)."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def _cut_at_units(s: str, limit: int) -> int:
    """The largest index i with utf16_len(s[:i]) <= limit."""
    units = 0
    for i, ch in enumerate(s):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(s)


def split_text(text: str, limit: int = MAX_TEXT_UTF16) -> list[str]:
    """Split into parts of at most ``limit`` UTF-16 units, at a paragraph, line or word boundary (a hard cut
    only for a single over-long word). Nothing is dropped: the parts joined with the removed boundary give
    the text back."""
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        hard = _cut_at_units(rest, limit)
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = rest.rfind(sep, 0, hard + 1 if rest[hard:hard + len(sep)] == sep else hard)
            if cut > hard // 2:
                break
        if cut <= 0 or cut <= hard // 4:
            cut = hard
        part = rest[:cut].rstrip()
        if not part:  # only whitespace before the cut
            part, cut = rest[:hard], hard
        parts.append(part)
        rest = rest[cut:].lstrip("\n ")
    if rest or not parts:
        parts.append(rest)
    return parts


class TokenRedactor(logging.Filter):
    """A logging filter that replaces a secret (the bot token, the webhook secret) in the message, its
    arguments and a formatted traceback with ``<redacted>``. Attached to the loggers whose records can carry
    a Bot API URL (httpx logs every request URL, which contains the token, at INFO)."""

    def __init__(self, *secrets: str | None) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]
        self._re = re.compile("|".join(re.escape(s) for s in self.secrets)) if self.secrets else None

    def redact(self, text: str) -> str:
        return self._re.sub("<redacted>", text) if self._re is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._re is None:
            return True
        msg = record.getMessage()
        clean = self.redact(msg)
        if record.exc_info or record.exc_text:
            # the traceback goes into the message, redacted (so plain and JSON formatters both show it clean)
            tb = record.exc_text or logging.Formatter().formatException(record.exc_info)  # type: ignore[arg-type]
            clean = clean + "\n" + self.redact(tb)
            record.exc_info, record.exc_text = None, None
        if clean != msg:
            record.msg, record.args = clean, None
        return True

    def install(self) -> None:
        """Attach to the loggers that can carry a Bot API URL and to the root logger's handlers."""
        for name in REDACTED_LOGGERS:
            logging.getLogger(name).addFilter(self)
        for h in logging.getLogger().handlers:
            h.addFilter(self)

    def uninstall(self) -> None:
        for name in REDACTED_LOGGERS:
            logging.getLogger(name).removeFilter(self)
        for h in logging.getLogger().handlers:
            h.removeFilter(self)


# a filter on a logger sees only the records made on that very logger (not its children's): all of them by name
REDACTED_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "telegram", "telegram.Bot",
                    "telegram.ext", "telegram.ext.ExtBot", "telegram.ext.Updater", "telegram.ext.Application",
                    "telegram.request", "telegram.request.BaseRequest", "telegram.request.HTTPXRequest",
                    "bot.handlers.telegram", "aiohttp.access", "aiohttp.client", "aiohttp.server", "aiohttp.web")


__all__ = ["MAX_TEXT_UTF16", "REDACTED_LOGGERS", "TokenRedactor", "split_text", "utf16_len"]
