"""Regions (issue 17) as the chat and the views need them: which region a space is in, which region a member
books in, and the spaces a member is offered.

A member books in the region of the code they redeemed (`members.region_id`: an employee code is its employer's
region, a self-paid `member` code names one); a member without one is in the first region (the home district
of a one-region world). Suggestions, alternatives, quick-book buttons and "what is free" lists show only that
region; naming a space of another region gets an answer that says which region it belongs to.

The map is read once and kept with the parser's space list (`Core.space_refs()`): when that is refreshed
(a world load, an import), so is this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from bot.domain import SpaceRef
from bot.storage.models import Region, Space


@dataclass(frozen=True, slots=True)
class RegionInfo:
    id: int
    slug: str
    name: str
    holiday_region: str


@dataclass(frozen=True, slots=True)
class RegionMap:
    regions: tuple[RegionInfo, ...] = ()  # in id order: the first is the home region
    of_space: dict[str, int] = field(default_factory=dict)  # space slug -> region id (every space)

    @property
    def several(self) -> bool:
        return len(self.regions) > 1

    @property
    def home(self) -> RegionInfo | None:
        return self.regions[0] if self.regions else None

    def get(self, region_id: int | None) -> RegionInfo | None:
        return next((r for r in self.regions if r.id == region_id), None)

    def by_slug(self, slug: str | None) -> RegionInfo | None:
        return next((r for r in self.regions if r.slug == (slug or "").lower()), None)

    def of(self, space_slug: str | None) -> RegionInfo | None:
        return self.get(self.of_space.get(space_slug or ""))

    def space_slugs(self, region_id: int) -> set[str]:
        return {slug for slug, rid in self.of_space.items() if rid == region_id}


def load_region_map(s) -> RegionMap:
    """Read the map (two small queries); `Core.space_refs()` does so with the parser's spaces."""
    regions = tuple(RegionInfo(r.id, r.slug, r.name, r.holiday_region)
                    for r in s.scalars(select(Region).order_by(Region.id)))
    return RegionMap(regions, dict(s.execute(select(Space.slug, Space.region_id)).tuples().all()))


def region_map(core) -> RegionMap:
    refs = core.space_refs()
    cached = getattr(core, "_region_map", None)
    if cached is not None and cached[0] is refs:
        return cached[1]
    with core.db.session() as s:
        rmap = load_region_map(s)
    core._region_map = (refs, rmap)
    return rmap


def member_region(core, member) -> RegionInfo | None:
    """The region the member books in: their code's, else the first region."""
    rmap = region_map(core)
    return rmap.get(getattr(member, "region_id", None)) or rmap.home


def member_refs(core, member) -> list[SpaceRef]:
    """The spaces (as the parser knows them) the member is offered: those of their region."""
    refs = list(core.space_refs())
    rmap = region_map(core)
    if not rmap.several:
        return refs
    region = member_region(core, member)
    return [r for r in refs if region is None or rmap.of_space.get(r.slug) == region.id]


def in_member_region(core, member, space_slug: str | None) -> bool:
    rmap = region_map(core)
    if not rmap.several or space_slug is None or space_slug not in rmap.of_space:
        return True
    region = member_region(core, member)
    return region is None or rmap.of_space[space_slug] == region.id


def same_region(core, space_slug: str) -> set[str] | None:
    """The slugs of the spaces in the same region as this one (None: one region only, every space)."""
    rmap = region_map(core)
    if not rmap.several or space_slug not in rmap.of_space:
        return None
    return rmap.space_slugs(rmap.of_space[space_slug])


def foreign_space(core, member, space_slug: str | None) -> tuple[RegionInfo, RegionInfo] | None:
    """(the space's region, the member's region) when the member names a space of another region, else None."""
    if in_member_region(core, member, space_slug):
        return None
    rmap = region_map(core)
    return rmap.of(space_slug), member_region(core, member)


def foreign_space_reply(core, ctx, space_slug: str | None) -> list | None:
    """The answer to naming a space of another region (nothing is booked), or None when it is the member's."""
    hit = foreign_space(core, ctx.member, space_slug)
    if hit is None:
        return None
    from bot.domain import Reply
    from bot.i18n import t

    theirs, mine = hit
    name = next((r.name for r in core.space_refs() if r.slug == space_slug), space_slug)
    towns = ", ".join(r.town for r in member_refs(core, ctx.member))
    return [Reply(t(ctx.lang, "space_other_region", space=name, region=theirs.name if theirs else "?",
                    home=mine.name if mine else "?", towns=towns))]
