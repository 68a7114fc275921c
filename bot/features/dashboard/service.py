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
  world; tests/test_dashboard.py compares them with `bot.stats.compute`. Regions (issue 17) do not exist yet:
  the district view covers the one region there is.
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

from sqlalchemy import and_, case, delete, func, literal, or_, select, update

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
    return case((Booking.part.in_(("morning", "afternoon")), 1),
                (and_(Booking.part == "hours", Booking.end_min - Booking.start_min <= HALF_DAY_MAX_MINUTES), 1),
                else_=2)


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
    """Job: while the district page was viewed in the last hour, compute its figures again before they expire
    (each region's figures that were viewed)."""
    if time.monotonic() - _viewed.get(id(core), 0.0) > VIEWED_WITHIN:
        return 0
    today = core.clock.today()
    done = 0
    for (core_id, rid), hit in list(_cache.items()):
        if core_id != id(core) or time.monotonic() - hit[1] < REFRESH_AFTER:
            continue
        from_day, to_day = default_range(today, len(hit[2].weeks) or 12)
        _refresh(core, (from_day, to_day, today, rid))
        done += 1
    return done


def _month_of(core, col):
    return func.to_char(col, "YYYY-MM") if core.db.is_postgres else func.strftime("%Y-%m", col)


def compute_district(core, from_day: date, to_day: date, today: date, region_id: int | None = None) -> District:
    """bot.stats' figures for the range, from aggregate queries (one scan per measure); with `region_id` only
    that region's spaces and the bookings made there."""
    where_region = [] if region_id is None else [Space.region_id == region_id]
    in_region = [] if region_id is None else [Booking.space_id.in_(select(Space.id).where(*where_region))]
    with core.db.session() as s:
        spaces = list(s.scalars(select(Space).where(*where_region).order_by(Space.slug)))
        desks = dict(s.execute(select(Desk.space_id, func.count(Desk.id)).where(Desk.active).group_by(Desk.space_id)).all())
        closures = set(s.execute(select(SpaceClosure.space_id, SpaceClosure.day)
                                 .where(SpaceClosure.day >= from_day, SpaceClosure.day <= to_day)).all())
        in_range = and_(Booking.day >= from_day, Booking.day <= to_day, *in_region)
        counted = and_(in_range, Booking.status.in_(COUNTED))
        booked_rows = s.execute(select(Booking.space_id, Booking.day, func.sum(_halves()))
                                .where(counted).group_by(Booking.space_id, Booking.day)).all()
        mk = _month_of(core, Booking.day)
        n_members = dict(s.execute(select(mk, func.count(func.distinct(Booking.member_id))).where(counted).group_by(mk)).all())
        emp_paid = and_(counted, Booking.payer == "employer", Booking.employer_id.is_not(None))
        n_emp = {m: (int(e), int(p)) for m, e, p in s.execute(
            select(mk, func.count(func.distinct(Booking.employer_id)), func.count(func.distinct(Booking.member_id)))
            .where(emp_paid).group_by(mk)).all()}
        attended_cond = and_(in_range, Booking.seat == 0,
                             or_(Booking.status == Status.CHECKED_IN.value,
                                 and_(Booking.status == Status.CONFIRMED.value, Booking.day < today)))
        per_day = (select(Booking.member_id.label("mid"), Booking.day.label("day"),
                          (func.sum(_halves()) / literal(2.0)).label("w"))
                   .where(attended_cond).group_by(Booking.member_id, Booking.day).subquery())
        w = case((per_day.c.w > 1, 1.0), else_=per_day.c.w)
        net = Member.commute_km - func.coalesce(Member.prefs["cowork_km"].as_float(), 0.0)
        net = case((net > 0, net), else_=0.0)
        pmk = _month_of(core, per_day.c.day)
        attended = {m: (float(days or 0), int(without or 0), float(km or 0), int(n or 0))
                    for m, days, without, km, n in s.execute(
            select(pmk, func.sum(w), func.sum(case((Member.commute_km.is_(None), 1), else_=0)),
                   func.sum(case((Member.commute_km.is_(None), 0.0), else_=2 * w * net)),
                   func.count(func.distinct(per_day.c.mid)))
            .select_from(per_day).join(Member, Member.id == per_day.c.mid).group_by(pmk)).all()}
        # goal 3 per employer and month (bot.stats.EmployerMonth): staff with an attended day the employer paid,
        # and those days (a half day counts half); with the employer's registered staff
        staff = dict(s.execute(select(Role.employer_id, func.count(Role.id)).join(Member, Member.id == Role.member_id)
                               .where(Role.kind == "employee", Member.deleted_at.is_(None))
                               .group_by(Role.employer_id)).all())
        names = {e.id: (e.slug, e.name) for e in s.scalars(select(Employer))}
        employers = [{"month": m, "slug": names.get(eid, ("", ""))[0], "name": names.get(eid, ("", str(eid)))[1],
                      "staff": int(staff.get(eid, 0)), "active_staff": int(n), "days": round(int(h or 0) / 2, 1)}
                     for m, eid, n, h in s.execute(
                         select(mk, Booking.employer_id, func.count(func.distinct(Booking.member_id)), func.sum(_halves()))
                         .where(attended_cond, Booking.payer == "employer", Booking.employer_id.is_not(None))
                         .group_by(mk, Booking.employer_id)).all()]
        employers.sort(key=lambda e: (e["month"], e["slug"]))
        space_rows = [(sp.id, sp.slug, sp.name, sp.active, sp.holiday_region,
                       tuple(opening_of(sp, date(2026, 11, 23) + timedelta(days=k)) is not None for k in range(7)))
                      for sp in spaces]  # open on weekday k (2026-11-23 is a Monday)
    months = []
    for key, _d0, _d1 in _months(from_day, to_day):
        days, without, km, commuters = attended.get(key, (0.0, 0, 0.0, 0))
        km = round(km, 1)
        months.append({"month": key, "members": int(n_members.get(key, 0)), "employers": n_emp.get(key, (0, 0))[0],
                       "employees": n_emp.get(key, (0, 0))[1], "attended_days": int(days) if days == int(days) else days,
                       "commuters": commuters, "days_per_commuter": round(days / commuters, 2) if commuters else None,
                       "without_km": without, "km": km, "co2": round(km * core.settings.co2_kg_per_km, 1)})
    # utilisation per space and ISO week, as bot.stats counts it
    booked: dict[tuple[int, str], float] = defaultdict(float)
    for sid, day, halves in booked_rows:
        booked[(sid, iso_week(day))] += int(halves) / 2
    week_labels: list[str] = []
    capacity: dict[tuple[int, str], int] = defaultdict(int)
    day = from_day
    while day <= to_day:
        wk = iso_week(day)
        if wk not in week_labels:
            week_labels.append(wk)
        wd = day.weekday()
        holiday: dict[str, bool] = {}
        for sid, _slug, _name, _active, region, open_on in space_rows:
            if not open_on[wd] or (sid, day) in closures:
                continue
            if region not in holiday:
                holiday[region] = bool(holiday_name(region, day))
            if not holiday[region]:
                capacity[(sid, wk)] += desks.get(sid, 0)
        day += timedelta(days=1)
    heat = []
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
    overall = [round(100 * tot_b[wk] / tot_c[wk], 1) if tot_c[wk] else None for wk in week_labels]
    return District(from_day, to_day, week_labels, heat, overall, months, employers,
                    round(sum(m["km"] for m in months), 1), round(sum(m["co2"] for m in months), 1))


