"""Shared test setup: headless Qt, the source tree on sys.path, and the media factory as fixtures.

Fixtures:
    fixture_path(name) -> Path      a cached, complete recording made by tests/fixtures/make_fixtures.py
    broken_file(name, point) -> (Path, cut offset)   a cut copy in tmp_path (point: cut_points label or int)
    killed_recording(name="live_avc_aac48s", seconds=4.0) -> (Path, seconds recorded)
    tmp_copy(src, name=None) -> Path    a copy in tmp_path (tests never touch cached files)
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
for _p in (str(ROOT / "src"), str(TESTS), str(TESTS / "fixtures")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import pytest  # noqa: E402

import make_fixtures  # noqa: E402


@pytest.fixture(scope="session")
def fixture_path():
    """``fixture_path(name)``: the cached file of a recipe (built on first use). Do not modify it."""
    def get(name: str) -> Path:
        return make_fixtures.build(name)
    return get


@pytest.fixture(scope="session")
def killed_recording():
    """``killed_recording(name, seconds)``: a real-time recording SIGKILLed mid-way (cached)."""
    def get(name: str = "live_avc_aac48s", seconds: float = 4.0) -> tuple[Path, float]:
        return make_fixtures.killed_recording(name, seconds)
    return get


@pytest.fixture
def tmp_copy(tmp_path):
    """``tmp_copy(src, name=None)``: copy ``src`` into this test's tmp_path and return the copy."""
    def copy(src: str | os.PathLike, name: str | None = None) -> Path:
        dst = tmp_path / (name or Path(src).name)
        shutil.copyfile(src, dst)
        return dst
    return copy


@pytest.fixture
def broken_file(tmp_path):
    """``broken_file(name, point='mdat60')``: fixture ``name`` cut at a cut_points label or byte offset."""
    def make(name: str, point: str | int = "mdat60") -> tuple[Path, int]:
        return make_fixtures.broken_copy(name, point, tmp_path)
    return make
