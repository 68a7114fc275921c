"""Feature modules beyond the core booking flow. Importing this package registers their intent and
button handlers on `bot.dialogue.Dialogue` (aiogram-style: one module per feature)."""
from bot.features import settings  # noqa: E402,F401  (/settings, /einstellungen; notice buttons)
from bot.features import roles, privacy  # noqa: E402,F401  (issue 7: employer/operator views, privacy)
