"""`deskbot admin ...`: the platform admin's command line (Rich tables).

    deskbot admin regions | spaces [--region] | desks SLUG | employers [--region] | contingents [--month] [--employer]
    deskbot admin codes list [--region] | create [--region] | revoke CODE
    deskbot admin members [--search] [--region] | roles grant/revoke MEMBER KIND [--employer] [--space] [--region]
    deskbot admin import FILE.(csv|yaml) [--kind spaces|employers] [--dry-run]
    deskbot admin report [--region] [--from] [--to] [--csv FILE] [--chart FILE.png]
    deskbot admin report --employer SLUG [--month YYYY-MM] [--csv FILE] [--chart FILE.png]
    deskbot admin qr SLUG --out FILE.png | close SLUG DAY [--reason] | retention [--dry-run]

Everything is also possible from the world YAML (`deskbot admin import world.yaml` is the same as
`deskbot world load`, with a diff and `--dry-run`). The database is DESKBOT_DATABASE_URL; the world
file is not loaded automatically here.

This module only parses arguments, calls a feature's service and prints: the district's master data is
`bot.features.district.service`, contingents and the employer report `bot.features.employer.service`,
closing a day and the QR code `bot.features.operator.service`, retention `bot.features.privacy`, the
impact report `bot.stats`, dead letters `bot.scheduler`. Nothing here queries the database itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
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

PROGRESS_MIN_ROWS = 200  # show a progress bar from this many rows on
HINTS = {"space": "deskbot admin spaces", "employer": "deskbot admin employers", "code": "deskbot admin codes list --all",
         "member": "deskbot admin members", "region": "deskbot admin regions"}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _console():
    import sys

    from rich.console import Console

    return Console(width=160) if not sys.stdout.isatty() else Console()


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"deskbot admin: {msg}", err=True)
    raise typer.Exit(code)


def _core():
    from bot.app import build_core
    from bot.settings import SettingsError, load_settings, one_line
    from bot.storage.db import DatabaseTooNew

    try:
        settings = load_settings()
    except SettingsError as exc:
        typer.echo(f"deskbot: {one_line(str(exc))}", err=True)
        raise typer.Exit(2) from None
    from bot.cli import startup_errors

    with startup_errors(settings):  # an unreachable or refusing database: one line naming the setting, exit 2
        try:
            return build_core(settings, load_world=False)
        except DatabaseTooNew as exc:
            _fail(str(exc))


@contextmanager
def _admin() -> Iterator:
    """The wired core for one command; a service's refusal becomes `deskbot admin: …` and its exit code."""
    from bot.features.district.service import DistrictError, NotFound

    core = _core()
    try:
        yield core
    except DistrictError as exc:
        hint = HINTS.get(exc.what) if isinstance(exc, NotFound) else None
        _fail(f"{exc} (see `{hint}`)" if hint else str(exc), exc.code)
    finally:
        core.close()


def _table(title: str, *columns: str):
    from rich.table import Table

    t = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    return t


