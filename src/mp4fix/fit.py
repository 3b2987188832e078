"""Does the reference describe the broken file? Decided on evidence that damage, window edges and a track
mp4fix cannot parse do not fool.

Parsing alone cannot see every mismatch: an H.264 reference in 4:4:4, at another resolution or from another
camera parses a 4:2:0 stream's slice headers without complaint, and AAC at 48 kHz parses with a 44.1 kHz
reference. So the evidence is of three kinds, gathered in up to three windows spread over the media data
(its start, its middle and its end) rather than in the first megabytes alone:

* recognition: the share of each window's bytes (zero padding and the lead-in before the first sample
  found apart) that the reference's tracks measure as samples. A window where almost nothing is recognised
  says "other settings or no recording", but only if every window with data says so;
* decoding: each window's samples (from a keyframe on, whole samples only) are assembled into a small trial
  file and decoded by ffmpeg. A window fails when the errors are dense (a damaged frame gives a few lines,
  a wrong reference errors on nearly every frame); the reference is refused only when most windows fail and
  the reference itself decodes cleanly;
* the clock: in the broken file, audio time must advance against video time at the rate it does in the
  reference (``check_clock``, after the whole scan): AAC frames carry no sample rate.

A user who knows better skips all of this (``check_fit=False``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from mp4fix import build, timeline, verify
from mp4fix.codecs.base import Matcher
from mp4fix.errors import CancelledError, MismatchError, Mp4fixError, NothingRecoveredError
from mp4fix import i18n  # i18n._ where a function uses _ as a name
from mp4fix.i18n import _, kind_name
from mp4fix.profile import Profile
from mp4fix.scan import ScanResult, Scanner
from mp4fix.source import MediaFile
from mp4fix.timeline import TimingModel
from mp4fix.write import trial_prefix, window_layout, write_file

WINDOW = 4 << 20  # bytes of media data per evidence window
MIN_WINDOW = 256 << 10  # a recording shorter than three of these is judged as one window
RECOGNISED = 0.5  # a window whose data the reference's tracks explain less than this is not recognised
ERRORS_PER_FRAME = 0.5  # decoding errors per video frame (or audio frame, without video) that fail a window
TRIAL_TIMEOUT = 120.0


@dataclass
class Window:
    """What one stretch of the broken file's media data says about the reference."""

    start: int
    end: int
    result: ScanResult
    lead_in: int  # bytes before the first sample found (a window that starts inside a sample)
    data_bytes: int  # bytes that hold data: the samples found, and bytes that no sample explains and are not zero

    @property
    def recognised(self) -> float:
        return self.result.bytes_used / self.data_bytes if self.data_bytes else 0.0


def windows(start: int, end: int, size: int = WINDOW) -> list[tuple[int, int]]:
    """Three windows over [start, end): its start, middle and end; a shorter range is cut in three (damage in
    one part must not speak for the whole), a very short one is one window."""
    if end - start < 3 * MIN_WINDOW:
        return [(start, end)]
    if end - start <= 3 * size:
        a, b = start + (end - start) // 3, start + 2 * (end - start) // 3
        return [(start, a), (a, b), (b, end)]
    mid = start + (end - start - size) // 2
    return [(start, start + size), (mid, mid + size), (end - size, end)]


def scan_windows(mf: MediaFile, profile: Profile, fresh: Callable[[], list[Matcher | None]], start: int, end: int,
                 cancelled: Callable[[], bool] | None = None) -> list[Window]:
    """Scan each window with fresh matchers (the end of a window is treated as a cut)."""
    out = []
    for a, b in windows(start, end):
        if cancelled is not None and cancelled():
            break
        result = Scanner(mf.data, mf.arr, profile, fresh(), cancelled=cancelled).run(a, b)
        samples = [(o, s) for ts in result.tracks for o, s in zip(ts.offsets, ts.sizes)]
        first = min((o for o, _ in samples), default=a)
        lead = first - a if a > start else 0  # a window that starts inside a sample
        # the incomplete sample at a cut is no evidence either way; bytes nothing recognised before it are
        stop = b - result.tail if samples or result.cut_sample else b
        out.append(Window(a, b, result, lead, result.bytes_used + _unexplained(mf.arr, first, stop, samples)))
    return out


def _unexplained(arr: np.ndarray, lo: int, hi: int, samples: list[tuple[int, int]]) -> int:
    """Bytes in [lo, hi) that no sample holds and that are not zero (zero runs are padding, or damage that
    wiped data: no evidence either way)."""
    if hi <= lo:
        return 0
    held = np.zeros(hi - lo, dtype=bool)
    for o, s in samples:
        held[max(o - lo, 0):max(min(o + s, hi) - lo, 0)] = True
    return int(np.count_nonzero(~held & (arr[lo:hi] != 0)))


