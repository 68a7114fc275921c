"""Deployment files, checked without a Docker engine.

* docker-compose.yml parses, names the settings, and the bot's database URL points at the postgres
  service (after compose-style variable interpolation with a sample `.env`).
* The Dockerfile is parsed; its ENTRYPOINT + CMD is run on the host as a subprocess (`deskbot run`
  on a temporary SQLite, no transports), /healthz and /metrics are checked, the HEALTHCHECK command
  from the Dockerfile is run against it, and SIGTERM must end it cleanly (exit 0) within seconds.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEMO_WORLD = REPO / "config" / "demo_world.yaml"
SAMPLE_ENV = {"POSTGRES_PASSWORD": "pw-for-tests", "DESKBOT_TELEGRAM_TOKEN": "123:abc"}
URL_HOSTILE_PASSWORD = "p@ss:w/rd#1%?&"


# ------------------------------------------------------------------------------------- helpers
def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose variable interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}."""
    pattern = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")

    def sub(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3) or ""
        val = env.get(name)
        if op in (":-", "-"):
            return val if (val if op == ":-" else val is not None) else arg
        if op in (":?", "?"):
            if (not val) if op == ":?" else val is None:
                raise KeyError(f"{name}: {arg}")
            return val
        return val or ""

    return pattern.sub(sub, value)


def load_compose(env: dict[str, str] | None = None) -> dict:
    raw = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    if env is None:
        return raw

    def walk(x):
        if isinstance(x, str):
            return interpolate(x, env)
        if isinstance(x, list):
            return [walk(i) for i in x]
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        return x

    return walk(raw)


def env_dict(environment) -> dict[str, str]:
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {k: "" if v is None else str(v) for k, v in (environment or {}).items()}


