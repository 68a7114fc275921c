"""Incentives in the chat: "wie viel CO₂ habe ich gespart?" / /bilanz — km and CO₂ this month and in total,
the streak and the badges; the opt-in weekly summary (/einstellungen wochenbericht an) with its job."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import local_at
from bot.domain import Reply
from bot.features.incentives.service import personal_impact, week_summary
from bot.i18n import fmt_fixed, t
from bot.members import members_with
from bot.notices import Draft, RowView, Skip
from bot.router import Ctx, Job, Router
from bot.storage.models import Member
from bot.storage.outbox import enqueue

if TYPE_CHECKING:  # pragma: no cover
    from bot.dialogue import Dialogue

SUMMARY_HOUR = 8  # Monday 08:00: last week's summary


def router() -> Router:
    """Personal impact, badges and the weekly summary."""
    return Router(
        "incentives",
        intents={"impact": on_impact},
        notices={"weekly_summary": draft_weekly},
        jobs=[Job("weekly_summaries", weekly_summaries, weekly_fire_times)],
    )


def _num(x: float, lang: str, digits: int = 0) -> str:
    return fmt_fixed(x, lang, digits)  # Babel: the language's decimal sign and grouping


def on_impact(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    """Own impact: days, km and CO₂ this month and in total, the streak and badges."""
    lang = ctx.lang
    imp = personal_impact(dlg.core, ctx.member.id, ctx.now.date())
    if not imp.days_total:
        return [Reply(t(lang, "impact_none"))]
    lines = [t(lang, "impact_days", month=_num(imp.days_month, lang, 1 if imp.days_month % 1 else 0),
               total=_num(imp.days_total, lang, 1 if imp.days_total % 1 else 0))]
    if imp.commute_km:
        lines.append(t(lang, "impact_km", km_month=_num(imp.km_month, lang), km_total=_num(imp.km_total, lang),
                       co2_month=_num(imp.co2_month, lang, 1), co2_total=_num(imp.co2_total, lang, 1)))
    else:
        lines.append(t(lang, "impact_no_commute"))
    if imp.streak_weeks >= 2:
        lines.append(t(lang, "impact_streak", n=imp.streak_weeks))
    if imp.badges:
        lines.append(t(lang, "impact_badges", badges=" · ".join(t(lang, f"badge_{b}") for b in imp.badges)))
    return [Reply("\n".join(lines))]


def weekly_summaries(core, now: datetime) -> int:
    """Monday from 08:00: last week's coworking days and km to each member who switched the summary on."""
    if now.weekday() != 0 or now.hour < SUMMARY_HOUR:
        return 0
    monday = now.date() - timedelta(days=7)
    n = 0
    with core.db.session() as s:
        # only members whose prefs name the key (the job runs each minute on Mondays; a large store has 100 000)
        for mid, prefs in members_with(s, "weekly_summary", Member.deleted_at.is_(None)):
            if (prefs or {}).get("notices", {}).get("weekly_summary"):
                n += enqueue(s, "weekly_summary", f"week:{mid}:{monday.isoformat()}",
                             due_at=local_at(core.clock.tz, now.date(), SUMMARY_HOUR * 60), now=now, member_id=mid,
                             payload={"monday": monday.isoformat()})
    return n


def weekly_fire_times(core, start: datetime, end: datetime):
    d = start.astimezone(core.clock.tz).date()
    last = end.astimezone(core.clock.tz).date()
    while d <= last:
        if d.weekday() == 0:
            yield local_at(core.clock.tz, d, SUMMARY_HOUR * 60)
        d += timedelta(days=1)


def draft_weekly(core, row: RowView, lang: str, now: datetime) -> Draft | Skip:
    from datetime import date

    monday = date.fromisoformat(row.payload["monday"])
    days, km = week_summary(core, row.member_id, monday)
    if not days:
        return Skip("no coworking day last week (never shaming: nothing is sent)")
    text = t(lang, "weekly_summary", days=_num(days, lang, 1 if days % 1 else 0), km=_num(km, lang))
    return Draft(text)
