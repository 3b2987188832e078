"""Does the reference describe the broken file? Decided on evidence that damage, window edges and a track
mp4fix cannot parse do not fool.

Parsing alone cannot see every mismatch: an H.264 reference in 4:4:4, at another resolution or from another
camera parses a 4:2:0 stream's slice headers without complaint, and AAC at 48 kHz parses with a 44.1 kHz
reference. So the evidence is of several kinds, gathered in up to three windows spread over the media data
(its start, its middle and its end) rather than in the first megabytes alone:

* what the recording says of itself: a stream that carries its own parameter sets names its picture size,
  chroma format and bit depth; when they are not the reference's, the reference is another camera's or
  another setting's, whatever else parses;
* a missing track: a reference track of which not one sample is found, over a stretch longer than the
  reference ever goes without one, while the other tracks find many and data nothing recognised lies where
  its samples would be, has other settings (another NAL length size, another camera's video). A lone sample
  of a track that is otherwise absent (an audio frame read in video bytes) is no evidence either way;
* recognition: the share of each window's bytes (zero padding, the lead-in before the first sample found
  and the sample the cut broke apart) that the reference's tracks measure as samples. A window where almost
  nothing is recognised says "other settings or no recording", but only if every window with data says so.
  Unrecognised bytes at the cut are that one broken sample only when the scan saw a sample begin there or
  when they are no longer than a sample whose beginning the scan cannot recognise;
* decoding: each window's samples, in the stretches between damage (from a keyframe on, whole samples only),
  are assembled into a small trial file and decoded by ffmpeg. Only the decoders' errors count, each run of
  errors one event (a wrong reference breaks frame after frame; the container's own complaints, e.g. about a
  track the output does not have, say nothing of the settings). A window fails when the events are dense;
  the reference is refused only when most windows fail and the reference itself decodes cleanly;
* the clock: in the broken file, audio time must advance against video time at the rate it does in the
  reference (``check_clock``, after the whole scan): AAC frames carry no sample rate, H.264 no frame rate,
  and a video whose settings differ may still parse its keyframes while every other frame is lost.

A user who knows better skips all of this (``check_fit=False``).
"""

from __future__ import annotations

import re
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from mp4fix import build, fftools, timeline, verify
from mp4fix.codecs.base import Matcher
from mp4fix.errors import CancelledError, MismatchError, Mp4fixError, NothingRecoveredError
from mp4fix import i18n  # i18n._ where a function uses _ as a name
from mp4fix.i18n import _, kind_name
from mp4fix.profile import Profile, TrackProfile
from mp4fix.scan import ScanResult, Scanner, TrackScan
from mp4fix.source import MediaFile
from mp4fix.timeline import TimingModel
from mp4fix.write import trial_prefix, window_layout, write_file

WINDOW = 4 << 20  # bytes of media data per evidence window
MIN_WINDOW = 256 << 10  # a recording shorter than three of these is judged as one window
SAMPLES_PER_WINDOW = 3  # a window holds at least this many of the reference's largest samples
MAX_WINDOW = 64 << 20  # ... up to this many bytes
RECOGNISED = 0.5  # a window whose data the reference's tracks explain less than this is not recognised
#: decoder error events per frame (video frames, or audio frames without video) that fail a window, and the
#: fewest events that can: a damaged frame that parsed gives an event or two, a wrong reference one every few
#: frames. A window that is the only one with a verdict needs more: no other window can outvote its damage.
ERRORS_PER_FRAME = 0.2
MIN_ERROR_EVENTS = 3
MIN_ERROR_EVENTS_ALONE = 5
TRIAL_TIMEOUT = 120.0
#: bytes ahead of a cut picture's first slice (parameter sets, SEI) the scan may leave unrecognised at the cut
CUT_SLACK = 16 << 10
MANY = 8  # samples of a track that show it is present
STRAY = 2  # at most this many samples of a track that is otherwise absent are no evidence
AV = ("video", "audio")


