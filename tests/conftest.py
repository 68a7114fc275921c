"""Shared fixtures: a store on SQLite and on PostgreSQL, a fixed clock, a core on the demo world,
and a chat-script helper (send a message, read the reply, press a button).

PostgreSQL: 127.0.0.1:5432, user postgres, trust auth (override with DESKBOT_TEST_PG_URL). Each test
makes and drops its own database. Without CI=true a missing server skips those tests with a reason;
with CI=true it fails them.

The `core` and `sqlite_core` fixtures open a store that already holds the migrated schema and the demo world
(loaded at the test's clock): `build_core` migrates and loads the world once per session into a template
(a PostgreSQL template database, an SQLite file), and each test's own new store is a copy of it (PostgreSQL:
CREATE DATABASE ... TEMPLATE, ~0.15 s instead of ~0.5 s for migrating and loading; SQLite: a backup copy, a few
ms instead of ~0.1 s). `build_core` then runs on the copy exactly as on a restarted bot's store. Migrating an
empty store is tested in tests/test_migrations.py and by every test that calls `build_core` on a new database
itself.
"""

from __future__ import annotations

import os
import sqlite3
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


def create_pg_database(template: str | None = None) -> str:
    """Make a fresh database (empty, or a copy of the database `template`); returns its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = "deskbot_t_" + uuid.uuid4().hex[:12]
    eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
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
    """Runs the test once per store. A new, empty store; on PostgreSQL, for a test that opens it with the `core`
    fixture, a new copy of the store template (what `core` would make of the empty one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deskbot.sqlite3'}"
    else:
        require_pg()
        if "core" in request.fixturenames:
            now = request.getfixturevalue("clock").now()
            url = create_pg_database(request.getfixturevalue("store_templates").template("postgresql", DEMO_WORLD, now))
        else:
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


class StoreTemplates:
    """Stores that `build_core` migrated and loaded a world file into, once per (backend, world file, clock
    time); `fill(url, ...)` makes the new, empty store at `url` a copy of the matching one."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._made: dict[tuple[str, str, str], str] = {}  # key -> template database name / SQLite file
        self._pg_names: list[str] = []

    def fill(self, url: str, world_file: Path, now: datetime) -> bool:
        """Copy the template into the store at `url` if that store is new and empty; returns whether it did."""
        from sqlalchemy.engine import make_url

        u = make_url(url)
        backend = u.get_backend_name()
        if backend == "sqlite":
            target = Path(u.database or "")
            if not u.database or u.database == ":memory:" or u.database.startswith("file:") or target.exists():
                return False
        elif backend != "postgresql" or not self._pg_is_empty(url):
            return False
        template = self.template(backend, world_file, now)
        if backend == "sqlite":
            target.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # as make_engine: 0600
            src, dst = sqlite3.connect(template), sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        else:
            from sqlalchemy import create_engine

            eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with eng.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE "{u.database}"')
                c.exec_driver_sql(f'CREATE DATABASE "{u.database}" TEMPLATE "{template}"')
            eng.dispose()
        return True

    def template(self, backend: str, world_file: Path, now: datetime) -> str:
        """The template (PostgreSQL database name, SQLite file) for a world file loaded at `now`; made on first use."""
        key = (backend, str(Path(world_file).resolve()), now.isoformat())
        if key not in self._made:
            self._made[key] = self._make(backend, world_file, now)
        return self._made[key]

    def _make(self, backend: str, world_file: Path, now: datetime) -> str:
        from bot.app import build_core
        from sqlalchemy.engine import make_url

        d = self.workdir / uuid.uuid4().hex[:12]
        if backend == "sqlite":
            url = f"sqlite:///{d / 'template.sqlite3'}"
        else:
            url = create_pg_database()
            self._pg_names.append(make_url(url).database)
        settings = make_settings(url, d)
        settings.world_file = world_file
        build_core(settings, clock=FixedClock(now)).close()
        if backend == "sqlite":
            path = d / "template.sqlite3"
            with sqlite3.connect(path) as c:
                c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return str(path)
        return make_url(url).database

    def build_core(self, settings, clock):
        """`bot.app.build_core(settings, clock=clock)` on a new store that starts as a copy of the template."""
        from bot.app import build_core

        self.fill(settings.effective_database_url, settings.world_file, clock.now())
        return build_core(settings, clock=clock)

    @staticmethod
    def _pg_is_empty(url: str) -> bool:
        from sqlalchemy import create_engine

        eng = create_engine(url)
        try:
            with eng.connect() as c:
                return not c.exec_driver_sql(
                    "SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' LIMIT 1").first()
        finally:
            eng.dispose()

    def close(self) -> None:
        for name in self._pg_names:
            drop_pg_database(make_pg_url(name))


def make_pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def store_templates(tmp_path_factory):
    templates = StoreTemplates(tmp_path_factory.mktemp("store-templates"))
    yield templates
    templates.close()


@pytest.fixture
def core(settings, clock, store_templates):
    c = store_templates.build_core(settings, clock)
    yield c
    c.close()


@pytest.fixture
def sqlite_core(sqlite_url, tmp_path, clock, store_templates):
    """A core on SQLite only (dialogue tests that need not run twice)."""
    c = store_templates.build_core(make_settings(sqlite_url, tmp_path), clock)
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
