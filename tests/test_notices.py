"""Each notice kind end to end: chat -> outbox -> TerminalDriver -> TerminalTransport, with a moved clock."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import select, update

from bot.dialogue import Dialogue
from bot.domain import Reply
from bot.handlers.terminal import TerminalTransport
from bot.notices import notice_switches
from bot.scheduler import TerminalDriver
from bot.storage.models import Employer, Member, Outbox
from tests.conftest import TZ, Chat


class World:
    def __init__(self, core, clock) -> None:
        self.core, self.clock = core, clock
        self.dialogue = Dialogue(core)
        self.chat = Chat(self.dialogue)
        self.tr = TerminalTransport(io.StringIO())
        self.driver = TerminalDriver(core, self.dialogue, {"terminal": self.tr})
        self._seen = 0

    def at(self, y: int, m: int, d: int, hh: int, mm: int = 0) -> None:
        self.clock.set(datetime(y, m, d, hh, mm, tzinfo=TZ))
        self.driver.catch_up(self.clock.now())

    def send(self, user: str, text: str, **kw) -> str:
        out = self.chat.send(user, text, **kw)
        self.driver.pump()
        return out

    def new(self, chat_id: str | None = None) -> list[Reply]:
        """Notices delivered since the last call (to one chat, if given)."""
        fresh = self.tr.delivered[self._seen:]
        self._seen = len(self.tr.delivered)
        return [r for c, r in fresh if chat_id is None or c == chat_id]

    def press(self, user: str, reply: Reply, label: str) -> str:
        data = next(c.data for c in reply.flat_choices() if label.lower() in c.label.lower())
        out = self.chat.press_data(user, data)
        self.driver.pump()
        return out

    def rows(self, kind: str | None = None) -> list[Outbox]:
        with self.core.db.session() as s:
            q = select(Outbox).order_by(Outbox.id)
            if kind:
                q = q.where(Outbox.kind == kind)
            return list(s.scalars(q))


@pytest.fixture
def w(sqlite_core, clock):
    return World(sqlite_core, clock)


@pytest.fixture
def w_both(core, clock):
    return World(core, clock)


def texts(replies: list[Reply]) -> str:
    return "\n---\n".join(r.text for r in replies)


def test_evening_and_morning_reminder_with_checkin_button(w_both):
    w = w_both
    w.send("olga", "OP-COESFELD")
    w.send("anna", "STADTWERKE-2026")
    assert "Gebucht" in w.send("anna", "/buchen morgen coesfeld")
    w.new()
    w.at(2026, 11, 23, 17, 59)
    assert w.new("anna") == []
    w.at(2026, 11, 23, 18, 0)
    [rem] = w.new("anna")
    assert rem.text.startswith("🔔 Erinnerung: Morgen (Di, 24.11.)") and "Coworking Coesfeld" in rem.text
    assert [c.label for c in rem.flat_choices()] == ["❌ Stornieren"]
    w.at(2026, 11, 24, 7, 29)
    assert w.new("anna") == []
    w.at(2026, 11, 24, 7, 30)
    morning = w.new("anna")
    assert len(morning) == 1 and "Guten Morgen" in morning[0].text and "bis 10:00 Uhr" in morning[0].text
    # the button checks in (too early before 07:00 would re-offer it; 07:30 is fine)
    assert "eingecheckt" in w.press("anna", morning[0], "Einchecken")
    ops = texts(w.new("olga"))
    assert "Anna (Stadtwerke Münsterland (Demo)) ist in Coworking Coesfeld eingecheckt" in ops
    # pressed once: the token is spent
    assert "schon erledigt" in w.chat.press_data("anna", morning[0].flat_choices()[0].data)
    # nothing is sent twice, nothing left pending
    w.at(2026, 11, 24, 12, 0)
    assert all(r.status in ("sent", "cancelled") for r in w.rows())
    assert w.new("anna") == []


def test_too_early_checkin_offers_the_button_again(w):
    w.send("anna", "/buchen morgen coesfeld")
    w.at(2026, 11, 24, 7, 30)
    [morning] = [r for r in w.new("anna") if "Guten Morgen" in r.text]
    w.clock.set(datetime(2026, 11, 24, 6, 50, tzinfo=TZ))  # clock moved back: too early to check in
    out = w.press("anna", morning, "Einchecken")
    assert "ab 07:00" in out
    again = w.chat.last["anna"][0]
    assert [c.label for c in again.flat_choices()] == ["✅ Einchecken"]


def test_reminders_withdrawn_after_cancel_and_after_checkin(w):
    w.send("anna", "/buchen morgen coesfeld")
    w.send("anna", "/storno morgen")
    w.at(2026, 11, 24, 12, 0)
    assert w.new("anna") == []
    assert {r.status for r in w.rows("reminder_evening")} == {"cancelled"}


def test_arrival_new_and_cancelled_to_operator_and_group(w_both):
    w = w_both
    w.send("olga", "OP-DUELMEN")
    w.chat.send("olga", "OP-DUELMEN", chat_id="grp-duelmen", is_group=True)
    # Members.resolve moves an identity's chat_id to the chat of its latest message (even a group):
    # write once more in the direct chat so olga's notices go to her DM again
    w.send("olga", "/hilfe")
    w.new()
    w.send("anna", "STADTWERKE-2026")
    w.send("anna", "/buchen heute nachmittag duelmen")
    arrivals = [r for r in w.new() if r.text.startswith("🆕")]
    by_chat = {}
    for chat_id, r in [(c, r) for c, r in w.tr.delivered if r in arrivals]:
        by_chat.setdefault(chat_id, []).append(r.text)
    assert set(by_chat) == {"olga", "grp-duelmen"}
    for msgs in by_chat.values():
        assert msgs == ["🆕 Neue Buchung für heute in Coworking Dülmen: Anna (Stadtwerke Münsterland (Demo)), nachmittags, Platz 1."]
    assert "Storno-Frist" in w.send("anna", "/storno heute")  # past the cutoff: asked first
    w.chat.press("anna", "Ja, stornieren")
    w.driver.pump()
    cancelled = texts(w.new("grp-duelmen"))
    assert "Anna (Stadtwerke Münsterland (Demo)) hat für heute in Coworking Dülmen storniert (nachmittags)" in cancelled


def test_digest_at_opening_time(w):
    w.send("olga", "OP-COESFELD")
    w.send("anna", "STADTWERKE-2026")
    w.send("anna", "/buchen morgen coesfeld vormittags")
    w.send("bert", "/buchen morgen coesfeld")
    w.new()
    w.at(2026, 11, 24, 7, 59)
    assert w.new("olga") == []
    w.at(2026, 11, 24, 8, 0)
    [digest] = w.new("olga")
    assert digest.text.splitlines() == [
        "☀️ Heute in Coworking Coesfeld (Di, 24.11.): 2 Buchungen",
        "• Anna (Stadtwerke Münsterland (Demo)) – vormittags, Platz 1",
        "• Bert (zahlt selbst) – ganztags, Platz 2",
    ]
    w.at(2026, 11, 24, 17, 0)
    assert w.new("olga") == []  # once a day
    # Saturday: Coesfeld is closed, no digest; Sunday neither
    w.at(2026, 11, 29, 12, 0)
    assert [r.text for r in w.new("olga") if "Heute in" in r.text and "Sa," in r.text] == []


def test_no_show_and_waitlist_promoted(w):
    # Rosendahl has two desks: full tomorrow, carla waits; anna cancels -> carla moves up and is told
    w.send("anna", "/buchen morgen rosendahl")
    w.send("bert", "/buchen morgen rosendahl")
    out = w.send("carla", "/buchen morgen rosendahl")
    assert "ausgebucht" in out
    w.chat.press("carla", "Warteliste")
    w.send("anna", "/storno morgen")
    [promoted] = w.new("carla")
    assert promoted.text.startswith("🎉 Ein Platz ist frei geworden!") and "Coworking Rosendahl" in promoted.text
    # bert does not check in by 10:00 -> no-show notice
    w.at(2026, 11, 24, 9, 59)
    assert not [r for r in w.new("bert") if "verfallen" in r.text]
    w.at(2026, 11, 24, 10, 0)
    bert = texts(w.new("bert"))
    assert "nicht rechtzeitig eingecheckt" in bert


def test_nudge_buttons_and_skips(w):
    w.send("anna", "STADTWERKE-2026")
    w.send("anna", "/buchen heute senden")
    out = w.send("anna", "/einstellungen pendeln 19:00 mo-fr")
    assert "Pendel-Vorschlag" in out and "19:00 Uhr, Mo–Fr" in out
    w.new()
    w.at(2026, 11, 23, 18, 59)
    assert [r for r in w.new("anna") if "pendeln" in r.text] == []
    w.at(2026, 11, 23, 19, 0)
    [nudge] = [r for r in w.new("anna") if "pendeln" in r.text]
    assert nudge.text == "🚲 Morgen (Di, 24.11.) im Coworking statt pendeln?"
    labels = [c.label for c in nudge.flat_choices()]
    assert labels == ["Senden (5 frei)", "Nein, danke"]
    assert "Gebucht: Coworking Senden, Di, 24.11." in w.press("anna", nudge, "Senden")
    # Tuesday evening: Wednesday already booked? no -> nudge; answer "no"
    w.at(2026, 11, 24, 19, 0)
    [nudge2] = [r for r in w.new("anna") if "pendeln" in r.text]
    assert "Mi, 25.11." in nudge2.text
    assert "bis zum nächsten Mal" in w.press("anna", nudge2, "Nein")
    # already booked Thursday -> skipped
    w.send("anna", "/buchen donnerstag senden")
    w.at(2026, 11, 25, 19, 30)
    assert [r for r in w.new("anna") if "pendeln" in r.text] == []
    # Friday evening: Saturday is not among the days -> nothing; Sunday evening: Monday -> nudge
    w.at(2026, 11, 30, 12, 0)
    nudges = [r.text for r in w.new("anna") if "pendeln" in r.text]
    assert nudges == ["🚲 Morgen (Fr, 27.11.) im Coworking statt pendeln?", "🚲 Morgen (Mo, 30.11.) im Coworking statt pendeln?"]
    skipped = {r.dedupe_key: r.last_error for r in w.rows("nudge") if r.status == "cancelled"}
    assert skipped == {"nudge:1:2026-11-26": "skipped: already booked"}


def test_nudge_skipped_on_nrw_holiday(w):
    w.send("anna", "/buchen heute senden")
    w.send("anna", "/einstellungen pendeln 19:00 täglich")
    w.clock.set(datetime(2026, 12, 23, 12, 0, tzinfo=TZ))
    w.driver.catch_up(w.clock.now())
    w.new()
    w.at(2026, 12, 28, 12, 0)
    days = [r.text for r in w.new("anna") if "pendeln" in r.text]
    assert days == ["🚲 Morgen (Do, 24.12.) im Coworking statt pendeln?",  # 25. and 26.12. are holidays, 27. a Sunday
                    "🚲 Morgen (Mo, 28.12.) im Coworking statt pendeln?"]
    reasons = {r.dedupe_key: r.last_error for r in w.rows("nudge") if r.status == "cancelled"}
    assert reasons["nudge:1:2026-12-25"].startswith("skipped: holiday")
    assert reasons["nudge:1:2026-12-26"].startswith("skipped: holiday")
    assert reasons["nudge:1:2026-12-27"] == "skipped: usual spaces closed (or none known)"  # Sunday


def test_contingent_alert_to_employer_admins(w_both):
    w = w_both
    with w.core.db.session() as s:
        s.execute(update(Employer).where(Employer.slug == "stadtwerke").values(alert_percent=80))
    w.send("boss", "STADTWERKE-ADMIN")
    w.send("anna", "STADTWERKE-2026")
    w.send("anna", "/buchen morgen coesfeld")  # 7 of 8 left: 87.5 %
    assert [r for r in w.new("boss") if "Kontingent" in r.text] == []
    w.send("anna", "/buchen übermorgen coesfeld")  # 6 of 8 left: 75 % < 80 %
    alerts = [r.text for r in w.new("boss") if "Kontingent" in r.text]
    assert alerts == ["⚠️ Das Kontingent von Anna (Stadtwerke Münsterland (Demo)) für November 2026 ist fast aufgebraucht: noch 6 von 8 Tagen."]
    w.send("anna", "/buchen donnerstag coesfeld")
    assert [r for r in w.new("boss") if "Kontingent" in r.text] == []  # once per account and month


def test_monthly_report_on_the_first(w):
    w.send("boss", "STADTWERKE-ADMIN")
    w.send("anna", "STADTWERKE-2026")
    w.send("bert", "STADTWERKE-2026")
    w.send("anna", "/buchen morgen coesfeld")
    w.send("anna", "/buchen mittwoch duelmen vormittags")
    w.send("bert", "/buchen morgen olfen")
    w.new()
    w.at(2026, 12, 1, 6, 59)
    assert [r for r in w.new("boss") if "Monatsbericht" in r.text] == []
    w.at(2026, 12, 1, 7, 0)
    [rep] = [r for r in w.new("boss") if "Monatsbericht" in r.text]
    assert rep.text.splitlines()[0] == "📊 Monatsbericht Stadtwerke Münsterland (Demo), November 2026: 2,5 Tage im Coworking, Kosten 40,50 €."
    names = [a.filename for a in rep.attachments]
    assert names == ["deskbot-2026-11-stadtwerke-muensterland-demo.csv", "deskbot-2026-11-stadtwerke-muensterland-demo.png"]
    rows = list(csv.reader(io.StringIO(rep.attachments[0].data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Mitarbeiter:in", "Coworking", "Tage", "Kosten EUR"],
        ["Anna", "Coworking Coesfeld, Coworking Dülmen", "1,50", "25,50"],
        ["Bert", "Coworking Olfen", "1", "15"],
        ["Summe", "", "2,50", "40,50"],
    ]
    assert rep.attachments[1].data[:8] == b"\x89PNG\r\n\x1a\n"
    w.at(2026, 12, 3, 12, 0)
    assert [r for r in w.new("boss") if "Monatsbericht" in r.text] == []


def test_employer_copy_when_switched_on(w):
    w.send("boss", "STADTWERKE-ADMIN")
    w.send("anna", "STADTWERKE-2026")
    w.send("anna", "/buchen morgen coesfeld")
    assert w.new("boss") == []  # off by default
    out = w.send("boss", "/einstellungen kopie an")
    assert "Gespeichert – Kopie jeder Buchung (Arbeitgeber): an" in out  # one line, not the whole menu
    w.clock.set(datetime(2026, 11, 23, 8, 1, tzinfo=TZ))  # only changes after the switch count
    w.send("anna", "/buchen mittwoch coesfeld")
    w.send("anna", "/storno mittwoch")
    copies = [r.text for r in w.new("boss")]
    assert copies == ["📋 Kopie: Anna hat Coworking Coesfeld am Mi, 25.11. gebucht.",
                      "📋 Kopie: Anna hat Coworking Coesfeld am Mi, 25.11. storniert."]


def test_switched_off_kind_is_cancelled_at_delivery(w):
    w.send("anna", "/buchen morgen coesfeld")
    out = w.send("anna", "/einstellungen erinnerung aus")
    assert "Gespeichert – Erinnerung am Vorabend (18:00 Uhr): aus" in out
    w.at(2026, 11, 24, 7, 30)
    assert [r.text.split("!")[0] for r in w.new("anna")] == ["☀️ Guten Morgen"]
    rows = {r.kind: (r.status, r.last_error) for r in w.rows()}
    assert rows["reminder_evening"] == ("cancelled", "switched off by the member")
    assert rows["reminder_morning"][0] == "sent"


def test_personal_reminder_time_and_buttons(w):
    w.send("anna", "/buchen morgen coesfeld")
    out = w.send("anna", "/einstellungen erinnerung 19:30")
    assert "Erinnerung am Vorabend (19:30 Uhr)" in out
    w.at(2026, 11, 23, 19, 29)
    assert w.new("anna") == []
    w.at(2026, 11, 23, 19, 30)
    assert [r.text.split(":")[0] for r in w.new("anna")] == ["🔔 Erinnerung"]
    # buttons: switch the morning reminder off, pick a nudge weekday preset
    w.chat.send("anna", "/settings")
    assert "🔕 Erinnerung am Morgen mit Check-in-Knopf" in [c.label for c in w.chat.choices("anna")]
    w.chat.press("anna", "Erinnerung am Morgen")
    assert "⬜ Erinnerung am Morgen" in w.chat.last["anna"][0].text
    w.chat.press("anna", "Vorschlag: Tage")
    w.chat.press("anna", "Di, Do")
    with w.core.db.session() as s:
        prefs = s.scalar(select(Member.prefs).where(Member.display_name == "Anna"))
    assert prefs["nudge"] == {"days": ["tue", "thu"], "on": True}
    assert prefs["notices"]["reminder_morning"] is False and prefs["reminder_time"] == "19:30"
    w.at(2026, 11, 24, 12, 0)
    assert [r for r in w.new("anna") if "Morgen" in r.text] == []  # morning reminder switched off


def test_english_recipient(w):
    w.send("olga", "OP-COESFELD")
    w.send("olga", "/language en")
    w.send("anna", "/language en")
    w.send("anna", "/buchen morgen coesfeld")
    w.at(2026, 11, 24, 8, 0)
    anna = [r.text for c, r in w.tr.delivered if c == "anna"]
    olga = [r.text for c, r in w.tr.delivered if c == "olga"]
    assert anna[0].startswith("🔔 Reminder: Tomorrow (Tue 24 Nov) you have a desk at Coworking Coesfeld")
    assert anna[1].startswith("☀️ Good morning! Today: Coworking Coesfeld")
    assert [c.label for c in w.tr.delivered[-1][1].flat_choices()] in (["✅ Check in", "❌ Cancel"], [])
    assert any(t.startswith("☀️ Today at Coworking Coesfeld (Tue 24 Nov): 1 booking\n") for t in olga)


def test_settings_text_variants(w):
    assert "Pendel-Vorschlag" in w.send("anna", "/einstellungen")
    assert "Gespeichert" in w.send("anna", "/settings nudge 6:30 mon,wed,fri")
    assert "Gespeichert" in w.send("anna", "/einstellungen 20 uhr")
    assert "kenne ich nicht" in w.send("anna", "/einstellungen quatsch")
    with w.core.db.session() as s:
        prefs = s.scalar(select(Member.prefs).where(Member.display_name == "Anna"))
    assert prefs["nudge"] == {"time": "06:30", "days": ["mon", "wed", "fri"], "on": True}
    assert prefs["reminder_time"] == "20:00"
    assert "Ankunftsmeldungen" not in w.send("anna", "/einstellungen")  # operator switches only for operators
    w.send("anna", "OP-OLFEN")
    assert "Ankunftsmeldungen (Betreiber)" in w.send("anna", "/einstellungen")


def test_contingent_alert_for_a_month_booked_ahead(w_both):
    """A month booked ahead gets its alert when it is booked, not when it begins (issue 17)."""
    w = w_both
    with w.core.db.session() as s:
        s.execute(update(Employer).where(Employer.slug == "stadtwerke").values(alert_percent=80))
    w.send("boss", "STADTWERKE-ADMIN")
    w.send("anna", "STADTWERKE-2026")
    w.send("anna", "buche 7.12. und 8.12. Coesfeld")
    w.driver.run_due()
    w.driver.pump()
    alerts = [r.text for r in w.new("boss") if "Kontingent" in r.text]
    assert len(alerts) == 1 and "Dezember 2026" in alerts[0]


def test_a_series_over_two_months_shows_both_months(w):
    w.send("anna", "STADTWERKE-2026")
    out = w.send("anna", "buche 30.11. und 1.12. Coesfeld")
    assert "November 2026: noch 7" in out and "Dezember 2026: noch 7" in out


def test_nudge_names_the_saving_in_the_members_language(w):
    """The km and CO₂ of a nudge are numbers of the member's language (grouped, decimal comma or point)."""
    w.send("anna", "STADTWERKE-2026")
    w.send("anna", "/buchen heute senden")
    assert "500 km" in w.send("anna", "/pendeln 500")
    w.send("anna", "/einstellungen pendeln 19:00 mo-fr")
    w.new()
    w.at(2026, 11, 23, 19, 0)
    [nudge] = [r for r in w.new("anna") if "pendeln" in r.text]
    co2 = 2 * 500 * w.core.settings.co2_kg_per_km
    de = f"{co2:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".")
    assert f"Du sparst dir 1.000 km Fahrt und etwa {de} kg CO₂." in nudge.text
    w.send("anna", "/sprache en")
    w.at(2026, 11, 24, 19, 0)
    [nudge2] = [r for r in w.new("anna") if "commut" in r.text.lower() or "save" in r.text]
    assert f"You'd save 1,000 km of driving and about {co2:,.1f} kg of CO₂." in nudge2.text


