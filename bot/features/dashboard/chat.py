"""The web dashboard (issue 19): `/dashboard` in the chat sends a one-time link; the pages are served by
`deskbot run`'s HTTP server (bot/health.py), rendered from the Jinja2 templates in `templates/`.

Pages (all GET, read-only; every table is also a CSV download at `<page>/<table>.csv`):

* ``/dashboard``                       what the member may open (district, their employers, their spaces)
* ``/dashboard/district``              platform admin: the three goals month by month, utilisation heat map,
                                       adoption per employer, km and CO2 avoided (the one region there is)
* ``/dashboard/employer/{slug}``       that employer's admins: contingent use per month and per employee,
                                       upcoming employer-paid bookings of the staff (``?month=YYYY-MM``)
* ``/dashboard/space/{slug}``          that space's operators: the week per day, today's arrivals
* ``/dashboard/open/{token}``          GET: a page with one button; POST: opens the session (cookie) once.
                                       The button keeps link previews of messengers from using the link up.
* ``POST /dashboard/logout``           ends the session

Charts are inline SVG drawn here (no script, nothing loaded from elsewhere); each chart has its table.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from bot.authz import Forbidden
from bot.domain import Reply
from bot.features.dashboard import service
from bot.i18n import Table, fmt_day, fmt_decimal, fmt_holiday, fmt_month, lang_of, translator
from bot.router import Job, Router

if TYPE_CHECKING:  # pragma: no cover
    from bot.dialogue import Dialogue
    from bot.router import Ctx

log = logging.getLogger(__name__)

COOKIE = "deskbot_dashboard"
TEMPLATES = Path(__file__).resolve().parent / "templates"
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

TEXTS = Table("dashboard")  # texts: bot/locales/<lang>/LC_MESSAGES/deskbot.po

tr = translator("dashboard")
staff_tr = translator("staff")


# --- chat ---------------------------------------------------------------------------------------


def cmd_dashboard(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    """/dashboard: a one-time link to the pages this member's roles open."""
    base = (dlg.core.settings.public_url or "").rstrip("/")
    if not base:
        return [Reply(tr(ctx.lang, "dash_not_set_up"))]
    with dlg.core.db.session() as s:
        sc = service.scopes(s, ctx.member.id)
    if not (sc.district or sc.employers or sc.spaces):
        return [Reply(tr(ctx.lang, "dash_no_role"))]
    token = service.issue_link(dlg.core, ctx.member.id, ctx.now)
    return [Reply(tr(ctx.lang, "dash_link", url=f"{base}/dashboard/open/{token}", minutes=service.LINK_MINUTES,
                     hours=service.SESSION_HOURS))]


def preload() -> None:
    """Load what every page needs once per process, at start rather than in the first request: the templates
    (compiled), Babel's locale data, the holiday library (bot.booking imports it lazily). No figures."""
    from bot.booking import holiday_name

    for name in ("base.html", "district.html", "employer.html", "space.html", "index.html", "message.html",
                 "open.html"):
        env().get_template(name)
    for lang in _POINT:
        fmt_decimal(1234.5, lang, 1)
        fmt_day(date(2026, 1, 1), lang)
        fmt_month("2026-01", lang)
    holiday_name("NW", date(2026, 1, 1))


def router() -> Router:
    preload()
    return Router(
        "dashboard",
        commands={"/dashboard": cmd_dashboard},
        jobs=[Job("dashboard_purge", service.purge), Job("dashboard_district", service.refresh_district)],
        help_keys={},
        http={
            "/dashboard": _page(_index),
            "/dashboard/open/{token}": _open_get,
            ("POST", "/dashboard/open/{token}"): _open_post,
            ("POST", "/dashboard/logout"): _logout,
            "/dashboard/district": _page(_district),
            "/dashboard/district/{table}.csv": _page(_district, csv_out=True),
            "/dashboard/employer/{slug}": _page(_employer),
            "/dashboard/employer/{slug}/{table}.csv": _page(_employer, csv_out=True),
            "/dashboard/space/{slug}": _page(_space),
            "/dashboard/space/{slug}/{table}.csv": _page(_space, csv_out=True),
        },
    )


# --- rendering ----------------------------------------------------------------------------------

_env = None


def env():
    global _env
    if _env is None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        _env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return _env


_POINT = {"de": ",", "en": "."}


