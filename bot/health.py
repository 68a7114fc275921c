"""The operations HTTP server of `deskbot run` (aiohttp, port `DESKBOT_HTTP_PORT`).

* ``GET /healthz`` -> 200 if healthy, 503 if not; JSON body, e.g.::

      {"status": "ok", "phase": "running", "version": "0.1.0",
       "checks": {"database": {"ok": true, "dialect": "sqlite", "ms": 1.2},
                  "transports": {"telegram": {"ok": true, "state": "connected"}},
                  "scheduler": {"ok": true, "state": "alive"}}}

  Checks: the database answers ``SELECT 1`` (within 3 s); every transport is connected (duck
  typing: ``healthy() -> bool`` or an attribute/method ``connected``; a transport that reports
  neither is "unknown" and counts as ok); the scheduler is alive (``alive() -> bool``, or
  ``last_tick`` not older than `scheduler_stale_after` seconds; no scheduler at all is "absent"
  and counts as ok). While starting or shutting down the answer is 503 with ``phase`` set, so a
  load balancer stops sending webhooks to an instance that is going away.
* ``GET /metrics`` -> Prometheus text format (`bot.metrics`).
* ``GET /`` -> one line naming the service.

Nothing here blocks the event loop: the database ping and the metric queries run in threads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

DB_TIMEOUT = 3.0


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("deskbot")
    except Exception:  # pragma: no cover
        return "unknown"


def _transport_check(tr) -> dict[str, Any]:
    try:
        fn = getattr(tr, "healthy", None)
        if callable(fn):
            ok = bool(fn())
            return {"ok": ok, "state": "healthy" if ok else "unhealthy"}
        if hasattr(tr, "connected"):
            value = tr.connected
            ok = bool(value() if callable(value) else value)
            return {"ok": ok, "state": "connected" if ok else "disconnected"}
    except Exception as exc:
        return {"ok": False, "state": "error", "error": str(exc)[:200]}
    return {"ok": True, "state": "unknown"}


def _tick_age(last_tick: Any) -> float | None:
    """Seconds since `last_tick` (datetime, epoch seconds or time.monotonic() value)."""
    if last_tick is None:
        return None
    if isinstance(last_tick, datetime):
        lt = last_tick if last_tick.tzinfo else last_tick.replace(tzinfo=timezone.utc)
        return (datetime.now(timezone.utc) - lt).total_seconds()
    if isinstance(last_tick, (int, float)):
        if last_tick > 1e9:  # wall clock (epoch)
            return time.time() - last_tick
        return time.monotonic() - last_tick
    return None


def _scheduler_check(scheduler, stale_after: float) -> dict[str, Any]:
    if scheduler is None:
        return {"ok": True, "state": "absent"}
    try:
        fn = getattr(scheduler, "alive", None)
        if callable(fn):
            ok = bool(fn())
            return {"ok": ok, "state": "alive" if ok else "dead"}
        if hasattr(scheduler, "last_tick"):
            last = scheduler.last_tick
            last = last() if callable(last) else last
            age = _tick_age(last)
            if age is None:
                return {"ok": True, "state": "not ticked yet"}
            ok = age <= stale_after
            return {"ok": ok, "state": "alive" if ok else "stale", "last_tick_age_s": round(age, 1)}
    except Exception as exc:
        return {"ok": False, "state": "error", "error": str(exc)[:200]}
    return {"ok": True, "state": "unknown"}


async def _db_check(core) -> dict[str, Any]:
    if core is None:
        return {"ok": True, "state": "absent"}
    started = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.to_thread(core.db.ping), DB_TIMEOUT)
    except asyncio.TimeoutError:
        return {"ok": False, "dialect": core.db.dialect, "error": f"no answer within {DB_TIMEOUT:.0f}s"}
    except Exception as exc:
        return {"ok": False, "dialect": core.db.dialect, "error": str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}
    last = getattr(core.db, "last_timeout", None)
    if last is not None and time.monotonic() - last < 60:
        # a statement timed out within the last minute: the database answers a ping but not the real work
        return {"ok": False, "dialect": core.db.dialect, "error": "statement timeout within the last minute",
                "timeout_s_ago": round(time.monotonic() - last, 1)}
    return {"ok": True, "dialect": core.db.dialect, "ms": round((time.perf_counter() - started) * 1000, 1)}


class HealthServer:
    """Serves /healthz and /metrics. `transports` and `scheduler` may be filled in after creation."""

    def __init__(self, core=None, *, port: int, host: str = "0.0.0.0", transports: Mapping[str, object] | None = None,
                 scheduler=None, metrics=None, scheduler_stale_after: float = 180.0,
                 routes: Mapping[str, object] | None = None) -> None:
        self.core = core
        self.port = port
        self.host = host
        self.transports: dict[str, object] = dict(transports or {})
        self.scheduler = scheduler
        self.metrics = metrics
        self.scheduler_stale_after = scheduler_stale_after
        self.phase = "starting"  # starting | running | stopping
        self._runner: web.AppRunner | None = None
        self.app = web.Application()
        self.app.router.add_get("/healthz", self.handle_health)
        self.app.router.add_get("/metrics", self.handle_metrics)
        self.app.router.add_get("/", self.handle_root)
        for key, make_handler in (routes or {}).items():  # the features' pages (e.g. the calendar feed)
            method, path = key if isinstance(key, tuple) else ("GET", key)  # "/path" or ("POST", "/path")
            if method == "GET":
                self.app.router.add_get(path, make_handler(core))
            else:
                self.app.router.add_route(method, path, make_handler(core))

    async def check(self) -> tuple[bool, dict[str, Any]]:
        checks = {
            "database": await _db_check(self.core),
            "transports": {name: _transport_check(tr) for name, tr in sorted(self.transports.items())},
            "scheduler": _scheduler_check(self.scheduler, self.scheduler_stale_after),
        }
        ok = (checks["database"]["ok"] and all(c["ok"] for c in checks["transports"].values())
              and checks["scheduler"]["ok"] and self.phase == "running")
        body = {"status": "ok" if ok else "unhealthy", "phase": self.phase, "version": _version(), "checks": checks}
        return ok, body

    async def handle_health(self, request: web.Request) -> web.Response:
        ok, body = await self.check()
        if not ok:
            log.debug("health check failed: %s", body)
        return web.json_response(body, status=200 if ok else 503, headers={"Cache-Control": "no-store"})

    async def handle_metrics(self, request: web.Request) -> web.Response:
        if self.metrics is None:
            return web.Response(status=404, text="metrics disabled\n")
        payload = await asyncio.to_thread(self.metrics.render)
        return web.Response(body=payload, headers={"Content-Type": self.metrics.content_type})

    async def handle_root(self, request: web.Request) -> web.Response:
        return web.Response(text=f"deskbot {_version()}: /healthz, /metrics\n")

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        log.info("health and metrics on http://%s:%d (/healthz, /metrics)", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