def _days(halves: int | None) -> str:
    return "–" if halves is None else f"{halves / 2:g}"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _parse_day(value: str | None, opt: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{opt}: expected a date like 2026-11-23, got {value!r}")


def _parse_month(value: str | None, opt: str = "--month") -> str | None:
    if value is not None and not _MONTH.match(value):
        _fail(f"{opt}: expected a month like 2026-11, got {value!r}")
    return value


# --- listings --------------------------------------------------------------------------------


@admin_app.command()
def regions() -> None:
    """Regions (the districts taking part) with their spaces, employers, members and region admins."""
    from bot.features.district import service

    with _admin() as core:
        rows = service.regions(core)
    t = _table("Regions", "slug", "name", "holidays", "spaces", "employers", "members", "region admins")
    for r in rows:
        t.add_row(r.slug, r.name, r.holiday_region, str(r.spaces), str(r.employers), str(r.members), str(r.admins))
    _console().print(t)


@admin_app.command()
def spaces(
    region: Annotated[Optional[str], typer.Option(help="only this region (slug, see `deskbot admin regions`)")] = None,
) -> None:
    """Spaces with desks, price and operators."""
    from bot.features.district import service

    with _admin() as core:
        rows = service.spaces(core, region)
    t = _table(f"Spaces – {region}" if region else "Spaces", "slug", "name", "town", "region", "desks", "€/day",
               "operators", "active")
    for r in rows:
        t.add_row(r.slug, r.name, r.town, r.region, str(r.desks), f"{r.day_price_cents / 100:.2f}", str(r.operators),
                  _yes(r.active))
    _console().print(t)


@admin_app.command()
def desks(slug: Annotated[str, typer.Argument(help="space slug")]) -> None:
    """The desks of one space."""
    from bot.features.district import service

    with _admin() as core:
        name, rows = service.desks(core, slug)
    t = _table(f"Desks of {name}", "label", "features", "active")
    for d in rows:
        t.add_row(d.label, ", ".join(d.features), _yes(d.active))
    _console().print(t)


@admin_app.command()
def employers(
    region: Annotated[Optional[str], typer.Option(help="only this region (slug, see `deskbot admin regions`)")] = None,
) -> None:
    """Employers with their contingent policy and people."""
    from bot.features.district import service

    with _admin() as core:
        rows = service.employers(core, region)
    t = _table(f"Employers – {region}" if region else "Employers", "slug", "name", "region", "days/employee", "pool days",
               "employees", "admins", "active")
    for e in rows:
        t.add_row(e.slug, e.name, e.region, _days(e.days_per_employee_halves), _days(e.pool_halves), str(e.employees),
                  str(e.admins), _yes(e.active))
    _console().print(t)


@admin_app.command()
def contingents(
    month: Annotated[Optional[str], typer.Option(help="YYYY-MM (default: this month)")] = None,
    employer: Annotated[Optional[str], typer.Option(help="employer slug (default: all)")] = None,
) -> None:
    """Granted and used contingent per employee and pool."""
    from bot.features.employer import service

    _parse_month(month)
    with _admin() as core:
        lines = service.contingents(core, month, employer)
    t = _table(f"Contingents {month or 'this month'}", "employer", "scope", "member", "granted days", "used days", "left days")
    for c in lines:
        t.add_row(c.employer, c.scope, f"{c.member} (#{c.member_id})" if c.member_id is not None else "",
                  _days(c.granted_halves), _days(c.used_halves), _days(c.left_halves))
    _console().print(t)


@admin_app.command()
def members(
    search: Annotated[Optional[str], typer.Option(help="part of the display name")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 100,
    region: Annotated[Optional[str], typer.Option(help="only members who book in this region (slug)")] = None,
) -> None:
    """Members with their roles and chat accounts."""
    from bot.features.district import service

    with _admin() as core:
        rows = service.members(core, search, limit, region)
    t = _table("Members", "id", "name", "lang", "region", "roles", "accounts", "commute km", "last seen", "deleted")
    for m in rows:
        t.add_row(str(m.id), m.name, m.lang, m.region, ", ".join(m.roles), ", ".join(m.accounts),
                  "" if m.commute_km is None else f"{m.commute_km:g}",
                  m.last_seen.date().isoformat() if m.last_seen else "", "yes" if m.deleted else "")
    _console().print(t)


# --- invite codes ----------------------------------------------------------------------------


@codes_app.command("list")
def codes_list(
    employer: Annotated[Optional[str], typer.Option(help="only this employer's codes")] = None,
    all_: Annotated[bool, typer.Option("--all", help="also expired and used-up codes")] = False,
    region: Annotated[Optional[str], typer.Option(help="only this region (slug, see `deskbot admin regions`)")] = None,
) -> None:
    """Invite codes and how often they were used."""
    from bot.features.district import service

    with _admin() as core:
        rows = service.codes(core, employer, include_all=all_, region=region)
    t = _table("Invite codes", "code", "kind", "for", "region", "uses", "max", "expires", "state")
    for c in rows:
        t.add_row(c.code, c.kind, c.target, c.region, str(c.uses), "∞" if c.max_uses is None else str(c.max_uses),
                  c.expires_at.strftime("%Y-%m-%d %H:%M") if c.expires_at else "never", c.state)
    _console().print(t)


@codes_app.command("create")
def codes_create(
    kind: Annotated[str, typer.Option(
        help="employee | member (self-paid) | employer_admin | operator | region_admin | platform_admin")] = "employee",
    employer: Annotated[Optional[str], typer.Option(help="employer slug (employee, employer_admin)")] = None,
    space: Annotated[Optional[str], typer.Option(help="space slug (operator)")] = None,
    region: Annotated[Optional[str], typer.Option(
        help="region slug (member, region_admin; default: the first region)")] = None,
    max_uses: Annotated[Optional[int], typer.Option(min=1, help="how many people may use it (default: unlimited)")] = None,
    days: Annotated[Optional[int], typer.Option(min=1, help="valid for this many days (default: no expiry)")] = None,
    code: Annotated[Optional[str], typer.Option(help="the code text (default: generated)")] = None,
) -> None:
    """Make an invite code."""
    from bot.features.district import service

    try:
        service.check_code_target(kind, employer, space)  # before opening the database
    except service.DistrictError as exc:
        _fail(str(exc), exc.code)
    with _admin() as core:
        text = service.create_code(core, kind, employer=employer, space=space, max_uses=max_uses, days=days, code=code,
                                   region=region)
    typer.echo(text)


@codes_app.command("revoke")
def codes_revoke(code: Annotated[str, typer.Argument(help="the code")]) -> None:
    """Stop a code from working (it expires now; uses so far stay counted)."""
    from bot.features.district import service

    with _admin() as core:
        service.revoke_code(core, code)
    typer.echo(f"revoked {code}")


# --- roles -----------------------------------------------------------------------------------


@roles_app.command("grant")
def roles_grant(
    member_id: Annotated[int, typer.Argument(help="member id (see `deskbot admin members`)")],
    kind: Annotated[str, typer.Argument(help="employee | employer_admin | operator | region_admin | platform_admin")],
    employer: Annotated[Optional[str], typer.Option(help="employer slug")] = None,
    space: Annotated[Optional[str], typer.Option(help="space slug")] = None,
    region: Annotated[Optional[str], typer.Option(help="region slug (region_admin)")] = None,
) -> None:
    """Give a member a role."""
    from bot.features.district import service

    with _admin() as core:
        res = service.grant_role(core, member_id, kind, employer=employer, space=space, region=region)
    if res.done:
        typer.echo(f"granted {kind} {res.scope} to #{member_id}".replace("  ", " "))
    else:
        typer.echo(f"#{member_id} already has {kind} {res.scope}".rstrip())


@roles_app.command("revoke")
def roles_revoke(
    member_id: Annotated[int, typer.Argument(help="member id")],
    kind: Annotated[str, typer.Argument(help="employee | employer_admin | operator | region_admin | platform_admin")],
    employer: Annotated[Optional[str], typer.Option(help="employer slug")] = None,
    space: Annotated[Optional[str], typer.Option(help="space slug")] = None,
    region: Annotated[Optional[str], typer.Option(help="region slug (region_admin)")] = None,
) -> None:
    """Take a role away. For an employee: bookings from tomorrow on become self-paid (as in the chat)."""
    from bot.features.district import service

    with _admin() as core:
        res = service.revoke_role(core, member_id, kind, employer=employer, space=space, region=region)
    if kind == "employee":
        typer.echo(f"revoked employee {res.scope} from #{member_id}; {res.self_paid} future bookings now self-paid")
    else:
        typer.echo(f"revoked {kind} {res.scope} from #{member_id}".replace("  ", " "))


# --- import ----------------------------------------------------------------------------------


@admin_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="a .csv (spaces or employers) or a world .yaml", exists=True, dir_okay=False)],
    kind: Annotated[Optional[str], typer.Option(help="spaces | employers (CSV only; default: from the header)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would change, write nothing")] = False,
) -> None:
    """Import spaces and employers from CSV or YAML (matched by slug: new ones added, existing ones updated)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from bot.features.district import service

    try:
        spec = service.read_import(path, kind)
    except service.DistrictError as exc:
        _fail(str(exc), exc.code)
    console = _console()
    total = service.import_rows(spec)
    with _admin() as core, Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                    TimeRemainingColumn(), console=console, disable=total < PROGRESS_MIN_ROWS,
                                    transient=False) as progress:
        tasks: dict[str, object] = {}

        def step(label: str, n: int, of: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=of)
            progress.advance(tasks[label], n)

        res = service.import_world(core, spec, source=path.name, dry_run=dry_run, progress=step)
    if res.changes:
        t = _table("Dry run: would change" if dry_run else "Changed", "what", "key", "change")
        for what, key, change in res.changes:
            t.add_row(what, key, change)
        console.print(t)
    typer.echo(f"{res.rows} rows read; {res.new} new, {len(res.changes) - res.new} changed")
    if dry_run:
        typer.echo("dry run: nothing was written")


# --- reports and operations ------------------------------------------------------------------


@admin_app.command()
def report(
    from_: Annotated[Optional[str], typer.Option("--from", help="first day, e.g. 2026-09-01 (default: 12 weeks back)")] = None,
    to: Annotated[Optional[str], typer.Option(help="last day (default: today)")] = None,
    csv_out: Annotated[Optional[Path], typer.Option("--csv", help="also write the figures as CSV here")] = None,
    chart: Annotated[Optional[Path], typer.Option(help="also write the chart as PNG here (needs matplotlib)")] = None,
    weeks: Annotated[int, typer.Option(help="show at most this many weeks in the table")] = 8,
    employer: Annotated[Optional[str], typer.Option(
        help="one employer's monthly report instead: days and cost per employee, CSV and chart")] = None,
    month: Annotated[Optional[str], typer.Option(help="with --employer: YYYY-MM (default: last month)")] = None,
    lang: Annotated[str, typer.Option(help="with --employer: de | en (de: CSV with ';' and decimal commas)")] = "de",
    region: Annotated[Optional[str], typer.Option(help="only this region's spaces and the bookings there (slug)")] = None,
) -> None:
    """Impact report: utilisation per space and week, participation, commute km and CO2 avoided.
    With --employer: that employer's monthly report (CSV and chart files; default names in this folder)."""
    if employer:
        if from_ or to:
            _fail("--from/--to are for the impact report; with --employer use --month")
        if lang not in ("de", "en"):
            _fail("--lang: de or en")
        if region:
            _fail("--region is for the impact report (an employer is in one region)")
        _employer_report(employer, _parse_month(month), lang, csv_out, chart)
        return
    if month:
        _fail("--month needs --employer (the impact report takes --from/--to)")
    from bot import stats

    d0, d1 = _parse_day(from_, "--from"), _parse_day(to, "--to")
    if d0 and d1 and d0 > d1:
        _fail("--from is after --to")
    from bot.features.district import service

    with _admin() as core:
        region_id = service.region_id(core, region) if region else None
        rep = stats.impact_report(core, d0, d1, region_id=region_id)
    console = _console()
    labels = rep.week_labels()[-weeks:]
    t = _table(f"Utilisation % per space and ISO week ({rep.from_day} – {rep.to_day})" + (f" – {region}" if region else ""),
               "space", *[w[-3:] for w in labels])
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


