"""The `deskbot` command: chat, run, parse, migrate, world, admin.

Heavy modules (SQLAlchemy, telegram, nio, the parser's tables) are imported inside the commands,
so `deskbot --help` and `deskbot parse` start fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="deskbot – book a coworking desk by one chat message.")
world_app = typer.Typer(no_args_is_help=True, help="The world file: spaces, desks, employers, invite codes.")
app.add_typer(world_app, name="world")


def _die(line: str) -> None:
    from bot.settings import one_line

    typer.echo(f"deskbot: {one_line(line)}", err=True)
    raise typer.Exit(2)


def _settings(**overrides):
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        _die(str(exc))


def startup_error_line(exc: BaseException, settings=None) -> str | None:
    """The one line (naming the setting) for a configuration or start-up error, None for a bug."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, NoSuchModuleError, OperationalError

    from bot.runner import StartupError
    from bot.settings import SettingsError, one_line
    from bot.storage.db import DatabaseTooNew
    from bot.world import WorldError

    world = str(settings.world_file) if settings is not None else None
    if isinstance(exc, (SettingsError, StartupError)):
        return str(exc)
    if isinstance(exc, DatabaseTooNew):
        return f"DESKBOT_DATABASE_URL: {exc}"
    if isinstance(exc, WorldError):
        return f"DESKBOT_WORLD_FILE: {exc}"
    if isinstance(exc, UnicodeDecodeError):  # the world file is the only text file read at start
        return f"DESKBOT_WORLD_FILE: {world or 'the world file'}: not UTF-8 text ({exc.reason})"
    bind = bind_error_line(exc, settings)
    if bind is not None:
        return bind
    if isinstance(exc, OSError) and exc.filename is not None:
        if world is not None and str(exc.filename) == world:
            return f"DESKBOT_WORLD_FILE: cannot read {world}: {exc.strerror}"
        return f"DESKBOT_DATABASE_URL / DESKBOT_DATA_DIR: cannot create {exc.filename}: {exc.strerror}"
    if isinstance(exc, DBAPIError):
        # the driver's message (psycopg: host, port, reason; never the password), not SQLAlchemy's with the SQL
        reason = one_line(exc.orig if exc.orig is not None else exc)
        if isinstance(exc, (OperationalError, InterfaceError)):
            return f"DESKBOT_DATABASE_URL: cannot open the database: {reason}"
        return f"DESKBOT_DATABASE_URL: the database refused the start-up (schema migration): {reason}"
    if isinstance(exc, NoSuchModuleError):
        return f"DESKBOT_DATABASE_URL: {one_line(exc)}"
    return None


def bind_error_line(exc: BaseException, settings=None) -> str | None:
    """A listener that cannot open its port (in use, not allowed, no such address): the line naming the setting."""
    import errno
    import re

    if not isinstance(exc, OSError) or exc.filename is not None or \
            exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
        return None
    m = re.search(r"\('([^']*)', (\d+)", str(exc))
    if m is None:
        return None
    host, port = m[1], int(m[2])
    setting = "DESKBOT_HTTP_PORT"
    if settings is not None and port == settings.telegram_webhook_port and port != settings.http_port:
        setting = "DESKBOT_TELEGRAM_WEBHOOK_PORT"
    reason = {errno.EADDRINUSE: "address already in use", errno.EACCES: "permission denied"}.get(exc.errno,
                                                                                                "no such address")
    return f"{setting}: cannot listen on {host}:{port}: {reason}"


@contextmanager
def startup_errors(settings=None) -> Iterator[None]:
    """Turn configuration and start-up errors into one line on stderr and exit code 2."""
    try:
        yield
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        line = startup_error_line(exc, settings)
        if line is None:
            raise
        _die(line)


def _core(settings, clock=None, **kw):
    from bot.app import build_core

    with startup_errors(settings):
        return build_core(settings, clock=clock, **kw)


