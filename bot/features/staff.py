"""What the employer and operator slices share: their refusals, month and name helpers, the audit log."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.authz import (
    Forbidden,
)
from bot.booking import fmt_min
from bot.domain import Reply
from bot.i18n import translator
from bot.router import Ctx
from bot.storage.models import (
    AuditLog,
    Booking,
    Member,
)

if TYPE_CHECKING:  # pragma: no cover
    pass


MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}

REFUSALS: dict[str, dict[str, str]] = {
    "de": {
        "not_employer_admin": "Diese Übersicht ist nur für Firmen-Admins. Wenn du für deine Firma zuständig bist, schick mir den "
                              "Admin-Code deiner Firma. Deine eigenen Tage siehst du mit /kontingent.",
        "not_your_employer": "Das ist nicht deine Firma – du verwaltest nur deine eigene. Schreib /firma für deine Übersicht.",
        "not_operator": "Das können nur Betreiber:innen eines Coworking-Space. Wenn du einen Space betreibst, schick mir deinen "
                        "Betreiber-Code. Zum Buchen schreib z. B. „morgen Dülmen“.",
        "not_your_space": "Diesen Space betreibst du nicht – du siehst nur deine eigenen Räume. Schreib /ankuenfte für deine Übersicht.",
        "not_platform_admin": "Das ist nur für die Plattform-Admins des Kreises. Wenn du Zahlen brauchst, wende dich bitte an den "
                              "Kreis Coesfeld. Deine eigene Ersparnis siehst du mit /pendeln.",
        "unknown_employer": "Diese Firma kenne ich nicht. Schreib /firma ohne Zusatz, dann zeige ich dir deine Firma.",
        "unknown_space": "Diesen Space kenne ich nicht. Schreib den Kurznamen, z. B. /ankuenfte coesfeld.",
        "unknown_booking": "Diese Buchung gibt es nicht (mehr). Schreib /ankuenfte für die aktuelle Liste.",
    },
    "en": {
        "not_employer_admin": "This overview is for company admins only. If you manage your company's desks, send me your "
                              "company's admin code. Your own days: /contingent.",
        "not_your_employer": "That's not your company – you can only manage your own. Send /company for your overview.",
        "not_operator": "Only operators of a coworking space can do that. If you run a space, send me your operator code. "
                        "To book, write e.g. “tomorrow Dülmen”.",
        "not_your_space": "You don't operate this space – you only see your own. Send /arrivals for your overview.",
        "not_platform_admin": "This is for the district's platform admins only. If you need figures, please contact Kreis "
                              "Coesfeld. Your own savings: /commute.",
        "unknown_employer": "I don't know that company. Send /company on its own and I'll show you yours.",
        "unknown_space": "I don't know that space. Use its short name, e.g. /arrivals coesfeld.",
        "unknown_booking": "That booking doesn't exist (any more). Send /arrivals for the current list.",
    },
}

COMMON_TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "pick_employer": "Du verwaltest mehrere Firmen: {slugs}. Schreib den Kurznamen dazu, z. B. „{cmd} {first}“.",
        "pick_space": "Welcher Space? Schreib den Kurznamen dazu, z. B. „{cmd} {first}“. Deine Spaces: {slugs}",
        "status_confirmed": "",
        "btn_cancel": "Abbrechen",
    },
    "en": {
        "pick_employer": "You manage several companies: {slugs}. Add the short name, e.g. “{cmd} {first}”.",
        "pick_space": "Which space? Add its short name, e.g. “{cmd} {first}”. Your spaces: {slugs}",
        "status_confirmed": "",
        "btn_cancel": "Cancel",
    },
}



def texts_with(own: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """A slice's own texts plus the shared ones."""
    return {lang: {**COMMON_TEXTS[lang], **own.get(lang, {})} for lang in COMMON_TEXTS}


tr = translator(COMMON_TEXTS)

def refusal(lang: str, exc: Forbidden) -> list[Reply]:
    table = REFUSALS.get(lang) or REFUSALS["de"]
    return [Reply(table.get(exc.reason) or REFUSALS["de"].get(exc.reason, exc.reason))]


def month_label(month: str, lang: str) -> str:
    y, m = month.split("-")
    return f"{MONTHS.get(lang, MONTHS['de'])[int(m) - 1]} {y}"


def num_days(halves: int, lang: str) -> str:
    """Half days as a plain number: 13 -> '6,5' (de) / '6.5' (en)."""
    whole, half = divmod(int(halves), 2)
    return f"{whole}{',' if lang == 'de' else '.'}5" if half else str(whole)


def audit(s, actor: int | None, action: str, now: datetime, **detail) -> None:
    s.add(AuditLog(at=now, actor_member_id=actor, action=action, detail=detail))


def _args(ctx: Ctx) -> list[str]:
    return list(ctx.intent.args) if ctx.intent and ctx.intent.args else []


def _name(m: Member | None, lang: str) -> str:
    if m is None or m.deleted_at is not None or not m.display_name:
        return "(gelöscht)" if lang == "de" else "(deleted)"
    return m.display_name


class _Pick(Exception):
    def __init__(self, slugs: list[str]) -> None:
        super().__init__(slugs)
        self.slugs = slugs


def _month_range(month: str) -> tuple[date, date]:
    y, m = (int(x) for x in month.split("-"))
    first = date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


_MONTH_WORDS = {name.lower(): i + 1 for names in MONTHS.values() for i, name in enumerate(names)}
_MONTH_WORDS.update({name.lower()[:3]: i + 1 for names in MONTHS.values() for i, name in enumerate(names)})
_MONTH_WORDS.update({"maerz": 3, "mrz": 3, "sept": 9, "okt": 10, "dez": 12})


def looks_like_month(value: str) -> bool:
    """"2026-12", "12/2026" or a month's name: meant as a month, valid or not."""
    v = value.strip().lower().strip(".,?!")
    return bool(_MONTH_RE.match(v) or re.match(r"^\d{1,2}/\d{4}$", v) or v in _MONTH_WORDS)


def _parse_month(value: str, today: date | None = None) -> str | None:
    """"2026-12", "12/2026", "Dezember", "dec" -> "2026-12" (a name means the nearest such month: within the
    next five or the last six months). None if it is not a month between 2000 and 2100."""
    v = value.strip().lower().strip(".,?!")
    m = _MONTH_RE.match(v)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    elif (m2 := re.match(r"^(\d{1,2})/(\d{4})$", v)):
        month, year = int(m2.group(1)), int(m2.group(2))
    elif v in _MONTH_WORDS:
        today = today or date.today()
        month = _MONTH_WORDS[v]
        year = today.year
        diff = (month - today.month) % 12
        if diff > 5:  # more than five months ahead: the last one, not the next
            year = today.year if month <= today.month else today.year - 1
        elif month < today.month:
            year = today.year + 1
    else:
        return None
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return f"{year:04d}-{month:02d}"


def _pick_reply(lang: str, cmd: str, slugs: list[str], key: str = "pick_employer") -> list[Reply]:
    shown = ", ".join(slugs[:15]) + (" …" if len(slugs) > 15 else "")
    return [Reply(tr(lang, key, slugs=shown, cmd=cmd, first=slugs[0] if slugs else "…"))]


def bot_username(settings) -> str:
    return (getattr(settings, "telegram_bot_username", None) or "deskbot_bot").lstrip("@")


def _part_label(lang: str, b: Booking) -> str:
    from bot.i18n import PART

    if b.part == "hours":
        return f"{fmt_min(b.start_min)}–{fmt_min(b.end_min)}"
    return PART[lang if lang in PART else "de"][b.part]

