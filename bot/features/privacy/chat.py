"""Identity and privacy in the chat: `/link` (one person, several chat accounts), `/export` (everything
stored about you, as JSON), `/delete` / `/loeschen` (erase personal data, with a confirm button),
`/pendeln` / `/commute` (one-way commute distance for the CO2 statistics), the retention purge and the
per-user flood throttle.

Erasure keeps the bookings, anonymised (they belong to no name or chat account any more), because
employers are billed for them and the district's statistics count them. Everything that identifies
the person goes: display name, chat identities, roles, settings, commute distance, link codes,
buttons, pending notices. Future bookings are cancelled (refunded).

Flood throttle: a sliding one-minute window per member, kept in memory of the `Dialogue` instance.
With several bot instances (processes) each has its own window, so the effective limit is per
instance. Only typed messages count; button presses are bounded by the buttons issued.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.authz import Forbidden, district_region, grants, visible_regions
from bot.domain import Attachment, Reply, Status
from bot.features.staff import audit, refusal
from bot.i18n import Table, fmt_decimal, translator
from bot.router import Ctx, Job, Router
from bot.storage.db import after_commit
from bot.storage.models import (
    AuditLog,
    Booking,
    ContingentAccount,
    Employer,
    Identity,
    LinkCode,
    Member,
    Outbox,
    PendingAction,
    Role,
    Space,
)

if TYPE_CHECKING:  # pragma: no cover
    from bot.dialogue import Dialogue

LINK_TTL = timedelta(minutes=15)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

TEXTS = Table("privacy")  # texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po


tr = translator("privacy")


def _num(x: float, lang: str) -> str:
    return fmt_decimal(x, lang, 1)


# ---------------------------------------------------------------------------------------------
# erasure (shared by /delete, the retention purge and `deskbot admin`)


def not_started(s, member_id: int, now: datetime, *, seat0: bool = False) -> list[Booking]:
    """The member's confirmed or waitlisted bookings that have not begun yet (those get cancelled on
    erasure; bookings under way or over stay, anonymised, for billing)."""
    q = select(Booking).where(Booking.member_id == member_id, Booking.day >= now.date(),
                              Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value)))
    if seat0:
        q = q.where(Booking.seat == 0)
    minute = now.hour * 60 + now.minute
    return [b for b in s.scalars(q.order_by(Booking.day, Booking.id)) if b.day > now.date() or b.start_min > minute]


def erase_member(core, member_id: int, now: datetime, *, reason: str = "request") -> bool:
    """Remove a member's personal data; keep their bookings anonymised. Returns False if already erased."""
    booking = core.booking
    with core.db.session() as s:
        m = s.get(Member, member_id)
        if m is None or m.deleted_at is not None:
            return False
        future = not_started(s, member_id, now)
        booking.void(s, future, now)  # nobody is left to come
        # notices and stored answers carry texts about the member: gone, not just cancelled
        s.execute(delete(Outbox).where(Outbox.recipient_member_id == member_id))
        s.execute(delete(Outbox).where(Outbox.kind == "reply", Outbox.payload["member_id"].as_integer() == member_id))
        s.execute(delete(Identity).where(Identity.member_id == member_id))
        s.execute(delete(Role).where(Role.member_id == member_id))
        s.execute(delete(PendingAction).where(PendingAction.member_id == member_id))
        s.execute(delete(LinkCode).where(LinkCode.member_id == member_id))
        m.display_name = ""
        m.prefs = {}
        m.commute_km = None
        m.deleted_at = now
        audit(s, None, "member_erased", now, member_id=member_id, reason=reason, cancelled=len(future))
        after_commit(s, lambda: _scrub_sqlite(core))
    return True


def _scrub_sqlite(core) -> None:
    """SQLite keeps old page images in the write-ahead log: fold it into the database file and truncate it, so an
    erased member's data is not left on disk (every connection runs with secure_delete, see make_engine, so the
    freed pages themselves are overwritten)."""
    if core.db.dialect != "sqlite":
        return
    raw = core.db.engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cur.close()
    finally:
        raw.close()


def purge_inactive(core, now: datetime | None = None, *, dry_run: bool = False) -> list[int]:
    """Erase members not seen for longer than `settings.retention_days`. Returns their ids."""
    now = now or core.clock.now()
    cutoff = now - timedelta(days=core.settings.retention_days)
    with core.db.session() as s:
        ids = list(s.scalars(select(Member.id).where(
            Member.deleted_at.is_(None),
            or_(Member.last_seen_at < cutoff, Member.last_seen_at.is_(None) & (Member.created_at < cutoff)),
        ).order_by(Member.id)))
    if not dry_run:
        for mid in ids:
            erase_member(core, mid, now, reason="retention")
    return ids


