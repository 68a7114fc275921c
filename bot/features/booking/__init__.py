"""Booking: chat (`chat.py`), what it says (`replies.py`), its notices (`notices.py`) and jobs (`jobs.py`).
The rules are `bot.booking.BookingService`, the one writer of booking state."""

from bot.features.booking.chat import router

__all__ = ["router"]
