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
from bot.i18n import Table, fmt_month, fmt_num, translator
from bot.router import Ctx
from bot.storage.models import (
    AuditLog,
    Booking,
    Member,
)

if TYPE_CHECKING:  # pragma: no cover
    pass


# month names as users type them ("/team März"): words the parser reads, not texts the bot writes
MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}

REFUSALS = Table("refusals")  # texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po

COMMON_TEXTS = Table("staff")



tr = translator("staff")

def refusal(lang: str, exc: Forbidden) -> list[Reply]:
    table = REFUSALS.get(lang) or REFUSALS["de"]
    return [Reply(table.get(exc.reason) or REFUSALS["de"].get(exc.reason, exc.reason))]


def month_label(month: str, lang: str) -> str:
    return fmt_month(month, lang)


def num_days(halves: int, lang: str) -> str:
    """Half days as a plain number: 13 -> '6,5' (de) / '6.5' (en)."""
    return fmt_num(int(halves), lang)


def audit(s, actor: int | None, action: str, now: datetime, **detail) -> None:
    s.add(AuditLog(at=now, actor_member_id=actor, action=action, detail=detail))


def _args(ctx: Ctx) -> list[str]:
    return list(ctx.intent.args) if ctx.intent and ctx.intent.args else []


def _name(m: Member | None, lang: str) -> str:
    if m is None or m.deleted_at is not None or not m.display_name:
        return tr(lang, "deleted_member")
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
    # any digits in a month's shape ("99999999999999999999-01", "13/2026"): answered as a month we cannot read
    return bool(re.match(r"^\d+-\d+$", v) or re.match(r"^\d+/\d+$", v) or v in _MONTH_WORDS)


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

