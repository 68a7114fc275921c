"""District (platform admin): spaces, desks, employers, members, invite codes, roles and imports.

This slice has no chat router: its callers are `deskbot admin ...` (bot/admin_cli.py), which only parses
arguments, calls `bot.features.district.service` and prints. Closing a day and the QR code are the
operator slice's (`bot.features.operator.service`); contingents and the employer report are the employer
slice's (`bot.features.employer.service`).
"""

from bot.features.district.service import KINDS, DistrictError

__all__ = ["KINDS", "DistrictError"]