@dataclass
class Window:
    """What one stretch of the broken file's media data says about the reference."""

    start: int
    end: int
    result: ScanResult
    lead_in: int  # bytes before the first sample found (a window that starts inside a sample)
    data_bytes: int  # bytes that hold data: the samples found, and bytes that no sample explains and are not zero
    unexplained: int = 0  # of data_bytes, those no sample (or only a stray one) explains
    places: int = 0  # separate stretches those bytes lie in
    matchers: list[Matcher | None] | None = None  # the window's matchers after the scan (what they adopted)
    stray: frozenset[int] = frozenset()  # tracks whose few samples are no evidence (see ``_stray``)

    @property
    def recognised(self) -> float:
        return (self.data_bytes - self.unexplained) / self.data_bytes if self.data_bytes else 0.0

    def found(self, index: int) -> int:
        """Samples of track ``index`` found, none when they are stray."""
        if index in self.stray:
            return 0
        return sum(len(ts.sizes) for ts in self.result.tracks if ts.track.index == index and ts.matcher is not None)


def windows(start: int, end: int, size: int = WINDOW, least: int = MIN_WINDOW) -> list[tuple[int, int]]:
    """Three windows over [start, end): its start, middle and end; a shorter range is cut in three (damage in
    one part must not speak for the whole), a very short one is one window. No window is shorter than
    ``least`` (it is made to hold a few of the reference's largest samples: a window inside one picture
    recognises nothing and proves nothing)."""
    size = max(size, least)
    if end - start < 3 * least:
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
    largest = max((int(t.sizes.max()) for t in profile.tracks if len(t.sizes)), default=0)
    for a, b in windows(start, end, least=min(max(MIN_WINDOW, SAMPLES_PER_WINDOW * largest), MAX_WINDOW)):
        if cancelled is not None and cancelled():
            break
        matchers = fresh()
        result = Scanner(mf.data, mf.arr, profile, matchers, cancelled=cancelled).run(a, b)
        stray = _stray(result)
        samples = [(o, s) for ts in result.tracks if ts.track.index not in stray
                   for o, s in zip(ts.offsets, ts.sizes)]
        first = min((o for o, _ in samples), default=a)
        lead = first - a if a > start else 0  # a window that starts inside a sample
        # the incomplete sample at a cut is no evidence either way; bytes nothing recognised before it are, and
        # so are unrecognised bytes at the cut that are more than one sample the cut broke
        broken_sample = result.cut_sample or (bool(samples) and result.tail <= _tail_allowance(profile, matchers))
        stop = b - result.tail if broken_sample else b
        unexplained = _unexplained(mf.arr, a + lead, stop, samples)
        places = sum(1 for x, y in result.skipped if a + lead <= x < stop) + int(not broken_sample and result.tail > 0)
        used = sum(s for _, s in samples)
        out.append(Window(a, b, result, lead, used + unexplained, unexplained, places, matchers, stray))
    return out


def _tail_allowance(profile: Profile, matchers: list[Matcher | None]) -> int:
    """The most unrecognised bytes at the cut that one sample the cut broke explains, when the scan did not see
    that sample begin: a sample of a track whose matcher cannot recognise the beginning of a cut sample (or
    that cannot be parsed at all; then a cut sample of any track may follow it, unseen by the resync), or the
    parameter sets and SEI ahead of a cut picture."""
    blind = [int(t.sizes.max()) for t, m in zip(profile.tracks, matchers)
             if len(t.sizes) and (m is None or not m.knows_cut_starts)]
    allowance = max(blind, default=0)
    if any(m is None and len(t.sizes) for t, m in zip(profile.tracks, matchers)):
        allowance += max((int(t.sizes.max()) for t in profile.tracks if len(t.sizes)), default=0)
    return max(allowance, CUT_SLACK)


def _seconds(ts: TrackScan) -> float:
    """Media time the found samples of a track cover, counted at the reference's usual sample duration."""
    t = ts.track
    return sum(ts.counts) * t.sample_duration / t.timescale if t.timescale else 0.0


