"""The last pipeline stage: does ffmpeg decode the repaired file, and how much of it was checked.

Decoding a whole recording takes longer than repairing it (an hour of 4K would take about an hour), so the
default check is proportionate:

* every audio sample is decoded (audio is cheap to decode, and every frame stands alone);
* video is decoded from its first keyframe through the first GOP, through the whole last GOP (where the cut
  was), and through GOPs at keyframes spread evenly between them. Each stretch starts at a keyframe (ffmpeg
  seeks there: ``-ss`` before ``-i``), so it decodes as a player would after a seek.

All stretches are inputs of one ffmpeg process (one start-up, and ffmpeg decodes them side by side).
``full=True`` decodes everything instead. The ``VerifyResult`` says which check ran and what it covered.

Where the keyframes are comes from the repaired file's own index (read back with ``mp4fix.reference``), so the
check looks at the file as it was written. Cancelling kills ffmpeg at once (``fftools.run``).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from mp4fix import fftools
from mp4fix.errors import CancelledError, FFmpegError, Mp4fixError
from mp4fix.i18n import _
from mp4fix.progress import CancelToken
from mp4fix.report import VerifyResult

__all__ = ["CheckPlan", "Stretch", "decode_check", "full_decode_args", "plan_check", "verify", "FULL",
           "SAMPLED"]

FULL, SAMPLED = "full", "sampled"
#: share of the GOPs between the first and the last decoded by the sampled check, and its bounds
SPREAD_SHARE = 0.02
SPREAD_MIN, SPREAD_MAX = 2, 48
#: below this many GOPs the sampled check decodes everything (it would not save anything worth a word)
FULL_BELOW_GOPS = 8

_REPEAT_RE = re.compile(r"Last message repeated (\d+) times?")
_ERROR_RE = re.compile(r"\[(error|fatal|panic)\]")


@dataclass(frozen=True)
class Stretch:
    """Video decoded from the keyframe at ``start`` (seconds, as ffmpeg seeks) for ``duration`` seconds
    (None: to the end)."""

    start: float
    duration: float | None
    frames: int  # video samples of the main track it covers


@dataclass
class CheckPlan:
    """What the decode check will do: everything (``stretches`` empty and ``full``), or every audio sample and
    the video stretches."""

    full: bool
    stretches: list[Stretch] = field(default_factory=list)
    duration: float | None = None  # seconds of media (the longest audio/video track)
    video_frames: int = 0  # samples of the main video track
    gops: int = 0  # keyframes of the main video track
    has_audio: bool = False
    has_video: bool = False

    @property
    def checked_frames(self) -> int:
        return self.video_frames if self.full else sum(s.frames for s in self.stretches)

    def describe(self) -> str:
        """What the check covers, for the report: one phrase."""
        if self.full:
            return _("every audio and video sample")
        parts = [_("every audio sample")] if self.has_audio else []
        n = len(self.stretches)
        parts.append(_("video from {n} of {gops} keyframes, the first, the last and {spread} spread evenly "
                       "({checked} of {total} frames)", n=n, gops=self.gops, spread=max(n - 2, 0),
                       checked=f"{self.checked_frames:,}", total=f"{self.video_frames:,}"))
        return "; ".join(parts)


def plan_check(path: str | os.PathLike, full: bool = False) -> CheckPlan:
    """Plan the check of a complete file from its own index. A file whose index cannot be read, without video,
    or with few GOPs is checked whole."""
    from mp4fix.reference import learn_profile

    try:
        profile = learn_profile(path)
    except Mp4fixError:
        return CheckPlan(full=True)
    av = [t for t in profile.tracks if t.handler in ("vide", "soun") and len(t.sizes) and t.timescale]
    videos = [t for t in av if t.handler == "vide"]
    duration = max((float(t.durations.sum()) / t.timescale for t in av), default=None)
    plan = CheckPlan(full=True, duration=duration, has_audio=any(t.handler == "soun" for t in av),
                     has_video=bool(videos))
    if not videos:
        return plan
    v = max(videos, key=lambda t: len(t.sizes))
    n = len(v.sizes)
    keys = np.flatnonzero(v.keyframes) if v.keyframes is not None else np.arange(n)
    plan.video_frames, plan.gops = n, len(keys)
    if full or len(keys) < FULL_BELOW_GOPS or keys[0] != 0:
        return plan
    pts = _presentation_seconds(v, profile.movie_timescale)
    start = min(_first_pts(t, profile.movie_timescale) for t in av)  # ffmpeg's -ss counts from the file's start
    frame = v.sample_duration / v.timescale
    inner = len(keys) - 2
    spread = min(inner, max(SPREAD_MIN, min(SPREAD_MAX, math.ceil(SPREAD_SHARE * inner))))
    chosen = [0] + [1 + round((i + 1) * inner / (spread + 1)) - 1 for i in range(spread)] + [len(keys) - 1]
    stretches = []
    for g in sorted(set(chosen)):
        a = int(keys[g])
        b = int(keys[g + 1]) if g + 1 < len(keys) else n
        gop_start = float(pts[a:b].min()) - start
        if g == 0:
            stretches.append(Stretch(0.0, float(pts[:b].max()) - start + frame, b - a))
            continue
        # seek a little after the keyframe (ffmpeg lands on the keyframe at or before the target) and read to
        # the end of its GOP
        target = max(gop_start + min(0.25 * (float(pts[a:b].max()) - gop_start), 0.5), 0.0)
        if b == n:
            stretches.append(Stretch(target, None, b - a))
        else:
            stretches.append(Stretch(target, float(pts[a:b].max()) - start + frame - target, b - a))
    plan.full = False
    plan.stretches = stretches
    return plan


def _edit_shift(t, movie_timescale: int) -> float:
    """Seconds the edit list moves a track's media time by (an empty edit first, then the media start)."""
    shift = 0.0
    for seg, media_time, _rate in t.edit_list:
        if media_time == -1:
            shift += seg / movie_timescale if movie_timescale else 0.0
            continue
        shift -= media_time / t.timescale
        break
    return shift


