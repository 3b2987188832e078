"""The desktop app, driven as a person would: real drag-and-drop events, real repairs by the engine.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``). Media are made here with the bundled ffmpeg: small H.264
recordings (with AAC audio when the engine can rebuild AAC), cut in the middle of their mdat so their
index (moov) is missing, and healthy references made with the same settings.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QMimeData, QSettings, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QFileOpenEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mp4fix.gui import desktop  # noqa: E402
from mp4fix.gui.app import FileOpenFilter, create_window  # noqa: E402
from mp4fix.gui.queue_model import Status  # noqa: E402
from mp4fix.gui.settings import Settings  # noqa: E402

REAL_OPEN_FILE, REAL_SHOW_IN_FOLDER = desktop.open_file, desktop.show_in_folder
REPAIR_TIMEOUT = 180_000  # ms; a slow CI machine encodes, repairs and verifies on 2 cores


# --- media ----------------------------------------------------------------------------------------


def _ffmpeg() -> str:
    try:
        from mp4fix.fftools import ffmpeg_exe

        return ffmpeg_exe()
    except Exception:  # noqa: BLE001
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()


def _aac_supported() -> bool:
    try:
        from mp4fix import codecs

        return codecs.matcher_class("mp4a") is not None
    except Exception:  # noqa: BLE001
        return False


def _encode(path: Path, source: str, seconds: float, size: str = "640x360", tone: int | None = 440) -> Path:
    """A healthy recording (moov at the end, as a camera writes it) with fixed encoder settings."""
    ff = _ffmpeg()
    args = [ff, "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", f"{source}=size={size}:rate=30"]
    audio = tone is not None and _aac_supported()
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000"]
    args += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "20", "-pix_fmt", "yuv420p",
             "-g", "30", "-bf", "0"]
    args += ["-c:a", "aac", "-b:a", "96k", "-shortest"] if audio else ["-an"]
    subprocess.run(args + [str(path)], check=True, capture_output=True, timeout=300)
    return path


def _top_boxes(data: bytes):
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        elif size == 0:
            size = len(data) - pos
        yield kind.decode("latin-1"), pos, size, header
        pos += size


def _cut(src: Path, dst: Path, fraction: float) -> Path:
    """The first part of ``src``, cut inside its mdat: a recording whose index was never written."""
    data = src.read_bytes()
    for kind, pos, size, header in _top_boxes(data):
        if kind == "mdat":
            dst.write_bytes(data[:pos + header + int((size - header) * fraction)])
            return dst
    raise AssertionError(f"{src} has no mdat")


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("gui-media")
    src = d / "src"
    src.mkdir()
    m = SimpleNamespace()
    m.reference = _encode(d / "reference.mp4", "mandelbrot", 1.0, tone=660)
    m.broken_a = _cut(_encode(src / "a.mp4", "testsrc2", 4.0), d / "GX010001.MP4", 0.6)
    m.broken_b = _cut(_encode(src / "b.mp4", "testsrc", 5.0, tone=330), d / "GX010002.MP4", 0.7)
    m.big = _cut(_encode(src / "big.mp4", "testsrc2", 60.0), d / "GX010003.MP4", 0.9)
    m.other_settings = _encode(d / "other_camera.mp4", "mandelbrot", 1.0, size="320x240")
    # another codec altogether (MPEG-4 Part 2, no audio): nothing of the broken files can be read with it
    m.other_codec = d / "old_camera.mp4"
    subprocess.run([_ffmpeg(), "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                    "-t", "1", "-c:v", "mpeg4", "-an", str(m.other_codec)], check=True, capture_output=True,
                   timeout=300)
    return m


def _copy(files, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        dst = folder / f.name
        shutil.copy2(f, dst)
        out.append(dst)
    return out


# --- the window -----------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path):
    """QSettings in a temporary folder, never the user's own."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    return Settings()


@pytest.fixture
def window(qtbot, settings, monkeypatch):
    opened = []
    monkeypatch.setattr(desktop, "open_file", lambda p: opened.append(("play", Path(p))) or True)
    monkeypatch.setattr(desktop, "show_in_folder", lambda p: opened.append(("show", Path(p))) or True)
    w = create_window(QApplication.instance(), ["mp4fix-gui"], settings)
    w.opened = opened
    asked = []

    def ask(title, text, yes, no, icon=None, details=""):
        asked.append(text)
        w.asked_details.append(details)
        return w.answer

    w.asked_details = []

    w.answer = True
    w.asked = asked
    told = []
    w.tell = lambda title, text: told.append(text)
    w.told = told
    w.ask = ask
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.manager.cancel_all()
    qtbot.waitUntil(lambda: not w.manager.busy(), timeout=REPAIR_TIMEOUT)
    w.manager.wait(30_000)


