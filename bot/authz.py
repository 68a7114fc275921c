"""Authorization: who may see and change what. Every role-scoped query goes through here.

Rules
- An employer admin sees and changes only their own employer: its contingent, its staff (members
  with an `employee` role at that employer) and the bookings that employer paid for. Bookings a
  staff member paid themselves are private and never shown to the employer.
- An operator sees only the spaces they operate (arrivals, occupancy, closures, QR code).
- A region admin (issue 17) may do all of that for the employers and spaces of their region, plus the
  region's statistics; another region's data is not even found.
- A platform admin may do all of the above for every employer and space of every region, plus statistics
  (of all regions, or of the region they choose).
- Anybody else sees none of it; callers turn `Forbidden` into a friendly refusal that says why.

Grants are read fresh from the database for every request and again when a button is pressed, so a
role removed in between takes effect at once (a button issued earlier cannot be used to act later).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.domain import RoleKind
from bot.storage.models import Booking, Employer, Member, Region, Role, Space


class Forbidden(Exception):
    """The member may not do this. `reason` is a text key (see the features' texts)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Grants:
    member_id: int
    platform_admin: bool = False
    admin_of: frozenset[int] = frozenset()  # employer ids (employer_admin)
    operator_of: frozenset[int] = frozenset()  # space ids
    employee_of: frozenset[int] = frozenset()  # employer ids
    region_admin_of: frozenset[int] = frozenset()  # region ids (region_admin)
    region_employers: frozenset[int] = frozenset()  # the employers of those regions
    region_spaces: frozenset[int] = frozenset()  # the spaces of those regions

    @property
    def is_employer_admin(self) -> bool:
        return bool(self.admin_of)

    @property
    def is_operator(self) -> bool:
        return bool(self.operator_of)

    @property
    def is_region_admin(self) -> bool:
        return bool(self.region_admin_of)

    @property
    def is_district_admin(self) -> bool:
        """Platform admin or admin of a region: sees district figures (of their regions)."""
        return self.platform_admin or bool(self.region_admin_of)

    def may_admin_employer(self, employer_id: int | None) -> bool:
        return employer_id is not None and (self.platform_admin or employer_id in self.admin_of
                                            or employer_id in self.region_employers)

    def may_operate_space(self, space_id: int | None) -> bool:
        return space_id is not None and (self.platform_admin or space_id in self.operator_of
                                         or space_id in self.region_spaces)

    def may_see_region(self, region_id: int | None) -> bool:
        return region_id is not None and (self.platform_admin or region_id in self.region_admin_of)


def grants(s: Session, member_id: int) -> Grants:
    """What this member may do, read from the database now. A deleted member has no grants."""
    m = s.get(Member, member_id)
    if m is None or m.deleted_at is not None:
        return Grants(member_id)
    admin, ops, emp, regions, platform = set(), set(), set(), set(), False
    for kind, employer_id, space_id, region_id in s.execute(
        select(Role.kind, Role.employer_id, Role.space_id, Role.region_id).where(Role.member_id == member_id)
    ):
        if kind == RoleKind.PLATFORM_ADMIN.value:
            platform = True
        elif kind == RoleKind.REGION_ADMIN.value and region_id is not None:
            regions.add(region_id)
        elif kind == RoleKind.EMPLOYER_ADMIN.value and employer_id is not None:
            admin.add(employer_id)
        elif kind == RoleKind.OPERATOR.value and space_id is not None:
            ops.add(space_id)
        elif kind == RoleKind.EMPLOYEE.value and employer_id is not None:
            emp.add(employer_id)
    r_emps: frozenset[int] = frozenset()
    r_spaces: frozenset[int] = frozenset()
    if regions and not platform:
        r_emps = frozenset(s.scalars(select(Employer.id).where(Employer.region_id.in_(regions))))
        r_spaces = frozenset(s.scalars(select(Space.id).where(Space.region_id.in_(regions))))
    return Grants(member_id, platform, frozenset(admin), frozenset(ops), frozenset(emp), frozenset(regions), r_emps, r_spaces)


# --- requirements ------------------------------------------------------------------------------


def require_platform_admin(g: Grants) -> None:
    if not g.platform_admin:
        raise Forbidden("not_platform_admin")


def require_district_admin(g: Grants) -> None:
    if not g.is_district_admin:
        raise Forbidden("not_platform_admin")


def district_region(s: Session, g: Grants, slug: str | None = None) -> Region | None:
    """The region whose district figures this member asks for: the one named (a platform admin: any; a region
    admin: their own), else a region admin's own region, else (a platform admin) None: all regions.
    Raises Forbidden("unknown_region") for a name that is no region, ("not_your_region") for another's."""
    require_district_admin(g)
    if slug:
        text = " ".join(slug.split()).lower()
        region = next((r for r in s.scalars(select(Region).order_by(Region.id))
                       if text in (r.slug, r.name.lower(), r.name.lower().replace(" ", "-"))), None)
        if region is None:
            raise Forbidden("unknown_region")
        if not g.may_see_region(region.id):
            raise Forbidden("not_your_region")
        return region
    if g.platform_admin:
        return None
    return s.get(Region, min(g.region_admin_of))


def visible_regions(s: Session, g: Grants) -> list[Region]:
    """The regions whose figures this member may see (all for a platform admin), in id order."""
    if not g.is_district_admin:
        return []
    q = select(Region).order_by(Region.id)
    if not g.platform_admin:
        q = q.where(Region.id.in_(g.region_admin_of))
    return list(s.scalars(q))


def require_employer(g: Grants, employer_id: int | None) -> None:
    if not g.may_admin_employer(employer_id):
        raise Forbidden("not_your_employer" if g.is_employer_admin else "not_your_region" if g.is_region_admin
                        else "not_employer_admin")


def require_space(g: Grants, space_id: int | None) -> None:
    if not g.may_operate_space(space_id):
        raise Forbidden("not_your_space" if g.is_operator else "not_your_region" if g.is_region_admin else "not_operator")


# --- scoped lookups ----------------------------------------------------------------------------


def admin_employers(s: Session, g: Grants, slug: str | None = None) -> list[Employer]:
    """Employers this member administers (all for a platform admin), optionally the one named.
    Raises Forbidden when there is none or the named one is not theirs."""
    if not (g.platform_admin or g.admin_of or g.region_employers):
        raise Forbidden("not_employer_admin")
    q = select(Employer).order_by(Employer.name)
    if slug:
        emp = s.scalar(q.where(Employer.slug == slug.lower()))
        if emp is None:
            raise Forbidden("unknown_employer")
        require_employer(g, emp.id)
        return [emp]
    if not g.platform_admin:
        q = q.where(Employer.id.in_(g.admin_of | g.region_employers))
    return list(s.scalars(q))


def operated_spaces(s: Session, g: Grants, slug: str | None = None) -> list[Space]:
    """Spaces this member operates (all active spaces for a platform admin, those of their region for a region
    admin), optionally the one named."""
    if not (g.platform_admin or g.operator_of or g.region_spaces):
        raise Forbidden("not_operator")
    q = select(Space).order_by(Space.slug)
    if slug:
        sp = s.scalar(q.where(Space.slug == slug.lower()))
        if sp is None:
            raise Forbidden("unknown_space")
        require_space(g, sp.id)
        return [sp]
    if g.platform_admin:
        q = q.where(Space.active)
    elif g.region_spaces:  # a region admin: the region's active spaces and those they operate
        q = q.where(Space.id.in_(g.operator_of) | (Space.id.in_(g.region_spaces) & Space.active))
    else:
        q = q.where(Space.id.in_(g.operator_of))
    return list(s.scalars(q))


def staff_of(s: Session, g: Grants, employer_id: int) -> list[tuple[Member, Role]]:
    """The employer's staff (employee roles), for its admins only."""
    require_employer(g, employer_id)
    return list(s.execute(
        select(Member, Role).join(Role, Role.member_id == Member.id)
        .where(Role.kind == RoleKind.EMPLOYEE.value, Role.employer_id == employer_id, Member.deleted_at.is_(None))
        .order_by(Member.display_name, Member.id)
    ).tuples())


def find_staff(s: Session, g: Grants, employer_id: int, ref: str) -> tuple[Member, Role] | None | list:
    """One staff member by `#id`, id or (unique) name prefix -- looked up among this employer's staff
    only, so another employer's people cannot even be found. Returns None, the match, or a list of
    candidates when the name is ambiguous."""
    staff = staff_of(s, g, employer_id)
    ref = ref.strip().lstrip("#")
    if ref.isdigit():
        return next(((m, r) for m, r in staff if m.id == int(ref)), None)
    low = ref.lower()
    exact = [(m, r) for m, r in staff if (m.display_name or "").lower() == low]
    if len(exact) == 1:
        return exact[0]
    hits = exact or [(m, r) for m, r in staff if (m.display_name or "").lower().startswith(low)]
    if len(hits) == 1:
        return hits[0]
    return hits or None


def employer_bookings(g: Grants, employer_id: int, day_from: date, day_to: date) -> Select:
    """Bookings the employer paid for, in a date range (inclusive). Self-paid bookings are private."""
    require_employer(g, employer_id)
    return select(Booking).where(
        Booking.employer_id == employer_id, Booking.payer == "employer",
        Booking.day >= day_from, Booking.day <= day_to,
    )


def space_bookings(g: Grants, space_ids: list[int], day_from: date, day_to: date) -> Select:
    """Bookings at the given spaces (each must be operated by this member)."""
    for sid in space_ids:
        require_space(g, sid)
    return select(Booking).where(Booking.space_id.in_(space_ids), Booking.day >= day_from, Booking.day <= day_to)


def booking_for_operator(s: Session, g: Grants, booking_id: int) -> Booking:
    b = s.get(Booking, booking_id)
    if b is None:
        raise Forbidden("unknown_booking")
    require_space(g, b.space_id)
    return b
