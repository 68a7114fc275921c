"""Settings: notices on/off, the reminder time and nudges (/einstellungen)."""

from bot.features.settings.chat import router

__all__ = ["router"]