# ---------------------------------------------------------------------------------------------
# export


def export_member(core, member_id: int) -> dict:
    """Everything stored about one member, as plain JSON-able data."""
    with core.db.session() as s:
        m = s.get(Member, member_id)
        iso = lambda v: v.isoformat() if v is not None else None  # noqa: E731
        employers = {e.id: e for e in s.scalars(select(Employer))}
        spaces = {sp.id: sp for sp in s.scalars(select(Space))}
        out = {
            "exported_at": iso(core.clock.now()),
            "member": {"id": m.id, "display_name": m.display_name, "lang": m.lang, "commute_km": m.commute_km,
                       "prefs": m.prefs or {}, "created_at": iso(m.created_at), "last_seen_at": iso(m.last_seen_at)},
            "identities": [{"transport": i.transport, "external_id": i.external_id, "chat_id": i.chat_id,
                            "last_used_at": iso(i.last_used_at), "blocked_at": iso(i.blocked_at)}
                           for i in s.scalars(select(Identity).where(Identity.member_id == member_id))],
            "roles": [{"kind": r.kind, "employer": employers[r.employer_id].name if r.employer_id in employers else None,
                       "space": spaces[r.space_id].slug if r.space_id in spaces else None,
                       "contingent_override_days": None if r.contingent_override_halves is None else r.contingent_override_halves / 2,
                       "since": iso(r.created_at)}
                      for r in s.scalars(select(Role).where(Role.member_id == member_id))],
            "bookings": [{"id": b.id, "space": spaces[b.space_id].slug, "day": b.day.isoformat(), "part": b.part,
                          "start": f"{b.start_min // 60:02d}:{b.start_min % 60:02d}",
                          "end": f"{b.end_min // 60:02d}:{b.end_min % 60:02d}", "seat": b.seat, "status": b.status,
                          "payer": b.payer,
                          "employer": employers[b.employer_id].name if b.employer_id in employers else None,
                          "days_charged": b.charged_halves / 2, "price_eur": b.price_cents / 100,
                          "created_at": iso(b.created_at), "checked_in_at": iso(b.checked_in_at),
                          "cancelled_at": iso(b.cancelled_at)}
                         for b in s.scalars(select(Booking).where(Booking.member_id == member_id).order_by(Booking.day, Booking.id))],
            "contingent_accounts": [{"employer": employers[a.employer_id].name if a.employer_id in employers else None,
                                     "month": a.month, "granted_days": a.granted_halves / 2, "used_days": a.used_halves / 2}
                                    for a in s.scalars(select(ContingentAccount).where(
                                        ContingentAccount.scope == f"member:{member_id}").order_by(ContingentAccount.month))],
            "pending_notices": [{"kind": o.kind, "due_at": iso(o.due_at), "payload": o.payload}
                                for o in s.scalars(select(Outbox).where(Outbox.recipient_member_id == member_id,
                                                                        Outbox.status == "pending"))],
            "notices_sent": [{"kind": o.kind, "status": o.status, "due_at": iso(o.due_at), "sent_at": iso(o.sent_at),
                              "payload": o.payload}
                             for o in s.scalars(select(Outbox).where(
                                 or_(Outbox.recipient_member_id == member_id,
                                     (Outbox.kind == "reply") & (Outbox.payload["member_id"].as_integer() == member_id)),
                                 Outbox.status != "pending").order_by(Outbox.id))],
            "button_actions": [{"action": a.action, "created_at": iso(a.created_at), "expires_at": iso(a.expires_at),
                                "used_at": iso(a.used_at)}
                               for a in s.scalars(select(PendingAction).where(PendingAction.member_id == member_id)
                                                  .order_by(PendingAction.created_at))],
            "audit_about_you": [{"at": iso(a.at), "action": a.action, "detail": a.detail}
                                for a in s.scalars(select(AuditLog).where(
                                    AuditLog.detail["member_id"].as_integer() == member_id).order_by(AuditLog.id))],
            "actions_taken": [{"at": iso(a.at), "action": a.action, "detail": a.detail}
                              for a in s.scalars(select(AuditLog).where(AuditLog.actor_member_id == member_id)
                                                 .order_by(AuditLog.id))],
        }
    return out