def drop(widget, paths) -> bool:
    """Drag ``paths`` from a file manager and drop them on ``widget``: enter, move, drop events."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    target = widget.viewport() if hasattr(widget, "viewport") else widget
    pos = target.rect().center()  # QPoint: the one type every PySide6 6.x accepts for all three events
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    move = QDragMoveEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, move)
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)
    return event.isAccepted()


def statuses(w) -> list[Status]:
    return [it.status for it in w.model.items()]


def wait_checked(qtbot, w, n: int) -> None:
    qtbot.waitUntil(lambda: w.model.rowCount() == n and Status.CHECKING not in statuses(w), timeout=60_000)


def set_reference_by_drop(qtbot, w, path: Path) -> None:
    with qtbot.waitSignal(w.referenceChecked, timeout=60_000):
        assert drop(w.reference_slot, [path])
    qtbot.waitUntil(lambda: w.manager.probes_pending() == 0, timeout=60_000)


def click(qtbot, button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def leftovers(folder: Path, originals) -> set[str]:
    return {p.name for p in folder.iterdir()} - {Path(o).name for o in originals}


# --- tests ----------------------------------------------------------------------------------------


def test_empty_window_invites_a_drop(window):
    assert window.model.rowCount() == 0
    assert window.drop_area.isVisible() and not window.splitter.isVisible()
    assert "Drop broken recordings here" in window.drop_area.title.text()
    assert not window.repair_button.isEnabled()
    assert window.reference_slot.browse.isVisible()


def test_batch_repair_by_drag_and_drop(qtbot, window, media, tmp_path):
    work = tmp_path / "card"
    broken = _copy([media.broken_a, media.broken_b], work)
    reference = _copy([media.reference], tmp_path / "ref")[0]

    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 2)
    assert statuses(window) == [Status.READY, Status.READY]
    for item in window.model.items():
        assert item.info.sentence.startswith("The index (moov) is missing: the recording was not finished.")
        assert "can be recovered" in item.info.sentence
    assert window.splitter.isVisible()

    set_reference_by_drop(qtbot, window, reference)
    info = window.reference_info
    assert info.usable
    assert any(line.startswith("Video: H.264, 640×360, 30 fps") for line in info.streams), info.streams
    assert window.reference_slot.status.text().startswith("✓")
    assert not window.reference_slot.fit.isVisible()  # the engine's plan() found that it fits

    with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
        click(qtbot, window.repair_button)
    assert not window.asked  # no warning: the reference fits

    from mp4fix import fftools

    for item, original in zip(window.model.items(), broken):
        assert item.status is Status.DONE, (item.error, item.log)
        assert item.output == work / (original.stem + "_fixed" + original.suffix)
        assert item.output.is_file()
        report = item.result.report
        assert report.verify is not None and report.verify.ok and report.verify.decode_errors == 0
        assert report.duration > 1.0
        info = fftools.probe(item.output)
        assert info.ok and info.video, info.error
        assert item.result.thumb_first and item.result.thumb_first.startswith(b"\x89PNG")
        assert item.result.thumb_last and item.result.thumb_last.startswith(b"\x89PNG")
        row = window.model.row_of(item.id)
        assert window.model.index(row, 2).data() == "Repaired"
        assert window.model.index(row, 4).data()  # recovered duration
        assert window.model.index(row, 5).data() == item.output.name
    assert sorted(p.name for p in work.iterdir()) == sorted(
        [b.name for b in broken] + [b.stem + "_fixed" + b.suffix for b in broken])
    assert "2 repaired" in window.summary.text()

    # the details of the first row: verification, tracks, thumbnails, play / show in folder
    window.table.selectRow(0)
    details = window.details
    assert "without errors" in details.verify.text()
    assert "Video · H.264" in details.tracks.text()
    assert details.thumb_first.picture.pixmap() is not None and not details.thumb_first.picture.pixmap().isNull()
    assert details.thumbs.isVisible()
    click(qtbot, details.play)
    click(qtbot, details.show_folder)
    first = window.model.items()[0].output
    assert window.opened == [("play", first), ("show", first)]

    # the reference is remembered for the folder
    assert window.settings.reference_for(work) == reference


def test_the_app_learns_the_reference_once_and_decodes_the_trial_once(qtbot, window, media, tmp_path, monkeypatch):
    """Look at the reference, check its fit, repair: the reference's index was read three times and the fit
    check's trial decoded twice (the repair planned again). The real functions run; they are only counted."""
    from mp4fix import fit, reference

    work = tmp_path / "card"
    broken = _copy([media.broken_a], work)
    ref = _copy([media.reference], tmp_path / "ref")[0]
    reads, trials = [], []
    real_read, real_decode = reference._read_profile, fit.decoder_errors
    monkeypatch.setattr(reference, "_read_profile", lambda path: reads.append(Path(path)) or real_read(path))
    monkeypatch.setattr(fit, "decoder_errors", lambda path, *a, **k: trials.append(path) or real_decode(path, *a, **k))

    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 1)
    set_reference_by_drop(qtbot, window, ref)
    assert not window.reference_slot.fit.isVisible() and trials  # it fits: the trial was decoded
    decoded = len(trials)
    with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
        click(qtbot, window.repair_button)
    item = window.model.items()[0]
    assert item.status is Status.DONE, (item.error, item.log)
    assert [p for p in reads if p.name == ref.name] == [ref] and len(trials) == decoded


