"""The desktop app (``mp4fix-gui``): PySide6 window over the engine. Start it with ``mp4fix.gui.app.main``."""

from __future__ import annotations

import ctypes
import sys


def _guard_none_refcount() -> bool:
    """Protect against PySide6 builds that return ``None`` to Python without a new reference.

    PySide6-Essentials 6.12.0 on Python 3.10/3.11 does this for every call of a C++ method returning
    ``void`` (``label.setText(...)``) and for every ``None`` a Python ``data()`` hands back to Qt: each
    call takes one reference away from ``None``, and after some thousands of calls the interpreter aborts
    with "Fatal Python error: none_dealloc". (6.11 does not; on Python 3.12+ ``None`` is immortal.) When
    the drop is measured here, ``None`` gets a reference count so large it can never reach zero, which
    is what Python 3.12 does for every interpreter. Returns True when the guard was needed.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    try:
        from PySide6.QtCore import QObject
    except ImportError:  # pragma: no cover - the GUI cannot start anyway
        return False
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(256):
        probe.setObjectName("probe")
    lost = before - sys.getrefcount(None)
    if lost < 200:
        return False
    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40  # ob_refcnt is a PyObject's first field
    return True


NONE_GUARD_APPLIED = _guard_none_refcount()
