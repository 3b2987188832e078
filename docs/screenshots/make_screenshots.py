#!/usr/bin/env python3
"""Take the README's screenshots of the desktop app: real window, real repairs, real ffmpeg.

    python docs/screenshots/make_screenshots.py                 # offscreen (no display needed)
    xvfb-run -a -s "-screen 0 1400x1000x24" env QT_QPA_PLATFORM=xcb python docs/screenshots/make_screenshots.py

Makes small recordings with the bundled ffmpeg in a temporary folder (named like a camera's files), cuts
them so their index is missing, and photographs the window at its default size (1080x720) in its main
states, in English and in Japanese: empty, a folder checked (a reference offered), a batch running, the
results, and a reference from another camera (the warning, before anything starts); plus the results in
the dark palette.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop, QLocale, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mp4fix.gui.app import Application, apply_language, create_window  # noqa: E402
from mp4fix.gui.jobs import JobManager  # noqa: E402
from mp4fix.gui.queue_model import Status  # noqa: E402
from mp4fix.gui.settings import THEME_DARK, THEME_LIGHT, Settings  # noqa: E402


def ffmpeg() -> str:
    from mp4fix.fftools import ffmpeg_exe

    return ffmpeg_exe()


def encode(path: Path, source: str, seconds: float, size: str = "1280x720", tone: int = 440) -> Path:
    from mp4fix import codecs

    audio = codecs.matcher_class("mp4a") is not None
    args = [ffmpeg(), "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", f"{source}=size={size}:rate=30"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000"]
    args += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "20", "-pix_fmt", "yuv420p",
             "-g", "30", "-bf", "0"]
    args += ["-c:a", "aac", "-b:a", "128k", "-shortest"] if audio else ["-an"]
    subprocess.run(args + [str(path)], check=True, capture_output=True)
    return path


def cut(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[pos + 8:pos + 16])[0], 16
        if kind == b"mdat":
            dst.write_bytes(data[:pos + header + int((size - header) * fraction)])
            return dst
        pos += size
    raise SystemExit(f"{src}: no mdat")


def wait(app, predicate, timeout_s: float = 300) -> None:
    import time

    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def settle(app, ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def shoot(app, window, name: str) -> None:
    settle(app)
    path = HERE / name
    window.grab().save(str(path), "PNG")
    print(path)


def encode_other_camera(path: Path) -> Path:
    """A recording of another camera: MPEG-4 Part 2 video, no sound, another size."""
    subprocess.run([ffmpeg(), "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                    "mandelbrot=size=640x480:rate=25", "-t", "1", "-c:v", "mpeg4", "-an", str(path)],
                   check=True, capture_output=True)
    return path


def take(app, settings, lang: str, media: dict, tmp: Path) -> list:
    """Every screen in one language; returns the windows (closed by the caller)."""
    suffix = "" if lang == "en" else f"-{lang}"
    apply_language(app, lang)
    card = tmp / f"card-{lang}" / "DCIM" / "100GOPRO"
    card.mkdir(parents=True)
    for name in ("GX010040.MP4", "GX010041.MP4", "GX010042.MP4", "GX010043.MP4"):
        shutil.copy2(media[name], card / name)

    # 1. empty
    w = create_window(app, ["mp4fix-gui"], settings)
    w.manager.pool.setMaxThreadCount(1)  # one after the other, so the picture shows a queue
    w.show()
    assert (w.width(), w.height()) == (1080, 720), "not the default size"
    shoot(app, w, f"empty{suffix}.png")

    # 2. a folder dropped: three broken files queued, the healthy one offered as the reference
    w.add_paths([card])
    wait(app, lambda: w.reference_slot.suggestion.isVisible())
    shoot(app, w, f"ready{suffix}.png")
    w.reference_slot.use_suggestion.click()
    wait(app, lambda: w.reference_info is not None and w.manager.probes_pending() == 0)
    first = next(it for it in w.model.items() if it.path.name == "GX010042.MP4")

    def on_progress(job_id, fraction, stage, message, grabbed={}):  # noqa: B006 - once per window
        if "done" not in grabbed and job_id == first.id and stage == "scan" and fraction > 0.5:
            grabbed["done"] = True
            w.table.selectRow(w.model.row_of(first.id))
            w.details.show_item(first)
            app.processEvents()
            w.grab().save(str(HERE / f"running{suffix}.png"), "PNG")
            print(HERE / f"running{suffix}.png")

    w.manager.progress.connect(on_progress)
    w.start_repair()
    wait(app, lambda: not w.manager.busy())
    w.table.selectRow(w.model.row_of(first.id))
    shoot(app, w, f"results{suffix}.png")

    # 3. a reference from another camera: the warning and the engine's reason, before anything is started
    w2 = create_window(app, ["mp4fix-gui"], settings)
    desk = tmp / f"desktop-{lang}"
    desk.mkdir()
    shutil.copy2(media["GX010043.MP4"], desk / "birthday.mp4")
    w2.show()
    w2.add_paths([desk / "birthday.mp4"])
    w2.set_reference(media["IMG_2231.MOV"])
    wait(app, lambda: w2.reference_info is not None and w2.manager.probes_pending() == 0
         and all(it.status is not Status.CHECKING for it in w2.model.items()) and w2.reference_slot.fit.isVisible())
    w2.table.selectRow(0)
    w2.details.details.toggle.setChecked(True)
    shoot(app, w2, f"error{suffix}.png")
    return [w, w2]


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="mp4fix-shots-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
    app = Application(sys.argv[:1])
    src = tmp / "src"
    src.mkdir()
    print("making recordings in", tmp)
    media = {
        "GX010040.MP4": encode(src / "GX010040.MP4", "mandelbrot", 2.0, tone=660),
        "GX010042.MP4": cut(encode(src / "l.mp4", "testsrc2", 150.0), src / "GX010042.MP4", 0.93),
        "GX010041.MP4": cut(encode(src / "b.mp4", "testsrc", 20.0, tone=330), src / "GX010041.MP4", 0.8),
        "GX010043.MP4": cut(encode(src / "c.mp4", "smptehdbars", 12.0, tone=550), src / "GX010043.MP4", 0.6),
        "IMG_2231.MOV": encode_other_camera(tmp / "IMG_2231.MOV"),
    }
    settings = Settings()
    settings.theme = THEME_LIGHT
    windows = []
    for lang in ("en", "ja"):
        windows += take(app, settings, lang, media, tmp)

    # the results in the dark palette (English)
    apply_language(app, "en")
    settings.theme = THEME_DARK
    app.apply_theme(THEME_DARK)
    settle(app, 500)
    shoot(app, windows[0], "results-dark.png")
    app.apply_theme(THEME_LIGHT)
    for win in windows:
        win.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
