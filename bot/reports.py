"""Monthly employer report: coworking days per employee and their cost, as CSV and a PNG chart; and the
district report's per-space chart (goal 2 of the seed, per space: utilisation per ISO week and per month,
check-ins, no-shows), drawn from `bot.stats.ImpactReport` (see `space_chart_png` and `draw_spaces`).

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

from bot.i18n import translator

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
        deleted = translator("staff")(lang, "deleted_member")
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
    w.writerow([tr(lang, "csv_employee"), tr(lang, "csv_space"), tr(lang, "csv_days"), tr(lang, "csv_cost")])

    def num(x: float) -> str:
        s = f"{x:.2f}" if isinstance(x, float) and not float(x).is_integer() else f"{x:g}"
        return s.replace(".", ",") if lang == "de" else s

    for e in employees:
        w.writerow([e.name, ", ".join(sorted(e.by_space)), num(e.days), num(round(e.cents / 100, 2))])
    w.writerow([tr(lang, "csv_total"), "", num(sum(e.days for e in employees)),
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
    ax.set_xlabel(tr(lang, "chart_days"))
    ax.set_title(f"{employer} – {month}")
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


# --- per space (the district's impact report) ----------------------------------------------------------

SPACES_SHOWN = 40  # a chart with more rows is unreadable; the CSV has every space

tr = translator("report")  # texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po


def shown_spaces(rep) -> tuple[list[tuple[str, str]], int]:
    """The spaces the per-space chart shows, in the report's order (by slug): all, or the SPACES_SHOWN with the
    most booked desk-days over the range; and how many spaces there are."""
    booked: dict[tuple[str, str], float] = {}
    for w in rep.weeks:
        booked[(w.space, w.name)] = booked.get((w.space, w.name), 0.0) + w.booked
    spaces = list(booked)
    if len(spaces) > SPACES_SHOWN:
        keep = set(sorted(spaces, key=lambda k: (-booked[k], k[0]))[:SPACES_SHOWN])
        spaces = [k for k in spaces if k in keep]
    return spaces, len(booked)


def draw_spaces(fig, cell, rep, lang: str = "de") -> None:
    """Three panels side by side in `cell` (a gridspec cell of `fig`), one row per space: utilisation per ISO week
    (heat map), utilisation per month (heat map), check-ins and no-shows over the range (bars)."""
    import numpy as np

    t = tr
    spaces, total = shown_spaces(rep)
    weeks = rep.week_labels()
    months = sorted({m.month for m in rep.space_months})
    wk = {(w.space, w.week): w for w in rep.weeks}
    mo = {(m.space, m.month): m for m in rep.space_months}

    def pct(u):
        return np.nan if u is None or u.pct is None else u.pct

    grid = np.array([[pct(wk.get((slug, w))) for w in weeks] for slug, _ in spaces] or [[np.nan]], dtype=float)
    mgrid = np.array([[pct(mo.get((slug, m))) for m in months] for slug, _ in spaces] or [[np.nan]], dtype=float)
    came = [sum(wk[(slug, w)].checked_in for w in weeks if (slug, w) in wk) for slug, _ in spaces]
    missed = [sum(wk[(slug, w)].no_show for w in weeks if (slug, w) in wk) for slug, _ in spaces]
    sub = cell.subgridspec(1, 3, width_ratios=[max(3, len(weeks)), max(2, len(months)) + 1, 6], wspace=0.08)
    ax_w, ax_m, ax_b = fig.add_subplot(sub[0]), fig.add_subplot(sub[1]), fig.add_subplot(sub[2])
    ys = list(range(len(spaces)))
    names = [name for _, name in spaces]
    cmap = _cmap()
    ax_w.imshow(grid, aspect="auto", cmap=cmap, vmin=0, vmax=100, interpolation="nearest")
    ax_w.set_xticks(range(len(weeks)), [w[-3:] for w in weeks], fontsize=6, rotation=90)
    ax_w.set_yticks(ys, names, fontsize=7)
    ax_w.set_title(t(lang, "space_chart_weeks"), fontsize=9)
    img = ax_m.imshow(mgrid, aspect="auto", cmap=cmap, vmin=0, vmax=100, interpolation="nearest")
    ax_m.set_xticks(range(len(months)), months, fontsize=6, rotation=90)
    ax_m.set_yticks(ys, [""] * len(ys))
    ax_m.set_title(t(lang, "space_chart_months"), fontsize=9)
    for y, row in enumerate(mgrid):
        for x, v in enumerate(row):
            if not np.isnan(v):
                ax_m.text(x, y, f"{v:.0f}", ha="center", va="center", fontsize=6,
                          color="white" if v >= 60 else "black")
    bar = fig.colorbar(img, ax=[ax_w, ax_m], location="bottom", fraction=0.04, pad=0.12, aspect=40)
    bar.set_label("%", fontsize=7)
    bar.ax.tick_params(labelsize=6)
    h = 0.4
    ax_b.barh([y - h / 2 for y in ys], came, h, color="#2e7d32", label=t(lang, "space_chart_checked_in"))
    ax_b.barh([y + h / 2 for y in ys], missed, h, color="#a84a0c", label=t(lang, "space_chart_no_show"))
    ax_b.set_ylim(len(ys) - 0.5, -0.5)
    ax_b.set_yticks(ys, [""] * len(ys))
    ax_b.tick_params(axis="x", labelsize=6)
    ax_b.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.08 * 40 / max(10, len(ys))), ncol=2,
                frameon=False)
    ax_b.set_title(t(lang, "space_chart_bars"), fontsize=9)
    for spine in ("top", "right"):
        ax_b.spines[spine].set_visible(False)
    if total > len(spaces):
        ax_w.set_xlabel(t(lang, "space_chart_cut", shown=len(spaces), total=total), fontsize=7)


def _cmap():
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("deskbot_util", ["#f3f7f3", "#8bc48f", "#2e7d32", "#0f3d13"])


def space_chart_height(rep) -> float:
    """Inches the per-space panels need (a row per space)."""
    return 2.2 + 0.2 * max(1, len(shown_spaces(rep)[0]))


def space_chart_png(rep, lang: str = "de") -> bytes | None:
    """The per-space panels alone as a PNG (`draw_spaces`), titled with the report's range; None without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ImportError:
        log.info("matplotlib not installed: impact report without per-space chart")
        return None
    fig = Figure(figsize=(11, space_chart_height(rep) + 0.4), dpi=100, layout="constrained")
    fig.suptitle(tr(lang, "space_chart_title", from_day=rep.from_day.isoformat(), to_day=rep.to_day.isoformat()),
                 fontsize=10)
    draw_spaces(fig, fig.add_gridspec(1, 1)[0], rep, lang)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
