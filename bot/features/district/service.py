"""The district's master data, for the platform admin: regions, spaces, desks, employers, members, invite
codes, roles, and importing spaces and employers from CSV or a world YAML. Listings take `region` (a slug):
only that region's rows (issue 17: regions are tenants).

Every function opens its own unit of work (`core.db.session()`), returns plain rows and raises
`DistrictError` (with the exit code the CLI should use) when the request cannot be done. Changes write
an audit row (`detail.via`, "cli" by default). Booking state is not touched here: revoking an employee
goes through `bot.features.employer.chat.remove_employee` (which calls `BookingService.move_to_self_paid`).
"""

from __future__ import annotations

import csv
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.storage.models import (
    AuditLog,
    Desk,
    Employer,
    Identity,
    InviteCode,
    Member,
    Region,
    Role,
    Space,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.world import WorldSpec

KINDS = ("employee", "employer_admin", "operator", "region_admin", "platform_admin")  # roles
CODE_KINDS = ("employee", "member", "employer_admin", "operator", "region_admin", "platform_admin")  # + self-paid
IMPORT_CHUNK = 100  # rows loaded per step of an import (the progress callback is called after each)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class DistrictError(Exception):
    """A request that cannot be done; `code` is the exit code for the command line."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


class NotFound(DistrictError):
    """No space / employer / code / member with that key (`what`, `key`)."""

    def __init__(self, what: str, key: str | int) -> None:
        super().__init__(f"no member #{key}" if what == "member" else f"no {what} {key!r}")
        self.what = what
        self.key = key


def audit(s: Session, action: str, now: datetime, *, actor_id: int | None = None, via: str = "cli", **detail) -> None:
    """One audit row for a platform admin's change."""
    s.add(AuditLog(at=now, actor_member_id=actor_id, action=action, detail={"via": via, **detail}))


def region_by_slug(s: Session, slug: str | None) -> Region:
    """The region named, or (None) the first region: the home region of a one-district world."""
    if slug is None:
        region = s.scalar(select(Region).order_by(Region.id).limit(1))
        if region is None:
            raise NotFound("region", "")
        return region
    region = s.scalar(select(Region).where(Region.slug == slug.lower()))
    if region is None:
        raise NotFound("region", slug)
    return region


def region_id(core, slug: str) -> int:
    """The id of the region with this slug (NotFound otherwise)."""
    with core.db.session() as s:
        return region_by_slug(s, slug).id


def space_by_slug(s: Session, slug: str) -> Space:
    sp = s.scalar(select(Space).where(Space.slug == slug))
    if sp is None:
        raise NotFound("space", slug)
    return sp


def employer_by_slug(s: Session, slug: str) -> Employer:
    e = s.scalar(select(Employer).where(Employer.slug == slug))
    if e is None:
        raise NotFound("employer", slug)
    return e


# --- listings --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegionRow:
    slug: str
    name: str
    holiday_region: str
    spaces: int
    employers: int
    members: int  # members who book there (their code's region)
    admins: int  # region admins


@dataclass(frozen=True, slots=True)
class SpaceRow:
    slug: str
    name: str
    town: str
    desks: int
    day_price_cents: int
    operators: int
    active: bool
    region: str = ""  # slug


@dataclass(frozen=True, slots=True)
class DeskRow:
    label: str
    features: tuple[str, ...]
    active: bool


@dataclass(frozen=True, slots=True)
class EmployerRow:
    slug: str
    name: str
    days_per_employee_halves: int | None
    pool_halves: int | None
    employees: int
    admins: int
    active: bool
    region: str = ""  # slug


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: int
    name: str
    lang: str
    roles: tuple[str, ...]  # "employee:stadtwerke", "operator:coesfeld", "platform_admin"
    accounts: tuple[str, ...]  # transports
    commute_km: float | None
    last_seen: datetime | None
    deleted: bool
    region: str = ""  # slug of the region the member books in ("" before any code)


def _region_filter(s: Session, region: str | None, column):
    """[column == the region's id] for a region slug (NotFound for an unknown one), [] for None."""
    return [] if region is None else [column == region_by_slug(s, region).id]


def _region_slugs(s: Session) -> dict[int, str]:
    return dict(s.execute(select(Region.id, Region.slug)).tuples().all())


def regions(core) -> list[RegionRow]:
    """Every region, with how many spaces, employers, members and region admins it has."""
    with core.db.session() as s:
        def count(col):
            return dict(s.execute(select(col, func.count()).where(col.is_not(None)).group_by(col)).tuples().all())

        n_sp, n_emp = count(Space.region_id), count(Employer.region_id)
        n_mem = dict(s.execute(select(Member.region_id, func.count()).where(Member.region_id.is_not(None),
                                                                             Member.deleted_at.is_(None))
                               .group_by(Member.region_id)).tuples().all())
        n_adm = dict(s.execute(select(Role.region_id, func.count()).where(Role.kind == "region_admin")
                               .group_by(Role.region_id)).tuples().all())
        return [RegionRow(r.slug, r.name, r.holiday_region, n_sp.get(r.id, 0), n_emp.get(r.id, 0), n_mem.get(r.id, 0),
                          n_adm.get(r.id, 0)) for r in s.scalars(select(Region).order_by(Region.id))]


def spaces(core, region: str | None = None) -> list[SpaceRow]:
    """Every space by slug (of one region: `region`), with its active desks and operators."""
    with core.db.session() as s:
        where = _region_filter(s, region, Space.region_id)
        slugs = _region_slugs(s)
        desks = dict(s.execute(select(Desk.space_id, func.count(Desk.id)).where(Desk.active).group_by(Desk.space_id)).all())
        ops = dict(s.execute(select(Role.space_id, func.count(Role.id)).where(Role.kind == "operator")
                             .group_by(Role.space_id)).all())
        return [SpaceRow(sp.slug, sp.name, sp.town, desks.get(sp.id, 0), sp.day_price_cents, ops.get(sp.id, 0), sp.active,
                         slugs.get(sp.region_id, ""))
                for sp in s.scalars(select(Space).where(*where).order_by(Space.slug))]


def desks(core, slug: str) -> tuple[str, list[DeskRow]]:
    """The space's name and its desks (active or not)."""
    with core.db.session() as s:
        sp = space_by_slug(s, slug)
        return sp.name, [DeskRow(d.label, tuple(d.features or ()), d.active)
                         for d in s.scalars(select(Desk).where(Desk.space_id == sp.id).order_by(Desk.id))]


def employers(core, region: str | None = None) -> list[EmployerRow]:
    """Every employer by slug (of one region: `region`), with its contingent policy and how many employees and
    admins it has."""
    with core.db.session() as s:
        where = _region_filter(s, region, Employer.region_id)
        slugs = _region_slugs(s)
        counts = {(k, e): n for k, e, n in s.execute(
            select(Role.kind, Role.employer_id, func.count(Role.id)).where(Role.employer_id.is_not(None))
            .group_by(Role.kind, Role.employer_id))}
        return [EmployerRow(e.slug, e.name, e.days_per_employee_halves, e.pool_halves, counts.get(("employee", e.id), 0),
                            counts.get(("employer_admin", e.id), 0), e.active, slugs.get(e.region_id, ""))
                for e in s.scalars(select(Employer).where(*where).order_by(Employer.slug))]


def members(core, search: str | None = None, limit: int = 100, region: str | None = None) -> list[MemberRow]:
    """Members by id (at most `limit`; `search`: part of the display name; `region`: who books there), with roles
    and chat accounts."""
    with core.db.session() as s:
        emp = dict(s.execute(select(Employer.id, Employer.slug)).all())
        sps = dict(s.execute(select(Space.id, Space.slug)).all())
        slugs = _region_slugs(s)
        q = select(Member).where(*_region_filter(s, region, Member.region_id)).order_by(Member.id).limit(limit)
        if search:
            q = q.where(func.lower(Member.display_name).contains(search.lower()))
        found = list(s.scalars(q))
        ids = [m.id for m in found] or [0]
        roles: dict[int, list[str]] = {}
        for r in s.scalars(select(Role).where(Role.member_id.in_(ids)).order_by(Role.id)):
            roles.setdefault(r.member_id, []).append(
                r.kind + (f":{emp.get(r.employer_id)}" if r.employer_id else "") + (f":{sps.get(r.space_id)}" if r.space_id else "")
                + (f":{slugs.get(r.region_id)}" if r.region_id else ""))
        accounts: dict[int, list[str]] = {}
        for i in s.scalars(select(Identity).where(Identity.member_id.in_(ids)).order_by(Identity.id)):
            accounts.setdefault(i.member_id, []).append(i.transport)
        return [MemberRow(m.id, m.display_name, m.lang, tuple(roles.get(m.id, ())), tuple(accounts.get(m.id, ())),
                          m.commute_km, m.last_seen_at, m.deleted_at is not None, slugs.get(m.region_id, ""))
                for m in found]


# --- invite codes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeRow:
    code: str
    kind: str
    target: str  # employer or space slug, "" for platform_admin codes
    uses: int
    max_uses: int | None
    expires_at: datetime | None  # in the district's time zone
    state: str  # "active" | "expired/revoked" | "used up"
    region: str = ""  # slug


def codes(core, employer: str | None = None, *, include_all: bool = False, region: str | None = None) -> list[CodeRow]:
    """Invite codes by code (of one region: `region`); only usable ones unless `include_all`."""
    now = core.clock.now()
    with core.db.session() as s:
        emp = {e.id: e.slug for e in s.scalars(select(Employer))}
        sps = {x.id: x.slug for x in s.scalars(select(Space))}
        slugs = _region_slugs(s)
        q = select(InviteCode).where(*_region_filter(s, region, InviteCode.region_id)).order_by(InviteCode.code)
        if employer:
            eid = next((i for i, slug in emp.items() if slug == employer), None)
            if eid is None:
                raise NotFound("employer", employer)
            q = q.where(InviteCode.employer_id == eid)
        out = []
        for c in s.scalars(q):
            state = "active"
            if c.expires_at is not None and c.expires_at <= now:
                state = "expired/revoked"
            elif c.max_uses is not None and c.uses >= c.max_uses:
                state = "used up"
            if state != "active" and not include_all:
                continue
            out.append(CodeRow(c.code, c.kind, emp.get(c.employer_id) or sps.get(c.space_id) or "", c.uses, c.max_uses,
                               c.expires_at.astimezone(core.clock.tz) if c.expires_at else None, state,
                               slugs.get(c.region_id, "")))
        return out


def check_code_target(kind: str, employer: str | None, space: str | None) -> None:
    """The kind is known and names what it needs (no database)."""
    if kind not in CODE_KINDS:
        raise DistrictError(f"--kind: one of {', '.join(CODE_KINDS)}")
    if kind in ("employee", "employer_admin") and not employer:
        raise DistrictError(f"--employer is needed for kind {kind}")
    if kind == "operator" and not space:
        raise DistrictError("--space is needed for kind operator")


def create_code(core, kind: str = "employee", *, employer: str | None = None, space: str | None = None,
                max_uses: int | None = None, days: int | None = None, code: str | None = None,
                actor_id: int | None = None, region: str | None = None) -> str:
    """Make an invite code (generated as PREFIX-XXXXXXXX unless `code` is given); returns its text. Its region is
    its employer's or space's; a region admin, self-paid (`member`) or platform admin code is for `region`
    (default: the first region)."""
    check_code_target(kind, employer, space)
    now = core.clock.now()
    with core.db.session() as s:
        emp = employer_by_slug(s, employer) if employer else None
        sp = space_by_slug(s, space) if space else None
        eid, sid = (emp.id if emp else None), (sp.id if sp else None)
        rid = emp.region_id if emp else sp.region_id if sp else region_by_slug(s, region).id
        if region is not None and rid != region_by_slug(s, region).id:
            raise DistrictError(f"{employer or space} is not in region {region}")
        prefix = re.sub(r"[^A-Z0-9]", "", (employer or space or kind).upper())[:12]
        text = code or f"{prefix}-{''.join(secrets.choice(CODE_ALPHABET) for _ in range(8))}"
        if s.scalar(select(InviteCode.id).where(InviteCode.code == text)):
            raise DistrictError(f"code {text!r} exists already")
        s.add(InviteCode(code=text, kind=kind, employer_id=eid, space_id=sid, region_id=rid, max_uses=max_uses, uses=0, created_at=now,
                         expires_at=now + timedelta(days=days) if days else None))
        audit(s, "invite_create", now, actor_id=actor_id, code=text, kind=kind, max_uses=max_uses, days=days, region_id=rid)
    return text


def revoke_code(core, code: str, *, actor_id: int | None = None) -> None:
    """The code expires now (uses so far stay counted)."""
    now = core.clock.now()
    with core.db.session() as s:
        c = s.scalar(select(InviteCode).where(InviteCode.code == code))
        if c is None:
            raise NotFound("code", code)
        c.expires_at = now
        audit(s, "invite_revoke", now, actor_id=actor_id, code=code)


# --- roles -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleChange:
    member_id: int
    kind: str
    scope: str  # "employer:3", "space:2" or ""
    done: bool  # False: the member had that role already (grant)
    self_paid: int | None = None  # revoking an employee: future bookings now self-paid


def role_target(s: Session, kind: str, employer: str | None, space: str | None,
                region: str | None = None) -> tuple[int | None, int | None, str]:
    """(employer id, space id, scope) of a role of this kind (a region admin: scope "region:<id>")."""
    if kind not in KINDS:
        raise DistrictError(f"KIND: one of {', '.join(KINDS)}")
    if kind in ("employee", "employer_admin"):
        if not employer:
            raise DistrictError(f"--employer is needed for {kind}")
        eid = s.scalar(select(Employer.id).where(Employer.slug == employer))
        if eid is None:
            raise NotFound("employer", employer)
        return eid, None, f"employer:{eid}"
    if kind == "operator":
        if not space:
            raise DistrictError("--space is needed for operator")
        sid = s.scalar(select(Space.id).where(Space.slug == space))
        if sid is None:
            raise NotFound("space", space)
        return None, sid, f"space:{sid}"
    if kind == "region_admin":
        if not region:
            raise DistrictError("--region is needed for region_admin")
        return None, None, f"region:{region_by_slug(s, region).id}"
    return None, None, ""


def grant_role(core, member_id: int, kind: str, *, employer: str | None = None, space: str | None = None,
               region: str | None = None, actor_id: int | None = None) -> RoleChange:
    """Give a member a role (an employee role replaces one at another employer: one employer at a time)."""
    from bot.members import assign_role

    now = core.clock.now()
    with core.db.session() as s:
        m = s.get(Member, member_id)
        if m is None or m.deleted_at is not None:
            raise NotFound("member", member_id)
        eid, sid, scope = role_target(s, kind, employer, space, region)
        if s.scalar(select(Role.id).where(Role.member_id == member_id, Role.kind == kind, Role.scope == scope)):
            return RoleChange(member_id, kind, scope, done=False)
        rid = int(scope.split(":")[1]) if kind == "region_admin" else None
        assign_role(s, member_id, kind, scope, employer_id=eid, space_id=sid, now=now, region_id=rid)
        audit(s, "role_grant", now, actor_id=actor_id, member_id=member_id, kind=kind, scope=scope)
    return RoleChange(member_id, kind, scope, done=True)


def revoke_role(core, member_id: int, kind: str, *, employer: str | None = None, space: str | None = None,
                region: str | None = None, actor_id: int | None = None) -> RoleChange:
    """Take a role away. An employee's bookings from tomorrow on become self-paid and they are told
    (`remove_employee`, as when the employer admin removes them in the chat)."""
    from bot.features.employer.chat import remove_employee

    now = core.clock.now()
    with core.db.session() as s:
        eid, _, scope = role_target(s, kind, employer, space, region)
        role = s.scalar(select(Role).where(Role.member_id == member_id, Role.kind == kind, Role.scope == scope))
        if role is None:
            raise DistrictError(f"#{member_id} has no role {kind} {scope}".rstrip(), 1)
        if kind != "employee":
            s.delete(role)
            audit(s, "role_revoke", now, actor_id=actor_id, member_id=member_id, kind=kind, scope=scope)
            return RoleChange(member_id, kind, scope, done=True)
    res = remove_employee(core, actor_id, eid, member_id, now, check=False)
    return RoleChange(member_id, kind, scope, done=True, self_paid=res[1] if res else 0)


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int  # rows read (spaces + employers + platform admin codes)
    changes: list[tuple[str, str, str]]  # (what, key, "new" | "changed: field, ...")
    dry_run: bool

    @property
    def new(self) -> int:
        return sum(1 for c in self.changes if c[2] == "new")


def opening_hours(value: str) -> dict[str, str | None] | None:
    """'08:00-18:00' (Mon-Fri) or 'mon=08:00-18:00;sat=closed;...'."""
    value = (value or "").strip()
    if not value:
        return None
    if "=" not in value:
        return {d: value for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": None, "sun": None}
    out: dict[str, str | None] = {}
    for part in value.replace(",", ";").split(";"):
        if part.strip():
            k, _, v = part.partition("=")
            out[k.strip().lower()[:3]] = None if v.strip().lower() in ("", "closed", "geschlossen", "-") else v.strip()
    return out


def read_csv(path: Path, kind: str | None = None) -> WorldSpec:
    """CSV rows as a WorldSpec (spaces or employers, decided by `kind` or the header)."""
    from pydantic import ValidationError

    from bot.world import WorldSpec

    with path.open(encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.DictReader(fh, dialect=dialect))
    header = set(rows[0].keys()) if rows else set()
    kind = kind or ("spaces" if "town" in header else "employers" if header & {"days_per_employee", "pool_days"} else None)
    if kind not in ("spaces", "employers"):
        raise DistrictError(f"{path}: cannot tell spaces from employers by the header; use --kind spaces|employers")
    items = []
    for n, row in enumerate(rows, start=2):
        clean = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k and v not in (None, "")}
        if kind == "spaces":
            if "desks" in clean:
                clean["desks"] = int(clean["desks"]) if clean["desks"].isdigit() else [x.strip() for x in clean["desks"].split("|")]
            if "opening_hours" in clean:
                clean["opening_hours"] = opening_hours(clean["opening_hours"])
        else:
            code = clean.pop("invite_code", None)
            uses = clean.pop("invite_max_uses", None)
            if code:
                clean["invite_codes"] = [{"code": code, "kind": "employee", "max_uses": int(uses) if uses else None}]
            for key in ("days_per_employee", "pool_days"):
                if key in clean:
                    clean[key] = clean[key].replace(",", ".")
        items.append((n, clean))
    try:
        return WorldSpec.model_validate({kind: [c for _, c in items]})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        line = items[loc[1]][0] if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(items) else "?"
        raise DistrictError(f"{path}: line {line}: {'.'.join(str(p) for p in loc[2:]) or kind}: {err['msg']}") from None


def read_import(path: Path, kind: str | None = None) -> WorldSpec:
    """A world .yaml/.yml or a spaces/employers .csv as a WorldSpec."""
    from bot.world import WorldError, read_world

    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            return read_world(path)
        except WorldError as exc:
            raise DistrictError(str(exc)) from None
    if suffix == ".csv":
        return read_csv(path, kind)
    raise DistrictError(f"{path}: expected a .csv, .yaml or .yml file")


def import_rows(spec: WorldSpec) -> int:
    return len(spec.regions) + len(spec.spaces) + len(spec.employers) + len(spec.platform_admin_codes)


def _snapshot(s: Session) -> dict[tuple[str, str], dict]:
    desk_counts = dict(s.execute(select(Desk.space_id, func.count(Desk.id)).where(Desk.active).group_by(Desk.space_id)).all())
    snap: dict[tuple[str, str], dict] = {}
    for r in s.scalars(select(Region)):
        snap[("region", r.slug)] = {"name": r.name, "holiday_region": r.holiday_region}
    for sp in s.scalars(select(Space)):
        snap[("space", sp.slug)] = {"name": sp.name, "town": sp.town, "address": sp.address, "hours": sp.opening_hours,
                                    "price_cents": sp.day_price_cents, "cancel_cutoff_hours": sp.cancel_cutoff_hours,
                                    "checkin_deadline_minutes": sp.checkin_deadline_minutes,
                                    "holiday_region": sp.holiday_region, "lat": sp.lat, "lon": sp.lon,
                                    "desks": desk_counts.get(sp.id, 0), "region_id": sp.region_id}
    for e in s.scalars(select(Employer)):
        snap[("employer", e.slug)] = {"name": e.name, "days_per_employee_halves": e.days_per_employee_halves,
                                      "pool_halves": e.pool_halves, "alert_percent": e.alert_percent,
                                      "region_id": e.region_id}
    for c in s.scalars(select(InviteCode)):
        snap[("code", c.code)] = {"kind": c.kind, "employer_id": c.employer_id, "space_id": c.space_id,
                                  "max_uses": c.max_uses, "expires_at": c.expires_at, "region_id": c.region_id}
    return snap


def _diff(before: dict, after: dict) -> list[tuple[str, str, str]]:
    out = []
    for key in sorted(after, key=lambda k: (k[0], k[1])):
        if key not in before:
            out.append((key[0], key[1], "new"))
        else:
            changed = [f for f in after[key] if after[key][f] != before[key].get(f)]
            if changed:
                out.append((key[0], key[1], "changed: " + ", ".join(changed)))
    return out


def import_world(core, spec: WorldSpec, *, source: str = "", dry_run: bool = False,
                 progress: Callable[[str, int, int], None] | None = None, actor_id: int | None = None) -> ImportResult:
    """Load spaces, employers and codes (matched by slug / code: new ones added, existing ones updated) in
    one transaction, and say what changed. `dry_run` rolls it back. `progress(label, rows_done, total)` is
    called once with 0 when a kind starts and after each chunk of `IMPORT_CHUNK` rows."""
    from bot.world import WorldError, WorldSpec, load_world, read_world

    if not spec.defaults:  # CSV rows: opening hours etc. default to the configured world file's defaults
        try:
            spec.defaults = read_world(core.settings.world_file).defaults
        except WorldError:
            spec.defaults = {}
        spec.defaults.setdefault("opening_hours", {d: "08:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")})
    step = progress or (lambda label, n, total: None)
    now = core.clock.now()
    with core.db.session() as s:
        before = _snapshot(s)
        try:
            if spec.regions:  # first, so that the chunks below find them (each chunk names them again)
                step("regions", 0, len(spec.regions))
                load_world(s, WorldSpec(defaults=spec.defaults, regions=spec.regions), now=now)
                step("regions", len(spec.regions), len(spec.regions))
            for label, items in (("spaces", spec.spaces), ("employers", spec.employers)):
                if not items:
                    continue
                step(label, 0, len(items))
                for i in range(0, len(items), IMPORT_CHUNK):
                    chunk = items[i:i + IMPORT_CHUNK]
                    load_world(s, WorldSpec(defaults=spec.defaults, regions=spec.regions, **{label: chunk}), now=now)
                    step(label, len(chunk), len(items))
            if spec.platform_admin_codes:
                load_world(s, WorldSpec(regions=spec.regions, platform_admin_codes=spec.platform_admin_codes), now=now)
        except WorldError as exc:
            raise DistrictError(str(exc)) from None  # the unit of work rolls back
        s.flush()
        changes = _diff(before, _snapshot(s))
        if dry_run:
            s.rollback()
        elif changes:
            audit(s, "import", now, actor_id=actor_id, file=source, changes=len(changes))
    core.refresh_spaces()
    return ImportResult(import_rows(spec), changes, dry_run)
