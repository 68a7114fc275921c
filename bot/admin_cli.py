"""`deskbot admin ...`: the platform admin's command line (Rich tables).

    deskbot admin spaces | desks SLUG | employers | contingents [--month] [--employer]
    deskbot admin codes list | create | revoke CODE
    deskbot admin members [--search] | roles grant/revoke MEMBER KIND [--employer] [--space]
    deskbot admin import FILE.(csv|yaml) [--kind spaces|employers] [--dry-run]
    deskbot admin report [--from] [--to] [--csv FILE] [--chart FILE.png]
    deskbot admin qr SLUG --out FILE.png | close SLUG DAY [--reason] | retention [--dry-run]

Everything is also possible from the world YAML (`deskbot admin import world.yaml` is the same as
`deskbot world load`, with a diff and `--dry-run`). The database is DESKBOT_DATABASE_URL; the world
file is not loaded automatically here.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer

admin_app = typer.Typer(no_args_is_help=True, help="Platform administration: spaces, employers, codes, roles, reports.")
codes_app = typer.Typer(no_args_is_help=True, help="Invite codes: list, create, revoke.")
roles_app = typer.Typer(no_args_is_help=True, help="Roles: grant or revoke.")
admin_app.add_typer(codes_app, name="codes")
admin_app.add_typer(roles_app, name="roles")


def _register_backup() -> None:
    from bot.backup import backup_cmd

    admin_app.command("backup", help="Back up the database (SQLite online backup; pg_dump for PostgreSQL).")(backup_cmd)


_register_backup()

KINDS = ("employee", "employer_admin", "operator", "platform_admin")
PROGRESS_MIN_ROWS = 200  # show a progress bar from this many rows on


def _console():
    from rich.console import Console

    return Console(width=160) if not __import__("sys").stdout.isatty() else Console()


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"deskbot admin: {msg}", err=True)
    raise typer.Exit(code)


def _core():
    from bot.app import build_core
    from bot.cli import _settings
    from bot.storage.db import DatabaseTooNew

    settings = _settings()
    try:
        return build_core(settings, load_world=False)
    except DatabaseTooNew as exc:
        _fail(str(exc))


def _table(title: str, *columns: str):
    from rich.table import Table

    t = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    return t


def _audit(s, action: str, now: datetime, **detail) -> None:
    from bot.storage.models import AuditLog

    s.add(AuditLog(at=now, actor_member_id=None, action=action, detail={"via": "cli", **detail}))


def _days(halves: int | None) -> str:
    return "–" if halves is None else f"{halves / 2:g}"


def _parse_day(value: str | None, opt: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{opt}: expected a date like 2026-11-23, got {value!r}")


# --- listings --------------------------------------------------------------------------------


@admin_app.command()
def spaces() -> None:
    """Spaces with desks, price and operators."""
    from sqlalchemy import func, select

    from bot.storage.models import Desk, Role, Space

    core = _core()
    with core.db.session() as s:
        desks = dict(s.execute(select(Desk.space_id, func.count(Desk.id)).where(Desk.active).group_by(Desk.space_id)).all())
        ops = dict(s.execute(select(Role.space_id, func.count(Role.id)).where(Role.kind == "operator").group_by(Role.space_id)).all())
        t = _table("Spaces", "slug", "name", "town", "desks", "€/day", "operators", "active")
        for sp in s.scalars(select(Space).order_by(Space.slug)):
            t.add_row(sp.slug, sp.name, sp.town, str(desks.get(sp.id, 0)), f"{sp.day_price_cents / 100:.2f}",
                      str(ops.get(sp.id, 0)), "yes" if sp.active else "no")
    _console().print(t)
    core.close()


@admin_app.command()
def desks(slug: Annotated[str, typer.Argument(help="space slug")]) -> None:
    """The desks of one space."""
    from sqlalchemy import select

    from bot.storage.models import Desk, Space

    core = _core()
    with core.db.session() as s:
        sp = s.scalar(select(Space).where(Space.slug == slug))
        if sp is None:
            _fail(f"no space {slug!r} (see `deskbot admin spaces`)")
        t = _table(f"Desks of {sp.name}", "label", "features", "active")
        for d in s.scalars(select(Desk).where(Desk.space_id == sp.id).order_by(Desk.id)):
            t.add_row(d.label, ", ".join(d.features or []), "yes" if d.active else "no")
    _console().print(t)
    core.close()


@admin_app.command()
def employers() -> None:
    """Employers with their contingent policy and people."""
    from sqlalchemy import func, select

    from bot.storage.models import Employer, Role

    core = _core()
    with core.db.session() as s:
        counts = {(k, e): n for k, e, n in s.execute(select(Role.kind, Role.employer_id, func.count(Role.id))
                                                     .where(Role.employer_id.is_not(None)).group_by(Role.kind, Role.employer_id))}
        t = _table("Employers", "slug", "name", "days/employee", "pool days", "employees", "admins", "active")
        for e in s.scalars(select(Employer).order_by(Employer.slug)):
            t.add_row(e.slug, e.name, _days(e.days_per_employee_halves), _days(e.pool_halves),
                      str(counts.get(("employee", e.id), 0)), str(counts.get(("employer_admin", e.id), 0)),
                      "yes" if e.active else "no")
    _console().print(t)
    core.close()


@admin_app.command()
def contingents(
    month: Annotated[Optional[str], typer.Option(help="YYYY-MM (default: this month)")] = None,
    employer: Annotated[Optional[str], typer.Option(help="employer slug (default: all)")] = None,
) -> None:
    """Granted and used contingent per employee and pool."""
    from sqlalchemy import select

    from bot.storage.models import Employer

    core = _core()
    with core.db.session() as s:
        q = select(Employer.id).order_by(Employer.slug)
        if employer:
            q = q.where(Employer.slug == employer)
        ids = list(s.scalars(q))
    if employer and not ids:
        _fail(f"no employer {employer!r} (see `deskbot admin employers`)")
    t = _table(f"Contingents {month or 'this month'}", "employer", "scope", "member", "granted days", "used days", "left days")
    for eid in ids:
        data = core.booking.employer_remaining(eid, month)
        if data.get("pool_granted") is not None:
            t.add_row(data["employer"], "pool", "", _days(data["pool_granted"]), _days(data["pool_used"]),
                      _days(data["pool_granted"] - data["pool_used"]))
        for row in data["employees"]:
            left = None if row["granted"] is None else row["granted"] - row["used"]
            t.add_row(data["employer"], "member", f"{row['name']} (#{row['member_id']})", _days(row["granted"]),
                      _days(row["used"]), _days(left))
    _console().print(t)
    core.close()


@admin_app.command()
def members(
    search: Annotated[Optional[str], typer.Option(help="part of the display name")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 100,
) -> None:
    """Members with their roles and chat accounts."""
    from sqlalchemy import func, select

    from bot.storage.models import Employer, Identity, Member, Role, Space

    core = _core()
    with core.db.session() as s:
        emp = dict(s.execute(select(Employer.id, Employer.slug)).all())
        sp = dict(s.execute(select(Space.id, Space.slug)).all())
        q = select(Member).order_by(Member.id).limit(limit)
        if search:
            q = q.where(func.lower(Member.display_name).contains(search.lower()))
        t = _table("Members", "id", "name", "lang", "roles", "accounts", "commute km", "last seen", "deleted")
        for m in s.scalars(q):
            roles = [f"{r.kind}" + (f":{emp.get(r.employer_id)}" if r.employer_id else "") + (f":{sp.get(r.space_id)}" if r.space_id else "")
                     for r in s.scalars(select(Role).where(Role.member_id == m.id))]
            accts = [i.transport for i in s.scalars(select(Identity).where(Identity.member_id == m.id))]
            t.add_row(str(m.id), m.display_name, m.lang, ", ".join(roles), ", ".join(accts),
                      "" if m.commute_km is None else f"{m.commute_km:g}",
                      m.last_seen_at.date().isoformat() if m.last_seen_at else "", "yes" if m.deleted_at else "")
    _console().print(t)
    core.close()


# --- invite codes ----------------------------------------------------------------------------


@codes_app.command("list")
def codes_list(
    employer: Annotated[Optional[str], typer.Option(help="only this employer's codes")] = None,
    all_: Annotated[bool, typer.Option("--all", help="also expired and used-up codes")] = False,
) -> None:
    """Invite codes and how often they were used."""
    from sqlalchemy import select

    from bot.storage.models import Employer, InviteCode, Space

    core = _core()
    now = core.clock.now()
    with core.db.session() as s:
        emp = {e.id: e.slug for e in s.scalars(select(Employer))}
        sps = {x.id: x.slug for x in s.scalars(select(Space))}
        q = select(InviteCode).order_by(InviteCode.code)
        if employer:
            eid = next((i for i, slug in emp.items() if slug == employer), None)
            if eid is None:
                _fail(f"no employer {employer!r}")
            q = q.where(InviteCode.employer_id == eid)
        t = _table("Invite codes", "code", "kind", "for", "uses", "max", "expires", "state")
        for c in s.scalars(q):
            state = "active"
            if c.expires_at is not None and c.expires_at <= now:
                state = "expired/revoked"
            elif c.max_uses is not None and c.uses >= c.max_uses:
                state = "used up"
            if state != "active" and not all_:
                continue
            target = emp.get(c.employer_id) or sps.get(c.space_id) or ""
            t.add_row(c.code, c.kind, target, str(c.uses), "∞" if c.max_uses is None else str(c.max_uses),
                      c.expires_at.astimezone(core.clock.tz).strftime("%Y-%m-%d %H:%M") if c.expires_at else "never", state)
    _console().print(t)
    core.close()


@codes_app.command("create")
def codes_create(
    kind: Annotated[str, typer.Option(help="employee | employer_admin | operator | platform_admin")] = "employee",
    employer: Annotated[Optional[str], typer.Option(help="employer slug (employee, employer_admin)")] = None,
    space: Annotated[Optional[str], typer.Option(help="space slug (operator)")] = None,
    max_uses: Annotated[Optional[int], typer.Option(min=1, help="how many people may use it (default: unlimited)")] = None,
    days: Annotated[Optional[int], typer.Option(min=1, help="valid for this many days (default: no expiry)")] = None,
    code: Annotated[Optional[str], typer.Option(help="the code text (default: generated)")] = None,
) -> None:
    """Make an invite code."""
    import re
    import secrets

    from sqlalchemy import select

    from bot.storage.models import Employer, InviteCode, Space

    if kind not in KINDS:
        _fail(f"--kind: one of {', '.join(KINDS)}")
    if kind in ("employee", "employer_admin") and not employer:
        _fail(f"--employer is needed for kind {kind}")
    if kind == "operator" and not space:
        _fail("--space is needed for kind operator")
    core = _core()
    now = core.clock.now()
    with core.db.session() as s:
        eid = sid = None
        if employer:
            e = s.scalar(select(Employer).where(Employer.slug == employer))
            if e is None:
                _fail(f"no employer {employer!r}")
            eid = e.id
        if space:
            sp = s.scalar(select(Space).where(Space.slug == space))
            if sp is None:
                _fail(f"no space {space!r}")
            sid = sp.id
        prefix = re.sub(r"[^A-Z0-9]", "", (employer or space or kind).upper())[:12]
        text = code or f"{prefix}-{''.join(secrets.choice('ABCDEFGHJKLMNPQRSTUVWXYZ23456789') for _ in range(8))}"
        if s.scalar(select(InviteCode.id).where(InviteCode.code == text)):
            _fail(f"code {text!r} exists already")
        s.add(InviteCode(code=text, kind=kind, employer_id=eid, space_id=sid, max_uses=max_uses, uses=0, created_at=now,
                         expires_at=now + timedelta(days=days) if days else None))
        _audit(s, "invite_create", now, code=text, kind=kind, max_uses=max_uses, days=days)
    typer.echo(text)
    core.close()


@codes_app.command("revoke")
def codes_revoke(code: Annotated[str, typer.Argument(help="the code")]) -> None:
    """Stop a code from working (it expires now; uses so far stay counted)."""
    from sqlalchemy import select

    from bot.storage.models import InviteCode

    core = _core()
    now = core.clock.now()
    with core.db.session() as s:
        c = s.scalar(select(InviteCode).where(InviteCode.code == code))
        if c is None:
            _fail(f"no code {code!r} (see `deskbot admin codes list --all`)")
        c.expires_at = now
        _audit(s, "invite_revoke", now, code=code)
    typer.echo(f"revoked {code}")
    core.close()


# --- roles -----------------------------------------------------------------------------------


def _role_target(s, kind: str, employer: str | None, space: str | None) -> tuple[int | None, int | None, str]:
    from sqlalchemy import select

    from bot.storage.models import Employer, Space

    if kind not in KINDS:
        _fail(f"KIND: one of {', '.join(KINDS)}")
    eid = sid = None
    if kind in ("employee", "employer_admin"):
        if not employer:
            _fail(f"--employer is needed for {kind}")
        eid = s.scalar(select(Employer.id).where(Employer.slug == employer))
        if eid is None:
            _fail(f"no employer {employer!r}")
        return eid, None, f"employer:{eid}"
    if kind == "operator":
        if not space:
            _fail("--space is needed for operator")
        sid = s.scalar(select(Space.id).where(Space.slug == space))
        if sid is None:
            _fail(f"no space {space!r}")
        return None, sid, f"space:{sid}"
    return eid, sid, ""


@roles_app.command("grant")
def roles_grant(
    member_id: Annotated[int, typer.Argument(help="member id (see `deskbot admin members`)")],
    kind: Annotated[str, typer.Argument(help="employee | employer_admin | operator | platform_admin")],
    employer: Annotated[Optional[str], typer.Option(help="employer slug")] = None,
    space: Annotated[Optional[str], typer.Option(help="space slug")] = None,
) -> None:
    """Give a member a role."""
    from sqlalchemy import select

    from bot.members import assign_role
    from bot.storage.models import Member, Role

    core = _core()
    now = core.clock.now()
    with core.db.session() as s:
        m = s.get(Member, member_id)
        if m is None or m.deleted_at is not None:
            _fail(f"no member #{member_id}")
        eid, sid, scope = _role_target(s, kind, employer, space)
        if s.scalar(select(Role.id).where(Role.member_id == member_id, Role.kind == kind, Role.scope == scope)):
            typer.echo(f"#{member_id} already has {kind} {scope}".rstrip())
            return
        assign_role(s, member_id, kind, scope, employer_id=eid, space_id=sid, now=now)  # one employer at a time
        _audit(s, "role_grant", now, member_id=member_id, kind=kind, scope=scope)
    typer.echo(f"granted {kind} {scope} to #{member_id}".replace("  ", " "))
    core.close()


@roles_app.command("revoke")
def roles_revoke(
    member_id: Annotated[int, typer.Argument(help="member id")],
    kind: Annotated[str, typer.Argument(help="employee | employer_admin | operator | platform_admin")],
    employer: Annotated[Optional[str], typer.Option(help="employer slug")] = None,
    space: Annotated[Optional[str], typer.Option(help="space slug")] = None,
) -> None:
    """Take a role away. For an employee: bookings from tomorrow on become self-paid (as in the chat)."""
    from sqlalchemy import select

    from bot.features.employer.chat import remove_employee
    from bot.storage.models import Role

    core = _core()
    now = core.clock.now()
    with core.db.session() as s:
        eid, _, scope = _role_target(s, kind, employer, space)
        role = s.scalar(select(Role).where(Role.member_id == member_id, Role.kind == kind, Role.scope == scope))
        if role is None:
            _fail(f"#{member_id} has no role {kind} {scope}".rstrip(), 1)
        if kind != "employee":
            s.delete(role)
            _audit(s, "role_revoke", now, member_id=member_id, kind=kind, scope=scope)
    if kind == "employee":
        res = remove_employee(core, None, eid, member_id, now, check=False)
        typer.echo(f"revoked employee {scope} from #{member_id}; {res[1] if res else 0} future bookings now self-paid")
    else:
        typer.echo(f"revoked {kind} {scope} from #{member_id}".replace("  ", " "))
    core.close()


# --- import ----------------------------------------------------------------------------------


def _opening_hours(value: str) -> dict[str, str | None] | None:
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


def _read_csv(path: Path, kind: str | None):
    """CSV rows as a WorldSpec (spaces or employers, decided by --kind or the header)."""
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
        _fail(f"{path}: cannot tell spaces from employers by the header; use --kind spaces|employers")
    items = []
    for n, row in enumerate(rows, start=2):
        clean = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k and v not in (None, "")}
        if kind == "spaces":
            if "desks" in clean:
                clean["desks"] = int(clean["desks"]) if clean["desks"].isdigit() else [x.strip() for x in clean["desks"].split("|")]
            if "opening_hours" in clean:
                clean["opening_hours"] = _opening_hours(clean["opening_hours"])
        else:
            code = clean.pop("invite_code", None)
            uses = clean.pop("invite_max_uses", None)
            if code:
                clean["invite_codes"] = [{"code": code, "kind": "employee", "max_uses": int(uses) if uses else None}]
            for key in ("days_per_employee", "pool_days"):
                if key in clean:
                    clean[key] = clean[key].replace(",", ".")
        items.append((n, clean))
    from pydantic import ValidationError

    try:
        spec = WorldSpec.model_validate({kind: [c for _, c in items]})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        line = items[loc[1]][0] if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(items) else "?"
        _fail(f"{path}: line {line}: {'.'.join(str(p) for p in loc[2:]) or kind}: {err['msg']}")
    return spec


def _snapshot(s) -> dict[tuple[str, str], dict]:
    from sqlalchemy import func, select

    from bot.storage.models import Desk, Employer, InviteCode, Space

    desks = dict(s.execute(select(Desk.space_id, func.count(Desk.id)).where(Desk.active).group_by(Desk.space_id)).all())
    snap: dict[tuple[str, str], dict] = {}
    for sp in s.scalars(select(Space)):
        snap[("space", sp.slug)] = {"name": sp.name, "town": sp.town, "address": sp.address, "hours": sp.opening_hours,
                                    "price_cents": sp.day_price_cents, "cancel_cutoff_hours": sp.cancel_cutoff_hours,
                                    "checkin_deadline_minutes": sp.checkin_deadline_minutes,
                                    "holiday_region": sp.holiday_region, "lat": sp.lat, "lon": sp.lon,
                                    "desks": desks.get(sp.id, 0)}
    for e in s.scalars(select(Employer)):
        snap[("employer", e.slug)] = {"name": e.name, "days_per_employee_halves": e.days_per_employee_halves,
                                      "pool_halves": e.pool_halves, "alert_percent": e.alert_percent}
    for c in s.scalars(select(InviteCode)):
        snap[("code", c.code)] = {"kind": c.kind, "employer_id": c.employer_id, "space_id": c.space_id,
                                  "max_uses": c.max_uses, "expires_at": c.expires_at}
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


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]


@admin_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="a .csv (spaces or employers) or a world .yaml", exists=True, dir_okay=False)],
    kind: Annotated[Optional[str], typer.Option(help="spaces | employers (CSV only; default: from the header)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would change, write nothing")] = False,
) -> None:
    """Import spaces and employers from CSV or YAML (matched by slug: new ones added, existing ones updated)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from bot.world import WorldError, WorldSpec, read_world

    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            spec = read_world(path)
        except WorldError as exc:
            _fail(str(exc))
    elif path.suffix.lower() == ".csv":
        spec = _read_csv(path, kind)
    else:
        _fail(f"{path}: expected a .csv, .yaml or .yml file")
    core = _core()
    if not spec.defaults:  # CSV rows: opening hours etc. default to the configured world file's defaults
        try:
            spec.defaults = read_world(core.settings.world_file).defaults
        except WorldError:
            spec.defaults = {}
        spec.defaults.setdefault("opening_hours", {d: "08:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")})
    from bot.world import load_world

    now = core.clock.now()
    console = _console()
    total = len(spec.spaces) + len(spec.employers) + len(spec.platform_admin_codes)
    with core.db.session() as s:
        before = _snapshot(s)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, disable=total < PROGRESS_MIN_ROWS, transient=False) as progress:
            try:
                if spec.spaces:
                    task = progress.add_task("spaces", total=len(spec.spaces))
                    for chunk in _chunks(spec.spaces, 100):
                        load_world(s, WorldSpec(defaults=spec.defaults, spaces=chunk), now=now)
                        progress.advance(task, len(chunk))
                if spec.employers:
                    task = progress.add_task("employers", total=len(spec.employers))
                    for chunk in _chunks(spec.employers, 100):
                        load_world(s, WorldSpec(defaults=spec.defaults, employers=chunk), now=now)
                        progress.advance(task, len(chunk))
                if spec.platform_admin_codes:
                    load_world(s, WorldSpec(platform_admin_codes=spec.platform_admin_codes), now=now)
            except WorldError as exc:
                s.rollback()
                _fail(str(exc))
        s.flush()
        changes = _diff(before, _snapshot(s))
        t = _table("Dry run: would change" if dry_run else "Changed", "what", "key", "change")
        for what, key, change in changes:
            t.add_row(what, key, change)
        if dry_run:
            s.rollback()
        elif changes:
            _audit(s, "import", now, file=path.name, changes=len(changes))
    if changes:
        console.print(t)
    new = sum(1 for c in changes if c[2] == "new")
    typer.echo(f"{total} rows read; {new} new, {len(changes) - new} changed")
    if dry_run:
        typer.echo("dry run: nothing was written")
    core.refresh_spaces()
    core.close()


