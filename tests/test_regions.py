"""Regions as tenants (issue 17): spaces, employers and codes belong to a region; a member books in the
region of their code; a region admin sees only their region (chat, dashboard, admin CLI); the demo world has
Kreis Coesfeld and Bernkastel-Wittlich. Authorization and the figures run on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, timedelta

import pytest
from conftest import DEMO_WORLD, Chat
from sqlalchemy import select
from test_dashboard import ARTIFACTS, _ServerThread, browser  # noqa: F401 (the module's Chromium fixture)
from typer.testing import CliRunner

from bot.admin_cli import admin_app
from bot.authz import Forbidden, district_region, grants
from bot.booking import Booked, holiday_name
from bot.features.dashboard import service as dash
from bot.storage.models import (
    Booking,
    Employer,
    InviteCode,
    Member,
    Region,
    Role,
    Space,
)
from bot.world import WorldSpec, load_world

TUESDAY = date(2026, 11, 24)


def mid(core, name: str) -> int:
    with core.db.session() as s:
        return s.scalar(select(Member.id).where(Member.display_name == name.capitalize()))


def region_world(chat: Chat) -> Chat:
    """Anna (Stadtwerke, Kreis Coesfeld) and Mo (Moselwerk, Bernkastel-Wittlich) book in their regions;
    Rita is Bernkastel-Wittlich's region admin, Karl Kreis Coesfeld's, Root the platform admin."""
    assert "Stadtwerke" in chat.send("anna", "/start STADTWERKE-2026")
    assert "Moselwerk" in chat.send("mo", "/start MOSELWERK-2026")
    assert "Region Bernkastel-Wittlich" in chat.send("rita", "/start BKW-REGION-ADMIN")
    assert "Region Kreis Coesfeld" in chat.send("karl", "/start COESFELD-REGION-ADMIN")
    chat.send("root", "/start KREIS-PLATFORM-ADMIN")
    chat.send("wboss", "/start MOSELWERK-ADMIN")
    assert "Gebucht" in chat.send("anna", "morgen Coesfeld")
    assert "Gebucht" in chat.send("mo", "morgen Wittlich")
    return chat


@pytest.fixture
def world(chat_both):
    return region_world(chat_both)


@pytest.fixture
def world1(chat):
    return region_world(chat)


# --- the store: every row in a region (both stores) ------------------------------------------


def test_demo_world_has_two_regions_and_every_row_is_in_one(world):
    core = world.dialogue.core
    with core.db.session() as s:
        regions = {r.slug: r for r in s.scalars(select(Region))}
        assert {r: (x.name, x.holiday_region) for r, x in regions.items()} == {
            "kreis-coesfeld": ("Kreis Coesfeld", "NW"), "bernkastel-wittlich": ("Bernkastel-Wittlich", "RP")}
        bkw = regions["bernkastel-wittlich"].id
        in_bkw = set(s.scalars(select(Space.slug).where(Space.region_id == bkw)))
        assert in_bkw == {"wittlich", "bernkastel-kues", "morbach"}
        assert s.scalar(select(Space.holiday_region).where(Space.slug == "morbach")) == "RP"  # the region's holidays
        assert s.scalar(select(Space.holiday_region).where(Space.slug == "coesfeld")) == "NW"
        assert set(s.scalars(select(Employer.slug).where(Employer.region_id == bkw))) == {"moselwerk"}
        assert s.scalar(select(InviteCode.region_id).where(InviteCode.code == "OP-MORBACH")) == bkw
        assert s.scalar(select(InviteCode.kind).where(InviteCode.code == "BKW-REGION-ADMIN")) == "region_admin"
        assert s.scalar(select(Member.region_id).where(Member.display_name == "Mo")) == bkw
        rita = s.scalar(select(Role).where(Role.kind == "region_admin", Role.region_id == bkw))
        assert rita is not None and rita.scope == f"region:{bkw}"


def test_holidays_come_from_the_spaces_region(sqlite_url):
    """A space's holidays are its region's unless it names its own: Buß- und Bettag is a holiday in Saxony only."""
    from bot.storage.db import Database

    db = Database(sqlite_url)
    db.migrate()
    spec = WorldSpec.model_validate({
        "regions": [{"slug": "nrw", "name": "NRW", "holiday_region": "NW"}, {"slug": "sachsen", "name": "Sachsen",
                                                                            "holiday_region": "SN"}],
        "spaces": [{"slug": "a", "name": "A", "town": "A"}, {"slug": "b", "name": "B", "town": "B", "region": "sachsen"},
                   {"slug": "c", "name": "C", "town": "C", "region": "sachsen", "holiday_region": "NW"}]})
    with db.session() as s:
        load_world(s, spec)
    with db.session() as s:
        hol = dict(s.execute(select(Space.slug, Space.holiday_region)).all())
    assert hol == {"a": "NW", "b": "SN", "c": "NW"}
    bettag = date(2026, 11, 18)
    assert holiday_name(hol["b"], bettag) and holiday_name(hol["a"], bettag) is None
    db.dispose()


def test_a_world_without_regions_loads_into_one_default_region(db_url):
    from bot.storage.db import Database

    db = Database(db_url)
    db.migrate()
    spec = WorldSpec.model_validate({"spaces": [{"slug": "a", "name": "A", "town": "A"}],
                                     "employers": [{"slug": "e", "name": "E", "invite_codes": [{"code": "E-1"}]}],
                                     "platform_admin_codes": [{"code": "ROOT-1"}]})
    with db.session() as s:
        counts = load_world(s, spec)
    assert counts["regions"] == 0  # migration 0008 made the one region `default` (also on an empty store)
    with db.session() as s:
        (region,) = s.scalars(select(Region)).all()
        assert region.slug == "default"
        assert {s.scalar(select(Space.region_id)), s.scalar(select(Employer.region_id))} == {region.id}
        assert set(s.scalars(select(InviteCode.region_id))) == {region.id}
    # the same store, now with a regions: section: the default region becomes the file's first region
    spec2 = WorldSpec.model_validate({"regions": [{"slug": "kreis-coesfeld", "name": "Kreis Coesfeld"},
                                                  {"slug": "bkw", "name": "BKW", "holiday_region": "RP"}],
                                      "spaces": [{"slug": "a", "name": "A", "town": "A"},
                                                 {"slug": "b", "name": "B", "town": "B", "region": "bkw"}]})
    with db.session() as s:
        load_world(s, spec2)
    with db.session() as s:
        slugs = dict(s.execute(select(Space.slug, Region.slug).join(Region, Region.id == Space.region_id)).all())
        assert slugs == {"a": "kreis-coesfeld", "b": "bkw"}
        assert s.scalar(select(Space.holiday_region).where(Space.slug == "b")) == "RP"
        assert len(s.scalars(select(Region)).all()) == 2
    db.dispose()


def test_world_file_errors_name_the_region():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown region 'nowhere'"):
        WorldSpec.model_validate({"regions": [{"slug": "r", "name": "R"}],
                                  "spaces": [{"slug": "a", "name": "A", "town": "A", "region": "nowhere"}]})


# --- commuters: their region only ------------------------------------------------------------


def test_a_space_of_another_region_is_named_and_nothing_is_booked(world):
    core = world.dialogue.core
    for text in ("morgen Wittlich", "ist morgen in Morbach frei?", "/heimat Bernkastel-Kues"):
        answer = world.send("anna", text)
        assert "gehört zur Region Bernkastel-Wittlich" in answer and "Kreis Coesfeld" in answer, (text, answer)
        assert "Coesfeld" in answer and "nichts gebucht" in answer
    answer = world.send("mo", "tomorrow Coesfeld")
    assert "Kreis Coesfeld" in answer and "Bernkastel-Wittlich" in answer
    anna = mid(core, "anna")
    with core.db.session() as s:
        spaces = set(s.scalars(select(Space.slug).join(Booking, Booking.space_id == Space.id)
                               .where(Booking.member_id == anna)))
        assert spaces == {"coesfeld"}
        assert (s.get(Member, anna).prefs or {}).get("home_space") is None


def test_no_booking_for_a_colleague_nor_a_walk_in_in_another_region(world1):
    core = world1.dialogue.core
    world1.send("carl", "/start STADTWERKE-2026")
    answer = world1.send("anna", "für Carl morgen Wittlich")
    assert "Region Bernkastel-Wittlich" in answer and "nichts gebucht" in answer
    answer = world1.send("anna", "einchecken Morbach")  # a walk-in desk would be a booking there
    assert "Region Bernkastel-Wittlich" in answer
    carl, anna = mid(core, "carl"), mid(core, "anna")
    with core.db.session() as s:
        slugs = set(s.scalars(select(Space.slug).join(Booking, Booking.space_id == Space.id)
                              .where(Booking.member_id.in_([carl, anna]))))
    assert slugs == {"coesfeld"}


def test_what_is_free_and_space_buttons_show_the_members_region(world1):
    free = world1.send("mo", "was ist morgen frei?")
    assert "Wittlich" in free and "Morbach" in free and "Bernkastel-Kues" in free
    assert "Coesfeld" not in free and "Dülmen" not in free
    assert {c.label for c in world1.choices("mo")} <= {"Wittlich buchen", "Morbach buchen", "Bernkastel-Kues buchen"}
    free = world1.send("anna", "was ist morgen frei?")
    assert "Coesfeld" in free and "Wittlich" not in free and "Morbach" not in free
    world1.send("mo", "buche übermorgen")  # no place: the buttons are the member's region's
    labels = [c.label for c in world1.choices("mo")]
    assert labels and all(re.sub(r"^\W+", "", label).strip() in ("Wittlich", "Morbach", "Bernkastel-Kues") for label in labels)
    world1.send("anna", "buche übermorgen")
    assert not any("Wittlich" in c.label or "Morbach" in c.label for c in world1.choices("anna"))
    world1.send("mo", "buchen")  # neither day nor place: buttons for the usual spaces (and the region's)
    assert world1.choices("mo") and all(any(town in c.label for town in ("Wittlich", "Morbach", "Bernkastel-Kues"))
                                        for c in world1.choices("mo"))
    answer = world1.send("anna", "morgen Atlantis")  # an unknown place lists the member's region
    assert "Wittlich" not in answer


def test_alternatives_to_a_full_space_stay_in_its_region(world1):
    core = world1.dialogue.core
    # fill Bernkastel-Kues (3 desks) tomorrow
    for i in range(3):
        world1.send(f"w{i}", "/start MOSELWERK-2026")
        assert "Gebucht" in world1.send(f"w{i}", "morgen Bernkastel-Kues")
    answer = world1.send("mo", "übermorgen Bernkastel-Kues")
    assert "Gebucht" in answer
    world1.send("w9", "/start MOSELWERK-2026")
    full = world1.send("w9", "morgen Bernkastel-Kues")
    assert "Wittlich" in full or "Morbach" in full
    for town in ("Coesfeld", "Ascheberg", "Olfen", "Senden", "Billerbeck"):
        assert town not in full, full
    labels = [c.label for c in world1.choices("w9")]
    assert any("Wittlich" in lb or "Morbach" in lb for lb in labels)
    w9 = mid(core, "w9")
    with core.db.session() as s:
        assert s.scalar(select(Booking.id).where(Booking.member_id == w9)) is None


def test_a_self_paid_code_puts_the_member_in_its_region(world1):
    answer = world1.send("sam", "/start BKW-2026")
    assert "Region Bernkastel-Wittlich" in answer
    assert "Gebucht" in world1.send("sam", "morgen Morbach")
    assert "Kreis Coesfeld" in world1.send("sam", "morgen Dülmen")
    assert "schon" in world1.send("sam", "BKW-2026").lower() or "bereits" in world1.send("sam", "BKW-2026").lower()


# --- admins: their region only (both stores) -------------------------------------------------


def test_region_admin_statistik_shows_only_their_region(world):
    core = world.dialogue.core
    from bot import stats

    rita = world.send("rita", "/statistik")
    assert rita.startswith("Region Bernkastel-Wittlich")
    assert "andere Region" in world.send("rita", "/statistik kreis-coesfeld")
    assert "kenne ich nicht" in world.send("rita", "/statistik atlantis")
    assert world.send("karl", "/statistik").startswith("Region Kreis Coesfeld")
    assert "Alle Regionen" in world.send("root", "/statistik")
    assert world.send("root", "/statistik Bernkastel-Wittlich").startswith("Region Bernkastel-Wittlich")
    assert "Plattform-Admins" in world.send("anna", "/statistik")
    with core.db.session() as s:
        bkw = s.scalar(select(Region.id).where(Region.slug == "bernkastel-wittlich"))
    rep = stats.impact_report(core, region_id=bkw)
    assert {w.space for w in rep.weeks} == {"wittlich", "bernkastel-kues", "morbach"}
    everything = stats.impact_report(core)
    assert {w.space for w in everything.weeks} >= {"coesfeld", "wittlich"}


def test_region_admin_grants_cover_their_regions_employers_and_spaces(world):
    core = world.dialogue.core
    rita, root, wboss = mid(core, "rita"), mid(core, "root"), mid(core, "wboss")
    with core.db.session() as s:
        ids = dict(s.execute(select(Space.slug, Space.id)).all())
        emps = dict(s.execute(select(Employer.slug, Employer.id)).all())
        g = grants(s, rita)
        assert g.is_region_admin and not g.platform_admin and g.is_district_admin
        assert g.may_operate_space(ids["wittlich"]) and not g.may_operate_space(ids["coesfeld"])
        assert g.may_admin_employer(emps["moselwerk"]) and not g.may_admin_employer(emps["stadtwerke"])
        assert district_region(s, g).slug == "bernkastel-wittlich"
        with pytest.raises(Forbidden) as exc:
            district_region(s, g, "kreis-coesfeld")
        assert exc.value.reason == "not_your_region"
        gr = grants(s, root)
        assert district_region(s, gr) is None and district_region(s, gr, "bernkastel-wittlich").slug == "bernkastel-wittlich"
        with pytest.raises(Forbidden):
            district_region(s, grants(s, wboss))  # an employer admin is no district admin
    # the region admin's chat views of employers and spaces: their region's only
    firma = world.send("rita", "/firma")
    assert "Moselwerk" in firma and "Stadtwerke" not in firma and "AgrarTech" not in firma
    assert "Moselwerk" not in world.send("karl", "/firma")
    assert "andere Region" in world.send("rita", "/belegung coesfeld")  # another region's space
    assert "morbach" in world.send("rita", "/belegung")  # the region's spaces


def test_district_figures_per_region_equal_bot_stats(world):
    from bot import stats

    core = world.dialogue.core
    today = core.clock.today()
    assert "Gebucht" in world.send("mo", "heute Morbach")  # counted up to today: Mo in Bernkastel-Wittlich
    for who, slug in (("rita", "bernkastel-wittlich"), ("karl", "kreis-coesfeld")):
        d = dash.district(core, mid(core, who), today, fresh=True)
        assert d.region[0] == slug
        with core.db.session() as s:
            rid = s.scalar(select(Region.id).where(Region.slug == slug))
        rep = stats.impact_report(core, region_id=rid)
        assert [(m["month"], m["members"], m["employers"], m["employees"]) for m in d.months] == \
            [(m.month, m.members, m.employers, m.employees) for m in rep.months]
        assert {slug_ for slug_, _n, _c in d.heat} == {w.space for w in rep.weeks}
        want = {(w.space, w.week): w.pct for w in rep.weeks}
        assert {(sl, wk): p for sl, _n, cells in d.heat for wk, p in zip(d.weeks, cells)} == want
    d = dash.district(core, mid(core, "rita"), today, fresh=True)
    assert d.months[-1]["members"] == 1  # Mo, not Anna
    assert dash.district(core, mid(core, "karl"), today, fresh=True).months[-1]["members"] == 0  # Anna: tomorrow
    with pytest.raises(Forbidden):
        dash.district(core, mid(core, "rita"), today, region="kreis-coesfeld")
    assert dash.district(core, mid(core, "root"), today, region="kreis-coesfeld").region[0] == "kreis-coesfeld"
    assert dash.district(core, mid(core, "root"), today).region is None  # all regions
    rita = mid(core, "rita")
    with core.db.session() as s:
        sc = dash.scopes(s, rita)
    assert sc.district and sc.regions == [("bernkastel-wittlich", "Bernkastel-Wittlich")]
    assert {slug for slug, _ in sc.spaces} == {"wittlich", "bernkastel-kues", "morbach"}
    assert [slug for slug, _ in sc.employers] == ["moselwerk"]


# --- the dashboard over HTTP: a region admin's pages -------------------------------------------


def _serve(core, dlg):
    srv = _ServerThread(core, dlg.routes.http)
    core.settings.public_url = f"http://127.0.0.1:{srv.port}"
    return srv


def _link(chat: Chat, user: str) -> str:
    answer = chat.send(user, "/dashboard")
    m = re.search(r"(https?://\S+/dashboard/open/[\w-]+)", answer)
    assert m, answer
    return m.group(1)


async def _get_pages(url: str, link: str, paths: list[str]) -> dict[str, tuple[int, str]]:
    import aiohttp

    out = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(link, allow_redirects=False) as r:
            assert r.status == 303
        for p in paths:
            async with http.get(url + p) as r:
                out[p] = (r.status, await r.text())
    return out


def test_region_admin_dashboard_pages_over_http(world1):
    core, dlg = world1.dialogue.core, world1.dialogue
    srv = _serve(core, dlg)
    try:
        url = core.settings.public_url
        pages = asyncio.run(_get_pages(url, _link(world1, "rita"), [
            "/dashboard", "/dashboard/district", "/dashboard/district?region=kreis-coesfeld",
            "/dashboard/district?region=atlantis", "/dashboard/district/utilisation.csv",
            "/dashboard/space/wittlich", "/dashboard/space/coesfeld", "/dashboard/employer/moselwerk",
            "/dashboard/employer/stadtwerke"]))
        status, index = pages["/dashboard"]
        assert status == 200 and "Region Bernkastel-Wittlich" in index and "Coworking Wittlich" in index
        assert "Coworking Coesfeld" not in index and "Stadtwerke" not in index
        status, page = pages["/dashboard/district"]
        assert status == 200 and "Region Bernkastel-Wittlich" in page
        assert "Coworking Morbach" in page and "Coworking Coesfeld" not in page and "Coworking Dülmen" not in page
        assert "?region=bernkastel-wittlich" in page  # the CSV links keep the region
        assert pages["/dashboard/district?region=kreis-coesfeld"][0] == 403
        assert pages["/dashboard/district?region=atlantis"][0] == 404
        status, csv_text = pages["/dashboard/district/utilisation.csv"]
        assert status == 200 and "Coworking Wittlich" in csv_text and "Coworking Coesfeld" not in csv_text
        assert pages["/dashboard/space/wittlich"][0] == 200 and pages["/dashboard/employer/moselwerk"][0] == 200
        assert pages["/dashboard/space/coesfeld"][0] == 403 and pages["/dashboard/employer/stadtwerke"][0] == 403
        # the platform admin chooses: all regions, or one
        pages = asyncio.run(_get_pages(url, _link(world1, "root"), [
            "/dashboard", "/dashboard/district", "/dashboard/district?region=bernkastel-wittlich"]))
        assert "?region=bernkastel-wittlich" in pages["/dashboard"][1]
        _, page = pages["/dashboard/district"]
        assert "Alle Regionen" in page and "Coworking Coesfeld" in page and "Coworking Wittlich" in page
        _, page = pages["/dashboard/district?region=bernkastel-wittlich"]
        assert "Coworking Wittlich" in page and "Coworking Coesfeld" not in page
    finally:
        srv.stop()


def test_browser_region_admin_sees_only_their_region(browser, world1, tmp_path):  # noqa: F811
    core, dlg = world1.dialogue.core, world1.dialogue
    srv = _serve(core, dlg)
    ctx = browser.new_context(locale="de-DE")
    try:
        page = ctx.new_page()
        page.goto(_link(world1, "rita"))
        page.get_by_role("button").click()
        page.wait_for_url("**/dashboard")
        page.get_by_role("link", name=re.compile("^Region Bernkastel-Wittlich")).click()
        page.wait_for_url("**/dashboard/district")
        assert "Bernkastel-Wittlich" in page.inner_text("h1")
        assert "Region Bernkastel-Wittlich" in page.inner_text("#region-note")
        heat = [r.inner_text().split("\t")[0].strip() for r in page.locator("#t-utilisation tbody tr").all()]
        assert set(heat) == {"Coworking Bernkastel-Kues", "Coworking Morbach", "Coworking Wittlich", "Σ"}
        body = page.inner_text("body")
        for other in ("Coesfeld", "Dülmen", "Stadtwerke", "AgrarTech"):
            assert other not in body.replace("Kreis Coesfeld", ""), other
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-region-admin.png"), full_page=True)
    finally:
        ctx.close()
        srv.stop()


# --- the admin CLI: --region ------------------------------------------------------------------


runner = CliRunner()


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for k, v in {"DESKBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'admin.sqlite3'}",
                 "DESKBOT_DATA_DIR": str(tmp_path / "data"), "DESKBOT_WORLD_FILE": str(DEMO_WORLD)}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("DESKBOT_CONFIG", raising=False)

    def run(*args: str, code: int = 0) -> str:
        res = runner.invoke(admin_app, list(args))
        assert res.exit_code == code, (args, res.output, res.exception)
        return res.output

    run("import", str(DEMO_WORLD))
    return run


def test_cli_regions_and_region_filters(cli):
    out = cli("regions")
    assert "kreis-coesfeld" in out and "bernkastel-wittlich" in out and "RP" in out
    out = cli("spaces", "--region", "bernkastel-wittlich")
    assert "wittlich" in out and "morbach" in out and "coesfeld" not in out and "duelmen" not in out
    out = cli("employers", "--region", "bernkastel-wittlich")
    assert "moselwerk" in out and "stadtwerke" not in out
    out = cli("codes", "list", "--region", "bernkastel-wittlich")
    assert "BKW-REGION-ADMIN" in out and "MOSELWERK-2026" in out and "OP-MORBACH" in out and "KREIS-2026" not in out
    assert "no region 'atlantis'" in cli("spaces", "--region", "atlantis", code=2)
    code = cli("codes", "create", "--kind", "region_admin", "--region", "bernkastel-wittlich").strip()
    assert code in cli("codes", "list", "--region", "bernkastel-wittlich")
    assert code not in cli("codes", "list", "--region", "kreis-coesfeld")
    assert "not in region" in cli("codes", "create", "--employer", "stadtwerke", "--region", "bernkastel-wittlich", code=2)
    out = cli("report", "--region", "bernkastel-wittlich", "--from", "2026-11-02", "--to", "2026-11-29")
    assert "wittlich" in out and "coesfeld" not in out.replace("kreis-coesfeld", "")


def test_cli_grants_and_revokes_a_region_admin(cli, tmp_path):
    from bot.storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    from datetime import datetime

    with db.session() as s:
        m = Member(display_name="Rita", lang="de", prefs={}, created_at=datetime.now(UTC))
        s.add(m)
        s.flush()
        member_id = m.id
    assert "--region is needed" in cli("roles", "grant", str(member_id), "region_admin", code=2)
    assert "granted region_admin" in cli("roles", "grant", str(member_id), "region_admin", "--region", "bernkastel-wittlich")
    out = cli("members", "--search", "rit")
    assert "region_admin:bernkastel-wittlich" in out
    assert "revoked region_admin" in cli("roles", "revoke", str(member_id), "region_admin", "--region", "bernkastel-wittlich")
    db.dispose()


def test_a_booking_in_the_own_region_still_works_on_both_stores(world):
    core = world.dialogue.core
    out = core.booking.book(mid(core, "mo"), "morbach", [TUESDAY + timedelta(days=1)])
    assert isinstance(out[0], Booked)
