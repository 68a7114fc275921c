"""Employer admins and operators in the chat.

Employer admins (`/firma`, `/company`, `/team ...`): the company's contingent and each employee's,
who booked what (employer-paid bookings of their own staff only), change an employee's contingent,
invite codes for new staff, remove an employee, CSV export of a month.

Operators (`/ankuenfte`, `/arrivals`, `/belegung`, `/occupancy`, `/schliessen`, `/close`, `/qr`):
arrivals today and tomorrow with buttons to mark an arrival or a no-show by hand, occupancy this
week, closing a day (bookings cancelled with refund, everyone told), the space's check-in QR code.

Every view asks `bot.authz` first; buttons are re-authorised when pressed. Refusals say why and what
to do instead. Decision on removing an employee: their bookings from tomorrow on stay booked but
become self-paid (the contingent is refunded to the employer) and they are told; today's and past
bookings stay employer-paid.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.authz import (
    Forbidden,
    admin_employers,
    booking_for_operator,
    employer_bookings,
    find_staff,
    grants,
    operated_spaces,
    require_employer,
    require_space,
    space_bookings,
    staff_of,
)
from bot.booking import fmt_min, month_key
from bot.dialogue import Ctx, Dialogue
from bot.domain import ACTIVE_STATUSES, Attachment, Reply, Status
from bot.i18n import fmt_day, fmt_days, translator
from bot.storage.models import (
    AuditLog,
    Booking,
    ContingentAccount,
    Desk,
    Employer,
    InviteCode,
    Member,
    Role,
    Space,
    SpaceClosure,
)
from bot.storage.outbox import cancel_for_booking, enqueue

MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}

REFUSALS: dict[str, dict[str, str]] = {
    "de": {
        "not_employer_admin": "Diese Übersicht ist nur für Firmen-Admins. Wenn du für deine Firma zuständig bist, schick mir den "
                              "Admin-Code deiner Firma. Deine eigenen Tage siehst du mit /kontingent.",
        "not_your_employer": "Das ist nicht deine Firma – du verwaltest nur deine eigene. Schreib /firma für deine Übersicht.",
        "not_operator": "Das können nur Betreiber:innen eines Coworking-Space. Wenn du einen Space betreibst, schick mir deinen "
                        "Betreiber-Code. Zum Buchen schreib z. B. „morgen Dülmen“.",
        "not_your_space": "Diesen Space betreibst du nicht – du siehst nur deine eigenen Räume. Schreib /ankuenfte für deine Übersicht.",
        "not_platform_admin": "Das ist nur für die Plattform-Admins des Kreises. Wenn du Zahlen brauchst, wende dich bitte an den "
                              "Kreis Coesfeld. Deine eigene Ersparnis siehst du mit /pendeln.",
        "unknown_employer": "Diese Firma kenne ich nicht. Schreib /firma ohne Zusatz, dann zeige ich dir deine Firma.",
        "unknown_space": "Diesen Space kenne ich nicht. Schreib den Kurznamen, z. B. /ankuenfte coesfeld.",
        "unknown_booking": "Diese Buchung gibt es nicht (mehr). Schreib /ankuenfte für die aktuelle Liste.",
    },
    "en": {
        "not_employer_admin": "This overview is for company admins only. If you manage your company's desks, send me your "
                              "company's admin code. Your own days: /contingent.",
        "not_your_employer": "That's not your company – you can only manage your own. Send /company for your overview.",
        "not_operator": "Only operators of a coworking space can do that. If you run a space, send me your operator code. "
                        "To book, write e.g. “tomorrow Dülmen”.",
        "not_your_space": "You don't operate this space – you only see your own. Send /arrivals for your overview.",
        "not_platform_admin": "This is for the district's platform admins only. If you need figures, please contact Kreis "
                              "Coesfeld. Your own savings: /commute.",
        "unknown_employer": "I don't know that company. Send /company on its own and I'll show you yours.",
        "unknown_space": "I don't know that space. Use its short name, e.g. /arrivals coesfeld.",
        "unknown_booking": "That booking doesn't exist (any more). Send /arrivals for the current list.",
    },
}

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "pick_employer": "Du verwaltest mehrere Firmen: {slugs}. Schreib den Kurznamen dazu, z. B. „{cmd} {first}“.",
        "pick_space": "Welcher Space? Schreib den Kurznamen dazu, z. B. „{cmd} {first}“. Deine Spaces: {slugs}",
        "company_head": "🏢 {employer} – {month}",
        "company_pool": "Firmenkontingent: noch {left} von {granted} Tagen.",
        "company_none": "Noch niemand ist eingetragen. Mit /team einladen bekommst du einen Einladungscode für dein Team.",
        "company_staff": "Mitarbeiter:innen ({n}):",
        "company_line_limit": "• {name} (#{id}): noch {left} von {granted} Tagen",
        "company_line_nolimit": "• {name} (#{id}): {used} gebucht",
        "company_help": "Mehr: /team – wer hat was gebucht · /team kontingent <Name> <Tage> · /team einladen · "
                        "/team entfernen <Name> · /team csv",
        "btn_team": "📋 Buchungen",
        "btn_csv": "📎 CSV",
        "btn_invite": "🔗 Einladungscode",
        "team_head": "📋 Von {employer} bezahlte Buchungen im {month}:",
        "team_empty": "Im {month} hat noch niemand von {employer} über die Firma gebucht.",
        "team_more": "… und {n} weitere – alles steht in der CSV (/team csv).",
        "team_private": "(Selbst bezahlte Buchungen deiner Leute sind privat und hier nicht zu sehen.)",
        "status_checked_in": "✅",
        "status_no_show": "❌ nicht erschienen",
        "status_confirmed": "",
        "usage_team": "So geht's: /team (Buchungen) · /team kontingent <Name oder #Nr> <Tage|standard> · "
                      "/team einladen [Personen] [Tage gültig] · /team entfernen <Name oder #Nr> · /team csv [JJJJ-MM]",
        "not_found": "Unter deinen Mitarbeiter:innen finde ich „{ref}“ nicht. /firma zeigt alle mit Nummer (#).",
        "ambiguous": "Das passt auf mehrere: {names}. Schreib bitte die Nummer, z. B. „#{first}“.",
        "bad_days": "„{value}“ kann ich nicht als Tage lesen. Schreib z. B. „/team kontingent Anna 8“ (halbe Tage: 7,5) oder "
                    "„standard“ für die Firmenregel.",
        "contingent_set": "Erledigt: {name} (#{id}) hat ab {month} {days} pro Monat.",
        "contingent_default": "Erledigt: Für {name} (#{id}) gilt wieder die Firmenregel ({days} pro Monat).",
        "contingent_default_none": "Erledigt: Für {name} (#{id}) gilt wieder die Firmenregel (kein eigenes Limit, nur das Firmenkontingent).",
        "contingent_now": "Diesen Monat genutzt: {used}, übrig: {left}.",
        "contingent_clamped": "{name} hat diesen Monat schon {used} genutzt – weniger kann ich nicht ansetzen, also ist für diesen "
                              "Monat nichts mehr übrig. Ab nächstem Monat gilt der neue Wert.",
        "invite_made": "🔗 Neuer Einladungscode für {employer}: {code}\nGültig bis {until} für höchstens {n} Personen.\n"
                       "Neue Kolleg:innen schicken mir einfach den Code – oder öffnen {link}",
        "bad_invite": "So geht's: /team einladen [Anzahl Personen] [Tage gültig], z. B. „/team einladen 10 14“ "
                      "(1–500 Personen, 1–90 Tage).",
        "remove_confirm": "Soll {name} (#{id}) nicht mehr zu {employer} gehören?\nGebuchte Tage ab morgen ({n}) bleiben gebucht, "
                          "zahlt {employer} aber nicht mehr – {name} zahlt sie dann selbst vor Ort oder storniert sie. "
                          "{name} bekommt eine Nachricht.",
        "btn_remove": "Ja, entfernen",
        "btn_cancel": "Abbrechen",
        "removed": "Erledigt: {name} gehört nicht mehr zu {employer}. {n} gebuchte Tage ab morgen sind jetzt selbst bezahlt, "
                   "{days} zurück ins Kontingent.",
        "removed_already": "{name} gehört schon nicht mehr zu {employer} – nichts zu tun.",
        "csv_caption": "📎 Buchungen von {employer} im {month} ({n} Zeilen).",
        "bad_month": "„{value}“ verstehe ich nicht als Monat. Schreib ihn so: 2026-11.",
        "arrivals_head": "📍 {space} – Ankünfte",
        "arrivals_none_day": "  (niemand)",
        "today": "Heute, {day}:",
        "tomorrow": "Morgen, {day}:",
        "arr_line": "• {time} {name}, Platz {desk}{status}",
        "arr_expected": " – erwartet",
        "arr_in": " – ✅ da",
        "arr_noshow": " – ❌ nicht erschienen",
        "arr_wait": "• Warteliste: {name} ({time})",
        "arrivals_buttons": "Tipp: Mit den Knöpfen hakst du Ankünfte von Hand ab.",
        "btn_arrived": "✅ {name}",
        "btn_noshow": "❌ {name}",
        "no_own_booking": "Du hast heute keine eigene Buchung. Hier die Ankünfte deiner Räume zum Abhaken:",
        "marked_in": "✅ {name} ist als angekommen eingetragen.",
        "marked_already": "{name} ist schon eingecheckt.",
        "marked_noshow": "❌ {name} ist als nicht erschienen eingetragen; der Platz ist wieder frei.",
        "mark_not_today": "Von Hand abhaken geht nur für heute. Schreib /ankuenfte für die aktuelle Liste.",
        "mark_too_early": "{name}s Buchung beginnt erst um {time} – als nicht erschienen kann ich sie erst danach eintragen.",
        "mark_gone": "Diese Buchung ist nicht mehr offen (storniert oder schon erledigt).",
        "occ_head": "📊 {space} – Belegung KW {week}",
        "occ_line": "{day}: {used}/{total} {bar}",
        "occ_closed": "{day}: geschlossen{detail}",
        "occ_sum": "Woche: {pct} % der Plätze an offenen Tagen belegt.",
        "usage_close": "So geht's: /schliessen [Space] <Tag> [Grund], z. B. „/schliessen 24.12. Betriebsferien“ oder "
                       "„/schliessen coesfeld morgen Veranstaltung“.",
        "close_past": "Der {day} ist schon vorbei – schließen kann ich nur heute oder künftige Tage.",
        "close_already": "{space} ist am {day} schon geschlossen.",
        "close_confirm": "{space} am {day} schließen{reason}?\n{n} Buchungen werden storniert und gutgeschrieben; alle Betroffenen "
                         "bekommen eine Nachricht.",
        "btn_close": "Ja, {day} schließen",
        "closed_done": "Erledigt: {space} ist am {day} geschlossen. {n} Buchungen von {m} Personen storniert und gutgeschrieben, "
                       "alle wurden benachrichtigt.",
        "closed_checked_in": "{n} Personen sind heute schon eingecheckt – deren Buchungen habe ich stehen lassen.",
        "qr_caption": "QR-Code zum Einchecken in {space}. Häng ihn an die Tür: Wer ihn scannt, ist eingecheckt (oder bucht "
                      "spontan einen freien Platz).\n{link}",
        "kept": "Alles bleibt, wie es war. 👍",
        "notice_space_closed": "📢 {space} ist am {day} leider geschlossen{reason}. Deine Buchung dort ist storniert, es wird "
                               "nichts berechnet. Schreib mir z. B. „was ist am {date} frei?“, dann buchen wir woanders.",
        "notice_employment_ended": "ℹ️ Du gehörst nicht mehr zu {employer}. Buchungen zahlst du ab jetzt selbst vor Ort.",
        "notice_employment_days": "Deine gebuchten Tage ab morgen ({days}) bleiben gebucht – brauchst du sie nicht mehr, "
                                  "storniere sie mit /storno.",
    },
    "en": {
        "pick_employer": "You manage several companies: {slugs}. Add the short name, e.g. “{cmd} {first}”.",
        "pick_space": "Which space? Add its short name, e.g. “{cmd} {first}”. Your spaces: {slugs}",
        "company_head": "🏢 {employer} – {month}",
        "company_pool": "Company contingent: {left} of {granted} days left.",
        "company_none": "Nobody has joined yet. /team invite gives you an invite code for your team.",
        "company_staff": "Employees ({n}):",
        "company_line_limit": "• {name} (#{id}): {left} of {granted} days left",
        "company_line_nolimit": "• {name} (#{id}): {used} booked",
        "company_help": "More: /team – who booked what · /team contingent <name> <days> · /team invite · "
                        "/team remove <name> · /team csv",
        "btn_team": "📋 Bookings",
        "btn_csv": "📎 CSV",
        "btn_invite": "🔗 Invite code",
        "team_head": "📋 Bookings paid by {employer} in {month}:",
        "team_empty": "Nobody from {employer} has booked on the company in {month} yet.",
        "team_more": "… and {n} more – the CSV has everything (/team csv).",
        "team_private": "(Bookings your people pay themselves are private and not shown here.)",
        "status_checked_in": "✅",
        "status_no_show": "❌ no-show",
        "status_confirmed": "",
        "usage_team": "How to: /team (bookings) · /team contingent <name or #no> <days|default> · "
                      "/team invite [people] [days valid] · /team remove <name or #no> · /team csv [YYYY-MM]",
        "not_found": "I can't find “{ref}” among your employees. /company lists everyone with their number (#).",
        "ambiguous": "That matches several people: {names}. Please use the number, e.g. “#{first}”.",
        "bad_days": "I can't read “{value}” as days. Write e.g. “/team contingent Anna 8” (half days: 7.5) or “default” for "
                    "the company rule.",
        "contingent_set": "Done: {name} (#{id}) has {days} per month from {month} on.",
        "contingent_default": "Done: {name} (#{id}) is back on the company rule ({days} per month).",
        "contingent_default_none": "Done: {name} (#{id}) is back on the company rule (no personal limit, only the company contingent).",
        "contingent_now": "Used this month: {used}, left: {left}.",
        "contingent_clamped": "{name} has already used {used} this month – I can't set it lower, so nothing is left for this month. "
                              "The new value applies from next month.",
        "invite_made": "🔗 New invite code for {employer}: {code}\nValid until {until} for up to {n} people.\n"
                       "New colleagues just send me the code – or open {link}",
        "bad_invite": "How to: /team invite [number of people] [days valid], e.g. “/team invite 10 14” (1–500 people, 1–90 days).",
        "remove_confirm": "Remove {name} (#{id}) from {employer}?\nDays booked from tomorrow on ({n}) stay booked but {employer} no "
                          "longer pays – {name} pays on site or cancels them. {name} will be told.",
        "btn_remove": "Yes, remove",
        "btn_cancel": "Cancel",
        "removed": "Done: {name} no longer belongs to {employer}. {n} booked days from tomorrow on are now self-paid, "
                   "{days} back in the contingent.",
        "removed_already": "{name} no longer belongs to {employer} – nothing to do.",
        "csv_caption": "📎 Bookings of {employer} in {month} ({n} rows).",
        "bad_month": "I don't understand “{value}” as a month. Write it like 2026-11.",
        "arrivals_head": "📍 {space} – arrivals",
        "arrivals_none_day": "  (nobody)",
        "today": "Today, {day}:",
        "tomorrow": "Tomorrow, {day}:",
        "arr_line": "• {time} {name}, desk {desk}{status}",
        "arr_expected": " – expected",
        "arr_in": " – ✅ here",
        "arr_noshow": " – ❌ no-show",
        "arr_wait": "• Waiting list: {name} ({time})",
        "arrivals_buttons": "Tip: use the buttons to mark arrivals by hand.",
        "btn_arrived": "✅ {name}",
        "btn_noshow": "❌ {name}",
        "no_own_booking": "You have no booking of your own today. Here are your spaces' arrivals to tick off:",
        "marked_in": "✅ {name} is marked as arrived.",
        "marked_already": "{name} is already checked in.",
        "marked_noshow": "❌ {name} is marked as a no-show; the desk is free again.",
        "mark_not_today": "Marking by hand works for today only. Send /arrivals for the current list.",
        "mark_too_early": "{name}'s booking only starts at {time} – I can mark a no-show after that.",
        "mark_gone": "This booking is no longer open (cancelled or already done).",
        "occ_head": "📊 {space} – occupancy week {week}",
        "occ_line": "{day}: {used}/{total} {bar}",
        "occ_closed": "{day}: closed{detail}",
        "occ_sum": "Week: {pct} % of desks taken on open days.",
        "usage_close": "How to: /close [space] <day> [reason], e.g. “/close 24.12. company holidays” or “/close coesfeld "
                       "tomorrow event”.",
        "close_past": "{day} is over already – I can only close today or future days.",
        "close_already": "{space} is already closed on {day}.",
        "close_confirm": "Close {space} on {day}{reason}?\n{n} bookings will be cancelled and refunded; everyone affected is told.",
        "btn_close": "Yes, close {day}",
        "closed_done": "Done: {space} is closed on {day}. {n} bookings of {m} people cancelled and refunded, everyone was told.",
        "closed_checked_in": "{n} people have already checked in today – I left their bookings alone.",
        "qr_caption": "QR code for checking in at {space}. Put it on the door: scanning it checks you in (or books a free "
                      "desk on the spot).\n{link}",
        "kept": "Everything stays as it was. 👍",
        "notice_space_closed": "📢 Sorry, {space} is closed on {day}{reason}. Your booking there is cancelled and nothing is "
                               "charged. Ask me e.g. “what's free on {date}?” and we'll book somewhere else.",
        "notice_employment_ended": "ℹ️ You no longer belong to {employer}. From now on you pay your bookings yourself on site.",
        "notice_employment_days": "Your days booked from tomorrow on ({days}) stay booked – if you don't need them, cancel "
                                  "with /cancel.",
    },
}


tr = translator(TEXTS)


def refusal(lang: str, exc: Forbidden) -> list[Reply]:
    table = REFUSALS.get(lang) or REFUSALS["de"]
    return [Reply(table.get(exc.reason) or REFUSALS["de"].get(exc.reason, exc.reason))]


def month_label(month: str, lang: str) -> str:
    y, m = month.split("-")
    return f"{MONTHS.get(lang, MONTHS['de'])[int(m) - 1]} {y}"


def num_days(halves: int, lang: str) -> str:
    """Half days as a plain number: 13 -> '6,5' (de) / '6.5' (en)."""
    whole, half = divmod(int(halves), 2)
    return f"{whole}{',' if lang == 'de' else '.'}5" if half else str(whole)


def audit(s, actor: int | None, action: str, now: datetime, **detail) -> None:
    s.add(AuditLog(at=now, actor_member_id=actor, action=action, detail=detail))


def _args(ctx: Ctx) -> list[str]:
    return list(ctx.intent.args) if ctx.intent and ctx.intent.args else []


def _name(m: Member | None, lang: str) -> str:
    if m is None or m.deleted_at is not None or not m.display_name:
        return "(gelöscht)" if lang == "de" else "(deleted)"
    return m.display_name


class _Pick(Exception):
    def __init__(self, slugs: list[str]) -> None:
        super().__init__(slugs)
        self.slugs = slugs


def _month_range(month: str) -> tuple[date, date]:
    y, m = (int(x) for x in month.split("-"))
    first = date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def _parse_month(value: str) -> str | None:
    m = _MONTH_RE.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


# ---------------------------------------------------------------------------------------------
# employer admins


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


def _pick_reply(lang: str, cmd: str, slugs: list[str], key: str = "pick_employer") -> list[Reply]:
    shown = ", ".join(slugs[:15]) + (" …" if len(slugs) > 15 else "")
    return [Reply(tr(lang, key, slugs=shown, cmd=cmd, first=slugs[0] if slugs else "…"))]


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
    if args and _parse_month(args[-1]):
        month = _parse_month(args.pop())
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
        lines.append(tr(lang, "company_pool", left=num_days(data["pool_granted"] - data["pool_used"], lang),
                        granted=num_days(data["pool_granted"], lang)))
    staff = data.get("employees", [])
    if not staff:
        lines.append(tr(lang, "company_none"))
    else:
        lines.append(tr(lang, "company_staff", n=len(staff)))
        for row in staff[:80]:
            if row["granted"] is not None:
                lines.append(tr(lang, "company_line_limit", name=row["name"] or "?", id=row["member_id"],
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
    return ""


def _part_label(lang: str, b: Booking) -> str:
    from bot.i18n import PART

    if b.part == "hours":
        return f"{fmt_min(b.start_min)}–{fmt_min(b.end_min)}"
    return PART[lang if lang in PART else "de"][b.part]


_BILLED = (Status.CONFIRMED.value, Status.CHECKED_IN.value, Status.NO_SHOW.value)


def _billed_rows(s, g, employer_id: int, month: str):
    first, last = _month_range(month)
    q = employer_bookings(g, employer_id, first, last)
    q = q.where((Booking.status.in_(_BILLED)) | ((Booking.status == Status.CANCELLED.value) & (Booking.charged_halves > 0)))
    q = q.join(Member, Member.id == Booking.member_id).join(Space, Space.id == Booking.space_id) \
         .outerjoin(Desk, Desk.id == Booking.desk_id) \
         .add_columns(Member, Space, Desk.label).order_by(Booking.day, Member.display_name, Booking.start_min, Booking.seat)
    return s.execute(q).all()


def team_view(dlg: Dialogue, ctx: Ctx, employer_id: int, month: str) -> list[Reply]:
    lang = ctx.lang
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            require_employer(g, employer_id)
            emp = s.get(Employer, employer_id)
            rows = [r for r in _billed_rows(s, g, employer_id, month) if r[0].status != Status.CANCELLED.value]
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
    if not per:
        return [Reply(tr(lang, "team_empty", employer=emp.name, month=ml) + "\n" + tr(lang, "team_private"))]
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
    return [Reply(tr(lang, "csv_caption", employer=emp_name, month=month_label(month, lang), n=len(rows)),
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
    if not rest or _parse_month(sub):
        return team_view(dlg, ctx, emp_id, _parse_month(sub) or month)
    if sub in SUB_CSV:
        if len(rest) > 1:
            month = _parse_month(rest[1])
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


def bot_username(settings) -> str:
    return (getattr(settings, "telegram_bot_username", None) or "deskbot_bot").lstrip("@")


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
            s.add(InviteCode(code=code, kind="employee", employer_id=employer_id, expires_at=until, max_uses=uses, uses=0,
                             created_at=now))
            audit(s, ctx.member.id, "invite_create", now, employer_id=employer_id, code=code, max_uses=uses, days=days)
            emp_name = emp.name
    except Forbidden as exc:
        return refusal(lang, exc)
    link = f"https://t.me/{bot_username(dlg.core.settings)}?start={code}"
    return [Reply(tr(lang, "invite_made", employer=emp_name, code=code, until=fmt_day(until.date(), lang), n=uses, link=link))]


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
        moved, halves = [], 0
        for b in s.scalars(select(Booking).where(
                Booking.member_id == member_id, Booking.employer_id == employer_id, Booking.payer == "employer",
                Booking.day >= tomorrow, Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value)))):
            halves += core.booking._refund(s, b)  # noqa: SLF001 - the service's own refund rule
            b.payer, b.employer_id, b.member_account_id, b.pool_account_id = "self", None, None, None
            b.updated_at = now
            moved.append(b)
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


# ---------------------------------------------------------------------------------------------
# operators


def _pick_spaces(s, g, args: list[str], cmd: str, *, single: bool = False) -> tuple[list[Space], list[str]]:
    """The spaces a command is about: named by slug as first argument, or the member's own."""
    if args and s.scalar(select(Space.id).where(Space.slug == args[0].lower())) is not None:
        return operated_spaces(s, g, args[0]), args[1:]
    spaces = operated_spaces(s, g)  # raises Forbidden for non-operators
    if g.operator_of:
        spaces = [sp for sp in spaces if sp.id in g.operator_of]
    elif len(spaces) > 1:  # a platform admin names the space
        raise _Pick([sp.slug for sp in spaces])
    if single and len(spaces) > 1:
        raise _Pick([sp.slug for sp in spaces])
    return spaces, args