# --- reports and operations ------------------------------------------------------------------


@admin_app.command()
def report(
    from_: Annotated[Optional[str], typer.Option("--from", help="first day, e.g. 2026-09-01 (default: 12 weeks back)")] = None,
    to: Annotated[Optional[str], typer.Option(help="last day (default: today)")] = None,
    csv_out: Annotated[Optional[Path], typer.Option("--csv", help="also write the figures as CSV here")] = None,
    chart: Annotated[Optional[Path], typer.Option(help="also write the chart as PNG here (needs matplotlib)")] = None,
    weeks: Annotated[int, typer.Option(help="show at most this many weeks in the table")] = 8,
) -> None:
    """Impact report: utilisation per space and week, participation, commute km and CO2 avoided."""
    from bot import stats

    core = _core()
    d0, d1 = _parse_day(from_, "--from"), _parse_day(to, "--to")
    if d0 and d1 and d0 > d1:
        _fail("--from is after --to")
    rep = stats.impact_report(core, d0, d1)
    console = _console()
    labels = rep.week_labels()[-weeks:]
    t = _table(f"Utilisation % per space and ISO week ({rep.from_day} – {rep.to_day})", "space", *[w[-3:] for w in labels])
    by = {(w.space, w.week): w for w in rep.weeks}
    for slug in sorted({w.space for w in rep.weeks}):
        t.add_row(slug, *["–" if by[(slug, wk)].pct is None else f"{by[(slug, wk)].pct:g}" for wk in labels])
    overall = rep.overall_by_week()
    t.add_row("[bold]all[/bold]", *["–" if overall[wk] is None else f"{overall[wk]:g}" for wk in labels])
    console.print(t)
    t2 = _table(f"Participation and commute avoided (CO₂ {rep.co2_kg_per_km:g} kg/km)", "month", "employers", "employees",
                "members", "coworking days", "days w/o km", "km avoided", "kg CO₂ avoided")
    for m in rep.months:
        t2.add_row(m.month, str(m.employers), str(m.employees), str(m.members), str(m.attended_days), str(m.days_without_km),
                   f"{m.km_avoided:g}", f"{m.co2_kg:g}")
    t2.add_row("[bold]total[/bold]", "", "", "", str(rep.total_attended), "", f"{rep.total_km:g}", f"{rep.total_co2:g}")
    console.print(t2)
    if csv_out:
        csv_out.write_text(rep.to_csv(), encoding="utf-8")
        typer.echo(f"CSV written to {csv_out}")
    if chart:
        png = rep.chart_png("de")
        if png is None:
            _fail("--chart needs matplotlib (pip install matplotlib)")
        chart.write_bytes(png)
        typer.echo(f"chart written to {chart}")
    core.close()


