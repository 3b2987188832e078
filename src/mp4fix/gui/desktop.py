"""Handing a file to the system: play it in the default player, show it in the file manager."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices


def open_file(path: Path | str) -> bool:
    """Open ``path`` with the system's default application (the video player for a video)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def show_in_folder(path: Path | str) -> bool:
    """Open the file manager at ``path``'s folder, with the file selected where the platform allows it."""
    path = Path(path)
    try:
        if sys.platform == "win32":
            subprocess.Popen(["explorer", "/select,", str(path)])  # noqa: S603,S607
            return True
        if sys.platform == "darwin":
            subprocess.Popen(["open", "-R", str(path)])  # noqa: S603,S607
            return True
        try:  # freedesktop file managers (Nautilus, Dolphin, Nemo...) select the file
            from PySide6.QtDBus import QDBusConnection, QDBusInterface  # noqa: PLC0415

            iface = QDBusInterface("org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                                   "org.freedesktop.FileManager1", QDBusConnection.sessionBus())
            if iface.isValid():
                reply = iface.call("ShowItems", [QUrl.fromLocalFile(str(path)).toString()], "")
                if not reply.errorName():
                    return True
        except Exception:  # noqa: BLE001 - fall back to opening the folder
            pass
    except OSError:
        pass
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent if path.is_file() else path)))
