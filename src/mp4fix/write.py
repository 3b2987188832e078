"""Write the repaired file: the broken file's bytes up to the end of its media data, then the new moov.

The media data stays where the recorder put it, so every sample keeps the byte offset the encoder gave it;
only the mdat header is corrected (and widened to 64 bits when the data outgrew 4 GiB). The output is
written to a temporary name in the destination folder and renamed when complete; on any error or
cancellation the temporary file is removed. The input is only ever read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from mp4fix.errors import CancelledError, OutputError
from mp4fix.i18n import _
from mp4fix.source import MediaFile

COPY_BLOCK = 64 << 20
FALLBACK_BLOCK = 8 << 20  # bytes read and written at a time where the kernel cannot copy


@dataclass(frozen=True)
class Layout:
    """Where the output's media data header goes and how far every sample offset moves."""

    head_end: int  # copy the input's bytes [0, head_end) first (ftyp, free, ...)
    prefix: bytes  # bytes inserted before the head (a ftyp when the broken file has none)
    header: bytes  # the new mdat header
    payload_start: int  # input offset of the first media byte
    payload_end: int
    shift: int  # output offset - input offset for every media byte
    stale: tuple[int, ...] = ()  # input offsets of old index boxes in the head: written as 'free' boxes
    patches: tuple[tuple[int, bytes], ...] = ()  # (input offset, bytes) written over the copied head


def plan_layout(src: MediaFile, mdat_offset: int, mdat_header_size: int, payload_end: int,
                ftyp: bytes | None) -> Layout:
    """Choose the mdat header that keeps offsets (widening into a preceding 8-byte free/wide box if needed)."""
    payload_start = mdat_offset + mdat_header_size
    size = payload_end - payload_start
    prefix = ftyp or b""
    shift = len(prefix)
    if mdat_header_size == 16:
        return Layout(mdat_offset, prefix, _large(size), payload_start, payload_end, shift)
    if size + 8 <= 0xFFFFFFFF:
        header = (size + 8).to_bytes(4, "big") + b"mdat"
        return Layout(mdat_offset, prefix, header, payload_start, payload_end, shift)
    before = bytes(src.data[mdat_offset - 8:mdat_offset]) if mdat_offset >= 8 else b""
    if len(before) == 8 and before[:4] == b"\0\0\0\x08" and before[4:] in (b"free", b"wide", b"skip"):
        # ffmpeg reserves exactly this: an 8-byte 'wide'/'free' box to grow the mdat header into
        return Layout(mdat_offset - 8, prefix, _large(size), payload_start, payload_end, shift)
    return Layout(mdat_offset, prefix, _large(size), payload_start, payload_end, shift + 8)


def window_layout(start: int, end: int, ftyp: bytes | None) -> Layout:
    """A small file of the input's bytes [start, end) only, in an mdat after ``ftyp`` (trial files)."""
    prefix = ftyp or b""
    header = (end - start + 8).to_bytes(4, "big") + b"mdat" if end - start + 8 <= 0xFFFFFFFF else _large(end - start)
    return Layout(0, prefix, header, start, end, len(prefix) + len(header) - start)


def zero_run_patches(boxes) -> tuple[tuple[int, bytes], ...]:
    """Headers that turn runs of zero bytes between top-level boxes into boxes (``reference.ZERO_RUN``).

    A recorder that reserves room for the index in front of the media data leaves zeros there; read as a box
    header, a size of 0 means "to the end of the file" and would hide everything after it. A run of 8 bytes or
    more becomes a 'free' box; a shorter one is added to the box before it. ``boxes`` are the input's
    top-level boxes in order (anything with ``type``, ``offset``, ``size``, ``header_size``).
    """
    from mp4fix.reference import ZERO_RUN

    out: list[tuple[int, bytes]] = []
    for i, b in enumerate(boxes):
        if b.type != ZERO_RUN:
            continue
        if 8 <= b.size <= 0xFFFFFFFF:
            out.append((b.offset, b.size.to_bytes(4, "big") + b"free"))
        elif b.size > 0xFFFFFFFF:
            out.append((b.offset, (1).to_bytes(4, "big") + b"free" + b.size.to_bytes(8, "big")))
        elif i > 0 and boxes[i - 1].type != ZERO_RUN:
            prev = boxes[i - 1]
            grown = prev.size + b.size
            if prev.header_size == 16:
                out.append((prev.offset + 8, grown.to_bytes(8, "big")))
            elif grown <= 0xFFFFFFFF:
                out.append((prev.offset, grown.to_bytes(4, "big")))
    return tuple(out)


def _large(payload: int) -> bytes:
    return (1).to_bytes(4, "big") + b"mdat" + (payload + 16).to_bytes(8, "big")


PART_PREFIX = "."  # a repair in progress writes ".<output name>.mp4fix-<pid>.part" beside the output
PART_SUFFIX = ".part"
TRIAL_PREFIX = "mp4fix-trial-"  # the fit check's folders in the temp folder: "mp4fix-trial-<pid>-<random>"


def temp_path(final: Path) -> Path:
    return final.with_name(f"{PART_PREFIX}{final.name}.mp4fix-{os.getpid()}{PART_SUFFIX}")