def _stray(result: ScanResult) -> frozenset[int]:
    """Audio tracks with a frame or two while the other tracks have many and cover ten times the time: a lone
    frame found in another track's bytes (an audio frame read in video data) in a recording whose audio is
    otherwise absent. They are no evidence that the track is there, nor that its settings fit. (Video frames
    are not: they parse too strictly to be found by chance, and a cut may leave only the first of a run.)"""
    found = {ts.track.index: ts for ts in result.tracks
             if ts.matcher is not None and ts.sizes and ts.track.kind in AV}
    out = set()
    for i, ts in found.items():
        if ts.track.kind != "audio" or len(ts.sizes) > STRAY or len(ts.track.sizes) < MANY:
            continue
        others = [_seconds(o) for j, o in found.items() if j != i and len(o.sizes) >= MANY]
        if others and _seconds(ts) < 0.1 * max(others):
            out.add(i)
    return frozenset(out)


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
    check_formats(evidence, broken, reference, profile, matchers)
    check_missing_tracks(evidence, broken, reference, profile, matchers)
    known = [w for w in evidence if w.recognised >= RECOGNISED]
    if not known:
        raise nothing_like_reference(broken, reference, profile, matchers,
                                     detail="; ".join(f"{w.data_bytes - w.unexplained} of {w.data_bytes} bytes "
                                                      f"recognised at {w.start}" for w in evidence))
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
                events, log = decoder_errors(trial, timeout=TRIAL_TIMEOUT, cancelled=cancelled)
            except CancelledError:
                raise  # a cancel is a cancel, never a verdict
            except Mp4fixError:
                return  # ffmpeg unavailable: the repair's own check will say so
            verdicts.append((events, frames, log))
    least = MIN_ERROR_EVENTS if len(verdicts) > 1 else MIN_ERROR_EVENTS_ALONE
    failed = [log for events, frames, log in verdicts if events >= max(least, ERRORS_PER_FRAME * frames)]
    if verdicts and 2 * len(failed) > len(verdicts) and reference_decodes_cleanly(reference, cancelled):
        raise MismatchError(
            _("The reference {reference} does not match {broken}: with its settings the recording cannot be "
              "decoded (the video or audio settings differ). Use a reference recorded with the same device and "
              "settings.", reference=reference.name, broken=broken.name), detail=failed[0])


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


# --- what the recording says of itself -------------------------------------------------------------------


def check_formats(windows_: list[Window], broken: Path, reference: Path, profile: Profile,
                  matchers: list[Matcher | None]) -> None:
    """Refuse a reference whose video parameter sets describe other pictures than the ones the recording
    carries in its own stream (its size, chroma format or bit depth)."""
    # every video track's formats: a track of stills of another size declines the video's parameter sets and
    # the video declines theirs; neither is foreign to the reference
    everyone = set().union(*(m.picture_formats() for t, m in zip(profile.tracks, matchers)
                             if m is not None and t.kind == "video"))
    for t, m in zip(profile.tracks, matchers):
        if m is None or t.kind != "video":
            continue
        known = m.picture_formats()
        if not known:
            continue
        for w in windows_:
            wm = w.matchers[t.index] if w.matchers is not None else None
            if wm is None:
                continue
            # adopted parameter sets count where the track was found; declined ones (another size: the samples
            # that carried them were not taken) count wherever they were met twice
            adopted = wm.picture_formats() - known if w.found(t.index) >= 2 else set()
            foreign = sorted(adopted | (wm.declined_formats() - everyone))
            if foreign:
                theirs, ours = foreign[0], sorted(known)[0]
                raise MismatchError(
                    _("The reference {reference} does not match {broken}: the recording's own video parameter "
                      "sets say its pictures are {found}, the reference's are {expected}. Use a reference "
                      "recorded with the same device and settings.", reference=reference.name,
                      broken=broken.name, found=_describe(theirs, ours), expected=_describe(ours, theirs)),
                    detail=f"track {t.track_id}: {foreign} not in {sorted(known)}")


def _describe(fmt: tuple[int, int, int, int], other: tuple[int, int, int, int]) -> str:
    """'1440x1080', with the chroma format and bit depth when they are what differs."""
    w, h, chroma, depth = fmt
    text = f"{w}x{h}"
    if chroma != other[2]:
        text += ", " + {0: "4:0:0", 1: "4:2:0", 2: "4:2:2", 3: "4:4:4"}.get(chroma, str(chroma))
    if depth != other[3]:
        text += ", " + _("{bits}-bit", bits=depth)
    return text


# --- a track the recording does not have in the reference's settings -------------------------------------


