"""Logging for `deskbot run`: readable lines by default, JSON lines with `DESKBOT_LOG_FORMAT=json`.

JSON lines carry at least ``ts`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; an exception
adds ``exc`` (the formatted traceback, still on one line because JSON escapes the newlines), and any
``extra={...}`` fields passed to a log call are copied in. Everything goes to stderr (12-factor:
Docker / journald collect it). Python warnings are routed through logging as well, so in JSON mode
stderr stays parseable line by line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import IO, Any

_HANDLER_NAME = "deskbot"

# attributes every LogRecord has; anything else on a record came from `extra=`
_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}

# chatty third-party loggers: their INFO lines are noise in production
_QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "aiohttp.access": logging.WARNING,
          "apscheduler": logging.WARNING, "nio": logging.WARNING, "peewee": logging.WARNING, "alembic": logging.WARNING,
          "telegram.ext.Updater": logging.INFO}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, one record per line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_") and key not in out:
                out[key] = value
        return json.dumps(out, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: str | int = "INFO", fmt: str = "text", *, stream: IO[str] | None = None) -> logging.Handler:
    """Configure the root logger (idempotent: a second call replaces deskbot's handler).

    `fmt` is "text" or "json"; `level` a name ("INFO", "debug") or number. Returns the handler.
    """
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == _HANDLER_NAME:
            root.removeHandler(h)
            h.close()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    if isinstance(level, str):
        level_no = logging.getLevelName(level.upper())
        if not isinstance(level_no, int):
            raise ValueError(f"unknown log level {level!r} (DEBUG, INFO, WARNING, ERROR)")
        level = level_no
    root.setLevel(level)
    for name, lvl in _QUIET.items():
        lg = logging.getLogger(name)
        if lg.level == logging.NOTSET and level < lvl:
            lg.setLevel(lvl)
    logging.captureWarnings(True)
    return handler


def setup_from_settings(settings) -> logging.Handler:
    """`setup_logging` with `DESKBOT_LOG_LEVEL` / `DESKBOT_LOG_FORMAT`."""
    return setup_logging(settings.log_level, settings.log_format)
