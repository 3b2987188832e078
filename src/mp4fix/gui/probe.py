"""Looking at files before a repair: what is wrong with a broken file, what a reference holds, whether the
two fit, and which healthy files in a folder could serve as the reference.

Plain Python over the engine (``mp4fix.diagnose``, ``mp4fix.fftools``, ``mp4fix.repair.plan``). Runs on
worker threads; only the sentences are translated here. The engine's own errors (``Mp4fixError``) become the
row's sentence; anything else is a bug and is left to propagate (the job layer reports it).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from mp4fix.errors import Mp4fixError, OutputError
from mp4fix.gui.text import human_size, stream_line, tr

if TYPE_CHECKING:
    from mp4fix.diagnose import Diagnosis

# The engine's modules (numpy, the codecs) are imported where they are used, on the worker threads: the window
# opens without waiting for them.

MP4_EXTENSIONS = {".mp4", ".mov", ".m4v", ".3gp", ".3g2", ".lrv", ".mqv"}


@dataclass
class BrokenInfo:
    path: Path
    size: int
    state: str  # 'broken' (can be repaired), 'healthy' (nothing to do), 'unusable'
    sentence: str  # one plain sentence
    recoverable: int = 0
    brand: str = ""
    detail: str = ""  # for the "details" expander: boxes, ffmpeg's own words
    reason: str = ""  # a few words for the queue's Result column when it is not 'broken'
    repaired: bool = False  # healthy, and named like one of mp4fix's results: not offered as the reference


def short_reason(kind: str) -> str:
    """A few words for the Result column, from the class name of the error a repair ended with (the whole
    sentence is in the details panel and the tooltip)."""
    return {
        "MismatchError": tr("The reference does not fit"),
        "NothingRecoveredError": tr("Nothing could be recovered"),
        "UnsupportedCodecError": tr("Codec not supported"),
        "OutputError": tr("Could not save the result"),
        "NotBrokenError": tr("Not broken"),
        "ReferenceError_": tr("The reference cannot be used"),
        "InputError": tr("The file cannot be read"),
        "FFmpegError": tr("ffmpeg did not run"),
    }.get(kind, tr("See the details"))


def _input_reason(path: Path) -> str:
    """A few words on why a file could not even be looked at (the engine's sentence says it in full)."""
    try:
        if path.is_dir():
            return tr("A folder, not a file")
        if not path.exists():
            return tr("File not found")
        if path.stat().st_size == 0:
            return tr("Empty file")
        if not os.access(path, os.R_OK):
            return tr("Cannot be read")
    except OSError:
        return tr("Cannot be read")
    return tr("Not an MP4 or MOV file")


def is_repaired_name(path: Path, pattern: str = "<name>_fixed") -> bool:
    """Whether ``path`` is named like a result of mp4fix (``clip_fixed.mp4``, ``clip_fixed (2).mp4``, or the
    user's own naming ``pattern``). Such a file is never offered as the reference: its index was made by
    mp4fix from another reference, so it teaches nothing about the camera."""
    import re  # noqa: PLC0415

    stem = path.stem
    for pat in {pattern, "<name>_fixed"}:
        if "<name>" not in pat:
            continue
        head, tail = pat.split("<name>", 1)
        if re.fullmatch(re.escape(head) + r".+" + re.escape(tail) + r"( \(\d+\))?", stem):
            return True
    return False


@dataclass
class ReferenceInfo:
    path: Path
    size: int
    usable: bool
    sentence: str  # the problem when not usable; a short summary when usable
    streams: list[str] = field(default_factory=list)
    duration: float = 0.0
    brand: str = ""
    codecs: tuple[str, ...] = ()
    detail: str = ""


def is_media_file(path: Path) -> bool:
    return path.suffix.lower() in MP4_EXTENSIONS and not path.name.startswith(".")


def expand_paths(paths, max_depth: int = 3) -> list[Path]:
    """Files stay as they are; folders give the MP4/MOV files inside them (a few levels deep), sorted."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            base_depth = len(p.parts)
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                if len(Path(root).parts) - base_depth >= max_depth:
                    dirs[:] = []
                for name in sorted(files):
                    f = Path(root) / name
                    if is_media_file(f):
                        out.append(f)
        else:
            out.append(p)
    return out


def _box_lines(diagnosis: Diagnosis) -> str:
    lines = []
    for b in diagnosis.boxes:
        cut = tr(" (cut short)") if b.truncated else ""
        lines.append(f"  {b.type:<4}  @ {b.offset:>14,}  {human_size(b.size):>10}{cut}")
    return "\n".join(lines)


def _ffmpeg_view(path: Path) -> str:
    """What ffmpeg itself says about the file (e.g. 'moov atom not found'), or why ffmpeg could not run."""
    from mp4fix import fftools  # noqa: PLC0415

    try:
        info = fftools.probe(path)
    except Mp4fixError as e:  # ffmpeg missing or too slow: only for the details panel
        return str(e)
    return info.error or ""


def inspect_broken(path: Path | str) -> BrokenInfo:
    """Diagnose a dropped file and say in one sentence what is wrong with it."""
    from mp4fix.diagnose import diagnose  # noqa: PLC0415

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    try:
        d = diagnose(path)
    except Mp4fixError as e:
        return BrokenInfo(path, size, "unusable", str(e), detail=e.detail or "", reason=_input_reason(path))
    detail_parts = []
    boxes = _box_lines(d)
    if boxes:
        detail_parts.append(tr("Boxes in the file:") + "\n" + boxes)
    ff = _ffmpeg_view(path)
    if ff:
        detail_parts.append(tr("ffmpeg says:") + " " + ff)
    detail = "\n\n".join(detail_parts)
    if d.broken and d.has_moov:  # an index was written but never completed: the engine's own sentence
        return BrokenInfo(path, d.size or size, "broken", d.problem, d.recoverable_bytes, d.brand, detail)
    if d.broken:
        amount = d.recoverable_bytes
        if amount > 0:
            sentence = tr("The index (moov) is missing: the recording was not finished. "
                          "%1 of audio/video data can be recovered.").replace("%1", human_size(amount))
        else:
            sentence = tr("The index (moov) is missing: the recording was not finished.")
        return BrokenInfo(path, d.size or size, "broken", sentence, amount, d.brand, detail)
    if d.has_moov:
        return BrokenInfo(path, d.size or size, "healthy",
                          tr("This file is not broken: its index is complete, so there is nothing to repair. "
                             "It can serve as the reference."), 0, d.brand, detail,
                          tr("Plays as it is"))
    sentence = d.problem or tr("No audio or video data was found in this file, so there is nothing to recover.")
    return BrokenInfo(path, d.size or size, "unusable", sentence, 0, d.brand, detail, tr("No audio or video data"))


def _streams_from_fftools(path: Path) -> list[str]:
    """ffmpeg's view of the streams, one line each; empty when ffmpeg cannot run or open the file."""
    from mp4fix import fftools  # noqa: PLC0415

    try:
        info = fftools.probe(path)
    except Mp4fixError:  # fall back to the box layer
        return []
    return [stream_line(s.kind, s.codec, s.width, s.height, s.fps or 0.0, s.sample_rate, s.channels)
            for s in info.streams]


def inspect_reference(path: Path | str) -> ReferenceInfo:
    """Check that a file can serve as the reference and list its streams."""
    from mp4fix.diagnose import diagnose  # noqa: PLC0415

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    try:
        d = diagnose(path)
    except Mp4fixError as e:
        return ReferenceInfo(path, size, False, str(e), detail=e.detail or "")
    detail = _box_lines(d)
    if d.broken or not d.has_moov:
        return ReferenceInfo(path, d.size or size, False,
                             tr("This file is broken too: it has no index (moov). Choose a healthy recording "
                                "made with the same camera and settings."), brand=d.brand, detail=detail)
    tracks = list(d.tracks)
    if not tracks or not any(t.supported for t in tracks):
        names = ", ".join(sorted({t.codec for t in tracks})) or "-"
        return ReferenceInfo(path, d.size or size, False,
                             tr("mp4fix cannot rebuild any track of this file (codecs: %1).").replace("%1", names),
                             brand=d.brand, detail=detail)
    streams = _streams_from_fftools(path)
    if not streams:
        for t in tracks:
            fps = (t.samples / t.duration) if (t.kind == "video" and t.duration) else 0.0
            streams.append(stream_line(t.kind, t.codec, t.width, t.height, round(fps, 2),
                                       t.sample_rate, t.channels))
    duration = max((t.duration for t in tracks), default=0.0)
    return ReferenceInfo(path, d.size or size, True, tr("A healthy recording; it can be used as the reference."),
                         streams, duration, d.brand, tuple(t.codec for t in tracks), detail)


def check_fit(broken: BrokenInfo | Path | str, reference: ReferenceInfo | Path | str) -> str | None:
    """A sentence when the reference does not fit the broken file, else None: the engine's own check
    (``mp4fix.repair.plan``, which writes nothing)."""
    from mp4fix.repair import plan  # noqa: PLC0415

    bpath = broken.path if isinstance(broken, BrokenInfo) else Path(broken)
    rpath = reference.path if isinstance(reference, ReferenceInfo) else Path(reference)
    if isinstance(reference, ReferenceInfo) and not reference.usable:
        return reference.sentence
    try:
        made = plan(bpath, rpath, overwrite=True)  # where the result goes is the settings' business, not a fit
    except OutputError:
        return None
    except Mp4fixError as e:
        return str(e)
    _keep_plan(made)
    return None


#: plans the fit check made, for the repair that follows (``take_plan``): the reference is not learned and the
#: trial not decoded a second time. A few, the latest kept.
_PLANS: OrderedDict[tuple[str, str], object] = OrderedDict()
_PLANS_LOCK = threading.Lock()
PLANS_KEPT = 16


def _keep_plan(made) -> None:
    key = (os.path.abspath(str(made.broken)), os.path.abspath(str(made.reference)))
    with _PLANS_LOCK:
        _PLANS[key] = made
        _PLANS.move_to_end(key)
        while len(_PLANS) > PLANS_KEPT:
            _PLANS.popitem(last=False)


def take_plan(broken: Path | str, reference: Path | str):
    """The plan the fit check made for this pair, once (None when there is none): ``repair(plan)`` runs it,
    and plans again itself when either file changed since."""
    with _PLANS_LOCK:
        return _PLANS.pop((os.path.abspath(str(broken)), os.path.abspath(str(reference))), None)


def find_reference_candidates(folder: Path | str, exclude=(), broken: BrokenInfo | None = None,
                              limit: int = 40, pattern: str = "<name>_fixed") -> list[ReferenceInfo]:
    """Healthy recordings in ``folder`` that could serve as the reference, best first.

    Best means: fits the broken file (the engine's check), then
    the most recently modified. Files named like mp4fix's results (``pattern``) are never candidates.
    """
    folder = Path(folder)
    skip = {os.path.normcase(os.path.abspath(str(p))) for p in exclude}
    try:
        files = [f for f in folder.iterdir() if f.is_file() and is_media_file(f)
                 and os.path.normcase(os.path.abspath(str(f))) not in skip and not is_repaired_name(f, pattern)]
    except OSError:
        return []
    if broken is not None:
        files.sort(key=lambda f: f.suffix.lower() != broken.path.suffix.lower())
    found: list[ReferenceInfo] = []
    for f in files[:limit]:
        info = inspect_reference(f)
        if not info.usable:
            continue
        if broken is not None and check_fit(broken, info) is not None:
            continue
        found.append(info)

    def mtime(info: ReferenceInfo) -> float:
        try:
            return info.path.stat().st_mtime
        except OSError:
            return 0.0

    found.sort(key=mtime, reverse=True)
    return found