def _employer_report(employer: str, month: str | None, lang: str, csv_out: Path | None, chart: Path | None) -> None:
    """`report --employer`: the table, the CSV file and (with matplotlib) the chart."""
    from bot.features.employer import service
    from bot.reports import previous_month

    with _admin() as core:
        month = month or previous_month(core.clock.today())
        rep = service.monthly_report(core, employer, month, lang=lang)
    t = _table(f"{rep.employer_name} – {month}", "employee", "spaces", "days", "€")
    for e in rep.employees:
        t.add_row(e.name, ", ".join(sorted(e.by_space)), f"{e.days:g}", f"{e.cents / 100:.2f}")
    t.add_row("[bold]total[/bold]", "", f"{rep.total_days:g}", f"{rep.total_cents / 100:.2f}")
    _console().print(t)
    csv_path = csv_out or Path(rep.csv_filename)
    csv_path.write_bytes(rep.csv_bytes)
    typer.echo(f"CSV written to {csv_path}")
    if rep.png_bytes is None:
        if chart:
            _fail("--chart needs matplotlib (pip install matplotlib)")
        typer.echo("no chart: matplotlib is not installed")
        return
    png_path = chart or Path(rep.png_filename)
    png_path.write_bytes(rep.png_bytes)
    typer.echo(f"chart written to {png_path}")


