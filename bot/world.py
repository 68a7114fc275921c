"""The world file (regions, spaces, desks, employers, invite codes) and loading it into the store.

Regions (issue 17) are the tenants: every space, employer and code belongs to one. A world without a
`regions:` section puts everything into one region `default`; a space or employer without `region:`
belongs to the first region of the file. A space's holidays are its region's unless it names its own.

Loading is idempotent: spaces, employers and codes are matched by slug / code and updated in place,
so the file can be edited and loaded again (`deskbot world load`). Nothing is deleted by a load.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from bot.domain import SpaceRef

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class WorldError(Exception):
    """The world file is malformed; the message names the place."""


def _parse_hours(value: str | None) -> list[str] | None:
    if value in (None, "", "closed", "geschlossen"):
        return None
    m = _HOURS.match(str(value).strip())
    if not m:
        raise ValueError(f"opening hours must look like 08:00-18:00, got {value!r}")
    h0, m0, h1, m1 = map(int, m.groups())
    if not (0 <= h0 < 24 and 0 <= h1 <= 24 and m0 < 60 and m1 < 60 and h0 * 60 + m0 < h1 * 60 + m1):
        raise ValueError(f"opening hours out of range: {value!r}")
    return [f"{h0:02d}:{m0:02d}", f"{h1:02d}:{m1:02d}"]


class CodeSpec(BaseModel):
    code: str
    kind: str = "employee"
    max_uses: int | None = None
    expires: datetime | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in CODE_KINDS:
            raise ValueError("kind must be " + ", ".join(CODE_KINDS[:-1]) + " or " + CODE_KINDS[-1])
        return v


# member: a self-paid commuter's code, it only places its user in its region (no employer)
CODE_KINDS = ("employee", "member", "employer_admin", "operator", "region_admin", "platform_admin")
DEFAULT_REGION = "default"


class RegionSpec(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    holiday_region: str | None = None  # NW, RP, ... (German state codes); the defaults' otherwise
    admin_codes: list[CodeSpec] = Field(default_factory=list)  # region admins: see and run only this region
    member_codes: list[CodeSpec] = Field(default_factory=list)  # self-paid commuters of this region


class SpaceSpec(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    region: str | None = None
    town: str
    address: str = ""
    desks: int | list[str] = 3
    desk_features: dict[str, list[str]] = Field(default_factory=dict)
    opening_hours: dict[str, str | None] | None = None
    day_price_eur: float | None = None
    cancel_cutoff_hours: int | None = None
    checkin_deadline_minutes: int | None = None
    holiday_region: str | None = None
    operator_code: str | None = None
    lat: float | None = None
    lon: float | None = None


class EmployerSpec(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    region: str | None = None
    days_per_employee: float | None = None
    pool_days: float | None = None
    alert_percent: int = 20
    invite_codes: list[CodeSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _policy(self) -> EmployerSpec:
        for v in (self.days_per_employee, self.pool_days):
            if v is not None and (v < 0 or (v * 2) != int(v * 2)):
                raise ValueError("contingent days must be whole or half days, not negative")
        return self


class WorldSpec(BaseModel):
    defaults: dict[str, Any] = Field(default_factory=dict)
    regions: list[RegionSpec] = Field(default_factory=list)
    spaces: list[SpaceSpec] = Field(default_factory=list)
    employers: list[EmployerSpec] = Field(default_factory=list)
    platform_admin_codes: list[CodeSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _regions_named(self) -> WorldSpec:
        known = {r.slug for r in self.regions}
        if len(known) != len(self.regions):
            raise ValueError("a region slug is listed twice")
        if known:  # without a regions: section, a named region must already be in the store (checked on load)
            for kind, items in (("space", self.spaces), ("employer", self.employers)):
                for item in items:
                    if item.region is not None and item.region not in known:
                        raise ValueError(f"{kind} {item.slug}: unknown region {item.region!r} (regions: {', '.join(sorted(known))})")
        return self


def read_world(path: Path) -> WorldSpec:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise WorldError(f"world file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise WorldError(f"{path}: not valid YAML: {exc}") from None
    try:
        return WorldSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise WorldError(f"{path}: {where}: {err['msg']}") from None


def region_id_by_slug(session: Session, slug: str, *, name: str | None = None, holiday_region: str = "NW") -> int:
    """The region's id; made (with `name`) if it is not there yet."""
    from sqlalchemy import select

    from bot.storage.models import Region

    region = session.scalar(select(Region).where(Region.slug == slug))
    if region is None:
        region = Region(slug=slug, name=name or slug, holiday_region=holiday_region, timezone="Europe/Berlin")
        session.add(region)
        session.flush()
    return region.id


def space_refs_from_file(path: Path) -> list[SpaceRef]:
    """The spaces as the parser needs them, without touching a database."""
    return [SpaceRef(s.slug, s.name, s.town) for s in read_world(path).spaces]


def _hours_map(spec: dict[str, str | None]) -> dict[str, list[str] | None]:
    out: dict[str, list[str] | None] = {}
    for day in WEEKDAYS:
        out[day] = _parse_hours(spec.get(day))
    return out


