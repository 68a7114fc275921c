"""Desk choice (issue 17): "Platz 3", "mit Monitor", "ein ruhiger Platz", "Stehpult".

Chat scripts through the real Dialogue and parser on both stores. The demo world's desk features:
Coesfeld 1 monitor+standing, 2 monitor, 3 quiet; Dülmen 5 monitor, 6 monitor+quiet; Senden 4 monitor,
5 standing. A wish that cannot be met books nothing and offers buttons; a question never books.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import func, select

from bot.booking import Booked, DeskTaken, NoMatchingDesk, NoSuchFeature, UnknownDesk
from bot.clock import FixedClock
from bot.dialogue import Dialogue
from bot.domain import IncomingMessage
from bot.i18n import t
from bot.storage.models import Booking, Desk, Outbox, Space
from tests.conftest import REPO, Chat, make_settings
from tests.test_docs_examples import DEMO_NOW

TUE = date(2026, 11, 24)  # "morgen" on the fixed clock (Mon 23.11.2026 08:00)
FRI = date(2026, 11, 27)


def booked_desks(core, name: str | None = None) -> list[tuple[str, str]]:
    """(space slug, desk label) of the active bookings (of the member with this display name)."""
    from bot.storage.models import Member

    with core.db.session() as s:
        q = (select(Space.slug, Desk.label).select_from(Booking).join(Space, Space.id == Booking.space_id)
             .join(Desk, Desk.id == Booking.desk_id).where(Booking.status.in_(("confirmed", "checked_in")))
             .order_by(Booking.id))
        if name is not None:
            q = q.join(Member, Member.id == Booking.member_id).where(Member.display_name == name)
        return [tuple(r) for r in s.execute(q).all()]


def n_bookings(core) -> int:
    with core.db.session() as s:
        return s.scalar(select(func.count(Booking.id)))


def labels(chat: Chat, user: str) -> list[str]:
    return [c.label for c in chat.choices(user)]


# ---------------------------------------------------------------- one desk by its label


def test_a_named_desk_is_booked_and_shown_with_its_features(chat_both, core):
    chat = chat_both
    chat.send("anna", "STADTWERKE-2026")
    r = chat.send("anna", "morgen Coesfeld Platz 3")
    assert "✅ Gebucht: Coworking Coesfeld, Di, 24.11., Platz 3 (ruhig)." in r
    assert "noch 7 von 8 Tagen" in r
    assert booked_desks(core) == [("coesfeld", "3")]
    assert "Di, 24.11. – Coworking Coesfeld, Platz 3 (ruhig)" in chat.send("anna", "meine Buchungen")


def test_a_taken_desk_books_nothing_and_offers_a_desk_like_it(chat_both, core):
    chat = chat_both
    chat.send("anna", "/buchen morgen Dülmen Platz 5")
    chat.send("bob", "STADTWERKE-2026")
    r = chat.send("bob", "morgen Dülmen Platz 5")
    assert "😕 Platz 5 in Coworking Dülmen ist am Di, 24.11. schon vergeben." in r
    assert "Gebucht" not in r and t("de", "error") not in r
    assert booked_desks(core, "Bob") == []
    assert "noch 8 von 8 Tagen" in chat.send("bob", "wie viele Tage habe ich noch?")  # nothing charged
    chat.send("bob", "morgen Dülmen Platz 5")
    # another free desk of the space, the one with the same feature (a monitor) first; no waitlist for one desk
    assert labels(chat, "bob")[0] == "Platz 6 (Monitor, ruhig) buchen"
    assert not any("Warteliste" in x for x in labels(chat, "bob"))
    r = chat.press("bob", "Platz 6")
    assert "✅ Gebucht: Coworking Dülmen, Di, 24.11., Platz 6 (Monitor, ruhig)." in r
    assert booked_desks(core, "Bob") == [("duelmen", "6")]


def test_a_taken_desk_in_a_full_space_offers_the_nearest_spaces(chat_both, core):
    chat = chat_both
    chat.send("anna", "morgen Rosendahl Platz 1")
    chat.send("bert", "morgen Rosendahl")
    r = chat.send("carl", "morgen Rosendahl Platz 2")
    assert "Platz 2 in Coworking Rosendahl ist am Di, 24.11. schon vergeben." in r
    assert "Coesfeld (8, 7 km)" in r  # the nearest free spaces, as for any full space
    assert booked_desks(core, "Carl") == []
    r = chat.press("carl", "Coesfeld buchen")
    assert "Gebucht: Coworking Coesfeld" in r  # any desk there: the wish was for Rosendahl's desk 2


def test_an_unknown_desk_lists_the_desks_of_the_space(chat_both, core):
    chat = chat_both
    r = chat.send("anna", "morgen Coesfeld Platz 99")
    assert ("🤔 Einen Platz 99 gibt es in Coworking Coesfeld nicht. Die Plätze dort: 1 (Monitor, Stehpult), "
            "2 (Monitor), 3 (ruhig), 4, 5, 6, 7, 8.") in r
    assert n_bookings(core) == 0
    assert labels(chat, "anna")[:2] == ["Platz 1 (Monitor, Stehpult) buchen", "Platz 2 (Monitor) buchen"]
    assert "Platz 2 (Monitor)" in chat.press("anna", "Platz 2")
    assert booked_desks(core) == [("coesfeld", "2")]


def test_slash_command_and_english(chat_both, core):
    chat = chat_both
    r = chat.send("anna", "/buchen morgen Coesfeld Platz 3")
    assert "Gebucht: Coworking Coesfeld, Di, 24.11., Platz 3 (ruhig)." in r
    r = chat.send("tom", "tomorrow Coesfeld desk 3", lang_hint="en")
    assert "😕 Desk 3 at Coworking Coesfeld is already taken on Tue 24 Nov." in r
    assert "Other free desks there: 1 (monitor, standing desk), 2 (monitor), 4" in r
    r = chat.send("tom", "/book tomorrow Coesfeld desk 2")
    assert "✅ Booked: Coworking Coesfeld, Tue 24 Nov, desk 2 (monitor)." in r
    r = chat.send("tom", "Friday Coesfeld with a monitor")
    assert "desk 1 (monitor, standing desk)" in r
    assert booked_desks(core, "Tom") == [("coesfeld", "2"), ("coesfeld", "1")]


def test_a_desk_for_a_colleague_and_a_desk_before_the_place(chat_both, core):
    chat = chat_both
    chat.send("carl", "STADTWERKE-2026")
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "für Carl morgen Coesfeld Platz 3")
    r = chat.press("anna", "Für Carl")
    assert "Für Carl gebucht: Coworking Coesfeld" in r
    assert booked_desks(core, "Carl") == [("coesfeld", "3")]
    r = chat.send("anna", "Platz 4 übermorgen")  # no place yet: the bot asks, and the wish is kept
    assert "In welchem Coworking" in r
    assert "Platz 4." in chat.send("anna", "Coesfeld")
    assert booked_desks(core, "Anna") == [("coesfeld", "4")]


# ---------------------------------------------------------------- features


def test_features_book_a_desk_that_has_them_all(chat_both, core):
    chat = chat_both
    assert "Platz 1 (Monitor, Stehpult)" in chat.send("anna", "morgen Coesfeld mit Monitor")
    assert "Platz 3 (ruhig)" in chat.send("bert", "morgen ein ruhiger Platz in Coesfeld")
    assert "Platz 2 (Monitor)" in chat.send("carl", "morgen Coesfeld Monitor")
    assert booked_desks(core) == [("coesfeld", "1"), ("coesfeld", "3"), ("coesfeld", "2")]


def test_no_free_desk_with_the_feature_books_nothing_and_offers_the_nearest_that_have_one(chat_both, core):
    chat = chat_both
    chat.send("anna", "morgen Coesfeld Platz 1")
    r = chat.send("bert", "Stehpult morgen Coesfeld")
    assert "😕 In Coworking Coesfeld ist am Di, 24.11. kein Platz mit Stehpult mehr frei." in r
    assert "Mit Stehpult frei am Di, 24.11.: Senden (1, 24 km)" in r
    assert booked_desks(core, "Bert") == []
    assert labels(chat, "bert") == ["Senden buchen", "Anderer Platz in Coesfeld"]
    r = chat.press("bert", "Senden")
    assert "✅ Gebucht: Coworking Senden, Di, 24.11., Platz 5 (Stehpult)." in r
    chat.send("carl", "Stehpult morgen Coesfeld")
    r = chat.press("carl", "Anderer Platz in Coesfeld")  # a desk without the feature, here
    assert "Gebucht: Coworking Coesfeld, Di, 24.11., Platz 2." in r


def test_a_space_without_the_feature_says_so_and_names_spaces_that_have_it(chat_both, core):
    chat = chat_both
    r = chat.send("anna", "morgen Billerbeck mit Monitor")
    assert "🤔 In Coworking Billerbeck gibt es keinen Platz mit Monitor." in r
    assert "Solche Plätze gibt es in: Coworking Coesfeld, Coworking Dülmen, Coworking Senden." in r  # nearest first
    assert n_bookings(core) == 0
    assert labels(chat, "anna") == ["Coesfeld buchen", "Dülmen buchen", "Senden buchen", "Anderer Platz in Billerbeck"]
    assert "Coworking Dülmen, Di, 24.11., Platz 5 (Monitor)" in chat.press("anna", "Dülmen")


def test_a_named_desk_without_the_feature_asks(chat_both, core):
    chat = chat_both
    r = chat.send("anna", "morgen Coesfeld Platz 3 mit Monitor")
    assert "🤔 Platz 3 (ruhig) in Coworking Coesfeld ist kein Platz mit Monitor." in r
    assert n_bookings(core) == 0
    assert labels(chat, "anna") == ["Trotzdem Platz 3", "Mit Monitor in Coesfeld"]
    assert "Platz 1 (Monitor, Stehpult)" in chat.press("anna", "Mit Monitor")


def test_a_team_needs_every_desk_to_match(chat_both, core):
    chat = chat_both
    chat.send("anna", "KREIS-2026")
    r = chat.send("anna", "zu dritt mit Monitor morgen Coesfeld")
    assert "😕 In Coworking Coesfeld sind am Di, 24.11. nur 2 Plätze mit Monitor frei – zu wenige für 3." in r
    assert n_bookings(core) == 0
    assert "noch 6 von 6 Tagen" in chat.send("anna", "wie viele Tage habe ich noch?")
    r = chat.send("anna", "zu zweit mit Monitor morgen Coesfeld")
    assert "2 Plätze (1 (Monitor, Stehpult), 2 (Monitor))" in r
    assert sorted(booked_desks(core)) == [("coesfeld", "1"), ("coesfeld", "2")]


def test_a_team_naming_one_desk_is_asked(chat_both, core):
    chat = chat_both
    r = chat.send("anna", "zu zweit Platz 3 morgen Coesfeld")
    assert "Einen bestimmten Platz (Platz 3) buche ich nur für eine Person" in r
    assert n_bookings(core) == 0
    assert labels(chat, "anna") == ["2 Plätze in Coesfeld", "Nur Platz 3"]
    assert "Platz 3 (ruhig)" in chat.press("anna", "Nur Platz 3")
    assert booked_desks(core) == [("coesfeld", "3")]


def test_without_a_wish_the_desk_is_picked_as_before(chat_both, core):
    chat = chat_both
    r = chat.send("anna", "morgen Coesfeld")
    assert "Gebucht: Coworking Coesfeld, Di, 24.11., Platz 1." in r  # the first free desk, as the fast path picks it
    assert booked_desks(core) == [("coesfeld", "1")]


# ---------------------------------------------------------------- questions never book


def test_is_desk_3_free(chat_both, core):
    chat = chat_both
    r = chat.send("anna", "Ist Platz 3 morgen in Coesfeld frei?")
    assert "✅ Platz 3 (ruhig) in Coworking Coesfeld ist am Di, 24.11. frei." in r
    assert n_bookings(core) == 0
    r = chat.send("bert", "Ist Platz 3 morgen in Coesfeld frei?")
    chat.press("anna", "Platz 3 buchen")
    assert booked_desks(core) == [("coesfeld", "3")]
    r = chat.send("bert", "Ist Platz 3 morgen in Coesfeld frei?")
    assert "Platz 3 in Coworking Coesfeld ist am Di, 24.11. schon vergeben." in r
    r = chat.send("tom", "is desk 3 free tomorrow in Coesfeld?", lang_hint="en")
    assert "Desk 3 at Coworking Coesfeld is already taken on Tue 24 Nov." in r
    assert booked_desks(core) == [("coesfeld", "3")]


def test_is_desk_3_free_without_a_place_names_the_usual_places_first(chat_both, core):
    chat = chat_both
    chat.send("anna", "Freitag Senden")
    r = chat.send("anna", "Ist Platz 3 morgen frei?")
    assert r.startswith("Platz 3 ist am Di, 24.11. frei in: Coworking Senden, Coworking Ascheberg,") and r.endswith(" ….")
    assert labels(chat, "anna")[0] == "Senden buchen"
    assert booked_desks(core) == [("senden", "1")]
    assert "Coworking Senden, Di, 24.11., Platz 3." in chat.press("anna", "Senden buchen")
    assert booked_desks(core) == [("senden", "1"), ("senden", "3")]


def test_where_is_a_desk_with_a_monitor(chat_both, core):
    chat = chat_both
    chat.send("anna", "Freitag Coesfeld Platz 1")
    r = chat.send("bert", "wo gibt es Freitag einen Platz mit Monitor?")
    assert r.splitlines()[-4:] == [
        "Plätze mit Monitor, frei am Fr, 27.11.:",
        "• Coworking Coesfeld: Platz 2 (Monitor)",
        "• Coworking Dülmen: Plätze 5 (Monitor), 6 (Monitor, ruhig)",
        "• Coworking Senden: Platz 4 (Monitor)",
    ]
    assert booked_desks(core) == [("coesfeld", "1")]  # a question books nothing
    r = chat.press("bert", "Dülmen buchen")
    assert "Coworking Dülmen, Fr, 27.11., Platz 5 (Monitor)" in r
    r = chat.send("tom", "where is a desk with a monitor on Friday?", lang_hint="en")
    assert "Desks with a monitor, free on Fri 27 Nov:" in r and "• Coworking Dülmen: desk 6 (monitor, quiet)" in r


def test_the_availability_commands_take_a_desk_wish(chat_both, core):
    chat = chat_both
    assert "✅ Platz 3 (ruhig) in Coworking Coesfeld ist am Di, 24.11. frei." in chat.send("anna", "/frei morgen Coesfeld Platz 3")
    r = chat.send("tom", "/free tomorrow with a monitor", lang_hint="en")
    assert "• Coworking Coesfeld: desks 1 (monitor, standing desk), 2 (monitor)" in r
    assert "• Coworking Senden: desk 4 (monitor)" in r
    assert n_bookings(core) == 0


def test_is_a_desk_with_a_monitor_free_in_a_space(chat_both, core):
    chat = chat_both
    r = chat.send("anna", "Ist morgen in Coesfeld ein Platz mit Monitor frei?")
    assert "• Coworking Coesfeld: Plätze 1 (Monitor, Stehpult), 2 (Monitor)" in r
    r = chat.send("anna", "Ist morgen in Billerbeck ein Platz mit Monitor frei?")
    assert "In Coworking Billerbeck gibt es keinen Platz mit Monitor." in r
    assert n_bookings(core) == 0


# ---------------------------------------------------------------- the service and the operator


def test_the_service_says_why_a_wish_cannot_be_met(core):
    anna = core.members.resolve("terminal", "anna", "anna", "Anna").id
    bob = core.members.resolve("terminal", "bob", "bob", "Bob").id
    [o] = core.booking.book(anna, "coesfeld", [TUE], desk_label="3")
    assert isinstance(o, Booked) and o.booking.desk_label == "3"
    [o] = core.booking.book(bob, "coesfeld", [TUE], desk_label="3")
    assert isinstance(o, DeskTaken) and (o.label, o.features) == ("3", ["quiet"])
    [o] = core.booking.book(bob, "coesfeld", [TUE], desk_label="99")
    assert isinstance(o, UnknownDesk) and o.labels == [str(i) for i in range(1, 9)]
    [o] = core.booking.book(bob, "coesfeld", [TUE], features=["quiet"])
    assert isinstance(o, NoMatchingDesk) and o.free == 0
    [o] = core.booking.book(bob, "billerbeck", [TUE], features=["monitor"])
    assert isinstance(o, NoSuchFeature) and o.label is None
    [o] = core.booking.book(bob, "coesfeld", [TUE], desks=3, features=["monitor"])
    assert isinstance(o, NoMatchingDesk) and o.free == 2
    # a series books the days the desk is free and says why not on the others
    out = core.booking.book(bob, "coesfeld", [TUE, FRI], desk_label="3")
    assert [type(x).__name__ for x in out] == ["DeskTaken", "Booked"]
    assert booked_desks(core, "Bob") == [("coesfeld", "3")]


def test_the_operators_arrival_notice_names_the_desk(core, clock):
    from tests.test_notices import World

    w = World(core, clock)
    w.send("olga", "OP-COESFELD")
    w.new()
    w.send("anna", "heute Coesfeld Platz 3")
    [notice] = [r for r in w.new("olga")]
    assert notice.text.startswith("🆕 Neue Buchung für heute in Coworking Coesfeld: Anna")
    assert notice.text.endswith("Platz 3.")


# ---------------------------------------------------------------- races: the database decides


def test_two_people_ask_for_the_same_desk_at_once(core):
    """Both messages run at the same moment through their own Dialogue; the overlap constraint and the
    transactions decide, and the one who lost is told the desk is taken (no apology, no stack trace)."""
    def one(dialogue: Dialogue, barrier: threading.Barrier, user: str, day: str) -> str:
        barrier.wait()
        msg = IncomingMessage("terminal", user, user, f"{day} Coesfeld Platz 3", display_name=user.capitalize())
        return "\n".join(r.text for r in dialogue.handle(msg))

    for users, day in ((("anna", "bert"), "morgen"), (("carl", "dora"), "übermorgen"), (("emil", "fine"), "Freitag")):
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(2) as ex:
            answers = list(ex.map(one, (Dialogue(core), Dialogue(core)), (barrier, barrier), users, (day, day)))
        assert sum("✅ Gebucht: Coworking Coesfeld" in a and "Platz 3 (ruhig)" in a for a in answers) == 1, answers
        assert sum("Platz 3 in Coworking Coesfeld ist am" in a and "schon vergeben" in a for a in answers) == 1, answers
        assert not any(t("de", "error") in a for a in answers)
    with core.db.session() as s:
        per_day = s.execute(select(Booking.day, func.count(Booking.id)).where(Booking.status == "confirmed")
                            .group_by(Booking.day)).all()
    assert sorted(n for _, n in per_day) == [1, 1, 1]


def test_many_bookers_for_one_desk_get_it_once(core):
    members = [core.members.resolve("terminal", f"u{i}", f"u{i}", f"U{i}").id for i in range(8)]
    barrier = threading.Barrier(len(members))

    def one(mid: int) -> str:
        barrier.wait()
        return type(core.booking.book(mid, "duelmen", [TUE], desk_label="6")[0]).__name__

    with ThreadPoolExecutor(len(members)) as ex:
        kinds = list(ex.map(one, members))
    assert sorted(kinds) == ["Booked"] + ["DeskTaken"] * 7
    assert booked_desks(core) == [("duelmen", "6")]
    with core.db.session() as s:
        assert s.scalar(select(func.count(Outbox.id)).where(Outbox.kind.like("reminder%"))) == 2  # the winner's only


# ---------------------------------------------------------------- the guide's examples do what the guide says

GUIDE_EXAMPLES = {  # example in docs/guide-employees.md -> what its answer must say (a fresh member, a fresh world)
    "morgen Coesfeld Platz 3": "✅ Gebucht: Coworking Coesfeld, Di, 24.11., Platz 3 (ruhig).",
    "morgen Coesfeld mit Monitor": "✅ Gebucht: Coworking Coesfeld, Di, 24.11., Platz 1 (Monitor, Stehpult).",
    "morgen ein ruhiger Platz in Coesfeld": "✅ Gebucht: Coworking Coesfeld, Di, 24.11., Platz 3 (ruhig).",
    "Stehpult morgen Senden": "✅ Gebucht: Coworking Senden, Di, 24.11., Platz 5 (Stehpult).",
    "Ist Platz 3 morgen in Coesfeld frei?": "✅ Platz 3 (ruhig) in Coworking Coesfeld ist am Di, 24.11. frei.",
    "wo gibt es Freitag einen Platz mit Monitor?": "• Coworking Dülmen: Plätze 5 (Monitor), 6 (Monitor, ruhig)",
    "zu zweit mit Monitor morgen Coesfeld": "2 Plätze (1 (Monitor, Stehpult), 2 (Monitor))",
    "tomorrow Coesfeld desk 3": "✅ Booked: Coworking Coesfeld, Tue 24 Nov, desk 3 (quiet).",
    "tomorrow Coesfeld with a monitor": "✅ Booked: Coworking Coesfeld, Tue 24 Nov, desk 1 (monitor, standing desk).",
    "a quiet desk in Coesfeld tomorrow": "✅ Booked: Coworking Coesfeld, Tue 24 Nov, desk 3 (quiet).",
    "standing desk tomorrow Senden": "✅ Booked: Coworking Senden, Tue 24 Nov, desk 5 (standing desk).",
    "is desk 3 free tomorrow in Coesfeld?": "✅ Desk 3 (quiet) at Coworking Coesfeld is free on Tue 24 Nov.",
    "where is a desk with a monitor on Friday?": "• Coworking Senden: desk 4 (monitor)",
    "2 desks with a monitor tomorrow Coesfeld": "2 desks (1 (monitor, standing desk), 2 (monitor))",
}


def test_the_guides_desk_examples_do_what_it_says(tmp_path, store_templates):
    guide = (REPO / "docs" / "guide-employees.md").read_text(encoding="utf-8")
    for i, (text, expected) in enumerate(GUIDE_EXAMPLES.items()):
        assert f"`{text}`" in guide, text
        settings = make_settings(f"sqlite:///{tmp_path}/g{i}.sqlite3", tmp_path)
        core = store_templates.build_core(settings, FixedClock(DEMO_NOW))
        try:
            chat = Chat(Dialogue(core))
            chat.send("user", "STADTWERKE-2026", lang_hint="de" if "Platz" in expected or "Plätze" in expected else "en")
            answer = chat.send("user", text)
            assert expected in answer, (text, answer)
            if "?" in text:
                assert n_bookings(core) == 0, text  # a question books nothing
        finally:
            core.close()
