"""The `deskbot` command: chat, run, parse, migrate, world, admin.

Heavy modules (SQLAlchemy, telegram, nio, the parser's tables) are imported inside the commands,
so `deskbot --help` and `deskbot parse` start fast.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="deskbot – book a coworking desk by one chat message.")
world_app = typer.Typer(no_args_is_help=True, help="The world file: spaces, desks, employers, invite codes.")
app.add_typer(world_app, name="world")


def _settings(**overrides):
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        typer.echo(f"deskbot: {exc}", err=True)
        raise typer.Exit(2) from None


def _core(settings, clock=None):
    from bot.app import build_core
    from bot.storage.db import DatabaseTooNew
    from bot.world import WorldError

    try:
        return build_core(settings, clock=clock)
    except (DatabaseTooNew, WorldError) as exc:
        typer.echo(f"deskbot: {exc}", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:  # e.g. database unreachable
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            typer.echo(f"deskbot: DESKBOT_DATABASE_URL: cannot open the database: {exc.orig}", err=True)
            raise typer.Exit(2) from None
        raise


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
    import tempfile

    from bot.clock import FixedClock, OffsetClock
    from bot.dialogue import Dialogue
    from bot.handlers.terminal import TerminalChat, TerminalTransport

    overrides = {}
    if fresh:
        overrides["database_url"] = f"sqlite:///{tempfile.mkdtemp(prefix='deskbot-')}/chat.sqlite3"
    elif db:
        overrides["database_url"] = db
    settings = _settings(**overrides)
    start = _parse_now(now, settings.tz)
    clock = FixedClock(start, settings.tz) if start else OffsetClock(settings.tz)
    core = _core(settings, clock)
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
    terminal.run()
    core.close()


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
    from bot.storage.db import Database, DatabaseTooNew

    settings = _settings()
    db = Database(settings.effective_database_url)
    try:
        db.migrate()
    except DatabaseTooNew as exc:
        typer.echo(f"deskbot: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"schema at revision {db.current_revision()}")


@world_app.command("load")
def world_load(path: Annotated[Optional[Path], typer.Argument(help="world file (default: DESKBOT_WORLD_FILE)")] = None) -> None:
    """Load (or update) spaces, desks, employers and codes from a world file."""
    from bot.app import build_core
    from bot.world import WorldError, load_world, read_world

    settings = _settings()
    core = build_core(settings, load_world=False)
    try:
        spec = read_world(path or settings.world_file)
        with core.db.session() as s:
            counts = load_world(s, spec, now=core.clock.now())
    except WorldError as exc:
        typer.echo(f"deskbot: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo("loaded: " + ", ".join(f"{v} new {k}" for k, v in counts.items()))


@app.command()
def run() -> None:
    """Run the bot: every transport whose settings are present, the scheduler, health and metrics."""
    import asyncio

    from bot.runner import run_forever

    from bot.logging_setup import setup_from_settings

    settings = _settings()
    setup_from_settings(settings)
    core = _core(settings)
    try:
        asyncio.run(run_forever(core))
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