def check_missing_tracks(windows_: list[Window], broken: Path, reference: Path, profile: Profile,
                         matchers: list[Matcher | None]) -> None:
    """Refuse a reference an audio or video track of which no sample is found anywhere, when in some window
    the other tracks found many over longer than the reference ever goes without that track, and data nothing
    recognised lies where its samples would be: a quarter of the window's data, or about what that track would
    hold, spread over several places."""
    av = [t for t, m in zip(profile.tracks, matchers) if m is not None and t.kind in AV and len(t.sizes) >= 2]
    if len(av) < 2:
        return
    indices = {t.index for t in av}
    for t in av:
        if any(w.found(t.index) for w in windows_):
            continue
        absence = _longest_absence(profile, t.index)
        typical = float(np.median(t.sizes))
        for w in windows_:
            present = [ts for ts in w.result.tracks if ts.track.index in indices and ts.track.index != t.index
                       and w.found(ts.track.index) >= MANY]
            if not present or max(_seconds(ts) for ts in present) < absence:
                continue
            found_bytes = sum(ts.bytes for ts in present)
            ref_others = sum(int(ts.track.sizes.sum()) for ts in present)
            expected = found_bytes * int(t.sizes.sum()) / max(ref_others, 1)
            # a minority of the data unexplained in one or two places is damage as likely (in a recording
            # made without that track); a track with other settings leaves its data wherever it was written
            plenty = w.unexplained >= 0.25 * w.data_bytes or (w.places >= 3 and w.unexplained >= 0.5 * expected)
            if w.unexplained >= 2 * typical and plenty:
                other = max(present, key=lambda ts: len(ts.sizes))
                raise MismatchError(
                    _("The reference {reference} does not match {broken}: no {kind} like the reference's "
                      "('{fourcc}') was found in it, though {count} {other_kind} frames were and {size} bytes "
                      "of its data are not recognised, so its {kind} was recorded with other settings. Use a "
                      "reference recorded with the same device and settings.", reference=reference.name,
                      broken=broken.name, kind=kind_name(t.kind), fourcc=t.fourcc, count=len(other.sizes),
                      other_kind=kind_name(other.track.kind), size=f"{w.unexplained:,}"),
                    detail=f"track {t.track_id}: 0 samples at {w.start}..{w.end}; {w.unexplained} of "
                           f"{w.data_bytes} bytes unexplained; expected about {int(expected)} bytes")


def _longest_absence(profile: Profile, index: int) -> float:
    """The longest stretch (seconds of the other tracks' media) the reference's layout goes without a sample of
    track ``index``: before its first chunk, or between two of its chunks (not after its last: a finished
    recording flushes what is left of each track)."""
    longest = 0.0
    stretch: dict[int, float] = {}
    for ti, n in profile.layout:
        if ti == index:
            longest = max(longest, max(stretch.values(), default=0.0))
            stretch = {}
            continue
        t = profile.tracks[ti]
        if t.kind in AV and t.timescale:
            stretch[ti] = stretch.get(ti, 0.0) + n * t.sample_duration / t.timescale
    return longest


# --- decoding trials --------------------------------------------------------------------------------------


def _write_trial(mf: MediaFile, profile: Profile, w: Window, timing: TimingModel, path: Path) -> int:
    """A small file of the window's samples in the stretches between lost bytes (skipped data, zero runs), video
    from each stretch's first keyframe on; returns the frames it holds that count for the verdict (video
    frames, or audio frames in a file without video). After lost bytes a decoder misses the pictures later
    ones refer to: those errors would say nothing about the reference."""
    result = w.result
    cuts = np.asarray(sorted(a for a, _ in result.skipped + result.padding), dtype=np.int64)
    tracks = []
    for ts in result.tracks:
        if ts.matcher is None or not ts.sizes or ts.track.index in w.stray:
            continue
        keep = _clean(ts, cuts) if ts.track.kind == "video" else np.ones(len(ts.sizes), dtype=bool)
        if keep.any():
            tracks.append(_subset(ts, np.flatnonzero(keep)))
    counted = [ts for ts in tracks if ts.track.kind == "video"] or [ts for ts in tracks if ts.track.kind == "audio"]
    if not counted:
        return 0
    lo = min(ts.offsets[0] for ts in tracks)
    hi = max(ts.offsets[-1] + ts.sizes[-1] for ts in tracks)
    layout = window_layout(lo, hi, profile.ftyp or None)
    trial = ScanResult(tracks, lo, hi, skipped=list(result.skipped))
    times = timeline.rebuild(trial, timing)
    built = [build.track_tables(ts, times[ts.track.index], layout.shift) for ts in tracks]
    moov = build.build_moov(profile, built).to_bytes()
    write_file(mf, layout, moov, path, overwrite=True)
    return sum(len(ts.sizes) for ts in counted)


