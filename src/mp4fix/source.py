"""Opening the user's files read-only, with every way that can fail turned into one readable sentence."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np

from mp4fix.errors import InputError
from mp4fix.i18n import _


def _describe(role: str) -> str:
    return _("The reference file") if role == "reference" else _("The file")


def check_readable(path: str | Path, role: str = "broken") -> Path:
    """Raise ``InputError`` unless ``path`` is an existing, readable, non-empty regular file."""
    path = Path(path)
    who = _describe(role)
    if not path.exists():
        raise InputError(_("{who} {path} does not exist.", who=who, path=path))
    if path.is_dir():
        raise InputError(_("{who} {path} is a folder, not a video file.", who=who, path=path))
    if not path.is_file():
        raise InputError(_("{who} {path} is not a regular file.", who=who, path=path))
    if not os.access(path, os.R_OK):
        raise InputError(_("{who} {path} cannot be read: permission denied.", who=who, path=path))
    if path.stat().st_size == 0:
        raise InputError(_("{who} {path} is empty (0 bytes): there is nothing to recover.", who=who, path=path))
    return path


class MediaFile:
    """A file mapped read-only. ``data`` is the mmap (bytes-like), ``arr`` a uint8 numpy view of it.

    The map is opened with ACCESS_READ, so nothing here can ever write to the user's file. Use as a
    context manager; memory is the OS page cache, bounded whatever the file size.
    """

    def __init__(self, path: str | Path, role: str = "broken"):
        self.path = check_readable(path, role)
        try:
            self._fh = open(self.path, "rb")
        except PermissionError:
            raise InputError(_("{who} {path} cannot be read: permission denied.", who=_describe(role),
                               path=self.path)) from None
        except OSError as exc:
            raise InputError(_("{who} {path} cannot be opened ({reason}).", who=_describe(role), path=self.path,
                               reason=exc.strerror)) from None
        try:
            self.data = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            self._fh.close()
            raise InputError(_("{who} {path} cannot be read ({reason}).", who=_describe(role), path=self.path,
                               reason=exc)) from None
        self.size = len(self.data)
        self.arr = np.frombuffer(self.data, dtype=np.uint8)

    def fileno(self) -> int:
        return self._fh.fileno()

    def close(self) -> None:
        # the numpy view exports the map's buffer; drop it before closing the map
        self.arr = None  # type: ignore[assignment]
        try:
            self.data.close()
        except BufferError:  # a view is still alive somewhere; the GC will close the map with it
            pass
        self._fh.close()

    def __enter__(self) -> "MediaFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
