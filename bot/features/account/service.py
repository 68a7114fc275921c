"""Account rules that need the store: what redeeming an invite code would change."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.domain import Status
from bot.storage.models import Booking, Employer, InviteCode


def employer_paid_ahead(s, member_id: int, employer_id: int, today: date) -> list[tuple[int, int]]:
    """(id, seat) of the member's bookings from `today` on that `employer_id` pays and that still hold or
    wait for a desk: what an employer switch has to move (self-paid) or cancel."""
    return [tuple(r) for r in s.execute(select(Booking.id, Booking.seat).where(
        Booking.member_id == member_id, Booking.employer_id == employer_id, Booking.payer == "employer",
        Booking.day >= today, Booking.status.in_((Status.CONFIRMED.value, Status.WAITLISTED.value))))]


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
        ids = [bid for bid, seat in employer_paid_ahead(s, member_id, old, today) if seat == 0]
        if not ids:
            return None
        return old, s.scalar(select(Employer.name).where(Employer.id == old)), ids