# ---------------------------------------------------------------------------------------------
# linking two chat accounts


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def link_code(core, member_id: int, now: datetime) -> str:
    with core.db.session() as s:
        s.execute(delete(LinkCode).where(LinkCode.member_id == member_id, LinkCode.used_at.is_(None)))
        for _ in range(5):
            code = _new_code()
            try:
                with s.begin_nested():
                    s.add(LinkCode(code=code, member_id=member_id, expires_at=now + LINK_TTL))
                    s.flush()
                return code
            except IntegrityError:
                continue
    raise RuntimeError("could not make a unique link code")


def merge_members(core, s, source_id: int, target_id: int, now: datetime) -> int:
    """Move everything of `source` to `target` (in the caller's transaction); source ends erased.
    Returns how many of source's bookings could not move (overlap) and were cancelled."""
    s.execute(update(Identity).where(Identity.member_id == source_id).values(member_id=target_id))
    target_roles = {(r.kind, r.scope) for r in s.scalars(select(Role).where(Role.member_id == target_id))}
    for r in s.scalars(select(Role).where(Role.member_id == source_id)).all():
        if (r.kind, r.scope) in target_roles or (r.kind == "employee" and any(k == "employee" for k, _ in target_roles)):
            s.delete(r)
        else:
            r.member_id = target_id
    s.flush()
    # contingent accounts: the member's own ones move to the target, or are added to the target's
    for acct in s.scalars(select(ContingentAccount).where(ContingentAccount.scope == f"member:{source_id}")).all():
        tgt = s.scalar(select(ContingentAccount).where(ContingentAccount.employer_id == acct.employer_id,
                                                       ContingentAccount.month == acct.month,
                                                       ContingentAccount.scope == f"member:{target_id}"))
        if tgt is None:
            acct.scope = f"member:{target_id}"
        else:
            tgt.used_halves += acct.used_halves
            tgt.granted_halves = max(tgt.granted_halves, tgt.used_halves)
            s.execute(update(Booking).where(Booking.member_account_id == acct.id).values(member_account_id=tgt.id))
            s.flush()
            s.delete(acct)
    s.flush()
    conflicts = 0
    for b in s.scalars(select(Booking).where(Booking.member_id == source_id).order_by(Booking.id)).all():
        try:
            with s.begin_nested():
                b.member_id = target_id
                s.flush()
        except IntegrityError:
            s.refresh(b)
            if b.status in (Status.CONFIRMED.value, Status.WAITLISTED.value):
                core.booking.void(s, [b], now)
                conflicts += 1
    s.execute(update(Outbox).where(Outbox.recipient_member_id == source_id, Outbox.status == "pending")
              .values(recipient_member_id=target_id))
    s.execute(delete(PendingAction).where(PendingAction.member_id == source_id))
    s.execute(delete(LinkCode).where(LinkCode.member_id == source_id))
    src, tgt_m = s.get(Member, source_id), s.get(Member, target_id)
    if tgt_m.commute_km is None:
        tgt_m.commute_km = src.commute_km
    tgt_m.prefs = {**(src.prefs or {}), **(tgt_m.prefs or {})}
    src.display_name, src.prefs, src.commute_km, src.deleted_at = "", {}, None, now
    audit(s, target_id, "identity_link", now, merged_member_id=source_id, conflicts=conflicts)
    return conflicts


def redeem_link(core, member_id: int, code: str, now: datetime) -> tuple[str, str | None, int]:
    """(outcome, target name, conflicts); outcome: done | unknown | expired | used | self."""
    code = code.strip().upper()
    with core.db.session() as s:
        lc = s.get(LinkCode, code)
        if lc is None:
            return "unknown", None, 0
        if lc.member_id == member_id:
            return "self", None, 0
        if lc.used_at is not None:
            return "used", None, 0
        if lc.expires_at <= now:
            return "expired", None, 0
        target = s.get(Member, lc.member_id)
        if target is None or target.deleted_at is not None:
            return "unknown", None, 0
        # spend the code first, conditionally: a replay (or a race) finds it used
        res = s.execute(update(LinkCode).where(LinkCode.code == code, LinkCode.used_at.is_(None)).values(used_at=now))
        if res.rowcount != 1:
            return "used", None, 0
        conflicts = merge_members(core, s, member_id, lc.member_id, now)
        return "done", target.display_name, conflicts


# ---------------------------------------------------------------------------------------------
# chat commands


def _args(ctx: Ctx) -> list[str]:
    return list(ctx.intent.args) if ctx.intent and ctx.intent.args else []


