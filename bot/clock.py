"""The bot's clock. Everything asks the clock, never `datetime.now()`, so tests and the terminal's
`/now` can move time. All times are aware; local time is the configured zone (Europe/Berlin)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo


class Clock:
    """Real time in the bot's zone."""

    def __init__(self, tz: str | ZoneInfo = "Europe/Berlin") -> None:
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def utcnow(self) -> datetime:
        return self.now().astimezone(timezone.utc)

    def today(self):
        return self.now().date()


class FixedClock(Clock):
    """A clock that stands still until told otherwise (tests, `deskbot chat` with /now)."""

    def __init__(self, at: datetime, tz: str | ZoneInfo = "Europe/Berlin") -> None:
        super().__init__(tz)
        self._lock = threading.Lock()
        self._at = self._aware(at)

    def _aware(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.tz)
        return at.astimezone(self.tz)

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = self._aware(at)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            # arithmetic in UTC so that DST changes are crossed correctly
            self._at = (self._at.astimezone(timezone.utc) + delta).astimezone(self.tz)


class OffsetClock(Clock):
    """Real time shifted by an offset: `set()` jumps, and time keeps running from there."""

    def __init__(self, tz: str | ZoneInfo = "Europe/Berlin") -> None:
        super().__init__(tz)
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return (datetime.now(timezone.utc) + self._offset).astimezone(self.tz)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.tz)
        self._offset = at - datetime.now(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


def local_at(tz, day, hhmm: str | int) -> datetime:
    """The aware local datetime of a wall-clock time ("18:30" or minutes after midnight) on a day (DST by zoneinfo)."""
    from datetime import time as _time

    if isinstance(hhmm, int):
        minute = hhmm
    else:
        h, _, m = str(hhmm).partition(":")
        minute = int(h) * 60 + int(m or 0)
    return datetime.combine(day, _time(minute // 60, minute % 60), tzinfo=tz)


def as_utc(dt: datetime) -> datetime:
    from datetime import timezone

    return dt.astimezone(timezone.utc)