def _subset(ts: TrackScan, idx: np.ndarray) -> TrackScan:
    """The same track's samples at the indices ``idx`` (in order)."""
    pick = idx.tolist()
    facts = array("q")
    if len(ts.facts):
        pairs = ts.fact_pairs[idx]
        facts = array("q", pairs.reshape(-1).tolist())
    return TrackScan(ts.track, ts.matcher, array("q", [ts.offsets[i] for i in pick]),
                     array("q", [ts.sizes[i] for i in pick]), array("b", [ts.keyframes[i] for i in pick]),
                     array("q", [ts.counts[i] for i in pick]), facts)


def _clean(ts: TrackScan, cuts: np.ndarray) -> np.ndarray:
    """Which samples of a video track decode on their own data: in each stretch between unrecognised bytes,
    those from the stretch's first keyframe on (a frame after a gap may refer to frames lost in it)."""
    offs = np.asarray(ts.offsets, dtype=np.int64)
    stretch = np.searchsorted(cuts, offs, side="right")
    keys = np.asarray(ts.keyframes, dtype=bool)
    keep = np.zeros(len(offs), dtype=bool)
    for s in np.unique(stretch).tolist():
        sel = np.flatnonzero(stretch == s)
        first = next((i for i in sel.tolist() if keys[i]), None)
        if first is not None:
            keep[first:sel[-1] + 1] = True
    return keep


_CONTEXT = re.compile(r"^\[([^\]]+?) @ (?:0x)?[0-9a-fA-F]+\] ")
_ERROR = re.compile(r"\[(error|fatal|panic)\]")
_REPEATED = re.compile(r"Last message repeated (\d+) times?")
_DIGITS = re.compile(r"(?:0x)?[0-9a-fA-F]*[0-9][0-9a-fA-F]*")
#: log contexts that are not decoders: ffmpeg's own threads and streams ('in#0', 'vist#0:0/h264', 'af#0:1'),
#: filters, the scaler and resampler. Demuxers are told by the comma in their names ('mov,mp4,m4a,...').
_NOT_DECODERS = ("auto_", "Parsed_", "graph", "SWR", "swr", "swscaler", "null", "AVIOContext", "file")


def _decoder(line: str) -> str | None:
    """The context of a line a decoder logged ('[h264 @ 0x5600...] ...' gives 'h264'), else None."""
    m = _CONTEXT.match(line)
    if m is None:
        return None
    name = m.group(1)
    if "#" in name or "," in name or name.startswith(_NOT_DECODERS):
        return None
    return name


class ErrorEvents:
    """Decoding errors in an ffmpeg log, counted as events, about one a bad frame: the lines one decoder instance
    logs for one frame ("left block unavailable ...", "error while decoding MB ...") are one event, and a line
    like the one that began the event (its words; the numbers may differ) or a repeat ffmpeg folded ("Last
    message repeated 7 times") begins the next. Lines of the demuxer about the container's own structure, of
    filters and of ffmpeg itself do not count: they say nothing of whether the settings fit the data."""

    def __init__(self) -> None:
        self.events = 0
        self._context: str | None = None  # the decoder instance of the event under way, if the last line was one
        self._first = ""  # the words of the line that began it

    def feed(self, line: str) -> None:
        repeat = _REPEATED.search(line)
        if repeat:
            if self._context is not None:
                self.events += int(repeat.group(1))
            return
        if not (_ERROR.search(line) and _decoder(line) is not None):
            self._context = None
            return
        context = line[:line.index("]")]
        words = _DIGITS.sub("#", line[line.rindex("] ") + 2:] if "] " in line else line)
        if context != self._context or words == self._first:
            self.events += 1
            self._context, self._first = context, words


def decoder_errors(path: Path, timeout: float | None = None,
                   cancelled: Callable[[], bool] | None = None) -> tuple[int, str]:
    """Decode ``path`` whole with ffmpeg; return its decoders' error events and the head of its log. A cancel
    stops ffmpeg and raises ``CancelledError``."""
    counter = ErrorEvents()
    head: list[str] = []

    def on_err(line: str) -> None:
        counter.feed(line)
        if len(head) < 40:
            head.append(line)

    fftools.run(verify.full_decode_args(path), timeout=timeout, cancel=_Polled(cancelled), on_stderr_line=on_err,
                check=False, what="decoding a trial file")
    return counter.events, "\n".join(head)