def test_folder_drop_offers_a_healthy_reference_and_remembers_it(qtbot, window, media, tmp_path, settings):
    card = tmp_path / "DCIM"
    broken = _copy([media.broken_a], card)
    healthy = _copy([media.reference], card)[0]

    assert drop(window.drop_area, [card])  # a folder: the broken file is queued, the healthy one is not
    qtbot.waitUntil(lambda: window.reference_slot.suggestion.isVisible(), timeout=60_000)
    assert [it.path for it in window.model.items()] == broken
    assert healthy.name in window.reference_slot.suggestion_text.text()
    with qtbot.waitSignal(window.referenceChecked, timeout=60_000):
        click(qtbot, window.reference_slot.use_suggestion)
    assert window.reference_info.path == healthy and window.reference_info.usable
    qtbot.waitUntil(lambda: window.manager.probes_pending() == 0, timeout=60_000)
    with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
        click(qtbot, window.repair_button)
    assert statuses(window) == [Status.DONE]

    # another window later: the reference used last time for this folder is filled in by itself
    second = create_window(QApplication.instance(), ["mp4fix-gui"], Settings())
    qtbot.addWidget(second)
    more = _copy([media.broken_b], card)
    with qtbot.waitSignal(second.referenceChecked, timeout=60_000):
        second.add_paths(more)
    assert second.reference_info.path == healthy
    assert "Used last time for this folder." in second.reference_slot.status.text()
    second.manager.wait(30_000)


def test_cancel_one_file_mid_run_leaves_no_partial_output(qtbot, window, media, tmp_path):
    work = tmp_path / "card"
    broken = _copy([media.big], work)
    set_reference_by_drop(qtbot, window, media.reference)
    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.manager.probes_pending() == 0, timeout=60_000)

    item = window.model.items()[0]
    click(qtbot, window.repair_button)
    qtbot.waitUntil(lambda: item.status is Status.RUNNING and item.stage not in ("", "diagnose"),
                    timeout=REPAIR_TIMEOUT)
    window.table.selectRow(0)
    with qtbot.waitSignal(window.rowFinished, timeout=REPAIR_TIMEOUT) as blocker:
        click(qtbot, window.details.cancel)
    assert blocker.args == [item.id, Status.CANCELLED.value]
    assert item.output is None
    assert leftovers(work, broken) == set()  # no output, no temporary file
    assert window.model.index(0, 2).data() == "Cancelled"
    assert "Nothing was written" in window.details.sentence.text()
    assert window.details.retry.isVisible()


def test_cancel_all_stops_the_batch_cleanly(qtbot, window, media, tmp_path):
    work = tmp_path / "card"
    broken = _copy([media.big, media.broken_a, media.broken_b], work)
    set_reference_by_drop(qtbot, window, media.reference)
    assert drop(window.table, broken)  # the queue table takes drops too
    wait_checked(qtbot, window, 3)
    qtbot.waitUntil(lambda: window.manager.probes_pending() == 0, timeout=60_000)
    click(qtbot, window.repair_button)
    assert window.cancel_all_button.isVisible()
    with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
        click(qtbot, window.cancel_all_button)
    for item in window.model.items():
        assert item.status in (Status.CANCELLED, Status.DONE), item.status
        if item.status is Status.CANCELLED:
            assert item.output is None
    done = {it.output.name for it in window.model.items() if it.status is Status.DONE}
    assert leftovers(work, broken) == done  # only complete results, nothing half-written
    assert window.model.items()[0].status is Status.CANCELLED  # the long one was cut short


