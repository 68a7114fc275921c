"""Docs are tests: the README's terminal try-list runs exactly as printed, and every chat example in the
user guides (docs/guide-*.md) is understood — no "not understood", no apology — by a member of the
role the guide is written for."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_core
from bot.clock import FixedClock
from bot.dialogue import Dialogue
from bot.handlers.terminal import TerminalChat, TerminalTransport
from bot.i18n import t
from bot.scheduler import TerminalDriver
from tests.conftest import Chat, make_settings

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Europe/Berlin")
DEMO_NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)  # what `make chat` starts on


def _try_list() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("In the terminal chat", 1)[1].split("```", 2)[1]
    lines = []
    for raw in block.splitlines():
        m = re.match(r"^(\w+)> (.*?)(?:\s{2,}\(.*\))?$", raw.rstrip())
        if m:
            lines.append((m.group(1), m.group(2).strip()))
    return lines


@pytest.fixture
def demo(tmp_path):
    core = build_core(make_settings(f"sqlite:///{tmp_path}/chat.sqlite3", tmp_path), clock=FixedClock(DEMO_NOW))
    yield core
    core.close()


def test_readme_try_list_runs_as_printed(demo):
    lines = _try_list()
    assert len(lines) >= 10 and lines[0] == ("anna", "STADTWERKE-2026")
    out = io.StringIO()
    dialogue = Dialogue(demo)
    driver = TerminalDriver(demo, dialogue, {"terminal": TerminalTransport(out)})
    chat = TerminalChat(dialogue, demo.clock, user="anna", out=out, on_clock=driver.catch_up, pump=driver.pump)
    answers = []
    for user, text in lines:
        if chat.user != user:
            chat.handle_line(f"/as {user}")
        start = len(out.getvalue())
        chat.handle_line(text)
        answers.append((text, out.getvalue()[start:]))
    for text, answer in answers:
        assert t("de", "unknown") not in answer, (text, answer)
        assert t("de", "error") not in answer, (text, answer)
    said = dict(answers)
    assert "Gebucht: Coworking Dülmen" in said["morgen Dülmen"]
    assert "Di, 01.12." in said["buche jeden Dienstag im Dezember in Coesfeld"]  # the series
    assert "stornieren?" in said["1"]  # cancelling from the list asks first
    assert "Storniert" not in said["nein"]
    assert "eingecheckt" in said["einchecken"]
    assert "Betreiber" in said["OP-DUELMEN"] or "Dülmen" in said["OP-DUELMEN"]
    assert "Anna" in said["/ankuenfte"]



def _make_chat_args() -> list[str]:
    """The deskbot arguments of the Makefile's `chat` recipe (what `make chat` runs)."""
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nchat:", 1)[1].split("\n\n", 1)[0]
    (line,) = [x for x in recipe.splitlines() if "deskbot chat" in x]
    return line.split("deskbot", 1)[1].split()


def test_readme_try_list_runs_through_make_chat(tmp_path):
    """The same list typed into the command `make chat` runs (a subprocess, piped stdin): it starts on the demo
    clock the README names, so the list's `/now` moves the clock forward, and the check-in finds the booking."""
    import os
    import subprocess
    import sys

    args = _make_chat_args()
    assert args[:2] == ["chat", "--fresh"] and "--now" in args
    start = datetime.fromisoformat(args[args.index("--now") + 1]).replace(tzinfo=TZ)
    assert start == DEMO_NOW and "Monday 2026-11-23 08:00" in (ROOT / "README.md").read_text(encoding="utf-8")
    lines, user, typed = _try_list(), "anna", []
    for who, text in lines:
        if who != user:
            typed.append(f"/as {who}")
            user = who
        typed.append(text)
        if text.startswith("/now "):
            assert datetime.fromisoformat(text[5:].replace(" ", "T")).replace(tzinfo=TZ) > start, "the clock goes back"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_")}
    env.update(DESKBOT_DATA_DIR=str(tmp_path / "data"), TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "bot", *args], input="\n".join(typed) + "\n", capture_output=True,
                       text=True, cwd=tmp_path, env=env, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stdout + r.stderr, r.stderr
    out = r.stdout
    for who, text in lines:
        assert f"{who}> {text}\n" in out, text
    said = {text: re.split(r"\n\w+> ", out.split(f"{who}> {text}\n", 1)[1], maxsplit=1)[0] for who, text in lines}
    assert t("de", "unknown") not in out and t("de", "error") not in out
    assert "Gebucht: Coworking Dülmen, Di, 24.11." in said["morgen Dülmen"]
    assert "stornieren?" in said["1"] and "Storniert" not in said["nein"]
    assert "(Uhr/clock: Tue 2026-11-24 08:30 CET)" in said["/now 2026-11-24 08:30"]
    assert "eingecheckt" in said["einchecken"]
    assert "Anna" in said["/ankuenfte"]
    assert not list(tmp_path.glob("deskbot-*")), "--fresh left its folder"


