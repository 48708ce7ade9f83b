"""Shared test helpers: external tools are required under CI=true and skipped otherwise."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest

from approxgen import spec as specs
from approxgen.fit import fit


def require_tool(name: str) -> str:
    """Path of tool ``name``; fail under CI=true (CI installs it), else skip when missing."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{name} is required under CI=true but is not installed")
        pytest.skip(f"{name} not installed")
    return path


ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))  # the shipped specs


@functools.lru_cache(maxsize=None)
def shipped_fit(path: Path):
    """The fit of shipped config ``path``, fitted once per test session (fits are frozen, so the
    test files that check every shipped config share them)."""
    return fit(specs.resolve(specs.load_yaml(path), str(path)), progress=False)


def fit_raw(**raw):
    """Fit a raw spec mapping given as keyword arguments (``input={...}`` etc.)."""
    return fit(specs.resolve(raw, "<test>"))


@pytest.fixture
def fit_of():
    return fit_raw
