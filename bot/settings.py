"""Typed settings: an optional TOML file plus environment variables with the prefix `DESKBOT_`.

Precedence: environment > settings file (`DESKBOT_CONFIG` or `config/deskbot.toml` if present) > defaults.
A missing or malformed setting stops start-up with one clear line naming it (`SettingsError`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from bot.paths import REPO_ROOT, default_data_dir, default_world_file  # noqa: F401  (re-exported)


class SettingsError(Exception):
    """Start-up cannot go on; the message is one line naming the setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESKBOT_", extra="ignore", validate_default=True)

    database_url: str = ""  # default: SQLite file in the user's data dir
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
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str | None = None
    telegram_bot_username: str | None = None

    # Matrix
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_password: str | None = None
    matrix_access_token: str | None = None
    matrix_store_dir: Path | None = None
    matrix_allowed_homeservers: list[str] = Field(default_factory=list)

    # Operations
    http_port: int | None = None
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

    @field_validator("telegram_base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v and not v.rstrip("/").endswith("/bot"):
            raise ValueError("must end with /bot (the token is appended), e.g. http://127.0.0.1:8081/bot")
        return v.rstrip("/") if v else v

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
        return f"sqlite:///{self.data_dir / 'deskbot.sqlite3'}"

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
        raise SettingsError(f"{name}: {err['msg']}") from None
    except Exception as exc:  # malformed TOML and the like
        raise SettingsError(f"settings file: {exc}") from None
