"""What a feature offers the conversation: its commands, intents, buttons, notices and jobs, declared together.

Each feature slice under `bot/features/` builds one `Router` (see `router()` in its `chat.py`). The
composition root hands the list to `Dialogue`, which merges the tables and checks them at start-up
(`check_routers`): an intent the parser can emit, a button kind a feature issues or a notice kind a
feature enqueues without a handler fails loudly there, and in a test, never in front of a user.
Nothing registers itself by being imported.

Handlers are plain functions:

* intent / command handler: ``(dlg, ctx) -> list[Reply]``
* button handler: ``(dlg, ctx, action: dict) -> list[Reply]`` (the action stored behind the token)
* notice drafter: ``(core, row, lang, now) -> Draft | Skip`` (see `bot.notices`)
* job: ``Job(name, run)`` with ``run(core, now) -> int`` (idempotent, called every minute), optionally
  ``fire_times(core, start, end)`` for the terminal's clock jumps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.domain import IncomingMessage, Intent, Reply

if TYPE_CHECKING:  # pragma: no cover
    from bot.dialogue import Dialogue
    from bot.members import MemberView


@dataclass(slots=True)
class Ctx:
    """One message being handled: who wrote, in which language, at what time, understood as what."""

    msg: IncomingMessage
    member: MemberView
    lang: str
    now: datetime
    intent: Intent | None = None
    # the question this answer asks (set by `Dialogue.choices(..., ask=True)`): its options are remembered so a
    # typed answer ("2", "Warteliste", "ja", or the missing place or day) continues it
    asked: bool = False
    offered: list[tuple[str, str, str]] = field(default_factory=list)  # (label, token, op) of the question's buttons
    pending_request: dict | None = None  # the booking request still missing a slot (place or day)
    pending_slot: str | None = None  # "space" | "dates"
    # the slots of the question this answer answered ("Was ist mit Lüdinghausen am 8.12.?"), so that a follow-up
    # ("und am 9.?", "nee, lieber Olfen", "and in Senden?") is read with the rest of it
    about: dict | None = None


Handler = Callable[["Dialogue", Ctx], list[Reply]]
ButtonHandler = Callable[["Dialogue", Ctx, dict], list[Reply]]
Drafter = Callable[[Any, Any, str, datetime], Any]


@dataclass(frozen=True, slots=True)
class Job:
    """A piece of periodic work of a feature (reminders, digests, reports...)."""

    name: str
    run: Callable[[Any, datetime], int]
    fire_times: Callable[[Any, datetime, datetime], Iterable[datetime]] | None = None


@dataclass(slots=True)
class Router:
    """One feature's part of the conversation."""

    name: str
    intents: dict[str, Handler] = field(default_factory=dict)
    commands: dict[str, Handler] = field(default_factory=dict)  # "/firma" -> handler (commands the parser does not know)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    notices: dict[str, Drafter] = field(default_factory=dict)  # outbox kind -> drafter
    jobs: list[Job] = field(default_factory=list)
    help_keys: dict[str, str] = field(default_factory=dict)  # role kind -> text key of its help paragraph
    # HTTP GET path on `deskbot run`'s port -> factory(core) of an aiohttp handler (e.g. the calendar feed);
    # a key ("POST", path) declares another method
    http: dict[str, Callable] = field(default_factory=dict)
    # intent -> handler asked before the intent's owner; it answers for its role (an employer admin asking about
    # "the contingent" also gets the company view) or returns None to let the owner answer
    preempts: dict[str, Callable[["Dialogue", Ctx], list[Reply] | None]] = field(default_factory=dict)


class RouterConflict(Exception):
    """Two routers claim the same intent, command, button or notice kind, or something has no handler."""


@dataclass(slots=True)
class Routes:
    """The merged tables of all routers."""

    routers: list[Router]
    intents: dict[str, Handler] = field(default_factory=dict)
    commands: dict[str, Handler] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    notices: dict[str, Drafter] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    preempts: dict[str, list[Callable]] = field(default_factory=dict)
    http: dict[str, Callable] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)  # "intent:book" -> router name

    @classmethod
    def merge(cls, routers: Iterable[Router]) -> Routes:
        routes = cls(list(routers))
        for r in routes.routers:
            for kind, table, target in (("intent", r.intents, routes.intents), ("command", r.commands, routes.commands),
                                        ("button", r.buttons, routes.buttons), ("notice", r.notices, routes.notices)):
                for key, fn in table.items():
                    tag = f"{kind}:{key}"
                    if tag in routes.owner:
                        raise RouterConflict(f"{tag} is claimed by both {routes.owner[tag]!r} and {r.name!r}")
                    routes.owner[tag] = r.name
                    target[key] = fn
            for path, fn in r.http.items():
                if path in routes.http:
                    raise RouterConflict(f"HTTP path {path!r} is claimed twice")
                routes.http[path] = fn
            for intent, fn in r.preempts.items():
                routes.preempts.setdefault(intent, []).append(fn)
            for job in r.jobs:
                if any(j.name == job.name for j in routes.jobs):
                    raise RouterConflict(f"job {job.name!r} is declared twice")
                routes.jobs.append(job)
        return routes

    def answer(self, dlg, ctx: Ctx, intent: str) -> list[Reply]:
        """Dispatch an intent: the preempting routers first, then its owner (or the "unknown" answer)."""
        for fn in self.preempts.get(intent, ()):
            replies = fn(dlg, ctx)
            if replies is not None:
                return replies
        return (self.intents.get(intent) or self.intents["unknown"])(dlg, ctx)

    def check(self, *, intents: Iterable[str] = (), buttons: Iterable[str] = (), notices: Iterable[str] = ()) -> None:
        """Every intent the parser can emit, every button kind and notice kind a feature issues has a handler."""
        missing = [f"intent {i!r}" for i in sorted(set(intents)) if i not in self.intents]
        missing += [f"intent {i!r} (preempted)" for i in sorted(self.preempts) if i not in self.intents]
        missing += [f"button {b!r}" for b in sorted(set(buttons)) if b not in self.buttons]
        missing += [f"notice {n!r}" for n in sorted(set(notices)) if n not in self.notices]
        if missing:
            raise RouterConflict("no handler for " + ", ".join(missing))
