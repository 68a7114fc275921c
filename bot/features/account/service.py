"""Account rules that need the store: what redeeming an invite code would change."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.domain import Status
from bot.storage.models import Booking, Employer, InviteCode


def employer_switch(core, member_id: int, code_text: str, employer_ids: list[int], today: date):
    """When an employee code of another employer would replace the member's employment: (old employer id, its
    name, the member's future bookings that employer pays). None when nothing would move."""
    if not employer_ids:
        return None
    code_text = code_text.strip()
    with core.db.session() as s:
        code = s.scalar(select(InviteCode).where(InviteCode.code.in_({code_text, code_text.upper()})))
        if code is None or code.kind != "employee" or code.employer_id is None or code.employer_id in employer_ids:
            return None
        old = employer_ids[0]
        ids = list(s.scalars(select(Booking.id).where(
            Booking.member_id == member_id, Booking.employer_id == old, Booking.payer == "employer",
            Booking.day >= today, Booking.seat == 0,
            Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value)))))
        if not ids:
            return None
        return old, s.scalar(select(Employer.name).where(Employer.id == old)), ids