def _presentation_seconds(t, movie_timescale: int) -> np.ndarray:
    dts = np.concatenate([[0], np.cumsum(t.durations)[:-1]]).astype(np.float64)
    cts = dts + (t.ctts if t.ctts is not None else 0)
    return cts / t.timescale + _edit_shift(t, movie_timescale)


def _first_pts(t, movie_timescale: int) -> float:
    return float(_presentation_seconds(t, movie_timescale).min())


# frames pass through as timed, in microseconds: the null output's default frame-rate time base rounds a
# variable frame rate's close frames to one time, and ffmpeg logs "non monotonically increasing dts" errors
# for files that are fine
_NULL_OUT = ["-fps_mode", "passthrough", "-enc_time_base:v", "1/1000000", "-f", "null", "-"]


def full_decode_args(path: str | os.PathLike) -> list[str]:
    """ffmpeg's arguments that decode every audio and video stream of ``path`` (logging warnings and errors)."""
    return _args(path, CheckPlan(full=True))


def _args(path: str | os.PathLike, plan: CheckPlan) -> list[str]:
    head = ["-v", "level+warning", "-nostats", "-stats_period", "0.1", "-progress", "pipe:1"]
    src = fftools._input(path)
    if plan.full:
        return head + ["-i", src, "-map", "0:v?", "-map", "0:a?", *_NULL_OUT]
    inputs: list[str] = []
    maps: list[str] = []
    k = 0
    if plan.has_audio:
        inputs += ["-i", src]
        maps += ["-map", f"{k}:a"]
        k += 1
    for s in plan.stretches:
        if s.start > 0:
            inputs += ["-ss", f"{s.start:.6f}"]
        if s.duration is not None:
            inputs += ["-t", f"{max(s.duration, 0.001):.6f}"]
        inputs += ["-i", src]
        maps += ["-map", f"{k}:v"]
        k += 1
    return head + inputs + maps + _NULL_OUT


