"""One deskbot instance for tests/test_instances_pg.py: reads updates (JSON lines) from stdin, hands each to its
own Dialogue on the shared PostgreSQL database and acknowledges it on stdout only after the dialogue returned —
as the webhook answers 200 only then. Killed with SIGKILL by the test mid-burst."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo


def main() -> None:
    url, data_dir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bot.app import build_core
    from bot.clock import FixedClock
    from bot.dialogue import Dialogue
    from bot.domain import IncomingMessage
    from tests.conftest import make_settings

    core = build_core(make_settings(url, Path(data_dir)), clock=FixedClock(datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))),
                      migrate=False, load_world=False)
    dialogue = Dialogue(core)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        u = json.loads(line)
        replies = dialogue.handle(IncomingMessage("telegram", u["user"], u["user"], u["text"], display_name=u["user"],
                                                  update_key=f"tg:{u['id']}"))
        print(json.dumps({"ack": u["id"], "replies": [r.text[:80] for r in replies]}), flush=True)


if __name__ == "__main__":
    main()
