"""The dashboard's rules: one-time links, browser sessions, and the figures of each page (read-only).

Access
- `/dashboard` in the chat makes a one-time link (`issue_link`), valid for LINK_MINUTES. Opening it
  (`redeem_link`, a conditional UPDATE, so two clicks cannot both succeed) makes a session of SESSION_HOURS;
  the browser keeps the session token in an HttpOnly, SameSite=Strict cookie. Only SHA-256 hashes of the
  tokens are stored (table `dashboard_links`, migration 0007).
- A session names the member, nothing more: the role and its scope are read with `bot.authz.grants` on every
  request, so a role taken away closes its pages at once. A deleted member's sessions are refused.

Figures
- District (platform admin): the figures of `bot.stats` (utilisation per space and ISO week; participation,
  attended days, km and CO2 per month), computed here with aggregate queries so a page stays fast on a large
  world; tests/test_dashboard.py compares them with `bot.stats.compute`. Per region (issue 17): a region admin
  sees theirs, a platform admin all regions or the one chosen. With the HTTP port on, a job keeps every region's
  figures computed (at most REFRESH_AFTER old), so no view waits for the computation.
- Employer (its admins, or a platform admin): contingent use per month (charged half days of employer-paid
  bookings, the contingent accounts), per employee for one month, upcoming employer-paid bookings. Self-paid
  bookings are private (`bot.authz.employer_bookings`) and never appear.
- Space (its operators, or a platform admin): the week's bookings, check-ins and no-shows per day, and today's
  arrivals.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import (
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)

from bot.authz import (
    Forbidden,
    district_region,
    employer_bookings,
    grants,
    require_employer,
    require_space,
    visible_regions,
)
from bot.booking import HALF_DAY_MAX_MINUTES, holiday_name, month_key, opening_of
from bot.domain import Status
from bot.stats import COUNTED, default_range, iso_week
from bot.storage.models import (
    Booking,
    ContingentAccount,
    DashboardLink,
    Desk,
    Employer,
    Member,
    Region,
    Role,
    Space,
    SpaceClosure,
)

LINK_MINUTES = 15
SESSION_HOURS = 8
TOKEN_BYTES = 32
UPCOMING_DAYS = 14
UPCOMING_MAX = 300
MONTHS_BACK = 6  # employer page: contingent use of this many months


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _valid_token(token: str | None) -> bool:
    return bool(token) and 20 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


# --- links and sessions ---------------------------------------------------------------------


def issue_link(core, member_id: int, now: datetime) -> str:
    """A new one-time link token for the member (inside the caller's unit of work)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with core.db.session() as s:
        s.add(DashboardLink(token_hash=token_hash(token), member_id=member_id, purpose="link", created_at=now,
                            expires_at=now + timedelta(minutes=LINK_MINUTES)))
    return token


def link_state(core, token: str, now: datetime) -> tuple[str, str | None]:
    """('ok' | 'used' | 'expired' | 'unknown', the member's language or None), for the page that offers to
    open the link; changes nothing."""
    if not _valid_token(token):
        return "unknown", None
    with core.db.session() as s:
        row = s.get(DashboardLink, token_hash(token))
        if row is None or row.purpose != "link":
            return "unknown", None
        lang = s.scalar(select(Member.lang).where(Member.id == row.member_id))
        if row.used_at is not None:
            return "used", lang
        return ("ok" if row.expires_at > now else "expired"), lang


def redeem_link(core, token: str, now: datetime) -> tuple[str, int] | None:
    """Open a session from a link token: (session token, member id), or None if the link is unknown, used or
    expired. The link is marked used in the same statement that checks it, so it works once."""
    if not _valid_token(token):
        return None
    h = token_hash(token)
    with core.db.session() as s:
        member_id = s.scalar(select(DashboardLink.member_id).where(DashboardLink.token_hash == h))
        res = s.execute(update(DashboardLink)
                        .where(DashboardLink.token_hash == h, DashboardLink.purpose == "link",
                               DashboardLink.used_at.is_(None), DashboardLink.expires_at > now)
                        .values(used_at=now).execution_options(synchronize_session=False))
        if res.rowcount != 1 or member_id is None:
            return None
        m = s.get(Member, member_id)
        if m is None or m.deleted_at is not None:
            return None
        session = secrets.token_urlsafe(TOKEN_BYTES)
        s.add(DashboardLink(token_hash=token_hash(session), member_id=member_id, purpose="session",
                            created_at=now, expires_at=now + timedelta(hours=SESSION_HOURS)))
    return session, member_id


def session_member(s, token: str | None, now: datetime) -> Member | None:
    """The member of a live session, or None."""
    if not _valid_token(token):
        return None
    row = s.get(DashboardLink, token_hash(token))
    if row is None or row.purpose != "session" or row.expires_at <= now:
        return None
    m = s.get(Member, row.member_id)
    return None if m is None or m.deleted_at is not None else m


def end_session(core, token: str | None) -> None:
    if not _valid_token(token):
        return
    with core.db.session() as s:
        s.execute(delete(DashboardLink).where(DashboardLink.token_hash == token_hash(token),
                                              DashboardLink.purpose == "session"))


def purge(core, now: datetime) -> int:
    """Job: forget links and sessions a day after they expired."""
    with core.db.session() as s:
        res = s.execute(delete(DashboardLink).where(DashboardLink.expires_at < now - timedelta(days=1)))
        return int(res.rowcount or 0)


# --- what a member may see --------------------------------------------------------------------


@dataclass(slots=True)
class Scopes:
    district: bool
    employers: list[tuple[str, str]]  # (slug, name)
    spaces: list[tuple[str, str]]
    regions: list[tuple[str, str]] = field(default_factory=list)  # (slug, name): the district pages one may open


def scopes(s, member_id: int) -> Scopes:
    g = grants(s, member_id)
    regions = [(r.slug, r.name) for r in visible_regions(s, g)]
    if g.region_admin_of and not g.platform_admin:  # a region admin: the region's employers and spaces (issue 17)
        emps = s.execute(select(Employer.slug, Employer.name).where(Employer.id.in_(g.admin_of | g.region_employers))
                         .order_by(Employer.name)).all()
        sps = s.execute(select(Space.slug, Space.name).where(
            Space.id.in_(g.operator_of) | (Space.id.in_(g.region_spaces) & Space.active)).order_by(Space.name)).all()
    elif g.platform_admin:
        emps = s.execute(select(Employer.slug, Employer.name).order_by(Employer.name)).all()
        sps = s.execute(select(Space.slug, Space.name).where(Space.active).order_by(Space.name)).all()
    else:
        emps = s.execute(select(Employer.slug, Employer.name).where(Employer.id.in_(g.admin_of))
                         .order_by(Employer.name)).all() if g.admin_of else []
        sps = s.execute(select(Space.slug, Space.name).where(Space.id.in_(g.operator_of))
                        .order_by(Space.name)).all() if g.operator_of else []
    return Scopes(g.is_district_admin, [tuple(r) for r in emps], [tuple(r) for r in sps], regions)


# --- tables (each page's figures; every table is also a CSV download) --------------------------


@dataclass(slots=True)
class Table:
    id: str
    columns: list[str]  # text keys of the column heads
    rows: list[list]  # plain values (numbers, dates, strings); None = "–"
    kinds: list[str] = field(default_factory=list)  # per column: "text" | "num" | "pct" | "day" | "month"


def _halves():
    """A booking's half days (bot.booking.halves_for), the most frequent case first: it is evaluated per row."""
    return case((Booking.part == "full", 2),
                (and_(Booking.part == "hours", Booking.end_min - Booking.start_min > HALF_DAY_MAX_MINUTES), 2),
                else_=1)


def _months(from_day: date, to_day: date) -> list[tuple[str, date, date]]:
    out = []
    d = date(from_day.year, from_day.month, 1)
    while d <= to_day:
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        out.append((month_key(d), max(d, from_day), min(nxt - timedelta(days=1), to_day)))
        d = nxt
    return out


@dataclass(slots=True)
class District:
    from_day: date
    to_day: date
    weeks: list[str]
    heat: list[tuple[str, str, list[float | None]]]  # (slug, name, pct per week)
    overall: list[float | None]  # pct per week, all spaces
    months: list[dict]  # month, commuters, attended_days, days_per_commuter, members, employers, employees, km, co2, ...
    employers: list[dict]  # month, slug, name, staff, active_staff, days (bot.stats.EmployerMonth + registered staff)
    total_km: float
    total_co2: float
    as_of: datetime | None = None  # when these figures were computed
    region: tuple[str, str] | None = None  # (slug, name) of the region shown; None: all regions (issue 17)
    # goal 2 per space and month (bot.stats.SpaceMonth): slug, name, month, booked, capacity, pct, checked_in, no_show
    space_months: list[dict] = field(default_factory=list)
    checkins: list[int] = field(default_factory=list)  # per week, the spaces of the heat map together
    no_shows: list[int] = field(default_factory=list)


# The district's figures are aggregates over every booking of 12 weeks (420 000 rows on the bench's large world,
# seconds of database time), so each process keeps the last result for CACHE_SECONDS and the job below computes
# it again in the background while someone looks at the page. The role is still checked on every request.
CACHE_SECONDS = 300.0
REFRESH_AFTER = 240.0
VIEWED_WITHIN = 3600.0
_cache: dict[tuple[int, int | None], tuple[tuple, float, District]] = {}  # (core, region id): figures
_viewed: dict[int, float] = {}
_lock = threading.Lock()


def district(core, member_id: int, today: date, weeks: int = 12, *, fresh: bool = False,
             region: str | None = None) -> District:
    """The district's figures over the last `weeks` ISO weeks up to today (bot.stats' default range), at most
    CACHE_SECONDS old unless `fresh`. A region admin sees their region; a platform admin every region together
    or the `region` (slug) chosen; the role and the region are checked now (bot.authz.district_region)."""
    with core.db.session() as s:
        g = grants(s, member_id)
        reg = district_region(s, g, region)
        shown = (reg.slug, reg.name) if reg is not None else None
    from_day, to_day = default_range(today, weeks)
    rid = reg.id if reg is not None else None
    key = (from_day, to_day, today, rid)
    _viewed[id(core)] = time.monotonic()
    hit = _cache.get((id(core), rid))
    if not fresh and hit is not None and hit[0] == key and time.monotonic() - hit[1] < CACHE_SECONDS:
        d = hit[2]
    else:
        d = _refresh(core, key)
    d.region = shown  # the same for every viewer of these figures
    return d


def _refresh(core, key: tuple) -> District:
    with _lock:
        d = compute_district(core, *key)
        d.as_of = core.clock.now()
        _cache[(id(core), key[3])] = (key, time.monotonic(), d)
    return d


def refresh_district(core, now: datetime) -> int:
    """Job: compute the district figures again before they expire, so that a view is served from figures and never
    waits for the computation (about a second of database time on a large world). Where the dashboard is served
    (DESKBOT_HTTP_PORT) every region's figures and all regions' together are kept computed — also before the first
    view after a start and after a quiet hour; otherwise only the figures viewed in the last hour."""
    today = core.clock.today()
    wanted: set[int | None] = set()
    if getattr(core.settings, "http_port", None) is not None:
        with core.db.session() as s:
            wanted = {None, *s.scalars(select(Region.id))}
    elif time.monotonic() - _viewed.get(id(core), 0.0) > VIEWED_WITHIN:
        return 0
    wanted |= {rid for (core_id, rid) in _cache if core_id == id(core)}
    done = 0
    for rid in sorted(wanted, key=lambda r: -1 if r is None else r):
        hit = _cache.get((id(core), rid))
        if hit is not None and time.monotonic() - hit[1] < REFRESH_AFTER:
            continue
        weeks = len(hit[2].weeks) if hit is not None and hit[2].weeks else 12
        from_day, to_day = default_range(today, weeks)
        _refresh(core, (from_day, to_day, today, rid))
        done += 1
    return done


def _month_of(core, col):
    return func.to_char(col, "YYYY-MM") if core.db.is_postgres else func.strftime("%Y-%m", col)


# PostgreSQL: the month of a booking's day as the integer year * 12 + month, exactly as the expression of the index
# ix_bookings_month_member (models.py, migration 0010), so that one month's bookings are read from that index in
# member order: the per-member figures are then a streaming aggregate, with no hash table or sort.
MONTH_INDEX_EXPR = "CAST(EXTRACT(year FROM bookings.day) * 12 + EXTRACT(month FROM bookings.day) AS INTEGER)"


def _in_month(core, key: str):
    if not core.db.is_postgres:
        return true()  # SQLite: no such index; the day range alone selects the month
    name = f"month_index_{key[:4]}_{key[5:]}"  # one name per month: the months of a union are bound apart
    return text(f"{MONTH_INDEX_EXPR} = :{name}").bindparams(**{name: int(key[:4]) * 12 + int(key[5:])})


def _tune(core, s) -> None:
    """PostgreSQL, this transaction only: the district's aggregates run over a few hundred thousand index entries;
    JIT compilation costs more than it saves on them, hash tables and sorts stay in memory, and a nested loop
    over ~100 000 per-member rows (chosen when the planner underestimates them) is never right here."""
    if core.db.is_postgres:
        s.execute(text("SET LOCAL jit = off"))
        s.execute(text("SET LOCAL work_mem = '64MB'"))
        s.execute(text("SET LOCAL enable_nestloop = off"))


def _attended(today: date):
    """A counted booking that is an attended day: the member's own (seat 0), checked in or on a day that is over."""
    return and_(or_(Booking.day < today, Booking.status == Status.CHECKED_IN.value), Booking.seat == 0)


def _goals_month(core, key: str, d0: date, d1: date, today: date, in_region: list):
    """A function of a session: goal 1 and goal 3 of one month (`_goals_1_and_3`)."""
    return lambda s: _goals_1_and_3(s, core, [(key, d0, d1)], today, in_region)


def _goals_1_and_3(s, core, months_in: list, today: date, in_region: list) -> tuple[dict, dict]:
    """Goal 1 per month and goal 3 per month and employer, one statement per month (one read of its bookings).

    For each month, per member and day: the attended half days (a day counts at most whole), the employers that
    paid a counted booking (lowest and highest id) and the attended half days they paid; then per member. Goal 1:
    (members, employees, commuters, attended half days, days without km, km avoided), with each member's net
    commute distance. Goal 3: (employer id, staff with an attended day it paid, those half days) for every employer
    that paid a counted booking. A month in which someone was paid for by two employers is counted again per
    employer (`_employer_month`; rare: a change of employer)."""
    paid = Booking.payer == "employer"  # with employer_id: min/max skip NULL
    km = (select(Member.id.label("id"), Member.commute_km.label("km"),
                 func.coalesce(Member.prefs["cowork_km"].as_float(), 0.0).label("cowork"))
          .where(Member.commute_km.is_not(None)).subquery())
    net = case((km.c.km - km.c.cowork > 0, km.c.km - km.c.cowork), else_=0.0)
    g1: dict[str, tuple] = {}
    g3: dict[str, list] = {}
    for key, d0, d1 in months_in:
        attended = _attended(today)
        per_day = (select(Booking.member_id.label("mid"), func.min(Booking.employer_id).filter(paid).label("emin"),
                          func.max(Booking.employer_id).filter(paid).label("emax"),
                          func.coalesce(func.sum(_halves()).filter(attended), 0).label("h"),
                          func.coalesce(func.sum(_halves()).filter(and_(attended, paid, Booking.employer_id.is_not(None))),
                                        0).label("eh"))
                   .where(Booking.status.in_(COUNTED), _in_month(core, key), Booking.day >= d0, Booking.day <= d1,
                          *in_region)
                   .group_by(Booking.member_id, Booking.day).subquery())
        capped = case((per_day.c.h > 2, 2), else_=per_day.c.h)
        pm = (select(per_day.c.mid, func.min(per_day.c.emin).label("emin"), func.max(per_day.c.emax).label("emax"),
                     func.sum(capped).label("h"), func.sum(case((per_day.c.h > 0, 1), else_=0)).label("days"),
                     func.sum(per_day.c.eh).label("eh"))
              .group_by(per_day.c.mid).cte(f"per_member_{key[:4]}_{key[5:]}"))
        goal1 = (select(literal(1).label("kind"), func.count().label("a"),
                        func.sum(case((pm.c.emin.is_(None), 0), else_=1)).label("b"),
                        func.sum(case((pm.c.h > 0, 1), else_=0)).label("c"), func.sum(pm.c.h).label("d"),
                        func.sum(case((km.c.id.is_(None), pm.c.days), else_=0)).label("e"),
                        func.sum(case((km.c.id.is_(None), 0.0), else_=pm.c.h * net)).label("f"),
                        func.sum(case((pm.c.emin != pm.c.emax, 1), else_=0)).label("g"))
                 .select_from(pm.outerjoin(km, km.c.id == pm.c.mid)))
        goal3 = (select(literal(3).label("kind"), pm.c.emin, func.sum(case((pm.c.eh > 0, 1), else_=0)),
                        func.sum(pm.c.eh), literal(0), literal(0), literal(0.0), literal(0))
                 .where(pm.c.emin == pm.c.emax).group_by(pm.c.emin))
        g1[key], g3[key], mixed = (0, 0, 0, 0, 0, 0.0), [], False
        for kind, a, b, c, d, e, f, g in s.connection().execute(union_all(goal1, goal3)):
            if kind == 1:
                g1[key] = (int(a or 0), int(b or 0), int(c or 0), int(d or 0), int(e or 0), float(f or 0.0))
                mixed = bool(g)
            else:
                g3[key].append((int(a), int(b or 0), int(c or 0)))
        if mixed:
            g3[key] = _employer_month(s, core, key, d0, d1, today, in_region)
    return g1, g3


def _employer_month(s, core, key: str, d0: date, d1: date, today: date, in_region: list) -> list[tuple]:
    """Goal 3 for one month: (employer id, staff with an attended day it paid, those half days) for every employer
    that paid a counted booking (so also those without an attended day: they count among the month's employers)."""
    per_member = (select(Booking.employer_id.label("eid"), func.sum(case((_attended(today), _halves()), else_=0)).label("h"))
                  .where(Booking.status.in_(COUNTED), _in_month(core, key), Booking.day >= d0, Booking.day <= d1,
                         Booking.payer == "employer", Booking.employer_id.is_not(None), *in_region)
                  .group_by(Booking.member_id, Booking.employer_id).subquery())
    return s.execute(select(per_member.c.eid, func.sum(case((per_member.c.h > 0, 1), else_=0)), func.sum(per_member.c.h))
                     .group_by(per_member.c.eid)).all()


def _open_days(space_rows, closures, from_day: date, to_day: date, desks: dict) -> dict[tuple[int, str], int]:
    """Capacity in desk-days per (space id, ISO week) and (space id, month): active desks x open days (opening
    hours, minus the holidays of the space's region and its closures), as bot.stats counts it. Spaces with the same
    opening days and holiday region share one walk over the days."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for sid, _slug, _name, _active, region, open_on in space_rows:
        groups[(region, open_on)].append(sid)
    capacity: dict[tuple[int, str], int] = defaultdict(int)
    closed = defaultdict(list)
    for sid, day in closures:
        closed[day].append(sid)
    for (region, open_on), sids in groups.items():
        per: dict[str, int] = defaultdict(int)
        shut: dict[tuple[int, str], int] = defaultdict(int)
        day = from_day
        while day <= to_day:
            if open_on[day.weekday()] and not holiday_name(region, day):
                wk, mk = iso_week(day), month_key(day)
                per[wk] += 1
                per[mk] += 1
                for sid in closed.get(day, ()):
                    shut[(sid, wk)] += 1
                    shut[(sid, mk)] += 1
            day += timedelta(days=1)
        for sid in sids:
            n = desks.get(sid, 0)
            for period, days in per.items():
                capacity[(sid, period)] = n * (days - shut.get((sid, period), 0))
    return capacity


PARALLEL = 4  # PostgreSQL: the district's large statements run side by side on this many connections


def _side_by_side(core, s, jobs: list) -> list:
    """Each job (a function of a session) on PostgreSQL in its own session and thread, so the large statements
    (each month's goals, the spaces) use more than one core of the database; on SQLite one after the other in `s`.
    Each statement sees its own snapshot either way (READ COMMITTED), as the statements of one session do."""
    if not core.db.is_postgres or len(jobs) < 2:
        return [job(s) for job in jobs]
    from concurrent.futures import ThreadPoolExecutor

    def run(job):
        with core.db.session() as own:
            _tune(core, own)
            return job(own)

    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(jobs)), thread_name_prefix="district") as pool:
        return list(pool.map(run, jobs))


def compute_district(core, from_day: date, to_day: date, today: date, region_id: int | None = None) -> District:
    """bot.stats' figures for the range, from set-based aggregates; with `region_id` only that region's spaces and
    the bookings made there. On PostgreSQL every booking query reads a covering index only (migration 0010):
    goal 1 and 3 one statement per month each over ix_bookings_month_member, goal 2 one over
    ix_bookings_day_space_stats; these run side by side (`_side_by_side`)."""
    where_region = [] if region_id is None else [Space.region_id == region_id]
    in_region = [] if region_id is None else [Booking.space_id.in_(select(Space.id).where(*where_region))]
    months_in = _months(from_day, to_day)
    with core.db.session() as s:
        _tune(core, s)
        spaces = list(s.scalars(select(Space).where(*where_region).order_by(Space.slug)))
        desks = dict(s.execute(select(Desk.space_id, func.count(Desk.id)).where(Desk.active).group_by(Desk.space_id)).all())
        closures = set(s.execute(select(SpaceClosure.space_id, SpaceClosure.day)
                                 .where(SpaceClosure.day >= from_day, SpaceClosure.day <= to_day)).all())
        # goal 2: booked half days, check-ins and no-shows per space and day (in the index's order), then per
        # space, ISO week and month (the i-th week of the range, the i-th month)
        per_day = (select(Booking.space_id.label("sid"), Booking.day.label("day"),
                          func.sum(_halves()).filter(Booking.status != Status.NO_SHOW.value).label("h"),
                          func.count().filter(Booking.status == Status.CHECKED_IN.value).label("ci"),
                          func.count().filter(Booking.status == Status.NO_SHOW.value).label("ns"))
                   .where(Booking.status.in_(COUNTED + (Status.NO_SHOW.value,)), Booking.day >= from_day,
                          Booking.day <= to_day, *in_region)
                   .group_by(Booking.day, Booking.space_id).subquery())
        mondays = [from_day + timedelta(days=k) for k in range(1, (to_day - from_day).days + 1)
                   if (from_day + timedelta(days=k)).weekday() == 0]
        wk_i = case(*[(per_day.c.day < m, i) for i, m in enumerate(mondays)], else_=len(mondays)) if mondays else literal(0)
        mo_i = case(*[(per_day.c.day <= d1, i) for i, (_k, _d0, d1) in enumerate(months_in[:-1])],
                    else_=len(months_in) - 1) if len(months_in) > 1 else literal(0)
        by_space = (select(per_day.c.sid, wk_i, mo_i, func.sum(per_day.c.h), func.sum(per_day.c.ci),
                           func.sum(per_day.c.ns)).group_by(per_day.c.sid, wk_i, mo_i))
        done = _side_by_side(core, s, [lambda own: own.connection().execute(by_space).all()]
                             + [_goals_month(core, key, d0, d1, today, in_region) for key, d0, d1 in months_in])
        per_space, goal1, goal3 = done[0], {}, {}
        for g1, g3 in done[1:]:
            goal1.update(g1)
            goal3.update(g3)
        # the employers' registered staff: every employee role, less those of erased members (few)
        staff = dict(s.execute(select(Role.employer_id, func.count()).where(Role.kind == "employee")
                               .group_by(Role.employer_id)).all())
        for eid, n in s.execute(select(Role.employer_id, func.count()).join(Member, Member.id == Role.member_id)
                                .where(Role.kind == "employee", Member.deleted_at.is_not(None))
                                .group_by(Role.employer_id)).all():
            staff[eid] = staff.get(eid, 0) - n
        names = {eid: (slug, name) for eid, slug, name in s.execute(select(Employer.id, Employer.slug, Employer.name))}
        space_rows = [(sp.id, sp.slug, sp.name, sp.active, sp.holiday_region,
                       tuple(opening_of(sp, date(2026, 11, 23) + timedelta(days=k)) is not None for k in range(7)))
                      for sp in spaces]  # open on weekday k (2026-11-23 is a Monday)
    months, employers = [], []
    for key, _d0, _d1 in months_in:
        members, employees, commuters, halves, without, km = goal1[key]
        days = int(halves) / 2
        km = round(float(km), 1)
        months.append({"month": key, "members": int(members), "employers": len(goal3[key]),
                       "employees": int(employees), "attended_days": int(days) if days == int(days) else days,
                       "commuters": int(commuters), "days_per_commuter": round(days / commuters, 2) if commuters else None,
                       "without_km": int(without), "km": km, "co2": round(km * core.settings.co2_kg_per_km, 1)})
        for eid, active, h in goal3[key]:
            if active:
                slug, name = names.get(eid, ("", str(eid)))
                employers.append({"month": key, "slug": slug, "name": name, "staff": int(staff.get(eid, 0)),
                                  "active_staff": int(active), "days": round(int(h or 0) / 2, 1)})
    employers.sort(key=lambda e: (e["month"], e["slug"]))
    # utilisation, check-ins and no-shows per space and ISO week and per space and month, as bot.stats counts them
    booked: dict[tuple[int, str], float] = defaultdict(float)
    came: dict[tuple[int, str], int] = defaultdict(int)
    missed: dict[tuple[int, str], int] = defaultdict(int)
    week_labels = [iso_week(from_day)] + [iso_week(m) for m in mondays]
    for sid, wi, mi, halves, ci, ns in per_space:
        for period in (week_labels[int(wi)], months_in[int(mi)][0]):
            booked[(sid, period)] += int(halves or 0) / 2
            came[(sid, period)] += int(ci or 0)
            missed[(sid, period)] += int(ns or 0)
    capacity = _open_days(space_rows, closures, from_day, to_day, desks)
    heat, space_months, included = [], [], []
    tot_b: dict[str, float] = defaultdict(float)
    tot_c: dict[str, int] = defaultdict(int)
    for sid, slug, name, active, _region, _open in space_rows:
        if not active and not any(booked.get((sid, wk)) for wk in week_labels):
            continue
        cells = []
        for wk in week_labels:
            b, c = booked.get((sid, wk), 0.0), capacity.get((sid, wk), 0)
            tot_b[wk] += b
            tot_c[wk] += c
            cells.append(round(100 * b / c, 1) if c else None)
        heat.append((slug, name, cells))
        included.append(sid)
        for key, _d0, _d1 in months_in:
            b, c = booked.get((sid, key), 0.0), capacity.get((sid, key), 0)
            space_months.append({"slug": slug, "name": name, "month": key, "booked": b, "capacity": c,
                                 "pct": round(100 * b / c, 1) if c else None, "checked_in": came.get((sid, key), 0),
                                 "no_show": missed.get((sid, key), 0)})
    overall = [round(100 * tot_b[wk] / tot_c[wk], 1) if tot_c[wk] else None for wk in week_labels]
    checkins = [sum(came.get((sid, wk), 0) for sid in included) for wk in week_labels]
    no_shows = [sum(missed.get((sid, wk), 0) for sid in included) for wk in week_labels]
    return District(from_day, to_day, week_labels, heat, overall, months, employers,
                    round(sum(m["km"] for m in months), 1), round(sum(m["co2"] for m in months), 1),
                    space_months=space_months, checkins=checkins, no_shows=no_shows)


def district_tables(d: District) -> list[Table]:
    months = [m["month"] for m in d.months]
    per_space: dict[str, list[dict]] = {}
    for m in d.space_months:  # in space order, each space's months in order
        per_space.setdefault(m["name"], []).append(m)
    return [
        Table("months", ["col_month", "col_commuters", "col_attended", "col_days_per_commuter", "col_members",
                         "col_employers", "col_employees", "col_km", "col_co2", "col_without_km"],
              [[m["month"], m["commuters"], m["attended_days"], m["days_per_commuter"], m["members"], m["employers"],
                m["employees"], m["km"], m["co2"], m["without_km"]] for m in d.months],
              ["month"] + ["num"] * 9),
        Table("utilisation", ["col_space"] + d.weeks, [[name] + cells for _slug, name, cells in d.heat]
              + [["Σ"] + d.overall], ["text"] + ["pct"] * len(d.weeks)),
        Table("employers", ["col_employer", "col_month", "col_staff", "col_active_staff", "col_days"],
              [[e["name"], e["month"], e["staff"], e["active_staff"], e["days"]] for e in d.employers],
              ["text", "month", "num", "num", "num"]),
        Table("spaces", ["col_space"] + months + ["col_checked_in", "col_no_show"],
              [[name] + [m["pct"] for m in rows] + [sum(m["checked_in"] for m in rows), sum(m["no_show"] for m in rows)]
               for name, rows in per_space.items()], ["text"] + ["pct"] * len(months) + ["num", "num"]),
        # the same per month with its parts, as CSV only (the page shows the table above)
        Table("space_months", ["col_space", "col_month", "col_util", "col_booked", "col_capacity", "col_checked_in",
                               "col_no_show"],
              [[m["name"], m["month"], m["pct"], m["booked"], m["capacity"], m["checked_in"], m["no_show"]]
               for m in d.space_months], ["text", "month", "pct", "num", "num", "num", "num"]),
    ]


# --- employer -----------------------------------------------------------------------------------


@dataclass(slots=True)
class EmployerPage:
    slug: str
    name: str
    month: str
    months: list[dict]  # month, days (charged), people, pool_granted, pool_used, member_granted, member_used
    staff: list[dict]  # name, member_id, granted, used (days) for `month`
    upcoming: list[dict]  # day, name, space, part, start, end, status


def _employer(s, slug: str) -> Employer:
    emp = s.scalar(select(Employer).where(Employer.slug == slug.lower()))
    if emp is None:
        raise Forbidden("unknown_employer")
    return emp


def _name_of(display: str | None, deleted) -> str | None:
    """A member's name for a table; None for an erased member (the page shows "(gelöscht)" / "(deleted)" in its
    language: cell kind "name")."""
    return None if deleted is not None or not display else display


@dataclass(frozen=True, slots=True)
class Holiday:
    """A "closed" cell of a public holiday: its German name (as `holiday_name` gives it) and day; the page shows
    the name in its own language (cell kind "closed")."""

    name: str
    day: date

    def __str__(self) -> str:
        return self.name


def employer_page(core, member_id: int, slug: str, today: date, month: str | None = None) -> EmployerPage:
    from bot.booking import fmt_min

    month = month or month_key(today)
    with core.db.session() as s:
        g = grants(s, member_id)
        emp = _employer(s, slug)
        require_employer(g, emp.id)
        # contingent use per month: the last MONTHS_BACK months up to this one
        keys = []
        y, m = today.year, today.month
        for _ in range(MONTHS_BACK):
            keys.append(f"{y:04d}-{m:02d}")
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        keys.reverse()
        first = date(int(keys[0][:4]), int(keys[0][5:]), 1)
        nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
        charged: dict[str, list] = defaultdict(lambda: [0, set()])
        for b_day, mid, h in s.execute(
            employer_bookings(g, emp.id, first, nxt - timedelta(days=1))
            .with_only_columns(Booking.day, Booking.member_id, Booking.charged_halves)
            .where(Booking.charged_halves > 0)
        ):
            c = charged[month_key(b_day)]
            c[0] += int(h)
            c[1].add(mid)
        accts: dict[str, dict] = defaultdict(lambda: {"pg": None, "pu": None, "mg": 0, "mu": 0})
        for scope, mk, gh, uh in s.execute(select(ContingentAccount.scope, ContingentAccount.month,
                                                  ContingentAccount.granted_halves, ContingentAccount.used_halves)
                                           .where(ContingentAccount.employer_id == emp.id,
                                                  ContingentAccount.month.in_(keys + [month]))):
            a = accts[mk]
            if scope == "pool":
                a["pg"], a["pu"] = gh, uh
            else:
                a["mg"] += gh
                a["mu"] += uh
        months = [{"month": k, "days": charged[k][0] / 2, "people": len(charged[k][1]),
                   "pool_granted": None if accts[k]["pg"] is None else accts[k]["pg"] / 2,
                   "pool_used": None if accts[k]["pu"] is None else accts[k]["pu"] / 2,
                   "member_granted": accts[k]["mg"] / 2, "member_used": accts[k]["mu"] / 2} for k in keys]
        # per employee, for `month`: the account if there is one, else the employer's rule (nothing used)
        own = {int(scope.split(":", 1)[1]): (gh, uh) for scope, gh, uh in s.execute(
            select(ContingentAccount.scope, ContingentAccount.granted_halves, ContingentAccount.used_halves)
            .where(ContingentAccount.employer_id == emp.id, ContingentAccount.month == month,
                   ContingentAccount.scope.like("member:%")))}
        mfirst = date(int(month[:4]), int(month[5:]), 1)
        mnext = date(mfirst.year + (mfirst.month == 12), mfirst.month % 12 + 1, 1)
        used_month = dict(s.execute(
            employer_bookings(g, emp.id, mfirst, mnext - timedelta(days=1))
            .with_only_columns(Booking.member_id, func.sum(Booking.charged_halves)).group_by(Booking.member_id)).all())
        staff = []
        for mid, display, override in s.execute(
            select(Member.id, Member.display_name, Role.contingent_override_halves).join(Role, Role.member_id == Member.id)
            .where(Role.kind == "employee", Role.employer_id == emp.id, Member.deleted_at.is_(None))
            .order_by(Member.display_name, Member.id)):
            # no account: this month or later the employer's rule applies (nothing used yet); an earlier month
            # had no contingent for this person
            rule = (override if override is not None else emp.days_per_employee_halves) if month >= month_key(today) else None
            gh, uh = own.get(mid, (rule, 0 if rule is not None else None))
            staff.append({"name": display or f"#{mid}", "member_id": mid,
                          "granted": None if gh is None else gh / 2,
                          "used": int(used_month.get(mid) or 0) / 2 if uh is None else uh / 2,
                          "left": None if gh is None else (gh - (uh or 0)) / 2})
        upcoming = []
        for day, start, end, status, display, deleted, sp_name, label in s.execute(
            employer_bookings(g, emp.id, today, today + timedelta(days=UPCOMING_DAYS - 1))
            .where(Booking.status.in_((Status.CONFIRMED.value, Status.CHECKED_IN.value)), Booking.seat == 0)
            .join(Member, Member.id == Booking.member_id).join(Space, Space.id == Booking.space_id)
            .outerjoin(Desk, Desk.id == Booking.desk_id)
            .with_only_columns(Booking.day, Booking.start_min, Booking.end_min, Booking.status, Member.display_name,
                               Member.deleted_at, Space.name, Desk.label)
            .order_by(Booking.day, Booking.start_min, Member.display_name).limit(UPCOMING_MAX)
        ):
            upcoming.append({"day": day, "name": _name_of(display, deleted), "space": sp_name, "desk": label or "",
                             "time": f"{fmt_min(start)}–{fmt_min(end)}", "status": status})
        return EmployerPage(emp.slug, emp.name, month, months, staff, upcoming)


def employer_tables(p: EmployerPage) -> list[Table]:
    return [
        Table("months", ["col_month", "col_days_charged", "col_people", "col_pool_granted", "col_pool_used",
                         "col_member_granted", "col_member_used"],
              [[m["month"], m["days"], m["people"], m["pool_granted"], m["pool_used"], m["member_granted"],
                m["member_used"]] for m in p.months], ["month"] + ["num"] * 6),
        Table("staff", ["col_employee", "col_granted", "col_used", "col_left"],
              [[e["name"], e["granted"], e["used"], e["left"]] for e in p.staff], ["text", "num", "num", "num"]),
        Table("upcoming", ["col_day", "col_employee", "col_space", "col_desk", "col_time", "col_status"],
              [[u["day"], u["name"], u["space"], u["desk"], u["time"], u["status"]] for u in p.upcoming],
              ["day", "name", "text", "text", "text", "status"]),
    ]


# --- space --------------------------------------------------------------------------------------


@dataclass(slots=True)
class SpacePage:
    slug: str
    name: str
    monday: date
    desks: int
    days: list[dict]  # day, closed (reason or None), bookings, desks_booked, checked_in, no_show
    arrivals: list[dict]  # time, name, desk, status
    # goal 2 for this space over bot.stats' default range (12 ISO weeks up to today): per ISO week and per month
    # period, booked (desk-days), capacity, pct, checked_in, no_show (bot.stats.WeekUtil / SpaceMonth)
    weeks: list[dict] = field(default_factory=list)
    months: list[dict] = field(default_factory=list)


def space_periods(s, sp: Space, from_day: date, to_day: date) -> tuple[list[dict], list[dict]]:
    """One space's utilisation, check-ins and no-shows per ISO week and per month of the range, as bot.stats
    counts them (its bookings per day from ix_bookings_day_space_stats; capacity as for the district)."""
    per: dict[str, list] = {}
    labels_w: list[str] = []
    labels_m: list[str] = []
    day = from_day
    while day <= to_day:
        for labels, period in ((labels_w, iso_week(day)), (labels_m, month_key(day))):
            if period not in per:
                labels.append(period)
                per[period] = [0.0, 0, 0]
        day += timedelta(days=1)
    for d, h, ci, ns in s.connection().execute(
        select(Booking.day, func.sum(case((Booking.status != Status.NO_SHOW.value, _halves()), else_=0)),
               func.sum(case((Booking.status == Status.CHECKED_IN.value, 1), else_=0)),
               func.sum(case((Booking.status == Status.NO_SHOW.value, 1), else_=0)))
        .where(Booking.space_id == sp.id, Booking.status.in_(COUNTED + (Status.NO_SHOW.value,)),
               Booking.day >= from_day, Booking.day <= to_day).group_by(Booking.day)):
        for period in (iso_week(d), month_key(d)):
            per[period][0] += int(h or 0) / 2
            per[period][1] += int(ci or 0)
            per[period][2] += int(ns or 0)
    n_desks = s.scalar(select(func.count(Desk.id)).where(Desk.space_id == sp.id, Desk.active)) or 0
    closures = set(s.execute(select(SpaceClosure.space_id, SpaceClosure.day)
                             .where(SpaceClosure.space_id == sp.id, SpaceClosure.day >= from_day,
                                    SpaceClosure.day <= to_day)).all())
    open_on = tuple(opening_of(sp, date(2026, 11, 23) + timedelta(days=k)) is not None for k in range(7))
    capacity = _open_days([(sp.id, sp.slug, sp.name, sp.active, sp.holiday_region, open_on)], closures, from_day,
                          to_day, {sp.id: n_desks})

    def rows(labels):
        out = []
        for period in labels:
            b, ci, ns = per[period]
            c = capacity.get((sp.id, period), 0)
            out.append({"period": period, "booked": b, "capacity": c, "pct": round(100 * b / c, 1) if c else None,
                        "checked_in": ci, "no_show": ns})
        return out

    return rows(labels_w), rows(labels_m)


def space_page(core, member_id: int, slug: str, today: date) -> SpacePage:
    from bot.booking import fmt_min
    from bot.domain import ACTIVE_STATUSES

    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    with core.db.session() as s:
        g = grants(s, member_id)
        sp = s.scalar(select(Space).where(Space.slug == slug.lower()))
        if sp is None:
            raise Forbidden("unknown_space")
        require_space(g, sp.id)
        n_desks = s.scalar(select(func.count(Desk.id)).where(Desk.space_id == sp.id, Desk.active)) or 0
        counts: dict[tuple[date, str], int] = {}
        for day, status, n in s.execute(
            select(Booking.day, Booking.status, func.count(Booking.id))
            .where(Booking.space_id == sp.id, Booking.day >= monday, Booking.day <= sunday,
                   Booking.status.in_(COUNTED + (Status.NO_SHOW.value,)))
            .group_by(Booking.day, Booking.status)):
            counts[(day, status)] = int(n)
        desks_booked = dict(s.execute(
            select(Booking.day, func.count(func.distinct(Booking.desk_id)))
            .where(Booking.space_id == sp.id, Booking.day >= monday, Booking.day <= sunday,
                   Booking.status.in_(ACTIVE_STATUSES))
            .group_by(Booking.day)).all())
        closures = dict(s.execute(select(SpaceClosure.day, SpaceClosure.reason)
                                  .where(SpaceClosure.space_id == sp.id, SpaceClosure.day >= monday,
                                         SpaceClosure.day <= sunday)).all())
        days = []
        for i in range(7):
            d = monday + timedelta(days=i)
            closed = None
            if d in closures:
                closed = closures[d] or "closed"
            elif (hol := holiday_name(sp.holiday_region, d)) is not None:
                closed = Holiday(hol, d)
            elif opening_of(sp, d) is None:
                closed = "weekday"
            ci, ns = counts.get((d, Status.CHECKED_IN.value), 0), counts.get((d, Status.NO_SHOW.value), 0)
            days.append({"day": d, "closed": closed, "bookings": ci + ns + counts.get((d, Status.CONFIRMED.value), 0),
                         "desks_booked": int(desks_booked.get(d, 0)), "checked_in": ci, "no_show": ns})
        arrivals = []
        for b, mem, label in s.execute(
            select(Booking, Member, Desk.label).join(Member, Member.id == Booking.member_id)
            .outerjoin(Desk, Desk.id == Booking.desk_id)
            .where(Booking.space_id == sp.id, Booking.day == today,
                   Booking.status.in_(ACTIVE_STATUSES + (Status.NO_SHOW.value, Status.WAITLISTED.value)))
            .order_by(Booking.start_min, Member.display_name, Booking.seat)):
            arrivals.append({"time": f"{fmt_min(b.start_min)}–{fmt_min(b.end_min)}", "name": _name_of(mem.display_name, mem.deleted_at),
                             "desk": label or "", "status": b.status})
        weeks, months = space_periods(s, sp, *default_range(today))
        return SpacePage(sp.slug, sp.name, monday, int(n_desks), days, arrivals, weeks, months)


def space_tables(p: SpacePage) -> list[Table]:
    return [
        Table("week", ["col_day", "col_bookings", "col_desks_booked", "col_checked_in", "col_no_show", "col_closed"],
              [[d["day"], d["bookings"], d["desks_booked"], d["checked_in"], d["no_show"], d["closed"] or ""]
               for d in p.days], ["day", "num", "num", "num", "num", "closed"]),
        Table("arrivals", ["col_time", "col_name", "col_desk", "col_status"],
              [[a["time"], a["name"], a["desk"], a["status"]] for a in p.arrivals], ["text", "name", "text", "status"]),
        Table("weeks", ["col_week", "col_util", "col_booked", "col_capacity", "col_checked_in", "col_no_show"],
              [[w["period"], w["pct"], w["booked"], w["capacity"], w["checked_in"], w["no_show"]] for w in p.weeks],
              ["text", "pct", "num", "num", "num", "num"]),
        Table("months", ["col_month", "col_util", "col_booked", "col_capacity", "col_checked_in", "col_no_show"],
              [[m["period"], m["pct"], m["booked"], m["capacity"], m["checked_in"], m["no_show"]] for m in p.months],
              ["month", "pct", "num", "num", "num", "num"]),
    ]
