"""Reply texts in German (default) and English, and date formatting for both."""

from __future__ import annotations

from datetime import date

WD_DE = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
WD_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MON_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PART = {
    "de": {"full": "ganztags", "morning": "vormittags", "afternoon": "nachmittags", "hours": ""},
    "en": {"full": "full day", "morning": "morning", "afternoon": "afternoon", "hours": ""},
}


def fmt_day(d: date, lang: str) -> str:
    if lang == "en":
        return f"{WD_EN[d.weekday()]} {d.day} {MON_EN[d.month - 1]}"
    return f"{WD_DE[d.weekday()]}, {d.day:02d}.{d.month:02d}."


def fmt_days(n_halves: int | None, lang: str) -> str:
    if n_halves is None:
        return "–"
    whole, half = divmod(n_halves, 2)
    if lang == "en":
        num = f"{whole}.5" if half else str(whole)
        return f"{num} day" + ("" if n_halves == 2 else "s")
    num = f"{whole},5" if half else str(whole)
    return f"{num} Tag" + ("" if n_halves == 2 else "e")


MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}


def fmt_month(key: str, lang: str) -> str:
    """'2026-11' -> 'November 2026'."""
    year, month = key.split("-")
    return f"{MONTHS.get(lang, MONTHS['de'])[int(month) - 1]} {year}"


def fmt_num(n_halves: int | None, lang: str) -> str:
    """Half days as a plain number: 13 -> '6,5' (de) / '6.5' (en)."""
    if n_halves is None:
        return "–"
    whole, half = divmod(n_halves, 2)
    if not half:
        return str(whole)
    return f"{whole},5" if lang == "de" else f"{whole}.5"


def fmt_eur(cents: int, lang: str) -> str:
    if lang == "en":
        return f"€{cents / 100:.2f}"
    return f"{cents / 100:.2f} €".replace(".", ",")


TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "welcome": "Hallo {name}! 👋 Ich bin deskbot und buche dir einen Schreibtisch im Coworking in deiner Nähe – statt zu pendeln.\n"
                   "Schreib einfach z. B. „morgen Dülmen“ oder „Do + Fr in Coesfeld vormittags“.\n"
                   "Hast du einen Einladungscode deines Arbeitgebers? Schick ihn mir, dann zahlt dein Arbeitgeber.",
        "help": "So buchst du mit einer Nachricht:\n"
                "• „morgen Dülmen“ – ganzer Tag\n• „Freitag vormittags in Olfen“\n• „jeden Dienstag im Dezember in Coesfeld“\n"
                "• „übermorgen 9-13 Uhr Senden“ • „2 Plätze Mi in Nottuln“\n"
                "Außerdem: „meine Buchungen“, „Freitag stornieren“, „was ist morgen frei?“, „einchecken“, „wie viele Tage habe ich noch?“\n"
                "Befehle: /buchen /storno /buchungen /frei /checkin /kontingent /einstellungen /sprache /hilfe",
        "help_more": "Konto: /link (Telegram und Matrix verbinden) · /pendeln 23 (Arbeitsweg in km) · /export (meine Daten) · /loeschen",
        "help_employer_admin": "Für Firmen-Admins: /firma (Kontingent der Firma) · /team (wer hat was gebucht) · /team kontingent NAME TAGE · /team einladen · /team entfernen NAME · /team csv",
        "help_operator": "Für Betreiber:innen: /ankuenfte (heute und morgen) · /belegung (diese Woche) · /schliessen TAG GRUND · /qr (Check-in-QR-Code)",
        "help_platform_admin": "Für Plattform-Admins: /stats (Wirkung: Auslastung, vermiedene km und CO₂)",
        "unknown": "Das habe ich leider nicht verstanden. 🤔 Versuch es z. B. mit „morgen Dülmen“ oder „meine Buchungen“. /hilfe zeigt alles.",
        "too_long": "Deine Nachricht ist mir zu lang ({n} Zeichen, höchstens {max}). Schreib mir bitte kürzer, z. B. „morgen Dülmen“.",
        "slow_down": "Langsam bitte 🙂 – du hast mir gerade sehr viele Nachrichten geschickt. Versuch es in einer Minute wieder.",
        "error": "Da ist bei mir etwas schiefgegangen – nichts wurde verändert. Bitte versuch es gleich noch einmal.",
        "code_ok_employee": "Willkommen! Du bist jetzt als Mitarbeiter:in von {employer} eingetragen. Deine Buchungen zahlt ab jetzt dein Arbeitgeber aus dem Kontingent.",
        "code_ok_employer_admin": "Du bist jetzt Admin für {employer}. Frag mich z. B. „Kontingent der Firma“ oder „Buchungen der Mitarbeiter“.",
        "code_ok_operator": "Du bist jetzt Betreiber:in von {space}. Du bekommst Ankunftsmeldungen. Tipp: Füge mich eurer Team-Gruppe hinzu und schick dort deinen Code, dann kommen die Meldungen dorthin.",
        "code_ok_group": "Diese Gruppe bekommt jetzt die Ankunftsmeldungen für {space}.",
        "code_ok_platform_admin": "Du bist jetzt Plattform-Admin.",
        "code_already": "Dieser Code ist bei dir schon eingelöst – alles in Ordnung.",
        "code_unknown": "Den Code „{code}“ kenne ich nicht. Bitte prüf die Schreibweise oder frag deinen Arbeitgeber nach dem aktuellen Code.",
        "code_expired": "Der Code „{code}“ ist abgelaufen. Bitte frag nach einem neuen Code.",
        "code_used_up": "Der Code „{code}“ wurde schon so oft benutzt wie erlaubt. Bitte frag nach einem neuen Code.",
        "ask_space": "In welchem Coworking möchtest du buchen ({days})?",
        "ask_date": "Für welchen Tag möchtest du in {space} buchen?",
        "ask_when": "Für welchen Tag möchtest du buchen? Tipp: Schreib Tag und Ort in eine Nachricht, z. B. „morgen Dülmen“.",
        "ask_when_where": "Wann und wo? Ein Tipp genügt:",
        "did_you_mean": "„{text}“ kenne ich nicht als Coworking-Ort. Meintest du …?",
        "no_such_space": "„{text}“ kenne ich nicht als Coworking-Ort. Es gibt Coworking in: {towns}.",
        "date_unreadable": "Das Datum konnte ich nicht lesen. Schreib es z. B. so: „morgen“, „Freitag“, „3.12.“ oder „jeden Dienstag im Dezember“.",
        "booked": "✅ Gebucht: {space}, {day}{part}, Platz {desk}.\n📍 {address} · geöffnet {open}–{close} Uhr",
        "booked_team": "✅ Gebucht: {space}, {day}{part}, {n} Plätze ({desks}).\n📍 {address} · geöffnet {open}–{close} Uhr",
        "booked_many_head": "✅ Gebucht in {space} ({address}):",
        "booked_line": "• {day}{part}, Platz {desk}",
        "promoted": "🎉 Ein Platz ist frei geworden! Du bist von der Warteliste nachgerückt: {space}, {day}{part}, Platz {desk}.",
        "remaining": "Dein Kontingent ({employer}) für {month}: noch {left}.",
        "remaining_pool": "Firmenkontingent {employer} im {month}: noch {left} von {granted} Tagen frei.",
        "remaining_member": "Dein Kontingent bei {employer} im {month}: noch {left} von {granted} Tagen.",
        "pays_self": "Du zahlst selbst: {price} pro Tag vor Ort.",
        "no_employer": "Du bist keinem Arbeitgeber zugeordnet, daher zahlst du deine Buchungen selbst vor Ort. Hast du einen Einladungscode? Schick ihn mir.",
        "full": "😕 {space} ist am {day} ausgebucht.",
        "full_team": "😕 In {space} sind am {day} nur noch {free} Plätze frei – zu wenige für {n}.",
        "full_alternatives": "Frei am {day}:",
        "waitlist_offer": "Auf die Warteliste",
        "waitlisted": "📝 Du stehst auf der Warteliste für {space} am {day} (Platz {pos}). Ich melde mich, sobald etwas frei wird.",
        "closed_holiday": "{space} ist am {day} geschlossen (Feiertag: {detail}).",
        "closed_closure": "{space} ist am {day} geschlossen{detail}.",
        "closed_weekday": "{space} hat am {day} geschlossen. Öffnungszeiten: {hours}",
        "outside_hours": "{space} hat am {day} von {open} bis {close} Uhr geöffnet – die gewünschte Zeit liegt außerhalb.",
        "in_past": "Der {day} liegt in der Vergangenheit – dafür kann ich nichts mehr buchen.",
        "too_far": "Der {day} ist zu weit weg: Buchen geht bis {last}.",
        "no_contingent": "Dein Kontingent reicht für {day} nicht mehr (noch {left}). Du kannst selbst zahlen ({price}) oder deinen Arbeitgeber fragen.",
        "pay_self_button": "Selbst zahlen ({price})",
        "already_booked": "Du hast am {day} schon eine Buchung: {space}{part}.",
        "already_booked_plain": "Du hast am {day} schon eine Buchung zu dieser Zeit.",
        "unknown_space": "Diesen Coworking-Ort kenne ich nicht.",
        "undo": "Rückgängig",
        "undone": "↩️ Rückgängig gemacht – die Buchung ist storniert, das Kontingent wieder gutgeschrieben.",
        "cancelled": "🗑️ Storniert: {items}.",
        "cancelled_refund": "Dein Kontingent wurde um {days} wieder aufgefüllt.",
        "cancelled_late": "Hinweis: Für {items} war die kostenlose Stornofrist ({hours} h vorher) schon vorbei – der Tag bleibt vom Kontingent abgezogen.",
        "nothing_to_cancel": "Dazu habe ich keine Buchung von dir gefunden.",
        "choose_cancel": "Welche Buchung möchtest du stornieren?",
        "cancel_all_confirm": "Wirklich alle {n} künftigen Buchungen stornieren?",
        "yes_cancel_all": "Ja, alle stornieren",
        "no": "Nein",
        "kept": "Alles bleibt, wie es war. 👍",
        "list_head": "📅 Deine Buchungen:",
        "list_line": "• {day}{part} – {space}, Platz {desk}",
        "list_line_checked": "• {day}{part} – {space}, Platz {desk} ✅ eingecheckt",
        "list_line_wait": "• {day}{part} – {space} (Warteliste)",
        "list_empty": "Du hast keine kommenden Buchungen. Buch z. B. mit „morgen Dülmen“.",
        "cancel_button": "❌ {day} {space}",
        "avail_head": "Freie Plätze am {day}:",
        "avail_line": "• {space}: {free} von {total} frei",
        "avail_closed": "• {space}: geschlossen",
        "avail_none": "Am {day} ist leider nirgends ein Platz frei.",
        "book_button": "{space} buchen",
        "checked_in": "👋 Willkommen in {space}! Du bist eingecheckt (Platz {desk}). Schönen Arbeitstag!",
        "checked_in_walkin": "👋 Willkommen in {space}! Ich habe dir Platz {desk} bis {end} Uhr gebucht und dich eingecheckt.",
        "already_checked_in": "Du bist in {space} schon eingecheckt. 👍",
        "too_early": "Einchecken geht für deine Buchung in {space} ab {at} Uhr.",
        "nothing_to_check_in": "Du hast heute keine Buchung zum Einchecken. Buch z. B. mit „heute Coesfeld“.",
        "walkin_closed": "{space} hat heute keinen freien Platz mehr oder ist geschlossen.",
        "lang_set": "Alles klar, ich schreibe dir ab jetzt auf Deutsch.",
        "token_foreign": "Dieser Knopf gehört zu jemand anderem.",
        "for_colleague": "Für andere buche ich nicht – {name} schreibt mir am besten selbst (mit dem Einladungscode der Firma). Für dich selbst: z. B. „morgen Dülmen“.",
        "btn_morning": "☀️ Vormittags",
        "btn_afternoon": "🌇 Nachmittags",
        "ask_half": "Halbtags – vormittags oder nachmittags?",
        "undo_expired": "Rückgängig geht nicht mehr: die Storno-Frist ist vorbei. Stornieren kannst du weiterhin, dann ohne Gutschrift („meine Buchungen“).",
        "ics_button": "📅 In den Kalender",
        "ics_here": "📅 Hier ist der Kalendereintrag.",
        "space_hours": "🕘 {space} hat geöffnet: {hours}",
        "space_price": "💶 Ein Tag in {space} kostet {price} (wenn deine Firma nicht zahlt).",
        "switch_employer_ask": "Mit diesem Code wechselst du den Arbeitgeber. {n} künftige Buchung(en) zahlt noch {employer}. Was soll damit passieren?",
        "btn_switch_self": "Behalten, ich zahle selbst",
        "btn_switch_cancel": "Stornieren",
        "switch_self_paid": "✔️ {n} künftige Buchung(en) zahlst du jetzt selbst.",
        "switch_cancelled": "✔️ {n} künftige Buchung(en) storniert.",
        "token_stale": "Dieser Knopf ist veraltet – seitdem hat sich an deinen Buchungen etwas geändert. Schreib mir einfach, was du möchtest (z. B. „meine Buchungen“).",
        "edit_refused": "✏️ Bearbeitete Nachrichten übernehme ich nicht – es wurde nichts geändert. Schreib mir bitte eine neue Nachricht (z. B. „storno morgen“ und dann „übermorgen Olfen“).",
        "thanks": "Gern geschehen! 😊",
        "smalltalk": "😊 Dabei kann ich leider nicht helfen – ich buche Schreibtische. Wenn du einen Platz brauchst, schreib z. B. „morgen Dülmen“.",
        "past_day": "{day} liegt in der Vergangenheit – da kann ich nichts mehr buchen oder ändern. Meintest du einen kommenden Tag?",
        "past_day_plain": "Das liegt in der Vergangenheit – da kann ich nichts mehr buchen oder ändern.",
        "ask_book_or_info": "Möchtest du {space} am {day} buchen, oder nur wissen, ob etwas frei ist?",
        "btn_book_it": "✅ Ja, buchen",
        "btn_just_look": "🔎 Nur schauen",
        "did_you_mean_one": "Meintest du {town}?",
        "nothing_to_undo": "Da gibt es gerade nichts rückgängig zu machen. Deine Buchungen siehst du mit „meine Buchungen“.",
        "undo_confirm": "Deine letzte Buchung rückgängig machen: {what}?",
        "btn_yes_undo": "↩️ Ja, rückgängig",
        "cancel_confirm_many": "Diese {n} Buchungen stornieren?\n{items}",
        "cancel_confirm_one": "{item} stornieren?",
        "cancel_confirm_late": "⚠️ Für {items} ist die Storno-Frist ({hours} Std. vorher) vorbei: der Tag wird nicht gutgeschrieben.",
        "btn_yes_cancel": "❌ Ja, stornieren",
        "btn_keep": "Nein, behalten",
        "absence_saved": "🌴 Eingetragen: abwesend {span}. An diesen Tagen erinnere ich dich nicht und buche nichts.",
        "absence_none": "Für welche Tage bist du abwesend? Schreib z. B. „Urlaub vom 14. bis 18.12.“.",
        "absence_booked": "Hinweis: Du hast in dieser Zeit noch Buchungen ({days}). Soll ich sie stornieren? Schreib z. B. „storno {first}“.",
        "who_none": "Am {day} hat sich niemand aus deiner Firma eingetragen, der das teilen möchte.",
        "who_head": "Am {day} im Coworking (aus deiner Firma, wer zugestimmt hat):",
        "who_line": "• {name} – {space}",
        "who_no_employer": "Das kann ich nur für Kolleg:innen derselben Firma zeigen – du bist noch keiner Firma zugeordnet.",
        "who_share_hint": "Deine eigenen Tage zeige ich Kolleg:innen nur, wenn du zustimmst: /einstellungen sichtbar an",
        "closed_days_note": "Geschlossen: {days}",
        "token_used": "Das wurde schon erledigt. ✔️",
        "token_expired": "Dieser Knopf ist abgelaufen. Schreib mir einfach, was du möchtest.",
        "token_unknown": "Diesen Knopf kenne ich nicht (mehr). Schreib mir einfach, was du möchtest.",
        "group_hello": "Hallo! Ein:e Betreiber:in kann diese Gruppe mit dem Betreiber-Code für Ankunftsmeldungen anmelden.",
        "summary_failed": "Nicht gebucht:",
    },
    "en": {
        "welcome": "Hi {name}! 👋 I'm deskbot. I book you a desk in a coworking space near home – instead of commuting.\n"
                   "Just write e.g. \"tomorrow Dülmen\" or \"book Coesfeld Tue and Thu morning\".\n"
                   "Got an invite code from your employer? Send it to me and your employer pays.",
        "help": "Book with one message:\n"
                "• \"tomorrow Dülmen\" – full day\n• \"Friday morning in Olfen\"\n• \"every Tuesday in December in Coesfeld\"\n"
                "• \"day after tomorrow 9-13 Senden\" • \"2 desks Wed in Nottuln\"\n"
                "Also: \"my bookings\", \"cancel Friday\", \"what's free tomorrow?\", \"check in\", \"how many days do I have left?\"\n"
                "Commands: /book /cancel /mybookings /free /checkin /contingent /settings /language /help",
        "help_more": "Account: /link (connect Telegram and Matrix) · /commute 23 (one-way km) · /export (my data) · /delete",
        "help_employer_admin": "For company admins: /company (contingent) · /team (who booked what) · /team contingent NAME DAYS · /team invite · /team remove NAME · /team csv",
        "help_operator": "For operators: /arrivals (today and tomorrow) · /occupancy (this week) · /close DAY REASON · /qr (check-in QR code)",
        "help_platform_admin": "For platform admins: /stats (impact: utilisation, km and CO₂ avoided)",
        "unknown": "Sorry, I didn't get that. 🤔 Try e.g. \"tomorrow Dülmen\" or \"my bookings\". /help shows everything.",
        "too_long": "Your message is too long for me ({n} characters, at most {max}). Please keep it short, e.g. \"tomorrow Dülmen\".",
        "slow_down": "Slow down please 🙂 – you sent me a lot of messages just now. Try again in a minute.",
        "error": "Something went wrong on my side – nothing was changed. Please try again in a moment.",
        "code_ok_employee": "Welcome! You're now registered as an employee of {employer}. Your employer pays your bookings from the contingent.",
        "code_ok_employer_admin": "You're now an admin for {employer}. Ask me e.g. \"company contingent\" or \"staff bookings\".",
        "code_ok_operator": "You're now an operator of {space}. You'll get arrival notices. Tip: add me to your team group and send your code there to get the notices in the group.",
        "code_ok_group": "This group now receives the arrival notices for {space}.",
        "code_ok_platform_admin": "You're now a platform admin.",
        "code_already": "You've already redeemed this code – all good.",
        "code_unknown": "I don't know the code \"{code}\". Please check the spelling or ask your employer for the current code.",
        "code_expired": "The code \"{code}\" has expired. Please ask for a new one.",
        "code_used_up": "The code \"{code}\" has been used as often as allowed. Please ask for a new one.",
        "ask_space": "Which coworking space would you like ({days})?",
        "ask_date": "Which day would you like to book in {space}?",
        "ask_when": "Which day would you like to book? Tip: write day and place in one message, e.g. \"tomorrow Dülmen\".",
        "ask_when_where": "When and where? One tap is enough:",
        "did_you_mean": "I don't know \"{text}\" as a coworking location. Did you mean …?",
        "no_such_space": "I don't know \"{text}\" as a coworking location. There's coworking in: {towns}.",
        "date_unreadable": "I couldn't read that date. Write it e.g. like \"tomorrow\", \"Friday\", \"Dec 3\" or \"every Tuesday in December\".",
        "booked": "✅ Booked: {space}, {day}{part}, desk {desk}.\n📍 {address} · open {open}–{close}",
        "booked_team": "✅ Booked: {space}, {day}{part}, {n} desks ({desks}).\n📍 {address} · open {open}–{close}",
        "booked_many_head": "✅ Booked at {space} ({address}):",
        "booked_line": "• {day}{part}, desk {desk}",
        "promoted": "🎉 A desk became free! You moved up from the waitlist: {space}, {day}{part}, desk {desk}.",
        "remaining": "Your contingent ({employer}) for {month}: {left} left.",
        "remaining_pool": "Company contingent {employer} in {month}: {left} of {granted} days left.",
        "remaining_member": "Your contingent at {employer} in {month}: {left} of {granted} days left.",
        "pays_self": "You pay yourself: {price} per day on site.",
        "no_employer": "You're not linked to an employer, so you pay your bookings yourself on site. Got an invite code? Send it to me.",
        "full": "😕 {space} is fully booked on {day}.",
        "full_team": "😕 {space} has only {free} desks free on {day} – not enough for {n}.",
        "full_alternatives": "Free on {day}:",
        "waitlist_offer": "Join the waitlist",
        "waitlisted": "📝 You're on the waitlist for {space} on {day} (position {pos}). I'll tell you as soon as a desk frees up.",
        "closed_holiday": "{space} is closed on {day} (public holiday: {detail}).",
        "closed_closure": "{space} is closed on {day}{detail}.",
        "closed_weekday": "{space} is closed on {day}. Opening hours: {hours}",
        "outside_hours": "{space} is open from {open} to {close} on {day} – the time you asked for is outside.",
        "in_past": "{day} is in the past – I can't book that any more.",
        "too_far": "{day} is too far ahead: you can book until {last}.",
        "no_contingent": "Your contingent isn't enough for {day} ({left} left). You can pay yourself ({price}) or ask your employer.",
        "pay_self_button": "Pay myself ({price})",
        "already_booked": "You already have a booking on {day}: {space}{part}.",
        "already_booked_plain": "You already have a booking on {day} at that time.",
        "unknown_space": "I don't know that coworking space.",
        "undo": "Undo",
        "undone": "↩️ Undone – the booking is cancelled and your contingent restored.",
        "cancelled": "🗑️ Cancelled: {items}.",
        "cancelled_refund": "{days} went back to your contingent.",
        "cancelled_late": "Note: for {items} the free cancellation period ({hours} h before) had passed – the day stays charged.",
        "nothing_to_cancel": "I found no booking of yours for that.",
        "choose_cancel": "Which booking would you like to cancel?",
        "cancel_all_confirm": "Really cancel all {n} upcoming bookings?",
        "yes_cancel_all": "Yes, cancel all",
        "no": "No",
        "kept": "Everything stays as it was. 👍",
        "list_head": "📅 Your bookings:",
        "list_line": "• {day}{part} – {space}, desk {desk}",
        "list_line_checked": "• {day}{part} – {space}, desk {desk} ✅ checked in",
        "list_line_wait": "• {day}{part} – {space} (waitlist)",
        "list_empty": "You have no upcoming bookings. Book e.g. with \"tomorrow Dülmen\".",
        "cancel_button": "❌ {day} {space}",
        "avail_head": "Free desks on {day}:",
        "avail_line": "• {space}: {free} of {total} free",
        "avail_closed": "• {space}: closed",
        "avail_none": "Sorry, no desk is free anywhere on {day}.",
        "book_button": "Book {space}",
        "checked_in": "👋 Welcome to {space}! You're checked in (desk {desk}). Have a good day!",
        "checked_in_walkin": "👋 Welcome to {space}! I booked desk {desk} for you until {end} and checked you in.",
        "already_checked_in": "You're already checked in at {space}. 👍",
        "too_early": "You can check in for your booking at {space} from {at}.",
        "nothing_to_check_in": "You have no booking to check in to today. Book e.g. with \"today Coesfeld\".",
        "walkin_closed": "{space} has no free desk left today or is closed.",
        "lang_set": "Okay, I'll write to you in English from now on.",
        "token_foreign": "This button belongs to someone else.",
        "for_colleague": "I don't book for others – {name} had best write to me (with the company's invite code). For yourself: e.g. \"tomorrow Dülmen\".",
        "btn_morning": "☀️ Morning",
        "btn_afternoon": "🌇 Afternoon",
        "ask_half": "Half a day – morning or afternoon?",
        "undo_expired": "Undo is no longer possible: the cancellation deadline has passed. You can still cancel, without a refund (\"my bookings\").",
        "ics_button": "📅 Add to calendar",
        "ics_here": "📅 Here is the calendar entry.",
        "space_hours": "🕘 {space} is open: {hours}",
        "space_price": "💶 A day at {space} costs {price} (if your company doesn't pay).",
        "switch_employer_ask": "With this code you switch employer. {employer} still pays {n} future booking(s). What should happen to them?",
        "btn_switch_self": "Keep them, I pay myself",
        "btn_switch_cancel": "Cancel them",
        "switch_self_paid": "✔️ You now pay {n} future booking(s) yourself.",
        "switch_cancelled": "✔️ {n} future booking(s) cancelled.",
        "token_stale": "This button is outdated – your bookings have changed since. Just tell me what you'd like (e.g. \"my bookings\").",
        "edit_refused": "✏️ I don't take edited messages – nothing was changed. Please send a new message (e.g. \"cancel tomorrow\", then \"day after tomorrow Olfen\").",
        "thanks": "You're welcome! 😊",
        "smalltalk": "😊 I can't help with that – I book desks. If you need one, write e.g. \"tomorrow Dülmen\".",
        "past_day": "{day} is in the past – I can't book or change anything there. Did you mean an upcoming day?",
        "past_day_plain": "That is in the past – I can't book or change anything there.",
        "ask_book_or_info": "Would you like to book {space} on {day}, or just see whether there is room?",
        "btn_book_it": "✅ Yes, book",
        "btn_just_look": "🔎 Just look",
        "did_you_mean_one": "Did you mean {town}?",
        "nothing_to_undo": "There is nothing to undo right now. \"my bookings\" shows your bookings.",
        "undo_confirm": "Undo your last booking: {what}?",
        "btn_yes_undo": "↩️ Yes, undo",
        "cancel_confirm_many": "Cancel these {n} bookings?\n{items}",
        "cancel_confirm_one": "Cancel {item}?",
        "cancel_confirm_late": "⚠️ For {items} the cancellation deadline ({hours} h before) has passed: the day is not refunded.",
        "btn_yes_cancel": "❌ Yes, cancel",
        "btn_keep": "No, keep",
        "absence_saved": "🌴 Noted: away {span}. I won't remind you or book anything on those days.",
        "absence_none": "Which days are you away? Write e.g. \"vacation from 14 to 18 Dec\".",
        "absence_booked": "Note: you still have bookings then ({days}). Shall I cancel them? Write e.g. \"cancel {first}\".",
        "who_none": "Nobody from your company who shares it is at a coworking space on {day}.",
        "who_head": "Coworking on {day} (from your company, those who agreed):",
        "who_line": "• {name} – {space}",
        "who_no_employer": "I can only show colleagues of the same company – you're not with a company yet.",
        "who_share_hint": "I only show your own days to colleagues if you agree: /settings visible on",
        "closed_days_note": "Closed: {days}",
        "token_used": "That's already done. ✔️",
        "token_expired": "This button has expired. Just tell me what you'd like.",
        "token_unknown": "I don't know this button (any more). Just tell me what you'd like.",
        "group_hello": "Hi! An operator can register this group for arrival notices with their operator code.",
        "summary_failed": "Not booked:",
    },
}


def translator(texts: dict[str, dict[str, str]]):
    """A `t(lang, key, **kw)` over one table of texts: the user's language, German as the fallback."""

    def translate(lang: str, key: str, **kw) -> str:
        table = texts.get(lang) or texts["de"]
        text = table.get(key) or texts["de"][key]
        return text.format(**kw) if kw else text

    return translate


t = translator(TEXTS)