def test_a_broken_reference_shows_its_sentence(qtbot, window, media, tmp_path):
    broken = _copy([media.broken_a], tmp_path / "card")
    also_broken = _copy([media.broken_b], tmp_path / "ref")[0]
    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 1)
    set_reference_by_drop(qtbot, window, also_broken)
    assert not window.reference_info.usable
    sentence = window.reference_slot.status.text()
    assert "broken too" in sentence and "same camera" in sentence
    assert window.reference_slot.status.isVisible()
    click(qtbot, window.repair_button)
    assert window.told == [window.reference_info.sentence]  # explained, nothing started
    assert statuses(window) == [Status.READY]


def test_a_bug_while_looking_at_files_shows_as_one_and_is_not_swallowed(qtbot, window, media, tmp_path, monkeypatch):
    """A bug in the engine (anything but its own ``Mp4fixError``) while a file or the reference is looked at
    is said to be one, with the traceback in the details; it never passes as "unusable for no reason" or as
    a reference that is checked forever."""
    from mp4fix.gui import probe

    def engine_bug(*args):
        raise KeyError("stsz")

    monkeypatch.setattr(probe, "inspect_broken", engine_bug)
    monkeypatch.setattr(probe, "inspect_reference", engine_bug)
    broken = _copy([media.broken_a], tmp_path / "card")
    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 1)
    item = window.model.items()[0]
    assert item.status is Status.UNUSABLE
    assert item.error.startswith("Something unexpected went wrong") and "KeyError: 'stsz'" in item.log
    set_reference_by_drop(qtbot, window, _copy([media.reference], tmp_path / "ref")[0])
    assert not window.reference_info.usable
    assert "Something unexpected went wrong" in window.reference_slot.status.text()
    assert "KeyError" in window.reference_info.detail


def test_a_reference_that_does_not_fit_warns_once_and_repair_anyway_repairs(qtbot, window, media, tmp_path):
    from mp4fix.errors import Mp4fixError
    from mp4fix.repair import plan

    work = tmp_path / "card"
    broken = _copy([media.broken_a, media.broken_b], work)
    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 2)
    set_reference_by_drop(qtbot, window, media.other_settings)
    with pytest.raises(Mp4fixError) as cli:
        plan(broken[0], media.other_settings)
    expected = str(cli.value)
    slot = window.reference_slot
    qtbot.waitUntil(lambda: slot.fit.isVisible(), timeout=60_000)
    assert slot.fit.text() == expected  # the engine's reason, as the CLI says it
    # one verdict: not a green "it can be used" above a warning that it does not fit
    assert not slot.status.text().startswith("✓") and "can be used" not in slot.status.text()
    assert slot.status.text().startswith("⚠") and "may not fit" in slot.status.text()

    window.answer = False  # "Cancel" in the warning
    click(qtbot, window.repair_button)
    assert len(window.asked) == 1
    question = window.asked[0]
    # one paragraph for the batch: both files named once, one reason, the question; each file's reason in details
    assert broken[0].name in question and broken[1].name in question
    assert question.count("Repair anyway?") == 1 and question.count("does not match") == 1
    assert expected in window.asked_details[0] and broken[1].name + ":" in window.asked_details[0]
    assert statuses(window) == [Status.READY, Status.READY]

    window.answer = True  # "Repair anyway": the engine skips its fit check and writes the files
    with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
        click(qtbot, window.repair_button)
    for item, original in zip(window.model.items(), broken):
        assert item.status in (Status.DONE, Status.DONE_WITH_WARNINGS), (item.error, item.log)
        assert item.output == work / (original.stem + "_fixed" + original.suffix) and item.output.is_file()
        # decoded with the wrong settings: the report says so, it does not claim a clean result
        assert item.status is Status.DONE_WITH_WARNINGS and item.result.report.verify.decode_errors > 0


