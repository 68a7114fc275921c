"""bot.booking loads the `holidays` package's Germany alone (issue 16 item 5: ~7 MB of RSS less than importing
every country); the names it gives must be those of `holidays.country_holidays("DE", ...)`, the ordinary way."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from bot import booking


def test_same_holidays_as_country_holidays_for_every_region_and_year():
    import holidays

    for region in holidays.DE.subdivisions:
        for year in (2024, 2026, 2027, 2030):
            want = dict(holidays.country_holidays("DE", subdiv=region, years=year, language="de"))
            assert booking._holidays(region, year) == want, (region, year)
    assert booking.holiday_name("NW", date(2026, 12, 25)) == "Erster Weihnachtstag"
    assert booking.holiday_name("NW", date(2026, 11, 23)) is None


def test_only_germany_is_imported_and_the_package_still_imports_normally_afterwards():
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from bot.booking import holiday_name\n"
        "assert holiday_name('NW', date(2026, 1, 1)) == 'Neujahr'\n"
        "countries = [m for m in sys.modules if m.startswith('holidays.countries.')]\n"
        "assert countries == ['holidays.countries.germany'], countries\n"
        "import holidays\n"
        "assert holidays.country_holidays('DE', subdiv='BY', years=2026).get(date(2026, 1, 6))\n"
        "assert holidays.country_holidays('FR', years=2026).get(date(2026, 7, 14))\n"
        "from holidays.countries.germany import Germany\n"
        "assert Germany is sys.modules['holidays.countries.germany'].Germany\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr


def test_many_threads_asking_first_at_once_all_get_the_holidays():
    """The first bookings of a process come from many threads at once: none may see the module half loaded
    ("module 'holidays.countries.germany' has no attribute 'Germany'", seen on PostgreSQL in test_concurrency)."""
    code = (
        "import threading\n"
        "from datetime import date\n"
        "from bot.booking import holiday_name\n"
        "errors, names = [], []\n"
        "start = threading.Barrier(24)\n"
        "def ask(i):\n"
        "    start.wait()\n"
        "    try:\n"
        "        names.append(holiday_name('NW', date(2026, 12, 25)))\n"
        "    except Exception as e:\n"
        "        errors.append(repr(e))\n"
        "ts = [threading.Thread(target=ask, args=(i,)) for i in range(24)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "assert not errors, errors\n"
        "assert names == ['Erster Weihnachtstag'] * 24, names\n"
    )
    for _ in range(3):
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
