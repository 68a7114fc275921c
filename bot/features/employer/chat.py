"""Employer admins in the chat: /firma (the company's contingent and each employee's), /team (who booked
what, change a contingent, invite codes, remove an employee, CSV export), and the company view when an
admin asks about "the contingent". Only their own employer's figures (checked against the database).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.authz import (
    Forbidden,
    admin_employers,
    employer_bookings,
    find_staff,
    grants,
    require_employer,
    staff_of,
)
from bot.booking import fmt_min, month_key
from bot.domain import Attachment, Reply, Status
from bot.features.staff import (
    _args,
    _month_range,
    _name,
    _parse_month,
    looks_like_month,
    _part_label,
    _Pick,
    _pick_reply,
    audit,
    bot_username,
    month_label,
    num_days,
    refusal,
)
from bot.i18n import Table, days_count, fmt_day, fmt_days, fmt_span, translator
from bot.router import Ctx, Router
from bot.storage.models import (
    Booking,
    ContingentAccount,
    Desk,
    Employer,
    InviteCode,
    Member,
    Role,
    Space,
)
from bot.storage.outbox import enqueue

if TYPE_CHECKING:  # pragma: no cover
    from bot.dialogue import Dialogue

TEXTS = Table("employer")  # texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po


tr = translator("employer", "staff")


def router() -> Router:
    """Employer admins: /firma, /team, contingents, invite codes, removing staff."""
    from bot.features.employer import jobs, notices

    return Router(
        "employer",
        commands={"/firma": cmd_company, "/company": cmd_company, "/team": cmd_team},
        buttons={"emp_team": op_emp_team, "emp_csv": op_emp_csv, "emp_invite": op_emp_invite,
                 "emp_remove": op_emp_remove, "roles_keep": op_roles_keep},
        intents={"company_contingent": on_company_contingent, "team_bookings": on_team_bookings,
                 "member_contingent": on_member_contingent},
        preempts={"contingent": on_contingent, "who": on_who, "unknown": on_report_words, "smalltalk": on_report_words,
                  "team_bookings": on_report_words, "company_contingent": on_report_words},
        notices=notices.DRAFTERS,
        jobs=jobs.JOBS,
        help_keys={"employer_admin": "help_employer_admin"},
    )


def _pick_employer(s, g, args: list[str], cmd: str) -> tuple[Employer, list[str]]:
    """The employer a command is about: named by slug as first argument, or the only one."""
    if args and s.scalar(select(Employer.id).where(Employer.slug == args[0].lower())) is not None:
        return admin_employers(s, g, args[0])[0], args[1:]
    emps = admin_employers(s, g)  # raises Forbidden for non-admins
    if g.admin_of:
        emps = [e for e in emps if e.id in g.admin_of]
    if len(emps) == 1:
        return emps[0], args
    raise _Pick([e.slug for e in emps])


def _used_by_member(s, employer_id: int, month: str) -> dict[int, int]:
    first, last = _month_range(month)
    rows = s.execute(
        select(Booking.member_id, func.sum(Booking.charged_halves))
        .where(Booking.employer_id == employer_id, Booking.payer == "employer", Booking.day >= first, Booking.day <= last)
        .group_by(Booking.member_id)
    ).all()
    return {mid: int(h or 0) for mid, h in rows}


def company_view(dlg: Dialogue, ctx: Ctx, args: list[str] | None = None, cmd: str = "/firma") -> list[Reply]:
    lang = ctx.lang
    args = list(args or [])
    month = month_key(ctx.now.date())
    if args and looks_like_month(args[-1]):
        month = _parse_month(args[-1], ctx.now.date())
        if month is None:
            return [Reply(tr(lang, "bad_month", value=args[-1][:20]))]
        args.pop()
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            emp, _ = _pick_employer(s, g, args, cmd)
            emp_id, emp_name = emp.id, emp.name
            staff_of(s, g, emp_id)  # authorisation, again, right before the figures are read
            used = _used_by_member(s, emp_id, month)
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, cmd, p.slugs)
    data = dlg.booking.employer_remaining(emp_id, month)
    lines = [tr(lang, "company_head", employer=emp_name, month=month_label(month, lang))]
    if data.get("pool_granted") is not None:
        lines.append(tr.n(lang, "company_pool", days_count(data["pool_granted"]), left=num_days(data["pool_granted"] - data["pool_used"], lang),
                        granted=num_days(data["pool_granted"], lang)))
    staff = data.get("employees", [])
    if not staff:
        lines.append(tr(lang, "company_none"))
    else:
        lines.append(tr(lang, "company_staff", n=len(staff)))
        for row in staff[:80]:
            if row["granted"] is not None:
                lines.append(tr.n(lang, "company_line_limit", days_count(row["granted"]), name=row["name"] or "?", id=row["member_id"],
                                left=num_days(row["granted"] - row["used"], lang), granted=num_days(row["granted"], lang)))
            else:
                lines.append(tr(lang, "company_line_nolimit", name=row["name"] or "?", id=row["member_id"],
                                used=fmt_days(used.get(row["member_id"], 0), lang)))
    lines.append(tr(lang, "company_help"))
    opts = [(tr(lang, "btn_team"), {"op": "emp_team", "employer_id": emp_id, "month": month}),
            (tr(lang, "btn_csv"), {"op": "emp_csv", "employer_id": emp_id, "month": month}),
            (tr(lang, "btn_invite"), {"op": "emp_invite", "employer_id": emp_id})]
    return [Reply("\n".join(lines), dlg.choices(ctx, opts, per_row=3))]


def _status_mark(lang: str, b: Booking, today: date) -> str:
    if b.status == Status.CHECKED_IN.value:
        return " " + tr(lang, "status_checked_in")
    if b.status == Status.NO_SHOW.value:
        return " " + tr(lang, "status_no_show")
    if b.status == Status.CANCELLED.value:
        return " " + tr(lang, "status_cancelled_late")
    return ""


_BILLED = (Status.CONFIRMED.value, Status.CHECKED_IN.value, Status.NO_SHOW.value)


def _billed_rows(s, g, employer_id: int, month: str):
    first, last = _month_range(month)
    q = employer_bookings(g, employer_id, first, last)
    q = q.where((Booking.status.in_(_BILLED)) | ((Booking.status == Status.CANCELLED.value) & (Booking.charged_halves > 0)))
    q = q.join(Member, Member.id == Booking.member_id).join(Space, Space.id == Booking.space_id) \
         .outerjoin(Desk, Desk.id == Booking.desk_id) \
         .add_columns(Member, Space, Desk.label).order_by(Booking.day, Member.display_name, Booking.start_min, Booking.seat)
    return s.execute(q).all()


def team_view(dlg: Dialogue, ctx: Ctx, employer_id: int, month: str, days: tuple[date, ...] = (),
              space: str | None = None) -> list[Reply]:
    """Who of the staff booked what in `month`; with `days` (and a space slug) only those days (and that space):
    "Wer ist morgen in Dülmen?", "Buchungen der Mitarbeiter nächste Woche"."""
    lang = ctx.lang
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            require_employer(g, employer_id)
            emp = s.get(Employer, employer_id)
            # late cancellations still cost the contingent (as /firma counts them), so they are shown, marked
            if days:
                rows = [r for m in sorted({month_key(d) for d in days}) for r in _billed_rows(s, g, employer_id, m)]
                rows = [r for r in rows if r[0].day in days and (space is None or r[2].slug == space)]
                where = next((r[2] for r in rows), None) or (s.scalar(select(Space).where(Space.slug == space))
                                                             if space else None)
            else:
                rows = _billed_rows(s, g, employer_id, month)
            today = ctx.now.date()
            per: dict[int, list[str]] = {}
            names: dict[int, str] = {}
            for b, m, sp, _label in rows:
                if b.seat:
                    continue
                names[m.id] = _name(m, lang)
                per.setdefault(m.id, []).append(f"{fmt_day(b.day, lang)} {sp.town} {_part_label(lang, b)}{_status_mark(lang, b, today)}")
    except Forbidden as exc:
        return refusal(lang, exc)
    ml = month_label(month, lang)
    if days:
        when = fmt_span(days, lang)
        at = tr(lang, "team_at_space", town=where.town) if space and where is not None else ""
        if not per:
            return [Reply(tr(lang, "team_days_empty", employer=emp.name, when=when, where=at) + "\n"
                          + tr(lang, "team_private"))]
        lines = [tr(lang, "team_days_head", employer=emp.name, when=when, where=at)]
    elif not per:
        return [Reply(tr(lang, "team_empty", employer=emp.name, month=ml) + "\n" + tr(lang, "team_private"))]
    else:
        lines = [tr(lang, "team_head", employer=emp.name, month=ml)]
    shown = 0
    total = sum(len(v) for v in per.values())
    for mid, items in sorted(per.items(), key=lambda kv: names[kv[0]].lower()):
        if shown >= 60:
            break
        lines.append(f"• {names[mid]} (#{mid}): " + ", ".join(items))
        shown += len(items)
    if shown < total:
        lines.append(tr(lang, "team_more", n=total - shown))
    lines.append(tr(lang, "team_private"))
    return [Reply("\n".join(lines))]


def csv_export(dlg: Dialogue, ctx: Ctx, employer_id: int, month: str) -> list[Reply]:
    lang = ctx.lang
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            require_employer(g, employer_id)
            emp = s.get(Employer, employer_id)
            rows = _billed_rows(s, g, employer_id, month)
            buf = io.StringIO()
            w = csv.writer(buf, delimiter=";" if lang == "de" else ",")
            w.writerow(["date", "employee_id", "employee", "space", "desk", "part", "start", "end", "status",
                        "days_charged", "price_eur"])
            for b, m, sp, label in rows:
                w.writerow([b.day.isoformat(), m.id, _name(m, lang), sp.slug, label or "", b.part, fmt_min(b.start_min),
                            fmt_min(b.end_min), b.status, f"{b.charged_halves / 2:g}", f"{b.price_cents / 100:.2f}"])
            emp_slug, emp_name = emp.slug, emp.name
    except Forbidden as exc:
        return refusal(lang, exc)
    data = buf.getvalue().encode("utf-8-sig")
    return [Reply(tr.n(lang, "csv_caption", len(rows), employer=emp_name, month=month_label(month, lang)),
                  attachments=[Attachment(f"deskbot-{emp_slug}-{month}.csv", "text/csv", data)])]


_DAYS_RE = re.compile(r"^\d{1,2}(?:[.,]5|[.,]0)?$")
SUB_CONTINGENT = {"kontingent", "contingent", "tage", "days", "limit"}
SUB_INVITE = {"einladen", "einladung", "invite", "code", "link"}
SUB_REMOVE = {"entfernen", "remove", "loeschen", "löschen", "raus"}
SUB_CSV = {"csv", "export"}
SUB_DEFAULT = {"standard", "default", "reset", "firmenregel"}


def cmd_company(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    cmd = "/company" if ctx.lang == "en" else "/firma"
    return company_view(dlg, ctx, _args(ctx), cmd)


def cmd_team(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    lang = ctx.lang
    args = _args(ctx)
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            emp, rest = _pick_employer(s, g, args, "/team")
            emp_id = emp.id
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, "/team", p.slugs)
    sub = rest[0].lower() if rest else ""
    month = month_key(ctx.now.date())
    if rest and looks_like_month(sub):
        wanted = _parse_month(sub, ctx.now.date())
        if wanted is None:
            return [Reply(tr(lang, "bad_month", value=rest[0][:20]))]
        return team_view(dlg, ctx, emp_id, wanted)
    if not rest:
        return team_view(dlg, ctx, emp_id, month)
    if sub in SUB_CSV:
        if len(rest) > 1:
            month = _parse_month(rest[1], ctx.now.date())
            if month is None:
                return [Reply(tr(lang, "bad_month", value=rest[1]))]
        return csv_export(dlg, ctx, emp_id, month)
    if sub in SUB_CONTINGENT and len(rest) >= 3:
        return set_contingent(dlg, ctx, emp_id, " ".join(rest[1:-1]), rest[-1])
    if sub in SUB_INVITE:
        nums = rest[1:]
        if len(nums) > 2 or not all(n.isdigit() for n in nums):
            return [Reply(tr(lang, "bad_invite"))]
        uses = int(nums[0]) if nums else 20
        days = int(nums[1]) if len(nums) > 1 else 14
        if not (1 <= uses <= 500 and 1 <= days <= 90):
            return [Reply(tr(lang, "bad_invite"))]
        return make_invite(dlg, ctx, emp_id, uses, days)
    if sub in SUB_REMOVE and len(rest) >= 2:
        return ask_remove(dlg, ctx, emp_id, " ".join(rest[1:]))
    return [Reply(tr(lang, "usage_team"))]


def _resolve_staff(s, g, lang: str, employer_id: int, ref: str):
    """(member, role) or a reply explaining why not."""
    found = find_staff(s, g, employer_id, ref)
    if found is None:
        return [Reply(tr(lang, "not_found", ref=ref))]
    if isinstance(found, list):
        names = ", ".join(f"{m.display_name} (#{m.id})" for m, _ in found[:8])
        return [Reply(tr(lang, "ambiguous", names=names, first=found[0][0].id))]
    return found


def set_contingent(dlg: Dialogue, ctx: Ctx, employer_id: int, ref: str, value: str) -> list[Reply]:
    lang = ctx.lang
    v = value.strip().lower()
    if v in SUB_DEFAULT:
        halves = None
    elif _DAYS_RE.match(v) and float(v.replace(",", ".")) <= 31:
        halves = int(round(float(v.replace(",", ".")) * 2))
    else:
        return [Reply(tr(lang, "bad_days", value=value))]
    now = ctx.now
    month = month_key(now.date())
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            found = _resolve_staff(s, g, lang, employer_id, ref)
            if isinstance(found, list):
                return found
            m, role = found
            emp = s.get(Employer, employer_id)
            before = role.contingent_override_halves
            role.contingent_override_halves = halves
            granted = halves if halves is not None else emp.days_per_employee_halves
            clamped = None
            used_now = None
            left_now = None
            if granted is not None:
                accts = s.scalars(select(ContingentAccount).where(
                    ContingentAccount.employer_id == employer_id, ContingentAccount.scope == f"member:{m.id}",
                    ContingentAccount.month >= month)).all()
                for acct in accts:
                    # never below what is used already (the CHECK constraint would refuse it anyway)
                    acct.granted_halves = max(granted, acct.used_halves)
                    if acct.month == month:
                        used_now, left_now = acct.used_halves, acct.granted_halves - acct.used_halves
                        if acct.used_halves > granted:
                            clamped = acct.used_halves
                if used_now is None:
                    used_now, left_now = 0, granted
            audit(s, ctx.member.id, "contingent_override", now, employer_id=employer_id, member_id=m.id,
                  before=before, after=halves)
            name, mid = m.display_name, m.id
    except Forbidden as exc:
        return refusal(lang, exc)
    if halves is not None:
        text = tr(lang, "contingent_set", name=name, id=mid, month=month_label(month, lang), days=fmt_days(halves, lang))
    elif granted is not None:
        text = tr(lang, "contingent_default", name=name, id=mid, days=fmt_days(granted, lang))
    else:
        text = tr(lang, "contingent_default_none", name=name, id=mid)
    if clamped is not None:
        text += "\n" + tr(lang, "contingent_clamped", name=name, used=fmt_days(clamped, lang))
    elif used_now is not None:
        text += "\n" + tr(lang, "contingent_now", used=fmt_days(used_now, lang), left=fmt_days(left_now, lang))
    return [Reply(text)]


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def make_invite(dlg: Dialogue, ctx: Ctx, employer_id: int, uses: int, days: int) -> list[Reply]:
    lang = ctx.lang
    now = ctx.now
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            require_employer(g, employer_id)
            emp = s.get(Employer, employer_id)
            prefix = re.sub(r"[^A-Z0-9]", "", emp.slug.upper())[:12] or "TEAM"
            code = f"{prefix}-{''.join(secrets.choice(_CODE_ALPHABET) for _ in range(8))}"
            until = now + timedelta(days=days)
            s.add(InviteCode(code=code, kind="employee", employer_id=employer_id, region_id=emp.region_id, expires_at=until,
                             max_uses=uses, uses=0, created_at=now))
            audit(s, ctx.member.id, "invite_create", now, employer_id=employer_id, code=code, max_uses=uses, days=days)
            emp_name = emp.name
    except Forbidden as exc:
        return refusal(lang, exc)
    link = f"https://t.me/{bot_username(dlg.core.settings)}?start={code}"
    return [Reply(tr.n(lang, "invite_made", uses, employer=emp_name, code=code, until=fmt_day(until.date(), lang), link=link))]


def ask_remove(dlg: Dialogue, ctx: Ctx, employer_id: int, ref: str) -> list[Reply]:
    lang = ctx.lang
    tomorrow = ctx.now.date() + timedelta(days=1)
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            found = _resolve_staff(s, g, lang, employer_id, ref)
            if isinstance(found, list):
                return found
            m, _ = found
            emp = s.get(Employer, employer_id)
            n = s.scalar(select(func.count(Booking.id)).where(
                Booking.member_id == m.id, Booking.employer_id == employer_id, Booking.payer == "employer",
                Booking.day >= tomorrow, Booking.status == Status.CONFIRMED.value, Booking.seat == 0)) or 0
            name, mid, emp_name = m.display_name, m.id, emp.name
    except Forbidden as exc:
        return refusal(lang, exc)
    opts = [(tr(lang, "btn_remove"), {"op": "emp_remove", "employer_id": employer_id, "member_id": mid}),
            (tr(lang, "btn_cancel"), {"op": "roles_keep"})]
    return [Reply(tr(lang, "remove_confirm", name=name, id=mid, employer=emp_name, n=n), dlg.choices(ctx, opts))]


def remove_employee(core, actor_id: int | None, employer_id: int, member_id: int, now: datetime,
                    *, check: bool = True) -> tuple[str, int, int] | None:
    """Delete the employee role; bookings from tomorrow on become self-paid (refunded to the employer's
    contingent) and the member is told (outbox `employment_ended`). Returns (name, bookings, halves)
    or None if they were no employee there. `check=False` is for the platform admin's CLI."""
    tomorrow = now.date() + timedelta(days=1)
    with core.db.session() as s:
        if check:
            g = grants(s, actor_id)
            require_employer(g, employer_id)
        role = s.scalar(select(Role).where(Role.member_id == member_id, Role.kind == "employee", Role.employer_id == employer_id))
        m = s.get(Member, member_id)
        if role is None or m is None:
            return None
        emp = s.get(Employer, employer_id)
        s.delete(role)
        moved, halves = core.booking.move_to_self_paid(s, member_id, employer_id, tomorrow, now)
        seat0 = [b for b in moved if b.seat == 0]
        lang = m.lang if m.lang in TEXTS else "de"
        text = tr(lang, "notice_employment_ended", employer=emp.name)
        if seat0:
            text += "\n" + tr(lang, "notice_employment_days",
                              days=", ".join(fmt_day(d, lang) for d in sorted({b.day for b in seat0})))
        enqueue(s, "employment_ended", f"emp-end:{employer_id}:{member_id}:{int(now.timestamp())}", due_at=now, now=now,
                member_id=member_id, payload={"text": text, "employer": emp.name, "employer_id": employer_id,
                                              "booking_ids": [b.id for b in seat0],
                                              "days": sorted({b.day.isoformat() for b in seat0})})
        audit(s, actor_id, "employee_remove", now, employer_id=employer_id, member_id=member_id,
              self_paid_booking_ids=[b.id for b in moved], refunded_halves=halves)
        return m.display_name, len(seat0), halves


