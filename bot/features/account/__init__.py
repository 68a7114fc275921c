"""Account basics (start, codes, help, language)."""
from bot.features.account.chat import router

__all__ = ["router"]