def _arrival_lines(dlg: Dialogue, s, g, lang: str, spaces: list[Space], now: datetime):
    today, tomorrow = now.date(), now.date() + timedelta(days=1)
    rows = s.execute(
        space_bookings(g, [sp.id for sp in spaces], today, tomorrow)
        .where(Booking.status.in_(ACTIVE_STATUSES + (Status.NO_SHOW.value, Status.WAITLISTED.value)))
        .join(Member, Member.id == Booking.member_id).outerjoin(Desk, Desk.id == Booking.desk_id)
        .add_columns(Member, Desk.label).order_by(Booking.day, Booking.start_min, Booking.member_id, Booking.seat)
    ).all()
    lines: list[str] = []
    buttons: list[tuple[str, dict]] = []
    minute = now.hour * 60 + now.minute
    for sp in spaces:
        if lines:
            lines.append("")
        lines.append(tr(lang, "arrivals_head", space=sp.name))
        for day, key in ((today, "today"), (tomorrow, "tomorrow")):
            lines.append(tr(lang, key, day=fmt_day(day, lang)))
            groups: dict[tuple, list] = {}
            for b, m, label in rows:
                if b.space_id == sp.id and b.day == day:
                    groups.setdefault((b.member_id, b.group_ref or b.id, b.status == Status.WAITLISTED.value), []).append((b, m, label))
            if not groups:
                lines.append(tr(lang, "arrivals_none_day"))
            for items in groups.values():
                b, m, _ = items[0]
                name = _name(m, lang)
                time_s = f"{fmt_min(b.start_min)}–{fmt_min(b.end_min)}"
                if b.status == Status.WAITLISTED.value:
                    lines.append(tr(lang, "arr_wait", name=name, time=time_s))
                    continue
                desks = ", ".join(label or "?" for _, _, label in items)
                status = {Status.CHECKED_IN.value: "arr_in", Status.NO_SHOW.value: "arr_noshow"}.get(b.status, "arr_expected")
                lines.append(tr(lang, "arr_line", time=time_s, name=name, desk=desks, status=tr(lang, status)))
                if day == today and b.status == Status.CONFIRMED.value and b.seat == 0 and b.end_min > minute and len(buttons) < 16:
                    short = name[:18]
                    buttons.append((tr(lang, "btn_arrived", name=short), {"op": "arr_in", "booking_id": b.id}))
                    if minute >= b.start_min:
                        buttons.append((tr(lang, "btn_noshow", name=short), {"op": "arr_noshow", "booking_id": b.id}))
    if buttons:
        lines.append("")
        lines.append(tr(lang, "arrivals_buttons"))
    return lines, buttons


