"""Notices: turning an outbox row into a `Reply` in the recipient's language.

The outbox row says *what happened* (kind + ids in the payload); the text is made at delivery time
from the current state, so a reminder for a booking cancelled meanwhile is not sent (`Skip`) and a
digest lists who is booked *now*. Buttons are specified as (label, action) pairs and turned into
single-use tokens bound to the recipient (`Members.issue_many`) only after every database session
of the rendering is closed (SQLite's writer lock would otherwise deadlock with the token insert).

Member preferences (``Member.prefs``)::

    {"notices": {"reminder_evening": true, "reminder_morning": true, "waitlist": true, "no_show": true,
                 "arrivals": true, "digest": true, "contingent_alert": true, "monthly_report": true,
                 "employer_copy": false, "employer_copy_since": "<iso>"},
     "reminder_time": "18:00",                    # evening reminder, local time (default: settings)
     "nudge": {"on": false, "time": "18:30", "days": ["mon", "tue", "wed", "thu", "fri"],
               "spaces": ["coesfeld"]}}           # days = weekdays of the day proposed (tomorrow)

The drafters live with their features (`bot/features/*/notices.py`), declared in their routers;
``nudge_no`` (the "no" of a nudge).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.domain import Attachment, Choice, Reply
from bot.i18n import PART, Table, translator

log = logging.getLogger(__name__)

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# preference switch of each outbox kind (None: always sent)
KIND_PREF: dict[str, str | None] = {
    "reminder_evening": "reminder_evening",
    "reminder_morning": "reminder_morning",
    "waitlist_promoted": "waitlist",
    "no_show": "no_show",
    "arrival_new": "arrivals",
    "arrival_checkin": "arrivals",
    "arrival_cancelled": "arrivals",
    "digest": "digest",
    "contingent_alert": "contingent_alert",
    "monthly_report": "monthly_report",
    "employer_copy": "employer_copy",
    "nudge": "nudge",
    "weekly_summary": "weekly_summary",
}

NOTICE_DEFAULTS: dict[str, bool] = {
    "reminder_evening": True,
    "reminder_morning": True,
    "waitlist": True,
    "no_show": True,
    "arrivals": True,
    "digest": True,
    "contingent_alert": True,
    "monthly_report": True,
    "employer_copy": False,
    "weekly_summary": False,
}

NUDGE_DEFAULTS: dict[str, Any] = {"on": False, "time": "18:30", "days": ["mon", "tue", "wed", "thu", "fri"], "spaces": []}


def notice_switches(prefs: dict | None) -> dict[str, bool]:
    """Every on/off switch with the member's choice or the default."""
    chosen = dict((prefs or {}).get("notices") or {})
    out = {k: bool(chosen.get(k, v)) for k, v in NOTICE_DEFAULTS.items()}
    out["nudge"] = bool(nudge_prefs(prefs)["on"])
    return out


def nudge_prefs(prefs: dict | None) -> dict[str, Any]:
    n = dict(NUDGE_DEFAULTS)
    n.update((prefs or {}).get("nudge") or {})
    return n


def notice_enabled(prefs: dict | None, kind: str) -> bool:
    key = KIND_PREF.get(kind)
    if key is None:
        return True
    return notice_switches(prefs).get(key, True)


def reminder_time(prefs: dict | None, default: str) -> str:
    return (prefs or {}).get("reminder_time") or default


# ---------------------------------------------------------------------------------------------
# texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po, context "notices"

TEXTS = Table("notices")  # a read-only view of the catalogue


nt = translator("notices")


# ---------------------------------------------------------------------------------------------
# rendering


@dataclass(frozen=True, slots=True)
class RowView:
    """A claimed outbox row, detached from its session."""

    id: int
    kind: str
    dedupe_key: str
    member_id: int | None
    transport: str | None
    chat_id: str | None
    payload: dict
    booking_id: int | None
    due_at: datetime
    attempts: int = 0


@dataclass(slots=True)
class Draft:
    """A notice before its buttons are issued as tokens."""

    text: str
    buttons: list[list[tuple[str, dict]]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Skip:
    """Nothing to send any more (booking gone, day over): the row is cancelled with this reason."""

    reason: str


def utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc)


