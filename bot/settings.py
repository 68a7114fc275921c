"""Typed settings: an optional TOML file plus environment variables with the prefix `DESKBOT_`.

Precedence: environment > settings file (`DESKBOT_CONFIG` or `config/deskbot.toml` if present) > defaults.
A missing or malformed setting stops start-up with one clear line naming it (`SettingsError`).

The database is `DESKBOT_DATABASE_URL`, or, when that is empty and `DESKBOT_DATABASE_HOST` is set, a
PostgreSQL URL built from `DESKBOT_DATABASE_HOST/_PORT/_USER/_PASSWORD/_NAME` (the password may
contain any character: it is escaped here, not by whoever writes the compose file).
Checks that only matter for `deskbot run` (a transport half configured) are in `check_for_run()`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import re

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from bot.paths import REPO_ROOT, default_data_dir, default_world_file  # noqa: F401  (re-exported)


class SettingsError(Exception):
    """Start-up cannot go on; the message is one line naming the setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESKBOT_", extra="ignore", validate_default=True)

    database_url: str = ""  # default: SQLite file in the user's data dir, or built from the parts below
    database_host: str = ""  # PostgreSQL from parts (used when database_url is empty)
    database_port: int = Field(5432, ge=1, le=65535)
    database_user: str = "deskbot"
    database_password: str = ""
    database_name: str = "deskbot"
    timezone: str = "Europe/Berlin"
    world_file: Path = Field(default_factory=default_world_file)
    data_dir: Path = Field(default_factory=default_data_dir)
    booking_horizon_days: int = Field(60, ge=1, le=730)
    default_language: Literal["de", "en"] = "de"

    # Telegram
    telegram_token: str | None = None
    telegram_base_url: str | None = None  # self-hosted Bot API server; must end with /bot
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "127.0.0.1"  # the Docker image sets 0.0.0.0 (inside its network)
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str | None = None
    telegram_bot_username: str | None = None

    # Matrix
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_password: str | None = None
    matrix_access_token: str | None = None
    matrix_store_dir: Path | None = None
    matrix_pickle_key: str | None = None  # encrypts the crypto state (Olm account, sessions) in the database
    matrix_allowed_homeservers: list[str] = Field(default_factory=list)

    # Operations
    http_port: int | None = None
    # where `deskbot run`'s HTTP port is reachable from outside (e.g. https://bot.example.org), for the
    # personal calendar feed links (/kalender); empty: /kalender says the feed is not set up
    public_url: str = ""
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    # Notifications & policies
    reminder_evening_time: str = "18:00"
    reminder_morning_time: str = "07:30"
    noshow_refund: bool = False
    contingent_alert_percent: int = Field(20, ge=0, le=100)
    co2_kg_per_km: float = Field(0.15, ge=0)
    retention_days: int = Field(730, ge=30)
    flood_messages_per_minute: int = Field(20, ge=1)
    max_message_length: int = Field(1000, ge=20)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("reminder_evening_time", "reminder_morning_time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        h, _, m = v.partition(":")
        if not (h.isdigit() and m.isdigit() and 0 <= int(h) < 24 and 0 <= int(m) < 60):
            raise ValueError("expected HH:MM")
        return f"{int(h):02d}:{int(m):02d}"

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, v: str) -> str:
        if v.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return v.upper()

    @field_validator("telegram_base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v and not v.rstrip("/").endswith("/bot"):
            raise ValueError("must end with /bot (the token is appended), e.g. http://127.0.0.1:8081/bot")
        return v.rstrip("/") if v else v

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str) -> str:
        v = v.strip()
        if not v:
            return v
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            u = make_url(v)
        except (ArgumentError, ValueError):  # the message would repeat the URL, password included
            raise ValueError("not a database URL; expected sqlite:///PATH or "
                             "postgresql+psycopg://USER:PASSWORD@HOST:5432/NAME (percent-encode @ : / # in the password)") from None
        if u.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {u.get_backend_name()!r}; use sqlite:/// or postgresql+psycopg://")
        if u.get_backend_name() == "postgresql" and u.get_driver_name() not in ("psycopg", "psycopg2", ""):
            raise ValueError(f"driver {u.get_driver_name()!r} is not installed; use postgresql+psycopg://")
        return v

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, v: str | None) -> str | None:
        v = (v or "").strip() or None
        if v and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", v):  # never repeat the value: it is a secret
            raise ValueError("does not look like a bot token from @BotFather (digits, a colon, then letters)")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        cfg = os.environ.get("DESKBOT_CONFIG")
        path = Path(cfg) if cfg else Path.cwd() / "config" / "deskbot.toml"
        if path.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    # derived -----------------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        if self.database_host:
            from sqlalchemy.engine import URL

            url = URL.create("postgresql+psycopg", username=self.database_user or None,
                             password=self.database_password or None, host=self.database_host,
                             port=self.database_port, database=self.database_name or None)
            return url.render_as_string(hide_password=False)
        return f"sqlite:///{self.data_dir / 'deskbot.sqlite3'}"

    def check_for_run(self) -> None:
        """Raise SettingsError (one line naming the setting) for a transport that cannot start."""
        if self.telegram_token and self.telegram_mode == "webhook":
            if not self.telegram_webhook_url:
                raise SettingsError("DESKBOT_TELEGRAM_WEBHOOK_URL: needed with DESKBOT_TELEGRAM_MODE=webhook "
                                    "(the public https:// address Telegram posts updates to)")
            if not re.match(r"^https?://[^/\s]+", self.telegram_webhook_url):
                raise SettingsError("DESKBOT_TELEGRAM_WEBHOOK_URL: expected an absolute URL like https://bot.example/telegram")
            secret = self.telegram_webhook_secret or ""
            if not secret:
                raise SettingsError("DESKBOT_TELEGRAM_WEBHOOK_SECRET: needed with DESKBOT_TELEGRAM_MODE=webhook "
                                    "(without it anyone can post forged updates), e.g. `openssl rand -hex 32`")
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                raise SettingsError("DESKBOT_TELEGRAM_WEBHOOK_SECRET: 1-256 characters A-Z, a-z, 0-9, _ and - only "
                                    "(Telegram's rule)")
        matrix = {"DESKBOT_MATRIX_HOMESERVER": self.matrix_homeserver, "DESKBOT_MATRIX_USER_ID": self.matrix_user_id,
                  "DESKBOT_MATRIX_PASSWORD": self.matrix_password, "DESKBOT_MATRIX_ACCESS_TOKEN": self.matrix_access_token}
        given = [k for k, v in matrix.items() if v]
        if given:
            missing = [k for k in ("DESKBOT_MATRIX_HOMESERVER", "DESKBOT_MATRIX_USER_ID") if not matrix[k]]
            if not (self.matrix_password or self.matrix_access_token):
                missing.append("DESKBOT_MATRIX_PASSWORD or DESKBOT_MATRIX_ACCESS_TOKEN")
            if missing:
                raise SettingsError(f"{missing[0]}: needed for Matrix (set: {', '.join(given)}; "
                                    f"missing: {', '.join(missing)})")
            if not re.match(r"^https?://", self.matrix_homeserver or ""):
                raise SettingsError("DESKBOT_MATRIX_HOMESERVER: expected a URL like https://matrix.example.org")
            if not re.fullmatch(r"@[^:\s]+:\S+", self.matrix_user_id or ""):
                raise SettingsError("DESKBOT_MATRIX_USER_ID: expected a Matrix user id like @deskbot:example.org")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(**overrides: Any) -> Settings:
    """Build settings or raise SettingsError with one line naming the bad setting."""
    cfg = os.environ.get("DESKBOT_CONFIG")
    if cfg and not Path(cfg).exists():
        raise SettingsError(f"DESKBOT_CONFIG: file not found: {cfg}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "DESKBOT_" + str(err["loc"][0]).upper() if err.get("loc") else "settings"
        raise SettingsError(one_line(f"{name}: {err['msg']}")) from None
    except Exception as exc:  # malformed TOML and the like
        raise SettingsError(one_line(f"settings file {cfg or 'config/deskbot.toml'}: {exc}")) from None


def one_line(text: str) -> str:
    """Collapse a (driver's, YAML parser's) multi-line message into one line."""
    return " ".join(str(text).split())
