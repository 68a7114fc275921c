"""Monthly employer report: coworking days per employee and their cost, as CSV and a PNG chart.

Counted: bookings paid by the employer (``payer='employer'``, ``employer_id``) on days of the month
that were used or forfeited (``confirmed``, ``checked_in``, ``no_show``; cancelled and waitlisted
ones cost nothing). A half day counts 0.5. Cost is each booking's price at its space's day price
(``Booking.price_cents``, fixed when booked). Team desks (seats > 0) count for the booker.

The chart needs matplotlib (optional dependency, Agg backend); without it the report has no PNG.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

log = logging.getLogger(__name__)

COUNTED = ("confirmed", "checked_in", "no_show")


@dataclass(slots=True)
class EmployeeLine:
    member_id: int
    name: str
    days: float
    cents: int
    by_space: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Report:
    employer_id: int
    employer_name: str
    month: str
    employees: list[EmployeeLine]
    csv_bytes: bytes
    png_bytes: bytes | None

    @property
    def total_days(self) -> float:
        return sum(e.days for e in self.employees)

    @property
    def total_cents(self) -> int:
        return sum(e.cents for e in self.employees)

    @property
    def csv_filename(self) -> str:
        return f"deskbot-{self.month}-{_slug(self.employer_name)}.csv"

    @property
    def png_filename(self) -> str:
        return f"deskbot-{self.month}-{_slug(self.employer_name)}.png"


def _slug(name: str) -> str:
    name = name.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        name = name.replace(a, b)
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in name)
    return "-".join(p for p in out.split("-") if p)[:40] or "employer"


def month_range(month: str) -> tuple[date, date]:
    y, m = (int(x) for x in month.split("-"))
    first = date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt


def previous_month(day: date) -> str:
    y, m = day.year, day.month - 1
    if m == 0:
        y, m = y - 1, 12
    return f"{y:04d}-{m:02d}"


def build_report(core, employer_id: int, month: str, *, lang: str = "de", chart: bool = True) -> Report:
    from bot.booking import halves_for
    from bot.storage.models import Booking, Employer, Member, Space

    first, nxt = month_range(month)
    with core.db.session() as s:
        emp = s.get(Employer, employer_id)
        rows = s.execute(
            select(Booking, Member, Space.name).join(Member, Member.id == Booking.member_id)
            .join(Space, Space.id == Booking.space_id)
            .where(Booking.employer_id == employer_id, Booking.payer == "employer", Booking.day >= first, Booking.day < nxt,
                   Booking.status.in_(COUNTED))
            .order_by(Booking.day)
        ).all()
        lines: dict[int, EmployeeLine] = {}
        deleted = "(gelöscht)" if lang == "de" else "(deleted)"
        for b, m, space_name in rows:
            name = deleted if m.deleted_at is not None else (m.display_name or f"#{m.id}")
            e = lines.setdefault(m.id, EmployeeLine(m.id, name, 0.0, 0))
            d = halves_for(b.part, b.start_min, b.end_min) / 2
            e.days += d
            e.cents += b.price_cents
            e.by_space[space_name] = e.by_space.get(space_name, 0.0) + d
        emp_name = emp.name if emp else f"#{employer_id}"
    employees = sorted(lines.values(), key=lambda e: (-e.days, e.name))
    csv_bytes = _csv(employees, lang)
    png = _png(employees, emp_name, month, lang) if chart else None
    return Report(employer_id, emp_name, month, employees, csv_bytes, png)


def _csv(employees: list[EmployeeLine], lang: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if lang == "de" else ",", lineterminator="\r\n")
    if lang == "de":
        w.writerow(["Mitarbeiter:in", "Coworking", "Tage", "Kosten EUR"])
    else:
        w.writerow(["employee", "space", "days", "cost_eur"])

    def num(x: float) -> str:
        s = f"{x:.2f}" if isinstance(x, float) and not float(x).is_integer() else f"{x:g}"
        return s.replace(".", ",") if lang == "de" else s

    for e in employees:
        w.writerow([e.name, ", ".join(sorted(e.by_space)), num(e.days), num(round(e.cents / 100, 2))])
    w.writerow(["Summe" if lang == "de" else "total", "", num(sum(e.days for e in employees)),
                num(round(sum(e.cents for e in employees) / 100, 2))])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens umlauts right


def _png(employees: list[EmployeeLine], employer: str, month: str, lang: str) -> bytes | None:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ImportError:
        log.info("matplotlib not installed: monthly report without chart")
        return None
    names = [e.name for e in employees][:30] or ["–"]
    days = [e.days for e in employees][:30] or [0]
    fig = Figure(figsize=(7, 1.2 + 0.35 * len(names)), dpi=100)
    ax = fig.add_subplot()
    ax.barh(list(reversed(names)), list(reversed(days)), color="#2e7d32")
    ax.set_xlabel("Tage" if lang == "de" else "days")
    ax.set_title(f"{employer} – {month}")
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