# not messages: settings, shell commands, placeholders, argument values of a command described in the text
SKIP = re.compile(r"^(DESKBOT_|deskbot |docker|pip |make|python |https?://|@deskbot$|standard$|default$)|[\[\]<>]|…|^\d[\d,.:]*$")
ROLE_CODES = {"guide-employees.md": "STADTWERKE-2026", "guide-employers.md": "STADTWERKE-ADMIN",
              "guide-operators.md": "OP-COESFELD"}


def _examples(name: str) -> list[str]:
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    spans = []
    for m in re.findall(r"`([^`\n]+)`", text):
        m = m.strip()
        if SKIP.search(m) or "_" in m or m in spans:
            continue
        spans.append(m)
    return spans


@pytest.mark.parametrize("guide", sorted(ROLE_CODES))
def test_every_chat_example_in_the_guides_is_understood(tmp_path, guide, store_templates):
    examples = _examples(guide)
    assert len(examples) >= 8
    failures = []
    for text in examples:
        # each example from a fresh member of the guide's role, so examples cannot depend on each other
        core = store_templates.build_core(make_settings(f"sqlite:///{tmp_path}/{abs(hash(text))}.sqlite3", tmp_path),
                                          FixedClock(DEMO_NOW))
        try:
            chat = Chat(Dialogue(core))
            chat.send("user", ROLE_CODES[guide])
            if guide != "guide-employees.md":
                chat.send("user", "STADTWERKE-2026")
            answer = chat.send("user", text)
            lang = "en" if re.search(r"[a-z]", text) and not re.search(r"[äöüß]|morgen|Buchung|stornieren|frei", text) \
                and text.isascii() and chat.dialogue.members.resolve("terminal", "user", "user").lang == "en" else "de"
            if not answer.strip() or t("de", "unknown") in answer or t("en", "unknown") in answer \
                    or t(lang, "error") in answer or t("de", "error") in answer:
                failures.append((text, answer[:200]))
        finally:
            core.close()
    assert failures == []


# --- docs are tests: the regions examples of docs/guide-admin.md -----------------------------


def _region_section(lang_heading: str) -> str:
    text = (ROOT / "docs" / "guide-admin.md").read_text(encoding="utf-8")
    return text.split(f"### {lang_heading}", 1)[1].split("\n### ", 1)[0]


@pytest.mark.parametrize("heading", ["Regionen", "Regions"])
def test_guide_admin_region_examples_run(chat, heading, tmp_path, monkeypatch):
    """The admin guide's Regions section (issue 17): its chat lines (`user> text`) on the demo world, each
    answered as its comment says, and its `deskbot admin ...` lines on a store with the demo world imported."""
    from typer.testing import CliRunner

    from bot.admin_cli import admin_app
    from tests.conftest import DEMO_WORLD

    runner = CliRunner()
    section = _region_section(heading)
    lines = re.findall(r"^(\w+)> (.+?)(?:\s{2,}#.*)?$", section, re.MULTILINE)
    assert len(lines) >= 5
    said = {}
    for user, text in lines:
        answer = chat.send(user, text)
        assert answer.strip() and t("de", "unknown") not in answer and t("en", "unknown") not in answer, (text, answer)
        assert t("de", "error") not in answer and t("en", "error") not in answer, (text, answer)
        said[(user, text)] = answer
    # what the comments next to the examples say
    stats_cmd = "/statistik" if heading == "Regionen" else "/stats"
    assert said[("rita", stats_cmd)].startswith("Region Bernkastel-Wittlich")
    assert "📊" not in said[("rita", f"{stats_cmd} kreis-coesfeld")]
    own_words = next(a for (u, x), a in said.items() if u == "rita" and not x.startswith(("/", "BKW")))
    assert own_words.startswith("Region Bernkastel-Wittlich") and "📊" in own_words
    assert said[("root", f"{stats_cmd} bernkastel-wittlich")].startswith("Region Bernkastel-Wittlich")
    assert not said[("root", stats_cmd)].startswith("Region")
    free = next(a for (u, x), a in said.items() if u == "mo" and ("frei" in x or "free" in x))
    assert "Morbach" in free and "Coesfeld" not in free
    other = next(a for (u, x), a in said.items() if u == "mo" and "Coesfeld" in x)
    assert "Kreis Coesfeld" in other and "Bernkastel-Wittlich" in other
    commands = re.findall(r"^deskbot admin (.+?)(?:\s{2,}#.*)?$", section, re.MULTILINE)
    assert len(commands) >= 3
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESKBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'doc.sqlite3'}")
    monkeypatch.setenv("DESKBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DESKBOT_CONFIG", raising=False)
    assert runner.invoke(admin_app, ["import", str(DEMO_WORLD)]).exit_code == 0
    for cmd in commands:
        res = runner.invoke(admin_app, cmd.split())
        assert res.exit_code == 0, (cmd, res.output)