def test_a_new_reference_makes_refused_rows_ready(qtbot, window, media, tmp_path):
    """A wrong reference makes the batch fail; choosing a good one re-checks the queue: every row is ready
    again, the old error is gone, and Repair repairs them all."""
    work = tmp_path / "card"
    broken = _copy([media.broken_a, media.broken_b], work)
    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 2)
    set_reference_by_drop(qtbot, window, media.other_codec)
    qtbot.waitUntil(lambda: window.reference_slot.fit.isVisible(), timeout=60_000)
    window.answer = True
    with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
        click(qtbot, window.repair_button)
    assert statuses(window) == [Status.FAILED, Status.FAILED]
    assert all(it.error for it in window.model.items())
    assert not window.repair_button.isEnabled()
    assert leftovers(work, broken) == set()

    set_reference_by_drop(qtbot, window, media.reference)
    assert statuses(window) == [Status.READY, Status.READY]
    for row, item in enumerate(window.model.items()):
        assert item.error == "" and item.reason == "" and item.result is None
        assert window.model.index(row, 5).data() == ""  # the old error is gone from the Result column
    window.table.selectRow(0)
    assert window.details.sentence.text() == window.model.items()[0].info.sentence
    assert not window.details.retry.isVisible()
    assert window.repair_button.isEnabled() and "2" in window.repair_button.text()
    window.asked.clear()
    with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
        click(qtbot, window.repair_button)
    assert not window.asked  # this one fits: no warning
    assert statuses(window) == [Status.DONE, Status.DONE]


def test_the_details_follow_the_selected_row_once_it_is_checked(qtbot, window, media, tmp_path):
    broken = _copy([media.broken_a], tmp_path / "card")
    window.add_paths(broken)  # the first row is selected at once, while it is still being checked
    assert window.table.currentIndex().row() == 0
    assert window.details.sentence.text() == "Checking the file…"
    wait_checked(qtbot, window, 1)
    item = window.model.items()[0]
    assert item.status is Status.READY
    assert window.details.sentence.text() == item.info.sentence  # not "Checking the file…" any more
    assert "can be recovered" in window.details.sentence.text()


def test_play_and_show_in_folder_say_so_when_nothing_opens(qtbot, window, media, tmp_path, monkeypatch):
    """With no player or file manager registered (here: Qt's offscreen platform, which opens nothing),
    the buttons explain instead of doing nothing."""
    monkeypatch.setattr(desktop, "open_file", REAL_OPEN_FILE)
    monkeypatch.setattr(desktop, "show_in_folder", REAL_SHOW_IN_FOLDER)
    assert not desktop.open_file(media.reference)  # nothing here can open a video: the real situation
    work = tmp_path / "card"
    broken = _copy([media.broken_a], work)
    set_reference_by_drop(qtbot, window, media.reference)
    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.manager.probes_pending() == 0, timeout=60_000)
    with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
        click(qtbot, window.repair_button)
    window.table.selectRow(0)
    output = window.model.items()[0].output
    click(qtbot, window.details.play)
    assert len(window.told) == 1 and "play" in window.told[0] and str(output) in window.told[0]
    click(qtbot, window.details.show_folder)
    assert len(window.told) == 2 and "file manager" in window.told[1] and str(work) in window.told[1]


def test_a_repaired_file_is_never_offered_as_the_reference(qtbot, window, media, tmp_path):
    card = tmp_path / "DCIM"
    broken = _copy([media.broken_a], card)
    healthy = _copy([media.reference], card)[0]
    repaired = card / "GX010000_fixed.MP4"  # an earlier result: healthy, and the newest file of the folder
    shutil.copy2(media.reference, repaired)
    os.utime(healthy, (time.time() - 3600, time.time() - 3600))
    assert drop(window.drop_area, [card])
    qtbot.waitUntil(lambda: window.reference_slot.suggestion.isVisible(), timeout=60_000)
    assert [it.path for it in window.model.items()] == broken
    assert healthy.name in window.reference_slot.suggestion_text.text()
    assert repaired.name not in window.reference_slot.suggestion_text.text()

    # only the earlier result is healthy: nothing is offered
    healthy.unlink()
    second = create_window(QApplication.instance(), ["mp4fix-gui"], Settings())
    qtbot.addWidget(second)
    second.add_paths([card])
    qtbot.waitUntil(lambda: second.model.rowCount() == 1 and Status.CHECKING not in statuses(second)
                    and second.manager.probes_pending() == 0, timeout=60_000)
    assert not second.reference_slot.suggestion.isVisible() and second.reference_slot.path is None
    # dropped on its own, it is "already repaired", not a reference
    second.add_paths([repaired])
    wait_checked(qtbot, second, 2)
    row = second.model.items()[1]
    assert row.status is Status.NOT_BROKEN and row.info.repaired
    second.table.selectRow(1)
    assert not second.details.use_reference.isVisible()
    second.manager.wait(30_000)


