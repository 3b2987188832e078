"""Linux: are the system libraries there that Qt's X11 ("xcb") platform plugin loads?

PySide6 carries Qt itself but not the X11 client libraries (libxcb-icccm4, libxcb-keysyms1, ...). When one is
missing, Qt aborts the whole process (exit 134) with a message that only names xcb-cursor0, whatever is
missing. ``missing_libraries()`` finds out first, by reading which shared libraries the plugin needs (its
ELF ``DT_NEEDED`` entries) and loading each one the way the dynamic linker would; ``problem()`` turns the
result into one sentence naming the packages and the command that installs them. No Qt here.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import struct
import sys
from pathlib import Path

from mp4fix.i18n import _

# soname -> (Debian/Ubuntu package, Fedora package). Libraries not listed are named by their file name.
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}

# Qt's X11 plugin and the library holding most of it; both list what they need.
PLUGIN_FILES = ("plugins/platforms/libqxcb.so", "lib/libQt6XcbQpa.so.6")


def elf_needed(path: Path) -> list[str]:
    """The ``DT_NEEDED`` entries (sonames) of a 64-bit little-endian ELF shared library; [] if it is not one."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return []
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:  # ELFCLASS64, ELFDATA2LSB
        return []
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(shnum):
        off = shoff + i * shentsize
        if off + 64 > len(data):
            return []
        _name, sh_type, _flags, _addr, sh_offset, sh_size, sh_link = struct.unpack_from("<IIQQQQI", data, off)
        sections.append((sh_type, sh_offset, sh_size, sh_link))
    needed = []
    for sh_type, offset, size, link in sections:
        if sh_type != 6 or link >= len(sections):  # SHT_DYNAMIC, with its string table at sh_link
            continue
        strtab = sections[link][1]
        for pos in range(offset, min(offset + size, len(data) - 15), 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == 0:  # DT_NULL
                break
            if tag == 1:  # DT_NEEDED
                end = data.index(b"\0", strtab + value)
                needed.append(data[strtab + value:end].decode("ascii", "replace"))
    return needed


def qt_dir() -> Path | None:
    """PySide6's Qt folder (``.../PySide6/Qt``), installed or inside a frozen app."""
    candidates = []
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.append(Path(meipass) / "PySide6" / "Qt")
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "Qt" for p in spec.submodule_search_locations]
    for c in candidates:
        if (c / PLUGIN_FILES[0]).is_file():
            return c
    return None


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(qt: Path | None = None, loads=_loads) -> list[str]:
    """The system libraries Qt's xcb plugin needs that cannot be loaded here (sonames, in the plugin's order).
    Qt's own libraries, shipped with PySide6, are not checked."""
    qt = qt or qt_dir()
    if qt is None:
        return []
    bundled = {p.name for p in (qt / "lib").glob("*.so*")}
    missing: list[str] = []
    for rel in PLUGIN_FILES:
        for soname in elf_needed(qt / rel):
            if soname in missing or soname in bundled or soname.startswith("libQt6"):
                continue
            if not loads(soname):
                missing.append(soname)
    return missing


def uses_xcb(environ=None) -> bool:
    """Whether Qt will start on X11: ``QT_QPA_PLATFORM`` says xcb (or nothing, outside a Wayland session)."""
    env = os.environ if environ is None else environ
    chosen = env.get("QT_QPA_PLATFORM", "").strip().lower()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return not (env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE", "").lower() == "wayland")


def problem(missing: list[str]) -> str:
    """One sentence: what is missing and the command that installs it (Debian/Ubuntu, Fedora)."""
    deb = list(dict.fromkeys(PACKAGES.get(s, (s, s))[0] for s in missing))
    rpm = list(dict.fromkeys(PACKAGES.get(s, (s, s))[1] for s in missing))
    return _("The window cannot open because the system libraries {libraries} that Qt needs for X11 are "
             "missing. Install them with \"sudo apt install {deb}\" (Debian, Ubuntu) or \"sudo dnf install "
             "{rpm}\" (Fedora), then start mp4fix-gui again.", libraries=", ".join(missing), deb=" ".join(deb),
             rpm=" ".join(rpm))


def check(environ=None) -> str | None:
    """On Linux, before Qt starts: the sentence to show when the window cannot open, else None."""
    if not sys.platform.startswith("linux") or not uses_xcb(environ):
        return None
    missing = missing_libraries()
    return problem(missing) if missing else None
