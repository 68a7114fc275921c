"""Privacy: /link, /export, /loeschen, the retention job, /pendeln and /statistik."""

from bot.features.privacy.chat import (
    erase_member,
    export_member,
    purge_inactive,
    router,
)

__all__ = ["erase_member", "export_member", "purge_inactive", "router"]
