"""Default locations (kept free of heavy imports: `deskbot parse` needs them at cold start)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("deskbot", appauthor=False))


def default_world_file() -> Path:
    """The demo world shipped in `config/` (repo checkout or Docker image)."""
    for candidate in (Path.cwd() / "config" / "demo_world.yaml", REPO_ROOT / "config" / "demo_world.yaml"):
        if candidate.exists():
            return candidate
    return REPO_ROOT / "config" / "demo_world.yaml"
