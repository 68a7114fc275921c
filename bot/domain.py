"""Plain value types shared by every layer: messages in, replies out, parsed intents.

Nothing here touches the database or a messenger. Adapters translate their events into
`IncomingMessage` and render `Reply` objects; the dialogue sits in between.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class Part(str, enum.Enum):
    """Which part of the day a booking covers."""

    FULL = "full"
    MORNING = "morning"
    AFTERNOON = "afternoon"
    HOURS = "hours"  # explicit start-end time


class Status(str, enum.Enum):
    """Life cycle of a booking."""

    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    WAITLISTED = "waitlisted"


ACTIVE_STATUSES = (Status.CONFIRMED.value, Status.CHECKED_IN.value)


class RoleKind(str, enum.Enum):
    EMPLOYEE = "employee"
    EMPLOYER_ADMIN = "employer_admin"
    OPERATOR = "operator"
    REGION_ADMIN = "region_admin"  # a region's district admin (issue 17)
    PLATFORM_ADMIN = "platform_admin"  # every region


@dataclass(frozen=True, slots=True)
class SpaceRef:
    """What the parser needs to know about a configured space."""

    slug: str
    name: str
    town: str


@dataclass(slots=True)
class Intent:
    """The parser's understanding of one message (see `deskbot parse`)."""

    intent: str = "unknown"
    dates: list[date] = field(default_factory=list)
    part: str | None = None  # "full" | "morning" | "afternoon" | None
    start: str | None = None  # "HH:MM"
    end: str | None = None  # "HH:MM"
    space: str | None = None  # configured slug
    desks: int = 1
    lang: str = "de"
    # extras the dialogue may use; not part of the JSON contract
    space_guess: list[str] = field(default_factory=list)  # "meinten Sie ...?" candidates
    space_text: str | None = None  # the words that looked like a space name but matched none
    date_text_unreadable: bool = False  # the message seemed to name a date we could not read
    args: list[str] = field(default_factory=list)  # remaining words (e.g. an invite code)
    # understanding (issue 13): how sure the parser is, and slots of the newer intents
    confidence: float = 1.0  # 0..1; below bot.intents.CONFIDENT the dialogue asks instead of acting
    alternative: str | None = None  # the runner-up intent when two readings are close (for buttons)
    question: bool = False  # the message is phrased as a question (a question never changes anything)
    colleague: str | None = None  # "für Carl morgen Dülmen": book on behalf of this first name
    name: str | None = None  # member_contingent: whose contingent ("wie viel hat Anna noch?")
    month: str | None = None  # "YYYY-MM" for month questions ("Kontingent im Dezember", "/team Dezember")
    part_guessed: bool = False  # "halbtags": part is "morning" by default, the dialogue may ask which half
    space_fuzzy: bool = False  # space read from a typo ("Dülman"): confirm with "Meintest du ...?"
    topic: str | None = None  # availability: "hours" | "price" | None (free desks); unknown: "smalltalk"
    # desk choice (issue 17): "Platz 3" / "desk 3" -> desk_label "3"; "mit Monitor", "ein ruhiger Platz",
    # "Stehpult" -> desk_features ["monitor"], ["quiet"], ["standing"] (the world file's feature names)
    desk_label: str | None = None
    desk_features: list[str] = field(default_factory=list)
    # "Mittwoch Senden und Donnerstag Olfen": each place with its own days, [(slug, [day, ...]), ...] in the order
    # written; empty when one place serves all days (then `space` is that place; with legs it is the first one's)
    legs: list[tuple[str, list[date]]] = field(default_factory=list)
    # every place named when the message names several without choosing one ("ist Freitag in Senden und Olfen was
    # frei?"), in the order written; [] for one place or a choice made ("nicht Senden, sondern Olfen")
    places: list[str] = field(default_factory=list)
    # "verschieb mein Olfen von Dienstag auf Donnerstag", "move my Senden booking from Thursday to Friday": the days
    # moved away from (`dates` are the new ones); [] for any other message
    move_from: list[date] = field(default_factory=list)
    # the learned second opinion turned a booking into a reading that changes nothing: no later rule makes it a
    # booking again (bot.intents._second_opinion)
    vetoed: bool = False

    def to_json(self) -> dict:
        return {
            "intent": self.intent,
            "dates": [d.isoformat() for d in sorted(set(self.dates))],
            "part": self.part,
            "start": self.start,
            "end": self.end,
            "space": self.space,
            "desks": self.desks,
            "lang": self.lang,
            "confidence": round(self.confidence, 2),
        }


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message or button press from a user, as any transport delivers it."""

    transport: str  # "terminal" | "telegram" | "matrix"
    user_id: str  # the sender's id within the transport
    chat_id: str  # where the answer goes (DM, group or room)
    text: str = ""
    display_name: str = ""
    lang_hint: str | None = None  # e.g. Telegram's language_code
    is_group: bool = False
    addressed: bool = True  # in groups: was the bot mentioned / commanded?
    callback: str | None = None  # data of a pressed button (choice), if any
    # the messenger's id of this update ("tg:<update_id>", a Matrix event id): the dialogue records it in
    # the same unit of work as the change and the reply, so a redelivered update is never handled twice
    update_key: str | None = None
    edited: bool = False  # an edit of an earlier message (Matrix m.replace, Telegram edited_message)


@dataclass(frozen=True, slots=True)
class Choice:
    """A button (Telegram), numbered option (Matrix, terminal)."""

    label: str
    data: str  # opaque callback token, resolved by the dialogue


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    mime: str
    data: bytes


@dataclass(slots=True)
class Reply:
    """What the bot answers. `choices` is a list of rows of buttons."""

    text: str
    choices: list[list[Choice]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    edit: bool = False  # replace the message whose button was pressed instead of sending anew
    html: str | None = None  # optional formatted variant
    alert: bool = False  # a short answer to a button press (Telegram: callback alert), not a chat message
    # the reply's outbox row: the dialogue stores every direct answer in the outbox in the same unit of work as
    # the change; the transport calls `Dialogue.mark_sent([outbox_id])` once it went out, and whatever is not
    # marked by then (a crash, a stop) is delivered by the scheduler from the outbox
    outbox_id: int | None = None

    def flat_choices(self) -> list[Choice]:
        return [c for row in self.choices for c in row]
