"""Booking for a colleague: who counts as a colleague (an employee of the same employer), found by first name."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.models import Member, Role


def find_colleagues(core, member_id: int, employer_ids: list[int], name: str) -> list[tuple[int, str]]:
    """(member id, display name) of the member's colleagues whose name is or starts with `name` (case-folded)."""
    if not employer_ids or not name.strip():
        return []
    folded = name.strip().casefold()
    with core.db.session() as s:
        rows = s.execute(select(Member.id, Member.display_name).join(Role, Role.member_id == Member.id).where(
            Role.kind == "employee", Role.employer_id.in_(employer_ids), Member.id != member_id,
            Member.deleted_at.is_(None), func.lower(Member.display_name).like(f"{folded[:60]}%")).distinct()).all()
    exact = [(i, n) for i, n in rows if n.casefold() == folded or n.casefold().split()[0] == folded]
    return exact or [(i, n) for i, n in rows]