def parse_dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; comments dropped, line continuations joined."""
    out: list[tuple[str, str]] = []
    buf = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def exec_form(args: str) -> list[str]:
    args = args.strip()
    if args.startswith("["):
        return json.loads(args)
    return ["/bin/sh", "-c", args]


def healthcheck_argv(args: str) -> list[str]:
    """The command of `HEALTHCHECK [OPTIONS] CMD ...`."""
    _, sep, cmd = args.partition("CMD ")
    assert sep, f"HEALTHCHECK without CMD: {args}"
    return exec_form(cmd)


def stages(instructions) -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for ins in instructions:
        if ins[0] == "FROM":
            out.append([])
        if out:
            out[-1].append(ins)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# ------------------------------------------------------------------------------------- compose
def test_compose_names_the_settings_and_points_at_postgres():
    from sqlalchemy.engine import make_url

    from bot.settings import Settings

    raw = load_compose()
    assert set(raw["services"]) == {"deskbot", "postgres"}
    assert set(raw["volumes"]) >= {"pgdata"}
    pg, bot = raw["services"]["postgres"], raw["services"]["deskbot"]
    assert pg["image"].startswith("postgres:15")
    assert any(v.split(":", 1)[0] == "pgdata" for v in pg["volumes"]), "postgres data on a named volume"
    assert "pg_isready -h 127.0.0.1" in " ".join(pg["healthcheck"]["test"]), "the first-init server must not count"
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["build"] == "." and bot.get("stop_grace_period")
    for port in bot["ports"]:
        assert str(port).startswith("127.0.0.1:"), f"published on all interfaces: {port}"

    env = env_dict(bot["environment"])
    for name in ("DESKBOT_DATABASE_URL", "DESKBOT_TELEGRAM_TOKEN", "DESKBOT_MATRIX_HOMESERVER", "DESKBOT_MATRIX_USER_ID",
                 "DESKBOT_MATRIX_PASSWORD", "DESKBOT_MATRIX_ACCESS_TOKEN", "DESKBOT_HTTP_PORT", "DESKBOT_LOG_FORMAT"):
        assert name in env, name
    fields = {f"DESKBOT_{n.upper()}" for n in Settings.model_fields}
    assert set(env) <= fields, f"unknown settings in compose: {set(env) - fields}"
    assert set(env) == fields, f"settings missing from compose: {fields - set(env)}"
    # no secret written into the file itself: every secret comes from .env / the shell
    for name in ("DESKBOT_TELEGRAM_TOKEN", "DESKBOT_MATRIX_PASSWORD", "DESKBOT_MATRIX_ACCESS_TOKEN",
                 "DESKBOT_TELEGRAM_WEBHOOK_SECRET", "DESKBOT_DATABASE_PASSWORD"):
        assert env[name].startswith("${"), name
    assert "${POSTGRES_PASSWORD" in pg["environment"]["POSTGRES_PASSWORD"]

    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        load_compose({})  # no password, no start

    # the resolved environment is a valid configuration for the bot, whose database URL (built from
    # the parts) points at the postgres service, also with a password full of URL characters
    for password in ("pw-for-tests", URL_HOSTILE_PASSWORD):
        resolved = load_compose({**SAMPLE_ENV, "POSTGRES_PASSWORD": password})
        bot_env = env_dict(resolved["services"]["deskbot"]["environment"])
        pg_env = resolved["services"]["postgres"]["environment"]
        s = settings_from_env(bot_env)
        url = make_url(s.effective_database_url)
        assert url.drivername == "postgresql+psycopg"
        assert url.host == "postgres" and (url.port or 5432) == 5432
        assert url.username == pg_env["POSTGRES_USER"] and url.database == pg_env["POSTGRES_DB"]
        assert url.password == pg_env["POSTGRES_PASSWORD"] == password
        assert bot_env["DESKBOT_TELEGRAM_TOKEN"] == "123:abc" and bot_env["DESKBOT_MATRIX_HOMESERVER"] == ""
        assert s.http_port == 8080 and s.telegram_token == "123:abc" and s.matrix_homeserver == ""
        assert s.effective_database_url.startswith("postgresql+psycopg://deskbot:")
        s.check_for_run()  # polling, no Matrix: nothing half configured

    # a DESKBOT_DATABASE_URL in .env wins over the parts
    resolved = load_compose({**SAMPLE_ENV, "DESKBOT_DATABASE_URL": "postgresql+psycopg://a:b@elsewhere/x"})
    s = settings_from_env(env_dict(resolved["services"]["deskbot"]["environment"]))
    assert make_url(s.effective_database_url).host == "elsewhere"


def settings_from_env(env: dict[str, str]):
    from bot.settings import load_settings

    old = {k: v for k, v in os.environ.items() if k.startswith("DESKBOT_")}
    try:
        for k in old:
            del os.environ[k]
        os.environ.update(env)
        return load_settings()
    finally:
        for k in env:
            os.environ.pop(k, None)
        os.environ.update(old)


# ------------------------------------------------------------------------------------- Dockerfile
def test_dockerfile_structure():
    ins = parse_dockerfile(REPO / "Dockerfile")
    st = stages(ins)
    assert len(st) >= 2, "multi-stage build"
    builder_runs = " ".join(a for k, a in st[0] if k == "RUN")
    assert " AS builder" in st[0][0][1] and "venv /opt/venv" in builder_runs
    assert "--require-hashes" in builder_runs and "-r requirements.lock" in builder_runs, "installs the lock file"
    final = st[-1]
    assert final[0][1].split()[0] == "python:3.11-slim"
    kinds = [k for k, _ in final]
    users = [a for k, a in final if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k in ("RUN", "COPY"))
    assert any(k == "COPY" and "config/" in a for k, a in final)
    assert any(k == "COPY" and "--from=builder" in a and "/opt/venv" in a for k, a in final)
    # no wheel or pip layer in the image: nothing is installed in the final stage
    assert not any(k == "RUN" and ("pip " in a or "/wheels" in a) for k, a in final)
    assert any(k == "VOLUME" for k in kinds)
    assert any(k == "EXPOSE" and "8080" in a.split() for k, a in final)
    envs = " ".join(a for k, a in final if k == "ENV")
    assert "DESKBOT_HTTP_PORT=8080" in envs
    assert "MPLCONFIGDIR=/tmp/" in envs and "PATH=/opt/venv/bin:" in envs
    entry = exec_form(next(a for k, a in reversed(final) if k == "ENTRYPOINT"))
    cmd = exec_form(next(a for k, a in reversed(final) if k == "CMD"))
    assert entry + cmd == ["deskbot", "run"]
    hc = healthcheck_argv(next(a for k, a in final if k == "HEALTHCHECK"))
    assert hc[0] == "python" and "/healthz" in " ".join(hc)
    ignore = (REPO / ".dockerignore").read_text().split()
    for must in (".git", ".venv", ".env", "*.sqlite3"):
        assert must in ignore, must
    for needed in ("requirements.lock", "setup.py", "MANIFEST.in", "README.md", "pyproject.toml", "config"):
        assert needed not in ignore and (REPO / needed).exists(), needed


# ------------------------------------------------------------------------------------- the container command, on the host
@pytest.fixture
def entrypoint() -> list[str]:
    final = stages(parse_dockerfile(REPO / "Dockerfile"))[-1]
    argv = exec_form(next(a for k, a in reversed(final) if k == "ENTRYPOINT"))
    argv += exec_form(next(a for k, a in reversed(final) if k == "CMD"))
    exe = BIN / argv[0]
    assert exe.exists(), f"{argv[0]} is not installed in this environment ({exe})"
    return [str(exe), *argv[1:]]


def test_entrypoint_runs_serves_health_and_stops_on_sigterm(entrypoint, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_")}
    env.update(DESKBOT_HTTP_PORT=str(port), DESKBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'deskbot.sqlite3'}",
               DESKBOT_DATA_DIR=str(tmp_path / "data"), DESKBOT_WORLD_FILE=str(DEMO_WORLD))
    log_path = tmp_path / "stderr.log"
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen(entrypoint, env=env, cwd=tmp_path, stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        status, body = None, b""
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"deskbot run exited early ({proc.returncode}):\n{log_path.read_text()}"
            try:
                status, body = http_get(base + "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        assert status == 200, f"/healthz never became healthy: {status} {body!r}\n{log_path.read_text()}"
        health = json.loads(body)
        assert health["status"] == "ok" and health["checks"]["database"]["ok"] is True
        assert health["checks"]["transports"] == {}

        status, metrics = http_get(base + "/metrics")
        assert status == 200
        text = metrics.decode()
        from bot.metrics import METRIC_NAMES

        for name in METRIC_NAMES:
            assert f"# TYPE {name} " in text, name
        assert "deskbot_db_up 1.0" in text

        final = stages(parse_dockerfile(REPO / "Dockerfile"))[-1]
        hc = healthcheck_argv(next(a for k, a in final if k == "HEALTHCHECK"))
        hc = [sys.executable if hc[0] == "python" else hc[0], *hc[1:]]
        check_env = {**env, "DESKBOT_HTTP_PORT": str(port)}
        rc = subprocess.run(hc, env=check_env, capture_output=True, timeout=15).returncode
        assert rc == 0, f"HEALTHCHECK {shlex.join(hc)} failed"

        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = log_path.read_text()
    assert rc == 0, log
    assert took < 5, f"shutdown took {took:.1f}s"
    assert "received SIGTERM" in log and "deskbot stopped" in log, log
    assert "Traceback" not in log, log
    # the container would now be reported unhealthy
    assert subprocess.run(hc, env=check_env, capture_output=True, timeout=15).returncode != 0


# ------------------------------------------------------------------------------------- guides
@pytest.mark.parametrize("name", ["employees", "employers", "operators", "admin"])
def test_guides_exist_in_german_and_english(name):
    text = (REPO / "docs" / f"guide-{name}.md").read_text()
    assert "## Deutsch" in text and "## English" in text
    de, _, en = text.partition("## English")
    assert len(de) > 1500 and len(en) > 1500


def test_admin_guide_documents_every_setting():
    from bot.settings import Settings

    text = (REPO / "docs" / "guide-admin.md").read_text()
    missing = [f"DESKBOT_{n.upper()}" for n in Settings.model_fields if f"`DESKBOT_{n.upper()}`" not in text]
    assert not missing, f"docs/guide-admin.md does not document {missing}"