@admin_app.command()
def qr(
    slug: Annotated[str, typer.Argument(help="space slug")],
    out: Annotated[Path, typer.Option(help="PNG file to write")] = Path("checkin.png"),
    scale: Annotated[int, typer.Option(min=1, max=40, help="pixels per module")] = 10,
) -> None:
    """The space's check-in QR code (a t.me deep link: scanning checks in, or books a walk-in desk)."""
    from sqlalchemy import select

    from bot.features.operator.chat import checkin_link, qr_png
    from bot.storage.models import Space

    core = _core()
    with core.db.session() as s:
        if s.scalar(select(Space.id).where(Space.slug == slug)) is None:
            _fail(f"no space {slug!r} (see `deskbot admin spaces`)")
    link = checkin_link(core.settings, slug)
    out.write_bytes(qr_png(link, scale=scale))
    typer.echo(f"{out}: {link}")
    core.close()


@admin_app.command()
def close(
    slug: Annotated[str, typer.Argument(help="space slug")],
    day: Annotated[str, typer.Argument(help="the day, e.g. 2026-12-24")],
    reason: Annotated[str, typer.Option(help="shown to the people booked")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count the bookings affected")] = False,
) -> None:
    """Close a space for a day: bookings cancelled with refund, everyone booked is told."""
    from sqlalchemy import func, select

    from bot.features.operator.chat import close_day
    from bot.storage.models import Booking, Space

    d = _parse_day(day, "DAY")
    core = _core()
    with core.db.session() as s:
        sp = s.scalar(select(Space).where(Space.slug == slug))
        if sp is None:
            _fail(f"no space {slug!r}")
        n = s.scalar(select(func.count(Booking.id)).where(Booking.space_id == sp.id, Booking.day == d,
                                                          Booking.status.in_(("confirmed", "waitlisted"))))
        sp_id = sp.id
    if dry_run:
        typer.echo(f"would close {slug} on {d} and cancel {n} bookings")
        return
    res = close_day(core, None, sp_id, d, reason, core.clock.now(), check=False)
    typer.echo(f"{slug} is already closed on {d}" if res is None else f"closed {slug} on {d}: {res[1]} bookings of {res[2]} people cancelled")
    core.close()


@admin_app.command()
def retention(dry_run: Annotated[bool, typer.Option("--dry-run", help="only list who would be erased")] = False) -> None:
    """Erase personal data of members inactive longer than DESKBOT_RETENTION_DAYS (bookings stay anonymised)."""
    from bot.features.privacy import purge_inactive

    core = _core()
    ids = purge_inactive(core, dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    typer.echo(f"{verb} {len(ids)} members inactive for more than {core.settings.retention_days} days"
               + (": " + ", ".join(f"#{i}" for i in ids[:50]) if ids else ""))
    core.close()



outbox_app = typer.Typer(no_args_is_help=True, help="The outbox: notices that gave up (dead letters), and replaying them.")
admin_app.add_typer(outbox_app, name="outbox")


@outbox_app.command("dead")
def outbox_dead(kind: Annotated[Optional[str], typer.Option(help="only this kind, e.g. reminder_evening")] = None,
                limit: int = 200) -> None:
    """List notices that failed for good (newest first)."""
    from bot.scheduler import list_dead

    core = _core()
    rows = list_dead(core, limit=limit, kind=kind)
    t = _table(f"Dead notices ({len(rows)})", "id", "kind", "recipient", "attempts", "last error")
    for r in rows:
        t.add_row(str(r.id), r.kind, r.recipient, str(r.attempts), (r.last_error or "")[:80])
    _console().print(t)
    core.close()


@outbox_app.command("replay")
def outbox_replay(ids: Annotated[list[int], typer.Argument(help="outbox row ids (see `outbox dead`)")]) -> None:
    """Queue dead notices again (attempts reset); the scheduler sends them on its next round."""
    from bot.scheduler import replay

    core = _core()
    n = replay(core, list(ids))
    typer.echo(f"requeued {n} of {len(ids)}")
    core.close()