def load_world(session: Session, world: WorldSpec, *, now: datetime | None = None) -> dict[str, int]:
    """Insert or update everything in the world spec. Returns counts of what changed."""
    from sqlalchemy import select

    from bot.storage.models import Desk, Employer, Region, Space
    now = now or datetime.now(timezone.utc)

    d = world.defaults
    counts = {"regions": 0, "spaces": 0, "desks": 0, "employers": 0, "codes": 0}
    regions = {r.slug: r for r in session.scalars(select(Region))}
    if world.regions and DEFAULT_REGION in regions and not ({r.slug for r in world.regions} & set(regions)):
        # a store upgraded by 0008 holds one region `default`: the file's first region is that one, named now
        regions[world.regions[0].slug] = regions.pop(DEFAULT_REGION)
        regions[world.regions[0].slug].slug = world.regions[0].slug
    for spec in world.regions:
        region = regions.get(spec.slug)
        if region is None:
            region = regions[spec.slug] = Region(slug=spec.slug)
            session.add(region)
            counts["regions"] += 1
        region.name = spec.name
        region.holiday_region = spec.holiday_region or d.get("holiday_region", "NW")
        region.timezone = d.get("timezone", "Europe/Berlin")
    if world.regions:
        home = world.regions[0].slug
    elif regions:  # a file without regions (an old world, a CSV import): the store's first region
        home = min(regions.values(), key=lambda r: r.id).slug
    else:
        home = DEFAULT_REGION
        regions[home] = Region(slug=home, name="Region", holiday_region=d.get("holiday_region", "NW"),
                               timezone=d.get("timezone", "Europe/Berlin"))
        session.add(regions[home])
        counts["regions"] += 1
    session.flush()

    def region_of(slug: str | None, what: str) -> Region:
        region = regions.get(slug or home)
        if region is None:
            raise WorldError(f"{what}: unknown region {slug!r} (regions: {', '.join(sorted(regions))})")
        return region

    for spec in world.regions:
        for kind, codes in (("region_admin", spec.admin_codes), ("member", spec.member_codes)):
            for code in codes:
                counts["codes"] += _upsert_code(session, code.model_copy(update={"kind": kind}), now,
                                                region_id=regions[spec.slug].id)
    spaces_by_slug = {s.slug: s for s in session.scalars(select(Space))}
    for spec in world.spaces:
        try:
            hours = _hours_map(spec.opening_hours or d.get("opening_hours") or {})
        except ValueError as exc:
            raise WorldError(f"space {spec.slug}: {exc}") from None
        space = spaces_by_slug.get(spec.slug)
        if space is None:
            space = Space(slug=spec.slug)
            session.add(space)
            counts["spaces"] += 1
        space.name, space.town, space.address = spec.name, spec.town, spec.address
        space.opening_hours = hours
        space.day_price_cents = round(100 * float(spec.day_price_eur if spec.day_price_eur is not None else d.get("day_price_eur", 0)))
        space.cancel_cutoff_hours = spec.cancel_cutoff_hours if spec.cancel_cutoff_hours is not None else int(d.get("cancel_cutoff_hours", 12))
        space.checkin_deadline_minutes = (
            spec.checkin_deadline_minutes if spec.checkin_deadline_minutes is not None else int(d.get("checkin_deadline_minutes", 120))
        )
        region = region_of(spec.region, f"space {spec.slug}")
        space.region_id = region.id
        # holidays are the region's; a space may name its own (a town across a state border)
        space.holiday_region = spec.holiday_region or region.holiday_region
        space.timezone = d.get("timezone", "Europe/Berlin")
        space.lat, space.lon = spec.lat, spec.lon
        session.flush()
        labels = spec.desks if isinstance(spec.desks, list) else [str(i) for i in range(1, spec.desks + 1)]
        existing = {desk.label: desk for desk in session.scalars(select(Desk).where(Desk.space_id == space.id))}
        for label in labels:
            desk = existing.get(label)
            if desk is None:
                desk = Desk(space_id=space.id, label=label)
                session.add(desk)
                counts["desks"] += 1
            desk.features = spec.desk_features.get(label, [])
            desk.active = True
        if spec.operator_code:
            counts["codes"] += _upsert_code(session, CodeSpec(code=spec.operator_code, kind="operator"), now,
                                            space_id=space.id, region_id=region.id)
    employers = {e.slug: e for e in session.scalars(select(Employer))}
    for spec in world.employers:
        emp = employers.get(spec.slug)
        if emp is None:
            emp = Employer(slug=spec.slug)
            session.add(emp)
            counts["employers"] += 1
        emp.name = spec.name
        emp.region_id = region_of(spec.region, f"employer {spec.slug}").id
        emp.days_per_employee_halves = None if spec.days_per_employee is None else int(spec.days_per_employee * 2)
        emp.pool_halves = None if spec.pool_days is None else int(spec.pool_days * 2)
        emp.alert_percent = spec.alert_percent
        session.flush()
        for code in spec.invite_codes:
            counts["codes"] += _upsert_code(session, code, now, employer_id=emp.id, region_id=emp.region_id)
    for code in world.platform_admin_codes:  # all regions; the code itself is filed under the home region
        counts["codes"] += _upsert_code(session, code.model_copy(update={"kind": "platform_admin"}), now,
                                        region_id=regions[home].id)
    session.flush()
    return counts


def _upsert_code(session: Session, spec: CodeSpec, now: datetime, *, region_id: int, employer_id: int | None = None,
                 space_id: int | None = None) -> int:
    from sqlalchemy import select

    from bot.storage.models import InviteCode

    code = session.scalar(select(InviteCode).where(InviteCode.code == spec.code))
    created = 0
    if code is None:
        code = InviteCode(code=spec.code, uses=0, created_at=now)
        session.add(code)
        created = 1
    code.kind = spec.kind
    code.employer_id, code.space_id, code.region_id = employer_id, space_id, region_id
    code.max_uses = spec.max_uses
    if spec.expires is not None:
        code.expires_at = spec.expires if spec.expires.tzinfo else spec.expires.replace(tzinfo=timezone.utc)
    return created