def test_the_window_stays_responsive_during_a_long_repair(qtbot, window, media, tmp_path):
    broken = _copy([media.big], tmp_path / "card")
    set_reference_by_drop(qtbot, window, media.reference)
    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.manager.probes_pending() == 0, timeout=60_000)

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    progress_seen: list[float] = []
    window.manager.progress.connect(lambda job_id, f, stage, msg: progress_seen.append(f))
    span = {}
    window.manager.started.connect(lambda job_id: span.setdefault("start", time.monotonic()))
    window.manager.ended.connect(lambda job_id: span.setdefault("end", time.monotonic()))

    timer.start()
    with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
        click(qtbot, window.repair_button)
    timer.stop()

    assert window.model.items()[0].status is Status.DONE
    start, end = span["start"], span["end"]
    during = [t for t in ticks if start <= t <= end]
    duration = end - start
    assert duration > 0.3, "the repair was too short to say anything"
    gaps = [b - a for a, b in zip([start] + during, during + [end])]
    # the event loop ran all along: timer ticks (every 10 ms) kept coming while the worker ran. A UI thread
    # blocked by the repair would show one gap as long as the repair and no ticks in between. (The bounds
    # leave room for a CI machine busy with other tests on its 2 cores.)
    assert max(gaps) < max(0.75, 0.4 * duration), \
        f"the UI thread froze for {max(gaps):.2f} s during a {duration:.2f} s repair"
    assert len(during) >= duration / 0.2, (len(during), duration)
    assert len(set(progress_seen)) > 3  # the progress bar moved


@pytest.mark.parametrize("answer", [True, False])
def test_closing_during_a_repair_asks_then_cancels_cleanly(qtbot, window, media, tmp_path, answer):
    work = tmp_path / "card"
    broken = _copy([media.big], work)
    set_reference_by_drop(qtbot, window, media.reference)
    assert drop(window.drop_area, broken)
    wait_checked(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.manager.probes_pending() == 0, timeout=60_000)
    click(qtbot, window.repair_button)
    item = window.model.items()[0]
    qtbot.waitUntil(lambda: item.status is Status.RUNNING, timeout=REPAIR_TIMEOUT)

    window.answer = answer
    window.close()
    assert len(window.asked) == 1 and "still being repaired" in window.asked[0]
    if answer:  # stop and close: the window closes itself once the worker has stopped
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=REPAIR_TIMEOUT)
        assert not window.manager.busy()
        assert item.status is Status.CANCELLED
        assert leftovers(work, broken) == set()
    else:  # keep repairing: the window stays, the repair finishes
        assert window.isVisible()
        qtbot.waitUntil(lambda: item.status.finished, timeout=REPAIR_TIMEOUT)
        assert item.status is Status.DONE
        assert item.output.is_file()


def test_files_from_the_command_line_and_open_events_are_queued(qtbot, settings, tmp_path):
    a = tmp_path / "one.mp4"
    b = tmp_path / "two.MOV"
    a.write_bytes(b"\0\0\0\x08free")
    b.write_bytes(b"\0\0\0\x08free")
    app = QApplication.instance()
    opener = FileOpenFilter()
    early = tmp_path / "early.mp4"
    early.write_bytes(b"\0\0\0\x08free")
    app.installEventFilter(opener)
    try:
        QApplication.sendEvent(app, QFileOpenEvent(str(early)))  # macOS, before the window exists
        w = create_window(app, ["mp4fix-gui", str(a)], settings, opener=opener)
        qtbot.addWidget(w)
        assert [it.path for it in w.model.items()] == [a, early]
        QApplication.sendEvent(app, QFileOpenEvent(str(b)))  # dropped on the Dock icon later
        assert [it.path for it in w.model.items()] == [a, early, b]
        wait_checked(qtbot, w, 3)
        assert all(it.status is Status.UNUSABLE for it in w.model.items())
        assert w.model.items()[0].error  # a plain sentence, not a traceback
    finally:
        app.removeEventFilter(opener)
    w.manager.wait(10_000)