def fmt_num(v, lang: str) -> str:
    """`fmt_decimal(v, lang, 1)` for a page's figures: below 1 000 and with at most one decimal (they are rounded
    to one place), where neither grouping nor rounding applies, it is the number with the language's decimal
    sign, written here (a cold district page shows thousands of distinct values, ~60 us each through Babel);
    anything else goes through Babel. tests/test_dashboard.py compares the two over every such value."""
    if lang in _POINT and not isinstance(v, bool) and isinstance(v, (int, float)) and -1000 < v < 1000:
        if isinstance(v, int):
            return str(v)
        if v == 0:  # 0.0 and -0.0 ("-0"): Babel's
            return fmt_decimal(v, lang, 1)
        whole, _, frac = repr(v).partition(".")
        if frac == "0":
            return whole
        if len(frac) == 1 and whole.lstrip("-").isdigit():
            return whole + _POINT[lang] + frac
    return fmt_decimal(v, lang, 1)


@lru_cache(maxsize=65536)
def fmt_value(v, kind: str, lang: str) -> str:
    """A cell as shown (Babel formats; cached: a heat map repeats the same few values thousands of times)."""
    if kind == "name":
        return v or staff_tr(lang, "deleted_member")
    if v is None or v == "":
        return "–"
    if kind == "closed" and isinstance(v, service.Holiday):
        return fmt_holiday(v.name, v.day, lang)
    if kind == "num":
        return fmt_num(v, lang)
    if kind == "pct":
        return fmt_num(v, lang) + " %"
    if kind == "day":
        return fmt_day(v, lang)
    if kind == "month":
        return fmt_month(v, lang)
    if kind == "status":
        return tr(lang, f"status_{v}") if tr.has(lang, f"status_{v}") else str(v)
    if kind == "closed":
        return tr(lang, f"closed_{v}") if tr.has(lang, f"closed_{v}") else str(v)
    return str(v)