def trial_prefix() -> str:
    """The prefix of this process's fit-check folders (``tempfile.mkdtemp(prefix=...)``)."""
    return f"{TRIAL_PREFIX}{os.getpid()}-"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output(final: Path, overwrite: bool, source: Path, reference: Path | None = None) -> None:
    """Fail early, before any work, when the output cannot be written.

    The output may never be one of the inputs (the broken file or the reference), also not through another
    name for the same file (a link), whatever ``overwrite`` says.
    """
    if _same_file(final, source):
        raise OutputError(_("The output would replace the broken file itself ({name}); choose another name.",
                            name=source.name))
    if reference is not None and _same_file(final, reference):
        raise OutputError(_("The output would replace the reference file itself ({name}); choose another name.",
                            name=reference.name))
    if final.exists() and not overwrite:
        raise OutputError(_("{path} already exists; use --force to replace it.", path=final))
    if final.exists() and final.is_dir():
        raise OutputError(_("{path} is a folder; choose a file name for the output.", path=final))
    folder = final.parent
    if not folder.is_dir():
        raise OutputError(_("The output folder {folder} does not exist.", folder=folder))
    if not os.access(folder, os.W_OK):
        raise OutputError(_("The output folder {folder} is not writable.", folder=folder))


def write_file(src: MediaFile, layout: Layout, moov: bytes, final: Path, *, overwrite: bool,
               progress: Callable[[float], None] | None = None,
               cancelled: Callable[[], bool] | None = None,
               check: Callable[[Path], None] | None = None, reference: Path | None = None) -> Path:
    """Write ``prefix + input[0:head_end] + header + payload + moov`` to ``final``, atomically.

    ``check(temporary path)`` runs on the complete file before it is renamed to ``final`` (the decode check):
    when it raises (a cancel), the temporary file is removed and ``final`` is as it was.
    """
    check_output(final, overwrite, src.path, reference)
    tmp = temp_path(final)
    total = layout.head_end + len(layout.header) + (layout.payload_end - layout.payload_start) + len(moov)
    done = 0
    try:
        with open(tmp, "wb") as out:
            out.write(layout.prefix)
            for start, stop in ((0, layout.head_end), (layout.payload_start, layout.payload_end)):
                if start == layout.payload_start:
                    for offset in layout.stale:  # an old, incomplete index must not shadow the new one
                        out.seek(len(layout.prefix) + offset + 4)
                        out.write(b"free")
                    for offset, raw in layout.patches:
                        out.seek(len(layout.prefix) + offset)
                        out.write(raw)
                    out.seek(0, os.SEEK_END)
                    out.write(layout.header)
                pos = start
                while pos < stop:
                    if cancelled is not None and cancelled():
                        raise CancelledError(_("The repair was cancelled; nothing was written."))
                    n = _copy(src, out, pos, min(COPY_BLOCK, stop - pos))
                    pos += n
                    done += n
                    if progress is not None:
                        progress(done / max(total, 1))
            out.write(moov)
            out.flush()
            os.fsync(out.fileno())
        if progress is not None:
            progress(1.0)
        if check is not None:
            check(tmp)
        if final.exists() and not overwrite:  # appeared while we worked
            raise OutputError(_("{path} already exists; use --force to replace it.", path=final))
        os.replace(tmp, final)
    except OSError as exc:
        _remove(tmp)
        if exc.errno == 28:
            raise OutputError(_("The disk is full: {path} could not be written.", path=final)) from None
        raise OutputError(_("{path} could not be written ({reason}).", path=final,
                            reason=exc.strerror or exc)) from None
    except BaseException:
        _remove(tmp)
        raise
    return final


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``, or None when it does not exist: tells whether a file was replaced."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (True when that cannot be told)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() == 5  # access denied: it exists
        code = ctypes.c_ulong()
        try:
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


_PART_RE = re.compile(r"^\..+\.mp4fix-(\d+)\.part$")
_TRIAL_RE = re.compile(r"^mp4fix-trial-(\d+)-")


def remove_stale(output_folder: Path, temp_folder: Path | None = None) -> list[str]:
    """Remove what repairs killed before they could clean up (SIGKILL, a power cut) left behind.

    ``.<name>.mp4fix-<pid>.part`` files in ``output_folder`` and ``mp4fix-trial-<pid>-*`` folders in the temp
    folder whose process no longer exists. Returns the names removed; never touches those of a running process.
    """
    import shutil
    import tempfile

    removed: list[str] = []
    try:
        parts = [(p, m) for p in output_folder.iterdir() if (m := _PART_RE.match(p.name))]
    except OSError:
        parts = []
    for p, m in parts:
        if not process_alive(int(m.group(1))) and p.is_file():
            try:
                p.unlink()
                removed.append(p.name)
            except OSError:
                pass
    tmp = Path(temp_folder or tempfile.gettempdir())
    try:
        trials = [(p, m) for p in tmp.iterdir() if (m := _TRIAL_RE.match(p.name))]
    except OSError:
        trials = []
    for p, m in trials:
        if not process_alive(int(m.group(1))) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            if not p.exists():
                removed.append(p.name)
    return removed


def _copy(src: MediaFile, out, pos: int, count: int) -> int:
    """Copy ``count`` input bytes at ``pos`` to ``out``; in the kernel where it can (copy_file_range)."""
    if hasattr(os, "copy_file_range"):
        out.flush()
        try:
            n = os.copy_file_range(src.fileno(), out.fileno(), count, pos)
            if n > 0:
                out.seek(0, os.SEEK_END)
                return n
        except OSError:
            pass  # other filesystems / kernels: fall back to a plain copy
    # read through the file, not the map: pages read through the map would count in this process's memory;
    # in blocks small enough not to matter either
    count = min(count, FALLBACK_BLOCK)
    if hasattr(os, "pread"):
        chunk = os.pread(src.fileno(), count, pos)
    else:  # Windows
        fh = src.reader()
        fh.seek(pos)
        chunk = fh.read(count)
    if not chunk:
        raise OSError(5, "the input file ended early")
    out.write(chunk)
    return len(chunk)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
