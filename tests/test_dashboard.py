"""The web dashboard (issue 19): one-time links, sessions, access per role, and the figures of every page.

A small world is generated through the chat (three weeks of bookings, check-ins and no-shows by two employers'
staff and two self-paying members, commute distances), then `deskbot run`'s HTTP server serves the pages:

* plain aiohttp requests check the access rules (expired, reused and unknown links, no cookie, another
  employer's or space's page, a role taken away, CSV downloads);
* headless Chromium (Debian's `chromium`, driven by Playwright) opens each page for each role, in German and
  English, on a desktop and a phone viewport; the figures shown are compared with `bot.stats` and with the
  bookings; another employer's or space's people never appear. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import random
import re
import shutil
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from bot import stats
from bot.clock import FixedClock
from bot.dialogue import Dialogue
from bot.features.dashboard import service
from bot.features.dashboard.chat import COOKIE
from bot.health import HealthServer
from bot.storage.models import Booking, DashboardLink, Employer, Member, Role, Space
from tests.conftest import IN_CI, TZ, Chat, make_settings

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("DESKBOT_CHROMIUM", "/usr/bin/chromium")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # Monday: today's arrivals, the week, upcoming bookings

STADTWERKE = ["anna", "ben", "clara", "david", "emma", "felix"]
AGRAR = ["greta", "hans", "ida", "jonas"]
SELF = ["karl", "lena"]
TOWNS = ["Coesfeld", "Dülmen", "Senden"]


def _name(user: str) -> str:
    return user.capitalize()


# --- the world ----------------------------------------------------------------------------------


class World:
    def __init__(self, core, dlg, chat, url):
        self.core, self.dlg, self.chat, self.url = core, dlg, chat, url

    def link(self, user: str) -> str:
        text = self.chat.send(user, "/dashboard")
        m = re.search(r"(https?://\S+/dashboard/open/[\w-]+)", text)
        assert m, text
        return m.group(1)

    def _mid(self, user: str) -> int:
        with self.core.db.session() as s:
            return s.scalar(select(Member.id).where(Member.display_name == _name(user)))


def _build(core, chat):
    rnd = random.Random(19)
    clock = core.clock
    chat.send("root", "/start KREIS-PLATFORM-ADMIN")
    chat.send("boss", "/start STADTWERKE-ADMIN")
    chat.send("agrarboss", "/start AGRAR-ADMIN", lang_hint="en")
    chat.send("opc", "/start OP-COESFELD")
    chat.send("opd", "/start OP-DUELMEN", lang_hint="en")
    for u in STADTWERKE:
        chat.send(u, "/start STADTWERKE-2026")
    for u in AGRAR:
        chat.send(u, "/start AGRAR-2026")
    for u in STADTWERKE + AGRAR + SELF:
        r = rnd.random()
        if r < 0.45:
            chat.send(u, f"/pendeln {rnd.randint(8, 40)}")
        elif r < 0.8:
            chat.send(u, f"/pendeln {rnd.randint(15, 40)} {rnd.randint(1, 6)}")
    day = date(2026, 11, 2)
    while day < NOW.date():
        if day.weekday() < 5:
            clock.set(datetime.combine(day, datetime.min.time(), TZ).replace(hour=7, minute=30))
            booked = []
            for u in STADTWERKE + AGRAR + SELF:
                if rnd.random() < 0.35:
                    town = rnd.choice(TOWNS)
                    part = rnd.choice(["", "", "", " vormittags"])
                    if "Gebucht" in chat.send(u, f"buche heute{part} {town}"):
                        booked.append(u)
            clock.set(clock.now().replace(hour=9))
            for u in booked:
                if rnd.random() < 0.8:
                    chat.send(u, "einchecken")
            clock.set(clock.now().replace(hour=12))
            core.booking.release_no_shows()
        day += timedelta(days=1)
    clock.set(NOW.replace(hour=7, minute=30))
    for u in STADTWERKE[:3] + AGRAR[:2] + SELF[:1]:
        chat.send(u, f"buche heute {rnd.choice(['Coesfeld', 'Dülmen'])}")
    for u in STADTWERKE + AGRAR + SELF:
        chat.send(u, f"buche {rnd.choice(['morgen', 'Mittwoch', 'Freitag'])} {rnd.choice(TOWNS)}")
    clock.set(NOW)
    chat.send("anna", "einchecken")


class _ServerThread:
    """`deskbot run`'s HTTP server (HealthServer with the routers' pages) on its own event loop and thread."""

    def __init__(self, core, routes):
        self.loop = asyncio.new_event_loop()
        self.server = HealthServer(core, port=0, host="127.0.0.1", routes=routes)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        self.port = self.server._runner.addresses[0][1]

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from bot.app import build_core

    tmp = tmp_path_factory.mktemp("dash")
    core = build_core(make_settings(f"sqlite:///{tmp / 'deskbot.sqlite3'}", tmp), clock=FixedClock(NOW))
    dlg = Dialogue(core)
    chat = Chat(dlg)
    _build(core, chat)
    srv = _ServerThread(core, dlg.routes.http)
    core.settings.public_url = f"http://127.0.0.1:{srv.port}"
    yield World(core, dlg, chat, core.settings.public_url)
    srv.stop()
    core.close()


def _ids(core, model, slug):
    with core.db.session() as s:
        return s.scalar(select(model.id).where(model.slug == slug))


# --- plain HTTP: the access rules ----------------------------------------------------------------


async def _session(world, user):
    """An aiohttp session logged in as `user` through a fresh link (GET shows the button, POST opens)."""
    import aiohttp

    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    link = world.link(user)
    async with http.get(link) as r:
        assert r.status == 200 and "<form method=\"post\"" in await r.text()
    async with http.post(link, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/dashboard"
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/dashboard" in cookie
    return http, link


async def test_a_link_works_once_and_the_session_opens_the_pages(world):
    http, link = await _session(world, "root")
    try:
        async with http.get(world.url + "/dashboard") as r:
            body = await r.text()
            assert r.status == 200 and "/dashboard/district" in body and r.headers["Cache-Control"] == "no-store"
            assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        async with http.post(link, allow_redirects=False) as r:  # reused
            assert r.status == 410 and "/dashboard" in await r.text()
        async with http.get(link) as r:
            assert r.status == 410
    finally:
        await http.close()


async def test_an_expired_or_unknown_link_is_refused(world):
    import aiohttp

    link = world.link("boss")
    clock = world.core.clock
    clock.set(NOW + timedelta(minutes=service.LINK_MINUTES, seconds=1))
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(link) as r:
                assert r.status == 410
            async with http.post(link, allow_redirects=False) as r:
                assert r.status == 410 and "Set-Cookie" not in r.headers
            async with http.post(world.url + "/dashboard/open/" + "x" * 43, allow_redirects=False) as r:
                assert r.status == 410
    finally:
        clock.set(NOW)
    # the link stayed unused, and is still refused once the clock is back (it expired at its time, not ours)
    assert service.link_state(world.core, link.rsplit("/", 1)[1], NOW)[0] == "ok"


async def test_no_cookie_or_a_forged_one_sees_nothing(world):
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for path in ("/dashboard", "/dashboard/district", "/dashboard/employer/stadtwerke", "/dashboard/space/coesfeld",
                     "/dashboard/district/months.csv"):
            async with http.get(world.url + path) as r:
                assert r.status == 401, path
                assert "Anna" not in await r.text()
        http.cookie_jar.update_cookies({COOKIE: "A" * 43})
        async with http.get(world.url + "/dashboard/district") as r:
            assert r.status == 401


async def test_each_role_sees_only_its_own(world):
    cases = {
        "boss": (["/dashboard/employer/stadtwerke"],
                 ["/dashboard/employer/agrartech", "/dashboard/district", "/dashboard/space/coesfeld",
                  "/dashboard/employer/agrartech/staff.csv", "/dashboard/district/months.csv"]),
        "agrarboss": (["/dashboard/employer/agrartech"], ["/dashboard/employer/stadtwerke", "/dashboard/district"]),
        "opc": (["/dashboard/space/coesfeld"], ["/dashboard/space/duelmen", "/dashboard/space/duelmen/arrivals.csv",
                                                "/dashboard/employer/stadtwerke", "/dashboard/district"]),
        "root": (["/dashboard/district", "/dashboard/employer/agrartech", "/dashboard/space/duelmen"], []),
    }
    for user, (ok, refused) in cases.items():
        http, _ = await _session(world, user)
        try:
            for path in ok:
                async with http.get(world.url + path) as r:
                    assert r.status == 200, (user, path)
            for path in refused:
                async with http.get(world.url + path) as r:
                    assert r.status == 403, (user, path)
            async with http.get(world.url + "/dashboard/employer/nosuchfirm") as r:
                assert r.status in (403, 404)
        finally:
            await http.close()


async def test_a_role_taken_away_closes_its_page_at_once(world):
    http, _ = await _session(world, "opd")
    core = world.core
    try:
        async with http.get(world.url + "/dashboard/space/duelmen") as r:
            assert r.status == 200
        with core.db.session() as s:
            mid = world._mid("opd")
            role = s.scalar(select(Role).where(Role.member_id == mid, Role.kind == "operator"))
            saved = (role.member_id, role.kind, role.scope, role.space_id, role.created_at)
            s.delete(role)
        async with http.get(world.url + "/dashboard/space/duelmen") as r:
            assert r.status == 403 and "Dülmen" not in await r.text()
    finally:
        with core.db.session() as s:
            s.add(Role(member_id=saved[0], kind=saved[1], scope=saved[2], space_id=saved[3], created_at=saved[4]))
        await http.close()


async def test_logout_ends_the_session(world):
    http, _ = await _session(world, "opc")
    try:
        token = next(c.value for c in http.cookie_jar if c.key == COOKIE)
        async with http.post(world.url + "/dashboard/logout") as r:
            assert r.status == 200
        http.cookie_jar.update_cookies({COOKIE: token})  # the old cookie, sent again
        async with http.get(world.url + "/dashboard/space/coesfeld") as r:
            assert r.status == 401
    finally:
        await http.close()
    with world.core.db.session() as s:
        assert s.get(DashboardLink, service.token_hash(token)) is None


async def test_csv_downloads_match_the_page_tables(world):
    http, _ = await _session(world, "root")
    try:
        async with http.get(world.url + "/dashboard/district/months.csv") as r:
            assert r.status == 200 and r.content_type == "text/csv" and "attachment" in r.headers["Content-Disposition"]
            rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig")), delimiter=";"))
        rep = _stats(world.core)
        assert rows[0][0] == "Monat" and [r[0] for r in rows[1:]] == [m.month for m in rep.months]
        assert [int(r[1]) for r in rows[1:]] == [m.commuters for m in rep.months]
        for t in ("utilisation", "employers"):
            async with http.get(world.url + f"/dashboard/district/{t}.csv") as r:
                assert r.status == 200
        async with http.get(world.url + "/dashboard/district/nosuch.csv") as r:
            assert r.status == 404
        async with http.get(world.url + "/dashboard/employer/stadtwerke/staff.csv?month=2026-11") as r:
            body = (await r.read()).decode("utf-8-sig")
            assert "Anna" in body and "Greta" not in body
        async with http.get(world.url + "/dashboard/space/coesfeld/week.csv") as r:
            assert r.status == 200
        # per space and month (district) and per space and week (the space's page), as CSV
        async with http.get(world.url + "/dashboard/district/space_months.csv") as r:
            rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == ["Space", "Monat", "Auslastung", "Gebuchte Platz-Tage", "Kapazität (Platz-Tage)", "Eingecheckt",
                           "Nicht erschienen"]
        assert [(r[0], r[1], r[5], r[6]) for r in rows[1:]] == \
            [(m.name, m.month, str(m.checked_in), str(m.no_show)) for m in rep.space_months]
        async with http.get(world.url + "/dashboard/space/coesfeld/weeks.csv") as r:
            rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig")), delimiter=";"))
        assert [r[0] for r in rows[1:]] == [w.week for w in rep.weeks if w.space == "coesfeld"]
        assert [int(r[4]) for r in rows[1:]] == [w.checked_in for w in rep.weeks if w.space == "coesfeld"]
    finally:
        await http.close()


def test_dashboard_in_the_chat(world):
    chat = world.chat
    assert "/dashboard/open/" in chat.send("boss", "/dashboard")
    assert "/dashboard/open/" not in chat.send("karl", "/dashboard")  # no role: a refusal, no link
    assert "Firmen-Admins" in chat.send("karl", "/dashboard")
    saved = world.core.settings.public_url
    world.core.settings.public_url = ""
    try:
        assert "DESKBOT_PUBLIC_URL" in chat.send("boss", "/dashboard")
    finally:
        world.core.settings.public_url = saved


def test_only_token_hashes_are_stored_and_old_rows_are_purged(world):
    link = world.link("root")
    token = link.rsplit("/", 1)[1]
    with world.core.db.session() as s:
        assert s.get(DashboardLink, token) is None and s.get(DashboardLink, service.token_hash(token)) is not None
    later = NOW + timedelta(days=2)
    assert service.purge(world.core, later) >= 1
    assert service.link_state(world.core, token, NOW)[0] == "unknown"


def test_district_figures_equal_bot_stats(world):
    core = world.core
    d = service.district(core, world._mid("root"), NOW.date(), fresh=True)
    rep = _stats(core)
    assert [(m["month"], m["members"], m["employers"], m["employees"], m["attended_days"], m["without_km"],
             m["commuters"], m["days_per_commuter"]) for m in d.months] == \
        [(m.month, m.members, m.employers, m.employees, m.attended_days, m.days_without_km, m.commuters,
          m.days_per_commuter) for m in rep.months]
    assert [(e["month"], e["slug"], e["active_staff"], e["days"]) for e in d.employers] == \
        sorted((e.month, e.employer, e.active_staff, e.days) for e in rep.employers)
    assert len(d.employers) == 2
    assert [m["km"] for m in d.months] == pytest.approx([m.km_avoided for m in rep.months], abs=0.05)
    assert [m["co2"] for m in d.months] == pytest.approx([m.co2_kg for m in rep.months], abs=0.05)
    want = {(w.space, w.week): w.pct for w in rep.weeks}
    got = {(slug, wk): p for slug, _name_, cells in d.heat for wk, p in zip(d.weeks, cells)}
    assert got == want
    assert dict(zip(d.weeks, d.overall)) == rep.overall_by_week()
    assert sum(m.km_avoided for m in rep.months) > 0 and any(m.employers for m in rep.months)
    # goal 2 per space (issue 17): per space and month, and the check-ins and no-shows per week
    assert [(m["slug"], m["month"], m["booked"], m["capacity"], m["pct"], m["checked_in"], m["no_show"])
            for m in d.space_months] == \
        [(m.space, m.month, m.booked, m.capacity, m.pct, m.checked_in, m.no_show) for m in rep.space_months]
    assert d.checkins == [sum(w.checked_in for w in rep.weeks if w.week == wk) for wk in d.weeks]
    assert d.no_shows == [sum(w.no_show for w in rep.weeks if w.week == wk) for wk in d.weeks]
    assert sum(d.checkins) > 0 and sum(d.no_shows) > 0


def test_district_figures_are_kept_a_few_minutes_and_refreshed_by_the_job(world, monkeypatch):
    core = world.core
    root = world._mid("root")
    first = service.district(core, root, NOW.date(), fresh=True)
    assert service.district(core, root, NOW.date()) is first  # from the cache
    assert service.refresh_district(core, NOW) == 0  # young: nothing to do
    monkeypatch.setattr(service, "REFRESH_AFTER", 0.0)
    assert service.refresh_district(core, NOW) == 1
    assert service.district(core, root, NOW.date()) is not first
    with pytest.raises(service.Forbidden):  # the role is checked on every request, cached figures or not
        service.district(core, world._mid("boss"), NOW.date())


def _stats(core):
    return stats.impact_report(core)


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("playwright is not installed (CI=true: a failure, not a skip)")
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing (CI=true: a failure, not a skip); apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _open(browser, world, user, *, phone=False, lang=None):
    ctx = browser.new_context(viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
                              is_mobile=phone, java_script_enabled=True)
    page = ctx.new_page()
    page.goto(world.link(user))
    page.get_by_role("button").click()
    page.wait_for_url("**/dashboard")
    return ctx, page


def _cells(page, table_id):
    return page.eval_on_selector_all(f"#t-{table_id} tbody tr",
                                     "rows => rows.map(r => [...r.children].map(c => c.dataset.value ?? null))")


def _shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def _accessible(page):
    assert page.locator("html").get_attribute("lang") in ("de", "en")
    assert page.locator("table").count() == page.locator("table caption").count()
    assert page.locator("svg[role=img]").count() == page.locator("svg[role=img] > title").count()
    assert page.locator("meta[name=viewport]").count() == 1


def test_browser_district_page_shows_the_statistics(browser, world):
    from bot.i18n import fmt_decimal

    ctx, page = _open(browser, world, "root")
    try:
        page.get_by_role("link", name=re.compile("^Kreis:")).click()
        page.wait_for_url("**/dashboard/district")
        _accessible(page)
        assert "Alle Regionen" in page.inner_text("#region-note")  # the platform admin: every region, or one chosen
        rep = _stats(world.core)
        months = _cells(page, "months")
        assert [r[0] for r in months] == [m.month for m in rep.months]
        assert [int(r[1]) for r in months] == [m.commuters for m in rep.months]
        assert [float(r[2]) for r in months] == [float(m.attended_days) for m in rep.months]
        assert [float(r[3]) if r[3] else None for r in months] == [m.days_per_commuter for m in rep.months]
        assert [int(r[4]) for r in months] == [m.members for m in rep.months]
        assert [int(r[5]) for r in months] == [m.employers for m in rep.months]
        assert [int(r[6]) for r in months] == [m.employees for m in rep.months]
        assert [float(r[7]) for r in months] == pytest.approx([m.km_avoided for m in rep.months], abs=0.05)
        assert [float(r[8]) for r in months] == pytest.approx([m.co2_kg for m in rep.months], abs=0.05)
        emps = _cells(page, "employers")
        assert [(r[1], float(r[3]), float(r[4])) for r in emps] == \
            [(e.month, e.active_staff, e.days) for e in sorted(rep.employers, key=lambda e: (e.month, e.employer))]
        heat = {r[0]: r[1:] for r in _cells(page, "utilisation")}
        names = {w.name: w.space for w in rep.weeks}
        for w in rep.weeks:
            col = rep.week_labels().index(w.week)
            shown = heat[w.name][col]
            assert (float(shown) if shown else None) == w.pct, (w.name, w.week)
        assert set(heat) == set(names) | {"Σ"}
        total = page.inner_text("#impact-total")
        assert fmt_decimal(rep.total_km, "de", 1) in total and fmt_decimal(rep.total_co2, "de", 1) in total
        # per space (issue 17): utilisation per month, check-ins and no-shows over the range
        spaces = {r[0]: r[1:] for r in _cells(page, "spaces")}
        assert set(spaces) == set(names)
        for name in names:
            ms = [m for m in rep.space_months if m.name == name]
            ws = [w for w in rep.weeks if w.name == name]
            assert [float(v) if v else None for v in spaces[name][:-2]] == [m.pct for m in ms]
            assert [int(v) for v in spaces[name][-2:]] == [sum(w.checked_in for w in ws), sum(w.no_show for w in ws)]
        assert sum(int(r[-2]) for r in spaces.values()) > 0 and sum(int(r[-1]) for r in spaces.values()) > 0
        assert page.locator("svg.chart").count() == 5
        _shot(page, "district-de")
        ctx2 = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        ctx2.add_cookies(ctx.cookies())
        p2 = ctx2.new_page()
        p2.goto(world.url + "/dashboard/district")
        assert p2.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # wide tables scroll in their box
        _shot(p2, "district-phone")
        ctx2.close()
    finally:
        ctx.close()


def test_browser_employer_page_own_staff_only(browser, world):
    core = world.core
    ctx, page = _open(browser, world, "boss")
    try:
        page.get_by_role("link", name=re.compile("Stadtwerke")).click()
        page.wait_for_url("**/dashboard/employer/stadtwerke")
        _accessible(page)
        text = page.inner_text("main")
        for other in AGRAR + SELF:
            assert _name(other) not in text
        emp_id = _ids(core, Employer, "stadtwerke")
        remaining = core.booking.employer_remaining(emp_id, "2026-11")
        staff = {r[0]: r for r in _cells(page, "staff")}
        assert set(staff) == {row["name"] for row in remaining["employees"]} == {_name(u) for u in STADTWERKE}
        for row in remaining["employees"]:
            assert float(staff[row["name"]][1]) == row["granted"] / 2
            assert float(staff[row["name"]][2]) == row["used"] / 2
        # upcoming: exactly the employer-paid bookings of the staff from today on
        with core.db.session() as s:
            n = s.scalar(select(func.count(Booking.id)).where(
                Booking.employer_id == emp_id, Booking.payer == "employer", Booking.day >= NOW.date(), Booking.seat == 0,
                Booking.day < NOW.date() + timedelta(days=service.UPCOMING_DAYS),
                Booking.status.in_(("confirmed", "checked_in"))))
        assert len(_cells(page, "upcoming")) == n > 0
        months = {r[0]: r for r in _cells(page, "months")}
        with core.db.session() as s:
            nov = s.scalar(select(func.sum(Booking.charged_halves)).where(
                Booking.employer_id == emp_id, Booking.payer == "employer", Booking.day >= date(2026, 11, 1),
                Booking.day < date(2026, 12, 1)))
        assert float(months["2026-11"][1]) == nov / 2
        page.get_by_label("Monat", exact=True).select_option("2026-10")
        page.get_by_role("button", name="Anzeigen").click()
        page.wait_for_url("**month=2026-10")
        assert "Oktober 2026" in page.inner_text("main")
        _shot(page, "employer-de")
    finally:
        ctx.close()
    ctx, page = _open(browser, world, "agrarboss")  # English
    try:
        page.goto(world.url + "/dashboard/employer/agrartech")
        _accessible(page)
        assert page.locator("html").get_attribute("lang") == "en" and "Contingent per month" in page.inner_text("main")
        text = page.inner_text("main")
        for other in STADTWERKE + SELF:
            assert _name(other) not in text
        _shot(page, "employer-en")
        page.goto(world.url + "/dashboard/employer/stadtwerke")
        assert "No access" in page.inner_text("main") and "Anna" not in page.content()
    finally:
        ctx.close()


def test_browser_operator_page_own_space_only(browser, world):
    core = world.core
    ctx, page = _open(browser, world, "opc")
    try:
        page.get_by_role("link", name=re.compile("Coesfeld")).click()
        page.wait_for_url("**/dashboard/space/coesfeld")
        _accessible(page)
        sid = _ids(core, Space, "coesfeld")
        monday = NOW.date() - timedelta(days=NOW.weekday())
        with core.db.session() as s:
            rows = s.execute(select(Booking.day, Booking.status, func.count()).where(
                Booking.space_id == sid, Booking.day >= monday, Booking.day <= monday + timedelta(days=6))
                .group_by(Booking.day, Booking.status)).all()
            arrivals = s.execute(select(Member.display_name).join(Booking, Booking.member_id == Member.id).where(
                Booking.space_id == sid, Booking.day == NOW.date(),
                Booking.status.in_(("confirmed", "checked_in", "no_show", "waitlisted")))).scalars().all()
            others = s.execute(select(Member.display_name).join(Booking, Booking.member_id == Member.id).where(
                Booking.space_id != sid, Booking.day == NOW.date())).scalars().all()
        week = {r[0]: r for r in _cells(page, "week")}
        for d in (monday + timedelta(days=i) for i in range(7)):
            c = {st: n for day, st, n in rows if day == d}
            assert int(week[d.isoformat()][1]) == c.get("confirmed", 0) + c.get("checked_in", 0) + c.get("no_show", 0)
            assert int(week[d.isoformat()][3]) == c.get("checked_in", 0)
            assert int(week[d.isoformat()][4]) == c.get("no_show", 0)
        shown = sorted(r[1] for r in _cells(page, "arrivals"))
        assert shown == sorted(arrivals) and shown
        text = page.inner_text("main")
        for name in set(others) - set(arrivals):
            assert name not in text
        # utilisation this week agrees with bot.stats (desk-days booked over the week's capacity)
        rep = stats.compute(core.db, monday, NOW.date(), today=NOW.date(), co2_kg_per_km=0.15)
        (wk,) = [w for w in rep.weeks if w.space == "coesfeld"]
        assert wk.booked > 0
        # the space's last 12 weeks and their months (issue 17, goal 2 per space), as bot.stats counts them
        frm, to = stats.default_range(NOW.date())
        rep = stats.compute(core.db, frm, to, today=NOW.date(), co2_kg_per_km=0.15)
        weeks = [(r[0], float(r[1]) if r[1] else None, float(r[2]), int(r[3]), int(r[4]), int(r[5]))
                 for r in _cells(page, "weeks")]
        assert weeks == [(w.week, w.pct, w.booked, w.capacity, w.checked_in, w.no_show)
                         for w in rep.weeks if w.space == "coesfeld"]
        assert sum(w[4] for w in weeks) > 0 and sum(w[5] for w in weeks) > 0
        months = [(r[0], float(r[1]) if r[1] else None, float(r[2]), int(r[3]), int(r[4]), int(r[5]))
                  for r in _cells(page, "months")]
        assert months == [(m.month, m.pct, m.booked, m.capacity, m.checked_in, m.no_show)
                          for m in rep.space_months if m.space == "coesfeld"]
        assert page.locator("svg.chart").count() == 3
        _shot(page, "operator-de")
        page.goto(world.url + "/dashboard/space/duelmen")
        assert "Kein Zugriff" in page.inner_text("main")
    finally:
        ctx.close()
    ctx, page = _open(browser, world, "opd", phone=True)
    try:
        page.goto(world.url + "/dashboard/space/duelmen")
        assert "Today's arrivals" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        _shot(page, "operator-en-phone")
    finally:
        ctx.close()


def test_browser_reused_link_is_refused(browser, world):
    link = world.link("root")
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(link)
        page.get_by_role("button").click()
        page.wait_for_url("**/dashboard")
        page2 = browser.new_context().new_page()
        resp = page2.goto(link)
        assert resp.status == 410 and "nicht mehr gültig" in page2.inner_text("main")
        _shot(page2, "link-used")
        page2.context.close()
    finally:
        ctx.close()


def test_plain_figures_are_formatted_as_babel_does():
    """The page's own formatting of plain figures (below 1 000, one decimal at most) equals Babel's."""
    from bot.features.dashboard.chat import fmt_num
    from bot.i18n import fmt_decimal

    values = [k / 10 for k in range(-10_000, 10_001)] + list(range(-1_200, 1_200)) + \
        [round(k / 7, 1) for k in range(-7_000, 7_000)] + [-0.0, 0.05, 1e-5, 2.25, 1234.5, 1e6, 12345678.05]
    for lang in ("de", "en"):
        assert [fmt_num(v, lang) for v in values] == [fmt_decimal(v, lang, 1) for v in values]


def test_page_colours_have_enough_contrast():
    """WCAG AA (4.5:1) for the heat-map cells and the chart colours."""
    from bot.features.dashboard.chat import PALETTE

    def lum(hex_):
        rgb = [int(hex_[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    def ratio(a, b):
        la, lb = sorted((lum(a), lum(b)), reverse=True)
        return (la + 0.05) / (lb + 0.05)

    css = (Path(service.__file__).parent / "templates" / "base.html").read_text()
    pairs = re.findall(r"\.h(?:\d|-none) \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{3,6}); \}", css)
    assert len(pairs) == 6
    for bg, fg in pairs:
        fg = "#" + "".join(c * 2 for c in fg[1:]) if len(fg) == 4 else fg
        assert ratio(bg, fg) >= 4.5, (bg, fg)
    for c in PALETTE:
        assert ratio(c, "#ffffff") >= 4.5, c


def test_district_figures_equal_bot_stats_on_both_stores(chat_both):
    """The aggregate queries (month keys, the JSON cowork distance) on SQLite and PostgreSQL."""
    chat = chat_both
    core = chat.dialogue.core
    chat.send("anna", "/start STADTWERKE-2026")
    chat.send("bert", "/start AGRAR-2026")
    chat.send("anna", "/pendeln 23 4")
    chat.send("bert", "/pendeln 10")
    assert "Gebucht" in chat.send("anna", "Di und Mi in Coesfeld")
    assert "Gebucht" in chat.send("bert", "Dienstag vormittags Dülmen")
    assert "Gebucht" in chat.send("carl", "Mittwoch Coesfeld")
    core.clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
    chat.send("anna", "einchecken")
    chat.send("bert", "einchecken")
    core.clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=TZ))
    today = core.clock.today()
    frm, to = stats.default_range(today)
    d = service.compute_district(core, frm, to, today)
    rep = stats.compute(core.db, frm, to, today=today, co2_kg_per_km=core.settings.co2_kg_per_km)
    assert [(m["month"], m["members"], m["employers"], m["employees"], m["attended_days"], m["without_km"], m["km"])
            for m in d.months] == [(m.month, m.members, m.employers, m.employees, m.attended_days, m.days_without_km,
                                    m.km_avoided) for m in rep.months]
    assert d.months[-1]["km"] == 2 * (23 - 4) * 2 + 10  # Anna Tue + Wed (confirmed, over), Bert's half day
    assert [(m["commuters"], m["days_per_commuter"]) for m in d.months] == \
        [(m.commuters, m.days_per_commuter) for m in rep.months]
    assert [(e["month"], e["slug"], e["active_staff"], e["days"]) for e in d.employers] == \
        sorted((e.month, e.employer, e.active_staff, e.days) for e in rep.employers) != []
    assert {(slug, wk): p for slug, _n, cells in d.heat for wk, p in zip(d.weeks, cells)} == \
        {(w.space, w.week): w.pct for w in rep.weeks}


def test_the_job_keeps_every_regions_figures_computed_where_the_dashboard_is_served(world, monkeypatch):
    """With the HTTP port on, the first view after a start (or after a quiet hour) is served from figures the job
    computed: every region's and all regions' together, without anyone having looked."""
    core = world.core
    monkeypatch.setattr(core.settings, "http_port", 8080)
    for key in [k for k in service._cache if k[0] == id(core)]:
        service._cache.pop(key)
    service._viewed.pop(id(core), None)
    from sqlalchemy import select

    from bot.storage.models import Region

    with core.db.session() as s:
        regions = set(s.scalars(select(Region.id)))
    assert service.refresh_district(core, NOW) == len(regions) + 1
    assert {rid for (cid, rid) in service._cache if cid == id(core)} == regions | {None}
    first = service.district(core, world._mid("root"), NOW.date())
    assert first is service._cache[(id(core), None)][2]  # served from the job's figures
    assert service.refresh_district(core, NOW) == 0  # young: nothing to do


def test_space_page_cells_in_the_pages_language(sqlite_core, clock):
    """A public holiday and an erased member's name are shown in the page's language (they were German on
    English pages: "Erster Weihnachtstag", "(gelöscht)")."""
    from bot.features.dashboard.chat import rows_html

    chat = Chat(Dialogue(sqlite_core))
    clock.set(datetime(2026, 12, 21, 8, 0, tzinfo=TZ))  # the Monday of Christmas week
    assert "Olfen" in chat.send("olga", "OP-OLFEN")
    assert "✅" in chat.send("paul", "heute Olfen")
    with sqlite_core.db.session() as s:
        paul = s.scalar(select(Member).where(Member.display_name == "Paul"))
        paul.deleted_at, paul.display_name = clock.now(), ""
        olga = s.scalar(select(Member.id).where(Member.display_name == "Olga"))
    page = service.space_page(sqlite_core, olga, "olfen", clock.now().date())
    week, arrivals = service.space_tables(page)[:2]
    shown = {lang: (str(rows_html(week, lang)), str(rows_html(arrivals, lang))) for lang in ("de", "en")}
    # the cell as shown (its data-value keeps the holiday's name as the holidays package gives it)
    assert ">Erster Weihnachtstag<" in shown["de"][0] and ">Christmas Day<" in shown["en"][0]
    assert "Weihnachtstag<" not in shown["en"][0]
    assert ">(gelöscht)<" in shown["de"][1] and ">(deleted)<" in shown["en"][1] and "gelöscht" not in shown["en"][1]