def _parse_now(value: str | None, tz):
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        typer.echo(f"deskbot: --now: expected e.g. 2026-11-23T08:00, got {value!r}", err=True)
        raise typer.Exit(2) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="chat user to start as")] = "anna",
    now: Annotated[Optional[str], typer.Option(help="start the bot's clock here, e.g. 2026-11-23T08:00 (clock stands still)")] = None,
    fresh: Annotated[bool, typer.Option(help="use a new, empty database (demo world loaded) instead of the saved one")] = False,
    db: Annotated[Optional[str], typer.Option(help="database URL (default: DESKBOT_DATABASE_URL or the SQLite file)")] = None,
) -> None:
    """Chat with the bot in the terminal, on SQLite and the demo world. No token, no server."""
    import shutil
    import tempfile

    from bot.clock import FixedClock, OffsetClock

    overrides = {}
    tmpdir = None
    if fresh:
        if db:
            _die("--fresh and --db exclude each other (--fresh always starts on a new temporary SQLite file)")
        configured = _settings()  # the environment and the settings file (config/deskbot.toml, DESKBOT_CONFIG)
        if configured.database_url or configured.database_host:
            typer.echo("deskbot: --fresh ignores DESKBOT_DATABASE_URL/DESKBOT_DATABASE_HOST: it uses a new temporary "
                       "SQLite database, removed on exit (leave out --fresh to use the configured one)", err=True)
        _sweep_fresh_folders()
        tmpdir = tempfile.mkdtemp(prefix=f"{FRESH_PREFIX}{os.getpid()}-")  # 0700
        # SIGTERM / SIGHUP end the chat through the `finally` below, so the folder goes too
        _STOP.install()
        overrides["database_url"] = f"sqlite:///{tmpdir}/chat.sqlite3"
    elif db:
        overrides["database_url"] = db
    try:
        settings = _settings(**overrides)
        start = _parse_now(now, settings.tz)
        clock = FixedClock(start, settings.tz) if start else OffsetClock(settings.tz)
        core = _core(settings, clock)
        try:
            _chat_loop(core, clock, user)
        finally:
            core.close()
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)


FRESH_PREFIX = "deskbot-chat-"  # + pid + "-" + random: the folder of one `chat --fresh`


def _sweep_fresh_folders() -> None:
    """Remove the folders of earlier `chat --fresh` runs that could not clean up (killed with SIGKILL, power
    loss): this user's, whose process is gone."""
    import shutil
    import tempfile

    for folder in Path(tempfile.gettempdir()).glob(FRESH_PREFIX + "*-*"):
        pid = folder.name[len(FRESH_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)  # still running: not ours to remove
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


class _StopAtInput:
    """SIGTERM / SIGHUP end `chat --fresh` only where it waits for the next line: raised in the middle of a
    message (a flush, the world load), the exit could leave SQLite's connection half closed and end in a
    traceback instead of the clean-up. A signal while a message is handled stops at the next read."""

    def __init__(self) -> None:
        self.waiting = False
        self.pending: int | None = None

    def install(self) -> None:
        import signal

        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, _frame) -> None:
        if self.waiting:
            raise SystemExit(128 + signum)
        self.pending = 128 + signum

    def wrap(self, stdin):
        stop = self

        class _Stdin:
            def isatty(self) -> bool:
                return stdin.isatty()

            def readline(self) -> str:
                if stop.pending is not None:
                    raise SystemExit(stop.pending)
                stop.waiting = True
                try:
                    return stdin.readline()
                finally:
                    stop.waiting = False

        return _Stdin()


_STOP = _StopAtInput()


