"""`/settings` · `/einstellungen`: which notices a member gets, and when.

By buttons (overview with one toggle per notice kind, time and weekday menus) or by text:

    /einstellungen                       overview with buttons
    /einstellungen erinnerung 19:00      evening reminder at 19:00 (and on)
    /einstellungen erinnerung aus        no evening reminder
    /einstellungen morgens aus           no morning reminder (with the check-in button)
    /einstellungen pendeln 18:30 mo-fr   nudge "tomorrow coworking instead of commuting?" (on)
    /einstellungen pendeln aus
    /settings arrivals off · digest on · waitlist off · noshow off · alerts off · report on · copy on

Stored in `Member.prefs` (layout in `bot/notices.py`); the scheduler reads them at delivery time.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.domain import Reply
from bot.i18n import Table, translator
from bot.notices import NOTICE_DEFAULTS, notice_switches, nudge_prefs
from bot.router import Ctx, Router

if TYPE_CHECKING:  # pragma: no cover
    from bot.dialogue import Dialogue

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_WORDS = {
    "mo": 0, "mon": 0, "montag": 0, "monday": 0, "di": 1, "tue": 1, "dienstag": 1, "tuesday": 1,
    "mi": 2, "wed": 2, "mittwoch": 2, "wednesday": 2, "do": 3, "thu": 3, "donnerstag": 3, "thursday": 3,
    "fr": 4, "fri": 4, "freitag": 4, "friday": 4, "sa": 5, "sat": 5, "samstag": 5, "saturday": 5,
    "so": 6, "sun": 6, "sonntag": 6, "sunday": 6,
}
ALIASES = {
    "reminder_evening": ("erinnerung", "reminder", "abends", "vorabend", "evening"),
    "reminders": ("erinnerungen", "reminders"),  # both reminders at once
    "share_presence": ("sichtbar", "sichtbarkeit", "visible", "visibility", "teilen", "share"),
    "reminder_morning": ("morgens", "morgen", "morning", "checkin", "check-in"),
    "nudge": ("pendeln", "nudge", "vorschlag", "anstoß", "anstoss", "anstupser", "pendler", "commute"),
    "arrivals": ("ankunft", "ankünfte", "ankuenfte", "arrivals", "arrival"),
    "digest": ("tagesliste", "tagesübersicht", "digest", "übersicht"),
    "waitlist": ("warteliste", "waitlist", "nachrücken"),
    "no_show": ("noshow", "no-show", "verfallen", "nichterscheinen"),
    "contingent_alert": ("kontingent", "kontingentwarnung", "alerts", "alert", "alarm", "warnung", "contingent"),
    "monthly_report": ("bericht", "monatsbericht", "report", "reports"),
    "employer_copy": ("kopie", "kopien", "copy", "copies"),
    "weekly_summary": ("wochenbericht", "wochenübersicht", "wochenuebersicht", "weekly", "summary", "wochenbilanz"),
}
ON = {"an", "ein", "on", "ja", "yes", "einschalten", "aktiv"}
OFF = {"aus", "off", "nein", "no", "ausschalten", "stop"}
TIME_RE = re.compile(r"^(\d{1,2})(?::|\.|h)?(\d{2})?(?:uhr|h)?$")

TX = Table("settings")  # texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po
SHORT_DE = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
SHORT_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_PRESETS = (("mon", "tue", "wed", "thu", "fri"), ("mon", "tue", "wed", "thu"), ("mon", "wed", "fri"), ("tue", "thu"))
TIME_PRESETS = ("17:00", "18:00", "19:00", "20:00", "21:00")
NUDGE_TIME_PRESETS = ("06:30", "17:00", "18:30", "20:00")

_tx = translator("settings")


def tx(lang: str, key: str, **kw) -> str:
    return _tx(lang, key, **kw)


def parse_time(word: str) -> str | None:
    m = TIME_RE.match(word.strip().lower())
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    if not (0 <= h < 24 and 0 <= mi < 60):
        return None
    return f"{h:02d}:{mi:02d}"


def parse_days(words: list[str]) -> list[str] | None:
    """"mo-fr", "mo,mi,fr", "di do", "werktags", "täglich"; None if no day word."""
    found: set[int] = set()
    seen = False
    for w in words:
        w = w.lower().strip(",.")
        if w in ("werktags", "weekdays", "wochentags"):
            found |= {0, 1, 2, 3, 4}
            seen = True
            continue
        if w in ("täglich", "taeglich", "daily", "jeden", "alle"):
            found |= set(range(7))
            seen = True
            continue
        for part in re.split(r"[,+/]", w):
            if not part:
                continue
            if "-" in part or "–" in part:
                a, _, b = re.split(r"([-–])", part, maxsplit=1)
                if a in DAY_WORDS and b in DAY_WORDS:
                    i, j = DAY_WORDS[a], DAY_WORDS[b]
                    rng = range(i, j + 1) if i <= j else list(range(i, 7)) + list(range(0, j + 1))
                    found |= set(rng)
                    seen = True
            elif part in DAY_WORDS:
                found.add(DAY_WORDS[part])
                seen = True
    return [WEEKDAYS[i] for i in sorted(found)] if seen else None


def days_text(days: list[str], lang: str) -> str:
    idx = sorted(WEEKDAYS.index(d) for d in days if d in WEEKDAYS)
    if not idx:
        return tx(lang, "none")
    if len(idx) == 7:
        return tx(lang, "every_day")
    names = SHORT_EN if lang == "en" else SHORT_DE
    if idx == list(range(idx[0], idx[-1] + 1)) and len(idx) > 2:
        return f"{names[idx[0]]}–{names[idx[-1]]}"
    return ", ".join(names[i] for i in idx)


# ---------------------------------------------------------------------------------------------
# storing


def _prefs(dlg: Dialogue, member_id: int) -> dict:
    return dict(dlg.members.view(member_id).prefs or {})


def set_switch(dlg: Dialogue, member_id: int, key: str, on: bool) -> None:
    prefs = _prefs(dlg, member_id)
    if key == "nudge":
        n = dict(prefs.get("nudge") or {})
        n["on"] = on
        dlg.members.set_pref(member_id, "nudge", n)
        return
    notices = dict(prefs.get("notices") or {})
    notices[key] = on
    if key == "employer_copy" and on:
        notices["employer_copy_since"] = dlg.core.clock.now().isoformat()
    dlg.members.set_pref(member_id, "notices", notices)


def set_reminder_time(dlg: Dialogue, member_id: int, hhmm: str) -> None:
    dlg.members.set_pref(member_id, "reminder_time", hhmm)
    set_switch(dlg, member_id, "reminder_evening", True)


def set_nudge(dlg: Dialogue, member_id: int, *, time: str | None = None, days: list[str] | None = None,
              on: bool | None = None) -> None:
    n = dict(_prefs(dlg, member_id).get("nudge") or {})
    if time is not None:
        n["time"] = time
    if days is not None:
        n["days"] = days
    if on is not None:
        n["on"] = on
    elif time is not None or days is not None:
        n["on"] = True
    dlg.members.set_pref(member_id, "nudge", n)


# ---------------------------------------------------------------------------------------------
# views


def _applicable(ctx: Ctx) -> list[str]:
    keys = ["reminder_evening", "reminder_morning", "waitlist", "no_show", "nudge", "weekly_summary"]
    if ctx.member.has("operator"):
        keys += ["arrivals", "digest"]
    if ctx.member.has("employer_admin"):
        keys += ["contingent_alert", "monthly_report", "employer_copy"]
    return keys


def overview(dlg: Dialogue, ctx: Ctx, prefix: str | None = None) -> list[Reply]:
    lang = ctx.lang
    prefs = _prefs(dlg, ctx.member.id)
    sw = notice_switches(prefs)
    rtime = prefs.get("reminder_time") or dlg.core.settings.reminder_evening_time
    np = nudge_prefs(prefs)
    lines = [prefix] if prefix else []
    lines.append(tx(lang, "head"))
    opts: list[tuple[str, dict]] = []
    for key in _applicable(ctx):
        label = tx(lang, key, time=rtime if key == "reminder_evening" else np["time"], days=days_text(np["days"], lang))
        on = sw.get(key, NOTICE_DEFAULTS.get(key, False))
        lines.append(("✅ " if on else "⬜ ") + label)
        short = label.split(" (")[0]
        opts.append((("🔕 " if on else "🔔 ") + short, {"op": "settings_set", "key": key, "value": not on}))
    opts.append((tx(lang, "btn_time"), {"op": "settings_menu", "menu": "reminder_time"}))
    opts.append((tx(lang, "btn_nudge_time"), {"op": "settings_menu", "menu": "nudge_time"}))
    opts.append((tx(lang, "btn_nudge_days"), {"op": "settings_menu", "menu": "nudge_days"}))
    lines.append("")
    lines.append(tx(lang, "hint"))
    return [Reply("\n".join(lines), dlg.choices(ctx, opts, per_row=1))]


# Free text about reminders ("Erinnere mich abends um 20 Uhr", "keine Erinnerungen mehr", "remind me at 8 in the
# morning", "turn off all reminders"): which reminder, and on, off or a time, read from all the words. A slash
# command keeps its strict form (`/einstellungen erinnerung 07:00` is the evening reminder at 07:00).
_REMIND_STEMS = ("erinner", "remind", "benachrichtigung", "notification", "nachricht", "push", "meldung", "message")
_MORNING_WORDS = frozenset({"morgens", "früh", "frueh", "morning", "vormittags", "checkin", "check-in"})
_EVENING_WORDS = frozenset({"abends", "abend", "vorabend", "evening", "night", "tonight"})
_OFF_WORDS = OFF | frozenset({"keine", "kein", "nicht", "no", "stopp", "dont", "don't", "don", "never", "anymore",
                              "disable", "abschalten",
                              "abstellen", "ausmachen", "deaktivieren", "deaktiviere"})
_ON_WORDS = ON | frozenset({"wieder", "enable", "aktivieren", "aktiviere", "anschalten", "anmachen"})
_REMINDER_KEYS = ("reminder_evening", "reminders", "reminder_morning")


def free_text_args(words: list[str], start: str | None) -> list[str] | None:
    """The command words a free-text settings message means ("Erinnerung morgens um 7" -> ["morgens", "07:00"]),
    None when it names no setting."""
    words = [w.strip(".,!?;:") for w in words]
    time = start or next((t for t in (parse_time(w) for w in words) if t), None)
    on = True if any(w in _ON_WORDS for w in words) else None
    if any(w in _OFF_WORDS for w in words) or ("more" in words and "no" in words):
        on = False
    remind = any(w.startswith(_REMIND_STEMS) for w in words)
    if remind:
        if any(w in _MORNING_WORDS for w in words):
            key = "morgens"
        elif any(w in _EVENING_WORDS for w in words):
            key = "erinnerung"
        elif time is not None and on is not False:
            key = "morgens" if int(time[:2]) < 12 else "erinnerung"  # a reminder "um 7" is the morning one
        else:
            key = "erinnerungen"  # "keine Erinnerungen mehr", "Erinnerung aus": both reminders
            if on is None:
                return []  # "Kann ich die Benachrichtigungen ändern?": the overview with its buttons
    else:
        key = next((w for w in words if any(w in names for names in ALIASES.values())), None)
        if key is None:
            return None
    value = ["aus"] if on is False else ([time] if time else (["an"] if on else []))
    if key == "morgens" and on is not False and time:
        value = [time, "an"]  # a time for the morning reminder switches it on, as the evening one's does
    return [key, *value]


def _save_share(dlg: Dialogue, ctx: Ctx, on: bool) -> list[Reply]:
    """Colleagues may (or may not) see one's coworking days: /einstellungen sichtbar, or said in words."""
    dlg.members.set_pref(ctx.member.id, "share_presence", on)
    return [Reply(tx(ctx.lang, "saved_share_" + ("on" if on else "off")))]


