"""The employer feature's notices: low-contingent alerts, the monthly report (CSV and chart) and copies
of the staff's bookings for employer admins."""

from __future__ import annotations

from datetime import datetime

from bot.domain import Attachment
from bot.i18n import days_count, fmt_day, fmt_days, fmt_eur, fmt_num
from bot.notices import (
    Draft,
    RowView,
    Skip,
    booking_bundle,
    member_name,
    nt,
    part_text,
    text_notice,
)


def _d_alert(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from bot.storage.models import ContingentAccount, Employer, Member

    with core.db.session() as s:
        acct = s.get(ContingentAccount, int(row.payload["account_id"]))
        if acct is None:
            return Skip("account gone")
        emp = s.get(Employer, acct.employer_id)
        left, granted = acct.granted_halves - acct.used_halves, acct.granted_halves
        name = None
        if acct.scope.startswith("member:"):
            name = member_name(s.get(Member, int(acct.scope.split(":", 1)[1])), lang)
        emp_name, month = emp.name if emp else "?", acct.month
    from bot.i18n import fmt_month

    kw = dict(employer=emp_name, month=fmt_month(month, lang), left=fmt_num(left, lang), granted=fmt_num(granted, lang))
    if name is None:
        return Draft(nt.n(lang, "alert_pool", days_count(granted), **kw))
    return Draft(nt.n(lang, "alert_member", days_count(granted), name=name, **kw))


def _d_report(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    text, atts = report_parts(core, int(row.payload["employer_id"]), row.payload["month"], lang)
    return Draft(text, attachments=atts)


def report_parts(core, employer_id: int, month: str, lang: str) -> tuple[str, list[Attachment]]:
    """The monthly report of an employer: its text (total and per person) and the CSV and chart files; sent on the
    1st of each month and, asked for in the chat ("Bericht für November"), at once."""
    from bot.i18n import fmt_month
    from bot.reports import build_report

    rep = build_report(core, employer_id, month, lang=lang)
    text = nt(lang, "report", employer=rep.employer_name, month=fmt_month(rep.month, lang),
              days=fmt_days(round(rep.total_days * 2), lang), cost=fmt_eur(rep.total_cents, lang))
    lines = [nt(lang, "report_line", name=e.name, days=fmt_days(round(e.days * 2), lang), cost=fmt_eur(e.cents, lang))
             for e in rep.employees[:20]]
    if lines:
        text += "\n" + "\n".join(lines)
    atts = [Attachment(rep.csv_filename, "text/csv", rep.csv_bytes)]
    if rep.png_bytes:
        atts.append(Attachment(rep.png_filename, "image/png", rep.png_bytes))
    else:
        text += "\n" + nt(lang, "report_no_chart")
    return text, atts


def _d_copy(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    x = booking_bundle(core, row.payload.get("booking_id") or row.booking_id)
    if x is None:
        return Skip("booking gone")
    b, sp = x["b"], x["space"]
    key = {"booked": "copy_booked", "cancelled": "copy_cancelled", "no_show": "copy_no_show"}.get(row.payload.get("event", ""))
    if key is None:
        return Skip("unknown change")
    return Draft(nt(lang, key, name=member_name(x["member"], lang), space=sp.name, day=fmt_day(b.day, lang),
                    part=part_text(lang, b)))


DRAFTERS = {
    "employment_ended": text_notice,  # written with its text when enqueued
    "contingent_alert": _d_alert, "monthly_report": _d_report, "employer_copy": _d_copy}
