"""The wheel ships every package (issue 22, 1): packages are discovered, never listed by hand.

``.ci/check_wheel.py`` builds the wheel and runs approxgen from it; this is its fast part."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


def test_every_directory_of_modules_is_a_discovered_package():
    found = set(find_packages(str(ROOT), include=["approxgen", "approxgen.*"]))
    dirs = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "approxgen").rglob("*.py")
            if "__pycache__" not in p.parts}
    assert dirs <= found, sorted(dirs - found)


def test_packages_are_not_listed_by_hand():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "packages" not in config["tool"]["setuptools"]
    assert config["tool"]["setuptools"]["package-dir"] == {"approxgen.templates": "templates"}
    assert "find_packages" in (ROOT / "setup.py").read_text()