def arrivals_view(dlg: Dialogue, ctx: Ctx, args: list[str] | None = None, head: str | None = None,
                  space_ids: list[int] | None = None) -> list[Reply]:
    lang = ctx.lang
    cmd = "/arrivals" if lang == "en" else "/ankuenfte"
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            if space_ids is not None:
                for sid in space_ids:
                    require_space(g, sid)
                spaces = [s.get(Space, sid) for sid in space_ids]
            else:
                spaces, _ = _pick_spaces(s, g, list(args or []), cmd)
            lines, buttons = _arrival_lines(dlg, s, g, lang, spaces, ctx.now)
            ids = [sp.id for sp in spaces]
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, cmd, p.slugs, "pick_space")
    if head:
        lines.insert(0, head)
    for _, action in buttons:
        action["spaces"] = ids
    return [Reply("\n".join(lines), dlg.choices(ctx, buttons, per_row=2))]


def _mark(dlg: Dialogue, ctx: Ctx, a: dict, noshow: bool) -> list[Reply]:
    lang = ctx.lang
    now = ctx.now
    minute = now.hour * 60 + now.minute
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            b = booking_for_operator(s, g, int(a["booking_id"]))
            m = s.get(Member, b.member_id)
            name = _name(m, lang)
            space = s.get(Space, b.space_id)
            if b.day != now.date():
                text = tr(lang, "mark_not_today")
            elif b.status == Status.CHECKED_IN.value and not noshow:
                text = tr(lang, "marked_already", name=name)
            elif b.status != Status.CONFIRMED.value:
                text = tr(lang, "mark_gone")
            elif not noshow:
                dlg.booking._mark_checked_in(s, b, space, now)  # noqa: SLF001 - same rule as a self check-in
                audit(s, ctx.member.id, "manual_checkin", now, booking_id=b.id)
                text = tr(lang, "marked_in", name=name)
            elif minute < b.start_min:
                text = tr(lang, "mark_too_early", name=name, time=fmt_min(b.start_min))
            else:
                refund = dlg.booking.noshow_refund
                group = s.scalars(select(Booking).where(
                    Booking.member_id == b.member_id, Booking.day == b.day, Booking.status == Status.CONFIRMED.value,
                    (Booking.id == b.id) | ((Booking.group_ref == b.group_ref) & (Booking.group_ref != "")))).all()
                for x in group:
                    x.status, x.updated_at = Status.NO_SHOW.value, now
                    if refund:
                        dlg.booking._refund(s, x)  # noqa: SLF001
                    cancel_for_booking(s, x.id)
                enqueue(s, "no_show", f"noshow:{b.id}", due_at=now, now=now, member_id=b.member_id, booking_id=b.id,
                        payload={"booking_id": b.id, "refunded": refund, "by_operator": True})
                audit(s, ctx.member.id, "manual_noshow", now, booking_ids=[x.id for x in group])
                s.flush()
                if b.end_min > minute:
                    dlg.booking._promote_waitlist(s, space, b.day)  # noqa: SLF001 - the freed desk goes to the waitlist
                text = tr(lang, "marked_noshow", name=name)
    except Forbidden as exc:
        return refusal(lang, exc)
    return arrivals_view(dlg, ctx, head=text + "\n", space_ids=a.get("spaces") or [b.space_id])