def test_keyboard_only(qtbot, window, tmp_path, monkeypatch):
    """Every action has a key: the drop area opens the file chooser with Enter, Ctrl+R repairs."""
    chosen = []
    monkeypatch.setattr(window, "browse_files", lambda: chosen.append(True))
    window.drop_area.addFilesRequested.disconnect()
    window.drop_area.addFilesRequested.connect(window.browse_files)
    window.drop_area.setFocus()
    qtbot.keyClick(window.drop_area, Qt.Key.Key_Return)
    assert chosen == [True]
    assert window.repair_action.shortcut().toString() == "Ctrl+R"
    assert not window.add_action.shortcut().isEmpty()  # Ctrl+O / Cmd+O
    for w in (window.drop_area, window.table, window.reference_slot.browse, window.repair_button):
        assert w.focusPolicy() != Qt.FocusPolicy.NoFocus
        assert w.accessibleName() or w.text()


# --- nothing clipped at the default size ------------------------------------------------------------------


def clipped(w) -> list[str]:
    """Every text of the window that does not fully show: buttons narrower or lower than their text, labels
    shorter than their wrapped text or outside the part of the details panel in view, table cells and headers
    narrower than their words, the selected row out of view."""
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QAbstractButton, QLabel, QStyle, QWidget

    problems = []
    view_rect = w.details.scroll.viewport().rect()
    for child in w.findChildren(QWidget):
        if not child.isVisibleTo(w) or not w.rect().intersects(QRect(child.mapTo(w, child.rect().topLeft()),
                                                                     child.size())):
            continue
        if isinstance(child, QAbstractButton) and child.text():
            hint = child.sizeHint()
            if child.width() < hint.width() or child.height() < hint.height():
                problems.append(f"button {child.text()!r} is {child.width()}x{child.height()}, needs "
                                f"{hint.width()}x{hint.height()}")
        elif isinstance(child, QLabel) and child.text() and child.pixmap().isNull():
            if child.wordWrap():
                need = child.heightForWidth(child.width())
                if child.height() < need:
                    problems.append(f"label {child.text()[:40]!r} is {child.height()} high, needs {need}")
            elif child.width() < child.sizeHint().width():
                problems.append(f"label {child.text()[:40]!r} is {child.width()} wide, needs "
                                f"{child.sizeHint().width()}")
            if w.details.content.isAncestorOf(child):
                top_left = child.mapTo(w.details.scroll.viewport(), child.rect().topLeft())
                if not view_rect.contains(QRect(top_left, child.size())):
                    problems.append(f"label {child.text()[:40]!r} is scrolled out of the details panel")
    table, model = w.table, w.model
    fm = table.fontMetrics()
    margin = 2 * (table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1)
    header = table.horizontalHeader()
    for col in range(model.columnCount()):
        text = model.headerData(col, Qt.Orientation.Horizontal)
        need = header.fontMetrics().horizontalAdvance(text) + 16
        if header.sectionSize(col) < need:
            problems.append(f"header {text!r} is {header.sectionSize(col)} wide, needs {need}")
        for row in range(model.rowCount()):
            text = model.index(row, col).data()
            if col == model.COL_PROGRESS or not text:
                continue
            need = fm.horizontalAdvance(text) + margin
            if table.columnWidth(col) < need:
                problems.append(f"cell {text!r} is {table.columnWidth(col)} wide, needs {need}")
    if table.horizontalScrollBar().isVisible():
        problems.append("the queue scrolls sideways")
    current = table.currentIndex()
    if current.isValid():
        rect = table.visualRect(current)
        if not table.viewport().rect().contains(QRect(0, rect.y(), 1, rect.height())):
            problems.append(f"the selected row {current.row()} is not (wholly) in view")
    return problems


def settle(qtbot, ms: int = 150) -> None:
    qtbot.wait(ms)  # queued resizes and the splitter's fit happen on the event loop
    QApplication.processEvents()


def assert_nothing_clipped(qtbot, w, *state) -> None:
    """Once the window has laid itself out (within a second), every text shows whole."""
    try:
        qtbot.waitUntil(lambda: clipped(w) == [], timeout=1000)
    except AssertionError:
        pass
    assert clipped(w) == [], state