_FREE_TEXT_SETTINGS = [  # (typed, evening on, morning on, evening time, morning time) after it
    ("Erinnere mich abends um 20 Uhr", True, True, "20:00", None),
    ("keine Erinnerungen mehr bitte", False, False, "20:00", None),
    ("Erinnerung morgens um 7", False, True, "20:00", "07:00"),
    ("Erinnerungen wieder an", True, True, "20:00", "07:00"),
    ("Bitte erinnere mich nicht mehr", False, False, "20:00", "07:00"),
    ("Erinnerung 19:30", True, False, "19:30", "07:00"),  # the bot's own suggestion
    ("remind me at 8 in the morning", True, True, "19:30", "08:00"),
    ("turn off all reminders", False, False, "19:30", "08:00"),
    ("remind me at 7 pm the evening before", True, False, "19:00", "08:00"),
    ("stop reminding me", False, False, "19:00", "08:00"),
    ("Erinnerungen wieder an", True, True, "19:00", "08:00"),
    ("don't remind me anymore", False, False, "19:00", "08:00"),
    ("Erinnerungen wieder an", True, True, "19:00", "08:00"),
    ("Ich will nicht mehr jeden Abend ne Nachricht kriegen", False, True, "19:00", "08:00"),
    ("Keine Push-Nachrichten mehr", False, False, "19:00", "08:00"),
]