def decode_check(path: str | os.PathLike, *, full: bool = True, progress: Callable[[float], None] | None = None,
                 cancel: CancelToken | None = None, timeout: float | None = None, exe: str | None = None,
                 plan: CheckPlan | None = None) -> VerifyResult:
    """Decode ``path`` with ffmpeg (everything with ``full``, else the proportionate check of ``plan_check``)
    and count the errors it logs.

    ``ok`` means ffmpeg opened the file and logged no error. ``duration`` is how far decoding got (seconds of
    output, from ``-progress``). ``progress(fraction)`` is called as decoding advances. Cancelling kills ffmpeg
    at once and raises ``CancelledError``.
    """
    exe = exe or fftools.ffmpeg_exe()
    name = os.path.basename(os.fspath(path))
    if plan is None:
        plan = plan_check(path, full=full)
    expected = plan.duration
    if expected is None:
        try:
            info = fftools.probe(path, exe=exe,
                                 timeout=fftools.PROBE_TIMEOUT if timeout is None else min(timeout, fftools.PROBE_TIMEOUT))
            expected = info.duration if info.duration and info.duration > 0 else None
        except FFmpegError:
            expected = None
    if not plan.full and not plan.has_audio:  # only video stretches: the longest one paces the output
        expected = max((s.duration or 0.0 for s in plan.stretches), default=0.0) or expected
    if cancel is not None and cancel.cancelled:
        raise CancelledError(_("Cancelled: ffmpeg was stopped while {what}.", what=_("decoding {name}", name=name)))

    state = {"errors": 0, "last_was_error": False, "out_us": None, "last_fraction": -1.0}

    def on_err(line: str) -> None:
        m = _REPEAT_RE.search(line)
        if m:
            if state["last_was_error"]:
                state["errors"] += int(m.group(1))
            return
        is_err = bool(_ERROR_RE.search(line))
        state["last_was_error"] = is_err
        if is_err:
            state["errors"] += 1

    def on_out(line: str) -> None:
        key, _, value = line.partition("=")
        if key in ("out_time_us", "out_time_ms"):  # both are microseconds (a historical misnomer)
            try:
                us = int(value)
            except ValueError:
                return
            if us >= 0 and (state["out_us"] is None or us > state["out_us"]):
                state["out_us"] = us
                if progress is not None and expected:
                    frac = min(us / 1e6 / expected, 1.0)
                    if frac - state["last_fraction"] >= 0.001:
                        state["last_fraction"] = frac
                        progress(frac)

    res = fftools.run(_args(path, plan), exe=exe, timeout=timeout, cancel=cancel, on_stdout_line=on_out,
                      on_stderr_line=on_err, check=False, what=f"decoding {name}")
    errors = state["errors"]
    if res.returncode != 0 and errors == 0:
        errors = 1  # could not open or finish: a failure, whatever the log level said
    duration = state["out_us"] / 1e6 if state["out_us"] is not None else None
    if duration is None and res.returncode == 0:
        duration = 0.0
    if progress is not None and state["last_fraction"] < 1.0:
        progress(1.0)
    if cancel is not None and cancel.cancelled:  # cancelled while the last lines were read: still cancelled
        raise CancelledError(_("Cancelled: ffmpeg was stopped while {what}.", what=_("decoding {name}", name=name)))
    log = fftools._trim_log(res.stderr_lines)
    if res.returncode != 0:
        log = (log + "\n" if log else "") + f"ffmpeg exited with code {res.returncode}"
    return VerifyResult(ok=errors == 0 and res.returncode == 0, decode_errors=errors, duration=duration, log=log,
                        mode=FULL if plan.full else SAMPLED, coverage=plan.describe(),
                        frames_checked=plan.checked_frames, frames_total=plan.video_frames)


def verify(path: str | Path, *, full: bool = False, progress: Callable[[float], None] | None = None,
           cancel: CancelToken | None = None) -> VerifyResult:
    """The pipeline stage: check the written file (proportionately, or whole with ``full``).

    Never raises for a file ffmpeg cannot check (the result says "not verified" and why), except
    ``CancelledError``: then the output is removed, as a cancelled repair leaves nothing behind.
    """
    path = Path(path)
    try:
        return decode_check(path, full=full, progress=progress, cancel=cancel)
    except CancelledError:
        path.unlink(missing_ok=True)
        raise
    except Mp4fixError as exc:
        return VerifyResult(ok=False, decode_errors=0, duration=None, log=_("not verified: {reason}", reason=exc),
                            mode=FULL if full else SAMPLED, coverage=_("nothing: ffmpeg could not be run"))
