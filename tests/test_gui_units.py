"""The desktop app's parts on their own: settings, output names, languages, palettes, the queue model."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QCoreApplication, QLocale, QSettings  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

from mp4fix.errors import OutputError  # noqa: E402
from mp4fix.gui.app import install_translations, pick_language  # noqa: E402
from mp4fix.gui.job import resolve_output  # noqa: E402
from mp4fix.gui.palette import dark_palette, is_dark, light_palette, palette_for  # noqa: E402
from mp4fix.gui.probe import BrokenInfo, expand_paths  # noqa: E402
from mp4fix.gui.queue_model import ProgressRole, QueueModel, Status  # noqa: E402
from mp4fix.gui.resources import APP_ICON_SIZES, app_icon, resource_dir, tinted_icon, translations_dir  # noqa: E402
from mp4fix.gui.settings import (  # noqa: E402
    OVERWRITE_KEEP_BOTH,
    OVERWRITE_REPLACE,
    OVERWRITE_STOP,
    OutputOptions,
    Settings,
    pattern_is_valid,
    pattern_to_format,
)
from mp4fix.gui.text import human_duration, human_size, stream_line  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    return Settings()


@pytest.fixture
def translators(qapp):
    installed = []
    yield installed
    for t in installed:
        qapp.removeTranslator(t)


def test_naming_patterns():
    assert pattern_is_valid("<name>_fixed")
    assert pattern_is_valid("repaired <name>")
    assert not pattern_is_valid("<name>")  # would take the original's name
    assert not pattern_is_valid("fixed")  # every file of a batch would get the same name
    assert not pattern_is_valid("../<name>")
    assert not pattern_is_valid("<name>_fixed ")
    assert pattern_to_format("<name>_fixed") == "{stem}_fixed"
    assert pattern_to_format("{x}<name>").format(stem="a") == "{x}a"


def test_settings_are_stored_and_the_reference_is_remembered_per_folder(settings, tmp_path):
    assert settings.out_dir is None and settings.pattern == "<name>_fixed"
    assert settings.overwrite == OVERWRITE_KEEP_BOTH
    settings.out_dir = tmp_path / "out"
    settings.pattern = "<name> repaired"
    settings.overwrite = OVERWRITE_REPLACE
    settings.pattern = "broken pattern"  # refused: the default stays usable
    ref = tmp_path / "ref.mp4"
    ref.write_bytes(b"x")
    settings.remember_reference(tmp_path / "card", ref)
    settings.sync()
    again = Settings()
    assert again.out_dir == tmp_path / "out"
    assert again.pattern == "<name>_fixed"
    assert again.overwrite == OVERWRITE_REPLACE
    assert again.reference_for(tmp_path / "card") == ref
    assert again.reference_for(tmp_path / "elsewhere") is None
    ref.unlink()
    assert again.reference_for(tmp_path / "card") is None  # gone: not offered any more
    assert list((tmp_path / "settings").rglob("*.ini"))  # the temporary location, not the user's


def test_output_names_and_overwrite_policies(tmp_path):
    broken = tmp_path / "GX010042.MP4"
    broken.write_bytes(b"x")
    out, overwrite = resolve_output(broken, OutputOptions(None, "<name>_fixed", OVERWRITE_KEEP_BOTH))
    assert (out, overwrite) == (tmp_path / "GX010042_fixed.MP4", False)
    out.write_bytes(b"earlier result")
    assert resolve_output(broken, OutputOptions(None, "<name>_fixed", OVERWRITE_KEEP_BOTH))[0] == \
        tmp_path / "GX010042_fixed (2).MP4"
    assert resolve_output(broken, OutputOptions(None, "<name>_fixed", OVERWRITE_REPLACE)) == (out, True)
    with pytest.raises(OutputError, match="already exists"):
        resolve_output(broken, OutputOptions(None, "<name>_fixed", OVERWRITE_STOP))
    # two rows of one batch never get the same name
    assert resolve_output(broken, OutputOptions(None, "<name>_fixed", OVERWRITE_REPLACE), [out])[0] == \
        tmp_path / "GX010042_fixed (2).MP4"
    other = tmp_path / "out"
    assert resolve_output(broken, OutputOptions(other, "<name>_fixed", OVERWRITE_KEEP_BOTH))[0] == \
        other / "GX010042_fixed.MP4"
    with pytest.raises(OutputError):
        resolve_output(broken, OutputOptions(None, "<name>", OVERWRITE_REPLACE))


def test_language_follows_the_system_locale():
    assert pick_language(QLocale("ja_JP")) == "ja"
    assert pick_language(QLocale("en_GB")) == "en"
    assert pick_language(QLocale("de_DE")) == "en"


def test_japanese_translation(qapp, translators):
    assert (translations_dir() / "mp4fix_ja.qm").is_file() and (translations_dir() / "mp4fix_ja.ts").is_file()
    translators += install_translations(qapp, "ja")
    assert QCoreApplication.translate("MainWindow", "Repair unfinished recordings") == "途中で終わった録画を修復"
    from mp4fix import i18n  # the words the CLI says too come from the engine, in the same language

    i18n.set_language("ja")
    try:
        assert stream_line("audio", "mp4a", sample_rate=48000, channels=2) == "音声: AAC, 48 kHz, ステレオ"
        assert human_size(999) == "999 バイト"
    finally:
        i18n.set_language("en")
    assert "%1" in QCoreApplication.translate(
        "", "The index (moov) is missing: the recording was not finished. %1 of audio/video data can be recovered.")
    assert QCoreApplication.translate("MainWindow", "Repair %n file(s)", "", 3) == "3 件を修復"

    from mp4fix.gui.main_window import MainWindow

    w = MainWindow(Settings())
    try:
        assert w.heading.text() == "途中で終わった録画を修復"
        assert w.drop_area.title.text() == "壊れた録画をここにドロップ"
        assert w.model.headers()[0] == "ファイル"
    finally:
        w.close()


def test_english_plurals(qapp, translators):
    translators += install_translations(qapp, "en")
    assert QCoreApplication.translate("MainWindow", "Repair %n file(s)", "", 1) == "Repair 1 file"
    assert QCoreApplication.translate("MainWindow", "Repair %n file(s)", "", 4) == "Repair 4 files"


def test_words_for_numbers():
    assert human_size(1_800_000_000) == "1.8 GB"
    assert human_size(532_000_000) == "532 MB"
    assert human_size(999) == "999 bytes"
    assert human_duration(3.4) == "0:03"
    assert human_duration(125) == "2:05"
    assert human_duration(3723) == "1:02:03"
    assert stream_line("video", "h264", 1920, 1080, 29.97) == "Video: H.264, 1920×1080, 29.97 fps"
    assert stream_line("audio", "mp4a", sample_rate=48000, channels=2) == "Audio: AAC, 48 kHz, stereo"


def test_light_and_dark_palettes(qapp):
    assert not is_dark(light_palette())
    assert is_dark(dark_palette())
    assert is_dark(palette_for("dark")) and not is_dark(palette_for("light"))


def test_icons_for_every_density(qapp):
    assert (resource_dir() / "icons" / "mp4fix.svg").is_file()
    icon = app_icon()
    assert not icon.isNull()
    sizes = {s.width() for s in icon.availableSizes()}
    assert set(APP_ICON_SIZES) <= sizes
    assert not tinted_icon("play", "#ffffff").isNull()


def test_folders_expand_to_their_recordings(tmp_path):
    (tmp_path / "DCIM" / "100GOPRO").mkdir(parents=True)
    for name in ("GX01.MP4", "GX02.mov", "notes.txt", ".hidden.mp4"):
        (tmp_path / "DCIM" / "100GOPRO" / name).write_bytes(b"x")
    found = expand_paths([tmp_path / "DCIM"])
    assert [p.name for p in found] == ["GX01.MP4", "GX02.mov"]


def test_queue_model(qtbot, tmp_path):
    model = QueueModel()
    f = tmp_path / "a.mp4"
    f.write_bytes(b"x" * 1500)
    item = model.add(f)
    assert model.add(f) is None  # the same file twice is one row
    assert model.rowCount() == 1 and model.columnCount() == 6
    assert model.index(0, QueueModel.COL_STATUS).data() == "Checking…"
    assert model.index(0, QueueModel.COL_SIZE).data() == "1.5 KB"
    assert model.index(0, QueueModel.COL_PROGRESS).data(ProgressRole) == -1.0
    info = BrokenInfo(f, 1500, "broken", "The index (moov) is missing.", 1400)
    model.update(item.id, status=Status.READY, info=info)
    assert model.index(0, QueueModel.COL_STATUS).data() == "Ready to repair"
    model.update(item.id, status=Status.RUNNING)
    with qtbot.waitSignal(model.dataChanged):
        model.set_progress(item.id, 0.42, "scan")
    assert model.index(0, QueueModel.COL_PROGRESS).data(ProgressRole) == pytest.approx(0.42)
    assert model.index(0, QueueModel.COL_STATUS).data() == "Scanning…"  # a word in the column
    assert model.stage_text("scan") == "Finding audio and video…"  # the sentence in the details panel
    model.update(item.id, status=Status.CANCELLED)
    assert model.index(0, QueueModel.COL_RESULT).data() == "Nothing was written."
    model.remove(item.id)
    assert model.rowCount() == 0


def test_many_qt_calls_do_not_exhaust_none(qapp):
    """PySide6 6.12 on Python < 3.12 drops a reference to None on every void call; the GUI guards it."""
    label = QLabel()
    for _ in range(50_000):  # more than None's usual reference count (~10,000)
        label.setText("x")
    assert label.text() == "x"  # still alive (without the guard the interpreter would have aborted)


# --- Linux: the X11 libraries Qt needs, checked before Qt aborts ------------------------------------------


def _xcb_plugin():
    from mp4fix.gui import system_libs

    qt = system_libs.qt_dir()
    if qt is None or not (qt / system_libs.PLUGIN_FILES[0]).is_file():
        pytest.skip("no Qt xcb plugin in this PySide6 (not Linux)")
    return system_libs, qt


def test_the_xcb_plugin_needs_are_read_from_its_elf_header():
    system_libs, qt = _xcb_plugin()
    needed = system_libs.elf_needed(qt / "plugins" / "platforms" / "libqxcb.so")
    assert {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0", "libxcb.so.1"} <= set(needed)
    assert "libQt6XcbQpa.so.6" in needed
    # every X11/GL library the plugin needs is named by its package, not only by its file name
    system = [s for s in needed + system_libs.elf_needed(qt / "lib" / "libQt6XcbQpa.so.6")
              if not s.startswith(("libQt6", "libc.", "libm.", "libstdc++", "libgcc_s"))]
    assert [s for s in system if s not in system_libs.PACKAGES] == []


def test_missing_x11_libraries_make_one_sentence_with_the_install_commands():
    system_libs, qt = _xcb_plugin()
    absent = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}
    missing = system_libs.missing_libraries(qt, loads=lambda soname: soname not in absent)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]  # each once, though both files need them
    sentence = system_libs.problem(missing)
    assert "\n" not in sentence
    assert '"sudo apt install libxcb-icccm4 libxcb-keysyms1" (Debian, Ubuntu)' in sentence
    assert '"sudo dnf install xcb-util-wm xcb-util-keysyms" (Fedora)' in sentence
    assert system_libs.uses_xcb({"QT_QPA_PLATFORM": "xcb"}) and system_libs.uses_xcb({})
    assert not system_libs.uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not system_libs.uses_xcb({"WAYLAND_DISPLAY": "wayland-0"})


def test_mp4fix_gui_says_which_system_libraries_are_missing_instead_of_aborting(tmp_path):
    """As a user starts it on a Linux desktop that lacks X11 client libraries (this machine, when it does)."""
    import subprocess
    import sys

    system_libs, qt = _xcb_plugin()
    missing = system_libs.missing_libraries(qt)
    if not missing:
        pytest.skip("every library Qt's xcb plugin needs is installed here")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "LANGUAGE",
                                                            "LC_ALL", "LC_MESSAGES")}
    env.update(QT_QPA_PLATFORM="xcb", DISPLAY=":99", LANG="C.UTF-8",
               PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.run([sys.executable, "-m", "mp4fix.gui.app"], capture_output=True, text=True, timeout=120,
                          env=env, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)  # not Qt's abort (134)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mp4fix-gui: The window cannot open"), proc.stderr
    for soname in missing:
        assert soname in lines[0] and system_libs.PACKAGES[soname][0] in lines[0]
    assert "sudo apt install" in lines[0] and "sudo dnf install" in lines[0]
    assert "xcb-cursor0" not in proc.stderr or "libxcb-cursor.so.0" in missing


# --- looking at files: the GUI reads the engine's real results -------------------------------------


def test_a_reference_is_described_from_the_engines_own_fields(fixture_path):
    """The stream lines, size, duration and boxes come from ``diagnose`` and ``fftools.probe`` by their real
    names: a renamed field fails here instead of leaving the reference slot blank."""
    from mp4fix.gui.probe import inspect_reference

    tiny = fixture_path("tiny")  # H.264 160x120 at 25 fps, AAC
    info = inspect_reference(tiny)
    assert info.usable, info.sentence
    assert info.streams[0] == "Video: H.264, 160×120, 25 fps", info.streams
    assert info.streams[1].startswith("Audio: AAC, ") and " kHz" in info.streams[1], info.streams
    assert info.size == tiny.stat().st_size and info.brand and 2.9 < info.duration < 3.2
    assert info.codecs == ("avc1", "mp4a")
    assert "moov" in info.detail and "mdat" in info.detail


def test_a_broken_file_is_described_with_ffmpegs_words(fixture_path, tmp_path):
    from mp4fix.gui.probe import inspect_broken

    whole = fixture_path("tiny").read_bytes()
    moov = whole.find(b"moov") - 4
    mdat = whole.find(b"mdat") - 4
    assert 0 < mdat < moov  # the recorder writes the index last
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[:moov])
    info = inspect_broken(cut)
    assert info.state == "broken" and info.recoverable > 0
    assert human_size(info.recoverable) in info.sentence
    assert "mdat" in info.detail and "moov atom not found" in info.detail


def test_a_bug_in_a_background_call_is_reported_not_swallowed(qtbot, caplog):
    """Only the engine's own errors are sentences for a person; anything else is an internal error that
    carries its traceback (and is logged), instead of passing silently as "nothing to say"."""
    from mp4fix.errors import InputError
    from mp4fix.gui.jobs import InternalError, JobManager

    def engine_bug(path):
        raise AttributeError("'Diagnosis' object has no attribute 'boxs'")

    def bad_input(path):
        raise InputError("x.mp4 is empty (0 bytes): there is nothing to recover.")

    manager = JobManager()
    got = []
    manager.probed.connect(lambda res: got.append((res.key, res.value)))
    with caplog.at_level("ERROR", logger="mp4fix.gui.jobs"):
        manager.call("bug", engine_bug, "x.mp4")
        manager.call("input", bad_input, "x.mp4")
        qtbot.waitUntil(lambda: len(got) == 2, timeout=10_000)
    values = dict(got)
    assert isinstance(values["bug"], InternalError)
    assert "Something unexpected went wrong" in str(values["bug"])
    assert "AttributeError" in values["bug"].log and "boxs" in values["bug"].log
    assert any("engine_bug" in r.getMessage() for r in caplog.records)
    assert isinstance(values["input"], InputError) and "0 bytes" in str(values["input"])
    manager.wait(10_000)
