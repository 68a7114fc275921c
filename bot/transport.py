"""The contract between the core and a messenger adapter (terminal, Telegram, Matrix).

An adapter turns its events into `IncomingMessage`, hands them to `Dialogue.handle` (sync, call it
through `asyncio.to_thread`), and renders the returned `Reply` objects. For messages the core sends
later or to someone else (outbox rows), the scheduler calls `send()` on the adapter named on the row.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.domain import Reply


class SendError(Exception):
    """A send failed; the outbox retries it with backoff."""


class RetryLater(SendError):
    """The messenger asked us to wait (Telegram 429, Matrix M_LIMIT_EXCEEDED)."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RecipientGone(SendError):
    """Permanent: the user blocked the bot, left the room, or the chat does not exist. Never retry."""


@runtime_checkable
class Transport(Protocol):
    name: str  # "terminal" | "telegram" | "matrix"

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply, *, dedupe_key: str | None = None) -> None:
        """Deliver one reply to a chat. Raise RetryLater / RecipientGone / SendError on failure.

        `dedupe_key` is stable per outbox row; a transport that supports idempotent sends
        (Matrix transaction ids) must derive its idempotency key from it.
        """
        ...
