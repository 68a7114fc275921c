"""The wheel runs anywhere: built from the sources, installed into a fresh venv, run from another directory.

The build runs offline (`--no-build-isolation` with the test venv's setuptools and wheel); the fresh
venv reuses this venv's dependencies through a .pth line instead of downloading them, and gets
deskbot itself only from the wheel (`--no-deps`), so the demo world, the migrations and the alembic
config must come from the package data. `deskbot chat --fresh` must also remove its temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("bot", "config", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md")


def _copy_sources(dst: Path) -> None:
    """Only what the build needs (not the shared checkout itself: no build/ or egg-info left there)."""
    for name in SOURCES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data"))
        else:
            shutil.copy2(src, dst / name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("build")
    src = work / "src"
    src.mkdir()
    _copy_sources(src)
    dist = work / "dist"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", "-w", str(dist), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (whl,) = dist.glob("deskbot-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with deskbot from the wheel only; the dependencies come from this venv."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = Path(subprocess.check_output([str(venv / "bin" / "python"), "-c",
                                            "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # a plain path line: this venv's .pth files (the editable finder of the checkout) are not run
    (purelib / "zz_deskbot_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                        "--no-index", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return venv


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env.update(TMPDIR=str(tmp), HOME=str(tmp_path / "home"), DESKBOT_DATA_DIR=str(tmp_path / "data"))
    return env


def test_wheel_carries_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "bot/data/demo_world.yaml" in names
    assert "bot/storage/migrations/env.py" in names and "bot/storage/migrations/alembic.ini" in names
    assert "bot/storage/migrations/script.py.mako" in names
    versions = {n for n in names if n.startswith("bot/storage/migrations/versions/") and n.endswith(".py")}
    assert versions and {p.name for p in (REPO / "bot/storage/migrations/versions").glob("*.py")} == \
        {Path(n).name for n in versions}
    packaged = zipfile.ZipFile(wheel).read("bot/data/demo_world.yaml")
    assert packaged == (REPO / "config" / "demo_world.yaml").read_bytes(), "the wheel's demo world is config/'s"
    # the parser's learned second opinion (bot/intent_model.py), byte for byte
    assert zipfile.ZipFile(wheel).read("bot/intent_model.npz") == (REPO / "bot" / "intent_model.npz").read_bytes()
    for po in (REPO / "bot" / "locales").glob("*/LC_MESSAGES/*.po"):  # compiled by setup.py's build step
        assert str(po.relative_to(REPO).with_suffix(".mo")) in names, po
    assert not any(n.startswith(("tests/", "config/", "bench/")) for n in names)


def test_installed_wheel_chats_from_another_directory(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _env(tmp_path)
    py = installed / "bin" / "python"
    where = subprocess.run([str(py), "-c", "import bot, bot.paths as p; print(bot.__file__); print(p.default_world_file())"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, timeout=60)
    bot_file, world = where.stdout.split()
    assert bot_file.startswith(str(installed)), f"deskbot imported from {bot_file}, not from the wheel"
    assert world.startswith(str(installed)) and world.endswith("bot/data/demo_world.yaml")

    t0 = time.monotonic()
    script = "STADTWERKE-2026\nmorgen Dülmen\nmeine Buchungen\n"
    r = subprocess.run([str(installed / "bin" / "deskbot"), "chat", "--fresh", "--now", "2026-11-23T08:00"],
                       input=script, capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert "anna> morgen Dülmen" in r.stdout
    assert "Dülmen" in r.stdout.split("anna> morgen Dülmen", 1)[1]
    assert "24.11." in r.stdout, r.stdout
    assert list((tmp_path / "tmp").iterdir()) == [], "--fresh left its temporary folder behind"
    assert list(elsewhere.iterdir()) == [], "nothing is written into the current directory"
    assert took < 60, f"chat took {took:.1f}s"


def test_installed_wheel_migrates_and_runs_alembic_config(installed, tmp_path):
    env = _env(tmp_path)
    db = tmp_path / "store" / "deskbot.sqlite3"
    env["DESKBOT_DATABASE_URL"] = f"sqlite:///{db}"
    r = subprocess.run([str(installed / "bin" / "deskbot"), "migrate"], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("schema at revision ")
    assert (db.stat().st_mode & 0o777) == 0o600 and (db.parent.stat().st_mode & 0o777) == 0o700


# ------------------------------------------------------------------------------------- lock files
def _locked(path: Path) -> dict[str, str]:
    import re

    from packaging.utils import canonicalize_name

    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", path.read_text(), flags=re.M)
    return {canonicalize_name(n): v for n, v in pins}


def test_lock_files_pin_every_dependency_of_pyproject():
    """pyproject.toml changed without `make lock`? Then CI and the image would miss or mismatch a package."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime, test = _locked(REPO / "requirements.lock"), _locked(REPO / "requirements-test.lock")
    env = {"python_version": "3.11", "sys_platform": "linux", "platform_system": "Linux", "extra": ""}
    for lock, deps in ((runtime, project["dependencies"]),
                       (test, project["dependencies"] + project["optional-dependencies"]["test"])):
        for dep in deps:
            req = Requirement(dep)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            name = canonicalize_name(req.name)
            assert name in lock, f"{req.name} is not in the lock file: run `make lock`"
            assert req.specifier.contains(lock[name], prereleases=True), \
                f"{req.name}=={lock[name]} in the lock does not satisfy {req.specifier}: run `make lock`"
    different = {n: (v, test[n]) for n, v in runtime.items() if n in test and test[n] != v}
    assert not different, f"the test lock pins other versions than the runtime lock: {different}"
    import re

    for path in (REPO / "requirements.lock", REPO / "requirements-test.lock"):
        text = path.read_text()
        pins = re.findall(r"^[A-Za-z0-9_.\-]+==\S+", text, flags=re.M)
        hashed = re.findall(r"^[A-Za-z0-9_.\-]+==\S+(?: ; [^\\\n]+)? \\\n\s+--hash=sha256:", text, flags=re.M)
        assert pins and len(hashed) == len(pins), f"{path.name}: a pin without hashes (pip --require-hashes fails)"


def test_ci_and_make_test_install_from_the_lock():
    """.ci/run -> make test -> the venv from requirements-test.lock (hash-checked), deskbot itself without deps;
    a changed lock file rebuilds the venv. And the venv these tests run in holds exactly the locked versions."""
    import re

    from packaging.markers import Marker

    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M), ".ci/run must run `make test`"
    make = (REPO / "Makefile").read_text()
    target = re.search(r"^\$\(BIN\)/deskbot: (.*)\n((?:\t.*\n)+)", make, flags=re.M)
    assert target and "requirements-test.lock" in target[1].split(), "a changed lock must rebuild the venv"
    recipe = target[2]
    assert "--require-hashes -r requirements-test.lock" in recipe and "--no-deps" in recipe
    assert re.search(r"^test: install$", make, flags=re.M) and re.search(r"^install: \$\(BIN\)/deskbot$", make, flags=re.M)
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve():
        pytest.skip("not running in the checkout's .venv (made by make from the lock)")
    from importlib.metadata import PackageNotFoundError, version

    off = []
    for name, pinned, marker in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)(?: ; ([^\\\n]+))?",
                                           (REPO / "requirements-test.lock").read_text(), flags=re.M):
        if marker and not Marker(marker).evaluate():
            continue
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            off.append((name, pinned, installed))
    assert off == [], f"the venv differs from requirements-test.lock (run `make clean install`): {off}"
