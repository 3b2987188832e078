"""Where the GUI finds its icons and translations, and how it turns the SVG sources into crisp icons.

The files live in the repository's top-level ``resources/`` folder (``icons/*.svg``, ``icons/png/*.png``,
``i18n/*.qm``). An installed copy may also carry them as ``mp4fix/resources``; both places are searched.

``python -m mp4fix.gui.resources`` re-renders the PNG sizes of the application icon.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


@lru_cache(maxsize=1)
def resource_dir() -> Path:
    """The folder holding ``icons/`` and ``i18n/``."""
    here = Path(__file__).resolve()
    candidates = [
        here.parents[1] / "resources",  # installed: mp4fix/resources
        here.parents[3] / "resources",  # source checkout: <repo>/resources (src/mp4fix/gui/resources.py)
        Path(getattr(sys, "_MEIPASS", "")) / "resources",  # a frozen build
    ]
    for c in candidates:
        if (c / "icons" / "mp4fix.svg").is_file():
            return c
    return candidates[1]


def icon_path(name: str) -> Path:
    return resource_dir() / "icons" / name


def translations_dir() -> Path:
    return resource_dir() / "i18n"


def _render_svg(data: bytes, size: int, device_ratio: float = 1.0) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(data))
    px = max(1, round(size * device_ratio))
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, px, px))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(device_ratio)
    return pixmap


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    """The application icon, from the pre-rendered PNGs (every size) or else from the SVG."""
    icon = QIcon()
    png_dir = resource_dir() / "icons" / "png"
    for size in APP_ICON_SIZES:
        p = png_dir / f"mp4fix-{size}.png"
        if p.is_file():
            icon.addFile(str(p), QSize(size, size))
    if icon.isNull() and icon_path("mp4fix.svg").is_file():
        icon = QIcon(str(icon_path("mp4fix.svg")))
    return icon


def app_pixmap(size: int, device_ratio: float = 1.0) -> QPixmap:
    try:
        data = icon_path("mp4fix.svg").read_bytes()
    except OSError:
        return QPixmap()
    return _render_svg(data, size, device_ratio)


def tinted_icon(name: str, color: QColor | str, size: int = 24) -> QIcon:
    """A monochrome SVG icon (drawn with ``currentColor``) in ``color``, sharp at 1x, 2x and 3x."""
    try:
        svg = icon_path(name + ".svg").read_text(encoding="utf-8")
    except OSError:
        return QIcon()
    hex_color = QColor(color).name()
    data = svg.replace("currentColor", hex_color).encode("utf-8")
    icon = QIcon()
    for ratio in (1.0, 2.0, 3.0):
        icon.addPixmap(_render_svg(data, size, ratio))
    return icon


def tinted_pixmap(name: str, color: QColor | str, size: int, device_ratio: float = 1.0) -> QPixmap:
    try:
        svg = icon_path(name + ".svg").read_text(encoding="utf-8")
    except OSError:
        return QPixmap()
    data = svg.replace("currentColor", QColor(color).name()).encode("utf-8")
    return _render_svg(data, size, device_ratio)


def render_app_icon_pngs(out_dir: Path | None = None) -> list[Path]:
    """Write ``mp4fix-<size>.png`` for every size in ``APP_ICON_SIZES`` (and an ``.ico``); returns the paths."""
    out_dir = Path(out_dir) if out_dir else resource_dir() / "icons" / "png"
    out_dir.mkdir(parents=True, exist_ok=True)
    data = icon_path("mp4fix.svg").read_bytes()
    written = []
    for size in APP_ICON_SIZES:
        pixmap = _render_svg(data, size)
        path = out_dir / f"mp4fix-{size}.png"
        pixmap.save(str(path), "PNG")
        written.append(path)
    ico = out_dir.parent / "mp4fix.ico"
    if _render_svg(data, 256).save(str(ico), "ICO"):
        written.append(ico)
    return written


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication(sys.argv[:1])
    for p in render_app_icon_pngs():
        print(p)
