"""Backups of the deskbot database.

SQLite: an online backup with SQLite's backup API (`sqlite3.Connection.backup`), safe while the bot
runs (it reads a consistent snapshot, including what is still in the WAL file). The copy is written
to a temporary file next to the target, checked with ``PRAGMA integrity_check``, switched to a
plain rollback journal (one self-contained file) and then renamed into place, so a half-written
backup never carries the final name.

PostgreSQL: use ``pg_dump`` (the server's own consistent snapshot). `backup()` runs it when
``pg_dump`` is on the PATH (custom format, restore with ``pg_restore``); otherwise it raises
`BackupError` whose message is the command to run. The password is passed in ``PGPASSWORD``, never
on the command line. pg_dump must be at least as new as the server (postgres:15 -> pg_dump 15+).

Restore (SQLite): stop the bot, copy the backup over the database file (delete stale
``-wal``/``-shm`` files next to it), start the bot. Restore (PostgreSQL):
``pg_restore --clean --if-exists --no-owner -d <url> deskbot.dump`` into a stopped deployment.

Backups hold personal data: every backup file is created 0600, and a backup directory deskbot creates is
0700 (an existing directory keeps its mode).

CLI: `backup_cmd` is a plain Typer command function; register it with
``admin_app.command("backup")(backup_cmd)`` (or run ``python -m bot.backup OUT``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.paths import private_dir, private_file


class BackupError(Exception):
    """The backup could not be made; the message is one line (or the command to run instead)."""


def _target(out: Path | str, suffix: str) -> Path:
    """A directory (existing, or given with a trailing slash) gets a time-stamped file name."""
    out_path = Path(out).expanduser()
    if out_path.is_dir() or str(out).endswith(("/", os.sep)):
        private_dir(out_path)
        return out_path / f"deskbot-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
    private_dir(out_path.parent)
    return out_path


def sqlite_backup(db_file: Path, out_path: Path | str) -> Path:
    """Online backup of one SQLite file to `out_path` (atomic rename at the end)."""
    db_file = Path(db_file)
    if not db_file.exists():
        raise BackupError(f"SQLite database not found: {db_file}")
    target = _target(out_path, ".sqlite3")
    if target.resolve() == db_file.resolve():
        raise BackupError("the backup file must not be the database itself")
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    private_file(tmp)  # SQLite would create it with the umask's mode (0644)
    src = sqlite3.connect(db_file, timeout=60)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=1024)  # copy in steps: the bot's writers are not blocked for long
            dst.execute("PRAGMA journal_mode=DELETE")
            result = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"integrity check of the backup failed: {result}")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"SQLite backup failed: {exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.replace(tmp, target)
    return target


def pg_dump_command(url: str, out_file: Path) -> tuple[list[str], dict[str, str]]:
    """The pg_dump argv (no password in it) and the extra environment (PGPASSWORD)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    argv = ["pg_dump", "--format=custom", "--no-owner", f"--file={out_file}"]
    if u.host:
        argv.append(f"--host={u.host}")
    if u.port:
        argv.append(f"--port={u.port}")
    if u.username:
        argv.append(f"--username={u.username}")
    argv.append(f"--dbname={u.database or 'deskbot'}")
    env = {"PGPASSWORD": u.password} if u.password else {}
    return argv, env


def postgres_backup(url: str, out_path: Path | str, *, run: bool | None = None) -> Path:
    target = _target(out_path, ".dump")
    argv, env = pg_dump_command(url, target)
    if run is None:
        run = shutil.which("pg_dump") is not None
    if not run:
        shown = " ".join(argv)
        raise BackupError("PostgreSQL: pg_dump is not installed here; run it where it is, e.g. "
                          f"PGPASSWORD=... {shown}  (restore with pg_restore)")
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    private_file(tmp)  # pg_dump truncates and writes the existing file: it keeps 0600
    argv = [a if not a.startswith("--file=") else f"--file={tmp}" for a in argv]
    proc = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        raise BackupError(f"pg_dump failed: {msg[-1] if msg else proc.returncode}")
    os.replace(tmp, target)
    return target


def backup(settings, out_path: Path | str | None = None) -> Path:
    """Back up the database named by `settings` (SQLite file or PostgreSQL) to `out_path`.

    `out_path` may be a file or a directory (existing, or a string ending in "/"; then a
    time-stamped name is chosen); default: the directory ``DESKBOT_DATA_DIR/backups/``.
    Returns the file written. Raises `BackupError`.
    """
    if out_path is None:
        out_path = str(settings.data_dir / "backups") + "/"
    from sqlalchemy.engine import make_url

    url = settings.effective_database_url
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        if not u.database or u.database == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up")
        return sqlite_backup(Path(u.database).expanduser(), out_path)
    if backend == "postgresql":
        return postgres_backup(url, out_path)
    raise BackupError(f"no backup method for database backend {backend!r}")


def backup_cmd(
    out: Annotated[Optional[str], typer.Argument(
        help="backup file, or a directory (a time-stamped file is made in it); default: DESKBOT_DATA_DIR/backups/")] = None,
) -> None:
    """Back up the database: SQLite online backup, or pg_dump for PostgreSQL."""
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
        path = backup(settings, out)
    except (SettingsError, BackupError) as exc:
        typer.echo(f"deskbot: {exc}", err=True)
        raise typer.Exit(2) from None
    size = path.stat().st_size
    typer.echo(f"backup written: {path} ({size / 1024:.0f} KiB)")


def main(argv: Optional[list[str]] = None) -> None:  # `python -m bot.backup OUT`
    app = typer.Typer(add_completion=False)
    app.command()(backup_cmd)
    app(args=argv)


if __name__ == "__main__":
    main()
