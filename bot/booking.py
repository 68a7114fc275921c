"""The booking service: book, cancel, check in, availability, contingents, waitlist.

Outcomes are returned as values (`Booked`, `Full`, `Closed`, `NoContingent`, ...), never raised.
Each booked day is its own unit of work, so "every Tuesday in December" books what it can and
says why the rest failed. The guarantees under concurrency come from the database (see
storage/models.py): this module asks it to insert, and maps a refused insert to an outcome.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time as _time
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain import ACTIVE_STATUSES, Part, Status
from bot.storage.db import Database
from bot.storage.models import (
    EPOCH,
    Booking,
    ContingentAccount,
    Desk,
    Employer,
    Member,
    Role,
    Space,
    SpaceClosure,
    minute_ordinal,
)
from bot.storage.outbox import cancel_for_booking, defer, enqueue, notify_space
from bot.storage.sql import connection, dialect_of, run

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NOON = 13 * 60  # morning ends / afternoon starts at 13:00
HALF_DAY_MAX_MINUTES = 5 * 60  # an hourly booking of up to 5 h counts as half a day


# ---------------------------------------------------------------------------------------------
# value objects handed to the dialogue


@dataclass(frozen=True, slots=True)
class SpaceInfo:
    id: int
    slug: str
    name: str
    town: str
    address: str
    day_price_cents: int
    lat: float | None = None
    lon: float | None = None

    def km_to(self, other: SpaceInfo) -> float | None:
        """Straight-line distance to another space (None without coordinates)."""
        if None in (self.lat, self.lon, other.lat, other.lon):
            return None
        from math import asin, cos, radians, sin, sqrt

        dlat, dlon = radians(other.lat - self.lat), radians(other.lon - self.lon)
        a = sin(dlat / 2) ** 2 + cos(radians(self.lat)) * cos(radians(other.lat)) * sin(dlon / 2) ** 2
        return 2 * 6371.0 * asin(sqrt(a))


@dataclass(frozen=True, slots=True)
class BookingInfo:
    id: int
    space: SpaceInfo
    day: date
    part: str
    start_min: int
    end_min: int
    desk_label: str | None
    status: str
    payer: str
    seat: int
    group_ref: str
    opening: tuple[int, int] | None = None

    @property
    def start(self) -> str:
        return fmt_min(self.start_min)

    @property
    def end(self) -> str:
        return fmt_min(self.end_min)


@dataclass(frozen=True, slots=True)
class Remaining:
    """Contingent left this month, in half days. None in a field = that limit does not apply."""

    month: str
    employer_name: str
    member_left: int | None
    member_granted: int | None
    pool_left: int | None
    pool_granted: int | None

    @property
    def effective_left(self) -> int | None:
        vals = [v for v in (self.member_left, self.pool_left) if v is not None]
        return min(vals) if vals else None


@dataclass(slots=True)
class Booked:
    bookings: list[BookingInfo]
    remaining: Remaining | None

    @property
    def booking(self) -> BookingInfo:
        return self.bookings[0]


@dataclass(slots=True)
class Waitlisted:
    booking: BookingInfo
    position: int


@dataclass(slots=True)
class Full:
    space: SpaceInfo
    day: date
    free: int = 0  # for team bookings: how many desks are free


@dataclass(slots=True)
class Closed:
    space: SpaceInfo
    day: date
    reason: str  # "weekday" | "holiday" | "closure"
    detail: str = ""


@dataclass(slots=True)
class OutsideHours:
    space: SpaceInfo
    day: date
    opening: tuple[int, int]


@dataclass(slots=True)
class InPast:
    day: date


@dataclass(slots=True)
class TooFarAhead:
    day: date
    last_day: date


@dataclass(slots=True)
class NoContingent:
    day: date
    remaining: Remaining


@dataclass(slots=True)
class AlreadyBooked:
    day: date
    existing: BookingInfo | None


@dataclass(slots=True)
class UnknownSpace:
    slug: str


# desk choice (issue 17): a wish for one desk ("Platz 3") or for features ("mit Monitor") that cannot be met;
# nothing is booked. `labels`: the space's desks; `features`: as asked.


@dataclass(slots=True)
class UnknownDesk:
    space: SpaceInfo
    day: date
    label: str
    labels: list[str]


@dataclass(slots=True)
class DeskTaken:
    space: SpaceInfo
    day: date
    label: str
    features: list[str]  # the taken desk's own features (an alternative should have them too)


@dataclass(slots=True)
class NoSuchFeature:
    space: SpaceInfo
    day: date
    features: list[str]  # no desk of the space has them all
    label: str | None = None  # or: the desk named has not got them


@dataclass(slots=True)
class NoMatchingDesk:
    space: SpaceInfo
    day: date
    features: list[str]  # desks with them exist, but too few are free
    free: int = 0  # how many of them are free


@dataclass(frozen=True, slots=True)
class DeskWish:
    """What a booking asks of its desk(s): one desk by label, and/or features every desk must have."""

    label: str | None = None
    features: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.label or self.features)


DeskOutcome = UnknownDesk | DeskTaken | NoSuchFeature | NoMatchingDesk
BookOutcome = (Booked | Waitlisted | Full | Closed | OutsideHours | InPast | TooFarAhead | NoContingent | AlreadyBooked
               | UnknownSpace | DeskOutcome)


@dataclass(slots=True)
class CancelResult:
    cancelled: list[BookingInfo] = field(default_factory=list)
    refunded_halves: int = 0
    not_refunded: list[BookingInfo] = field(default_factory=list)  # cancelled after the cutoff


@dataclass(slots=True)
class CheckedIn:
    booking: BookingInfo
    walk_in: bool = False


@dataclass(slots=True)
class AlreadyCheckedIn:
    booking: BookingInfo


@dataclass(slots=True)
class NothingToCheckIn:
    space: SpaceInfo | None = None


@dataclass(slots=True)
class TooEarlyToCheckIn:
    booking: BookingInfo
    opens_at: str


@dataclass(slots=True)
class Availability:
    space: SpaceInfo
    day: date
    free: int
    total: int
    closed: str | None = None  # reason if closed


# ---------------------------------------------------------------------------------------------
# helpers


def fmt_min(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


@lru_cache(maxsize=1024)
def parse_hhmm(s: str) -> int:
    h, _, m = s.partition(":")
    return int(h) * 60 + int(m or 0)


def halves_for(part: str, start_min: int, end_min: int) -> int:
    if part in (Part.MORNING.value, Part.AFTERNOON.value):
        return 1
    if part == Part.HOURS.value and end_min - start_min <= HALF_DAY_MAX_MINUTES:
        return 1
    return 2


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@lru_cache(maxsize=64)
def _holidays(region: str, year: int) -> dict[date, str]:
    return dict(_germany()(subdiv=region, years=year, language="de"))


_GERMANY_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _germany():
    """`holidays.DE` (what `holidays.country_holidays("DE", ...)` builds), imported lazily and alone: importing it
    the ordinary way runs `holidays/countries/__init__.py`, which imports all ~250 countries (~7 MB of RSS for
    one of them). The module is loaded from its file under its own name and registered once it is complete, so a
    later ordinary import of the package (bot/i18n.py) reuses it and no other thread ever sees it half loaded
    (the first bookings of a process come from many threads at once). Anything unexpected: the ordinary import."""
    import importlib.util
    import sys

    import holidays.holiday_base  # (the package itself, without its countries)

    name = "holidays.countries.germany"
    with _GERMANY_LOCK:
        mod = sys.modules.get(name)
        if mod is None:
            try:
                from pathlib import Path

                path = Path(sys.modules["holidays"].__file__).parent / "countries" / "germany.py"
                spec = importlib.util.spec_from_file_location(name, path)
                mod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(mod)
                sys.modules.setdefault(name, mod)
            except (ImportError, OSError, AttributeError, TypeError):  # a layout this does not know
                mod = None
        germany = getattr(mod, "Germany", None)
    if germany is None:  # not loaded here, or another import of it still running: the ordinary way waits for it
        import holidays

        return holidays.DE
    return germany


def day_of(t0: int) -> date:
    """The day of a minute ordinal (inverse of `minute_ordinal`): bookings never cross midnight."""
    return EPOCH + timedelta(days=t0 // 1440)


def holiday_name(region: str, day: date) -> str | None:
    return _holidays(region, day.year).get(day)


def space_info(space: Space) -> SpaceInfo:
    return SpaceInfo(space.id, space.slug, space.name, space.town, space.address, space.day_price_cents,
                     space.lat, space.lon)


def opening_of(space: Space, day: date) -> tuple[int, int] | None:
    hours = (space.opening_hours or {}).get(WEEKDAY_KEYS[day.weekday()])
    if not hours:
        return None
    return parse_hhmm(hours[0]), parse_hhmm(hours[1])


# what space_info / opening_of / closed_given / interval read of a space; opening_hours as its JSON
# text, decoded once per distinct text (most spaces share their hours)
_HOURS_DECODED: dict[str, dict] = {}


@dataclass(frozen=True, slots=True)
class _SpaceRow:
    """The columns of a Space that availability needs, read like a Space."""

    id: int
    slug: str
    name: str
    town: str
    address: str
    day_price_cents: int
    opening_hours: dict | None
    holiday_region: str
    lat: float | None = None
    lon: float | None = None


_AVAILABILITY_SPACES = """SELECT s.id, s.slug, s.name, s.town, s.address, s.day_price_cents,
 CAST(s.opening_hours AS VARCHAR), s.holiday_region, s.lat, s.lon, {total}, c.id, c.reason