def op_emp_team(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return team_view(dlg, ctx, int(a["employer_id"]), a.get("month") or month_key(ctx.now.date()))


def op_emp_csv(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return csv_export(dlg, ctx, int(a["employer_id"]), a.get("month") or month_key(ctx.now.date()))


def op_emp_invite(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return make_invite(dlg, ctx, int(a["employer_id"]), 20, 14)


def op_emp_remove(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    lang = ctx.lang
    employer_id, member_id = int(a["employer_id"]), int(a["member_id"])
    try:
        res = remove_employee(dlg.core, ctx.member.id, employer_id, member_id, ctx.now)
    except Forbidden as exc:
        return refusal(lang, exc)
    with dlg.core.db.session() as s:
        emp_name = s.get(Employer, employer_id).name
        name = _name(s.get(Member, member_id), lang)
    if res is None:
        return [Reply(tr(lang, "removed_already", name=name, employer=emp_name))]
    _, n, halves = res
    return [Reply(tr.n(lang, "removed", n, name=name, employer=emp_name, days=fmt_days(halves, lang)))]


def op_roles_keep(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return [Reply(tr(ctx.lang, "kept"))]


def on_contingent(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """An employer admin asking about the contingent gets the company view too."""
    from bot.features.booking.replies import remaining_text

    with dlg.core.db.session() as s:
        g = grants(s, ctx.member.id)
    if not g.admin_of:
        return None
    replies: list[Reply] = []
    rem = dlg.booking.remaining(ctx.member.id)
    if rem is not None:
        replies.append(Reply(remaining_text(ctx.lang, rem)))
    for emp_id in sorted(g.admin_of)[:3]:
        with dlg.core.db.session() as s:
            slug = s.get(Employer, emp_id).slug
        replies += company_view(dlg, ctx, [slug] if len(g.admin_of) > 1 else [])
    return replies



def on_who(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """"Wer hat diesen Monat gebucht?" from an employer admin who is not on the staff: the team's bookings of
    that month (staff who commute themselves ask about colleagues, answered by the booking slice)."""
    if not ctx.member.employer_ids("employer_admin") or ctx.member.employer_ids("employee"):
        return None
    return _team_for_intent(dlg, ctx)


def _team_for_intent(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    """The team view for a typed question: the days (and the space) it names, else the month it names."""
    it = ctx.intent
    if it is not None and it.dates and not it.month:
        try:
            with dlg.core.db.session() as s:
                emp, _rest = _pick_employer(s, grants(s, ctx.member.id), [], "/team")
                emp_id = emp.id
        except Forbidden as exc:
            return refusal(ctx.lang, exc)
        except _Pick as p:
            return _pick_reply(ctx.lang, "/team", p.slugs)
        days = tuple(sorted(set(it.dates)))
        return team_view(dlg, ctx, emp_id, month_key(days[0]), days, it.space)
    ctx.intent.args = _month_args(ctx)
    return cmd_team(dlg, ctx)


def _month_args(ctx: Ctx) -> list[str]:
    it = ctx.intent
    return [it.month] if it is not None and it.month else []


def on_company_contingent(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    """"Kontingent der Firma (im Dezember)": the company view (admins only)."""
    return company_view(dlg, ctx, _month_args(ctx))


def on_team_bookings(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    """"Buchungen der Mitarbeiter": who booked what this month (or the month or the days named)."""
    return _team_for_intent(dlg, ctx)


def on_member_contingent(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    """"Wie viel hat Anna (im Dezember) noch?": one employee's contingent, for their employer's admins."""
    from bot.features.booking.replies import remaining_text

    lang = ctx.lang
    it = ctx.intent
    name = (it.name if it is not None else None) or ""
    month = it.month if it is not None and it.month else month_key(ctx.now.date())
    if not name:
        return company_view(dlg, ctx, [month])
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            emp, _ = _pick_employer(s, g, [], "/team")
            found = _resolve_staff(s, g, lang, emp.id, name)
            if isinstance(found, list):
                return found
            member_id = found[0].id
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, "/team", p.slugs)
    rem = dlg.booking.remaining(member_id, month)
    if rem is None:
        return [Reply(tr(lang, "not_found", ref=name))]
    who = found[0].display_name
    if rem.member_left is None:  # no personal contingent: the pool is what counts
        return [Reply(remaining_text(lang, rem))]
    return [Reply(tr.n(lang, "member_remaining", days_count(rem.member_granted), name=who, employer=rem.employer_name,
                     month=month_label(month, lang),
                     left=num_days(rem.member_left, lang), granted=num_days(rem.member_granted, lang)))]


_REPORT = re.compile(r"\b(?:bericht\w*|monatsbericht\w*|report\w*|abrechnung\w*|invoice|billing)\b", re.IGNORECASE)


def on_report_words(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """"Bericht für November", "Monatsbericht", "report for October" from an employer admin: the monthly report (as
    sent on the 1st) of the month named, else of the month before."""
    from bot.features.employer.notices import report_parts
    from bot.reports import previous_month

    if not ctx.member.employer_ids("employer_admin") or not _REPORT.search(ctx.msg.text or ""):
        return None
    it = ctx.intent
    if it is not None and (it.space or it.dates):
        return None
    lang = ctx.lang
    try:
        with dlg.core.db.session() as s:
            emp, _rest = _pick_employer(s, grants(s, ctx.member.id), [], "/firma")
            emp_id = emp.id
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, "/firma", p.slugs)
    month = it.month if it is not None and it.month else previous_month(ctx.now.date().replace(day=1))
    text, atts = report_parts(dlg.core, emp_id, month, lang)
    return [Reply(text, attachments=atts)]

