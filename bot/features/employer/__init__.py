"""Employer admins: the company's contingent, team, reports; alerts and copies (notices, jobs)."""

from bot.features.employer.chat import router

__all__ = ["router"]
