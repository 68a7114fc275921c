"""Operators: arrivals, occupancy, closing a day, QR code; arrival pushes and the morning digest."""

from bot.features.operator.chat import router

__all__ = ["router"]
