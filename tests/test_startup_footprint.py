"""Start-up without Alembic when the store is already at the newest migration (issue 16 item 5: ~12 MB of RSS
that a running bot never needs again); any doubt falls back to `Database.migrate()`."""

from __future__ import annotations

import subprocess
import sys

from bot.app import schema_at_head
from bot.storage.db import Database


def test_schema_at_head_only_when_the_version_row_is_the_newest_revision(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert schema_at_head(db) is False  # a new store: no version table
    db.migrate()
    assert schema_at_head(db) is True
    head = db.head_revision()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    assert schema_at_head(db) is False  # older: migrate
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{head}'")
    assert schema_at_head(db) is True
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    assert schema_at_head(db) is False  # unknown (newer): migrate() refuses it as before
    db.dispose()


def test_reopening_a_migrated_store_does_not_import_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    Database(url).migrate()
    code = (
        "import sys\n"
        "from bot.app import build_core\n"
        "from bot.settings import Settings\n"
        f"core = build_core(Settings(database_url={url!r}, data_dir={str(tmp_path)!r}), load_world=False)\n"
        "assert not [m for m in sys.modules if m == 'alembic' or m.startswith('alembic.')], 'alembic imported'\n"
        "core.close()\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
