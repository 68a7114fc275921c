"""The employer slice's services for the platform admin's command line: contingents per employer and
member, and one employer's monthly report (CSV and chart, `bot.reports.build_report`), by slug.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.features.district.service import employer_by_slug
from bot.storage.models import Employer


@dataclass(frozen=True, slots=True)
class ContingentLine:
    employer: str  # name
    scope: str  # "pool" | "member"
    member_id: int | None
    member: str  # display name, "" for the pool
    granted_halves: int | None  # None: no limit
    used_halves: int | None

    @property
    def left_halves(self) -> int | None:
        if self.granted_halves is None:
            return None
        return self.granted_halves - (self.used_halves or 0)


def contingents(core, month: str | None = None, employer: str | None = None) -> list[ContingentLine]:
    """Granted and used contingent of each employer (or one, by slug) for the month (default: this
    month): the pool first, if it has one, then each employee."""
    with core.db.session() as s:
        if employer:
            ids = [employer_by_slug(s, employer).id]
        else:
            ids = list(s.scalars(select(Employer.id).order_by(Employer.slug)))
    out: list[ContingentLine] = []
    for eid in ids:
        data = core.booking.employer_remaining(eid, month)
        if not data:
            continue
        if data.get("pool_granted") is not None:
            out.append(ContingentLine(data["employer"], "pool", None, "", data["pool_granted"], data["pool_used"]))
        for row in data["employees"]:
            out.append(ContingentLine(data["employer"], "member", row["member_id"], row["name"], row["granted"], row["used"]))
    return out


def monthly_report(core, employer: str, month: str, *, lang: str = "de", chart: bool = True):
    """One employer's report for a month (YYYY-MM): days and cost per employee, CSV and, with matplotlib,
    a PNG chart — the same `bot.reports.Report` the monthly report notice sends."""
    from bot.reports import build_report

    with core.db.session() as s:
        employer_id = employer_by_slug(s, employer).id
    return build_report(core, employer_id, month, lang=lang, chart=chart)