FROM spaces s {join}LEFT OUTER JOIN space_closures c ON c.space_id = s.id AND c.day = ?
WHERE s.active{where} ORDER BY s.slug"""
# all spaces: the desk totals grouped once (one pass over the desks); one space: counted for it alone
_ALL_TOTALS = ("t.n", ("LEFT OUTER JOIN (SELECT space_id, count(id) AS n FROM desks WHERE active GROUP BY space_id) t "
                       "ON t.space_id = s.id "))
_ONE_TOTAL = "(SELECT count(d.id) FROM desks d WHERE d.space_id = s.id AND d.active)"


def _availability_spaces(d, day: date, space_slug: str | None) -> tuple[str, tuple]:
    """Driver SQL and parameters: the active spaces (all, or the one of the slug) by slug, with their active desks
    and the day's closure row ((space, day) is unique): id, slug, name, town, address, day_price_cents,
    opening_hours as JSON text, holiday_region, lat, lon, total (NULL: none), closure id, closure reason."""
    if space_slug:
        return (d.sql(_AVAILABILITY_SPACES.format(total=_ONE_TOTAL, join="", where=" AND s.slug = ?")),
                (d.day(day), space_slug))
    return (d.sql(_AVAILABILITY_SPACES.format(total=_ALL_TOTALS[0], join=_ALL_TOTALS[1], where="")), (d.day(day),))


def _availability_busy(d, day: date, by_interval: dict[tuple[int, int], list[int]], *,
                       all_spaces: bool) -> tuple[str, tuple]:
    """Driver SQL and parameters: (space id, desks taken) of the day's active bookings overlapping each space's
    interval (minute ordinals); spaces with the same interval share one condition."""
    params: list = [d.day(day)]
    if len(by_interval) == 1 and all_spaces:
        # one interval for all: count every space's bookings and read only those asked
        # (a list of hundreds of ids costs more to send and parse than the extra groups)
        (t0, t1), = by_interval
        conds = "t0 < ? AND t1 > ?"
        params += [t1, t0]
    else:
        parts = []
        for (t0, t1), sids in by_interval.items():
            parts.append(f"(space_id IN ({', '.join('?' * len(sids))}) AND t0 < ? AND t1 > ?)")
            params += [*sids, t1, t0]
        conds = " OR ".join(parts)
    statuses = ", ".join(f"'{x}'" for x in ACTIVE_STATUSES)
    return (d.sql(f"SELECT space_id, count(DISTINCT desk_id) FROM bookings WHERE day = ? AND status IN ({statuses}) "
                  f"AND ({conds}) GROUP BY space_id"), tuple(params))


def _space_rows_hours(text: str) -> dict:
    """Opening hours decoded from their JSON text (cached per distinct text)."""
    hours = _HOURS_DECODED.get(text)
    if hours is None:
        hours = json.loads(text)
        if len(_HOURS_DECODED) < 4096:
            _HOURS_DECODED[text] = hours
    return hours


def closed_given(space: Space, day: date, closure_reason: str | None) -> tuple[str, str] | None:
    """Why a space is closed on a day, given its closure row's reason (None: no closure row)."""
    if closure_reason is not None:
        return "closure", closure_reason
    name = holiday_name(space.holiday_region, day)
    if name:
        return "holiday", name
    if opening_of(space, day) is None:
        return "weekday", ""
    return None


def booking_info(b: Booking, space: Space | None = None, desk_label: str | None = None) -> BookingInfo:
    space = space or b.space
    label = desk_label if desk_label is not None else (b.desk.label if b.desk_id and b.desk else None)
    return BookingInfo(
        id=b.id, space=space_info(space), day=b.day, part=b.part, start_min=b.start_min, end_min=b.end_min,
        desk_label=label, status=b.status, payer=b.payer, seat=b.seat, group_ref=b.group_ref,
        opening=opening_of(space, b.day),
    )


