"""Entry point of the frozen desktop app (``mp4fix-gui.exe``, ``mp4fix.app``, ``mp4fix-gui`` on Linux).

It runs exactly what the ``mp4fix-gui`` command runs. One addition for checking a build without a person:
with ``MP4FIX_SMOKE_REPORT=<file>`` in the environment the app starts as usual and, once its window is up,
writes what it found to that file as JSON (window, resources, icon sizes, translations, ffmpeg, codecs) and
quits with code 0. The packaging tests and the release workflows use it (``tests/test_packaging.py``).
"""

from __future__ import annotations

import json
import os
import sys
import traceback


def _smoke_info(app) -> dict:
    from PySide6.QtCore import QLibraryInfo, QTranslator, qVersion

    from mp4fix import __version__, fftools
    from mp4fix.codecs import supported_fourccs
    from mp4fix.gui.resources import app_icon, resource_dir, tinted_icon, translations_dir

    def loads(name: str, folder: str) -> bool:
        return QTranslator().load(name, folder)

    windows = [w for w in app.topLevelWidgets() if w.isVisible()]
    exe = fftools.ffmpeg_exe()
    return {
        "version": __version__,
        "qt": qVersion(),
        "platform": app.platformName(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "meipass": getattr(sys, "_MEIPASS", None),
        "executable": sys.executable,
        "windows": [w.windowTitle() for w in windows],
        "resource_dir": str(resource_dir()),
        "icon_sizes": sorted(s.width() for s in app_icon().availableSizes()),
        "tinted_icon_ok": not tinted_icon("repair", "#000000").isNull(),
        "translators_installed": len(getattr(app, "translators", [])),
        "mp4fix_ja": loads("mp4fix_ja", str(translations_dir())),
        "qtbase_ja": loads("qtbase_ja", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
        "ffmpeg": exe,
        "ffmpeg_version": fftools.ffmpeg_version(exe),
        "codecs": sorted(supported_fourccs()),
    }


def _schedule_smoke_report(app, path: str, delay_ms: int = 300) -> None:
    from PySide6.QtCore import QTimer

    def report() -> None:
        try:
            info = _smoke_info(app)
        except Exception:  # noqa: BLE001 - the report says what broke
            info = {"error": traceback.format_exc()}
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(info, fh, indent=2)
        app.quit()

    QTimer.singleShot(delay_ms, report)


def main() -> int:
    from mp4fix.gui import app as gui

    report = os.environ.get("MP4FIX_SMOKE_REPORT")
    if report:
        class SmokeApplication(gui.Application):  # gui.main() creates it, exactly as it would the original
            def __init__(self, argv):
                super().__init__(argv)
                _schedule_smoke_report(self, report)

        gui.Application = SmokeApplication
    return gui.main(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
