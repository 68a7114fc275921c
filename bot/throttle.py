"""The per-member flood throttle: a sliding one-minute window of message times.

In memory of one process (per `Dialogue`); buttons are not counted. Above the limit a message is
dropped, and the member is told to slow down at most once per window, not once per message.
"""

from __future__ import annotations

from collections import deque
from threading import Lock


class FloodWindow:
    """Sliding window of message times per member."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._lock = Lock()
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def allow(self, member_id: int, at: float) -> bool:
        """Count this message; False once the member sent `limit` messages within the window."""
        with self._lock:
            q = self._seen.setdefault(member_id, deque())
            while q and q[0] <= at - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return False
            q.append(at)
            if len(self._seen) > 50_000:  # forget idle members now and then
                for mid in [k for k, v in self._seen.items() if not v or v[-1] <= at - self.window]:
                    del self._seen[mid]
                    self._warned.pop(mid, None)
            return True

    def should_warn(self, member_id: int, at: float) -> bool:
        """True for the first throttled message of a window (one "slow down" reply, then silence)."""
        with self._lock:
            last = self._warned.get(member_id)
            if last is not None and at - last < self.window:
                return False
            self._warned[member_id] = at
            return True
