"""The web dashboard (issue 19): district, employer and operator pages behind a one-time link from /dashboard."""

from bot.features.dashboard.chat import router

__all__ = ["router"]
