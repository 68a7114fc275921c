"""The feature slices. Each package holds one area's chat router, its rules (a service working inside the
message's unit of work, or `bot.booking` for booking state), its notices and its jobs:

* `account`  — /start and invite codes, help, language, the "not understood" answer
* `booking`  — book, waitlist, cancel, undo, my bookings, availability, check-in, reminders, nudges
* `employer` — the company's contingent, team, reports, low-contingent alerts, copies for admins
* `operator` — arrivals, occupancy, closing a day, QR code, the morning digest
* `privacy`  — link, export, erase, retention, commute distance, impact statistics
* `settings` — notices on/off, reminder time, nudges
* `incentives` — own impact (km, CO₂), streaks and badges, the opt-in weekly summary
* `dashboard` — web pages for the district, employer admins and operators, opened by a link from /dashboard

`default_routers()` is the list the composition root hands to `Dialogue`; nothing registers itself by
being imported.
"""

from __future__ import annotations

from bot.router import Router


def default_routers() -> list[Router]:
    """Every feature's router, in the order their help paragraphs appear."""
    from bot.features import account, booking, dashboard, employer, incentives, operator, privacy, settings

    return [account.router(), booking.router(), employer.router(), operator.router(), privacy.router(),
            settings.router(), incentives.router(), dashboard.router()]
