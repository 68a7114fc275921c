"""`deskbot admin ...` with Typer's CliRunner on a temporary SQLite database."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.admin_cli import admin_app
from bot.storage.models import AuditLog, Booking, Desk, Employer, InviteCode, Role, Space
from conftest import DEMO_WORLD

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config/deskbot.toml from the checkout
    e = {"DESKBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'admin.sqlite3'}", "DESKBOT_DATA_DIR": str(tmp_path / "data"),
         "DESKBOT_WORLD_FILE": str(DEMO_WORLD), "DESKBOT_CONFIG": ""}
    for k, v in e.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("DESKBOT_CONFIG")
    return e


def run(*args: str, code: int = 0):
    res = runner.invoke(admin_app, list(args))
    assert res.exit_code == code, (args, res.output, res.exception)
    return res.output


def db(env):
    from bot.storage.db import Database

    return Database(env["DESKBOT_DATABASE_URL"])


@pytest.fixture
def loaded(env):
    run("import", str(DEMO_WORLD))
    return env


def test_import_yaml_dry_run_then_for_real(env):
    out = run("import", str(DEMO_WORLD), "--dry-run")
    assert "would change" in out and "coesfeld" in out and "nothing was written" in out
    assert "coesfeld" not in run("spaces")
    out = run("import", str(DEMO_WORLD))
    assert "Changed" in out and "21 rows read; 46 new" in out
    assert "coesfeld" in run("spaces") and "stadtwerke" in run("employers")
    assert "0 new, 0 changed" in run("import", str(DEMO_WORLD))
    d = db(env)
    with d.session() as s:
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "import")) == "import"
    d.dispose()


def test_import_large_csv_with_progress_and_diff(loaded, tmp_path):
    path = tmp_path / "spaces.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["slug", "name", "town", "address", "desks", "day_price_eur", "opening_hours"])
        w.writerow(["coesfeld", "Coworking Coesfeld (neu)", "Coesfeld", "Letter Straße 8, 48653 Coesfeld", "8", "18", ""])
        for i in range(250):
            w.writerow([f"space-{i:03d}", f"Space {i}", "Dülmen", "", "3", "12,5".replace(",", "."),
                        "mon=08:00-18:00;tue=08:00-18:00;sat=closed"])
    out = run("import", str(path), "--dry-run")
    assert "space-249" in out and "changed: name" in out and "nothing was written" in out
    assert "251 rows read; 250 new, 1 changed" in out
    d = db(env=loaded)
    with d.session() as s:
        assert s.scalar(select(Space).where(Space.slug == "space-000")) is None
    out = run("import", str(path))
    assert "spaces" in out and "251/251" in out  # the progress bar on a large file
    with d.session() as s:
        sp = s.scalar(select(Space).where(Space.slug == "space-007"))
        assert sp.opening_hours["mon"] == ["08:00", "18:00"] and sp.opening_hours["sat"] is None
        assert sp.day_price_cents == 1250
        assert len(s.scalars(select(Desk).where(Desk.space_id == sp.id)).all()) == 3
        assert s.scalar(select(Space.name).where(Space.slug == "coesfeld")) == "Coworking Coesfeld (neu)"
        # default hours from the world file where the CSV gives none
        assert s.scalar(select(Space.opening_hours).where(Space.slug == "coesfeld"))["fri"] == ["08:00", "17:00"]
    d.dispose()


def test_import_employers_csv_and_errors(loaded, tmp_path):
    path = tmp_path / "firms.csv"
    path.write_text("slug,name,days_per_employee,pool_days,invite_code,invite_max_uses\n"
                    "baeckerei,Bäckerei Koch,4,,KOCH-2026,10\n", encoding="utf-8")
    out = run("import", str(path))
    assert "baeckerei" in out and "KOCH-2026" in out
    d = db(loaded)
    with d.session() as s:
        emp = s.scalar(select(Employer).where(Employer.slug == "baeckerei"))
        assert emp.days_per_employee_halves == 8
        assert s.scalar(select(InviteCode.max_uses).where(InviteCode.code == "KOCH-2026")) == 10
    d.dispose()
    bad = tmp_path / "bad.csv"
    bad.write_text("slug,name,town\nBad Slug!,X,Y\n", encoding="utf-8")
    res = runner.invoke(admin_app, ["import", str(bad)])
    assert res.exit_code == 2 and "line 2" in res.output and "slug" in res.output
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    assert "--kind" in runner.invoke(admin_app, ["import", str(odd)]).output


def test_codes_create_list_revoke_and_max_uses(loaded):
    from bot.app import build_core
    from bot.members import CodeRefused
    from bot.settings import Settings

    code = run("codes", "create", "--employer", "stadtwerke", "--max-uses", "1", "--days", "30").strip()
    assert code.startswith("STADTWERKE-")
    assert code in run("codes", "list")
    core = build_core(Settings(), load_world=False)
    a = core.members.resolve("terminal", "anna", "anna", "Anna")
    b = core.members.resolve("terminal", "bert", "bert", "Bert")
    assert not isinstance(core.members.redeem(a.id, code), CodeRefused)
    assert core.members.redeem(b.id, code).reason == "used_up"
    assert code not in run("codes", "list") and "used up" in run("codes", "list", "--all")
    assert "revoked" in run("codes", "revoke", "AGRAR-2026")
    assert core.members.redeem(b.id, "AGRAR-2026").reason == "expired"
    core.close()
    assert "--employer is needed" in runner.invoke(admin_app, ["codes", "create", "--kind", "employee"]).output
    assert runner.invoke(admin_app, ["codes", "revoke", "NOPE"]).exit_code == 2


def test_roles_members_contingents(loaded):
    from bot.app import build_core
    from bot.settings import Settings

    core = build_core(Settings(), load_world=False)
    anna = core.members.resolve("terminal", "anna", "anna", "Anna").id
    core.close()
    assert "granted" in run("roles", "grant", str(anna), "employee", "--employer", "stadtwerke")
    assert "granted" in run("roles", "grant", str(anna), "operator", "--space", "coesfeld")
    out = run("members", "--search", "ann")
    assert "Anna" in out and "employee:stadtwerke" in out and "operator:coesfeld" in out
    assert "Anna (#" in run("contingents", "--employer", "stadtwerke")
    assert "future bookings now self-paid" in run("roles", "revoke", str(anna), "employee", "--employer", "stadtwerke")
    assert "revoked operator" in run("roles", "revoke", str(anna), "operator", "--space", "coesfeld")
    d = db(loaded)
    with d.session() as s:
        assert s.scalar(select(Role.id).where(Role.member_id == anna)) is None
    d.dispose()
    assert runner.invoke(admin_app, ["roles", "grant", "9999", "employee", "--employer", "stadtwerke"]).exit_code == 2
    assert runner.invoke(admin_app, ["roles", "grant", str(anna), "wizard"]).exit_code == 2


def test_report_qr_close_retention(loaded, tmp_path):
    from bot.app import build_core
    from bot.settings import Settings

    core = build_core(Settings(), load_world=False)
    anna = core.members.resolve("terminal", "anna", "anna", "Anna").id
    day = core.clock.today()
    core.close()
    out = run("report", "--from", "2026-11-02", "--to", "2026-11-29", "--csv", str(tmp_path / "r.csv"),
              "--chart", str(tmp_path / "r.png"))
    assert "W48" in out and "coesfeld" in out and "kg CO₂" in out
    assert (tmp_path / "r.csv").read_text().startswith("kind,period,space")
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")
    # goal 2 per space (issue 17): utilisation per space and month, check-ins and no-shows, in the CSV; the chart
    # has a row per space below the district's panels
    import io

    from PIL import Image

    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    per_month = [r for r in rows if r["kind"] == "space_month" and r["space"] == "coesfeld"]
    assert [r["period"] for r in per_month] == ["2026-11"]
    assert {"checked_in", "no_show"} <= set(per_month[0]) and per_month[0]["capacity_desk_days"] != ""
    assert Image.open(tmp_path / "r.png").size[1] > 1000
    assert "is after" in runner.invoke(admin_app, ["report", "--from", "2026-12-01", "--to", "2026-11-01"]).output
    out = run("qr", "coesfeld", "--out", str(tmp_path / "q.png"))
    assert "start=checkin-coesfeld" in out and (tmp_path / "q.png").read_bytes().startswith(b"\x89PNG")
    assert runner.invoke(admin_app, ["qr", "nowhere", "--out", str(tmp_path / "x.png")]).exit_code == 2
    future = date.fromordinal(day.toordinal() + 30).isoformat()
    assert "cancel 0 bookings" in run("close", "coesfeld", future, "--dry-run")
    assert "closed coesfeld" in run("close", "coesfeld", future, "--reason", "Inventur")
    assert "already closed" in run("close", "coesfeld", future)
    out = run("retention", "--dry-run")
    assert "would erase 0 members" in out
    d = db(loaded)
    with d.session() as s:
        assert s.scalar(select(Booking.id).where(Booking.member_id == anna)) is None
    d.dispose()


def test_help_lists_commands(env):
    out = run("--help")
    for cmd in ("spaces", "employers", "codes", "roles", "import", "report", "qr", "retention"):
        assert cmd in out


def test_outbox_dead_letters_and_replay(loaded):
    from datetime import datetime, timezone

    from bot.app import build_core
    from bot.settings import Settings
    from bot.storage.models import Outbox

    core = build_core(Settings(), load_world=False)
    now = datetime.now(timezone.utc)
    with core.db.session() as s:
        s.add(Outbox(dedupe_key="t:1", kind="reminder_evening", transport="telegram", chat_id="42", payload={},
                     due_at=now, status="dead", attempts=8, last_error="Forbidden: bot was blocked", created_at=now))
        s.add(Outbox(dedupe_key="t:2", kind="digest", transport="telegram", chat_id="43", payload={},
                     due_at=now, status="sent", attempts=1, created_at=now))
    out = run("outbox", "dead")
    assert "reminder_evening" in out and "blocked" in out and "digest" not in out
    row_id = core.db.engine.connect().exec_driver_sql("SELECT id FROM outbox WHERE dedupe_key='t:1'").scalar()
    assert "requeued 1 of 1" in run("outbox", "replay", str(row_id))
    with core.db.session() as s:
        r = s.get(Outbox, row_id)
        assert (r.status, r.attempts) == ("pending", 0)
    assert "Dead notices (0)" in run("outbox", "dead")
    core.close()


def test_backup_command(loaded, tmp_path):
    import sqlite3

    out_file = tmp_path / "backup.sqlite3"
    run("backup", str(out_file))
    con = sqlite3.connect(out_file)
    assert con.execute("SELECT count(*) FROM spaces").fetchone()[0] == 14
    con.close()


def test_employer_report_csv_and_chart(loaded, tmp_path):
    from datetime import timedelta

    from bot.app import build_core
    from bot.booking import Booked
    from bot.settings import Settings

    core = build_core(Settings(), load_world=False)
    anna = core.members.resolve("terminal", "anna", "anna", "Anna").id
    assert "granted" in run("roles", "grant", str(anna), "employee", "--employer", "stadtwerke")
    today = core.clock.today()
    booked = next(d for d in (today + timedelta(days=i) for i in range(1, 15))
                  if isinstance(core.booking.book(anna, "coesfeld", [d])[0], Booked))
    core.close()
    month = booked.strftime("%Y-%m")
    out = run("report", "--employer", "stadtwerke", "--month", month, "--csv", str(tmp_path / "e.csv"),
              "--chart", str(tmp_path / "e.png"))
    assert f"Stadtwerke Münsterland (Demo) – {month}" in out and "Anna" in out and "total" in out
    assert "CSV written to" in out and "chart written to" in out
    text = (tmp_path / "e.csv").read_bytes().decode("utf-8-sig")
    assert text.startswith("Mitarbeiter:in;Coworking;Tage;Kosten EUR") and "\r\nAnna;" in text and "Summe;;1;" in text
    assert (tmp_path / "e.png").read_bytes().startswith(b"\x89PNG")
    out = run("report", "--employer", "stadtwerke", "--month", month, "--lang", "en")  # default names, in the cwd
    name = f"deskbot-{month}-stadtwerke-muensterland-demo"
    assert (tmp_path / f"{name}.csv").read_text(encoding="utf-8-sig").startswith("employee,space,days,cost_eur")
    assert (tmp_path / f"{name}.png").exists() and f"{name}.csv" in out
    for args, needle in ((["--employer", "nobody", "--month", month], "see `deskbot admin employers`"),
                         (["--employer", "stadtwerke", "--month", "2026-13"], "expected a month"),
                         (["--month", month], "--month needs --employer"),
                         (["--employer", "stadtwerke", "--from", "2026-11-01"], "with --employer use --month")):
        res = runner.invoke(admin_app, ["report", *args])
        assert res.exit_code == 2 and needle in res.output, (args, res.output)