def on_settings(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    if ctx.intent is not None and ctx.intent.topic == "home" and ctx.intent.space:
        from bot.features.booking.chat import set_home  # the home space is the booking feature's ("/heimat")

        return set_home(dlg, ctx, ctx.intent.space)
    if ctx.intent is not None and ctx.intent.topic in ("share_on", "share_off"):
        # "I don't want colleagues to see where I'm booked": the switch /einstellungen sichtbar sets
        return _save_share(dlg, ctx, ctx.intent.topic == "share_on")
    args = [a.lower() for a in (ctx.intent.args if ctx.intent else [])]
    if args and args[0] in ("/settings", "/einstellungen", "settings", "einstellungen"):
        args = args[1:]
    elif args and not (ctx.msg.text or "").lstrip().startswith("/"):
        # typed, not a command: a reminder phrase is read from all its words; "Tagesliste aus", "pendeln 18:30
        # mo-fr" (a setting's name first) keep the command form
        lead = next((k for k, names in ALIASES.items() if args[0] in names), None)
        if lead is None or lead in _REMINDER_KEYS:
            read = free_text_args(args, ctx.intent.start if ctx.intent else None)
            if read is not None:
                args = read
    if not args:
        return overview(dlg, ctx)
    key = next((k for k, names in ALIASES.items() if args[0] in names), None)
    rest = args[1:] if key else args
    if key is None:  # "/einstellungen 19:00" = reminder time
        if rest and parse_time(rest[0]):
            key = "reminder_evening"
        else:
            return [Reply(tx(ctx.lang, "unknown"))]
    on = True if any(w in ON for w in rest) else (False if any(w in OFF for w in rest) else None)
    times = [parse_time(w) for w in rest if w not in ON | OFF]
    tm = next((x for x in times if x), None)
    words_left = [w for w in rest if w not in ON | OFF and not parse_time(w) and w != "uhr"]
    days = parse_days(words_left) if key == "nudge" else None
    if key == "reminders":
        if on is None:
            return [Reply(tx(ctx.lang, "unknown"))]
        set_switch(dlg, ctx.member.id, "reminder_evening", on)
        set_switch(dlg, ctx.member.id, "reminder_morning", on)
        return [Reply(tx(ctx.lang, "saved_reminders_" + ("on" if on else "off")))]
    if key == "share_presence":
        if on is None:
            on = not bool(_prefs(dlg, ctx.member.id).get("share_presence"))
        return _save_share(dlg, ctx, on)
    if key == "reminder_morning" and tm is not None:
        dlg.members.set_pref(ctx.member.id, "reminder_morning_time", tm)
        if on is not None:
            set_switch(dlg, ctx.member.id, key, on)
        return [Reply(tx(ctx.lang, "saved_line", label=tx(ctx.lang, "reminder_morning_at", time=tm)))]
    if key == "nudge":
        if tm is None and days is None and on is None:
            return [Reply(tx(ctx.lang, "bad_time"))] if words_left else overview(dlg, ctx)
        set_nudge(dlg, ctx.member.id, time=tm, days=days, on=on)
    elif key == "reminder_evening" and tm is not None:
        set_reminder_time(dlg, ctx.member.id, tm)
        if on is False:
            set_switch(dlg, ctx.member.id, key, False)
    elif on is not None:
        set_switch(dlg, ctx.member.id, key, on)
    elif words_left or rest:
        return [Reply(tx(ctx.lang, "bad_time" if key == "reminder_evening" else "unknown"))]
    else:  # "/einstellungen erinnerung": toggle
        set_switch(dlg, ctx.member.id, key, not notice_switches(_prefs(dlg, ctx.member.id)).get(key, True))
    return [saved_line(dlg, ctx, key)]


def typed_setting(dlg: Dialogue, ctx: Ctx) -> list[Reply] | None:
    """"Ankünfte aus", "Bericht aus", "digest off" without /einstellungen: a setting's name and on/off (or a time)."""
    words = [w.lower().strip(".,!") for w in ctx.msg.text.split()]
    if not 2 <= len(words) <= 4 or not any(words[0] in names for names in ALIASES.values()):
        return None
    if not any(w in ON | OFF or parse_time(w) for w in words[1:]):
        return None
    ctx.intent.args = words
    return on_settings(dlg, ctx)


def saved_line(dlg: Dialogue, ctx: Ctx, key: str) -> Reply:
    """One line saying what is now set (not the whole menu again)."""
    lang = ctx.lang
    prefs = _prefs(dlg, ctx.member.id)
    np = nudge_prefs(prefs)
    rtime = prefs.get("reminder_time") or dlg.core.settings.reminder_evening_time
    label = tx(lang, key, time=rtime if key == "reminder_evening" else np["time"], days=days_text(np["days"], lang))
    on = np["on"] if key == "nudge" else notice_switches(prefs).get(key, NOTICE_DEFAULTS.get(key, False))
    state = tx(lang, "state_on" if on else "state_off")
    return Reply(tx(lang, "saved_line", label=f"{label}: {state}"),
                 dlg.choices(ctx, [(tx(lang, "btn_all_settings"), {"op": "settings_back"})], ask=False))


def op_settings_set(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    key, value = a.get("key"), a.get("value")
    if key == "reminder_time":
        set_reminder_time(dlg, ctx.member.id, str(value))
    elif key == "nudge_time":
        set_nudge(dlg, ctx.member.id, time=str(value))
    elif key == "nudge_days":
        set_nudge(dlg, ctx.member.id, days=list(value))
    elif key in NOTICE_DEFAULTS or key == "nudge":
        set_switch(dlg, ctx.member.id, key, bool(value))
    return overview(dlg, ctx, prefix=tx(ctx.lang, "saved"))


def op_settings_menu(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    lang = ctx.lang
    menu = a.get("menu")
    if menu == "nudge_days":
        opts = [(days_text(list(p), lang), {"op": "settings_set", "key": "nudge_days", "value": list(p)}) for p in DAY_PRESETS]
        text = tx(lang, "pick_days")
    else:
        presets = NUDGE_TIME_PRESETS if menu == "nudge_time" else TIME_PRESETS
        key = "nudge_time" if menu == "nudge_time" else "reminder_time"
        opts = [(p, {"op": "settings_set", "key": key, "value": p}) for p in presets]
        text = tx(lang, "pick_time")
    opts.append((tx(lang, "btn_back"), {"op": "settings_back"}))
    return [Reply(text, dlg.choices(ctx, opts, per_row=3))]


def op_settings_back(dlg: Dialogue, ctx: Ctx, a: dict) -> list[Reply]:
    return overview(dlg, ctx)


def router() -> Router:
    """/einstellungen: notices on/off, reminder time, nudges."""
    return Router(
        "settings",
        commands={"/settings": on_settings, "/einstellungen": on_settings},
        intents={"settings": on_settings},
        preempts={"unknown": typed_setting},
        buttons={"settings_set": op_settings_set, "settings_menu": op_settings_menu, "settings_back": op_settings_back},
    )
