"""Incentives: a commuter's own impact (km and CO₂ not driven), streaks and badges, and the opt-in weekly summary."""

from bot.features.incentives.chat import router

__all__ = ["router"]
