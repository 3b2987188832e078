#!/usr/bin/env python3
"""The one folder where the test suite keeps what it makes once and reuses (about 450 MB when full).

    <root>/fixtures   recordings made by tests/fixtures/make_fixtures.py   ($MP4FIX_FIXTURE_CACHE overrides)
    <root>/build      the frozen app and the wheel of tests/test_packaging.py ($MP4FIX_BUILD_CACHE overrides)

<root> is ``$MP4FIX_TEST_CACHE``, else ``$XDG_CACHE_HOME/mp4fix-tests``, else ``~/.cache/mp4fix-tests``.
Everything in it is rebuilt on demand, so it can be deleted at any time:

    python tests/suite_cache.py            # where it is and how big
    python tests/suite_cache.py --clear    # delete it (and the folders older versions used)
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

# where versions before this one kept their caches; --clear removes them too
LEGACY = ("mp4fix-fixtures", "mp4fix-build")


def _base() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def root() -> Path:
    env = os.environ.get("MP4FIX_TEST_CACHE")
    return Path(env).expanduser() if env else _base() / "mp4fix-tests"


def fixtures_dir() -> Path:
    env = os.environ.get("MP4FIX_FIXTURE_CACHE")
    return Path(env).expanduser() if env else root() / "fixtures"


def build_dir() -> Path:
    env = os.environ.get("MP4FIX_BUILD_CACHE")
    return Path(env).expanduser() if env else root() / "build"


def folders() -> list[Path]:
    """Every folder the suite may have filled: the current ones and the legacy ones."""
    found = [root(), fixtures_dir(), build_dir(), *(_base() / name for name in LEGACY)]
    return [p for i, p in enumerate(found) if p not in found[:i]]


def size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def clear() -> list[Path]:
    """Delete every cache folder of the suite; returns those that existed."""
    removed = []
    for p in folders():
        if p.exists():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="The test suite's cache: where it is, how big, and clearing it.")
    ap.add_argument("--clear", action="store_true", help="delete it (it is rebuilt when the tests need it)")
    args = ap.parse_args(argv)
    if args.clear:
        for p in clear():
            print(f"removed {p}")
        return 0
    for p in folders():
        if p.exists():
            print(f"{size(p) / 1e6:9.1f} MB  {p}")
        elif p == root():
            print(f"{'(empty)':>12}  {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
