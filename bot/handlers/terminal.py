"""Terminal chat: talk to the bot in a shell, like errbot's text backend. The embedded default.

Commands of the terminal itself (everything else goes to the bot):
  /as NAME              switch to (or create) chat user NAME
  /now YYYY-MM-DD HH:MM set the bot's clock (the scheduler catches up to it)
  /whoami               show the current user and clock
  /quit                 leave
Buttons are shown as numbered lines; answer with the number. Works with piped stdin too: one
message per line, replies printed, exit at end of input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from bot.clock import FixedClock
from bot.domain import Choice, IncomingMessage, Reply


class TerminalTransport:
    """Delivers outbox notices to terminal users by printing them (the scheduler's view)."""

    name = "terminal"

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.delivered: list[tuple[str, Reply]] = []
        # the chat window of the user now typing: their notices' buttons become answerable numbers
        self.chat: TerminalChat | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, chat_id: str, reply: Reply, *, dedupe_key: str | None = None) -> None:
        self.delivered.append((chat_id, reply))
        numbered = None
        if self.chat is not None and chat_id == self.chat.user and reply.choices:
            numbered = self.chat.choices = []  # the newest message's buttons are the ones to answer
        self.out.write(f"📨 [an/to {chat_id}] " + render(reply, numbered).replace("\n", "\n   ") + "\n")
        self.out.flush()


def render(reply: Reply, numbered: list[Choice] | None = None) -> str:
    lines = [reply.text]
    choices = reply.flat_choices()
    if choices:
        start = len(numbered) if numbered is not None else 0
        for i, c in enumerate(choices, start=start + 1):
            lines.append(f"  [{i}] {c.label}")
        if numbered is not None:
            numbered.extend(choices)
    for a in reply.attachments:
        lines.append(f"  📎 {a.filename} ({len(a.data)} bytes, {a.mime})")
    return "\n".join(lines)


class TerminalChat:
    """The read-eval-print loop around the dialogue."""

    def __init__(self, dialogue, clock: FixedClock | None, *, user: str = "anna", out: TextIO | None = None,
                 on_clock: Callable[[datetime], None] | None = None, pump: Callable[[], None] | None = None) -> None:
        self.dialogue = dialogue
        self.clock = clock
        self.user = user
        self.out = out or sys.stdout
        self.on_clock = on_clock  # e.g. run the scheduler up to the new time
        self.pump = pump  # deliver notices that are due now (after each message)
        self.choices: list[Choice] = []

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def handle_line(self, line: str) -> bool:
        """Process one input line; False means quit."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit", "/q"):
            return False
        if line.startswith("/as"):
            name = line[3:].strip()
            if not name:
                self.say(f"(du bist {self.user})")
            else:
                self.user = name
                self.choices = []
                self.say(f"(du bist jetzt {self.user} / you are now {self.user})")
            return True
        if line.startswith("/whoami"):
            now = self.dialogue.core.clock.now()
            self.say(f"({self.user}, {now:%Y-%m-%d %H:%M %Z})")
            return True
        if line.startswith("/now"):
            self._set_now(line[4:].strip())
            return True
        callback = None
        if line.isdigit() and self.choices:
            idx = int(line) - 1
            if 0 <= idx < len(self.choices):
                callback = self.choices[idx].data
            else:
                self.say(f"(keine Option {line} / no option {line})")
                return True
        msg = IncomingMessage(transport="terminal", user_id=self.user, chat_id=self.user, text="" if callback else line,
                              display_name=self.user.capitalize(), callback=callback)
        replies = self.dialogue.handle(msg)
        numbered: list[Choice] = []
        for r in replies:
            self.say("🤖 " + render(r, numbered).replace("\n", "\n   "))
        if numbered or callback:
            self.choices = numbered
        if self.pump is not None:
            self.pump()
        return True

    def _set_now(self, arg: str) -> None:
        if self.clock is None:
            self.say("(die Uhr läuft echt / the clock is real here)")
            return
        try:
            at = datetime.fromisoformat(arg.replace(" ", "T"))
        except ValueError:
            self.say("(Format: /now 2026-11-23 08:00)")
            return
        self.clock.set(at)
        now = self.clock.now()
        self.say(f"(Uhr/clock: {now:%a %Y-%m-%d %H:%M %Z})")
        if self.on_clock is not None:
            self.on_clock(now)

    def run(self, stdin: TextIO | None = None) -> None:
        stdin = stdin or sys.stdin
        interactive = stdin.isatty()
        if interactive:
            self.say("deskbot – Terminal-Chat. /as NAME wechselt den Nutzer, /now DATUM ZEIT stellt die Uhr, /quit beendet.\n"
                     "Probier: „STADTWERKE-2026“ (Einladungscode), dann „morgen Dülmen“.")
        while True:
            if interactive:
                self.out.write(f"{self.user}> ")
                self.out.flush()
            line = stdin.readline()
            if not line:
                break
            if not interactive:
                self.say(f"{self.user}> {line.rstrip()}")
            if not self.handle_line(line):
                break

