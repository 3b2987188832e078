#!/usr/bin/env python3
"""Build the double-click app for the platform this runs on, and optionally pack it for download.

    python -m pip install -e ".[freeze]"      # mp4fix, its dependencies (Qt, ffmpeg) and PyInstaller
    python packaging/build.py                  # -> packaging/dist/mp4fix/ (and mp4fix.app on macOS)
    python packaging/build.py --archive        # ... and the download next to it:
        Windows  packaging/dist/mp4fix-<version>-windows-x64.zip        (unzip, double-click mp4fix-gui.exe)
        macOS    packaging/dist/mp4fix-<version>-macos-arm64.dmg / .zip (drag mp4fix.app to Applications)
        Linux    packaging/dist/mp4fix-<version>-linux-x86_64.tar.gz    (unpack, run mp4fix-gui)

Everything the spec needs comes from the Python environment it runs in: mp4fix's sources from this
checkout, Qt from PySide6-Essentials, ffmpeg from the imageio-ffmpeg wheel. The release workflows
(.github/workflows/desktop-app.yml) run exactly this script, and tests/test_packaging.py too.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "mp4fix.spec"
DEFAULT_DIST = HERE / "dist"
DEFAULT_WORK = HERE / "build"
APP_NAME = "mp4fix"


def version() -> str:
    text = (ROOT / "src" / "mp4fix" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def platform_tag() -> str:
    """``windows-x64``, ``macos-arm64``, ``macos-x86_64``, ``linux-x86_64``... for the archive names."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    if sys.platform == "win32":
        return "windows-" + ("x64" if machine == "x86_64" else machine)
    if sys.platform == "darwin":
        return "macos-" + machine
    return f"{sys.platform.rstrip('0123456789')}-{machine}"


def executables(dist: Path | str) -> dict[str, Path]:
    """Where the two programs are in a built ``dist`` folder: {"cli": path, "gui": path}.

    On macOS the ones inside ``mp4fix.app`` (what users get); elsewhere the one-folder app.
    """
    dist = Path(dist)
    if sys.platform == "darwin":
        base = dist / f"{APP_NAME}.app" / "Contents" / "MacOS"
    else:
        base = dist / APP_NAME
    ext = ".exe" if sys.platform == "win32" else ""
    return {"cli": base / f"mp4fix{ext}", "gui": base / f"mp4fix-gui{ext}"}


def run_pyinstaller(dist: Path, work: Path, *, clean: bool = False, log: Path | None = None) -> None:
    try:
        import PyInstaller  # noqa: F401, PLC0415
    except ImportError:
        raise SystemExit("PyInstaller is not installed: python -m pip install -e \".[freeze]\"") from None
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    if clean:
        cmd.insert(3, "--clean")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    if log is None:
        subprocess.run(cmd, check=True, cwd=ROOT, env=env)
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-60:])
        raise RuntimeError(f"PyInstaller failed (exit {proc.returncode}); the end of {log}:\n{tail}")


def build(dist: Path | str = DEFAULT_DIST, work: Path | str = DEFAULT_WORK, *, clean: bool = False,
          log: Path | None = None) -> dict[str, Path]:
    """Build the app into ``dist`` (replacing what is there); returns ``executables(dist)``."""
    dist, work = Path(dist).resolve(), Path(work).resolve()
    for old in (dist / APP_NAME, dist / f"{APP_NAME}.app"):
        if old.exists():
            shutil.rmtree(old)
    run_pyinstaller(dist, work, clean=clean, log=log)
    exes = executables(dist)
    missing = [str(p) for p in exes.values() if not p.is_file()]
    if missing:
        raise RuntimeError(f"the build finished but these are missing: {', '.join(missing)}")
    return exes


# --- the downloads -------------------------------------------------------------------------------


def _zip_folder(folder: Path, archive: Path) -> Path:
    """A zip whose top level is ``folder``'s name (Windows: unzip, open the folder, double-click)."""
    archive.unlink(missing_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(folder.rglob("*")):
            arc = path.relative_to(folder.parent).as_posix()
            if path.is_symlink() or path.is_file():
                zf.write(path, arc)
            elif path.is_dir():
                zf.write(path, arc + "/")
    return archive


def _tar_folder(folder: Path, archive: Path) -> Path:
    archive.unlink(missing_ok=True)
    with tarfile.open(archive, "w:gz", compresslevel=6) as tf:
        tf.add(folder, arcname=folder.name)  # keeps the executable bits and symlinks
    return archive


def _mac_archives(dist: Path, stem: str) -> list[Path]:
    app = dist / f"{APP_NAME}.app"
    zip_path = dist / f"{stem}.zip"
    dmg_path = dist / f"{stem}.dmg"
    zip_path.unlink(missing_ok=True)
    dmg_path.unlink(missing_ok=True)
    # ditto keeps the bundle's symlinks, permissions and signature, which a plain zip loses.
    subprocess.run(["ditto", "-c", "-k", "--sequesterRsrc", "--keepParent", str(app), str(zip_path)], check=True)
    staging = dist / "dmg"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    subprocess.run(["ditto", str(app), str(staging / app.name)], check=True)
    (staging / "Applications").symlink_to("/Applications")  # drag the app onto it
    for attempt in range(3):  # hdiutil is known to fail now and then with "Resource busy"
        proc = subprocess.run(["hdiutil", "create", "-volname", "mp4fix", "-srcfolder", str(staging),
                               "-fs", "HFS+", "-format", "UDZO", "-ov", str(dmg_path)])
        if proc.returncode == 0:
            break
        time.sleep(5 * (attempt + 1))
    else:
        raise RuntimeError("hdiutil could not create the .dmg")
    shutil.rmtree(staging)
    return [dmg_path, zip_path]


def archive(dist: Path | str = DEFAULT_DIST) -> list[Path]:
    """Pack the built app for download; returns the archive paths (see the module docstring)."""
    dist = Path(dist).resolve()
    stem = f"{APP_NAME}-{version()}-{platform_tag()}"
    if sys.platform == "darwin":
        return _mac_archives(dist, stem)
    if sys.platform == "win32":
        return [_zip_folder(dist / APP_NAME, dist / f"{stem}.zip")]
    return [_tar_folder(dist / APP_NAME, dist / f"{stem}.tar.gz")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=DEFAULT_DIST, help=f"output folder (default {DEFAULT_DIST})")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="PyInstaller's work folder")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    parser.add_argument("--archive", action="store_true", help="also make the download (.zip, .dmg, .tar.gz)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    exes = build(args.dist, args.work, clean=args.clean)
    print(f"built in {time.monotonic() - started:.0f} s:")
    for path in exes.values():
        print(f"  {path}")
    if args.archive:
        for path in archive(args.dist):
            print(f"  {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