def test_reminder_settings_in_free_text(w):
    """Typed reminder wishes were read only in command form: "Erinnere mich abends um 20 Uhr" and "remind me at 8 in
    the morning" got "Das kenne ich nicht als Einstellung", "Erinnerung morgens um 7" set the evening one to 07:00."""
    for typed, evening, morning, ev_time, mo_time in _FREE_TEXT_SETTINGS:
        out = w.send("anna", typed)
        assert "Gespeichert" in out or "Saved" in out, (typed, out)
        with w.core.db.session() as s:
            prefs = s.scalar(select(Member.prefs).where(Member.display_name == "Anna"))
        switches = notice_switches(prefs)
        assert (switches["reminder_evening"], switches["reminder_morning"]) == (evening, morning), typed
        assert (prefs.get("reminder_time"), prefs.get("reminder_morning_time")) == (ev_time, mo_time), typed
    assert "⚙️ Deine Benachrichtigungen:" in w.send("anna", "Kann ich die Benachrichtigungen ändern?")  # the menu
    # a command keeps its strict form: the evening reminder at 07:00
    w.send("anna", "/einstellungen erinnerung 07:00")
    with w.core.db.session() as s:
        assert s.scalar(select(Member.prefs).where(Member.display_name == "Anna"))["reminder_time"] == "07:00"
