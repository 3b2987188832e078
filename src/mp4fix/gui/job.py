"""The one seam between the window and the engine: everything a worker does for one row of the queue.

``run_repair`` calls ``mp4fix.repair.repair`` for one broken file and then takes the two thumbnails.
No Qt widgets here; it runs on a worker thread.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from mp4fix.errors import OutputError
from mp4fix.progress import CancelToken, ProgressCallback
from mp4fix.report import RepairReport
from mp4fix.gui.settings import OVERWRITE_KEEP_BOTH, OVERWRITE_REPLACE, OutputOptions, pattern_to_format


def tr(text: str) -> str:
    return QCoreApplication.translate("", text)


@dataclass
class JobResult:
    report: RepairReport
    output: Path | None
    thumb_first: bytes | None = None  # PNG
    thumb_last: bytes | None = None  # PNG


def _same_file(a: Path, b: Path) -> bool:
    return os.path.normcase(os.path.abspath(str(a))) == os.path.normcase(os.path.abspath(str(b)))


def resolve_output(broken: Path | str, options: OutputOptions, reserved=()) -> tuple[Path, bool]:
    """Where the result goes and whether it may replace an existing file.

    ``reserved`` holds outputs already promised to other rows of the batch, so two rows never share a name.
    """
    from mp4fix.repair import default_output_path

    broken = Path(broken)
    out = default_output_path(broken, options.out_dir, pattern_to_format(options.pattern))
    if _same_file(out, broken):
        raise OutputError(tr("The result would take the original recording's name; choose another name "
                             "or folder in Settings."))
    taken = {os.path.normcase(os.path.abspath(str(p))) for p in reserved}

    def busy(p: Path, check_disk: bool) -> bool:
        return os.path.normcase(os.path.abspath(str(p))) in taken or (check_disk and p.exists())

    if options.overwrite == OVERWRITE_REPLACE:
        n = 2
        candidate = out
        while busy(candidate, False):
            candidate = out.with_name(f"{out.stem} ({n}){out.suffix}")
            n += 1
        return candidate, True
    if options.overwrite == OVERWRITE_KEEP_BOTH:
        n = 2
        candidate = out
        while busy(candidate, True):
            candidate = out.with_name(f"{out.stem} ({n}){out.suffix}")
            n += 1
        return candidate, False
    if out.exists():  # stop: say so in the app's words (the engine's sentence names a CLI option)
        raise OutputError(tr("%1 already exists. To replace it or keep both, change \"If the name is taken\" "
                             "in Settings.").replace("%1", out.name))
    return out, False


def _thumbnail(path: Path, at: str, width: int = 320) -> bytes | None:
    """A PNG of the first or last frame, from ``mp4fix.fftools`` (or straight from ffmpeg until it exists)."""
    try:
        from mp4fix import fftools  # noqa: PLC0415
        thumb = getattr(fftools, "thumbnail", None)
    except Exception:  # noqa: BLE001
        thumb = None
    if thumb is not None:
        try:
            return thumb(path, at=at, width=width) or None
        except Exception:  # noqa: BLE001 - a missing picture is not an error of the repair
            return None
    return _thumbnail_ffmpeg(path, at, width)


def _thumbnail_ffmpeg(path: Path, at: str, width: int) -> bytes | None:
    try:
        import imageio_ffmpeg  # noqa: PLC0415

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # noqa: BLE001
        return None
    with tempfile.TemporaryDirectory(prefix="mp4fix-thumb-") as tmp:
        out = Path(tmp) / "frame.png"
        seek = ["-sseof", "-3"] if at == "last" else []
        cmd = [exe, "-v", "error", "-nostdin", *seek, "-i", str(path), "-an", "-vf", f"scale={width}:-2",
               "-update", "1", "-y", str(out)]
        if at != "last":
            cmd[-3:-3] = ["-frames:v", "1"]
        try:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
                           creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
            return out.read_bytes() if out.is_file() and out.stat().st_size else None
        except (OSError, subprocess.SubprocessError):
            return None


def run_repair(broken: Path | str, reference: Path | str, output: Path, overwrite: bool, *,
               progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
               thumbnails: bool = True, check_fit: bool = True) -> JobResult:
    """Repair one file (raises ``Mp4fixError`` subclasses, ``CancelledError`` after ``cancel.cancel()``).

    ``check_fit=False`` is "Repair anyway": the engine does not refuse a reference its fit check doubts.
    """
    from mp4fix.repair import repair

    unchecked = {} if check_fit else {"check_fit": False}
    report = repair(broken, reference, output=output, overwrite=overwrite, verify=True,
                    progress=progress, cancel=cancel, **unchecked)
    out = Path(report.output) if report.output else None
    result = JobResult(report, out)
    has_video = any(t.kind == "video" and t.status == "ok" for t in report.tracks)
    if thumbnails and out is not None and out.is_file() and has_video:
        result.thumb_first = _thumbnail(out, "first")
        result.thumb_last = _thumbnail(out, "last")
    return result