def district_tables(d: District) -> list[Table]:
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


def _name_of(display: str | None, deleted) -> str:
    """As bot.features.staff._name: an erased member shows as "(gelöscht)"."""
    return "(gelöscht)" if deleted is not None or not display else display


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
              ["day", "text", "text", "text", "text", "status"]),
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


def space_page(core, member_id: int, slug: str, today: date) -> SpacePage:
    from bot.booking import fmt_min
    from bot.domain import ACTIVE_STATUSES
    from bot.features.staff import _name

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
            elif holiday_name(sp.holiday_region, d):
                closed = holiday_name(sp.holiday_region, d)
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
            arrivals.append({"time": f"{fmt_min(b.start_min)}–{fmt_min(b.end_min)}", "name": _name(mem, "de"),
                             "desk": label or "", "status": b.status})
        return SpacePage(sp.slug, sp.name, monday, int(n_desks), days, arrivals)


def space_tables(p: SpacePage) -> list[Table]:
    return [
        Table("week", ["col_day", "col_bookings", "col_desks_booked", "col_checked_in", "col_no_show", "col_closed"],
              [[d["day"], d["bookings"], d["desks_booked"], d["checked_in"], d["no_show"], d["closed"] or ""]
               for d in p.days], ["day", "num", "num", "num", "num", "closed"]),
        Table("arrivals", ["col_time", "col_name", "col_desk", "col_status"],
              [[a["time"], a["name"], a["desk"], a["status"]] for a in p.arrivals], ["text", "text", "text", "status"]),
    ]