def op_arr_in(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return _mark(dlg, ctx, a, noshow=False)


def op_arr_noshow(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return _mark(dlg, ctx, a, noshow=True)


def cmd_arrivals(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    return arrivals_view(dlg, ctx, _args(ctx))


def cmd_occupancy(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    lang = ctx.lang
    cmd = "/occupancy" if lang == "en" else "/belegung"
    today = ctx.now.date()
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    out: list[str] = []
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            spaces, _ = _pick_spaces(s, g, _args(ctx), cmd)
            busy = {}
            for sid, day, n in s.execute(
                space_bookings(g, [sp.id for sp in spaces], monday, sunday)
                .where(Booking.status.in_(ACTIVE_STATUSES))
                .with_only_columns(Booking.space_id, Booking.day, func.count(func.distinct(Booking.desk_id)))
                .group_by(Booking.space_id, Booking.day)
            ):
                busy[(sid, day)] = int(n)
            totals = dict(s.execute(select(Desk.space_id, func.count(Desk.id)).where(Desk.active).group_by(Desk.space_id)).all())
            for sp in spaces:
                total = int(totals.get(sp.id, 0))
                if out:
                    out.append("")
                out.append(tr(lang, "occ_head", space=sp.name, week=monday.isocalendar()[1]))
                used_sum = cap = 0
                for i in range(7):
                    day = monday + timedelta(days=i)
                    closed = dlg.booking.closed_reason(s, sp, day)
                    if closed:
                        if closed[0] != "weekday":
                            detail = f" ({closed[1]})" if closed[1] else ""
                            out.append(tr(lang, "occ_closed", day=fmt_day(day, lang), detail=detail))
                        continue
                    used = busy.get((sp.id, day), 0)
                    used_sum += used
                    cap += total
                    bar = "▓" * used + "░" * max(0, total - used) if total <= 20 else ""
                    out.append(tr(lang, "occ_line", day=fmt_day(day, lang), used=used, total=total, bar=bar))
                if cap:
                    out.append(tr(lang, "occ_sum", pct=round(100 * used_sum / cap)))
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, cmd, p.slugs, "pick_space")
    return [Reply("\n".join(out))]


_WEEKDAY_WORDS = {
    "montag": 0, "mo": 0, "monday": 0, "mon": 0, "dienstag": 1, "di": 1, "tuesday": 1, "tue": 1,
    "mittwoch": 2, "mi": 2, "wednesday": 2, "wed": 2, "donnerstag": 3, "do": 3, "thursday": 3, "thu": 3,
    "freitag": 4, "fr": 4, "friday": 4, "fri": 4, "samstag": 5, "sa": 5, "saturday": 5, "sat": 5,
    "sonntag": 6, "so": 6, "sunday": 6, "sun": 6,
}
_DM_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?(\d{2}|\d{4})?$")


def parse_day(word: str, today: date) -> date | None:
    """A single day word: 2026-12-24, 24.12., 24.12.2026, heute/today, morgen/tomorrow, übermorgen, a weekday."""
    w = word.strip().lower().rstrip(",")
    if w in ("heute", "today"):
        return today
    if w in ("morgen", "tomorrow"):
        return today + timedelta(days=1)
    if w in ("übermorgen", "uebermorgen"):
        return today + timedelta(days=2)
    if w in _WEEKDAY_WORDS:
        return today + timedelta(days=(_WEEKDAY_WORDS[w] - today.weekday()) % 7)
    try:
        return date.fromisoformat(w)
    except ValueError:
        pass
    m = _DM_RE.match(w)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
        year = (int(y) + 2000 if len(y) == 2 else int(y)) if y else today.year
        try:
            day = date(year, mo, d)
        except ValueError:
            return None
        if not y and day < today - timedelta(days=31):
            day = date(year + 1, mo, d)
        return day
    return None


def cmd_close(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    lang = ctx.lang
    cmd = "/close" if lang == "en" else "/schliessen"
    today = ctx.now.date()
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            spaces, rest = _pick_spaces(s, g, _args(ctx), cmd, single=True)
            sp = spaces[0]
            day = parse_day(rest[0], today) if rest else None
            if day is None:
                return [Reply(tr(lang, "usage_close"))]
            reason = " ".join(rest[1:])[:200]
            if day < today:
                return [Reply(tr(lang, "close_past", day=fmt_day(day, lang)))]
            if s.scalar(select(SpaceClosure.id).where(SpaceClosure.space_id == sp.id, SpaceClosure.day == day)):
                return [Reply(tr(lang, "close_already", space=sp.name, day=fmt_day(day, lang)))]
            n = s.scalar(select(func.count(Booking.id)).where(
                Booking.space_id == sp.id, Booking.day == day,
                Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value)))) or 0
            sp_id, sp_name = sp.id, sp.name
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, cmd, p.slugs, "pick_space")
    d = fmt_day(day, lang)
    opts = [(tr(lang, "btn_close", day=d), {"op": "close_day", "space_id": sp_id, "day": day.isoformat(), "reason": reason}),
            (tr(lang, "btn_cancel"), {"op": "roles_keep"})]
    return [Reply(tr(lang, "close_confirm", space=sp_name, day=d, reason=f" ({reason})" if reason else "", n=n),
                  dlg.choices(ctx, opts))]


def close_day(core, actor_id: int | None, space_id: int, day: date, reason: str, now: datetime,
              *, check: bool = True) -> tuple[str, int, int, int] | None:
    """Close a space for a day: a SpaceClosure row; confirmed and waitlisted bookings cancelled with full
    refund; one `space_closed` notice per person. Returns (space name, bookings, people, left checked in),
    or None when already closed."""
    with core.db.session() as s:
        if check:
            require_space(grants(s, actor_id), space_id)
        sp = s.get(Space, space_id)
        try:
            with s.begin_nested():
                s.add(SpaceClosure(space_id=space_id, day=day, reason=reason))
                s.flush()
        except IntegrityError:
            return None
        q = select(Booking).where(Booking.space_id == space_id, Booking.day == day,
                                  Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value)))
        if core.db.is_postgres:
            q = q.with_for_update()
        per_member: dict[int, list[int]] = {}
        for b in s.scalars(q.order_by(Booking.id)).all():
            if b.status == Status.CONFIRMED.value:
                core.booking._refund(s, b)  # noqa: SLF001 - full refund: the space closed, not the member
            b.status, b.cancelled_at, b.updated_at = Status.CANCELLED.value, now, now
            cancel_for_booking(s, b.id)
            per_member.setdefault(b.member_id, []).append(b.id)
        langs = dict(s.execute(select(Member.id, Member.lang).where(Member.id.in_(list(per_member) or [0]))).all())
        for mid, ids in per_member.items():
            lang = langs.get(mid) if langs.get(mid) in TEXTS else "de"
            text = tr(lang, "notice_space_closed", space=sp.name, day=fmt_day(day, lang),
                      reason=f" ({reason})" if reason else "", date=f"{day.day}.{day.month}." if lang == "de" else day.isoformat())
            enqueue(s, "space_closed", f"closed:{space_id}:{day.isoformat()}:m{mid}", due_at=now, now=now, member_id=mid,
                    payload={"text": text, "space_id": space_id, "space": sp.name, "slug": sp.slug, "day": day.isoformat(),
                             "reason": reason, "booking_ids": ids, "refunded": True})
        checked_in = s.scalar(select(func.count(func.distinct(Booking.member_id))).where(
            Booking.space_id == space_id, Booking.day == day, Booking.status == Status.CHECKED_IN.value)) or 0
        audit(s, actor_id, "space_close", now, space_id=space_id, day=day.isoformat(), reason=reason,
              cancelled=sum(len(v) for v in per_member.values()))
        return sp.name, sum(len(v) for v in per_member.values()), len(per_member), int(checked_in)


