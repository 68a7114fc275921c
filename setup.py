"""Build step that pyproject.toml cannot express: ship the demo world as package data.

The canonical demo world is `config/demo_world.yaml` (the checkout, the Docker image and the docs use
it there); the wheel gets a copy as `bot/data/demo_world.yaml`, so an installed deskbot runs from any
directory. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithWorld(build_py):
    """build_py plus the copy of config/demo_world.yaml into the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds the checkout's config/ directly
        src = HERE / "config" / "demo_world.yaml"
        dst = Path(self.build_lib) / "bot" / "data" / "demo_world.yaml"
        dst.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(src), str(dst))


setup(cmdclass={"build_py": BuildPyWithWorld})
