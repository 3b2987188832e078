#!/usr/bin/env python3
"""Take the README's screenshots of the desktop app: real window, real repairs, real ffmpeg.

    xvfb-run -a -s "-screen 0 1400x1000x24" python docs/screenshots/make_screenshots.py

Makes small recordings with the bundled ffmpeg in a temporary folder (named like a camera's files), cuts
them so their index is missing, and photographs the window in its main states: empty, batch running,
results, error; plus the results in the dark palette and the empty window in Japanese.
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

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

from PySide6.QtCore import QCoreApplication, QEventLoop, QLocale, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mp4fix.gui.app import Application, create_window, install_translations  # noqa: E402
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


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="mp4fix-shots-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
    app = Application(sys.argv[:1])
    install_translations(app, "en")
    src = tmp / "src"
    src.mkdir()
    card = tmp / "DCIM" / "100GOPRO"
    card.mkdir(parents=True)
    print("making recordings in", tmp)
    reference = encode(card / "GX010040.MP4", "mandelbrot", 2.0, tone=660)
    long_one = cut(encode(src / "l.mp4", "testsrc2", 150.0), card / "GX010042.MP4", 0.93)
    second = cut(encode(src / "b.mp4", "testsrc", 20.0, tone=330), card / "GX010041.MP4", 0.8)
    third = cut(encode(src / "c.mp4", "smptehdbars", 12.0, tone=550), card / "GX010043.MP4", 0.6)
    other = encode(tmp / "IMG_2231.MOV", "mandelbrot", 1.0, size="640x480")

    settings = Settings()
    settings.theme = THEME_LIGHT

    # 1. empty
    w = create_window(app, ["mp4fix-gui"], settings)
    w.manager.pool.setMaxThreadCount(1)  # one after the other, so the picture shows a queue
    w.resize(1120, 760)
    w.show()
    shoot(app, w, "empty.png")

    # 2. batch running
    w.add_paths([card])  # the folder: three broken files queued, the healthy one offered as reference
    wait(app, lambda: w.reference_slot.suggestion.isVisible())
    shoot(app, w, "ready.png")
    w.reference_slot.use_suggestion.click()
    wait(app, lambda: w.reference_info is not None and w.manager.probes_pending() == 0)
    items = w.model.items()
    first = next(it for it in items if it.path.name == long_one.name)
    grabbed = {}

    def on_progress(job_id, fraction, stage, message):
        if "done" not in grabbed and job_id == first.id and stage == "verify" and fraction > 0.9:
            grabbed["done"] = True
            w.table.selectRow(w.model.row_of(first.id))
            w.details.show_item(first)
            w.grab().save(str(HERE / "running.png"), "PNG")
            print(HERE / "running.png")

    w.manager.progress.connect(on_progress)
    w.start_repair()
    wait(app, lambda: not w.manager.busy())
    w.table.selectRow(w.model.row_of(first.id))
    shoot(app, w, "results.png")

    # 3. error: a reference from another camera
    w2 = create_window(app, ["mp4fix-gui"], settings)
    w2.resize(1120, 760)
    w2.ask = lambda *a, **k: True  # "Repair anyway" in the warning
    broken_copy = tmp / "Desktop"
    broken_copy.mkdir()
    shutil.copy2(third, broken_copy / "birthday.mp4")
    w2.show()
    w2.add_paths([broken_copy / "birthday.mp4"])
    w2.set_reference(other)
    wait(app, lambda: w2.reference_info is not None and w2.manager.probes_pending() == 0
         and all(it.status is not Status.CHECKING for it in w2.model.items()))
    w2.start_repair()
    wait(app, lambda: not w2.manager.busy())
    w2.table.selectRow(0)
    w2.details.details.toggle.setChecked(True)
    shoot(app, w2, "error.png")
    w2.close()

    # 4. dark palette
    settings.theme = THEME_DARK
    app.apply_theme(THEME_DARK)
    settle(app, 500)
    shoot(app, w, "results-dark.png")
    settings.theme = THEME_LIGHT
    app.apply_theme(THEME_LIGHT)

    # 5. Japanese
    for t in app.translators:
        app.removeTranslator(t)
    app.translators = install_translations(app, "ja")
    w3 = create_window(app, ["mp4fix-gui"], settings)
    w3.resize(1120, 760)
    w3.show()
    shoot(app, w3, "empty-ja.png")
    w3.add_paths([card])
    wait(app, lambda: w3.model.rowCount() and w3.manager.probes_pending() == 0
         and all(it.status is not Status.CHECKING for it in w3.model.items()))
    w3.table.selectRow(0)
    shoot(app, w3, "results-ja.png")
    for win in (w, w3):
        win.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