def op_close_day(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    lang = ctx.lang
    day = date.fromisoformat(a["day"])
    try:
        res = close_day(dlg.core, ctx.member.id, int(a["space_id"]), day, a.get("reason", ""), ctx.now)
    except Forbidden as exc:
        return refusal(lang, exc)
    d = fmt_day(day, lang)
    if res is None:
        with dlg.core.db.session() as s:
            name = s.get(Space, int(a["space_id"])).name
        return [Reply(tr(lang, "close_already", space=name, day=d))]
    name, n, m, checked = res
    text = tr(lang, "closed_done", space=name, day=d, n=n, m=m)
    if checked:
        text += "\n" + tr(lang, "closed_checked_in", n=checked)
    return [Reply(text)]


def checkin_link(settings, slug: str) -> str:
    return f"https://t.me/{bot_username(settings)}?start=checkin-{slug}"


def qr_png(link: str, scale: int = 8) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(link, error="m").save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def cmd_qr(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    lang = ctx.lang
    try:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            spaces, _ = _pick_spaces(s, g, _args(ctx), "/qr")
            items = [(sp.slug, sp.name) for sp in spaces[:5]]
    except Forbidden as exc:
        return refusal(lang, exc)
    except _Pick as p:
        return _pick_reply(lang, "/qr", p.slugs, "pick_space")
    replies = []
    for slug, name in items:
        link = checkin_link(dlg.core.settings, slug)
        replies.append(Reply(tr(lang, "qr_caption", space=name, link=link),
                             attachments=[Attachment(f"checkin-{slug}.png", "image/png", qr_png(link))]))
    return replies


# ---------------------------------------------------------------------------------------------
# buttons and intent overrides


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
    return [Reply(tr(lang, "removed", name=name, employer=emp_name, n=n, days=fmt_days(halves, lang)))]


def op_roles_keep(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return [Reply(tr(ctx.lang, "kept"))]


def on_contingent(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    """An employer admin asking about the contingent gets the company view too."""
    with dlg.core.db.session() as s:
        g = grants(s, ctx.member.id)
    if not g.admin_of:
        return Dialogue.on_contingent(dlg, ctx)
    replies: list[Reply] = []
    rem = dlg.booking.remaining(ctx.member.id)
    if rem is not None:
        replies.append(Reply(dlg.remaining_text(ctx.lang, rem)))
    for emp_id in sorted(g.admin_of)[:3]:
        with dlg.core.db.session() as s:
            slug = s.get(Employer, emp_id).slug
        replies += company_view(dlg, ctx, [slug] if len(g.admin_of) > 1 else [])
    return replies


def on_checkin(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    """An operator without a booking of their own today gets their arrivals to tick off."""
    if ctx.intent is None or ctx.intent.space is None:
        with dlg.core.db.session() as s:
            g = grants(s, ctx.member.id)
            own = s.scalar(select(Booking.id).where(Booking.member_id == ctx.member.id, Booking.day == ctx.now.date(),
                                                    Booking.status.in_(ACTIVE_STATUSES)).limit(1))
        if g.operator_of and own is None:
            return arrivals_view(dlg, ctx, head=tr(ctx.lang, "no_own_booking"),
                                 space_ids=sorted(g.operator_of))
    return Dialogue.on_checkin(dlg, ctx)


Dialogue.command_handlers.update({
    "/firma": cmd_company, "/company": cmd_company, "/team": cmd_team,
    "/ankuenfte": cmd_arrivals, "/ankünfte": cmd_arrivals, "/arrivals": cmd_arrivals,
    "/belegung": cmd_occupancy, "/occupancy": cmd_occupancy,
    "/schliessen": cmd_close, "/schließen": cmd_close, "/close": cmd_close,
    "/qr": cmd_qr,
})
Dialogue.op_handlers.update({
    "emp_team": op_emp_team, "emp_csv": op_emp_csv, "emp_invite": op_emp_invite, "emp_remove": op_emp_remove,
    "arr_in": op_arr_in, "arr_noshow": op_arr_noshow, "close_day": op_close_day, "roles_keep": op_roles_keep,
})
Dialogue.intent_handlers.update({"contingent": on_contingent, "checkin": on_checkin})
