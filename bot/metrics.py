"""Prometheus metrics for `deskbot run` (served as `/metrics` by `bot.health`).

Two kinds:

* Counted in the process, through `Dialogue.observers`:
  ``deskbot_messages_total{transport,intent}`` and ``deskbot_message_handling_seconds{transport}``
  (a histogram of the time `Dialogue.handle` took).
* Read from the database at scrape time (so every instance behind a load balancer reports the same,
  true numbers and nothing is lost on restart): ``deskbot_bookings{status}`` (all bookings),
  ``deskbot_bookings_today{status}`` (bookings for today, in DESKBOT_TIMEZONE),
  ``deskbot_notices{state}`` (outbox rows: ``sent``, ``failed`` = pending after at least one failed
  attempt, ``dead`` = given up, ``cancelled``), ``deskbot_outbox_depth`` (pending notices due now:
  the backlog) and ``deskbot_outbox_scheduled`` (pending, due later, e.g. tomorrow's reminders),
  ``deskbot_outbox_oldest_due_age_seconds``. ``deskbot_db_up`` is 0 when those queries failed
  (then the database gauges are left out of that scrape instead of failing it).

Plus ``deskbot_transport_up{transport}`` (1/0, only for transports that report their state) and
``deskbot_build_info{version}``.

Each `Metrics` has its own `CollectorRegistry`, so tests and several cores in one process do not
collide. `install()` adds the observer to `Dialogue.observers`, `uninstall()` removes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

BOOKING_STATUSES = ("confirmed", "checked_in", "cancelled", "no_show", "waitlisted")
NOTICE_STATES = ("sent", "failed", "dead", "cancelled")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

METRIC_NAMES = (
    "deskbot_messages_total",
    "deskbot_message_handling_seconds",
    "deskbot_bookings",
    "deskbot_bookings_today",
    "deskbot_notices",
    "deskbot_outbox_depth",
    "deskbot_outbox_scheduled",
    "deskbot_db_up",
)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("deskbot")
    except Exception:  # pragma: no cover - not installed
        return "unknown"


def transport_state(transport) -> bool | None:
    """True/False if the transport tells (``healthy()`` or ``connected``), None if it does not."""
    fn = getattr(transport, "healthy", None)
    if callable(fn):
        return bool(fn())
    if hasattr(transport, "connected"):
        value = transport.connected
        return bool(value() if callable(value) else value)
    return None


class DatabaseCollector(Collector):
    """Gauges computed by a few GROUP BY queries at scrape time."""

    def __init__(self, core) -> None:
        self.core = core

    def _utc(self, dt: datetime | None) -> datetime | None:
        if dt is None:
            return None
        return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)

    def query(self) -> dict:
        from sqlalchemy import func, or_, select

        from bot.storage.models import Booking, Outbox

        now = self.core.clock.now().astimezone(timezone.utc)
        today = self.core.clock.today()
        with self.core.db.session() as s:
            bookings = dict(s.execute(select(Booking.status, func.count()).group_by(Booking.status)).all())
            today_rows = dict(s.execute(select(Booking.status, func.count()).where(Booking.day == today)
                                        .group_by(Booking.status)).all())
            notices = dict(s.execute(select(Outbox.status, func.count()).where(Outbox.status != "pending")
                                     .group_by(Outbox.status)).all())
            notices["failed"] = s.scalar(select(func.count()).where(Outbox.status == "pending", Outbox.attempts > 0)) or 0
            due = or_(Outbox.due_at <= now, Outbox.due_at.is_(None))
            depth = s.scalar(select(func.count()).where(Outbox.status == "pending", due)) or 0
            scheduled = s.scalar(select(func.count()).where(Outbox.status == "pending", Outbox.due_at > now)) or 0
            oldest = s.scalar(select(func.min(Outbox.due_at)).where(Outbox.status == "pending", due))
        oldest_utc = self._utc(oldest)
        age = max(0.0, (now - oldest_utc).total_seconds()) if oldest_utc else 0.0
        return {"bookings": bookings, "today": today_rows, "notices": notices, "depth": depth,
                "scheduled": scheduled, "oldest_age": age}

    def collect(self):
        up = GaugeMetricFamily("deskbot_db_up", "1 if the database answered the metric queries of this scrape")
        try:
            data = self.query()
        except Exception as exc:
            log.warning("metrics: database query failed: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        g = GaugeMetricFamily("deskbot_bookings", "Bookings in the database by status", labels=["status"])
        for st in sorted(set(BOOKING_STATUSES) | set(data["bookings"])):
            g.add_metric([st], data["bookings"].get(st, 0))
        yield g
        g = GaugeMetricFamily("deskbot_bookings_today", "Bookings for today (DESKBOT_TIMEZONE) by status", labels=["status"])
        for st in sorted(set(BOOKING_STATUSES) | set(data["today"])):
            g.add_metric([st], data["today"].get(st, 0))
        yield g
        g = GaugeMetricFamily("deskbot_notices", "Outbox notices by state: sent, failed (pending, retrying), dead, cancelled",
                              labels=["state"])
        for st in sorted(set(NOTICE_STATES) | set(data["notices"])):
            g.add_metric([st], data["notices"].get(st, 0))
        yield g
        yield GaugeMetricFamily("deskbot_outbox_depth", "Pending notices that are due now (the send backlog)",
                                value=data["depth"])
        yield GaugeMetricFamily("deskbot_outbox_scheduled", "Pending notices due later (e.g. reminders)",
                                value=data["scheduled"])
        yield GaugeMetricFamily("deskbot_outbox_oldest_due_age_seconds",
                                "How long the oldest due, unsent notice has been waiting", value=data["oldest_age"])


class TransportCollector(Collector):
    def __init__(self, transports: Callable[[], Mapping[str, object]]) -> None:
        self.transports = transports

    def collect(self):
        g = GaugeMetricFamily("deskbot_transport_up", "1 if the transport reports itself connected", labels=["transport"])
        for name, tr in sorted(self.transports().items()):
            try:
                state = transport_state(tr)
            except Exception:
                state = False
            if state is not None:
                g.add_metric([name], 1 if state else 0)
        yield g


class Metrics:
    """The registry of one running bot."""

    def __init__(self, core=None, transports: Mapping[str, object] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.transports: dict[str, object] = dict(transports or {})
        self.messages = Counter("deskbot_messages", "Messages handled, by transport and understood intent",
                                ["transport", "intent"], registry=self.registry)
        self.latency = Histogram("deskbot_message_handling_seconds", "Time to answer one message (Dialogue.handle)",
                                 ["transport"], buckets=LATENCY_BUCKETS, registry=self.registry)
        info = InfoMetricFamily("deskbot_build", "deskbot version", value={"version": _version()})
        self.registry.register(_Static([info]))
        if core is not None:
            self.registry.register(DatabaseCollector(core))
        self.registry.register(TransportCollector(lambda: self.transports))
        self._installed = False

    # Dialogue observer ---------------------------------------------------------------------
    def observe(self, msg, intent: str, seconds: float) -> None:
        transport = getattr(msg, "transport", None) or "unknown"
        self.messages.labels(transport, intent or "other").inc()
        self.latency.labels(transport).observe(seconds)

    def install(self) -> Metrics:
        from bot.dialogue import Dialogue

        if not self._installed:
            Dialogue.observers.append(self.observe)
            self._installed = True
        return self

    def uninstall(self) -> None:
        from bot.dialogue import Dialogue

        if self._installed:
            try:
                Dialogue.observers.remove(self.observe)
            except ValueError:
                pass
            self._installed = False

    # exposition ----------------------------------------------------------------------------
    def render(self) -> bytes:
        """The Prometheus text format (blocking: runs the database queries)."""
        started = time.perf_counter()
        out = generate_latest(self.registry)
        took = time.perf_counter() - started
        if took > 2:
            log.warning("metrics scrape took %.1fs", took)
        return out

    content_type = CONTENT_TYPE_LATEST


class _Static(Collector):
    def __init__(self, families) -> None:
        self.families = families

    def collect(self):
        yield from self.families


__all__ = ["Metrics", "DatabaseCollector", "METRIC_NAMES", "transport_state"]
