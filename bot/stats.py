"""Impact statistics: the district's success measures.

- Utilisation per space and ISO week: booked desk-days (confirmed or checked in; half days count 0.5)
  divided by capacity (active desks x open days: opening hours, minus public holidays and closures).
- Participation per month: employers whose staff booked on the company, those employees, and all
  members who booked (cancelled and waitlisted bookings do not count).
- Commute avoided per month: an attended day is a member's own booking (seat 0) that was checked in,
  or confirmed on a day that is over; one per member and day, and a half day counts half. Avoided km =
  the home→office round trip minus the home→coworking round trip: 2 x (`Member.commute_km` − the
  coworking distance the member gave with /pendeln, `prefs["cowork_km"]`, 0 if not given), per attended
  day; CO2 = km x `settings.co2_kg_per_km`. Days of members who stated no distance (or erased their data)
  are counted but add no km.

All figures come from bookings, which stay (anonymised) after a member's erasure.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from bot.booking import halves_for, holiday_name, month_key, opening_of
from bot.domain import Status
from bot.storage.models import Booking, Desk, Member, Space, SpaceClosure

COUNTED = (Status.CONFIRMED.value, Status.CHECKED_IN.value)


@dataclass(frozen=True, slots=True)
class WeekUtil:
    space: str  # slug
    name: str
    week: str  # ISO week, e.g. 2026-W48
    booked: float  # desk-days
    capacity: int  # desk-days
    checked_in: int = 0  # bookings checked in (team seats each count, as on the operator's page)
    no_show: int = 0  # bookings released as no-shows

    @property
    def pct(self) -> float | None:
        return None if not self.capacity else round(100 * self.booked / self.capacity, 1)


@dataclass(frozen=True, slots=True)
class SpaceMonth:
    """Goal 2 per space and month: the same measures as WeekUtil, over the days of the month inside the range."""

    space: str  # slug
    name: str
    month: str
    booked: float
    capacity: int
    checked_in: int = 0
    no_show: int = 0

    @property
    def pct(self) -> float | None:
        return None if not self.capacity else round(100 * self.booked / self.capacity, 1)


@dataclass(slots=True)
class MonthImpact:
    month: str
    employers: int = 0
    employees: int = 0
    members: int = 0
    attended_days: float = 0  # half days count half
    days_without_km: int = 0
    km_avoided: float = 0.0
    co2_kg: float = 0.0
    commuters: int = 0  # members with at least one attended day (goal 1: working away from the office more often)

    @property
    def days_per_commuter(self) -> float | None:
        return round(self.attended_days / self.commuters, 2) if self.commuters else None


@dataclass(frozen=True, slots=True)
class EmployerMonth:
    """Goal 3 (more employers take part) per employer and month: staff who coworked on the company, their days."""

    month: str
    employer: str  # slug
    name: str
    active_staff: int
    days: float


@dataclass(slots=True)
class ImpactReport:
    from_day: date
    to_day: date
    co2_kg_per_km: float
    weeks: list[WeekUtil] = field(default_factory=list)
    months: list[MonthImpact] = field(default_factory=list)
    employers: list[EmployerMonth] = field(default_factory=list)
    space_months: list[SpaceMonth] = field(default_factory=list)

    # --- totals ------------------------------------------------------------------------
    @property
    def total_km(self) -> float:
        return round(sum(m.km_avoided for m in self.months), 1)

    @property
    def total_co2(self) -> float:
        return round(sum(m.co2_kg for m in self.months), 1)

    @property
    def total_attended(self) -> int:
        return sum(m.attended_days for m in self.months)

    def week_labels(self) -> list[str]:
        return sorted({w.week for w in self.weeks})

    def overall_by_week(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for wk in self.week_labels():
            rows = [w for w in self.weeks if w.week == wk]
            cap = sum(w.capacity for w in rows)
            out[wk] = round(100 * sum(w.booked for w in rows) / cap, 1) if cap else None
        return out

    # --- renderings ----------------------------------------------------------------------
    def summary_text(self, lang: str = "de") -> str:
        """The figures of the last weeks and months as lines (texts: context "report" of bot/locales)."""
        from bot.i18n import days_count, fmt_decimal, fmt_fixed, translator

        tr = translator("report")

        def num(x: float) -> str:
            return fmt_fixed(x, lang, 1)

        lines = []
        overall = self.overall_by_week()
        if overall:
            last = list(overall.items())[-4:]
            weeks = ", ".join(tr(lang, "stats_week_pct", week=wk[-3:], pct="–" if p is None else num(p)) for wk, p in last)
            lines.append(tr(lang, "stats_utilisation", weeks=weeks))
        for m in self.months[-3:]:
            halves = round(m.attended_days * 2)
            lines.append(tr(lang, "stats_month", month=m.month,
                            employers=tr.n(lang, "stats_employers", m.employers),
                            employees=tr.n(lang, "stats_employees", m.employees),
                            members=tr.n(lang, "stats_members", m.members),
                            days=tr.n(lang, "stats_days", days_count(halves), n=fmt_decimal(halves / 2, lang, 1)),
                            km=num(m.km_avoided), co2=num(m.co2_kg)))
        lines.append(tr(lang, "stats_total", from_day=self.from_day.isoformat(), to_day=self.to_day.isoformat(),
                        km=num(self.total_km), co2=num(self.total_co2)))
        return "\n".join(lines)

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["kind", "period", "space", "booked_desk_days", "capacity_desk_days", "utilisation_pct",
                    "employers", "employees", "members", "attended_days", "days_without_km", "km_avoided", "co2_kg",
                    "commuters", "days_per_commuter", "employer", "checked_in", "no_show"])
        for u in self.weeks:
            w.writerow(["utilisation", u.week, u.space, f"{u.booked:g}", u.capacity, "" if u.pct is None else u.pct,
                        "", "", "", "", "", "", "", "", "", "", u.checked_in, u.no_show])
        for u in self.space_months:
            w.writerow(["space_month", u.month, u.space, f"{u.booked:g}", u.capacity, "" if u.pct is None else u.pct,
                        "", "", "", "", "", "", "", "", "", "", u.checked_in, u.no_show])
        for m in self.months:
            w.writerow(["month", m.month, "", "", "", "", m.employers, m.employees, m.members, m.attended_days,
                        m.days_without_km, round(m.km_avoided, 1), round(m.co2_kg, 1), m.commuters,
                        "" if m.days_per_commuter is None else m.days_per_commuter, "", "", ""])
        for e in self.employers:
            w.writerow(["employer", e.month, "", "", "", "", "", e.active_staff, "", f"{e.days:g}", "", "", "", "", "",
                        e.employer, "", ""])
        return buf.getvalue()

    def chart_png(self, lang: str = "de") -> bytes | None:
        """Three panels: utilisation per week, participation per month, CO2 avoided per month; below them the
        per-space rows (utilisation per ISO week and per month, check-ins and no-shows; bot.reports.draw_spaces).
        None if matplotlib is not installed."""
        try:
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError:
            return None
        from bot.i18n import translator
        from bot.reports import draw_spaces, space_chart_height

        tr = translator("report")

        # three panels, then one row per space (bot.reports.draw_spaces: utilisation per week and month,
        # check-ins and no-shows)
        extra = space_chart_height(self)
        fig = plt.figure(figsize=(11, 10 + extra), dpi=100)
        grid = fig.add_gridspec(4, 1, height_ratios=[10 / 3, 10 / 3, 10 / 3, extra], hspace=0.45)
        axes = [fig.add_subplot(grid[i]) for i in range(3)]
        weeks = self.week_labels()
        ax = axes[0]
        spaces = sorted({w.space for w in self.weeks})
        if len(spaces) > 12:  # a line per space is unreadable then; the per-space rows below show each
            spaces = []
        by = {(w.space, w.week): w.pct for w in self.weeks}
        x = list(range(len(weeks)))
        for sp in spaces:
            ax.plot(x, [by.get((sp, wk)) if by.get((sp, wk)) is not None else float("nan") for wk in weeks],
                    linewidth=1, alpha=0.6, label=sp)
        overall = self.overall_by_week()
        ax.plot(x, [overall[wk] if overall[wk] is not None else float("nan") for wk in weeks], color="black",
                linewidth=2.5, label="Σ")
        ax.set_xticks(x, [wk[-3:] for wk in weeks], fontsize=7)
        ax.set_ylim(0, 100)
        ax.set_ylabel("%")
        ax.set_title(tr(lang, "stats_chart_weeks"))
        ax.legend(fontsize=6, ncol=4, loc="upper left")
        months = [m.month for m in self.months]
        mx = list(range(len(months)))
        ax = axes[1]
        width = 0.27
        ax.bar([i - width for i in mx], [m.employers for m in self.months], width, label=tr(lang, "stats_chart_employers"))
        ax.bar(mx, [m.employees for m in self.months], width, label=tr(lang, "stats_chart_employees"))
        ax.bar([i + width for i in mx], [m.members for m in self.months], width, label=tr(lang, "stats_chart_members"))
        ax.set_xticks(mx, months, fontsize=8)
        ax.set_title(tr(lang, "stats_chart_participation"))
        ax.legend(fontsize=7)
        ax = axes[2]
        ax.bar(mx, [m.co2_kg for m in self.months], color="tab:green")
        ax.set_xticks(mx, months, fontsize=8)
        ax.set_ylabel("kg CO₂")
        ax2 = ax.twinx()
        ax2.plot(mx, [m.km_avoided for m in self.months], color="tab:blue", marker="o")
        ax2.set_ylabel("km")
        ax.set_title(tr(lang, "stats_chart_commute"))
        draw_spaces(fig, grid[3], self, lang)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        plt.close(fig)
        return buf.getvalue()


def iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def default_range(today: date, weeks: int = 12) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=weeks - 1), today


def impact_report(core, from_day: date | None = None, to_day: date | None = None, *,
                  region_id: int | None = None) -> ImpactReport:
    """The district's figures; with `region_id` only that region's spaces and the bookings made there (issue 17)."""
    today = core.clock.today()
    if from_day is None or to_day is None:
        d0, d1 = default_range(today)
        from_day, to_day = from_day or d0, to_day or d1
    return compute(core.db, from_day, to_day, today=today, co2_kg_per_km=core.settings.co2_kg_per_km,
                   region_id=region_id)


def compute(db, from_day: date, to_day: date, *, today: date, co2_kg_per_km: float,
            region_id: int | None = None) -> ImpactReport:
    rep = ImpactReport(from_day, to_day, co2_kg_per_km)
    in_region = [] if region_id is None else [Booking.space_id.in_(select(Space.id).where(Space.region_id == region_id))]
    with db.session() as s:
        spaces = list(s.scalars(select(Space).where(*([] if region_id is None else [Space.region_id == region_id]))
                                .order_by(Space.slug)))
        desks: dict[int, int] = defaultdict(int)
        for sid in s.scalars(select(Desk.space_id).where(Desk.active)):
            desks[sid] += 1
        closures = {(sid, d) for sid, d in s.execute(select(SpaceClosure.space_id, SpaceClosure.day)
                                                     .where(SpaceClosure.day >= from_day, SpaceClosure.day <= to_day))}
        rows = s.execute(
            select(Booking.space_id, Booking.member_id, Booking.day, Booking.part, Booking.start_min, Booking.end_min,
                   Booking.status, Booking.seat, Booking.payer, Booking.employer_id, Member.commute_km, Member.prefs)
            .join(Member, Member.id == Booking.member_id)
            .where(Booking.day >= from_day, Booking.day <= to_day,
                   Booking.status.in_(COUNTED + (Status.NO_SHOW.value,)), *in_region)
        ).all()
    # utilisation, check-ins and no-shows per space and ISO week, and per space and month
    booked: dict[tuple[int, str], float] = defaultdict(float)
    came: dict[tuple[int, str], int] = defaultdict(int)
    missed: dict[tuple[int, str], int] = defaultdict(int)
    for r in rows:
        for period in (iso_week(r.day), month_key(r.day)):
            if r.status in COUNTED:
                booked[(r.space_id, period)] += halves_for(r.part, r.start_min, r.end_min) / 2
            if r.status == Status.CHECKED_IN.value:
                came[(r.space_id, period)] += 1
            elif r.status == Status.NO_SHOW.value:
                missed[(r.space_id, period)] += 1
    capacity: dict[tuple[int, str], int] = defaultdict(int)
    weeks_seen: list[str] = []
    months_seen: list[str] = []
    day = from_day
    while day <= to_day:
        wk, mk = iso_week(day), month_key(day)
        if wk not in weeks_seen:
            weeks_seen.append(wk)
        if mk not in months_seen:
            months_seen.append(mk)
        for sp in spaces:
            if opening_of(sp, day) is None or (sp.id, day) in closures or holiday_name(sp.holiday_region, day):
                continue
            capacity[(sp.id, wk)] += desks.get(sp.id, 0)
            capacity[(sp.id, mk)] += desks.get(sp.id, 0)
        day += timedelta(days=1)
    for sp in spaces:
        if not sp.active and not any(booked.get((sp.id, wk)) for wk in weeks_seen):
            continue
        for wk in weeks_seen:
            k = (sp.id, wk)
            rep.weeks.append(WeekUtil(sp.slug, sp.name, wk, booked.get(k, 0.0), capacity.get(k, 0), came.get(k, 0),
                                      missed.get(k, 0)))
        for mk in months_seen:
            k = (sp.id, mk)
            rep.space_months.append(SpaceMonth(sp.slug, sp.name, mk, booked.get(k, 0.0), capacity.get(k, 0),
                                               came.get(k, 0), missed.get(k, 0)))
    # participation and commute, per month
    months: dict[str, MonthImpact] = {}
    d = date(from_day.year, from_day.month, 1)
    while d <= to_day:
        months[month_key(d)] = MonthImpact(month_key(d))
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    employers: dict[str, set] = defaultdict(set)
    employees: dict[str, set] = defaultdict(set)
    members: dict[str, set] = defaultdict(set)
    attended: dict[str, dict[tuple[int, date], tuple[float, float | None]]] = defaultdict(dict)
    per_employer: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    for r in rows:
        mk = month_key(r.day)
        if r.status in COUNTED:
            members[mk].add(r.member_id)
            if r.payer == "employer" and r.employer_id is not None:
                employers[mk].add(r.employer_id)
                employees[mk].add(r.member_id)
        if r.seat == 0 and (r.status == Status.CHECKED_IN.value or (r.status == Status.CONFIRMED.value and r.day < today)):
            weight = halves_for(r.part, r.start_min, r.end_min) / 2
            net = None if r.commute_km is None else max(0.0, r.commute_km - float((r.prefs or {}).get("cowork_km") or 0))
            before = attended[mk].get((r.member_id, r.day), (0.0, net))[0]
            attended[mk][(r.member_id, r.day)] = (min(1.0, before + weight), net)
            if r.payer == "employer" and r.employer_id is not None:
                per_employer[(mk, r.employer_id)][r.member_id] = per_employer[(mk, r.employer_id)].get(r.member_id, 0) + weight
    for mk, m in months.items():
        m.employers, m.employees, m.members = len(employers[mk]), len(employees[mk]), len(members[mk])
        days = attended[mk].values()
        whole = sum(w for w, _ in days)
        m.attended_days = int(whole) if whole == int(whole) else whole
        m.days_without_km = sum(1 for _, km in days if km is None)
        m.km_avoided = round(sum(2 * km * w for w, km in days if km is not None), 1)
        m.commuters = len({mid for mid, _ in attended[mk]})
        m.co2_kg = round(m.km_avoided * co2_kg_per_km, 1)
    rep.months = list(months.values())
    if per_employer:
        from bot.storage.models import Employer

        with db.session() as s:
            names = {e.id: (e.slug, e.name) for e in s.scalars(select(Employer))}
        for (mk, emp_id), staff in sorted(per_employer.items(), key=lambda kv: (kv[0][0], names.get(kv[0][1], ("", ""))[0])):
            slug, name = names.get(emp_id, (str(emp_id), str(emp_id)))
            rep.employers.append(EmployerMonth(mk, slug, name, len(staff), round(sum(staff.values()), 1)))
    return rep