def reference_decodes_cleanly(reference: Path, cancelled: Callable[[], bool] | None = None) -> bool:
    """Whether ffmpeg decodes the healthy reference itself without dense errors. When it does not (a decoder
    that rejects some valid frames, e.g. AMR comfort noise), errors in the trial say nothing about the fit."""
    try:
        events, _log = decoder_errors(reference, timeout=300, cancelled=cancelled)
    except CancelledError:
        raise
    except Mp4fixError:
        return True
    return events < MIN_ERROR_EVENTS_ALONE


class _Polled:
    """A ``cancelled()`` function as the token ``fftools`` polls (it stops ffmpeg and raises CancelledError)."""

    def __init__(self, cancelled: Callable[[], bool] | None):
        self._cancelled = cancelled

    @property
    def cancelled(self) -> bool:
        return self._cancelled is not None and self._cancelled()


# --- the clock -----------------------------------------------------------------------------------------------

#: an interleave this coarse for the span measured (tolerance above this) says nothing of the clock
CLOCK_MAX_TOLERANCE = 0.35
CLOCK_MIN_POINTS = 8
#: beyond these ratios the counts differ too much to be a rate: one track's samples are mostly not found
FAR = 1.5
#: a track whose reference runs at a variable rate is refused only this far off (its rate may vary that much)
FAR_VARIABLE = 2.5


def check_clock(profile: Profile, result: ScanResult, broken: Path, reference: Path) -> None:
    """Refuse a reference whose audio and video clocks do not fit the broken file (e.g. 48 kHz vs 44.1 kHz AAC,
    15 vs 12.5 frames per second, or a video whose settings differ so that only its keyframes are found).

    Audio frames carry no sample rate and H.264 frames no frame rate, so parsing alone cannot tell. The recorder
    interleaves audio and video by time, so in the broken file the audio time at each byte offset must advance
    like the video time at that offset, as it does in the reference. Both are measured robustly (the median of
    slopes between points a third of the span apart: a recorder's first and last chunks follow other rules than
    the rest), and only where the interleave is fine for the span measured: its tolerance grows with the
    reference's usual run of one track's samples and shrinks with the span.
    """
    scans = [ts for ts in result.tracks if ts.matcher is not None and len(ts.sizes) >= CLOCK_MIN_POINTS]
    videos = [ts for ts in scans if ts.track.kind == "video"]
    if not videos:
        return
    v = max(videos, key=lambda ts: len(ts.sizes))
    ref_v = profile.tracks[v.track.index]
    constant = _constant_rate(ref_v)
    for a in scans:
        if a.track.kind != "audio":
            continue
        ref_a = profile.tracks[a.track.index]
        if not _constant_rate(ref_a):
            continue  # not a clock (variable-duration audio packets)
        broken_slope, span, n = _clock_ratio(np.asarray(v.offsets), ref_v, np.asarray(a.offsets), ref_a,
                                             np.asarray(a.counts))
        ref_slope, _span, _n = _clock_ratio(ref_v.offsets, ref_v, ref_a.offsets, ref_a)
        if broken_slope is None or ref_slope is None or n < CLOCK_MIN_POINTS:
            continue
        run = max(_usual_run(profile, v.track.index), _usual_run(profile, a.track.index))
        tolerance = 0.03 + 2.0 * run / span
        if tolerance > CLOCK_MAX_TOLERANCE:
            continue
        ratio = broken_slope / ref_slope
        far = FAR if constant else FAR_VARIABLE
        if ratio > far or ratio < 1 / far:
            lost = v if ratio > 1 else a  # the track whose time falls behind: most of its samples were not found
            factor = ratio if ratio > 1 else 1 / ratio
            raise MismatchError(
                i18n._("The reference {reference} does not match {broken}: with the reference's {kind} settings "
                       "only {found} of about {expected} {kind} frames that the recording's {other} calls for were "
                       "recognised, so its {kind} ('{fourcc}') was recorded with other settings. Use a reference "
                       "recorded with the same device and settings.", reference=reference.name,
                       broken=broken.name, kind=kind_name(lost.track.kind), found=len(lost.sizes),
                       expected=int(round(len(lost.sizes) * factor)),
                       other=kind_name("audio" if lost is v else "video"), fourcc=lost.track.fourcc),
                detail=f"audio/video clock ratio {broken_slope:.3f} in the broken file, {ref_slope:.3f} in the "
                       f"reference, over {span:.1f} s")
        if constant and abs(ratio - 1.0) > tolerance:
            fps = ref_v.timescale / ref_v.sample_duration if ref_v.sample_duration else 0.0
            raise MismatchError(
                i18n._("The reference {reference} does not match {broken}: in the recording, audio and video "
                       "time run {percent:.0f}% apart from how they run in the reference, so it used another "
                       "audio sample rate or video frame rate than the reference's ({rate} Hz audio, {fps} "
                       "frames per second). Use a reference recorded with the same device and settings.",
                       reference=reference.name, broken=broken.name, percent=abs(ratio - 1) * 100,
                       rate=ref_a.sample_rate or ref_a.timescale, fps=f"{fps:.3g}"),
                detail=f"audio/video clock ratio {broken_slope:.4f} in the broken file, {ref_slope:.4f} in the "
                       f"reference, over {span:.1f} s (tolerance {tolerance:.3f})")


