"""The services behind `deskbot admin ...`: the district slice (spaces, employers, members, codes, roles,
import) and the employer and operator services the admin CLI calls. They run on a core over SQLite with
the demo world (Monday 2026-11-23 08:00); the CLI's own output is tests/test_admin_cli.py."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from conftest import DEMO_WORLD, REPO
from sqlalchemy import select

from bot.booking import Booked
from bot.features.district import service as district
from bot.features.district.service import DistrictError, NotFound
from bot.features.employer import service as employer_service
from bot.features.operator import service as operator_service
from bot.storage.models import AuditLog, Booking, InviteCode, Role, Space

TUESDAY = date(2026, 11, 24)


def _member(core, name: str) -> int:
    return core.members.resolve("terminal", name.lower(), name.lower(), name).id


def test_listings(sqlite_core):
    rows = district.spaces(sqlite_core)
    assert [r.slug for r in rows] == sorted(r.slug for r in rows) and len(rows) == 14  # 11 + 3 in Bernkastel-Wittlich
    coesfeld = next(r for r in rows if r.slug == "coesfeld")
    assert coesfeld.desks > 0 and coesfeld.active
    name, desks = district.desks(sqlite_core, "coesfeld")
    assert name == coesfeld.name and len(desks) == coesfeld.desks
    emps = {e.slug: e for e in district.employers(sqlite_core)}
    assert emps["stadtwerke"].days_per_employee_halves == 16 and emps["agrartech"].pool_halves == 80
    with pytest.raises(NotFound) as exc:
        district.desks(sqlite_core, "nowhere")
    assert (exc.value.what, exc.value.key, exc.value.code) == ("space", "nowhere", 2)


def test_codes_create_list_revoke_with_audit(sqlite_core):
    code = district.create_code(sqlite_core, "employee", employer="stadtwerke", max_uses=2, days=7)
    assert code.startswith("STADTWERKE-") and len(code) == len("STADTWERKE-") + 8
    row = next(c for c in district.codes(sqlite_core, "stadtwerke") if c.code == code)
    assert (row.target, row.max_uses, row.state) == ("stadtwerke", 2, "active")
    assert row.expires_at.tzinfo is not None and row.expires_at.date() == date(2026, 11, 30)
    with pytest.raises(DistrictError, match="exists already"):
        district.create_code(sqlite_core, "employee", employer="stadtwerke", code=code)
    with pytest.raises(DistrictError, match="--space is needed"):
        district.check_code_target("operator", None, None)
    with pytest.raises(NotFound):
        district.create_code(sqlite_core, "operator", space="nowhere")
    district.revoke_code(sqlite_core, code)
    assert code not in {c.code for c in district.codes(sqlite_core)}
    assert next(c for c in district.codes(sqlite_core, include_all=True) if c.code == code).state == "expired/revoked"
    with sqlite_core.db.session() as s:
        actions = [(a.action, a.detail["via"]) for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert s.scalar(select(InviteCode.max_uses).where(InviteCode.code == code)) == 2
    assert ("invite_create", "cli") in actions and ("invite_revoke", "cli") in actions


def test_roles_grant_revoke_employee_moves_bookings_to_self_paid(sqlite_core):
    anna = _member(sqlite_core, "Anna")
    res = district.grant_role(sqlite_core, anna, "employee", employer="stadtwerke")
    assert res.done and res.scope.startswith("employer:")
    assert not district.grant_role(sqlite_core, anna, "employee", employer="stadtwerke").done
    assert district.grant_role(sqlite_core, anna, "operator", space="coesfeld").done
    row = district.members(sqlite_core, search="ann")[0]
    assert row.roles == ("employee:stadtwerke", "operator:coesfeld") and row.accounts == ("terminal",)
    out = sqlite_core.booking.book(anna, "coesfeld", [TUESDAY])
    assert isinstance(out[0], Booked)
    with sqlite_core.db.session() as s:
        assert s.scalar(select(Booking.payer).where(Booking.member_id == anna)) == "employer"
    res = district.revoke_role(sqlite_core, anna, "employee", employer="stadtwerke")
    assert res.self_paid == 1
    with sqlite_core.db.session() as s:
        assert s.scalar(select(Booking.payer).where(Booking.member_id == anna)) == "self"
    assert district.revoke_role(sqlite_core, anna, "operator", space="coesfeld").done
    with sqlite_core.db.session() as s:
        assert s.scalar(select(Role.id).where(Role.member_id == anna)) is None
    with pytest.raises(DistrictError) as exc:
        district.revoke_role(sqlite_core, anna, "operator", space="coesfeld")
    assert exc.value.code == 1
    with pytest.raises(NotFound, match="no member #9999"):
        district.grant_role(sqlite_core, 9999, "platform_admin")
    with pytest.raises(DistrictError, match="KIND"):
        district.grant_role(sqlite_core, anna, "wizard")


def test_import_dry_run_rolls_back_and_reports_progress(sqlite_core, tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text("slug;name;town;desks\ncoesfeld;Coworking Coesfeld (neu);Coesfeld;8\n"
                    + "".join(f"s-{i};Space {i};Dülmen;2\n" for i in range(150)), encoding="utf-8")
    spec = district.read_import(path)
    assert district.import_rows(spec) == 151
    steps: list[tuple[str, int, int]] = []
    res = district.import_world(sqlite_core, spec, source=path.name, dry_run=True,
                                progress=lambda *a: steps.append(a))
    assert steps == [("spaces", 0, 151), ("spaces", 100, 151), ("spaces", 51, 151)]
    assert res.new == 150 and res.changes[0][:2] == ("space", "coesfeld") and res.changes[0][2].startswith("changed: name")
    with sqlite_core.db.session() as s:
        assert s.scalar(select(Space.id).where(Space.slug == "s-0")) is None
    res = district.import_world(sqlite_core, district.read_import(DEMO_WORLD), source="demo_world.yaml")
    assert res.changes == [] and res.rows == 21  # 2 regions, 14 spaces, 4 employers, 1 platform admin code
    with pytest.raises(DistrictError, match="expected a .csv"):
        district.read_import(tmp_path / "x.json")


def test_operator_close_and_qr(sqlite_core):
    anna = _member(sqlite_core, "Anna")
    assert isinstance(sqlite_core.booking.book(anna, "coesfeld", [TUESDAY])[0], Booked)
    assert operator_service.bookings_to_cancel(sqlite_core, "coesfeld", TUESDAY) == 1
    res = operator_service.close_space(sqlite_core, "coesfeld", TUESDAY, "Inventur")
    assert (res.bookings, res.people, res.checked_in) == (1, 1, 0)
    assert operator_service.close_space(sqlite_core, "coesfeld", TUESDAY) is None
    with sqlite_core.db.session() as s:
        assert s.scalar(select(Booking.status).where(Booking.member_id == anna)) == "cancelled"
    link, png = operator_service.space_qr(sqlite_core, "coesfeld", scale=2)
    assert link.endswith("start=checkin-coesfeld") and png.startswith(b"\x89PNG")
    with pytest.raises(NotFound):
        operator_service.space_qr(sqlite_core, "nowhere")


def test_employer_contingents_and_monthly_report(sqlite_core):
    anna = _member(sqlite_core, "Anna")
    district.grant_role(sqlite_core, anna, "employee", employer="stadtwerke")
    assert isinstance(sqlite_core.booking.book(anna, "coesfeld", [TUESDAY])[0], Booked)
    lines = employer_service.contingents(sqlite_core, "2026-11", "stadtwerke")
    mine = next(c for c in lines if c.member_id == anna)
    assert (mine.scope, mine.granted_halves, mine.used_halves, mine.left_halves) == ("member", 16, 2, 14)
    pool = [c for c in employer_service.contingents(sqlite_core, "2026-11") if c.scope == "pool"]
    assert pool and pool[0].granted_halves == 80
    with pytest.raises(NotFound):
        employer_service.contingents(sqlite_core, None, "nobody")
    rep = employer_service.monthly_report(sqlite_core, "stadtwerke", "2026-11", lang="en", chart=False)
    assert [(e.name, e.days) for e in rep.employees] == [("Anna", 1.0)] and rep.png_bytes is None
    assert b"employee,space,days,cost_eur" in rep.csv_bytes


def test_admin_cli_runs_no_queries_of_its_own():
    """The CLI parses, calls a service and prints: no SQLAlchemy, no models, no sessions."""
    src = (REPO / "bot" / "admin_cli.py").read_text(encoding="utf-8")
    imported = {n.module for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imported if m.startswith(("sqlalchemy", "bot.storage.models", "bot.booking"))}
    for needle in ("select(", ".session()", "s.add(", "s.delete(", "s.get("):
        assert needle not in src, needle
    assert Path(district.__file__).parent.name == "district"
