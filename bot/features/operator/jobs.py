"""The operator feature's periodic work: the morning digest of who comes today, at each space's opening."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.clock import as_utc, local_at
from bot.router import Job
from bot.storage.models import Space
from bot.storage.outbox import notify_space


def digests(core, now: datetime) -> int:
    """At each space's opening time (once per open day): who comes today, to its operators and groups."""
    today = now.date()
    now_u = as_utc(now)
    n = 0
    with core.db.session() as s:
        for sp in s.scalars(select(Space).where(Space.active)):
            from bot.booking import opening_of

            opening = opening_of(sp, today)
            if opening is None:
                continue
            fire, close = local_at(core.clock.tz, today, opening[0]), local_at(core.clock.tz, today, opening[1])
            if not (as_utc(fire) <= now_u < as_utc(close)):
                continue
            if core.booking.closed_reason(s, sp, today):
                continue
            n += notify_space(s, sp.id, "digest", f"digest:{sp.id}:{today.isoformat()}", now=now, due_at=fire,
                              payload={"space_id": sp.id, "day": today.isoformat()})
    return n


def digests_fire_times(core, start: datetime, end: datetime):
    """Every space's opening time on every day."""
    from bot.booking import opening_of

    d0, d1 = start.astimezone(core.clock.tz).date(), end.astimezone(core.clock.tz).date()
    with core.db.session() as s:
        spaces = s.scalars(select(Space).where(Space.active)).all()
        for i in range((d1 - d0).days + 1):
            day = d0 + timedelta(days=i)
            for sp in spaces:
                op = opening_of(sp, day)
                if op:
                    yield local_at(core.clock.tz, day, op[0])


JOBS = [Job("digests", digests, digests_fire_times)]