def _constant_rate(track: TrackProfile) -> bool:
    """The reference shows this track at a constant sample rate (decode times within half a sample of
    counting)."""
    d = np.asarray(track.durations[:-1], dtype=np.float64)
    if len(d) < 2 or track.sample_duration <= 0:
        return False
    dts = np.concatenate([[0.0], np.cumsum(d)[:-1]])
    return bool(np.abs(dts - np.arange(len(d)) * track.sample_duration).max() <= 0.5 * track.sample_duration)


def _clock_ratio(v_off, vt: TrackProfile, a_off, at: TrackProfile, a_counts=None) -> tuple[float | None, float, int]:
    """Audio time against video time at the same byte offsets: the slope, the audio seconds it spans and the
    points it rests on.

    Video time at an offset is the video samples written before it, counted at the reference's usual duration;
    audio time is the audio written before each audio sample (``a_counts``: how many table samples each audio
    offset starts, PCM chunks hold many). Only audio written while video is being written counts (not the
    audio a recorder writes ahead of the first video, nor after the last).
    """
    nv = len(v_off)
    if nv < 2 or len(a_off) < 2 or not vt.timescale or not at.timescale or vt.sample_duration <= 0:
        return None, 0.0, 0
    v_off = np.sort(np.asarray(v_off, dtype=np.int64))
    a_off = np.asarray(a_off, dtype=np.int64)
    counts = np.ones(len(a_off), dtype=np.int64) if a_counts is None else np.asarray(a_counts, dtype=np.int64)
    a_time = (np.cumsum(counts) - counts) * (at.sample_duration / at.timescale)
    k = np.searchsorted(v_off, a_off, side="left")  # video samples written before each audio sample
    inside = (k > 0) & (k < nv)
    x = k[inside] * (vt.sample_duration / vt.timescale)
    y = a_time[inside]
    if len(x) < 3:
        return None, 0.0, int(len(x))
    slope = _theil_sen(x, y)
    return slope, float(np.ptp(y)), int(len(x))


def _theil_sen(x: np.ndarray, y: np.ndarray, separation: float = 1 / 3, points: int = 400) -> float | None:
    """The median slope between points at least ``separation`` of the span apart (a few hundred points, evenly
    chosen): a stretch that follows another rule (the first chunk, the last flush, a damaged run) is outvoted."""
    pick = np.unique(np.linspace(0, len(x) - 1, min(len(x), points)).astype(np.int64))
    x, y = x[pick].astype(np.float64), y[pick].astype(np.float64)
    span = float(np.ptp(x))
    if span <= 0:
        return None
    dx = x[None, :] - x[:, None]
    dy = y[None, :] - y[:, None]
    far = dx >= separation * span
    if far.sum() < 3:
        return None
    return float(np.median(dy[far] / dx[far]))


def _usual_run(profile: Profile, index: int) -> float:
    """How long (seconds) a run of consecutive samples of a track usually lasts in the reference's layout: the
    90th percentile of its runs (a recorder's first chunk and last flush are longer than its rhythm)."""
    t = profile.tracks[index]
    if not t.timescale:
        return 0.0
    runs: list[int] = []
    previous = None
    for ti, n in profile.layout:
        if ti == index:
            if previous == index and runs:
                runs[-1] += n
            else:
                runs.append(n)
        previous = ti
    if not runs:
        return 0.0
    return float(np.percentile(runs, 90)) * t.sample_duration / t.timescale
