"""Shared fixtures: a store on SQLite and on PostgreSQL, a fixed clock, a core on the demo world,
and a chat-script helper (send a message, read the reply, press a button).

PostgreSQL: 127.0.0.1:5432, user postgres, trust auth (override with DESKBOT_TEST_PG_URL). Each test
makes and drops its own database. Without CI=true a missing server skips those tests with a reason;
with CI=true it fails them.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.domain import Choice, IncomingMessage, Reply

TZ = ZoneInfo("Europe/Berlin")
REPO = Path(__file__).resolve().parents[1]
DEMO_WORLD = REPO / "config" / "demo_world.yaml"
PG_ADMIN_URL = os.environ.get("DESKBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_pg_ok: bool | None = None


def pg_available() -> bool:
    global _pg_ok
    if _pg_ok is None:
        from sqlalchemy import create_engine, text

        try:
            eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
            with eng.connect() as c:
                c.execute(text("SELECT 1"))
            eng.dispose()
            _pg_ok = True
        except Exception:
            _pg_ok = False
    return _pg_ok


def require_pg() -> None:
    if not pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL} (CI=true: this is a failure, not a skip)")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}; set CI=true to make this a failure")


def create_pg_database() -> str:
    """Make a fresh database; returns its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = "deskbot_t_" + uuid.uuid4().hex[:12]
    eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    eng.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    eng.dispose()


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for this test."""
    require_pg()
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'deskbot.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """Runs the test once per store."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deskbot.sqlite3'}"
    else:
        require_pg()
        url = create_pg_database()
        yield url
        drop_pg_database(url)


@pytest.fixture
def clock():
    """Monday 2026-11-23 08:00 Europe/Berlin, standing still until moved."""
    return FixedClock(datetime(2026, 11, 23, 8, 0, tzinfo=TZ))


def make_settings(db_url: str, tmp_path: Path, **kw):
    from bot.settings import Settings

    return Settings(database_url=db_url, world_file=DEMO_WORLD, data_dir=tmp_path / "data", **kw)


@pytest.fixture
def settings(db_url, tmp_path):
    return make_settings(db_url, tmp_path)


@pytest.fixture
def core(settings, clock):
    from bot.app import build_core

    c = build_core(settings, clock=clock)
    yield c
    c.close()


@pytest.fixture
def sqlite_core(sqlite_url, tmp_path, clock):
    """A core on SQLite only (dialogue tests that need not run twice)."""
    from bot.app import build_core

    c = build_core(make_settings(sqlite_url, tmp_path), clock=clock)
    yield c
    c.close()


@dataclass
class Chat:
    """Chat-script helper: `chat.send("anna", "morgen Dülmen")` returns the reply text."""

    dialogue: object
    transport: str = "terminal"
    last: dict[str, list[Reply]] = field(default_factory=dict)

    def send(self, user: str, text: str, *, lang_hint: str | None = None, chat_id: str | None = None,
             is_group: bool = False, addressed: bool = True) -> str:
        msg = IncomingMessage(self.transport, user, chat_id or user, text, display_name=user.capitalize(),
                              lang_hint=lang_hint, is_group=is_group, addressed=addressed)
        replies = self.dialogue.handle(msg)
        self.last[user] = replies
        return "\n".join(r.text for r in replies)

    def choices(self, user: str) -> list[Choice]:
        return [c for r in self.last.get(user, []) for c in r.flat_choices()]

    def press(self, user: str, label_part: str, *, as_user: str | None = None) -> str:
        """Press the button whose label contains `label_part` (optionally pressed by someone else)."""
        matches = [c for c in self.choices(user) if label_part.lower() in c.label.lower()]
        assert matches, f"no button with {label_part!r} in {[c.label for c in self.choices(user)]}"
        return self.press_data(as_user or user, matches[0].data)

    def press_data(self, user: str, data: str) -> str:
        msg = IncomingMessage(self.transport, user, user, "", display_name=user.capitalize(), callback=data)
        replies = self.dialogue.handle(msg)
        self.last[user] = replies
        return "\n".join(r.text for r in replies)


@pytest.fixture
def chat(sqlite_core):
    from bot.dialogue import Dialogue

    return Chat(Dialogue(sqlite_core))


@pytest.fixture
def chat_both(core):
    """A chat on each store."""
    from bot.dialogue import Dialogue

    return Chat(Dialogue(core))
