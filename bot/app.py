"""The composition root: settings -> database -> services -> dialogue. Nothing is built at import time."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.booking import BookingService
from bot.clock import Clock
from bot.domain import SpaceRef
from bot.members import Members
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import Space

log = logging.getLogger(__name__)


@dataclass
class Core:
    """Everything a transport or the scheduler needs, wired once."""

    settings: Settings
    db: Database
    clock: Clock
    booking: BookingService
    members: Members
    _space_refs: tuple[SpaceRef, ...] | None = field(default=None, repr=False)

    def space_refs(self) -> tuple[SpaceRef, ...]:
        """Spaces as the parser sees them (cached; call `refresh_spaces()` after changing spaces)."""
        if self._space_refs is None:
            with self.db.session() as s:
                self._space_refs = tuple(SpaceRef(sp.slug, sp.name, sp.town)
                                         for sp in s.scalars(select(Space).where(Space.active).order_by(Space.slug)))
                from bot.features.district.regions import load_region_map

                # which region each space is in, read with them (bot.features.district.regions.region_map)
                self._region_map = (self._space_refs, load_region_map(s))
        return self._space_refs

    def refresh_spaces(self) -> None:
        self._space_refs = None

    def close(self) -> None:
        self.db.dispose()


def build_core(settings: Settings, *, clock: Clock | None = None, migrate: bool = True, load_world: bool = True) -> Core:
    """Open the store (migrating it), load the world file on first start, wire the services."""
    clock = clock or Clock(settings.timezone)
    db = Database(settings.effective_database_url)
    if migrate and not schema_at_head(db):
        db.migrate()
    core = Core(
        settings=settings,
        db=db,
        clock=clock,
        booking=BookingService(db, clock, horizon_days=settings.booking_horizon_days, noshow_refund=settings.noshow_refund,
                               evening_reminder=settings.reminder_evening_time, morning_reminder=settings.reminder_morning_time),
        members=Members(db, clock, settings.default_language),
    )
    if load_world:
        ensure_world(core, settings.world_file)
    return core


_REVISION = re.compile(r"^revision(?:\s*:\s*\w+)?\s*=\s*['\"]([\w-]+)['\"]\s*$", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(None|['\"]([\w-]+)['\"])\s*$", re.MULTILINE)


def schema_at_head(db: Database) -> bool:
    """Is the store's schema already at the newest migration? Read from the migration files and the
    `alembic_version` row without importing Alembic (~12 MB of RSS a running bot never needs again). Anything
    unusual (no version table, a file that does not name exactly one revision and one parent, a merge, several
    heads) answers False, and `Database.migrate()` decides as before."""
    from bot.storage.db import MIGRATIONS_DIR

    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        src = path.read_text(encoding="utf-8")
        rev, down = _REVISION.findall(src), _DOWN_REVISION.findall(src)
        if len(rev) != 1 or len(down) != 1:
            return False
        revisions.add(rev[0])
        if down[0][1]:
            parents.add(down[0][1])
    heads = revisions - parents
    if len(heads) != 1:
        return False
    try:
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except SQLAlchemyError:  # no version table yet (a new store), or not readable: let Alembic look
        return False
    return len(rows) == 1 and rows[0][0] in heads


def ensure_world(core: Core, path: Path) -> bool:
    """Load the world file if the store has no spaces yet. Returns True if it loaded."""
    with core.db.session() as s:
        if s.scalar(select(func.count(Space.id))):
            return False
        # (yaml and the loader: only for a new store)
        from bot.world import load_world, read_world

        counts = load_world(s, read_world(path), now=core.clock.now())
    log.info("loaded world %s: %s", path, counts)
    core.refresh_spaces()
    return True