def raw_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def rows_html(tab: service.Table, lang: str) -> Markup:
    """The table's body rows (built here rather than in a template loop: a heat map or a staff list has thousands
    of cells). The first cell of a text/day/month column is the row header; each cell carries its plain value
    in data-value (for the tests and for anyone scraping the page)."""
    from html import escape as esc

    if not tab.rows:
        return Markup(f'<tr><td colspan="{len(tab.columns)}">{esc(tr(lang, "none"))}</td></tr>')
    heat = tab.id in ("utilisation", "spaces", "space_months", "weeks", "months")
    out = []
    for row in tab.rows:
        cells = []
        for i, v in enumerate(row):
            kind = tab.kinds[i]
            raw, shown = esc(raw_value(v)), esc(fmt_value(v, kind, lang))
            if i == 0 and kind in ("text", "month", "day"):
                cells.append(f'<th scope="row" data-value="{raw}">{shown}</th>')
            else:
                cls = f"{kind} {heat_class(v)}" if heat and kind == "pct" else kind
                cells.append(f'<td class="{cls}" data-value="{raw}">{shown}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    return Markup("\n".join(out))


def heat_class(p: float | None) -> str:
    if p is None:
        return "h-none"
    return "h" + str(min(4, int(p // 20)))


PALETTE = ("#1f5fa8", "#a84a0c", "#2e7d32", "#6a1b9a")  # contrast >= 4.5:1 on white


def bars_svg(labels: list[str], series: list[tuple[str, list[float | None]]], title: str, *, max_value=None,
             unit: str = "") -> Markup:
    """A grouped bar chart as inline SVG (role=img with a title; the figures are also in a table)."""
    n, k = len(labels), max(1, len(series))
    w, h, left, bottom, top = 640, 220, 44, 36, 24 + 16 * ((k + 1) // 2)
    vals = [v for _, vs in series for v in vs if v is not None]
    vmax = max_value or (max(vals) if vals else 0) or 1
    step = (w - left - 8) / max(1, n)
    bw = max(2.0, step * 0.8 / k)
    out = [f'<svg viewBox="0 0 {w} {h + top}" role="img" aria-label="{escape(title)}" class="chart" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i in range(5):
        y = top + (h - bottom) * (1 - i / 4)
        out.append(f'<line x1="{left}" x2="{w - 4}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_tick(vmax * i / 4)}{unit}</text>')
    for j, (name, vs) in enumerate(series):
        color = PALETTE[j % len(PALETTE)]
        lx, ly = left + (j % 2) * 260, 14 + 16 * (j // 2)
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{lx + 14}" y="{ly}" class="legend">{escape(name)}</text>')
        for i, v in enumerate(vs):
            if v is None:
                continue
            bh = (h - bottom) * min(1.0, v / vmax)
            x = left + i * step + step * 0.1 + j * bw
            out.append(f'<rect x="{x:.1f}" y="{top + h - bottom - bh:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
                       f'fill="{color}"><title>{escape(labels[i])}: {escape(name)} {_tick(v)}{unit}</title></rect>')
    every = max(1, n // 12)
    for i, lab in enumerate(labels):
        if i % every == 0:
            out.append(f'<text x="{left + i * step + step / 2:.1f}" y="{top + h - bottom + 16}" text-anchor="middle" '
                       f'class="tick">{escape(lab)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _tick(v: float) -> str:
    return f"{v:.0f}" if v >= 10 or v == int(v) else f"{v:.1f}"


def render(name: str, lang: str, **ctx) -> str:
    def t(key, **kw):
        return tr(lang, key, **kw)

    return env().get_template(name).render(lang=lang, t=t, fmt=lambda v, k: fmt_value(v, k, lang),
                                           rows=lambda tab: rows_html(tab, lang), **ctx)


HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}


def _html(text: str, status: int = 200, **kw):
    from aiohttp import web

    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=dict(HEADERS), **kw)


def _message(lang: str, head: str, text: str, status: int, *, logged_in: bool = False):
    return _html(render("message.html", lang, head=tr(lang, head), text=tr(lang, text), logged_in=logged_in), status)


def _accept_lang(request) -> str:
    return "en" if request.headers.get("Accept-Language", "de").lower().startswith("en") else "de"


def _secure(core) -> bool:
    return (core.settings.public_url or "").startswith("https://")


# --- handlers -----------------------------------------------------------------------------------


def _open_get(core):
    async def handle(request):
        token = request.match_info.get("token", "")
        state, member_lang = await asyncio.to_thread(service.link_state, core, token, core.clock.now())
        lang = lang_of(member_lang) if member_lang else _accept_lang(request)
        if state != "ok":
            return _message(lang, "gone_head", "gone_text", 410)
        return _html(render("open.html", lang, token=token, logged_in=False))

    return handle


def _open_post(core):
    from aiohttp import web

    async def handle(request):
        token = request.match_info.get("token", "")
        now = core.clock.now()
        got = await asyncio.to_thread(service.redeem_link, core, token, now)
        if got is None:
            _state, member_lang = await asyncio.to_thread(service.link_state, core, token, now)
            return _message(lang_of(member_lang) if member_lang else _accept_lang(request), "gone_head", "gone_text", 410)
        session, _member_id = got
        resp = web.Response(status=303, headers={**HEADERS, "Location": "/dashboard"})
        resp.set_cookie(COOKIE, session, max_age=service.SESSION_HOURS * 3600, path="/dashboard", httponly=True,
                        samesite="Strict", secure=_secure(core))
        return resp

    return handle


def _logout(core):

    async def handle(request):
        await asyncio.to_thread(service.end_session, core, request.cookies.get(COOKIE))
        resp = _message(_accept_lang(request), "home", "logged_out", 200)
        resp.del_cookie(COOKIE, path="/dashboard")
        return resp

    return handle


def _page(view, *, csv_out: bool = False):
    """A factory of a page handler: session -> member (fresh from the database) -> view(core, member, request)."""

    def factory(core):
        from aiohttp import web

        def work(token, request):
            now = core.clock.now()
            with core.db.session() as s:
                member = service.session_member(s, token, now)
                if member is None:
                    return None, None, None
                member_id, lang = member.id, lang_of(member.lang)
            try:
                return lang, view(core, member_id, lang, request, now, csv_out), None
            except Forbidden as exc:
                return lang, None, exc

        async def handle(request):
            lang, result, exc = await asyncio.to_thread(work, request.cookies.get(COOKIE), request)
            if lang is None:
                return _message(_accept_lang(request), "login_head", "login_text", 401)
            if exc is not None:
                if exc.reason.startswith("unknown_"):
                    return _message(lang, "notfound_head", "forbidden_text", 404, logged_in=True)
                return _message(lang, "forbidden_head", "forbidden_text", 403, logged_in=True)
            if result is None:
                raise web.HTTPNotFound()
            if csv_out:
                name, body = result
                return web.Response(body=body, content_type="text/csv", charset="utf-8",
                                    headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})
            return _html(result)

        return handle

    return factory


def _csv(tables: list[service.Table], table_id: str, lang: str, filename: str):
    tab = next((t for t in tables if t.id == table_id), None)
    if tab is None:
        return None
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if lang == "de" else ",", lineterminator="\r\n")
    w.writerow([tr(lang, c) if c.startswith("col_") else c for c in tab.columns])
    for row in tab.rows:
        w.writerow([(raw_value(v).replace(".", ",") if lang == "de" and isinstance(v, float) else raw_value(v))
                    for v in row])
    return f"{filename}-{table_id}.csv", ("\ufeff" + buf.getvalue()).encode("utf-8")


def _index(core, member_id, lang, request, now, csv_out):
    with core.db.session() as s:
        sc = service.scopes(s, member_id)
    return render("index.html", lang, scopes=sc, logged_in=True)


def _district(core, member_id, lang, request, now, csv_out):
    # ?region=SLUG: a platform admin's choice (a region admin sees their own region either way; issue 17)
    d = service.district(core, member_id, now.date(), region=request.query.get("region") or None)
    tables = service.district_tables(d)
    if csv_out:
        return _csv(tables, request.match_info.get("table", ""), lang, "deskbot-district")
    months = [fmt_month(m["month"], lang) for m in d.months]
    charts = {
        "commuters": bars_svg(months, [(tr(lang, "col_commuters"), [m["commuters"] for m in d.months]),
                                       (tr(lang, "col_attended"), [m["attended_days"] for m in d.months])],
                              tr(lang, "chart_commuters")),
        "util": bars_svg([w[-3:] for w in d.weeks], [("Σ", d.overall)], tr(lang, "chart_util"), max_value=100, unit=" %"),
        "employers": bars_svg(months, [(tr(lang, "col_employers"), [m["employers"] for m in d.months]),
                                       (tr(lang, "col_employees"), [m["employees"] for m in d.months])],
                              tr(lang, "chart_employers")),
        "km": bars_svg(months, [(tr(lang, "col_km"), [m["km"] for m in d.months]),
                                (tr(lang, "col_co2"), [m["co2"] for m in d.months])], tr(lang, "chart_km")),
        "checkins": bars_svg([w[-3:] for w in d.weeks], [(tr(lang, "col_checked_in"), d.checkins),
                                                         (tr(lang, "col_no_show"), d.no_shows)],
                             tr(lang, "chart_checkins")),
    }
    with core.db.session() as s:
        regions = service.scopes(s, member_id).regions
    return render("district.html", lang, d=d, tables={t.id: t for t in tables}, charts=charts, logged_in=True,
                  region=d.region, regions=regions, csv_query=f"?region={d.region[0]}" if d.region else "",
                  km=fmt_decimal(d.total_km, lang, 1), co2=fmt_decimal(d.total_co2, lang, 1),
                  from_day=fmt_day(d.from_day, lang), to_day=fmt_day(d.to_day, lang), weeks=len(d.weeks),
                  as_of=d.as_of.astimezone(core.clock.tz).strftime("%H:%M") if d.as_of else "",
                  base="/dashboard/district")


def _employer(core, member_id, lang, request, now, csv_out):
    month = request.query.get("month") or None
    if month is not None and not _MONTH_RE.match(month):
        month = None
    p = service.employer_page(core, member_id, request.match_info["slug"], now.date(), month)
    tables = service.employer_tables(p)
    base = f"/dashboard/employer/{p.slug}"
    if csv_out:
        return _csv(tables, request.match_info.get("table", ""), lang, f"deskbot-{p.slug}-{p.month}")
    months = [fmt_month(m["month"], lang) for m in p.months]
    chart = bars_svg(months, [(tr(lang, "col_days_charged"), [m["days"] for m in p.months]),
                              (tr(lang, "col_people"), [m["people"] for m in p.months])], tr(lang, "months_head"))
    return render("employer.html", lang, p=p, tables={t.id: t for t in tables}, chart=chart, logged_in=True,
                  month_label=fmt_month(p.month, lang), month_keys=[m["month"] for m in p.months],
                  days=service.UPCOMING_DAYS, base=base, csv_query=f"?month={p.month}",
                  cut=service.UPCOMING_MAX if len(p.upcoming) >= service.UPCOMING_MAX else 0)


def _space(core, member_id, lang, request, now, csv_out):
    p = service.space_page(core, member_id, request.match_info["slug"], now.date())
    tables = service.space_tables(p)
    if csv_out:
        return _csv(tables, request.match_info.get("table", ""), lang, f"deskbot-{p.slug}-{p.monday.isoformat()}")
    labels = [fmt_day(d["day"], lang) for d in p.days]
    chart = bars_svg(labels, [(tr(lang, "col_bookings"), [d["bookings"] for d in p.days]),
                              (tr(lang, "col_checked_in"), [d["checked_in"] for d in p.days]),
                              (tr(lang, "col_no_show"), [d["no_show"] for d in p.days])], tr(lang, "chart_week"))
    weeks = [w["period"][-3:] for w in p.weeks]
    trend = {
        "util": bars_svg(weeks, [(tr(lang, "col_util"), [w["pct"] for w in p.weeks])], tr(lang, "chart_space_util"),
                         max_value=100, unit=" %"),
        "checkins": bars_svg(weeks, [(tr(lang, "col_checked_in"), [w["checked_in"] for w in p.weeks]),
                                     (tr(lang, "col_no_show"), [w["no_show"] for w in p.weeks])],
                             tr(lang, "chart_space_checkins")),
    }
    return render("space.html", lang, p=p, tables={t.id: t for t in tables}, chart=chart, trend=trend, logged_in=True,
                  monday=fmt_day(p.monday, lang), base=f"/dashboard/space/{p.slug}")
