"""Impact statistics: utilisation per space and ISO week, participation, commute km and CO2 avoided."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot import stats
from bot.features.operator.chat import close_day
from bot.storage.models import Member, Space
from conftest import TZ


@pytest.fixture
def week(chat):
    """Week 48 of 2026: Anna (23 km, Stadtwerke) Tue (checked in) + Wed (no-show) Coesfeld, Bert (10 km, AgrarTech)
    Tue morning Dülmen (checked in), Carl (no distance, self-paid) Wed Coesfeld (checked in), Eve (5 km) Thu Coesfeld
    (confirmed, never released: counts once the day is over), Dora books and cancels. Clock ends Fri 27 Nov, 12:00."""
    core = chat.dialogue.core
    chat.send("anna", "/start STADTWERKE-2026")
    chat.send("bert", "/start AGRAR-2026")
    chat.send("anna", "/pendeln 23")
    chat.send("bert", "/pendeln 10")
    chat.send("eve", "/pendeln 5")
    assert "Gebucht" in chat.send("anna", "Di und Mi in Coesfeld")
    assert "Gebucht" in chat.send("bert", "Dienstag vormittags Dülmen")
    assert "Gebucht" in chat.send("carl", "Mittwoch Coesfeld")
    assert "Gebucht" in chat.send("dora", "Donnerstag Coesfeld")
    assert "Gebucht" in chat.send("eve", "Donnerstag Coesfeld")
    chat.send("dora", "Donnerstag stornieren")
    core.clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
    assert "eingecheckt" in chat.send("anna", "einchecken")
    assert "eingecheckt" in chat.send("bert", "einchecken")
    core.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))
    assert "eingecheckt" in chat.send("carl", "einchecken")
    core.clock.set(datetime(2026, 11, 25, 11, 0, tzinfo=TZ))
    assert len(core.booking.release_no_shows()) == 1  # Anna did not come on Wednesday
    core.clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=TZ))
    return chat


def test_commute_and_participation(week):
    core = week.dialogue.core
    rep = stats.impact_report(core, date(2026, 11, 23), date(2026, 11, 29))
    (nov,) = rep.months
    assert nov.month == "2026-11"
    assert (nov.employers, nov.employees, nov.members) == (2, 2, 4)
    # Anna Tue 2x23 + Bert Tue morning (a half day: half of 2x10) + Eve Thu 2x5; Carl Wed has no distance;
    # Anna's no-show counts nothing
    assert nov.attended_days == 3.5 and nov.days_without_km == 1
    assert nov.km_avoided == 66 and nov.co2_kg == pytest.approx(66 * core.settings.co2_kg_per_km)
    assert rep.total_km == 66


def test_the_way_to_the_coworking_space_is_subtracted(week):
    """km avoided = home→office round trip minus home→coworking round trip (issue 17's corrected method)."""
    core = week.dialogue.core
    assert "3 km" in week.send("anna", "/pendeln 23 3")
    (nov,) = stats.impact_report(core, date(2026, 11, 23), date(2026, 11, 29)).months
    assert nov.km_avoided == 66 - 2 * 3


def test_utilisation_per_space_and_week_with_closure(week):
    core = week.dialogue.core
    rep = stats.impact_report(core, date(2026, 11, 23), date(2026, 11, 29))
    by = {(w.space, w.week): w for w in rep.weeks}
    coes = by[("coesfeld", "2026-W48")]
    assert (coes.booked, coes.capacity) == (3.0, 8 * 5)  # Anna Tue, Carl Wed, Eve Thu; Mon-Fri open
    due = by[("duelmen", "2026-W48")]
    assert (due.booked, due.capacity) == (0.5, 6 * 6)  # half a day; Dülmen is open on Saturdays
    with core.db.session() as s:
        coesfeld = s.scalar(select(Space.id).where(Space.slug == "coesfeld"))
    close_day(core, None, coesfeld, date(2026, 11, 27), "Feier", core.clock.now(), check=False)
    rep = stats.impact_report(core, date(2026, 11, 23), date(2026, 11, 29))
    coes = next(w for w in rep.weeks if w.space == "coesfeld")
    assert coes.capacity == 8 * 4 and coes.pct == pytest.approx(100 * 3 / 32, abs=0.1)


def test_holidays_reduce_capacity(sqlite_core):
    rep = stats.impact_report(sqlite_core, date(2026, 12, 21), date(2026, 12, 27))
    coes = next(w for w in rep.weeks if w.space == "coesfeld")
    assert coes.capacity == 8 * 4  # Fri 25 Dec is a holiday (26 Dec is a Saturday)


def test_co2_factor_is_a_setting(week):
    core = week.dialogue.core
    rep = stats.compute(core.db, date(2026, 11, 23), date(2026, 11, 29), today=core.clock.today(), co2_kg_per_km=0.2)
    assert rep.total_co2 == pytest.approx(13.2)


def test_erased_member_still_counts_days_but_not_km(week):
    from bot.features.privacy import erase_member

    core = week.dialogue.core
    with core.db.session() as s:
        anna = s.scalar(select(Member.id).where(Member.display_name == "Anna"))
    erase_member(core, anna, core.clock.now())
    (nov,) = stats.impact_report(core, date(2026, 11, 23), date(2026, 11, 29)).months
    assert nov.attended_days == 3.5 and nov.km_avoided == 20 and nov.days_without_km == 2


def test_csv_and_chart(week):
    rep = stats.impact_report(week.dialogue.core, date(2026, 11, 16), date(2026, 11, 29))
    rows = list(csv.DictReader(io.StringIO(rep.to_csv())))
    util = [r for r in rows if r["kind"] == "utilisation" and r["space"] == "coesfeld"]
    assert [r["period"] for r in util] == ["2026-W47", "2026-W48"] and util[1]["booked_desk_days"] == "3"
    month = next(r for r in rows if r["kind"] == "month")
    assert month["km_avoided"] == "66.0" and month["employers"] == "2"
    pytest.importorskip("matplotlib")
    png = rep.chart_png("de")
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert "66,0 km" in rep.summary_text("de") and "66.0 km" in rep.summary_text("en")
    assert "3,5 Coworking-Tage" in rep.summary_text("de")


def test_stats_by_chat_for_platform_admin_only(week):
    assert "Plattform-Admins" in week.send("anna", "/stats")
    assert not week.last["anna"][0].attachments
    week.send("root", "/start KREIS-PLATFORM-ADMIN")
    reply = week.send("root", "/stats")
    assert "Wirkung" in reply and "66,0 km" in reply
    names = [a.filename for a in week.last["root"][0].attachments]
    assert "deskbot-impact.csv" in names
    if "deskbot-impact.png" not in names:
        assert "matplotlib" in reply


def test_the_three_goals_per_month_and_per_employer(week):
    """Goal 1: active commuters and days per person; goal 2: utilisation (above); goal 3: employers with
    active staff, per employer — also in the CSV."""
    rep = stats.impact_report(week.dialogue.core, date(2026, 11, 23), date(2026, 11, 29))
    (nov,) = rep.months
    assert nov.commuters == 4 and nov.days_per_commuter == round(3.5 / 4, 2)  # Anna, Bert (half), Carl, Eve
    by = {e.employer: e for e in rep.employers}
    assert set(by) == {"stadtwerke", "agrartech"}
    assert (by["stadtwerke"].active_staff, by["stadtwerke"].days) == (1, 1)
    assert (by["agrartech"].active_staff, by["agrartech"].days) == (1, 0.5)
    rows = list(csv.DictReader(io.StringIO(rep.to_csv())))
    assert {r["employer"] for r in rows if r["kind"] == "employer"} == {"stadtwerke", "agrartech"}
    assert next(r for r in rows if r["kind"] == "month")["commuters"] == "4"


def test_check_ins_no_shows_and_utilisation_per_space_per_week_and_month(week):
    """Issue 17, goal 2 per space: utilisation per ISO week and per month, check-ins and no-shows (bookings)."""
    from bot.reports import shown_spaces, space_chart_png

    rep = stats.impact_report(week.dialogue.core, date(2026, 11, 23), date(2026, 11, 29))
    by = {(w.space, w.week): w for w in rep.weeks}
    coes, due = by[("coesfeld", "2026-W48")], by[("duelmen", "2026-W48")]
    assert (coes.checked_in, coes.no_show) == (2, 1)  # Anna Tue + Carl Wed came, Anna Wed did not; Eve's is open
    assert (due.checked_in, due.no_show) == (1, 0)
    months = {(m.space, m.month): m for m in rep.space_months}
    nov = months[("coesfeld", "2026-11")]
    assert (nov.booked, nov.capacity, nov.checked_in, nov.no_show, nov.pct) == \
        (coes.booked, coes.capacity, 2, 1, coes.pct)
    assert {m.space for m in rep.space_months} == {w.space for w in rep.weeks}
    rows = list(csv.DictReader(io.StringIO(rep.to_csv())))
    row = next(r for r in rows if r["kind"] == "space_month" and r["space"] == "coesfeld")
    assert (row["period"], row["booked_desk_days"], row["checked_in"], row["no_show"]) == ("2026-11", "3", "2", "1")
    util = next(r for r in rows if r["kind"] == "utilisation" and r["space"] == "coesfeld")
    assert (util["checked_in"], util["no_show"]) == ("2", "1")
    spaces, total = shown_spaces(rep)
    assert total == len({w.space for w in rep.weeks}) == len(spaces) and "coesfeld" in [slug for slug, _ in spaces]
    pytest.importorskip("matplotlib")
    png = space_chart_png(rep, "en")
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_a_month_splits_across_two_months_of_a_range(week):
    """A range over two months: each month has only its own days (capacity and bookings)."""
    rep = stats.impact_report(week.dialogue.core, date(2026, 10, 26), date(2026, 11, 29))
    months = {(m.space, m.month): m for m in rep.space_months}
    octo, nov = months[("coesfeld", "2026-10")], months[("coesfeld", "2026-11")]
    assert octo.booked == 0 and octo.capacity == 8 * 5  # Mon 26 - Fri 30 Oct
    assert sum(w.capacity for w in rep.weeks if w.space == "coesfeld") == octo.capacity + nov.capacity
    assert nov.booked == 3.0 and (nov.checked_in, nov.no_show) == (2, 1)
