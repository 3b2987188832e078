"""Packaging: the double-click app (PyInstaller), the wheel and sdist, the icons and the release workflows.

Fast checks run the spec file with stand-ins for PyInstaller's build steps as Windows, macOS and Linux
would, read the icons back, and compare pyproject.toml with the source tree. The slow ones
(``-m slow``) build for real and use what they built:

* ``test_frozen_app_version_repair_and_gui``: ``packaging/build.py`` makes the one-folder app (40-110 s on
  2 cores, depending on the load), then cached by a hash of everything that goes in, under ``$MP4FIX_BUILD_CACHE`` or
  ``build`` in the suite's cache folder, see tests/suite_cache.py); the frozen ``mp4fix`` prints its version and repairs a fixture, the frozen
  ``mp4fix-gui`` starts offscreen, reports what it found and quits. With ``MP4FIX_FROZEN_DIST=<dist
  folder>`` the tests check that build instead (the release workflows build first, then run them).
* ``test_wheel_*``: ``python -m build`` makes the sdist and a wheel from it; the wheel goes into a fresh
  venv (pip's cache makes that quick) and repairs a fixture there, and its GUI finds icons and translations.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.util
import json
import os
import plistlib
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
SRC = ROOT / "src"
RESOURCES = ROOT / "resources"
WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str, path: Path):
    """A script of packaging/ as a module, under a name that shadows nothing (PyPA's ``build``...)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


app_build = _load("mp4fix_packaging_build", PACKAGING / "build.py")
make_icons = _load("mp4fix_packaging_make_icons", PACKAGING / "make_icons.py")

from mp4fix import __version__  # noqa: E402

IS_WIN = sys.platform == "win32"
BUILD_TIMEOUT = 1800  # s; PyInstaller on a busy 2-core machine
RUN_TIMEOUT = 300


def _tomllib():
    try:
        import tomllib  # noqa: PLC0415
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib


def _pyproject() -> dict:
    return _tomllib().loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# --- icons ---------------------------------------------------------------------------------------


def test_icons_ico_and_icns_are_made_from_the_png_sizes(tmp_path):
    paths = make_icons.make_icons(tmp_path)
    ico = make_icons.read_ico(paths["ico"].read_bytes())
    assert [s for s, _ in ico] == list(make_icons.ICO_SIZES)
    for size, png in ico:
        assert make_icons.png_size(png) == (size, size)
        assert png == (RESOURCES / "icons" / "png" / f"mp4fix-{size}.png").read_bytes()
    icns = dict(make_icons.read_icns(paths["icns"].read_bytes()))
    expected = {kind.decode(): size for kind, size in make_icons.ICNS_TYPES}
    for kind, size in expected.items():
        if kind == "ic10" and kind not in icns:  # 1024 px needs Qt to render the SVG
            continue
        assert make_icons.png_size(icns[kind]) == (size, size), kind
    assert set(icns) <= set(expected)


def test_icons_missing_sizes_are_rendered_from_the_svg(tmp_path):
    pytest.importorskip("PySide6.QtSvg")
    pngs = make_icons.load_pngs([1024], png_dir=tmp_path)  # nothing there: rendered
    assert make_icons.png_size(pngs[1024]) == (1024, 1024)
    with pytest.raises(ValueError):
        make_icons.read_icns(b"icns\x00\x00\x00\x10ic07\x00\x00\x00\x20")  # element longer than the file


# --- the spec, run as each platform would ------------------------------------------------------------


class _Recorder:
    """Stand-ins for PyInstaller's Analysis/PYZ/EXE/COLLECT/BUNDLE that remember their arguments."""

    def __init__(self):
        self.calls: dict[str, list] = {}

    def _make(self, kind):
        recorder = self

        class Step:
            def __init__(self, *args, **kwargs):
                self.args, self.kwargs = args, kwargs
                recorder.calls.setdefault(kind, []).append(self)
                if kind == "Analysis":
                    scripts = [Path(s).stem for s in args[0]]
                    self.scripts = [("pyi_rth_inspect", "/x/pyi_rth_inspect.py", "PYSOURCE")]
                    self.scripts += [(s, f"/x/{s}.py", "PYSOURCE") for s in scripts]
                    self.binaries, self.datas, self.pure = [], [], []

        Step.__name__ = kind
        return Step

    def namespace(self, work: Path) -> dict:
        ns = {k: self._make(k) for k in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
        ns.update(SPECPATH=str(PACKAGING), workpath=str(work), DISTPATH=str(work / "dist"), __name__="__main__",
                  __file__=str(PACKAGING / "mp4fix.spec"))
        return ns


def _run_spec(platform: str, tmp_path: Path, monkeypatch) -> _Recorder:
    pytest.importorskip("PyInstaller")
    import PyInstaller.utils.hooks as hooks  # noqa: PLC0415

    monkeypatch.setattr(hooks, "collect_submodules", lambda name: [f"{name}.cli", f"{name}.codecs.avc"])
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec puts packaging/ on it
    monkeypatch.setitem(sys.modules, "make_icons", make_icons)  # the spec's `import make_icons`
    rec = _Recorder()
    code = compile((PACKAGING / "mp4fix.spec").read_text(encoding="utf-8"), "mp4fix.spec", "exec")
    exec(code, rec.namespace(tmp_path))  # noqa: S102 - our own spec file
    return rec


@pytest.mark.parametrize("platform", ["win32", "darwin", "linux"])
def test_spec_builds_two_programs_in_one_folder(platform, tmp_path, monkeypatch):
    rec = _run_spec(platform, tmp_path, monkeypatch)
    (analysis,) = rec.calls["Analysis"]
    exes = {e.kwargs["name"]: e for e in rec.calls["EXE"]}
    assert set(exes) == {"mp4fix", "mp4fix-gui"}
    assert exes["mp4fix-gui"].kwargs["console"] is False and exes["mp4fix"].kwargs["console"] is True
    assert [s[0] for s in exes["mp4fix-gui"].args[1]] == ["pyi_rth_inspect", "entry_gui"]
    assert [s[0] for s in exes["mp4fix"].args[1]] == ["pyi_rth_inspect", "entry_cli"]
    for exe in exes.values():
        assert exe.kwargs["exclude_binaries"] is True  # one folder, not one file
        assert exe.kwargs["argv_emulation"] is False
    (coll,) = rec.calls["COLLECT"]
    assert coll.kwargs["name"] == "mp4fix" and coll.args[-1] is analysis.datas

    # Icons, translations and the package data, where the GUI's loader and importlib.resources look.
    dests = {}
    for src, dest in analysis.kwargs["datas"]:
        dests.setdefault(dest, []).extend(Path(p).name for p in Path(src).parent.glob(Path(src).name))
    assert "mp4fix.svg" in dests["mp4fix/resources/icons"]
    assert "mp4fix-256.png" in dests["mp4fix/resources/icons/png"]
    assert "mp4fix_ja.qm" in dests["mp4fix/resources/i18n"]
    assert "mp4fix_ja.po" in dests["mp4fix/resources/i18n"]  # mp4fix.i18n.catalogue_dir() looks there
    assert "aac_tables.json" in dests["mp4fix/data"]
    # ffmpeg from the imageio-ffmpeg wheel, where mp4fix.fftools looks in a frozen app.
    ((dest, src, typecode),) = analysis.binaries
    assert dest.startswith("imageio_ffmpeg/binaries/ffmpeg") and typecode == "BINARY" and Path(src).is_file()
    assert "imageio_ffmpeg" in analysis.kwargs["excludes"]
    assert ("PySide6.QtDBus" in analysis.kwargs["excludes"]) == (platform != "linux")

    icon = exes["mp4fix-gui"].kwargs["icon"]
    if platform == "win32":
        assert icon.endswith(".ico") and make_icons.read_ico(Path(icon).read_bytes())
        assert "BUNDLE" not in rec.calls
    elif platform == "darwin":
        assert icon.endswith(".icns") and make_icons.read_icns(Path(icon).read_bytes())
    else:
        assert icon is None and "BUNDLE" not in rec.calls


def test_spec_macos_app_opens_dropped_videos(tmp_path, monkeypatch):
    rec = _run_spec("darwin", tmp_path, monkeypatch)
    (bundle,) = rec.calls["BUNDLE"]
    assert bundle.args == tuple(rec.calls["COLLECT"])
    kw = bundle.kwargs
    assert kw["name"] == "mp4fix.app" and kw["version"] == __version__
    assert {k for k, _ in make_icons.read_icns(Path(kw["icon"]).read_bytes())} >= {"ic07", "ic08", "ic09", "ic13"}
    plist = plistlib.loads(plistlib.dumps(kw["info_plist"]))  # serialisable as PyInstaller will write it
    assert plist["CFBundleExecutable"] == "mp4fix-gui"  # the app, not the command line beside it
    assert plist["LSBackgroundOnly"] is False and plist["NSHighResolutionCapable"] is True
    assert plist["CFBundleShortVersionString"] == __version__
    extensions = {e for doc in plist["CFBundleDocumentTypes"] for e in doc["CFBundleTypeExtensions"]}
    assert extensions >= {"mp4", "mov", "m4v", "m4a", "3gp"}
    utis = {u for doc in plist["CFBundleDocumentTypes"] for u in doc["LSItemContentTypes"]}
    assert utis >= {"public.mpeg-4", "com.apple.quicktime-movie", "com.apple.m4v-video", "public.3gpp"}
    for doc in plist["CFBundleDocumentTypes"]:
        assert doc["CFBundleTypeRole"] == "Viewer" and doc["LSHandlerRank"] == "Alternate"


def test_build_script_names_the_downloads(monkeypatch):
    assert app_build.version() == __version__
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(app_build.platform, "machine", lambda: "AMD64")
    assert app_build.platform_tag() == "windows-x64"
    assert app_build.executables("d")["gui"] == Path("d/mp4fix/mp4fix-gui.exe")
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(app_build.platform, "machine", lambda: "arm64")
    assert app_build.platform_tag() == "macos-arm64"
    assert app_build.executables("d")["cli"] == Path("d/mp4fix.app/Contents/MacOS/mp4fix")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(app_build.platform, "machine", lambda: "x86_64")
    assert app_build.platform_tag() == "linux-x86_64"


# --- pyproject / sdist / wheel configuration --------------------------------------------------------


def test_pyproject_lists_every_package_and_resource_folder():
    tool = _pyproject()["tool"]["setuptools"]
    listed = set(tool["packages"])
    assert tool["package-dir"] == {"": "src", "mp4fix.resources": "resources"}
    on_disk = set()
    for d in (SRC / "mp4fix").rglob("*"):
        if d.is_dir() and d.name != "__pycache__" and any(f.is_file() and not f.name.endswith(".pyc")
                                                          for f in d.iterdir()):
            on_disk.add(".".join(d.relative_to(SRC).parts))
    on_disk.add("mp4fix")
    missing = sorted(on_disk - listed)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml, or they miss the wheel"
    data = tool["package-data"]
    for folder, pkg in (("icons", "mp4fix.resources.icons"), ("icons/png", "mp4fix.resources.icons.png"),
                        ("i18n", "mp4fix.resources.i18n")):
        assert pkg in listed and data.get(pkg), pkg


def test_pyproject_declares_both_commands_and_their_dependencies():
    project = _pyproject()["project"]
    assert project["scripts"] == {"mp4fix": "mp4fix.cli:main"}
    assert project["gui-scripts"] == {"mp4fix-gui": "mp4fix.gui.app:main"}
    deps = {re.split(r"[<>=!~; \[]", d)[0].lower(): d for d in project["dependencies"]}
    assert {"construct", "numpy", "ffmpeg-python", "imageio-ffmpeg", "pyside6-essentials"} <= set(deps)
    assert "!=6.12.0" in deps["pyside6-essentials"]
    for extra in ("gui", "freeze", "test"):
        assert extra in project["optional-dependencies"]
    assert any(d.startswith("pyinstaller") for d in project["optional-dependencies"]["freeze"])


# --- the release workflows ------------------------------------------------------------------------


def _workflow(name: str) -> tuple[str, dict | None]:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    try:
        import yaml  # noqa: PLC0415
    except ImportError:
        return text, None
    return text, yaml.safe_load(text)


def test_desktop_workflow_builds_tests_and_uploads_every_platform():
    text, wf = _workflow("desktop-app.yml")
    assert "python packaging/build.py --archive" in text
    assert "MP4FIX_FROZEN_DIST" in text and "tests/test_packaging.py" in text
    for runner in ("windows-latest", "macos-latest", "macos-15-intel", "ubuntu-latest"):
        assert runner in text
    for pattern in ("*.zip", "*.dmg", "*.tar.gz"):
        assert pattern in text
    assert "actions/upload-artifact@v4" in text and "softprops/action-gh-release@v2" in text
    if wf is None:
        return
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "v*" in triggers["push"]["tags"]
    build = wf["jobs"]["build"]
    runs = " ".join(step.get("run", "") for step in build["steps"])
    assert '".[test]"' in runs or "'.[test]'" in runs
    uses = [step.get("uses", "") for step in build["steps"]]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    release = wf["jobs"]["release"]
    assert release["needs"] == "build" and "refs/tags/" in release["if"]
    assert wf["permissions"]["contents"] in ("read", "write")
    assert release["permissions"]["contents"] == "write"


def test_python_package_workflow_builds_checks_and_publishes():
    text, wf = _workflow("python-package.yml")
    assert "python -m build" in text and "twine check" in text
    assert "pypa/gh-action-pypi-publish" in text and "id-token: write" in text
    assert "tests/test_packaging.py" in text
    if wf is not None:
        assert set(wf["jobs"]) >= {"build", "publish"}


def test_tests_workflow_runs_the_readme_test_command_on_three_systems_for_every_push():
    text, wf = _workflow("tests.yml")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = ci_run.strip().splitlines()[-1]
    assert command in readme, "the README's test command and .ci/run differ"
    assert "bash .ci/run" in text
    for runner in ("ubuntu-latest", "windows-latest", "macos-latest"):
        assert runner in text
    if wf is None:
        return
    triggers = wf.get("on", wf.get(True))
    assert "push" in triggers and not (triggers["push"] or {}).get("branches"), "every push, every branch"
    job = wf["jobs"]["test"]
    assert job["strategy"]["fail-fast"] is False
    assert set(job["strategy"]["matrix"]["os"]) == {"ubuntu-latest", "windows-latest", "macos-latest"}
    assert job["env"]["CI"] == "true" and job["timeout-minutes"] <= 30


# --- building for real: a cache shared by the xdist workers --------------------------------------


def _hash_tree(h, paths) -> None:
    for base in paths:
        base = Path(base)
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for f in files:
            if "__pycache__" in f.parts or f.suffix == ".pyc" or ".egg-info" in str(f):
                continue
            if base.name == "packaging" and f.relative_to(base).parts[0] in ("build", "dist"):
                continue
            h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")


def _versions(*dists: str) -> str:
    out = []
    for d in dists:
        try:
            out.append(f"{d}={metadata.version(d)}")
        except metadata.PackageNotFoundError:
            out.append(f"{d}=none")
    return " ".join(out)


def _cache_root() -> Path:
    import suite_cache  # noqa: PLC0415 - tests/suite_cache.py: the suite's one cache folder

    return suite_cache.build_dir()


@contextlib.contextmanager
def _file_lock(path: Path):
    """An exclusive lock between processes (the xdist workers, or several checkouts on one machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        if IS_WIN:
            import msvcrt  # noqa: PLC0415

            while True:
                try:
                    fh.seek(0)
                    msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.5)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl  # noqa: PLC0415

            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _cached_build(kind: str, key: str, make, keep: int = 2) -> Path:
    """``make(folder)`` once per key; later calls (other workers, later runs) get the same folder."""
    root = _cache_root()
    final = root / f"{kind}-{key}"
    with _file_lock(root / f"{kind}.lock"):
        if (final / "done").is_file():
            os.utime(final)
            return final
        tmp = root / f"{kind}-{key}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        tmp.mkdir(parents=True)
        started = time.monotonic()
        make(tmp)
        (tmp / "done").write_text(f"{time.monotonic() - started:.1f} s\n", encoding="utf-8")
        tmp.rename(final)
        old = sorted((p for p in root.glob(f"{kind}-*") if p.is_dir() and p != final),
                     key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[keep - 1:]:
            shutil.rmtree(stale, ignore_errors=True)
        return final


def _clean_env(**extra: str) -> dict[str, str]:
    """An environment without this checkout, other Pythons or ffmpeg settings, in English; PATH holds only the
    system's folders (which may have an ffmpeg: ``_hide_system_ffmpeg`` hides it)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MP4FIX_FFMPEG", "IMAGEIO_FFMPEG_EXE",
                        "MP4FIX_PREFER_SYSTEM_FFMPEG", "PYTHONSTARTUP", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = "C.UTF-8"  # the checks read English output, whatever this machine's language
    if IS_WIN:
        system_root = os.environ.get("SystemRoot", r"C:\Windows")
        env["PATH"] = os.pathsep.join([system_root + r"\System32", system_root])
    else:
        env["PATH"] = "/usr/bin:/bin"
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


def _hide_system_ffmpeg(env: dict[str, str], folder: Path) -> Path:
    """Put stand-ins named ``ffmpeg`` and ``ffprobe`` first on ``env``'s PATH, so that a system ffmpeg (Debian's
    in /usr/bin) cannot be found by name: each one writes a marker file and fails. Returns the marker."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "system-ffmpeg-was-run"
    for name in ("ffmpeg", "ffprobe"):
        stand_in = folder / name
        stand_in.write_text(f'#!/bin/sh\necho "$0 $*" >> "{marker}"\nexit 1\n', encoding="utf-8")
        stand_in.chmod(0o755)
    env["PATH"] = os.pathsep.join([str(folder), env["PATH"]])
    return marker


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("timeout", RUN_TIMEOUT)
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, encoding="utf-8",
                          errors="replace", **kw)


@functools.lru_cache(maxsize=1)
def _checkout_codecs() -> list[str]:
    """The fourccs this checkout's codec modules register, from a fresh interpreter (tests in this process
    may have registered stand-ins)."""
    code = "import json; from mp4fix.codecs import supported_fourccs; print(json.dumps(supported_fourccs()))"
    res = _run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(SRC)}, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _check_smoke_report(report_path: Path, inside: Path, *, frozen: bool) -> dict:
    """What entry_gui.py's MP4FIX_SMOKE_REPORT says, checked against this checkout."""
    info = json.loads(report_path.read_text(encoding="utf-8"))
    assert "error" not in info, info.get("error")
    assert info["version"] == __version__ and info["frozen"] is frozen
    assert info["windows"], "no window was shown"
    inside = inside.resolve()
    resource_dir = Path(info["resource_dir"]).resolve()
    assert resource_dir.is_relative_to(inside), (resource_dir, inside)
    assert resource_dir.parts[-2:] == ("mp4fix", "resources")
    assert {16, 32, 256, 512} <= set(info["icon_sizes"]) and info["tinted_icon_ok"]
    assert info["mp4fix_ja"], "the Japanese translation is missing"
    assert info["qtbase_ja"], "Qt's own Japanese strings (standard buttons) are missing"
    assert info["codecs"] == _checkout_codecs(), "codec modules are missing"
    assert info["ffmpeg_version"].startswith("ffmpeg version")
    return info


def _speaks_japanese(mp4fix_cmd: list, cwd: Path, env: dict) -> None:
    """The installed command finds the engine's catalogue (mp4fix_ja.po) and uses it."""
    res = _run([*mp4fix_cmd, "--lang", "ja", "repair", cwd / "missing.mp4", "--ref", cwd / "missing.mp4"], cwd=cwd,
               env=env)
    assert res.returncode == 2 and "参照ファイル" not in res.stdout, res
    assert f"ファイル {cwd / 'missing.mp4'} はありません。" in res.stderr, res.stderr


def _repair_fixture(mp4fix_cmd: list, fixture_path, broken_file, cwd: Path, env: dict) -> Path:
    ref = fixture_path("avc_nobf_aac44m_ref")
    broken, _ = broken_file("avc_nobf_aac44m", "mdat60")
    res = _run([*mp4fix_cmd, "repair", broken, "--ref", ref], cwd=cwd, env=env)
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    fixed = broken.with_name(broken.stem + "_fixed.mp4")
    assert fixed.is_file() and fixed.stat().st_size > broken.stat().st_size // 2
    assert "result: complete" in res.stdout
    return fixed


# --- the frozen app ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def frozen_dist() -> Path:
    """The built app's dist folder: $MP4FIX_FROZEN_DIST, or built once per source hash and cached."""
    given = os.environ.get("MP4FIX_FROZEN_DIST")
    if given:
        return Path(given).resolve()
    pytest.importorskip("PyInstaller", reason="the frozen-app tests need PyInstaller (pip install -e '.[test]')")
    h = hashlib.sha256()
    h.update(f"{sys.version} {sys.platform} {app_build.platform_tag()} ".encode())
    h.update(_versions("pyinstaller", "pyinstaller-hooks-contrib", "PySide6-Essentials", "imageio-ffmpeg",
                       "numpy", "construct", "ffmpeg-python").encode())
    _hash_tree(h, [SRC / "mp4fix", RESOURCES / "icons", RESOURCES / "i18n", PACKAGING])

    def make(folder: Path) -> None:
        app_build.build(folder / "dist", folder / "work", log=folder / "pyinstaller.log")
        shutil.rmtree(folder / "work", ignore_errors=True)

    return _cached_build("frozen", h.hexdigest()[:16], make) / "dist"


@pytest.mark.slow
def test_frozen_app_version_repair_and_gui(frozen_dist, fixture_path, broken_file, tmp_path):
    """One test, so that one xdist worker builds while the other goes on with the rest of the suite."""
    exes = app_build.executables(frozen_dist)
    app_root = exes["gui"].parents[2] if sys.platform == "darwin" else exes["gui"].parent
    env = _clean_env()

    # 1. the command line runs
    res = _run([exes["cli"], "--version"], cwd=tmp_path, env=env)
    assert res.returncode == 0 and res.stdout.strip() == f"mp4fix {__version__}", res

    # 2. and repairs with the bundled ffmpeg: any ffmpeg found by name on PATH (a system one, e.g. Debian's in
    # /usr/bin) is hidden behind a stand-in that fails and leaves a marker
    if not IS_WIN:
        marker = _hide_system_ffmpeg(env, tmp_path / "hidden-bin")
        assert Path(shutil.which("ffmpeg", path=env["PATH"])).parent == tmp_path / "hidden-bin"
    _repair_fixture([exes["cli"]], fixture_path, broken_file, tmp_path, env)
    _speaks_japanese([exes["cli"]], tmp_path, env)
    if not IS_WIN:
        assert not marker.exists(), marker.read_text()

    # 3. the app starts offscreen, finds its icons, translations, ffmpeg and codecs, and quits
    report = tmp_path / "smoke.json"
    res = _run([exes["gui"]], cwd=tmp_path, env={**env, "MP4FIX_SMOKE_REPORT": str(report)}, timeout=120)
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    info = _check_smoke_report(report, app_root, frozen=True)
    assert Path(info["ffmpeg"]).resolve().is_relative_to(app_root.resolve()), "not the bundled ffmpeg"


# --- the sdist and the wheel --------------------------------------------------------------------


_DIST_INPUTS = ("pyproject.toml", "README.md", "MANIFEST.in", "src", "resources", "packaging")


@pytest.fixture(scope="session")
def python_dists() -> dict[str, Path]:
    """The sdist and the wheel built from it by ``python -m build``, from a copy of this checkout
    ($MP4FIX_PYTHON_DISTS: the folder of ones built already, e.g. by the release workflow)."""
    given = os.environ.get("MP4FIX_PYTHON_DISTS")
    if given:
        out = Path(given).resolve()
        return {"wheel": next(out.glob("mp4fix-*.whl")), "sdist": next(out.glob("mp4fix-*.tar.gz"))}
    try:
        metadata.version("build")  # PyPA's build (not packaging/build.py)
    except metadata.PackageNotFoundError:
        pytest.skip("the wheel tests need the build package (pip install -e '.[test]')")
    h = hashlib.sha256(f"{sys.version} {_versions('build', 'setuptools')}".encode())
    _hash_tree(h, [ROOT / p for p in _DIST_INPUTS])

    def make(folder: Path) -> None:
        stage = folder / "checkout"
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
        for name in _DIST_INPUTS:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, stage / name, ignore=ignore)
            else:
                stage.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, stage / name)
        res = _run([sys.executable, "-m", "build", "--outdir", folder / "out", stage], timeout=900)
        assert res.returncode == 0, f"python -m build failed\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
        shutil.rmtree(stage)

    out = _cached_build("dists", h.hexdigest()[:16], make, keep=3) / "out"
    (wheel,) = out.glob("mp4fix-*.whl")
    (sdist,) = out.glob("mp4fix-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.mark.slow
def test_wheel_and_sdist_contents(python_dists):
    with zipfile.ZipFile(python_dists["wheel"]) as zf:
        names = set(zf.namelist())
        dist_info = f"mp4fix-{__version__}.dist-info"
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        meta = zf.read(f"{dist_info}/METADATA").decode()
    for py in (SRC / "mp4fix").rglob("*.py"):
        assert py.relative_to(SRC).as_posix() in names, py
    for f in [*(RESOURCES / "icons").glob("*.svg"), *(RESOURCES / "icons" / "png").glob("*.png"),
              *(RESOURCES / "i18n").glob("*.qm"), *(RESOURCES / "i18n").glob("*.po")]:
        assert "mp4fix/resources/" + f.relative_to(RESOURCES).as_posix() in names, f
    assert "mp4fix/data/aac_tables.json" in names
    assert not [n for n in names if n.startswith(("tests/", "resources/", "packaging/")) or n.endswith(".ts")]
    assert re.search(r"\[console_scripts\]\s*mp4fix = mp4fix\.cli:main", entry_points)
    assert re.search(r"\[gui_scripts\]\s*mp4fix-gui = mp4fix\.gui\.app:main", entry_points)
    requires = [line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    base = [r for r in requires if "extra ==" not in r]
    for dep in ("construct", "numpy", "ffmpeg-python", "imageio-ffmpeg", "pyside6-essentials"):
        assert any(r.lower().startswith(dep) for r in base), (dep, base)
    assert any("!=6.12.0" in r for r in base if r.lower().startswith("pyside6"))
    assert not any(r.lower().startswith("pyinstaller") for r in base)

    with tarfile.open(python_dists["sdist"]) as tf:
        members = {m.split("/", 1)[1] for m in tf.getnames() if "/" in m}
    for needed in ("pyproject.toml", "README.md", "resources/icons/mp4fix.svg", "resources/i18n/mp4fix_ja.qm",
                   "packaging/mp4fix.spec", "packaging/build.py", "src/mp4fix/cli.py"):
        assert needed in members, needed


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_repairs_and_finds_gui_resources(python_dists, fixture_path, broken_file, tmp_path):
    venv = tmp_path / "venv"
    # This pip installs into the new venv (--python), which saves seeding one there: ~15 s on a busy CI.
    outer_pip = tuple(int(x) for x in re.findall(r"\d+", metadata.version("pip"))[:2]) >= (22, 3)
    res = _run([sys.executable, "-m", "venv", *(["--without-pip"] if outer_pip else []), venv])
    assert res.returncode == 0, res.stderr
    bindir = venv / ("Scripts" if IS_WIN else "bin")
    exe = ".exe" if IS_WIN else ""
    python = bindir / f"python{exe}"
    env = _clean_env()
    env["PATH"] = os.pathsep.join([str(bindir), env["PATH"]])
    # The wheel alone: pip fetches its declared dependencies (from pip's cache after the first run).
    pip = [sys.executable, "-m", "pip", "--python", python] if outer_pip else [python, "-m", "pip"]
    res = _run([*pip, "install", "--disable-pip-version-check", "-q", python_dists["wheel"]],
               env={**env, "PATH": os.environ["PATH"]}, cwd=tmp_path, timeout=900)
    assert res.returncode == 0, f"pip install failed\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    assert (bindir / f"mp4fix{exe}").is_file() and (bindir / f"mp4fix-gui{exe}").is_file()

    res = _run([bindir / f"mp4fix{exe}", "--version"], env=env, cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.strip() == f"mp4fix {__version__}", res
    where = _run([python, "-c", "import mp4fix, imageio_ffmpeg; print(mp4fix.__file__)"], env=env, cwd=tmp_path)
    assert Path(where.stdout.strip()).resolve().is_relative_to(venv.resolve()), where  # not this checkout
    _repair_fixture([bindir / f"mp4fix{exe}"], fixture_path, broken_file, tmp_path, env)
    _speaks_japanese([bindir / f"mp4fix{exe}"], tmp_path, env)

    # The installed GUI: the same report as the frozen app's, from the installed package.
    report = tmp_path / "smoke.json"
    res = _run([python, PACKAGING / "entry_gui.py"], env={**env, "MP4FIX_SMOKE_REPORT": str(report)},
               cwd=tmp_path, timeout=120)
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    _check_smoke_report(report, venv, frozen=False)
