"""Build steps that pyproject.toml cannot express: the demo world and the compiled text catalogues.

The canonical demo world is `config/demo_world.yaml` (the checkout, the Docker image and the docs use
it there); the wheel gets a copy as `bot/data/demo_world.yaml`, so an installed deskbot runs from any
directory. The texts are `bot/locales/<lang>/LC_MESSAGES/deskbot.po`; the wheel gets each compiled to
`.mo` beside it (with Babel, a build requirement). An editable checkout compiles them in memory at
first use (bot/i18n.py). Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def compile_catalogues(build_lib: Path) -> None:
    """Every bot/locales/*/LC_MESSAGES/*.po as .mo into the built package (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted((HERE / "bot" / "locales").glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, abort_invalid=True)
        dst = build_lib / po.relative_to(HERE).with_suffix(".mo")
        dst.parent.mkdir(parents=True, exist_ok=True)
        with dst.open("wb") as f:
            write_mo(f, catalog)


class BuildPyWithWorld(build_py):
    """build_py plus the copy of config/demo_world.yaml and the compiled catalogues into the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds the checkout's config/ and compiles the .po files at run time
        compile_catalogues(Path(self.build_lib))
        src = HERE / "config" / "demo_world.yaml"
        dst = Path(self.build_lib) / "bot" / "data" / "demo_world.yaml"
        dst.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(src), str(dst))


setup(cmdclass={"build_py": BuildPyWithWorld})