def decide(windows_: list[Window], broken: Path, reference: Path, profile: Profile, matchers: list[Matcher | None],
           mf: MediaFile, timing: TimingModel, cancelled: Callable[[], bool] | None = None) -> None:
    """Raise ``MismatchError`` (or ``NothingRecoveredError`` for data with no recording in it) unless the
    windows' evidence says the reference fits."""
    evidence = [w for w in windows_ if w.data_bytes > 0]
    if not evidence:
        if any(w.result.cut_sample for w in windows_):
            raise NothingRecoveredError(
                _("No complete audio or video sample was found in {name}: the recording stopped inside its "
                  "first frame.", name=broken.name))
        raise NothingRecoveredError(
            _("{name} holds no recording: its media data is all zeros (space the recorder reserved but never "
              "wrote).", name=broken.name))
    known = [w for w in evidence if w.recognised >= RECOGNISED]
    if not known:
        raise nothing_like_reference(broken, reference, profile, matchers,
                                     detail="; ".join(f"{w.result.bytes_used} of {w.data_bytes} bytes recognised "
                                                      f"at {w.start}" for w in evidence))
    verdicts = []
    with tempfile.TemporaryDirectory(prefix=trial_prefix()) as tmp:
        for k, w in enumerate(known):
            if cancelled is not None and cancelled():
                return
            trial = Path(tmp) / f"trial{k}{broken.suffix}"
            frames = _write_trial(mf, profile, w, timing, trial)
            if frames == 0:
                continue
            try:
                verdict = verify.decode_check(trial, full=True, timeout=TRIAL_TIMEOUT, cancel=_Polled(cancelled))
            except CancelledError:
                raise  # a cancel is a cancel, never a verdict
            except Mp4fixError:
                return  # ffmpeg unavailable: the repair's own check will say so
            verdicts.append((verdict.decode_errors >= max(1.0, ERRORS_PER_FRAME * frames), verdict))
    failed = [v for bad, v in verdicts if bad]
    if verdicts and 2 * len(failed) > len(verdicts) and reference_decodes_cleanly(reference, cancelled):
        raise MismatchError(
            _("The reference {reference} does not match {broken}: with its settings the recording cannot be "
              "decoded (the video or audio settings differ). Use a reference recorded with the same device and "
              "settings.", reference=reference.name, broken=broken.name), detail=failed[0].log)


def nothing_like_reference(broken: Path, reference: Path, profile: Profile, matchers: list[Matcher | None],
                           detail: str = "") -> MismatchError:
    kinds = ", ".join(f"{kind_name(t.kind)} '{t.fourcc}'" for t, m in zip(profile.tracks, matchers)
                      if m is not None)
    return MismatchError(
        _("No audio or video like the reference's ({kinds}) was found in {broken}: the reference {reference} "
          "does not match it (another device or other settings), or it holds no recording (overwritten or "
          "encrypted data). Use a reference recorded with the same device and settings.", kinds=kinds,
          broken=broken.name, reference=reference.name),
        detail=detail)


def _clean_stretch(result: ScanResult) -> tuple[int, int]:
    """The byte range of the window the trial decodes: the longest stretch between lost bytes (skipped data,
    zero runs) that begins at a video keyframe. After lost bytes a decoder misses the pictures later ones refer
    to: those errors would say nothing about the reference."""
    bounds = sorted(result.skipped + result.padding)
    edges = [result.start] + [b for _a, b in bounds]
    ends = [a for a, _b in bounds] + [result.end]
    keys = sorted(o for ts in result.tracks if ts.matcher is not None and ts.track.kind == "video"
                  for o, k in zip(ts.offsets, ts.keyframes) if k)
    videos = any(ts.matcher is not None and ts.track.kind == "video" and ts.sizes for ts in result.tracks)
    best, size = (result.start, result.end), -1
    for lo, hi in zip(edges, ends):
        if videos:
            lo = next((k for k in keys if lo <= k < hi), None)
            if lo is None:
                continue
        if hi - lo > size:
            best, size = (lo, hi), hi - lo
    return best if size >= 0 else (result.end, result.end)


def _write_trial(mf: MediaFile, profile: Profile, w: Window, timing: TimingModel, path: Path) -> int:
    """A small file of the window's samples in its cleanest stretch (``_clean_stretch``), video from a
    keyframe on; returns the frames it holds that count for the verdict (video frames, or audio frames in a
    file without video)."""
    lo, hi = _clean_stretch(w.result)
    tracks = []
    for ts in w.result.tracks:
        if ts.matcher is None or not ts.sizes:
            continue
        keep = [i for i, (o, n) in enumerate(zip(ts.offsets, ts.sizes)) if lo <= o and o + n <= hi]
        if keep:
            tracks.append(ts.tail_from(keep[0]).head(len(keep)))
    counted = [ts for ts in tracks if ts.track.kind == "video"] or [ts for ts in tracks if ts.track.kind == "audio"]
    if not counted:
        return 0
    lo = min(ts.offsets[0] for ts in tracks)
    hi = max(ts.offsets[-1] + ts.sizes[-1] for ts in tracks)
    layout = window_layout(lo, hi, profile.ftyp or None)
    trial = ScanResult(tracks, lo, hi)
    times = timeline.rebuild(trial, timing)
    built = [build.track_tables(ts, times[ts.track.index], layout.shift) for ts in tracks]
    moov = build.build_moov(profile, built).to_bytes()
    write_file(mf, layout, moov, path, overwrite=True)
    return sum(len(ts.sizes) for ts in counted)