def part_text(lang: str, b) -> str:
    from bot.booking import fmt_min

    if b.part == "hours":
        return f", {fmt_min(b.start_min)}–{fmt_min(b.end_min)}"
    if b.part == "full":
        return ""
    return ", " + PART[lang][b.part]


def part_plain(lang: str, b) -> str:
    from bot.booking import fmt_min

    if b.part == "hours":
        return f"{fmt_min(b.start_min)}–{fmt_min(b.end_min)}"
    return PART[lang][b.part]


def group_ids(s, b) -> list[int]:
    from bot.storage.models import Booking

    if not b.group_ref:
        return [b.id]
    return list(s.scalars(select(Booking.id).where(Booking.group_ref == b.group_ref, Booking.day == b.day,
                                                   Booking.status.in_(("confirmed", "waitlisted")))))


def employer_label(s, b, lang: str) -> str:
    from bot.storage.models import Employer, Role

    emp_id = b.employer_id
    if emp_id is None and b.payer != "self":
        emp_id = s.scalar(select(Role.employer_id).where(Role.member_id == b.member_id, Role.kind == "employee"))
    if emp_id is None:
        return nt(lang, "self_paying")
    emp = s.get(Employer, emp_id)
    return emp.name if emp else nt(lang, "self_paying")


def member_name(m, lang: str) -> str:
    if m is None or m.deleted_at is not None:
        return nt(lang, "deleted")
    return m.display_name or f"#{m.id}"


@functools.cache
def _default_drafters() -> dict:
    """The notice drafters of the default feature set, merged once (callers outside the scheduler)."""
    from bot.features import default_routers
    from bot.router import Routes

    return Routes.merge(default_routers()).notices


def draft(core, row: RowView, lang: str, now: datetime, drafters: dict | None = None) -> Draft | Skip | Reply:
    """What to send for this row now (or why not), by the drafter of the feature that declared the row's kind."""
    if drafters is None:
        drafters = _default_drafters()
    if row.kind == "reply":  # a direct answer its transport could not confirm: sent as it was made
        from bot.dialogue import reply_from_payload

        return reply_from_payload(row.payload)
    fn = drafters.get(row.kind)
    if fn is None:
        if "text" in row.payload:  # generic notice enqueued by other features
            return text_notice(core, row, lang, now)
        return Skip(f"unknown notice kind {row.kind!r}")
    return fn(core, row, lang, now)


def text_notice(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    """A notice whose text was written (in the recipient's language) when it was enqueued."""
    if "text" not in row.payload:
        return Skip("notice without text")
    return Draft(str(row.payload["text"]))


def booking_bundle(core, booking_id: int | None):
    from bot.booking import opening_of
    from bot.storage.models import Booking, Desk, Member, Space

    if booking_id is None:
        return None
    with core.db.session() as s:
        b = s.get(Booking, booking_id)
        if b is None:
            return None
        sp = s.get(Space, b.space_id)
        desk = s.get(Desk, b.desk_id) if b.desk_id else None
        m = s.get(Member, b.member_id)
        emp = employer_label(s, b, "de")
        emp_en = employer_label(s, b, "en")
        ids = group_ids(s, b)
        s.expunge_all()
    return {"b": b, "space": sp, "desk": desk.label if desk else "–", "member": m, "opening": opening_of(sp, b.day),
            "employer": {"de": emp, "en": emp_en}, "ids": ids}


def finish(core, d: Draft, member_id: int | None) -> Reply:
    """Issue the buttons as tokens for the recipient. Group/room notices carry no buttons (a token
    is bound to one member)."""
    choices: list[list[Choice]] = []
    if d.buttons and member_id is not None:
        import secrets

        group = secrets.token_hex(4)
        flat = [(label, dict(action, group=group)) for row in d.buttons for label, action in row]
        tokens = core.members.issue_many(member_id, [a for _, a in flat])
        it = iter(Choice(label, tok) for (label, _), tok in zip(flat, tokens))
        choices = [[next(it) for _ in row] for row in d.buttons]
    return Reply(d.text, choices, list(d.attachments))


def render(core, row: RowView, lang: str, now: datetime, drafters: dict | None = None) -> Reply | Skip:
    """The row as a reply in the recipient's language, its buttons issued as tokens; or Skip."""
    d = draft(core, row, lang, now, drafters)
    if isinstance(d, (Skip, Reply)):
        return d
    return finish(core, d, row.member_id)



