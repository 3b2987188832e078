"""Opening the user's files read-only, with every way that can fail turned into one readable sentence."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np

from mp4fix.errors import InputError
from mp4fix.i18n import _

#: pages of the map the scan has left behind are handed back to the OS in steps of this many bytes ...
RELEASE_STEP = 32 << 20
#: ... keeping this many bytes before the scan position mapped (the scan looks back less than a few samples)
RELEASE_KEEP = 16 << 20
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)


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
    context manager. Pages read through the map count in the process's resident memory (file-backed: the
    OS may reclaim them, but a task manager shows them) until ``release_behind`` hands them back, so a scan
    from start to end keeps only a window of the file resident whatever its size.
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
        self._released = 0  # pages before this offset have been handed back

    def release_behind(self, pos: int) -> None:
        """Say that the mapped pages before ``pos`` (less ``RELEASE_KEEP``) are not needed any more.

        madvise(MADV_DONTNEED) drops them from this process's resident set; the data stays in the OS page
        cache and reading there again simply maps it back, so this is only ever about memory, never about what
        is read. Cheap to call often: it acts once the scan has moved ``RELEASE_STEP`` on. Where the platform
        has no madvise (Windows), it does nothing: there the task manager's default figure (private working
        set) does not count mapped file pages anyway.
        """
        end = min(pos, self.size) - RELEASE_KEEP
        if end - self._released < RELEASE_STEP and not (pos >= self.size and end > self._released):
            return
        end &= ~(mmap.PAGESIZE - 1)
        if end <= self._released or _DONTNEED is None:
            return
        try:
            self.data.madvise(_DONTNEED, self._released, end - self._released)
        except (AttributeError, OSError, ValueError):
            return
        self._released = end

    def release_all(self) -> None:
        """Hand every mapped page back (after the scan; the write stage copies in the kernel)."""
        if _DONTNEED is None or self.data.closed:
            return
        try:
            self.data.madvise(_DONTNEED, 0, self.size)
        except (AttributeError, OSError, ValueError):
            return
        self._released = 0

    def fileno(self) -> int:
        return self._fh.fileno()

    def reader(self):
        """The file opened for plain reads (its own position; the map is not touched)."""
        return self._fh

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
