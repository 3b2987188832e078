#!/usr/bin/env python3
"""Make the platform icons of the desktop app from the one source image in ``resources/icons``.

The source is ``resources/icons/mp4fix.svg``; its PNG renderings ``resources/icons/png/mp4fix-<size>.png``
(16..512, made by ``python -m mp4fix.gui.resources``) are used as they are. Sizes that have no PNG there
(1024 for the Retina 512 slot of the .icns) are rendered from the SVG with Qt when PySide6 is installed,
and left out otherwise.

    python packaging/make_icons.py [OUT_DIR]     # writes OUT_DIR/mp4fix.ico and OUT_DIR/mp4fix.icns

* ``mp4fix.ico``  (Windows): 16, 24, 32, 48, 64, 128 and 256 px, each stored as PNG (Windows Vista and later).
* ``mp4fix.icns`` (macOS):   PNG entries icp4/icp5/icp6 (16/32/64), ic07/ic08/ic09/ic10 (128..1024) and the
  Retina aliases ic11..ic14, the same layout ``iconutil`` writes.

Pure Python (no Pillow): both formats are a small header followed by the PNG files.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "mp4fix.svg"
PNG_DIR = ICONS / "png"

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# (type, pixel size): the PNG-based .icns element types, in the order iconutil writes them.
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64),
    (b"ic07", 128), (b"ic08", 256), (b"ic09", 512), (b"ic10", 1024),
    (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512),
)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    if data[:8] != _PNG_MAGIC or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return struct.unpack(">II", data[16:24])


def _render_svg(size: int) -> bytes | None:
    """The SVG rendered at ``size`` px as PNG bytes, or None without PySide6."""
    try:
        from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt  # noqa: PLC0415
        from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: PLC0415
        from PySide6.QtSvg import QSvgRenderer  # noqa: PLC0415
    except ImportError:
        return None
    import os  # noqa: PLC0415

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs one
    renderer = QSvgRenderer(QByteArray(SVG.read_bytes()))
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    buf = QByteArray()
    dev = QBuffer(buf)
    dev.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(dev, "PNG")
    dev.close()
    return bytes(buf)


def load_pngs(sizes, png_dir: Path = PNG_DIR, render=_render_svg) -> dict[int, bytes]:
    """PNG bytes for each size: the file in ``png_dir`` when there is one, else rendered from the SVG."""
    out: dict[int, bytes] = {}
    for size in sorted(set(sizes)):
        path = png_dir / f"mp4fix-{size}.png"
        data = path.read_bytes() if path.is_file() else render(size)
        if data is None:
            continue
        if png_size(data) != (size, size):
            raise ValueError(f"{path.name}: expected {size}x{size}, found {png_size(data)}")
        out[size] = data
    return out


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An .ico holding the given PNGs (size -> bytes), smallest first."""
    sizes = [s for s in sorted(pngs) if s <= 256]
    if not sizes:
        raise ValueError("no icon sizes for the .ico")
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = [], []
    for s in sizes:
        data = pngs[s]
        dim = 0 if s == 256 else s  # 0 means 256
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset))
        blobs.append(data)
        offset += len(data)
    return header + b"".join(entries) + b"".join(blobs)


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An .icns holding a PNG element for every type whose size is available."""
    body = b""
    for kind, size in ICNS_TYPES:
        data = pngs.get(size)
        if data is not None:
            body += kind + struct.pack(">I", 8 + len(data)) + data
    if not body:
        raise ValueError("no icon sizes for the .icns")
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def read_ico(data: bytes) -> list[tuple[int, bytes]]:
    """(size, PNG bytes) of each image in an .ico written by ``ico_bytes`` (for tests and checks)."""
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    if reserved != 0 or kind != 1:
        raise ValueError("not an .ico file")
    out = []
    for i in range(count):
        w, _h, _c, _r, _planes, _bpp, size, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        out.append((w or 256, data[offset:offset + size]))
    return out


def read_icns(data: bytes) -> list[tuple[str, bytes]]:
    """(type, payload) of each element of an .icns file."""
    if data[:4] != b"icns" or struct.unpack(">I", data[4:8])[0] != len(data):
        raise ValueError("not an .icns file (or a truncated one)")
    out, pos = [], 8
    while pos < len(data):
        kind, length = data[pos:pos + 4].decode("ascii"), struct.unpack(">I", data[pos + 4:pos + 8])[0]
        if length < 8 or pos + length > len(data):
            raise ValueError(f"bad .icns element {kind!r} at {pos}")
        out.append((kind, data[pos + 8:pos + length]))
        pos += length
    return out


def make_icons(out_dir: Path | str, png_dir: Path = PNG_DIR) -> dict[str, Path]:
    """Write ``mp4fix.ico`` and ``mp4fix.icns`` into ``out_dir``; returns {"ico": path, "icns": path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = load_pngs(set(ICO_SIZES) | {s for _, s in ICNS_TYPES}, png_dir)
    ico = out_dir / "mp4fix.ico"
    icns = out_dir / "mp4fix.icns"
    ico.write_bytes(ico_bytes({s: d for s, d in pngs.items() if s in ICO_SIZES}))
    icns.write_bytes(icns_bytes(pngs))
    return {"ico": ico, "icns": icns}


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "packaging" / "build" / "icons"
    for kind, path in make_icons(target).items():
        print(f"{kind}: {path} ({path.stat().st_size} bytes)")