def _constraint_name(exc: IntegrityError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    for name in ("bookings_desk_no_overlap", "bookings_member_no_overlap", "ck_contingent_not_overdrawn"):
        if name in text:
            return name
    return text



# ---------------------------------------------------------------------------------------------
# the one-desk booking path: a handful of statements, each built once per dialect (see `_book_fast`)

_ACTIVE_SQL = "('confirmed','checked_in')"
_FAST: dict[str, dict] = {}


def _fast_statements(dialect: str) -> dict:
    """The statements of `_book_fast` for a dialect, as driver SQL (bot/storage/sql.py), built on first use."""
    st = _FAST.get(dialect)
    if st is not None:
        return st
    d = dialect_of(dialect)
    # parameters: day, t1, t0
    busy = ("SELECT 1 FROM bookings b WHERE b.desk_id = d.id AND b.day = ? AND b.status IN " + _ACTIVE_SQL +
            " AND b.t0 < ? AND b.t1 > ?")
    # everything the checks of one day need, in one round trip: the member (locked on PostgreSQL: one
    # booking request per member at a time; lock order member, accounts, desks), the space, the day's
    # closure, an own overlapping booking, whether a desk is free, the employer paying (the member's first
    # employee role of an active employer) and its member and pool accounts of the month.
    # parameters: day | day, t1, t0 | day, t1, t0 | slug | mscope, month | month | member_id
    request = (
        "SELECT m.id AS member_id, sp.id AS space_id, sp.slug AS slug, sp.name AS name, sp.town AS town, "
        "sp.address AS address, sp.day_price_cents AS day_price_cents, CAST(sp.opening_hours AS TEXT) AS hours_json, "
        "sp.holiday_region AS holiday_region, sp.lat AS lat, sp.lon AS lon, "
        "(SELECT c.reason FROM space_closures c WHERE c.space_id = sp.id AND c.day = ?) AS closure, "
        "(SELECT b.id FROM bookings b WHERE b.member_id = m.id AND b.day = ? AND b.seat = 0 AND b.status IN "
        + _ACTIVE_SQL + " AND b.t0 < ? AND b.t1 > ? LIMIT 1) AS own_id, "
        "EXISTS (SELECT 1 FROM desks d WHERE d.space_id = sp.id AND d.active AND NOT EXISTS (" + busy + ")) AS has_free, "
        "e.id AS emp_id, e.name AS emp_name, e.days_per_employee_halves AS per_employee, e.pool_halves AS pool, "
        "r.contingent_override_halves AS override, ma.id AS m_id, ma.granted_halves AS m_granted, "
        "ma.used_halves AS m_used, pa.id AS p_id, pa.granted_halves AS p_granted, pa.used_halves AS p_used "
        "FROM members m "
        "LEFT JOIN spaces sp ON sp.slug = ? AND sp.active "
        "LEFT JOIN roles r ON r.id = (SELECT r2.id FROM roles r2 JOIN employers e2 ON e2.id = r2.employer_id "
        "WHERE r2.member_id = m.id AND r2.kind = 'employee' AND e2.active ORDER BY r2.id LIMIT 1) "
        "LEFT JOIN employers e ON e.id = r.employer_id "
        "LEFT JOIN contingent_accounts ma ON ma.employer_id = e.id AND ma.scope = ? AND ma.month = ? "
        "LEFT JOIN contingent_accounts pa ON pa.employer_id = e.id AND pa.scope = 'pool' AND pa.month = ? "
        "WHERE m.id = ?" + (" FOR UPDATE OF m" if d.pg else ""))
    # the charge: creates a missing account of the month already charged, or takes from an existing one only
    # if it stays within its grant (the CHECK constraint is the guarantee); the accounts that took it come back.
    # parameters per account: employer_id, scope, month, granted, halves
    charge = {}
    for n in (1, 2):
        charge[n] = d.sql(
            "INSERT INTO contingent_accounts (employer_id, scope, month, granted_halves, used_halves, alerted) "
            f"VALUES {', '.join(['(?, ?, ?, ?, ?, false)'] * n)} ON CONFLICT (employer_id, scope, month) DO UPDATE "
            "SET used_halves = contingent_accounts.used_halves + excluded.used_halves "
            "WHERE contingent_accounts.used_halves + excluded.used_halves <= contingent_accounts.granted_halves "
            "RETURNING id, scope, granted_halves, used_halves")
    # the booking on the first free desk (PostgreSQL: skipping desks other bookers hold right now), with the
    # desk's label; no row = no free desk. The overlap constraints stay the guarantee.
    # parameters: member_id, day, part, m0, m1, t0, t1, group_ref, payer, employer_id, charged, macct, pacct,
    # price, now, now | space_id | day, t1, t0
    cols = ("member_id, space_id, desk_id, day, part, start_min, end_min, t0, t1, seat, group_ref, status, payer, "
            "employer_id, charged_halves, member_account_id, pool_account_id, price_cents, created_at, updated_at")
    i, ts = d.cast("INTEGER"), d.cast("TIMESTAMP WITH TIME ZONE")
    vals = ", ".join([i, "d.space_id", "d.id", d.cast("DATE"), d.cast("VARCHAR"), i, i, i, i, "0", d.cast("VARCHAR"),
                      "'confirmed'", d.cast("VARCHAR"), i, i, i, i, i, ts, ts])
    insert = d.sql(
        f"INSERT INTO bookings ({cols}) SELECT {vals} FROM desks d "
        "WHERE d.space_id = ? AND d.active AND NOT EXISTS (" + busy + ") ORDER BY d.id LIMIT 1"
        + (" FOR UPDATE OF d SKIP LOCKED" if d.pg else "")
        + " RETURNING id, desk_id, (SELECT dl.label FROM desks dl WHERE dl.id = bookings.desk_id)")
    # PostgreSQL, when every free desk is held by other bookers: wait for them (then look again).
    # parameters: space_id | day, t1, t0
    wait = d.sql("SELECT d.id FROM desks d WHERE d.space_id = ? AND d.active AND NOT EXISTS (" + busy + ") "
                 "ORDER BY d.id FOR UPDATE OF d")
    refund = d.sql("UPDATE contingent_accounts SET used_halves = used_halves - ? WHERE id = ?")
    st = _FAST[dialect] = {"d": d, "request": d.sql(request), "charge": charge, "insert": insert, "wait": wait,
                           "refund": refund}
    return st


_RequestRow = namedtuple("_RequestRow", (
    "member_id", "space_id", "slug", "name", "town", "address", "day_price_cents", "hours_json", "holiday_region",
    "lat", "lon", "closure", "own_id", "has_free", "emp_id", "emp_name", "per_employee", "pool", "override",
    "m_id", "m_granted", "m_used", "p_id", "p_granted", "p_used"))


def _space_row_of(row) -> _SpaceRow:
    """The space of a `_book_fast` request row."""
    hours = _space_rows_hours(row.hours_json) if row.hours_json is not None else None
    return _SpaceRow(row.space_id, row.slug, row.name, row.town, row.address, row.day_price_cents, hours,
                     row.holiday_region, row.lat, row.lon)


class ConflictRetry(OperationalError):
    """A concurrent writer took what this transaction was about to take (a desk a moment ago, PostgreSQL):
    the database refused the insert and the transaction is aborted. Like a serialization failure
    (SQLSTATE 40001, which it carries) the whole unit of work is simply run again: `Dialogue.handle`
    retries a message on it; outside a unit of work `BookingService` retries the day itself."""

    class _Orig(Exception):
        sqlstate = "40001"

    def __init__(self, cause: IntegrityError) -> None:
        super().__init__(cause.statement, None, self._Orig(str(cause.orig)), hide_parameters=True)


class BookingService:
    """All booking rules. One instance per process; each call is its own unit of work."""

    def __init__(self, db: Database, clock: Clock, *, horizon_days: int = 60, noshow_refund: bool = False,
                 evening_reminder: str = "18:00", morning_reminder: str = "07:30") -> None:
        self.db = db
        self.clock = clock
        self.horizon_days = horizon_days
        self.noshow_refund = noshow_refund
        self.evening_reminder = parse_hhmm(evening_reminder)
        self.morning_reminder = parse_hhmm(morning_reminder)

    # --- time ---------------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return self.clock.tz

    def local_dt(self, day: date, minute: int) -> datetime:
        """Aware local datetime of a wall-clock minute on a day (DST handled by zoneinfo)."""
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)

    # --- lookups ------------------------------------------------------------------------
    def spaces(self) -> list[SpaceInfo]:
        with self.db.session() as s:
            return [space_info(sp) for sp in s.scalars(select(Space).where(Space.active).order_by(Space.slug))]

    def get_space(self, slug: str) -> SpaceInfo | None:
        with self.db.session() as s:
            sp = s.scalar(select(Space).where(Space.slug == slug))
            return space_info(sp) if sp else None

    def space_hours(self, slug: str) -> dict[str, list[str]]:
        """The space's weekly opening hours, {"mon": ["08:00", "18:00"], ...} (closed days absent)."""
        with self.db.session() as s:
            hours = s.scalar(select(Space.opening_hours).where(Space.slug == slug))
            return dict(hours or {})

    def all_space_hours(self) -> dict[str, dict[str, list[str]]]:
        """`space_hours` of every active space, {slug: hours}, in one query."""
        with self.db.session() as s:
            return {slug: dict(hours or {})
                    for slug, hours in s.execute(select(Space.slug, Space.opening_hours).where(Space.active))}

    def cancel_cutoff_hours(self, slug: str) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(Space.cancel_cutoff_hours).where(Space.slug == slug)) or 0)

    def open_days(self, slug: str | None, n: int = 5, *, within: int = 21) -> list[date]:
        """The next `n` days on which the space (or, without one, any active space) is open and can still be
        booked: its own opening hours, holiday region and closures; today only while it is still open."""
        now = self.clock.now()
        today = now.date()
        minute = now.hour * 60 + now.minute
        days = [today + timedelta(days=i) for i in range(within)]
        with self.db.session() as s:
            q = select(Space).where(Space.active)
            if slug:
                q = q.where(Space.slug == slug)
            spaces = list(s.scalars(q))
            closed = set(s.execute(select(SpaceClosure.space_id, SpaceClosure.day).where(
                SpaceClosure.day >= today, SpaceClosure.day <= days[-1])).all())
        out: list[date] = []
        for d in days:
            for sp in spaces:
                if (sp.id, d) in closed or closed_given(sp, d, None):
                    continue
                opening = opening_of(sp, d)
                if opening is None or (d == today and minute >= opening[1]):
                    continue
                out.append(d)
                break
            if len(out) == n:
                break
        return out

    def recent_spaces(self, member_id: int, limit: int = 3) -> list[str]:
        """The slugs of the spaces the member booked most recently, newest first."""
        with self.db.session() as s:
            rows = s.execute(select(Space.slug).join(Booking, Booking.space_id == Space.id)
                             .where(Booking.member_id == member_id).order_by(Booking.id.desc()).limit(50)).scalars()
            seen: list[str] = []
            for slug in rows:
                if slug not in seen:
                    seen.append(slug)
            return seen[:limit]

    def group_ids(self, b: BookingInfo) -> list[int]:
        """All seats of a team booking on its day (a single booking: itself)."""
        if not b.group_ref:
            return [b.id]
        with self.db.session() as s:
            return list(s.scalars(select(Booking.id).where(Booking.group_ref == b.group_ref, Booking.day == b.day)))

    def closed_reason(self, s: Session, space: Space, day: date) -> tuple[str, str] | None:
        closure = s.scalar(select(SpaceClosure).where(SpaceClosure.space_id == space.id, SpaceClosure.day == day))
        return closed_given(space, day, closure.reason if closure is not None else None)

    def day_closures(self, s: Session, space_ids: list[int], day: date, *, all_spaces: bool = False) -> dict[int, str]:
        """{space_id: reason} of the closure rows of a day, in one query (`all_spaces`: the ids are every
        space, so none need be sent)."""
        if not space_ids:
            return {}
        q = select(SpaceClosure.space_id, SpaceClosure.reason).where(SpaceClosure.day == day)
        if not all_spaces:
            q = q.where(SpaceClosure.space_id.in_(space_ids))
        return dict(s.execute(q).all())

    def interval(self, space: Space, day: date, part: str | None, start: str | None, end: str | None):
        """(part, start_min, end_min) or an OutsideHours outcome."""
        opening = opening_of(space, day)
        assert opening is not None
        o, c = opening
        if start or end:
            s0 = parse_hhmm(start) if start else o
            s1 = parse_hhmm(end) if end else c
            if s0 < o or s1 > c or s1 <= s0:
                return OutsideHours(space_info(space), day, opening)
            return Part.HOURS.value, s0, s1
        part = part or Part.FULL.value
        if part == Part.MORNING.value:
            if o >= NOON:
                return OutsideHours(space_info(space), day, opening)
            return part, o, min(NOON, c)
        if part == Part.AFTERNOON.value:
            if c <= NOON:
                return OutsideHours(space_info(space), day, opening)
            return part, max(NOON, o), c
        return Part.FULL.value, o, c

    # --- contingent ---------------------------------------------------------------------
    def _employment(self, s: Session, member_id: int) -> tuple[Employer, Role] | None:
        row = s.execute(
            select(Employer, Role)
            .join(Role, Role.employer_id == Employer.id)
            .where(Role.member_id == member_id, Role.kind == "employee", Employer.active)
            .order_by(Role.id)
        ).first()
        return (row[0], row[1]) if row else None

    def _account(self, s: Session, employer_id: int, scope: str, month: str, granted: int) -> ContingentAccount:
        acct = s.scalar(
            select(ContingentAccount).where(
                ContingentAccount.employer_id == employer_id, ContingentAccount.scope == scope, ContingentAccount.month == month
            )
        )
        if acct is not None:
            return acct
        try:
            with s.begin_nested():
                acct = ContingentAccount(employer_id=employer_id, scope=scope, month=month, granted_halves=granted, used_halves=0)
                s.add(acct)
                s.flush()
            return acct
        except IntegrityError:  # made concurrently by another booker
            return s.scalars(
                select(ContingentAccount).where(
                    ContingentAccount.employer_id == employer_id, ContingentAccount.scope == scope, ContingentAccount.month == month
                )
            ).one()

    def _accounts_for(self, s: Session, emp: Employer, role: Role, member_id: int, month: str):
        member_granted = role.contingent_override_halves if role.contingent_override_halves is not None else emp.days_per_employee_halves
        macct = self._account(s, emp.id, f"member:{member_id}", month, member_granted) if member_granted is not None else None
        pacct = self._account(s, emp.id, "pool", month, emp.pool_halves) if emp.pool_halves is not None else None
        return macct, pacct

    def _charge(self, s: Session, acct_ids: list[int], halves: int) -> bool:
        """Atomically take `halves` from each account; False (nothing taken) if any would overdraw."""
        for acct_id in acct_ids:
            res = s.execute(
                update(ContingentAccount)
                .where(ContingentAccount.id == acct_id, ContingentAccount.used_halves + halves <= ContingentAccount.granted_halves)
                .values(used_halves=ContingentAccount.used_halves + halves)
            )
            if res.rowcount != 1:
                return False
        return True

    def _refund(self, s: Session, b: Booking) -> int:
        if not b.charged_halves:
            return 0
        for acct_id in (b.member_account_id, b.pool_account_id):
            if acct_id is not None:
                s.execute(
                    update(ContingentAccount)
                    .where(ContingentAccount.id == acct_id)
                    .values(used_halves=func.max(ContingentAccount.used_halves - b.charged_halves, 0)
                            if self.db.dialect == "sqlite" else
                            func.greatest(ContingentAccount.used_halves - b.charged_halves, 0))
                )
        refunded, b.charged_halves = b.charged_halves, 0
        return refunded

    def _remaining(self, s: Session, member_id: int, month: str) -> Remaining | None:
        emp_role = self._employment(s, member_id)
        if emp_role is None:
            return None
        emp, role = emp_role
        macct, pacct = self._accounts_for(s, emp, role, member_id, month)
        s.flush()
        return Remaining(
            month=month,
            employer_name=emp.name,
            member_left=None if macct is None else macct.granted_halves - macct.used_halves,
            member_granted=None if macct is None else macct.granted_halves,
            pool_left=None if pacct is None else pacct.granted_halves - pacct.used_halves,
            pool_granted=None if pacct is None else pacct.granted_halves,
        )

    def _remaining_after_place(self, s: Session, member_id: int, month: str) -> Remaining | None:
        """`_remaining` right after `_place` charged the accounts: the same figures from the objects
        `_place` already holds (the charge UPDATE synchronised them), without reading them again."""
        charged = s.info.pop("charged", None)
        if charged is None:
            return self._remaining(s, member_id, month)
        emp, macct, pacct = charged
        s.flush()
        return Remaining(
            month=month,
            employer_name=emp.name,
            member_left=None if macct is None else macct.granted_halves - macct.used_halves,
            member_granted=None if macct is None else macct.granted_halves,
            pool_left=None if pacct is None else pacct.granted_halves - pacct.used_halves,
            pool_granted=None if pacct is None else pacct.granted_halves,
        )

    def remaining(self, member_id: int, month: str | None = None) -> Remaining | None:
        """The member's contingent left in a month (default: this month); None if no employer pays."""
        month = month or month_key(self.clock.today())
        with self.db.session() as s:
            return self._remaining(s, member_id, month)

    def employer_remaining(self, employer_id: int, month: str | None = None) -> dict:
        """Pool and per-employee figures of one employer for a month."""
        month = month or month_key(self.clock.today())
        with self.db.session() as s:
            emp = s.get(Employer, employer_id)
            if emp is None:
                return {}
            employees = s.execute(
                select(Member, Role).join(Role, Role.member_id == Member.id)
                .where(Role.kind == "employee", Role.employer_id == employer_id, Member.deleted_at.is_(None))
                .order_by(Member.display_name)
            ).all()
            rows = []
            for member, role in employees:
                macct, _ = self._accounts_for(s, emp, role, member.id, month)
                rows.append({
                    "member_id": member.id, "name": member.display_name,
                    "granted": macct.granted_halves if macct else None, "used": macct.used_halves if macct else None,
                })
            pool = self._account(s, emp.id, "pool", month, emp.pool_halves) if emp.pool_halves is not None else None
            return {
                "employer": emp.name, "month": month, "employees": rows,
                "pool_granted": pool.granted_halves if pool else None, "pool_used": pool.used_halves if pool else None,
            }

    # --- booking ------------------------------------------------------------------------
    def book(self, member_id: int, space_slug: str, days: list[date], *, part: str | None = None, start: str | None = None,
             end: str | None = None, desks: int = 1, pay_self: bool = False, desk_label: str | None = None,
             features: tuple[str, ...] | list[str] = ()) -> list[BookOutcome]:
        """Book each day in its own transaction; one outcome per day, in date order. `desk_label` / `features`: the
        desk wished for (issue 17); a wish that cannot be met books nothing that day (`DeskOutcome`)."""
        group_ref = secrets.token_hex(6)
        wish = DeskWish(desk_label or None, tuple(dict.fromkeys(features or ())))
        out: list[BookOutcome] = []
        for day in sorted(set(days)):
            out.append(self._book_day(member_id, space_slug, day, part, start, end, max(1, desks), pay_self, group_ref,
                                      wish or None))
        return out

    def book_for(self, booker_id: int, member_id: int, space_slug: str, days: list[date], *, part: str | None = None,
                 start: str | None = None, end: str | None = None, desk_label: str | None = None,
                 features: tuple[str, ...] | list[str] = ()) -> list[BookOutcome]:
        """A booking made by a colleague (the caller checked they share an employer): the member's own contingent
        pays, as if they had booked; they are told who booked it and can decline."""
        outcomes = self.book(member_id, space_slug, days, part=part, start=start, end=end, desk_label=desk_label,
                             features=features)
        booked = [o for o in outcomes if isinstance(o, Booked)]
        if booked:
            now = self.clock.now()
            ids = [b.id for o in booked for b in o.bookings]
            with self.db.session() as s:
                enqueue(s, "booked_for_you", f"booked-for:{ids[0]}", due_at=now, now=now, member_id=member_id,
                        booking_id=ids[0], payload={"booking_ids": ids, "by": booker_id})
        return outcomes

    def decline(self, member_id: int, booking_ids: list[int], *, booked_by: int) -> CancelResult:
        """The member declines bookings a colleague made for them: cancelled by the ordinary rule, booker told."""
        res = self.cancel(member_id, booking_ids=booking_ids)
        if res.cancelled:
            now = self.clock.now()
            with self.db.session() as s:
                enqueue(s, "booking_declined", f"declined:{booking_ids[0]}", due_at=now, now=now, member_id=booked_by,
                        payload={"booking_ids": booking_ids, "member_id": member_id})
        return res

    def _precheck(self, s: Session, space: Space, day: date, part, start, end):
        return self._precheck_given(space, day, part, start, end, lambda: self.closed_reason(s, space, day))

    def _precheck_given(self, space, day: date, part, start, end, closed_reason):
        """The day's rules in order — past, beyond the horizon, closed, outside the hours, over already — with
        the closure looked up by `closed_reason()` only when it matters. The interval, or the outcome saying why not."""
        now = self.clock.now()
        today = now.date()
        if day < today:
            return InPast(day)
        last = today + timedelta(days=self.horizon_days)
        if day > last:
            return TooFarAhead(day, last)
        closed = closed_reason()
        if closed:
            return Closed(space_info(space), day, closed[0], closed[1])
        iv = self.interval(space, day, part, start, end)
        if isinstance(iv, OutsideHours):
            return iv
        if day == today and now.hour * 60 + now.minute >= iv[2]:
            return InPast(day)
        return iv

    def _request(self, s: Session, member_id: int, space_slug: str, day: date, part, start, end):
        """(space, part, start_min, end_min) of a valid request, or the outcome saying why not."""
        space = s.scalar(select(Space).where(Space.slug == space_slug, Space.active))
        if space is None:
            return UnknownSpace(space_slug)
        pre = self._precheck(s, space, day, part, start, end)
        if not isinstance(pre, tuple):
            return pre
        part_v, m0, m1 = pre
        own = self._overlapping_own(s, member_id, minute_ordinal(day, m0), minute_ordinal(day, m1))
        if own is not None:
            return AlreadyBooked(day, booking_info(own))
        return space, part_v, m0, m1

    def _free_desks(self, s: Session, space_id: int, t0: int, t1: int, *, wait: bool = False,
                    only: list[int] | None = None) -> list[Desk]:
        # a booking lies within its day, so only that day's bookings can overlap: `day` lets the
        # (desk_id, day) index find them instead of scanning the desk's whole history
        busy = (
            select(Booking.id)
            .where(Booking.desk_id == Desk.id, Booking.day == day_of(t0), Booking.status.in_(ACTIVE_STATUSES),
                   Booking.t0 < t1, Booking.t1 > t0)
            .exists()
        )
        q = select(Desk).where(Desk.space_id == space_id, Desk.active, ~busy).order_by(Desk.id)
        if only is not None:  # a desk wish: only the desks that meet it
            q = q.where(Desk.id.in_(only))
        if self.db.is_postgres:
            # concurrent bookers each take a different free desk instead of queueing on the same one
            # (skip_locked); if that leaves too few, wait for the others (wait=True). The exclusion
            # constraint stays the guarantee either way.
            q = q.with_for_update(skip_locked=not wait)
        return list(s.scalars(q))

    def _overlapping_own(self, s: Session, member_id: int, t0: int, t1: int) -> Booking | None:
        return s.scalar(
            select(Booking).where(
                Booking.member_id == member_id, Booking.day == day_of(t0), Booking.seat == 0,
                Booking.status.in_(ACTIVE_STATUSES), Booking.t0 < t1, Booking.t1 > t0,
            )
        )

    def _book_day(self, *args) -> BookOutcome:
        attempts = 10
        for attempt in range(attempts):
            try:
                return self._book_day_once(*args)
            except ConflictRetry:
                if self.db.in_unit_of_work or attempt == attempts - 1:
                    raise  # the whole message is run again (Dialogue.handle)
            except OperationalError as exc:
                # PostgreSQL may pick this transaction as a deadlock victim (exclusion constraints can
                # deadlock between two conflicting inserts): nothing was written, so simply try again
                code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
                if code not in ("40P01", "40001") or attempt == attempts - 1 or self.db.in_unit_of_work:
                    raise
            _time.sleep(0.01 * (attempt + 1) + random.random() * 0.02)
        raise AssertionError("unreachable")

    def _book_day_once(self, member_id, space_slug, day, part, start, end, desks, pay_self, group_ref,
                       wish: DeskWish | None = None) -> BookOutcome:
        with self.db.session() as s:
            if desks == 1 and wish is None and self.db.dialect in ("sqlite", "postgresql"):
                return self._book_fast(s, member_id, space_slug, day, part, start, end, pay_self, group_ref)
            if self.db.is_postgres and s.info.get("member_locked") != member_id:
                # one booking request per member at a time (lock order: member, accounts, desks); held to the end
                # of the unit of work, so once per message is enough
                s.execute(select(Member.id).where(Member.id == member_id).with_for_update())
                s.info["member_locked"] = member_id
            try:
                # a team booking that cannot be placed leaves nothing behind, and the other days of the message stand
                with s.begin_nested() as day_tx:
                    req = self._request(s, member_id, space_slug, day, part, start, end)
                    if not isinstance(req, tuple):
                        return req
                    space, part_v, m0, m1 = req
                    only, own_features = None, []
                    if wish is not None:
                        wished = self._wished_desks(s, space, day, wish)
                        if not isinstance(wished, tuple):
                            return wished
                        only, own_features = wished
                    result = self._place(s, member_id, space, day, part_v, m0, m1, desks, pay_self, group_ref,
                                         Status.CONFIRMED, only=only)
                    if isinstance(result, list):
                        rem = self._remaining_after_place(s, member_id, month_key(day))
                        infos = [booking_info(b, space) for b in result]
                        self._after_booked(s, result[0], space)
                        return Booked(infos, rem)
                    if isinstance(result, Full) and wish is not None:  # the wished desk(s) taken: say which
                        result = (DeskTaken(result.space, day, wish.label, own_features)
                                  if wish.label else NoMatchingDesk(result.space, day, list(wish.features), result.free))
                    if isinstance(result, (Full, NoContingent, DeskTaken, NoMatchingDesk)):
                        day_tx.rollback()
                    return result
            except IntegrityError as exc:
                if _constraint_name(exc) == "bookings_member_no_overlap":
                    return AlreadyBooked(day, None)
                raise

    def _wished_desks(self, s: Session, space: Space, day: date, wish: DeskWish) -> tuple[list[int], list[str]] | DeskOutcome:
        """The ids of the space's desks that meet a desk wish (free or not) and the named desk's features, or why
        no desk can."""
        desks = s.execute(select(Desk.id, Desk.label, Desk.features).where(Desk.space_id == space.id, Desk.active)
                          .order_by(Desk.id)).all()
        if wish.label is not None:
            hit = [d for d in desks if d.label == wish.label] or \
                  [d for d in desks if d.label.casefold() == wish.label.casefold()]
            if not hit:
                return UnknownDesk(space_info(space), day, wish.label, [d.label for d in desks])
            desks = hit
        if wish.features:
            matching = [d for d in desks if set(wish.features) <= set(d.features or [])]
            if not matching:  # (a desk named that has not got them: nothing is booked on a contradiction)
                return NoSuchFeature(space_info(space), day, list(wish.features), wish.label)
            desks = matching
        return [d.id for d in desks], list(desks[0].features or []) if wish.label is not None else []

    @staticmethod
    def _fast_request(conn, st, member_id: int, slug: str, day: date, m0: int, m1: int):
        """The request row of `_book_fast`, its overlap checks for the minutes m0..m1 of the day."""
        dd, t0, t1, month = st["d"].day(day), minute_ordinal(day, m0), minute_ordinal(day, m1), month_key(day)
        row = run(conn, st["request"], (dd, dd, t1, t0, dd, t1, t0, slug, f"member:{member_id}", month, month,
                                         member_id)).fetchone()
        return None if row is None else _RequestRow._make(row)

    def _book_fast(self, s: Session, member_id: int, slug: str, day: date, part, start, end, pay_self: bool,
                   group_ref: str) -> BookOutcome:
        """One desk for one day, in at most four statements: the request row (all checks; a second one only when
        the member has another booking that day or no desk is free all day), the charge, the booking on a free
        desk, and (with the message's other rows, later) its reminders. A day that cannot be
        booked writes nothing: every check is made before the first write; only a concurrent booker (PostgreSQL)
        can make a write come back empty, and then the charge is given back. A refused insert (constraint) is a
        `ConflictRetry`."""
        conn = connection(s)
        st = _fast_statements(self.db.dialect)
        now = self.clock.now()
        # the overlap checks are asked for the whole day first (the interval depends on the space's hours, which
        # come with the same row): no own booking that day and a desk free all day settle them for any part of it
        row = self._fast_request(conn, st, member_id, slug, day, 0, 1440)
        if row is None:
            raise LookupError(f"no member {member_id}")
        if row.space_id is None:
            return UnknownSpace(slug)
        space = _space_row_of(row)
        iv = self._precheck_given(space, day, part, start, end, lambda: closed_given(space, day, row.closure))
        if not isinstance(iv, tuple):
            return iv
        part_v, m0, m1 = iv
        if row.own_id is not None or not row.has_free:  # not settled by the whole day: ask for the interval itself
            row = self._fast_request(conn, st, member_id, slug, day, m0, m1)
        if row.own_id is not None:
            own = s.get(Booking, row.own_id)
            return AlreadyBooked(day, booking_info(own) if own is not None else None)
        if not row.has_free:
            return Full(space_info(space), day, free=0)
        month = month_key(day)
        halves = halves_for(part_v, m0, m1)
        # who pays: the employer if it grants anything this month, else the member
        member_granted = row.override if row.override is not None else row.per_employee
        pays = row.emp_id is not None and (member_granted is not None or row.pool is not None)
        accounts = []  # (scope, granted, used) the charge applies to, as the request row saw them
        if row.emp_id is not None:
            if member_granted is not None:
                accounts.append((f"member:{member_id}", row.m_granted if row.m_id is not None else member_granted,
                                 row.m_used or 0))
            if row.pool is not None:
                accounts.append(("pool", row.p_granted if row.p_id is not None else row.pool, row.p_used or 0))

        def remaining(figures: dict[str, tuple[int, int]]) -> Remaining:
            mf, pf = figures.get(f"member:{member_id}"), figures.get("pool")
            return Remaining(month=month, employer_name=row.emp_name,
                             member_left=None if mf is None else mf[0] - mf[1], member_granted=None if mf is None else mf[0],
                             pool_left=None if pf is None else pf[0] - pf[1], pool_granted=None if pf is None else pf[0])

        seen = {scope: (g, u) for scope, g, u in accounts}
        charged: dict[str, tuple[int, int, int]] = {}  # scope -> (id, granted, used after)
        if pays and not pay_self:
            if any(u + halves > g for _, g, u in accounts):
                return NoContingent(day, remaining(seen))
            params = tuple(v for scope, g, _ in accounts for v in (row.emp_id, scope, month, g, halves))
            for acct_id, scope, g, u in run(conn, st["charge"][len(accounts)], params).fetchall():
                charged[scope] = (acct_id, g, u)
            if len(charged) != len(accounts):  # a concurrent booker took the rest a moment ago (PostgreSQL)
                self._give_back(conn, st, charged, halves)
                return NoContingent(day, self._remaining(s, member_id, month))
        else:
            pays = False
        d = st["d"]
        payer = "employer" if pays else "self"
        mscope = f"member:{member_id}"
        t0, t1, dd = minute_ordinal(day, m0), minute_ordinal(day, m1), d.day(day)
        values = (member_id, dd, part_v, m0, m1, t0, t1, group_ref, payer, row.emp_id if pays else None,
                  halves if pays else 0, charged[mscope][0] if mscope in charged else None,
                  charged["pool"][0] if "pool" in charged else None, space.day_price_cents * halves // 2,
                  d.ts(now), d.ts(now), space.id, dd, t1, t0)
        try:
            got = run(conn, st["insert"], values).fetchone()
            if got is None and d.pg:
                # every free desk is held by another booker right now: wait for them, then look again
                run(conn, st["wait"], (space.id, dd, t1, t0)).fetchall()
                got = run(conn, st["insert"], values).fetchone()
        except IntegrityError as exc:
            raise ConflictRetry(exc) from exc
        if got is None:
            self._give_back(conn, st, charged, halves)
            return Full(space_info(space), day, free=0)
        booking_id, _desk_id, label = got
        self._after_booked_ids(s, booking_id, member_id, day, m0, space.id, deferred=True)
        info = BookingInfo(id=booking_id, space=space_info(space), day=day, part=part_v, start_min=m0, end_min=m1,
                           desk_label=label, status=Status.CONFIRMED.value, payer=payer, seat=0,
                           group_ref=group_ref, opening=opening_of(space, day))
        if pays:
            rem = remaining({scope: (g, u) for scope, (_, g, u) in charged.items()})
        elif row.emp_id is not None:
            rem = remaining(seen)  # the member paid; what the employer grants is shown all the same
        else:
            rem = None
        return Booked([info], rem)

    @staticmethod
    def _give_back(conn, st, charged: dict, halves: int) -> None:
        for acct_id, _, _ in charged.values():
            run(conn, st["refund"], (halves, acct_id))

    def _place(self, s: Session, member_id: int, space: Space, day: date, part: str, m0: int, m1: int, desks: int,
               pay_self: bool, group_ref: str, status: Status, existing: Booking | None = None,
               only: list[int] | None = None):
        """Charge the contingent and take `desks` free desks; a list of bookings, or Full / NoContingent."""
        t0, t1 = minute_ordinal(day, m0), minute_ordinal(day, m1)
        halves = halves_for(part, m0, m1) * desks
        now = self.clock.now()
        s.info.pop("charged", None)
        emp_role = None if pay_self else self._employment(s, member_id)
        macct = pacct = None
        if emp_role is not None:
            emp, role = emp_role
            macct, pacct = self._accounts_for(s, emp, role, member_id, month_key(day))
            if macct is None and pacct is None:
                emp_role = None  # the employer pays nothing: the member pays the space
        if emp_role is not None:
            ids = [a.id for a in (macct, pacct) if a is not None]
            try:
                with s.begin_nested():
                    if not self._charge(s, ids, halves):
                        raise _Overdrawn()
            except (_Overdrawn, IntegrityError):
                return NoContingent(day, self._remaining(s, member_id, month_key(day)))
            s.info["charged"] = (emp_role[0], macct, pacct)  # for _remaining_after_place
        candidates = self._free_desks(s, space.id, t0, t1, only=only)
        if len(candidates) < desks and self.db.is_postgres:
            candidates = self._free_desks(s, space.id, t0, t1, wait=True, only=only)
        if len(candidates) < desks:
            return Full(space_info(space), day, free=len(candidates))
        placed: list[Booking] = []
        seat = 0
        for desk in candidates:
            if len(placed) == desks:
                break
            try:
                with s.begin_nested():
                    if existing is not None and seat == 0:
                        b = existing
                        b.desk_id, b.status, b.updated_at = desk.id, status.value, now
                    else:
                        b = Booking(
                            member_id=member_id, space_id=space.id, desk_id=desk.id, day=day, part=part,
                            start_min=m0, end_min=m1, t0=t0, t1=t1, seat=seat, group_ref=group_ref, status=status.value,
                            created_at=now, updated_at=now,
                        )
                        s.add(b)
                    b.payer = "employer" if emp_role else "self"
                    b.employer_id = emp_role[0].id if emp_role else None
                    b.charged_halves = halves_for(part, m0, m1) if emp_role else 0
                    b.member_account_id = macct.id if (emp_role and macct) else None
                    b.pool_account_id = pacct.id if (emp_role and pacct) else None
                    b.price_cents = space.day_price_cents * halves_for(part, m0, m1) // 2
                    s.flush()
                placed.append(b)
                seat += 1
            except IntegrityError as exc:
                if _constraint_name(exc) == "bookings_member_no_overlap":
                    raise
                continue  # somebody took this desk a moment ago: try the next one
        if len(placed) < desks:
            return Full(space_info(space), day, free=len(placed))
        for b in placed:
            b.desk = s.get(Desk, b.desk_id)
        return placed

    def _after_booked(self, s: Session, b: Booking, space: Space) -> None:
        """Notices caused by a new booking: reminders for the booker, arrival push for today."""
        self._after_booked_ids(s, b.id, b.member_id, b.day, b.start_min, space.id)

    def _after_booked_ids(self, s: Session, booking_id: int, member_id: int, day: date, start_min: int, space_id: int,
                          *, deferred: bool = False) -> None:
        """`_after_booked` by ids; `deferred`: the rows go with the transaction's other deferred outbox rows."""
        now = self.clock.now()
        put = defer if deferred else enqueue
        evening = self.local_dt(day - timedelta(days=1), self.evening_reminder)
        if evening > now:
            put(s, "reminder_evening", f"rem-eve:{booking_id}", due_at=evening, now=now, member_id=member_id,
                booking_id=booking_id, payload={"booking_id": booking_id})
        morning = self.local_dt(day, min(self.morning_reminder, start_min))
        if morning > now:
            put(s, "reminder_morning", f"rem-mor:{booking_id}", due_at=morning, now=now, member_id=member_id,
                booking_id=booking_id, payload={"booking_id": booking_id})
        if day == now.date():
            notify_space(s, space_id, "arrival_new", f"arr-new:{booking_id}", now=now, booking_id=booking_id,
                         payload={"booking_id": booking_id}, deferred=deferred)

    def join_waitlist(self, member_id: int, space_slug: str, day: date, *, part: str | None = None,
                      start: str | None = None, end: str | None = None) -> BookOutcome:
        with self.db.session() as s:
            req = self._request(s, member_id, space_slug, day, part, start, end)
            if not isinstance(req, tuple):
                return req
            space, part_v, m0, m1 = req
            t0, t1 = minute_ordinal(day, m0), minute_ordinal(day, m1)
            dup = s.scalar(select(Booking).where(Booking.member_id == member_id, Booking.space_id == space.id,
                                                 Booking.day == day, Booking.status == Status.WAITLISTED.value))
            now = self.clock.now()
            if dup is None:
                dup = Booking(member_id=member_id, space_id=space.id, desk_id=None, day=day, part=part_v, start_min=m0,
                              end_min=m1, t0=t0, t1=t1, seat=0, group_ref="", status=Status.WAITLISTED.value,
                              created_at=now, updated_at=now)
                s.add(dup)
                s.flush()
            position = s.scalar(select(func.count(Booking.id)).where(
                Booking.space_id == space.id, Booking.day == day, Booking.status == Status.WAITLISTED.value,
                Booking.id <= dup.id))
            return Waitlisted(booking_info(dup, space), int(position or 1))

    def _promote_waitlist(self, s: Session, space: Space, day: date) -> list[Booking]:
        """Give freed desks to the waitlist, first come first served. Runs in the caller's transaction."""
        promoted = []
        now = self.clock.now()
        waiting = s.scalars(select(Booking).where(Booking.space_id == space.id, Booking.day == day,
                                                  Booking.status == Status.WAITLISTED.value).order_by(Booking.id)).all()
        for w in waiting:
            if self.local_dt(day, w.end_min) <= now:
                w.status, w.updated_at = Status.CANCELLED.value, now
                continue
            if self._overlapping_own(s, w.member_id, w.t0, w.t1) is not None:
                continue  # they booked elsewhere meanwhile; leave them on the list
            try:
                with s.begin_nested():
                    res = self._place(s, w.member_id, space, day, w.part, w.start_min, w.end_min, 1, False, w.group_ref,
                                      Status.CONFIRMED, existing=w)
                    if not isinstance(res, list):
                        raise _NotPlaced()
            except (_NotPlaced, IntegrityError):
                s.refresh(w)
                continue
            promoted.append(w)
            enqueue(s, "waitlist_promoted", f"wl-prom:{w.id}", due_at=now, now=now, member_id=w.member_id,
                    booking_id=w.id, payload={"booking_id": w.id})
            self._after_booked(s, w, space)
        return promoted

    # --- cancel -------------------------------------------------------------------------
    def refundable(self, space: Space, b: Booking) -> bool:
        start = self.local_dt(b.day, b.start_min)
        return self.clock.now() < start - timedelta(hours=space.cancel_cutoff_hours)

    def cancel(self, member_id: int, *, booking_ids: list[int] | None = None, days: list[date] | None = None,
               space_slug: str | None = None, all_future: bool = False) -> CancelResult:
        """Cancel the member's future bookings that match (and waitlist entries). Refunds before the cutoff."""
        now = self.clock.now()
        result = CancelResult()
        with self.db.session() as s:
            q = select(Booking).where(
                Booking.member_id == member_id,
                Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value)),
                Booking.day >= now.date(),
            )
            if booking_ids:
                q = q.where(Booking.id.in_(booking_ids))
            if days:
                q = q.where(Booking.day.in_(days))
            if space_slug:
                q = q.where(Booking.space_id == select(Space.id).where(Space.slug == space_slug).scalar_subquery())
            if not (booking_ids or days or space_slug or all_future):
                return result
            if self.db.is_postgres:
                q = q.with_for_update()
            freed: set[tuple[int, date]] = set()
            for b in s.scalars(q.order_by(Booking.day, Booking.start_min, Booking.seat)).all():
                if self.local_dt(b.day, b.end_min) <= now:
                    continue  # over already
                space = s.get(Space, b.space_id)
                was_active = b.status == Status.CONFIRMED.value
                info_before = booking_info(b, space)
                b.status, b.cancelled_at, b.updated_at = Status.CANCELLED.value, now, now
                cancel_for_booking(s, b.id)
                if was_active:
                    if self.refundable(space, b):
                        result.refunded_halves += self._refund(s, b)
                    elif b.charged_halves:
                        result.not_refunded.append(info_before)
                    freed.add((space.id, b.day))
                    if b.day == now.date():
                        notify_space(s, space.id, "arrival_cancelled", f"arr-cxl:{b.id}", now=now, booking_id=None,
                                     payload={"booking_id": b.id})
                result.cancelled.append(info_before)
            s.flush()
            for space_id, day in sorted(freed):
                self._promote_waitlist(s, s.get(Space, space_id), day)
        return result

    def undo(self, member_id: int, booking_ids: list[int]) -> CancelResult | None:
        """Take back a booking just made. The same refund rule as a cancellation: once a booking's cutoff has
        passed, undo has expired (None) and only a cancellation without refund is left."""
        with self.db.session() as s:
            rows = s.execute(select(Booking, Space).join(Space, Space.id == Booking.space_id).where(
                Booking.id.in_(booking_ids), Booking.member_id == member_id,
                Booking.status == Status.CONFIRMED.value)).all()
            if any(not self.refundable(sp, b) for b, sp in rows):
                return None
        return self.cancel(member_id, booking_ids=booking_ids)

    def cancel_preview(self, member_id: int, *, days: list[date] | None = None, space_slug: str | None = None,
                       booking_ids: list[int] | None = None) -> tuple[list[BookingInfo], list[BookingInfo]]:
        """What `cancel` with these filters would cancel: (bookings, those past their refund cutoff)."""
        now = self.clock.now()
        with self.db.session() as s:
            q = (select(Booking, Space, Desk.label).join(Space, Space.id == Booking.space_id)
                 .outerjoin(Desk, Desk.id == Booking.desk_id)
                 .where(Booking.member_id == member_id, Booking.day >= now.date(),
                        Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value))))
            if booking_ids:
                q = q.where(Booking.id.in_(booking_ids))
            if days:
                q = q.where(Booking.day.in_(days))
            if space_slug:
                q = q.where(Space.slug == space_slug)
            found, late = [], []
            for b, sp, label in s.execute(q.order_by(Booking.day, Booking.start_min, Booking.seat)).all():
                if self.local_dt(b.day, b.end_min) <= now:
                    continue
                info = booking_info(b, sp, label)
                found.append(info)
                if b.status == Status.CONFIRMED.value and b.charged_halves and not self.refundable(sp, b):
                    late.append(info)
            return found, late

    def bookings_by_id(self, member_id: int, booking_ids: list[int]) -> list[BookingInfo]:
        """The member's own bookings with these ids (any status), for calendar files."""
        with self.db.session() as s:
            rows = s.execute(select(Booking, Space, Desk.label).join(Space, Space.id == Booking.space_id)
                             .outerjoin(Desk, Desk.id == Booking.desk_id)
                             .where(Booking.member_id == member_id, Booking.id.in_(booking_ids))
                             .order_by(Booking.day)).all()
            return [booking_info(b, sp, label) for b, sp, label in rows]

    def last_booking(self, member_id: int, *, within_minutes: int = 60) -> BookingInfo | None:
        """The member's most recent still confirmed booking, made within the last minutes (for a typed undo)."""
        now = self.clock.now()
        with self.db.session() as s:
            row = s.execute(select(Booking, Space, Desk.label).join(Space, Space.id == Booking.space_id)
                            .outerjoin(Desk, Desk.id == Booking.desk_id)
                            .where(Booking.member_id == member_id, Booking.status == Status.CONFIRMED.value,
                                   Booking.seat == 0, Booking.created_at >= now - timedelta(minutes=within_minutes))
                            .order_by(Booking.id.desc()).limit(1)).first()
            return booking_info(*row) if row else None

    def colleagues_on(self, member_id: int, employer_ids: list[int], day: date, *,
                      space_slug: str | None = None) -> list[tuple[str, str]]:
        """(name, space) of colleagues of the same employers booked on `day` who agreed to share it."""
        with self.db.session() as s:
            q = (select(Member.display_name, Member.prefs, Space.name).join(Booking, Booking.member_id == Member.id)
                 .join(Space, Space.id == Booking.space_id).join(Role, and_(Role.member_id == Member.id,
                                                                            Role.kind == "employee"))
                 .where(Role.employer_id.in_(employer_ids), Booking.day == day, Booking.seat == 0,
                        Booking.status.in_(ACTIVE_STATUSES), Member.id != member_id, Member.deleted_at.is_(None))
                 .order_by(Space.name, Member.display_name))
            if space_slug:
                q = q.where(Space.slug == space_slug)
            return [(name, space) for name, prefs, space in s.execute(q).all() if (prefs or {}).get("share_presence")]

    # --- queries ------------------------------------------------------------------------
    def my_bookings(self, member_id: int, *, from_day: date | None = None, limit: int = 50) -> list[BookingInfo]:
        """Upcoming bookings (confirmed, checked in, waitlisted), soonest first."""
        from_day = from_day or self.clock.today()
        with self.db.session() as s:
            rows = s.execute(
                select(Booking, Space, Desk.label)
                .join(Space, Space.id == Booking.space_id)
                .outerjoin(Desk, Desk.id == Booking.desk_id)
                .where(Booking.member_id == member_id, Booking.day >= from_day,
                       Booking.status.in_(ACTIVE_STATUSES + (Status.WAITLISTED.value,)))
                .order_by(Booking.day, Booking.start_min, Booking.seat)
                .limit(limit)
            ).all()
            return [booking_info(b, sp, label) for b, sp, label in rows]

    def availability(self, day: date, space_slug: str | None = None, *, part: str | None = None,
                     start: str | None = None, end: str | None = None) -> list[Availability]:
        """Free desks per space for a day (and part or hours), in two statements for all spaces."""
        d = dialect_of(self.db.dialect)
        with self.db.session() as s:
            conn = connection(s)
            # driver SQL (bot/storage/sql.py): each space with its active desks and the day's closure row in one
            # statement, rows as plain tuples (500 ORM objects, or even SQLAlchemy rows read by name, cost more
            # than the query)
            rows = run(conn, *_availability_spaces(d, day, space_slug)).fetchall()
            out: list[Availability] = []
            intervals: dict[int, tuple[int, int]] = {}
            # without a closure row, closed-or-interval depends only on the hours and the holiday region,
            # which most spaces share: work it out once per distinct pair
            verdicts: dict[tuple[str | None, str], tuple] = {}
            for sid, slug, name, town, address, price, hours_text, region, lat, lon, total, closure_id, reason in rows:
                info = SpaceInfo(sid, slug, name, town, address, price, lat, lon)
                total = total or 0
                if closure_id is not None:
                    sp = _SpaceRow(sid, slug, name, town, address, price,
                                   _space_rows_hours(hours_text) if hours_text is not None else None, region, lat, lon)
                    closed, iv = closed_given(sp, day, reason), None
                else:
                    verdict = verdicts.get((hours_text, region))
                    if verdict is None:
                        sp = _SpaceRow(sid, slug, name, town, address, price,
                                       _space_rows_hours(hours_text) if hours_text is not None else None, region,
                                       lat, lon)
                        c = closed_given(sp, day, None)
                        verdict = verdicts[(hours_text, region)] = (
                            c, None if c else self.interval(sp, day, part, start, end))
                    closed, iv = verdict
                if closed:
                    out.append(Availability(info, day, 0, total, closed=closed[1] or closed[0]))
                    continue
                if isinstance(iv, OutsideHours):
                    out.append(Availability(info, day, 0, total, closed="hours"))
                    continue
                intervals[sid] = (minute_ordinal(day, iv[1]), minute_ordinal(day, iv[2]))
                out.append(Availability(info, day, 0, total))
            if intervals:
                by_interval: dict[tuple[int, int], list[int]] = {}
                for sid, iv in intervals.items():  # spaces with the same hours share one condition
                    by_interval.setdefault(iv, []).append(sid)
                busy = dict(run(conn, *_availability_busy(d, day, by_interval, all_spaces=not space_slug)).fetchall())
                for a in out:
                    if a.space.id in intervals:
                        a.free = max(0, a.total - busy.get(a.space.id, 0))
            return out

    # --- check-in -----------------------------------------------------------------------
    def check_in(self, member_id: int, space_slug: str | None = None):
        """Check in to today's booking (at that space, if named). With a space and no booking,
        a free desk is booked on the spot (walk-in, e.g. by the QR code at the door)."""
        now = self.clock.now()
        today = now.date()
        minute = now.hour * 60 + now.minute
        with self.db.session() as s:
            space = s.scalar(select(Space).where(Space.slug == space_slug)) if space_slug else None
            q = select(Booking).where(Booking.member_id == member_id, Booking.day == today, Booking.seat == 0,
                                      Booking.status.in_(ACTIVE_STATUSES), Booking.end_min > minute)
            if space is not None:
                q = q.where(Booking.space_id == space.id)
            b = s.scalar(q.order_by(Booking.start_min))
            if b is not None:
                bspace = s.get(Space, b.space_id)
                if b.status == Status.CHECKED_IN.value:
                    return AlreadyCheckedIn(booking_info(b, bspace))
                opens = b.start_min - 60
                if minute < opens:
                    return TooEarlyToCheckIn(booking_info(b, bspace), fmt_min(opens))
                self._mark_checked_in(s, b, bspace, now)
                return CheckedIn(booking_info(b, bspace))
        if space is None:
            return NothingToCheckIn(None)
        # walk-in: book the rest of today, then check in
        with self.db.session() as s:
            sp = s.get(Space, space.id)
            opening = opening_of(sp, today)
            if opening is None or minute >= opening[1] or self.closed_reason(s, sp, today):
                return NothingToCheckIn(space_info(sp))
        start = fmt_min(max(opening[0], (minute // 15) * 15))
        outcome = self.book(member_id, space.slug, [today], start=start, end=fmt_min(opening[1]))[0]
        if not isinstance(outcome, Booked):
            return outcome
        with self.db.session() as s:
            b = s.get(Booking, outcome.booking.id)
            sp = s.get(Space, b.space_id)
            self._mark_checked_in(s, b, sp, now)
            return CheckedIn(booking_info(b, sp), walk_in=True)

    def move_and_check_in(self, member_id: int, booking_id: int, space_slug: str):
        """Today's booking moves to the space the member is at: the old one is cancelled with a full refund (the
        member still comes, elsewhere), the rest of today is booked there and checked in. If the new space has
        no desk, nothing changes (the caller's unit of work rolls back with the outcome)."""
        now = self.clock.now()
        with self.db.session() as s:
            b = s.scalar(select(Booking).where(Booking.id == booking_id, Booking.member_id == member_id,
                                               Booking.day == now.date(), Booking.status == Status.CONFIRMED.value))
            if b is None:
                return NothingToCheckIn(None)
            with s.begin_nested() as move:
                group = s.scalars(select(Booking).where(Booking.member_id == member_id, Booking.day == b.day,
                                                        Booking.status == Status.CONFIRMED.value,
                                                        (Booking.id == b.id) | ((Booking.group_ref == b.group_ref)
                                                                                & (Booking.group_ref != "")))).all()
                self.void(s, list(group), now)
                s.flush()
                o = self.check_in(member_id, space_slug)
                if not isinstance(o, CheckedIn):
                    move.rollback()
                    return o
            self._promote_waitlist(s, s.get(Space, b.space_id), b.day)
            return o

    def _mark_checked_in(self, s: Session, b: Booking, space: Space, now: datetime) -> None:
        b.status, b.checked_in_at, b.updated_at = Status.CHECKED_IN.value, now, now
        cancel_for_booking(s, b.id, ("reminder_morning",))
        notify_space(s, space.id, "arrival_checkin", f"arr-in:{b.id}", now=now, booking_id=b.id,
                     payload={"booking_id": b.id})

    # --- state changes other features ask for (inside their unit of work) ----------------------
    def void(self, s: Session, bookings: list[Booking], now: datetime, *, refund: bool = True) -> int:
        """Cancel bookings that nobody will use (erasure, a closed day, a merge conflict); confirmed ones are
        refunded in full when `refund`. Their pending notices are dropped. Returns the half days refunded."""
        halves = 0
        for b in bookings:
            if b.status == Status.CONFIRMED.value and refund:
                halves += self._refund(s, b)
            b.status, b.cancelled_at, b.updated_at = Status.CANCELLED.value, now, now
            cancel_for_booking(s, b.id)
        return halves

    def mark_checked_in(self, s: Session, b: Booking, space: Space, now: datetime) -> None:
        """Check a booking in (by the member, a QR code or their operator): the arrival notice, no morning reminder."""
        self._mark_checked_in(s, b, space, now)

    def mark_no_show(self, s: Session, b: Booking, now: datetime, *, by_operator: bool = False) -> list[Booking]:
        """The no-show rule: the booking (with its team seats) lapses, is refunded only if the district's setting
        says so, the member is told, and a desk freed before the day ends goes to the waitlist."""
        group = s.scalars(select(Booking).where(
            Booking.member_id == b.member_id, Booking.day == b.day, Booking.status == Status.CONFIRMED.value,
            (Booking.id == b.id) | ((Booking.group_ref == b.group_ref) & (Booking.group_ref != "")))).all()
        for x in group:
            x.status, x.updated_at = Status.NO_SHOW.value, now
            if self.noshow_refund:
                self._refund(s, x)
            cancel_for_booking(s, x.id)
        payload = {"booking_id": b.id, "refunded": self.noshow_refund}
        if by_operator:
            payload["by_operator"] = True
        enqueue(s, "no_show", f"noshow:{b.id}", due_at=now, now=now, member_id=b.member_id, booking_id=b.id, payload=payload)
        s.flush()
        if self.local_dt(b.day, b.end_min) > now:
            self._promote_waitlist(s, s.get(Space, b.space_id), b.day)
        return list(group)

    def move_to_self_paid(self, s: Session, member_id: int, employer_id: int, from_day: date,
                          now: datetime) -> tuple[list[Booking], int]:
        """The member no longer works for the employer: their employer-paid bookings from `from_day` on are
        refunded to the employer and become self-paid. Returns (bookings moved, half days refunded)."""
        moved, halves = [], 0
        for b in s.scalars(select(Booking).where(
                Booking.member_id == member_id, Booking.employer_id == employer_id, Booking.payer == "employer",
                Booking.day >= from_day, Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value)))):
            halves += self._refund(s, b)
            b.payer, b.employer_id, b.member_account_id, b.pool_account_id = "self", None, None, None
            b.updated_at = now
            moved.append(b)
        return moved, halves

    def close_day(self, s: Session, space_id: int, day: date, reason: str, now: datetime) -> dict[int, list[int]] | None:
        """Close a space for a day: the closure row, and its confirmed and waitlisted bookings cancelled with a
        full refund (the space closed, not the member). {member_id: booking ids}, or None if already closed."""
        try:
            with s.begin_nested():
                s.add(SpaceClosure(space_id=space_id, day=day, reason=reason))
                s.flush()
        except IntegrityError:
            return None
        q = select(Booking).where(Booking.space_id == space_id, Booking.day == day,
                                  Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value)))
        if self.db.is_postgres:
            q = q.with_for_update()
        per_member: dict[int, list[int]] = {}
        bookings = s.scalars(q.order_by(Booking.id)).all()
        self.void(s, bookings, now)
        for b in bookings:
            per_member.setdefault(b.member_id, []).append(b.id)
        return per_member

    # --- no-shows -----------------------------------------------------------------------
    def release_no_shows(self) -> list[int]:
        """Bookings not checked in by their space's deadline become no-shows; desks go to the waitlist."""
        now = self.clock.now()
        released: list[int] = []
        with self.db.session() as s:
            # which are due, from their columns (every confirmed booking of today is a candidate: thousands of
            # ORM objects each minute on a large store); only those are then loaded as objects and locked
            due = [bid for bid, day, start_min, end_min, updated_at, grace in s.execute(
                select(Booking.id, Booking.day, Booking.start_min, Booking.end_min, Booking.updated_at,
                       Space.checkin_deadline_minutes).join(Space, Space.id == Booking.space_id)
                .where(Booking.status == Status.CONFIRMED.value, Booking.day <= now.date()).order_by(Booking.id))
                if self._no_show_due(day, start_min, end_min, updated_at, grace, now)]
            for i in range(0, len(due), 500):
                q = select(Booking, Space).join(Space, Space.id == Booking.space_id).where(
                    Booking.id.in_(due[i:i + 500]), Booking.status == Status.CONFIRMED.value).order_by(Booking.id)
                if self.db.is_postgres:
                    q = q.with_for_update(of=Booking, skip_locked=True)
                for b, space in s.execute(q).all():
                    if b.status != Status.CONFIRMED.value:
                        continue  # lapsed with its team seat just now
                    if not self._no_show_due(b.day, b.start_min, b.end_min, b.updated_at,
                                             space.checkin_deadline_minutes, now):
                        continue  # got its desk from the waitlist meanwhile (as read under the lock)
                    released += [x.id for x in self.mark_no_show(s, b, now)]
        return released

    def _no_show_due(self, day: date, start_min: int, end_min: int, updated_at: datetime, grace_minutes: int,
                     now: datetime) -> bool:
        """Is a confirmed booking past its check-in deadline (or its end, if earlier)? A desk given from the
        waitlist late in the day gets its own grace period (a confirmed booking's updated_at is when it got
        its desk)."""
        deadline = max(self.local_dt(day, start_min), updated_at) + timedelta(minutes=grace_minutes)
        return now >= min(deadline, self.local_dt(day, end_min))


class _Overdrawn(Exception):
    pass


class _NotPlaced(Exception):
    pass