def reference_decodes_cleanly(reference: Path, cancelled: Callable[[], bool] | None = None) -> bool:
    """Whether ffmpeg decodes the healthy reference itself without errors. When it does not (a decoder that
    rejects some valid frames, e.g. AMR comfort noise), errors in the trial say nothing about the fit."""
    try:
        return verify.decode_check(reference, full=True, timeout=300, cancel=_Polled(cancelled)).decode_errors == 0
    except CancelledError:
        raise
    except Mp4fixError:
        return True


class _Polled:
    """A ``cancelled()`` function as the token ``fftools`` polls (it stops ffmpeg and raises CancelledError)."""

    def __init__(self, cancelled: Callable[[], bool] | None):
        self._cancelled = cancelled

    @property
    def cancelled(self) -> bool:
        return self._cancelled is not None and self._cancelled()


# --- the clock -----------------------------------------------------------------------------------------------


def check_clock(profile: Profile, result: ScanResult, broken: Path, reference: Path) -> None:
    """Refuse a reference whose audio clock does not fit the broken file (e.g. 48 kHz vs 44.1 kHz AAC).

    Audio frames carry no sample rate, so parsing alone cannot tell. The recorder interleaves audio and video
    by time, so in the broken file the audio time at each byte offset must advance like the video time at
    that offset, as it does in the reference. A clock that runs several percent off means other settings.
    """
    scans = [ts for ts in result.tracks if ts.matcher is not None and len(ts.sizes) > 1]
    # a variable-rate video is no clock to measure audio against (the timeline dates it by the audio instead)
    videos = [ts for ts in scans if ts.track.kind == "video" and _constant_rate(profile.tracks[ts.track.index])]
    if not videos:
        return
    v = max(videos, key=lambda ts: len(ts.sizes))
    for a in scans:
        if a.track.kind != "audio":
            continue
        broken_slope, span = _clock_ratio(np.asarray(v.offsets), len(v.sizes), v.track,
                                          np.asarray(a.offsets), a.track, np.asarray(a.counts))
        ref_v = profile.tracks[v.track.index]
        ref_a = profile.tracks[a.track.index]
        ref_slope, _ = _clock_ratio(ref_v.offsets, len(ref_v.sizes), ref_v, ref_a.offsets, ref_a)
        if broken_slope is None or ref_slope is None or span < 4.0:
            continue
        chunk = _max_chunk_seconds(profile)
        tolerance = 0.03 + 2.0 * chunk / span
        if abs(broken_slope / ref_slope - 1.0) > tolerance:
            rate = a.track.sample_rate or a.track.timescale
            raise MismatchError(
                i18n._("The reference {reference} does not match {broken}: its audio ({fourcc}, {rate} Hz) runs "
                       "{percent:.0f}% off the video clock in the broken file, so the recording used other audio "
                       "settings. Use a reference recorded with the same device and settings.",
                       reference=reference.name, broken=broken.name, fourcc=a.track.fourcc, rate=rate,
                       percent=abs(broken_slope / ref_slope - 1) * 100))


def _constant_rate(track) -> bool:
    """The reference shows this track at a constant sample rate (decode times within half a sample of
    counting)."""
    d = np.asarray(track.durations[:-1], dtype=np.float64)
    if len(d) < 2 or track.sample_duration <= 0:
        return False
    dts = np.concatenate([[0.0], np.cumsum(d)[:-1]])
    return bool(np.abs(dts - np.arange(len(d)) * track.sample_duration).max() <= 0.5 * track.sample_duration)


def _clock_ratio(v_off, nv: int, vt, a_off, at, a_counts=None) -> tuple[float | None, float]:
    """Slope of audio time against video time at the same byte offsets, and the seconds it spans.

    ``a_counts`` gives how many table samples each audio offset starts (PCM chunks hold many).
    """
    if nv < 2 or len(a_off) < 2 or not vt.timescale or not at.timescale:
        return None, 0.0
    v_time = np.arange(nv) * (vt.sample_duration / vt.timescale)
    counts = np.ones(len(a_off), dtype=np.int64) if a_counts is None else np.asarray(a_counts)
    a_time = (np.cumsum(counts) - counts) * (at.sample_duration / at.timescale)
    v_off = np.asarray(v_off[:nv], dtype=np.float64)
    a_off = np.asarray(a_off, dtype=np.float64)
    inside = (a_off >= v_off[0]) & (a_off <= v_off[-1])
    if inside.sum() < 2:
        return None, 0.0
    order = np.argsort(v_off)
    at_v = np.interp(a_off[inside], v_off[order], v_time[order])
    span = float(at_v.max() - at_v.min())
    if span <= 0:
        return None, 0.0
    slope = float(np.polyfit(at_v, a_time[inside], 1)[0])
    return slope, span


def _max_chunk_seconds(profile: Profile) -> float:
    longest = 0.0
    for ti, n in profile.layout:
        t = profile.tracks[ti]
        if t.timescale:
            longest = max(longest, n * t.sample_duration / t.timescale)
    return longest
