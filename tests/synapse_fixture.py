"""A real Synapse homeserver for tests, started once per pytest session.

Use it from a test module or conftest with::

    from tests.synapse_fixture import *  # noqa: F401,F403  (fixtures: synapse, synapse_user)

What it runs: ``python -m synapse.app.homeserver`` with a hand-written minimal homeserver.yaml in a
temp dir; SQLite; one HTTP listener on 127.0.0.1 (free port) serving only the client API (no
federation listener, ``federation_domain_whitelist: []``, ``trusted_key_servers: []``, so nothing
leaves the machine); ``registration_shared_secret`` for the admin register API; ``report_stats:
false``; presence and URL previews off. Rate limits are Synapse's stock values (rc_message 0.2/s,
burst 10; rc_login.address 0.003/s, burst 5 -> prefer the access tokens returned by `register`
over logging in). Tests that need a user without limits call `override_ratelimit`.

The fixture waits for ``/_matrix/client/versions``; start time and RSS are recorded on the
`SynapseServer` object (``start_seconds``, ``rss_kib()``) and printed at session end with -s.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = [
    "SynapseServer",
    "MatrixUser",
    "start_synapse",
    "synapse",
    "synapse_user",
]

SERVER_NAME = "deskbot.test"


@dataclass(frozen=True)
class MatrixUser:
    user_id: str
    access_token: str
    device_id: str
    password: str

    @property
    def localpart(self) -> str:
        return self.user_id[1:].split(":", 1)[0]


class SynapseError(RuntimeError):
    def __init__(self, status: int, body: dict | str) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass
class SynapseServer:
    base_url: str
    server_name: str
    shared_secret: str
    workdir: Path
    proc: subprocess.Popen
    start_seconds: float = 0.0
    admin: MatrixUser | None = None
    _counter: int = field(default=0)

    # --- HTTP helpers (blocking, stdlib only: usable from sync fixtures) ---------------------
    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                payload: dict | str = json.loads(raw)
            except ValueError:
                payload = raw.decode(errors="replace")
            raise SynapseError(e.code, payload) from None
        return json.loads(raw) if raw else {}

    # --- users ------------------------------------------------------------------------------
    def register(
        self,
        localpart: str | None = None,
        *,
        password: str | None = None,
        admin: bool = False,
        displayname: str | None = None,
    ) -> MatrixUser:
        """Create a user via the shared-secret admin API (HMAC-SHA1 over nonce, user, pw, admin).

        The response carries an access token and a device id, so no /login (rate limited) is needed.
        """
        if localpart is None:
            self._counter += 1
            localpart = f"user{self._counter}_{secrets.token_hex(3)}"
        password = password or secrets.token_urlsafe(12)
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(nonce.encode() + b"\x00" + localpart.encode() + b"\x00" + password.encode())
        mac.update(b"\x00" + (b"admin" if admin else b"notadmin"))
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        if displayname:
            body["displayname"] = displayname
        resp = self.request("POST", "/_synapse/admin/v1/register", body)
        return MatrixUser(resp["user_id"], resp["access_token"], resp["device_id"], password)

    def make_admin(self, user_id: str) -> None:
        """Give `user_id` server-admin rights (needs the fixture's own admin)."""
        assert self.admin is not None
        quoted = urllib.parse.quote(user_id)
        self.request("PUT", f"/_synapse/admin/v2/users/{quoted}", {"admin": True}, self.admin.access_token)

    def override_ratelimit(self, user_id: str, messages_per_second: float = 0, burst_count: int = 0) -> dict:
        """POST /_synapse/admin/v1/users/<user_id>/override_ratelimit. 0/0 disables all limits
        that Synapse applies per requester (messages, invites, joins...)."""
        assert self.admin is not None
        quoted = urllib.parse.quote(user_id)
        return self.request(
            "POST",
            f"/_synapse/admin/v1/users/{quoted}/override_ratelimit",
            {"messages_per_second": messages_per_second, "burst_count": burst_count},
            self.admin.access_token,
        )

    def clear_ratelimit_override(self, user_id: str) -> None:
        assert self.admin is not None
        quoted = urllib.parse.quote(user_id)
        self.request("DELETE", f"/_synapse/admin/v1/users/{quoted}/override_ratelimit", None, self.admin.access_token)

    # --- process ------------------------------------------------------------------------------
    def rss_kib(self) -> int:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join((self.workdir / "homeserver.log").read_text().splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_config(workdir: Path, port: int, shared_secret: str, extra_yaml: str = "") -> Path:
    from signedjson.key import generate_signing_key, write_signing_keys

    key_path = workdir / "signing.key"
    with key_path.open("w") as f:
        write_signing_keys(f, [generate_signing_key("a_test")])
    log_cfg = workdir / "log.yaml"
    log_cfg.write_text(
        f"""version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {workdir / 'homeserver.log'}
    filters: [context]
filters:
  context:
    (): synapse.logging.context.LoggingContextFilter
    request: ""
loggers:
  synapse.storage.SQL:
    level: WARNING
root:
  level: INFO
  handlers: [file]
disable_existing_loggers: false
"""
    )
    cfg = workdir / "homeserver.yaml"
    cfg.write_text(
        f"""server_name: "{SERVER_NAME}"
pid_file: {workdir / 'homeserver.pid'}
public_baseurl: http://127.0.0.1:{port}/
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: {workdir / 'homeserver.db'}
log_config: {log_cfg}
media_store_path: {workdir / 'media'}
signing_key_path: {key_path}
registration_shared_secret: "{shared_secret}"
macaroon_secret_key: "{secrets.token_hex(32)}"
form_secret: "{secrets.token_hex(32)}"
report_stats: false
enable_metrics: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
url_preview_enabled: false
presence:
  enabled: false
enable_registration: false
bcrypt_rounds: 4
{extra_yaml}
"""
    )
    return cfg


def start_synapse(workdir: Path, *, extra_yaml: str = "", timeout: float = 90.0) -> SynapseServer:
    """Start Synapse in `workdir` and block until the client API answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    shared_secret = secrets.token_hex(16)
    cfg = _write_config(workdir, port, shared_secret, extra_yaml)
    t0 = time.monotonic()
    stdout = (workdir / "stdout.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "synapse.app.homeserver", "-c", str(cfg)],
        cwd=workdir,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group: killpg at the end, no stray ^C
    )
    server = SynapseServer(f"http://127.0.0.1:{port}", SERVER_NAME, shared_secret, workdir, proc)
    atexit.register(server.stop)
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"synapse exited with {proc.returncode}:\n{(workdir / 'stdout.log').read_text()[-3000:]}"
                f"\n{server.log_tail()}"
            )
        try:
            server.request("GET", "/_matrix/client/versions")
            break
        except (urllib.error.URLError, ConnectionError, OSError, SynapseError):
            if time.monotonic() - t0 > timeout:
                server.stop()
                raise RuntimeError(f"synapse did not answer within {timeout}s\n{server.log_tail()}") from None
            time.sleep(0.1)
    server.start_seconds = time.monotonic() - t0
    server.admin = server.register("fixture_admin", admin=True)
    server.override_ratelimit(server.admin.user_id)
    return server


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory):
    """Session-wide Synapse; yields a `SynapseServer`."""
    server = start_synapse(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        rss = server.rss_kib()
        server.stop()
        print(
            f"\n[synapse] started in {server.start_seconds:.2f}s, RSS at session end {rss / 1024:.0f} MiB",
            file=sys.stderr,
        )


@pytest.fixture
def synapse_user(synapse: SynapseServer):
    """Factory: ``synapse_user("alice", unlimited=True)`` -> MatrixUser (fresh unique localpart)."""

    def make(prefix: str = "user", *, unlimited: bool = True, admin: bool = False) -> MatrixUser:
        synapse._counter += 1
        user = synapse.register(f"{prefix}{synapse._counter}_{secrets.token_hex(3)}", admin=admin)
        if unlimited:
            synapse.override_ratelimit(user.user_id)
        return user

    return make
