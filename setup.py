"""Builds carry viewer/ and migrations/ inside the package (segdicom/bundled.py finds them).

The metadata lives in pyproject.toml; this file only adds the copy step, which
setuptools' declarative package-data cannot express (the folders sit beside
service/, not in the package). An editable install needs no copy: the package
then finds them in the checkout.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("viewer", "migrations")
SKIPPED = ("__pycache__", ".pyc", "README.md")


def _bundled_files() -> list[Path]:
    return [
        path
        for name in BUNDLED
        for path in sorted((ROOT / name).rglob("*"))
        if path.is_file() and not any(s in path.parts or path.name.endswith(s) for s in SKIPPED)
    ]


class BuildWithBundled(build_py):
    """build_py, plus viewer/ and migrations/ copied to segdicom/ in the build."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for source in _bundled_files():
            target = Path(self.build_lib, "segdicom", source.relative_to(ROOT))
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildWithBundled})
