"""Members, chat identities, roles, invite codes and button tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.storage.db import Database
from bot.storage.models import (
    ChatChannel,
    Employer,
    Identity,
    InviteCode,
    Member,
    PendingAction,
    Region,
    Role,
    Space,
)
from bot.storage.sql import connection, dialect_of, run

TOKEN_TTL = timedelta(days=7)
# "last seen" / "last used" are written only when older than this (or when something else changes), so a
# member's steady stream of messages writes nothing for bookkeeping
TOUCH_EVERY = timedelta(hours=1)

# the identity, its member and the member's roles in one statement (one row per role; a member without
# roles gives one row with NULL role columns); driver SQL, see bot/storage/sql.py
_RESOLVE = (
    "SELECT i.id AS ident_id, i.chat_id AS chat_id, i.blocked_at AS blocked_at, i.last_used_at AS last_used_at, "
    "m.id AS member_id, m.display_name AS display_name, m.lang AS lang, m.prefs AS prefs, m.deleted_at AS deleted_at, "
    "m.last_seen_at AS last_seen_at, r.kind AS role_kind, r.employer_id AS role_employer_id, r.space_id AS role_space_id, "
    "m.region_id AS region_id "
    "FROM identities i JOIN members m ON m.id = i.member_id LEFT JOIN roles r ON r.member_id = m.id "
    "WHERE i.transport = ? AND i.external_id = ? ORDER BY r.id"
)
_TOUCH_IDENTITY = "UPDATE identities SET chat_id = ?, blocked_at = NULL, last_used_at = ? WHERE id = ?"
_TOUCH_MEMBER = "UPDATE members SET deleted_at = NULL, display_name = ?, last_seen_at = ? WHERE id = ?"
_TOKEN_INSERT = "INSERT INTO pending_actions (token, member_id, action, created_at, expires_at) VALUES {}"
_TOKEN_SQL: dict[tuple[str, int], str] = {}


def _token_insert(d, n: int) -> str:
    """The INSERT of n button tokens as driver SQL for the dialect `d` (built once per size)."""
    sql = _TOKEN_SQL.get((d.name, n))
    if sql is None:
        sql = d.sql(_TOKEN_INSERT.format(", ".join([f"(?, ?, {d.cast('JSON')}, ?, ?)"] * n)))
        if len(_TOKEN_SQL) < 64:
            _TOKEN_SQL[(d.name, n)] = sql
    return sql


def _stale(at: datetime | None, now: datetime) -> bool:
    return at is None or abs(now - at) >= TOUCH_EVERY


@dataclass(frozen=True, slots=True)
class MemberView:
    id: int
    display_name: str
    lang: str
    roles: tuple[tuple[str, int | None, int | None], ...]  # (kind, employer_id, space_id)
    prefs: dict
    is_new: bool = False
    region_id: int | None = None  # the region of the code redeemed (issue 17); None: none yet

    def has(self, kind: str) -> bool:
        return any(r[0] == kind for r in self.roles)

    def employer_ids(self, kind: str = "employee") -> list[int]:
        return [r[1] for r in self.roles if r[0] == kind and r[1] is not None]

    def space_ids(self) -> list[int]:
        return [r[2] for r in self.roles if r[0] == "operator" and r[2] is not None]


@dataclass(slots=True)
class Redeemed:
    kind: str
    employer_name: str | None = None
    space_name: str | None = None
    space_slug: str | None = None
    already: bool = False
    region_name: str | None = None


@dataclass(slots=True)
class CodeRefused:
    reason: str  # "unknown" | "expired" | "used_up"


def assign_role(s: Session, member_id: int, kind: str, scope: str, *, employer_id: int | None, space_id: int | None,
                now: datetime, region_id: int | None = None) -> Role:
    """Give a member a role. One employer at a time: a new employee role replaces the old one."""
    if kind == "employee":
        for old in s.scalars(select(Role).where(Role.member_id == member_id, Role.kind == "employee")):
            s.delete(old)
    role = Role(member_id=member_id, kind=kind, scope=scope, employer_id=employer_id, space_id=space_id,
                region_id=region_id if kind == "region_admin" else None, created_at=now)
    s.add(role)
    return role


def _view(s: Session, m: Member, is_new: bool = False) -> MemberView:
    roles = tuple((r.kind, r.employer_id, r.space_id) for r in s.scalars(select(Role).where(Role.member_id == m.id)))
    return MemberView(m.id, m.display_name, m.lang, roles, dict(m.prefs or {}), is_new, m.region_id)


class Members:
    def __init__(self, db: Database, clock: Clock, default_lang: str = "de") -> None:
        self.db = db
        self.clock = clock
        self.default_lang = default_lang

    def resolve(self, transport: str, external_id: str, chat_id: str, display_name: str = "",
                lang_hint: str | None = None, *, is_group: bool = False) -> MemberView:
        """The member behind a chat account, made on first contact."""
        now = self.clock.now()
        with self.db.session() as s:
            conn = connection(s)
            d = dialect_of(conn.dialect.name)
            rows = run(conn, d.sql(_RESOLVE), (transport, external_id)).fetchall()
            if rows:
                (ident_id, old_chat, blocked_at, last_used_at, member_id, name, lang, prefs, deleted_at,
                 last_seen_at) = rows[0][:10]
                new_chat = old_chat
                if old_chat != chat_id and chat_id and not is_group:
                    new_chat = chat_id  # a group is never the member's direct chat
                # bookkeeping only when something changed or it is older than TOUCH_EVERY
                if new_chat != old_chat or blocked_at is not None or _stale(d.ts_out(last_used_at), now):
                    run(conn, d.sql(_TOUCH_IDENTITY), (new_chat, d.ts(now), ident_id))
                changed = False
                if deleted_at is not None:  # erased earlier, then wrote again: a fresh start
                    name, changed = display_name or name, True
                elif display_name and not name:
                    name, changed = display_name, True
                if changed or _stale(d.ts_out(last_seen_at), now):
                    run(conn, d.sql(_TOUCH_MEMBER), (name, d.ts(now), member_id))
                roles = tuple(r[10:13] for r in rows if r[10] is not None)
                return MemberView(member_id, name, lang, roles, dict(d.js_out(prefs) or {}), region_id=rows[0][13])
            lang = self.default_lang
            if lang_hint:
                lang = "en" if not lang_hint.lower().startswith("de") else "de"
            try:
                with s.begin_nested():
                    m = Member(display_name=display_name or external_id, lang=lang, prefs={}, created_at=now, last_seen_at=now)
                    s.add(m)
                    s.flush()
                    direct = external_id if (is_group or not chat_id) else chat_id
                    s.add(Identity(member_id=m.id, transport=transport, external_id=external_id, chat_id=direct,
                                   last_used_at=now))
                    s.flush()
            except IntegrityError:  # the same account's first two messages raced; the other one won
                ident = s.scalars(select(Identity).where(Identity.transport == transport, Identity.external_id == external_id)).one()
                return _view(s, s.get(Member, ident.member_id))
            return _view(s, m, is_new=True)

    def view(self, member_id: int) -> MemberView:
        with self.db.session() as s:
            return _view(s, s.get(Member, member_id))

    def set_lang(self, member_id: int, lang: str) -> None:
        with self.db.session() as s:
            s.get(Member, member_id).lang = lang

    def set_pref(self, member_id: int, key: str, value) -> dict:
        with self.db.session() as s:
            m = s.get(Member, member_id)
            prefs = dict(m.prefs or {})
            prefs[key] = value
            m.prefs = prefs
            return prefs

    def is_code(self, text: str) -> bool:
        """Is this word an invite code we know (any case)?"""
        if len(text) < 4 or len(text) > 64:
            return False
        with self.db.session() as s:
            return s.scalar(select(InviteCode.id).where(InviteCode.code.in_({text, text.upper()}))) is not None

    def redeem(self, member_id: int, code_text: str, *, transport: str | None = None, chat_id: str | None = None,
               is_group: bool = False) -> Redeemed | CodeRefused:
        """Use an invite code: employee / employer admin of its employer, operator of its space, admin of its region,
        platform admin; a `member` code (self-paid) only places the member in its region. An employee or member
        code puts the member into the code's region (where they book); another code does so only for a member
        without a region yet. An operator code sent in a group registers that group for the space's notices."""
        now = self.clock.now()
        code_text = code_text.strip()
        with self.db.session() as s:
            code = s.scalar(select(InviteCode).where(InviteCode.code == code_text))
            if code is None:
                code = s.scalar(select(InviteCode).where(InviteCode.code == code_text.upper()))
            if code is None:
                return CodeRefused("unknown")
            if code.expires_at is not None and code.expires_at <= now:
                return CodeRefused("expired")
            scope = f"employer:{code.employer_id}" if code.employer_id else (f"space:{code.space_id}" if code.space_id else "")
            if code.kind == "region_admin":
                scope = f"region:{code.region_id}"
            emp = s.get(Employer, code.employer_id) if code.employer_id else None
            space = s.get(Space, code.space_id) if code.space_id else None
            region = s.get(Region, code.region_id)
            result = Redeemed(code.kind, emp.name if emp else None, space.name if space else None, space.slug if space else None,
                              region_name=region.name if region else None)
            member = s.get(Member, member_id)
            if code.kind == "member":  # self-paid: no role, only the region
                if member.region_id == code.region_id:
                    result.already = True
                    return result
                existing = None
            else:
                existing = s.scalar(select(Role).where(Role.member_id == member_id, Role.kind == code.kind, Role.scope == scope))
            if is_group and code.kind == "operator" and space is not None and transport and chat_id:
                if existing is None:
                    return CodeRefused("unknown")  # only an operator can register a group
                if s.scalar(select(ChatChannel).where(ChatChannel.transport == transport, ChatChannel.chat_id == chat_id,
                                                      ChatChannel.space_id == space.id)) is None:
                    s.add(ChatChannel(space_id=space.id, transport=transport, chat_id=chat_id, created_at=now))
                result.kind = "group"
                return result
            if existing is not None:
                result.already = True
                return result
            # the database refuses the use beyond max_uses (CHECK), also under concurrency
            res = s.execute(
                update(InviteCode)
                .where(InviteCode.id == code.id, (InviteCode.max_uses.is_(None)) | (InviteCode.uses < InviteCode.max_uses))
                .values(uses=InviteCode.uses + 1)
            )
            if res.rowcount != 1:
                return CodeRefused("used_up")
            if code.kind != "member":
                assign_role(s, member_id, code.kind, scope, employer_id=code.employer_id, space_id=code.space_id, now=now,
                            region_id=code.region_id)
            if code.kind in ("employee", "member") or member.region_id is None:
                member.region_id = code.region_id
            return result

    # --- button tokens --------------------------------------------------------------------
    def issue(self, member_id: int, action: dict, ttl: timedelta = TOKEN_TTL) -> str:
        """A button for this member only: the token names a stored action."""
        now = self.clock.now()
        token = secrets.token_urlsafe(12)
        with self.db.session() as s:
            s.add(PendingAction(token=token, member_id=member_id, action=action, created_at=now, expires_at=now + ttl))
        return "a:" + token

    def issue_many(self, member_id: int, actions: list[dict], ttl: timedelta = TOKEN_TTL) -> list[str]:
        now = self.clock.now()
        tokens = [secrets.token_urlsafe(12) for _ in actions]
        if not actions:
            return []
        with self.db.session() as s:
            # one driver INSERT of all rows: no ORM objects for rows nobody reads back here
            conn = connection(s)
            d = dialect_of(conn.dialect.name)
            created, expires = d.ts(now), d.ts(now + ttl)
            params: list = []
            for t, a in zip(tokens, actions):
                params += (t, member_id, d.js(a), created, expires)
            run(conn, _token_insert(d, len(actions)), params)
        return ["a:" + t for t in tokens]

    def usable_actions(self, member_id: int, op: str, *, within: timedelta, limit: int = 20) -> list[dict]:
        """Still usable button actions of this kind issued to the member within `within`, newest first (e.g. the
        undo buttons of their recent booking messages, for a typed "rückgängig"). Nothing is spent."""
        now = self.clock.now()
        with self.db.session() as s:
            return [dict(a) for a in s.scalars(select(PendingAction.action).where(
                PendingAction.member_id == member_id, PendingAction.used_at.is_(None), PendingAction.expires_at > now,
                PendingAction.created_at >= now - within, PendingAction.action["op"].as_string() == op)
                .order_by(PendingAction.created_at.desc()).limit(limit))]

    def redeem_token(self, member_id: int, data: str, *, group: str | None = None) -> dict | str:
        """The action behind a pressed button, marked used (with the rest of its group) in one go.
        Returns an error key instead when it is not this member's, used, expired or unknown."""
        if not data.startswith("a:"):
            return "unknown"
        token = data[2:]
        now = self.clock.now()
        with self.db.session() as s:
            pa = s.get(PendingAction, token)
            if pa is None:
                return "unknown"
            if pa.member_id != member_id:
                return "foreign"
            if pa.expires_at <= now:
                return "expired"
            res = s.execute(update(PendingAction).where(PendingAction.token == token, PendingAction.used_at.is_(None))
                            .values(used_at=now))
            if res.rowcount != 1:
                return "used"
            action = dict(pa.action)
            grp = action.get("group")
            if grp:  # the other buttons of the same message are spent too
                s.execute(update(PendingAction).where(PendingAction.member_id == member_id, PendingAction.used_at.is_(None),
                                                      PendingAction.action["group"].as_string() == grp).values(used_at=now))
            return action

    def purge_tokens(self, older_than: datetime) -> int:
        with self.db.session() as s:
            from sqlalchemy import delete

            return s.execute(delete(PendingAction).where(PendingAction.expires_at < older_than)).rowcount or 0


def members_with(s, word: str, *where) -> list[tuple[int, dict]]:
    """(id, prefs) of the members whose prefs are not empty and whose JSON text contains `word` (a key the
    caller then reads in Python, so this is only a prefilter): reading all members' prefs each minute made
    100 000 rows and dicts on a large store, and a key is written literally in the JSON text."""
    text = cast(Member.prefs, String)
    rows = s.execute(select(Member.id, Member.prefs).where(text.like(f"%{word}%"), *where).order_by(Member.id)).all()
    return [(mid, p) for mid, p in rows if p]
