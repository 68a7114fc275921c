"""Desk choice (issue 17), the reading side: which desks a space has, their features (the world file's
`desk_features`: monitor, quiet, standing, ...) and which are free on a day.

Booking a wished desk is `BookingService.book(..., desk_label=, features=)` (the one writer); this module
only reads, for answers ("Ist Platz 3 morgen frei?", "wo gibt es Freitag einen Platz mit Monitor?") and for
the buttons offered when a wish cannot be met.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from bot.booking import BookingService, SpaceInfo, closed_given, space_info
from bot.domain import ACTIVE_STATUSES
from bot.storage.models import Booking, Desk, Space, minute_ordinal


@dataclass(frozen=True, slots=True)
class DeskState:
    label: str
    features: tuple[str, ...]
    free: bool

    def has(self, features) -> bool:
        return set(features) <= set(self.features)


@dataclass(slots=True)
class SpaceDesks:
    """One space on one day: its desks (in desk order) and whether each is free; `closed`: why not open."""

    space: SpaceInfo
    desks: list[DeskState] = field(default_factory=list)
    closed: str | None = None

    def free(self, features=()) -> list[DeskState]:
        return [] if self.closed else [d for d in self.desks if d.free and d.has(features)]

    def having(self, features) -> list[DeskState]:
        return [d for d in self.desks if d.has(features)]

    def desk(self, label: str) -> DeskState | None:
        return next((d for d in self.desks if d.label == label), None) or \
            next((d for d in self.desks if d.label.casefold() == label.casefold()), None)


def desk_features(svc: BookingService, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, ...]]:
    """{(space slug, desk label): features} of the desks named (those without features are left out)."""
    slugs = {slug for slug, _ in pairs}
    if not slugs:
        return {}
    with svc.db.session() as s:
        rows = s.execute(select(Space.slug, Desk.label, Desk.features).join(Space, Space.id == Desk.space_id)
                         .where(Space.slug.in_(slugs))).all()
    return {(slug, label): tuple(f) for slug, label, f in rows if f and (slug, label) in pairs}


def day_desks(svc: BookingService, day: date, space_slug: str | None = None, *, part: str | None = None,
              start: str | None = None, end: str | None = None) -> list[SpaceDesks]:
    """Every active space (or the one named) on a day, with each desk's features and whether it is free for the
    part or hours asked (the whole opening time by default). Four queries, whatever the number of spaces."""
    with svc.db.session() as s:
        q = select(Space).where(Space.active).order_by(Space.slug)
        if space_slug:
            q = q.where(Space.slug == space_slug)
        spaces = list(s.scalars(q))
        ids = [sp.id for sp in spaces]
        if not ids:
            return []
        closures = svc.day_closures(s, ids, day)
        desks = s.execute(select(Desk.space_id, Desk.id, Desk.label, Desk.features)
                          .where(Desk.active, Desk.space_id.in_(ids)).order_by(Desk.id)).all()
        busy = s.execute(select(Booking.desk_id, Booking.t0, Booking.t1).where(
            Booking.day == day, Booking.space_id.in_(ids), Booking.status.in_(ACTIVE_STATUSES),
            Booking.desk_id.is_not(None))).all()
        out: list[SpaceDesks] = []
        by_space: dict[int, SpaceDesks] = {}
        window: dict[int, tuple[int, int]] = {}
        for sp in spaces:
            sd = by_space[sp.id] = SpaceDesks(space_info(sp))
            out.append(sd)
            closed = closed_given(sp, day, closures.get(sp.id))
            if closed:
                sd.closed = closed[1] or closed[0]
                continue
            iv = svc.interval(sp, day, part, start, end)
            if not isinstance(iv, tuple):
                sd.closed = "hours"
                continue
            window[sp.id] = (minute_ordinal(day, iv[1]), minute_ordinal(day, iv[2]))
    taken: dict[int, list[tuple[int, int]]] = {}
    for desk_id, t0, t1 in busy:
        taken.setdefault(desk_id, []).append((t0, t1))
    for space_id, desk_id, label, feats in desks:
        w = window.get(space_id)
        free = w is not None and not any(t0 < w[1] and t1 > w[0] for t0, t1 in taken.get(desk_id, ()))
        by_space[space_id].desks.append(DeskState(label, tuple(feats or ()), free))
    return out


def nearest(here: SpaceInfo, spaces: list[SpaceDesks]) -> list[SpaceDesks]:
    """Other spaces, nearest first (without coordinates: last, by name)."""
    def key(sd: SpaceDesks):
        km = here.km_to(sd.space)
        return (km is None, km or 0.0, sd.space.name)
    return sorted((sd for sd in spaces if sd.space.slug != here.slug), key=key)