@admin_app.command()
def qr(
    slug: Annotated[str, typer.Argument(help="space slug")],
    out: Annotated[Path, typer.Option(help="PNG file to write")] = Path("checkin.png"),
    scale: Annotated[int, typer.Option(min=1, max=40, help="pixels per module")] = 10,
) -> None:
    """The space's check-in QR code (a t.me deep link: scanning checks in, or books a walk-in desk)."""
    from bot.features.operator import service

    with _admin() as core:
        link, png = service.space_qr(core, slug, scale=scale)
    out.write_bytes(png)
    typer.echo(f"{out}: {link}")


@admin_app.command()
def close(
    slug: Annotated[str, typer.Argument(help="space slug")],
    day: Annotated[str, typer.Argument(help="the day, e.g. 2026-12-24")],
    reason: Annotated[str, typer.Option(help="shown to the people booked")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count the bookings affected")] = False,
) -> None:
    """Close a space for a day: bookings cancelled with refund, everyone booked is told."""
    from bot.features.operator import service

    d = _parse_day(day, "DAY")
    with _admin() as core:
        if dry_run:
            n = service.bookings_to_cancel(core, slug, d)
        else:
            res = service.close_space(core, slug, d, reason)
    if dry_run:
        typer.echo(f"would close {slug} on {d} and cancel {n} bookings")
    elif res is None:
        typer.echo(f"{slug} is already closed on {d}")
    else:
        typer.echo(f"closed {slug} on {d}: {res.bookings} bookings of {res.people} people cancelled")


@admin_app.command()
def retention(dry_run: Annotated[bool, typer.Option("--dry-run", help="only list who would be erased")] = False) -> None:
    """Erase personal data of members inactive longer than DESKBOT_RETENTION_DAYS (bookings stay anonymised)."""
    from bot.features.privacy import purge_inactive

    with _admin() as core:
        ids = purge_inactive(core, dry_run=dry_run)
        days = core.settings.retention_days
    verb = "would erase" if dry_run else "erased"
    typer.echo(f"{verb} {len(ids)} members inactive for more than {days} days"
               + (": " + ", ".join(f"#{i}" for i in ids[:50]) if ids else ""))


outbox_app = typer.Typer(no_args_is_help=True, help="The outbox: notices that gave up (dead letters), and replaying them.")
admin_app.add_typer(outbox_app, name="outbox")


@outbox_app.command("dead")
def outbox_dead(kind: Annotated[Optional[str], typer.Option(help="only this kind, e.g. reminder_evening")] = None,
                limit: int = 200) -> None:
    """List notices that failed for good (newest first)."""
    from bot.scheduler import list_dead

    with _admin() as core:
        rows = list_dead(core, limit=limit, kind=kind)
    t = _table(f"Dead notices ({len(rows)})", "id", "kind", "recipient", "attempts", "last error")
    for r in rows:
        t.add_row(str(r.id), r.kind, r.recipient, str(r.attempts), (r.last_error or "")[:80])
    _console().print(t)


@outbox_app.command("replay")
def outbox_replay(ids: Annotated[list[int], typer.Argument(help="outbox row ids (see `outbox dead`)")]) -> None:
    """Queue dead notices again (attempts reset); the scheduler sends them on its next round."""
    from bot.scheduler import replay

    with _admin() as core:
        n = replay(core, list(ids))
    typer.echo(f"requeued {n} of {len(ids)}")