def cmd_link(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    lang = ctx.lang
    args = _args(ctx)
    if not args:
        return [Reply(tr(lang, "link_code", code=link_code(dlg.core, ctx.member.id, ctx.now)))]
    outcome, name, conflicts = redeem_link(dlg.core, ctx.member.id, args[0], ctx.now)
    if outcome != "done":
        return [Reply(tr(lang, f"link_{outcome}"))]
    text = tr(lang, "link_done", name=name or "")
    if conflicts:
        text += "\n" + tr.n(lang, "link_done_conflict", conflicts)
    return [Reply(text)]


def cmd_export(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    data = export_member(dlg.core, ctx.member.id)
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return [Reply(tr.n(ctx.lang, "export_caption", len(data["bookings"])),
                  attachments=[Attachment(f"deskbot-export-{ctx.member.id}.json", "application/json", body)])]


def cmd_delete(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    lang = ctx.lang
    with dlg.core.db.session() as s:
        n = len(not_started(s, ctx.member.id, ctx.now, seat0=True))
    opts = [(tr(lang, "btn_delete"), {"op": "privacy_delete"}), (tr(lang, "btn_keep"), {"op": "privacy_keep"})]
    return [Reply(tr(lang, "delete_confirm", n=n), dlg.choices(ctx, opts))]


def op_delete(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    erase_member(dlg.core, ctx.member.id, ctx.now)
    return [Reply(tr(ctx.lang, "deleted"))]


def op_keep(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return [Reply(tr(ctx.lang, "kept"))]


_KM_RE = re.compile(r"^(\d{1,3}(?:[.,]\d{1,2})?)\s*(?:km)?$", re.I)
_CLEAR = {"löschen", "loeschen", "delete", "clear", "aus", "off", "-", "none", "keine"}


def cmd_commute(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    lang = ctx.lang
    value = " ".join(_args(ctx)).strip()
    with dlg.core.db.session() as s:
        m = s.get(Member, ctx.member.id)
        if not value:
            if m.commute_km is None:
                return [Reply(tr(lang, "commute_none"))]
            return [Reply(tr(lang, "commute_show", km=_num(m.commute_km, lang)))]
        if value.lower() in _CLEAR:
            m.commute_km = None
            return [Reply(tr(lang, "commute_cleared"))]
        parts = [p for p in value.replace("/", " ").split() if p.lower() not in ("km", "und", "and", "+")]
        if not parts:
            return [Reply(tr(lang, "commute_bad", value=value))]
        kms = []
        for part in parts[:2]:
            match = _KM_RE.match(part)
            kms.append(float(match.group(1).replace(",", ".")) if match else -1)
        if len(parts) > 2 or not 0.5 <= kms[0] <= 500 or (len(kms) == 2 and not 0 <= kms[1] <= 500):
            return [Reply(tr(lang, "commute_bad", value=value))]
        km = kms[0]
        m.commute_km = km
        prefs = dict(m.prefs or {})
        if len(kms) == 2:
            prefs["cowork_km"] = kms[1]
        m.prefs = prefs
        cowork = prefs.get("cowork_km")
    factor = dlg.core.settings.co2_kg_per_km
    saved = 2 * max(0.0, km - (cowork or 0.0))
    text = tr(lang, "commute_set", km=_num(km, lang), both=_num(saved, lang), co2=_num(saved * factor, lang))
    text += "\n" + (tr(lang, "commute_cowork", km=_num(cowork, lang)) if cowork is not None else tr(lang, "commute_ask_cowork"))
    return [Reply(text)]


def cmd_stats(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    from bot import stats

    lang = ctx.lang
    asked = " ".join(ctx.intent.args if ctx.intent else []).strip()  # "/statistik bernkastel-wittlich"
    try:
        with dlg.core.db.session() as s:  # a region admin sees their region, a platform admin all or the one named
            region = district_region(s, grants(s, ctx.member.id), asked or None)
            region_id, region_name = (region.id, region.name) if region else (None, None)
            several = region is None and len(visible_regions(s, grants(s, ctx.member.id))) > 1
    except Forbidden as exc:
        return refusal(lang, exc)
    rep = stats.impact_report(dlg.core, region_id=region_id)
    text = tr(lang, "stats_caption", day=rep.to_day.isoformat()) + "\n" + rep.summary_text(lang)
    if region_name or several:
        text = (tr(lang, "stats_region", region=region_name) if region_name else tr(lang, "stats_all_regions")) + "\n" + text
    attachments = [Attachment("deskbot-impact.csv", "text/csv", rep.to_csv().encode("utf-8-sig"))]
    png = rep.chart_png(lang)
    if png is None:
        text += "\n" + tr(lang, "stats_nochart")
    else:
        attachments.insert(0, Attachment("deskbot-impact.png", "image/png", png))
    return [Reply(text, attachments=attachments)]


class Retention:
    """Once a day: erase members inactive longer than DESKBOT_RETENTION_DAYS, drop spent button tokens and the
    record of handled updates older than a week (a redelivery comes within minutes, not weeks)."""

    def __init__(self) -> None:
        self.day = None

    def run(self, core, now: datetime) -> int:
        if self.day == now.date():
            return 0
        from sqlalchemy import delete

        from bot.storage.models import HandledUpdate

        self.day = now.date()
        core.members.purge_tokens(now - timedelta(days=1))  # buttons expired for a day or more
        with core.db.session() as s:
            s.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < now - timedelta(days=7)))
        return len(purge_inactive(core, now))


def router() -> Router:
    """Privacy and account data: /link, /export, /loeschen, /pendeln, /statistik."""
    return Router(
        "privacy",
        commands={
            "/link": cmd_link, "/verknuepfen": cmd_link, "/verknüpfen": cmd_link,
            "/export": cmd_export, "/daten": cmd_export,
            "/delete": cmd_delete, "/loeschen": cmd_delete, "/löschen": cmd_delete,
            "/pendeln": cmd_commute, "/commute": cmd_commute, "/pendelweg": cmd_commute,
            "/stats": cmd_stats, "/statistik": cmd_stats,
        },
        buttons={"privacy_delete": op_delete, "privacy_keep": op_keep},
        preempts={"cancel": on_data_words, "unknown": on_unknown, "smalltalk": on_stats_words,
                  "availability": on_stats_words},
        jobs=[Job("retention", Retention().run)],
        help_keys={"platform_admin": "help_platform_admin", "region_admin": "help_region_admin"},
    )


# "Meine Daten löschen", "delete my account", "Was habt ihr über mich gespeichert?", "export my data": the parser reads
# the first as cancelling (no booking named) and the others as not understood. About one's data they are /loeschen
# (asked first, with buttons) and /export (a read: the file at once).
_DATA = re.compile(r"\b(?:daten|datensatz|konto|account|profil|profile|data|information|infos?|gespeichert|stored"
                   r"|über mich|ueber mich|about me)\b", re.IGNORECASE)
_ERASE = re.compile(r"\b(?:lösch\w*|loesch\w*|delete\w*|erase\w*|remove|entfern\w*|vergiss|forget|weg)\b", re.IGNORECASE)
_EXPORT = re.compile(r"\b(?:export\w*|herunterladen|download\w*|kopie|copy|auskunft|zeig\w*|show|schick\w*|send"
                     r"|gespeichert|stored|wissen|weißt|weisst|know|have)\b", re.IGNORECASE)


def on_data_words(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """Erasing or exporting one's own data asked in words (no day, place or booking in the message)."""
    text = ctx.msg.text or ""
    it = ctx.intent
    if it is None or it.dates or it.space or not _DATA.search(text) or re.search(r"\bbuchung|\bbooking", text, re.I):
        return None
    if _ERASE.search(text):
        return cmd_delete(dlg, ctx)
    if _EXPORT.search(text):
        return cmd_export(dlg, ctx)
    return None


# A district or platform admin's own words for /statistik ("Wie läuft es?", "Wie viele Arbeitgeber machen mit?",
# "Auslastung der Spaces im November", "how is it going?"): the three results of their region.
_STATS = re.compile(r"\b(?:statisti\w*|stats|zahlen|kennzahlen|auswertung\w*|wirkung|impact|bilanz|bericht\w*|report\w*"
                    r"|wie l(?:ä|ae)uft|how is it going|how'?s it going|arbeitgeber|employers|auslastung|utili[sz]ation"
                    r"|ergebnis\w*|results|ziele|goals|überblick|ueberblick|overview)\b", re.IGNORECASE)


def on_stats_words(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    if not (ctx.member.has("region_admin") or ctx.member.has("platform_admin")):
        return None
    it = ctx.intent
    if it is None or it.space or not _STATS.search(ctx.msg.text or ""):
        return None
    it.args = []
    return cmd_stats(dlg, ctx)


def on_unknown(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    return on_data_words(dlg, ctx) or on_stats_words(dlg, ctx)