def _chat_loop(core, clock, user: str) -> None:
    from bot.dialogue import Dialogue
    from bot.handlers.terminal import TerminalChat, TerminalTransport

    dialogue = Dialogue(core)
    transport = TerminalTransport()
    pump = on_clock = None
    try:
        from bot.scheduler import TerminalDriver

        driver = TerminalDriver(core, dialogue, {"terminal": transport})
        pump, on_clock = driver.pump, driver.catch_up
    except ImportError:
        pass
    terminal = TerminalChat(dialogue, clock, user=user, on_clock=on_clock, pump=pump)
    transport.chat = terminal
    try:
        terminal.run(_STOP.wrap(sys.stdin))
    except KeyboardInterrupt:
        typer.echo("")


@app.command()
def parse(
    text: Annotated[Optional[str], typer.Argument(help="the message; without it, one message per line from stdin (JSON Lines out)")] = None,
    now: Annotated[Optional[str], typer.Option(help="the bot's clock, e.g. 2026-11-23T08:00 (Europe/Berlin)")] = None,
    config: Annotated[Optional[Path], typer.Option(help="world file with the spaces (default: the demo world)")] = None,
) -> None:
    """Show how the bot understands a message: one JSON object per message."""
    from zoneinfo import ZoneInfo

    from bot.intents import parse as parse_text
    from bot.paths import default_world_file
    from bot.world import WorldError, space_refs_from_file

    tz = ZoneInfo("Europe/Berlin")
    try:
        spaces = tuple(space_refs_from_file(config or default_world_file()))
    except WorldError as exc:
        typer.echo(f"deskbot: --config: {exc}", err=True)
        raise typer.Exit(2) from None
    at = _parse_now(now, tz) or datetime.now(tz)
    if text is not None:
        typer.echo(json.dumps(parse_text(text, at, spaces).to_json(), ensure_ascii=False))
        return
    out = sys.stdout
    for line in sys.stdin:
        line = line.rstrip("\n")
        out.write(json.dumps(parse_text(line, at, spaces).to_json(), ensure_ascii=False) + "\n")
    out.flush()


@app.command()
def migrate() -> None:
    """Bring the database schema to this version (done by `run` and `chat` too)."""
    from bot.storage.db import Database

    settings = _settings()
    with startup_errors(settings):
        db = Database(settings.effective_database_url)
        db.migrate()
    typer.echo(f"schema at revision {db.current_revision()}")


@world_app.command("load")
def world_load(path: Annotated[Optional[Path], typer.Argument(help="world file (default: DESKBOT_WORLD_FILE)")] = None) -> None:
    """Load (or update) spaces, desks, employers and codes from a world file."""
    from bot.world import load_world, read_world

    settings = _settings()
    core = _core(settings, load_world=False)
    try:
        with startup_errors(settings):
            spec = read_world(path or settings.world_file)
            with core.db.session() as s:
                counts = load_world(s, spec, now=core.clock.now())
    finally:
        core.close()
    typer.echo("loaded: " + ", ".join(f"{v} new {k}" for k, v in counts.items()))


@app.command()
def run() -> None:
    """Run the bot: every transport whose settings are present, the scheduler, health and metrics."""
    import asyncio

    from bot.logging_setup import setup_from_settings
    from bot.runner import StartupError, install_redaction, run_forever
    from bot.settings import SettingsError

    settings = _settings()
    with startup_errors(settings):
        settings.check_for_run()  # before touching the database: a half-configured transport
    setup_from_settings(settings)
    install_redaction(settings)
    core = _core(settings)
    try:
        asyncio.run(run_forever(core))
    except (StartupError, SettingsError) as exc:  # a rejected token / login: not retried
        _die(str(exc))
    except OSError as exc:  # a listener (/healthz, the webhook) that cannot open its port
        line = bind_error_line(exc, settings)
        if line is None:
            raise
        _die(line)
    except KeyboardInterrupt:
        pass
    finally:
        core.close()


def _register_admin() -> None:
    try:
        from bot.admin_cli import admin_app
    except ImportError:
        return
    app.add_typer(admin_app, name="admin")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "admin" or "--help" in sys.argv[1:2]:
        _register_admin()
    app()


if __name__ == "__main__":
    main()