def test_no_text_is_clipped_at_the_default_size_in_english_and_japanese(qtbot, window, media, tmp_path):
    """The window at 1080x720 in both languages: the empty window, six rows checked, a failed row with a
    two-line sentence and "Try again", and six repaired rows with thumbnails, the third selected."""
    from mp4fix import i18n
    from mp4fix.gui.app import apply_language

    app = QApplication.instance()
    assert (window.width(), window.height()) == (1080, 720)
    try:
        for language in ("en", "ja"):
            apply_language(app, language)
            settle(qtbot)
            assert window.model.rowCount() == 0
            assert_nothing_clipped(qtbot, window, language, "empty")
        apply_language(app, "en")

        work = tmp_path / "card"
        originals = [media.broken_a, media.broken_b] * 3
        broken = [work / f"GX01{n:04d}.MP4" for n in range(11, 17)]
        work.mkdir()
        for src, dst in zip(originals, broken):
            shutil.copy2(src, dst)
        assert drop(window.drop_area, broken)
        wait_checked(qtbot, window, 6)
        window.table.selectRow(2)
        for language in ("en", "ja"):
            apply_language(app, language)
            wait_checked(qtbot, window, 6)
            settle(qtbot)
            assert "MP4" in window.details.sentence.text() or window.details.sentence.text()
            assert_nothing_clipped(qtbot, window, language, "six rows ready")

        # a failed row: a long sentence, "Try again"
        apply_language(app, "en")
        set_reference_by_drop(qtbot, window, media.other_codec)
        qtbot.waitUntil(lambda: window.reference_slot.fit.isVisible(), timeout=60_000)
        window.answer = True
        with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
            click(qtbot, window.repair_button)
        assert set(statuses(window)) == {Status.FAILED}
        window.table.selectRow(2)
        for language in ("en", "ja"):
            apply_language(app, language)
            settle(qtbot)
            assert window.details.retry.isVisible() and window.details.sentence.text()
            assert_nothing_clipped(qtbot, window, language, "failed")

        # six repaired rows with thumbnails, the third selected while they were repaired
        apply_language(app, "en")
        set_reference_by_drop(qtbot, window, media.reference)
        window.table.selectRow(2)
        with qtbot.waitSignal(window.batchFinished, timeout=REPAIR_TIMEOUT):
            click(qtbot, window.repair_button)
        assert set(statuses(window)) == {Status.DONE}
        assert window.details.thumbs.isVisible()
        for language in ("en", "ja"):
            apply_language(app, language)
            settle(qtbot)
            assert window.table.currentIndex().row() == 2
            assert_nothing_clipped(qtbot, window, language, "six repaired")
            window.table.selectRow(5)
            settle(qtbot)
            assert_nothing_clipped(qtbot, window, language, "six repaired, the last selected")
            window.table.selectRow(2)
    finally:
        apply_language(app, "en")
        assert i18n.language() == "en"


def test_japanese_chosen_in_settings_speaks_japanese_in_the_window_and_the_engines_sentences(qtbot, window,
                                                                                              tmp_path):
    """Settings > Language: the window and every sentence from the engine switch at once, and stay so."""
    from PySide6.QtWidgets import QDialogButtonBox

    from mp4fix import i18n
    from mp4fix.gui.app import apply_language, pick_language
    from mp4fix.gui.settings_dialog import SettingsDialog

    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 20)
    window.add_paths([empty, text])
    wait_checked(qtbot, window, 2)
    assert "is empty (0 bytes)" in window.model.items()[0].error
    app = QApplication.instance()
    try:
        def choose_japanese():
            dialog = next(w for w in QApplication.topLevelWidgets()
                          if isinstance(w, SettingsDialog) and w.isVisible())
            system = i18n.LANGUAGE_NAMES[pick_language()]
            assert [dialog.language.itemText(i) for i in range(dialog.language.count())] == [
                f"Same as the system ({system})", "English", "日本語"]
            dialog.language.setCurrentIndex(dialog.language.findData("ja"))
            qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

        QTimer.singleShot(200, choose_japanese)
        window.open_settings()  # the real dialog, answered by the timer
        assert Settings().language == "ja" and i18n.language() == "ja"
        qtbot.waitUntil(lambda: window.heading.text() == "途中で終わった録画を修復", timeout=5000)
        assert window.drop_area.add_files.text() == "ファイルを追加(&A)…"
        assert window.model.headerData(0, Qt.Orientation.Horizontal) == "ファイル"
        # the rows held the engine's English sentences: they are looked at again and now say it in Japanese
        # each row is looked at on its own worker: wait for both (they finish in any order)
        qtbot.waitUntil(lambda: "空（0 バイト）" in window.model.items()[0].error
                        and "MP4 / MOV ファイルではありません" in window.model.items()[1].error, timeout=30_000)
        window.table.selectRow(0)
        assert "空（0 バイト）" in window.details.sentence.text()
        assert window.model.index(0, 5).data() == "空のファイル"
    finally:
        apply_language(app, "en")
        window.settings.language = "system"
    assert i18n.language() == "en"
