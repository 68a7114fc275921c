"""Default locations (kept free of heavy imports: `deskbot parse` needs them at cold start).

The demo world's canonical file is `config/demo_world.yaml` in the repository. The wheel carries a
copy as package data (`bot/data/demo_world.yaml`, copied by setup.py's build step), so an installed
deskbot finds it from any directory; a checkout or the Docker image (`/app/config/`) finds the
`config/` one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent  # the checkout; in an installed wheel this is site-packages
PACKAGED_WORLD = PACKAGE_DIR / "data" / "demo_world.yaml"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("deskbot", appauthor=False))


def default_world_file() -> Path:
    """The demo world: `./config/`, the checkout's `config/`, else the copy shipped in the package."""
    for candidate in (Path.cwd() / "config" / "demo_world.yaml", REPO_ROOT / "config" / "demo_world.yaml", PACKAGED_WORLD):
        if candidate.is_file():
            return candidate
    return PACKAGED_WORLD


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as a directory only its owner can enter (0700).

    Only directories made here are chmodded; an existing directory (e.g. /tmp, a Docker volume) is
    left as it is.
    """
    path = Path(path).expanduser()
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=0o700, exist_ok=True)
        os.chmod(d, stat.S_IRWXU)  # mkdir's mode is masked by the umask
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if it does not exist (an existing file is left alone)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    os.close(fd)
    os.chmod(path, 0o600)
    return path
