"""The one seam between the window and the engine: everything a worker does for one row of the queue.

``run_repair`` calls ``mp4fix.repair.repair`` for one broken file and then takes the two thumbnails.
No Qt widgets here; it runs on a worker thread.
"""

from __future__ import annotations

import dataclasses

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from mp4fix.errors import Mp4fixError, OutputError
from mp4fix.progress import CancelToken, ProgressCallback
from mp4fix.report import RepairReport
from mp4fix.gui.settings import OVERWRITE_KEEP_BOTH, OVERWRITE_REPLACE, OutputOptions, pattern_to_format
from mp4fix.gui.text import tr

log = logging.getLogger(__name__)


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
    """A PNG of the first or last frame (``mp4fix.fftools.thumbnail``); None when ffmpeg makes none."""
    from mp4fix import fftools  # noqa: PLC0415

    try:
        return fftools.thumbnail(path, at=at, width=width) or None
    except Mp4fixError:  # no frame there, or ffmpeg did not run: a missing picture is not a failed repair
        return None
    except Exception:  # noqa: BLE001 - a bug, but the repair itself succeeded: report that, log this
        log.exception("thumbnail of %s failed unexpectedly", path)
        return None


def run_repair(broken: Path | str, reference: Path | str, output: Path, overwrite: bool, *,
               progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
               thumbnails: bool = True, check_fit: bool = True) -> JobResult:
    """Repair one file (raises ``Mp4fixError`` subclasses, ``CancelledError`` after ``cancel.cancel()``).

    ``check_fit=False`` is "Repair anyway": the engine does not refuse a reference its fit check doubts.
    """
    from mp4fix.gui.probe import take_plan
    from mp4fix.repair import repair

    planned = take_plan(broken, reference)  # the fit check's plan: reference learned, trial decoded
    if planned is not None and check_fit:
        planned = dataclasses.replace(planned, output=Path(output), overwrite=overwrite)
        report = repair(planned, verify=True, progress=progress, cancel=cancel)
    else:
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
