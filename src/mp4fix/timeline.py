"""When each recovered sample is presented: the timeline, rebuilt from what the file carries.

Counting samples dates them only when nothing varies and nothing is missing. The file carries more: audio
runs on a constant clock (every AAC frame lasts 1024 samples, PCM is counted in frames), and recorders write
the tracks interleaved by time, in chunks whose rule (how long a chunk lasts, how far one track runs ahead of
another) the reference's own tables show. So:

* every time is a movie time: a track's media time less where its edit list starts it (AAC priming, the
  B-frame delay), since that is the time recorders interleave by;
* the clock is an audio track with a constant frame duration; its time at any byte offset is the duration
  of its samples written before that offset;
* for every other track, each chunk's start is dated by the clock at the chunk's offset less the lead the
  reference shows for that track (Apple's writer runs audio ~2 s ahead of video, ffmpeg and GoPro interleave
  sample by sample), and consecutive chunks are held apart by the frames they contain: a weighted least-
  squares fit of both, weighted by how much each varies in the reference, dates every chunk;
* a track the reference shows at a constant rate keeps exact times: sample ``i`` at ``(i + k) * duration``,
  where ``k`` (frames lost before it, 0 unless bytes were lost) is read off the fit; a variable-rate track
  takes the fitted times, its frames spread evenly inside each chunk;
* across bytes that were lost (damage), a constant-rate track's frames lost in the gap are counted from the
  fit, so the tracks keep their offset to one another after it;
* composition offsets put each frame at its presentation position (B-frames) on the same grid, by the rule
  the reference's own tables follow: Apple's writer decodes each frame a constant delay before the frame
  that many places on presents, ffmpeg decodes it when the frame two places back presents.

Each track says how sure its times are: ``exact`` (constant rate, nothing lost or every loss counted),
``rebuilt`` (from the audio clock, with the expected accuracy) or ``approximate`` (nothing to rebuild them
from: a variable-rate track without audio, or a data track whose reference has no rhythm to learn).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mp4fix.i18n import _, ngettext
from mp4fix.profile import Profile, TrackProfile
from mp4fix.scan import ScanResult, TrackScan

MIN_LEAD_CHUNKS = 2  # reference chunks needed to learn a track's lead over the clock
FEW_CHUNKS = 5  # ... and below this many, how much it varies is not learned from them
HEAD_CHUNKS = 8  # the first chunks of a track, each dated with the lead its counterpart in the reference had
MAX_SHIFT = 4  # the most frames by which decode times may trail presentation times (see Rhythm.shift)
LOCAL_FRAMES = 50  # clock samples either side of a gap whose bytes give the recording's local byte rate


@dataclass(frozen=True)
class Rhythm:
    """What the reference shows of one track's timing."""

    nominal: int  # the most common sample duration (media ticks)
    constant: bool  # decode times follow i * nominal to within half a sample
    jitter: float  # how much one sample's duration varies (seconds, standard deviation)
    origin: float  # the movie time of media time 0 (s): empty edits less the edit's media time
    lead: float | None  # typical clock time written before a chunk minus the chunk's first decode time (s)
    lead_spread: float  # how much that varies (seconds)
    #: presentation time of the frame at presentation position p = decode grid at p + shift, plus delay (ticks)
    shift: int = 0
    delay: int = 0
    #: the lead of each of the reference's first chunks: a writer starts its own way (Apple's writes two seconds of
    #: audio, then a single video frame, ...), and a recording of the same device starts the same way
    head: tuple[float, ...] = ()
    #: the range the lead keeps to (0.5th to 99.5th percentile, seconds): what dates a track across lost bytes
    lead_range: tuple[float, float] = (0.0, 0.0)
    #: the most frames by which a sample's presentation position is from its decode position (B-frames)
    max_reorder: int = 0


@dataclass(frozen=True)
class TimingModel:
    """What the reference teaches about time: the clock track (None without a steady audio track) and every
    track's rhythm."""

    clock: int | None
    rhythms: dict[int, Rhythm]
    #: how many chunks of each other track the reference writes in a row between two of the clock's chunks,
    #: at most, while recording (a finished recording writes its last video after the audio ended)
    runs: dict[int, int] = field(default_factory=dict)
    #: how much of the clock's media the reference's edit list leaves out at its end (ticks): the audio encoder
    #: ran on after the recording stopped
    clock_trim: int = 0


@dataclass
class TrackTimes:
    """Decode durations and composition offsets of one track's recovered samples, and how sure they are: one
    value per entry of the scan (a sample, or a run of equal uncompressed audio frames, each lasting it)."""

    durations: np.ndarray  # int64 per table row
    ctts: np.ndarray | None
    claim: str = "exact"  # 'exact', 'rebuilt' or 'approximate'
    accuracy: float = 0.0  # seconds: how far a time may be from the recorder's, when rebuilt
    lost: int = 0  # samples counted as lost in gaps
    notes: list[str] = field(default_factory=list)
    #: ticks of the track's media its edit list leaves out at the end (the recording stopped before them)
    trim: int = 0
    #: ticks the last sample of each entry lasts longer (lost data after it); None when nothing was lost
    extra: np.ndarray | None = None
    #: why times were rebuilt: 'rate' (the rate varies) or 'gaps' (lost data left the count of frames unsure)
    reason: str = "rate"


# --- what the reference teaches ---------------------------------------------------------------------------


def clock_track(tracks: list[TrackProfile]) -> int | None:
    """The audio track whose constant sample duration times the recording (the one with the most samples)."""
    best = None
    for t in tracks:
        if t.kind != "audio" or not t.timescale or len(t.durations) < 2:
            continue
        if np.mean(t.durations[:-1] == t.sample_duration) < 0.9:
            continue  # not a steady clock (variable-duration packets)
        if best is None or len(t.durations) > len(tracks[best].durations):
            best = t.index
    return best


def origin(track: TrackProfile, movie_timescale: int) -> float:
    """The movie time (s) at which the track's media time 0 is presented, by its edit list."""
    empty = 0
    for duration, media_time, _rate in track.edit_list:
        if media_time == -1:
            empty += duration
            continue
        return empty / max(movie_timescale, 1) - media_time / track.timescale
    return empty / max(movie_timescale, 1)


def _chunk_starts(offsets: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Indices of the samples that begin a chunk: a run of samples lying back to back in the file."""
    if len(offsets) == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    breaks = np.flatnonzero(offsets[1:] != offsets[:-1] + sizes[:-1]) + 1
    return np.concatenate([[0], breaks]).astype(np.int64)


def _clock_before(clock_offsets: np.ndarray, clock_ends: np.ndarray, start: float, at: np.ndarray) -> np.ndarray:
    """The clock's movie time at byte offsets ``at``: the end of its samples that begin before them.

    ``clock_ends`` holds the movie time at which each clock sample (file order) ends; ``start`` the movie time
    at which the first begins."""
    idx = np.searchsorted(clock_offsets, at, side="left")
    return np.concatenate([[start], clock_ends])[idx]


def _extend(grid: np.ndarray, upto: int, step: float) -> np.ndarray:
    """``grid`` continued by ``step`` so that index ``upto`` exists."""
    if upto < len(grid):
        return grid
    more = grid[-1] + step * np.arange(1, upto - len(grid) + 2)
    return np.concatenate([grid, more])


def _composition_rule(pres: np.ndarray, grid: np.ndarray, pos: np.ndarray, nominal: int) -> tuple[int, int]:
    """The (shift, delay) with presentation = grid[pos + shift] + delay that fits the reference best."""
    best = (0, 0)
    best_spread = None
    for shift in range(MAX_SHIFT + 1):
        g = _extend(grid, int(pos.max()) + shift, nominal)
        resid = pres - g[pos + shift]
        delay = float(np.median(resid))
        spread = float(np.median(np.abs(resid - delay)))
        if best_spread is None or spread < best_spread - 0.5:  # ties: the smallest shift
            best, best_spread = (shift, int(round(delay))), spread
    return best


def learn(profile: Profile, orders: dict[int, np.ndarray | None] | None = None) -> TimingModel:
    """The clock track and every track's rhythm, from the reference's tables.

    ``orders`` gives, for tracks with reordering, the reference samples' presentation positions (as the
    matcher measured them), from which the rule that puts frames on the decode grid is learned.
    """
    clock = clock_track(profile.tracks)
    out: dict[int, Rhythm] = {}
    ck = profile.tracks[clock] if clock is not None else None
    if ck is not None:
        c_off = np.asarray(ck.offsets, dtype=np.int64)
        order = np.argsort(c_off, kind="stable")
        c_start = origin(ck, profile.movie_timescale)
        c_end = np.cumsum(ck.durations.astype(np.float64)) / ck.timescale + c_start
        c_off, c_end = c_off[order], c_end[order]
    for t in profile.tracks:
        n = len(t.durations)
        if n == 0 or not t.timescale:
            continue
        nominal = t.sample_duration
        dur = t.durations.astype(np.float64)
        body = dur[:-1] if n > 1 else dur
        dts = np.concatenate([[0.0], np.cumsum(dur)[:-1]])
        drift = np.abs(dts[:len(body)] - np.arange(len(body)) * nominal)
        constant = bool(len(body) == 0 or drift.max() <= 0.5 * max(nominal, 1)) and nominal > 0
        # how much one duration varies, robustly (an odd first frame of 2 s is not the rhythm)
        jitter = 1.4826 * float(np.median(np.abs(body - np.median(body)))) / t.timescale if len(body) > 1 else 0.0
        start = origin(t, profile.movie_timescale)
        lead = None
        spread = 0.0
        head: tuple[float, ...] = ()
        lead_range = (0.0, 0.0)
        if ck is not None and t.index != clock:
            starts = _chunk_starts(t.offsets, t.sizes)
            if len(starts) >= MIN_LEAD_CHUNKS:
                a = _clock_before(c_off, c_end, c_start, np.asarray(t.offsets, dtype=np.int64)[starts])
                leads = a - (dts[starts] / t.timescale + start)
                # chunks written after the clock ended say nothing of the lead (a finished recording writes its
                # last video after its audio), but the first chunk after the clock's last sample was written in turn
                inside = a < c_end[-1] - 1e-9
                after = np.flatnonzero(~inside)
                if len(after):
                    inside[after[0]] = True
                if inside.sum() >= MIN_LEAD_CHUNKS:
                    first_out = int(np.argmin(inside)) if not inside.all() else len(leads)
                    head = tuple(float(x) for x in leads[:min(HEAD_CHUNKS, first_out)])
                    leads = leads[inside]
                    lead = float(np.median(leads))
                    lead_range = tuple(float(x) for x in np.percentile(leads, [0.5, 99.5]))
                    # how much the lead varies, robustly (one chunk written at the end of a finished recording
                    # is no measure of it); a few chunks show little of it: no tighter than 0.1 s then
                    mad = 1.4826 * float(np.median(np.abs(leads - lead)))
                    spread = float(max(mad, 1e-3 if len(leads) >= FEW_CHUNKS else 0.1))
        shift, delay, reorder = 0, 0, 0
        if t.ctts is not None and len(t.ctts):
            pos = orders.get(t.index) if orders else None
            k = min(len(pos), n) if pos is not None else n
            p = np.arange(k) if pos is None else np.asarray(pos[:k], dtype=np.int64)
            shift, delay = _composition_rule(dts[:k] + t.ctts[:k], dts, p, nominal)
            reorder = int(np.abs(p - np.arange(k)).max()) if k else 0
        out[t.index] = Rhythm(nominal, constant, jitter, start, lead, spread, shift, delay, head, lead_range,
                              reorder)
    return TimingModel(clock, out, *(_ending(profile, clock) if clock is not None else ({}, 0)))


def _ending(profile: Profile, clock: int) -> tuple[dict[int, int], int]:
    """From the reference's layout: each track's longest run of chunks between two clock chunks while the
    clock was still being written, and how much of the clock's media its edit list leaves out at the end."""
    layout = profile.layout
    last_clock = max((k for k, (ti, _n) in enumerate(layout) if ti == clock), default=-1)
    runs: dict[int, int] = {}
    current: dict[int, int] = {}
    for ti, _n in layout[:last_clock + 1]:
        if ti == clock:
            current = {}
            continue
        current[ti] = current.get(ti, 0) + 1
        runs[ti] = max(runs.get(ti, 0), current[ti])
    ck = profile.tracks[clock]
    normal = [e for e in ck.edit_list if e[1] != -1]
    trim = 0
    if len(normal) == 1 and profile.movie_timescale:
        media_end = int(ck.durations.sum())
        shown = normal[0][0] * ck.timescale / profile.movie_timescale
        trim = max(0, int(round(media_end - normal[0][1] - shown)))
    return runs, trim


# --- the recovered samples' times ---------------------------------------------------------------------------


def _gap_after(offsets: np.ndarray, sizes: np.ndarray, gaps: list[tuple[int, int]]) -> np.ndarray:
    """For each sample but the last: whether bytes were lost between it and the next one of its track."""
    if len(offsets) < 2 or not gaps:
        return np.zeros(max(len(offsets) - 1, 0), dtype=bool)
    g = np.asarray([a for a, _ in gaps], dtype=np.int64)
    ends = offsets[:-1] + sizes[:-1]
    # a gap that starts at or after this sample's end and before the next sample's start
    first = np.searchsorted(g, ends, side="left")
    return (first < len(g)) & (g[np.minimum(first, len(g) - 1)] < offsets[1:])


def _solve_chain(obs: np.ndarray, w_obs: np.ndarray, step: np.ndarray, w_step: np.ndarray) -> np.ndarray:
    """Least squares for S_0..S_{m-1}: sum w_obs (S_c - obs_c)^2 plus sum w_step (S_{c+1} - S_c - step_c)^2.
    A symmetric tridiagonal system, solved in one pass each way (a faint pull toward ``obs`` keeps it
    regular where an unknown has no equation of its own)."""
    m = len(obs)
    ridge = 1e-12 + 1e-12 * (float(w_step.max()) if len(w_step) else 0.0)
    diag = w_obs.astype(np.float64) + ridge
    rhs = (w_obs * obs).astype(np.float64) + ridge * obs
    off = np.zeros(m, dtype=np.float64)  # off[c]: coupling between S_c and S_{c+1}
    diag[1:] += w_step
    diag[:-1] += w_step
    rhs[1:] += w_step * step
    rhs[:-1] -= w_step * step
    off[:-1] = -w_step
    cp = np.zeros(m)
    dp = np.zeros(m)
    cp[0] = off[0] / diag[0]
    dp[0] = rhs[0] / diag[0]
    for j in range(1, m):
        den = diag[j] - off[j - 1] * cp[j - 1]
        cp[j] = off[j] / den
        dp[j] = (rhs[j] - off[j - 1] * dp[j - 1]) / den
    s = np.zeros(m)
    s[-1] = dp[-1]
    for j in range(m - 2, -1, -1):
        s[j] = dp[j] - cp[j] * s[j + 1]
    return s


def _robust_chain(obs: np.ndarray, w_obs: np.ndarray, step: np.ndarray, w_step: np.ndarray,
                  rounds: int = 12, k: float = 3.0) -> np.ndarray:
    """``_solve_chain`` with Cauchy weights, refitted a few times: a frame that lasted two seconds (the first
    frame of Apple's writer), a dropped run of frames or a chunk written out of its usual turn is an outlier
    of its one equation, and costs no more than a few ordinary errors, instead of bending every other time."""
    # start from what the clock says alone (carried by the frame counts where it says nothing), so that a
    # large outlier of the frame-count equations is seen as one from the first round
    seen = np.flatnonzero(w_obs > 0)
    cum = np.cumsum(np.concatenate([[0.0], step]))
    if len(seen):
        s = np.interp(np.arange(len(obs)), seen, obs[seen])
        before, after = np.arange(len(obs)) < seen[0], np.arange(len(obs)) > seen[-1]
        s[before] = obs[seen[0]] - (cum[seen[0]] - cum[before])
        s[after] = obs[seen[-1]] + cum[after] - cum[seen[-1]]
    else:
        return cum + obs[0]  # nothing dates any chunk: the frame counts alone
    for _round in range(rounds):
        r_obs = (s - obs) * np.sqrt(w_obs)
        r_step = (np.diff(s) - step) * np.sqrt(w_step)
        wo = w_obs / (1.0 + (r_obs / k) ** 2)
        ws = w_step / (1.0 + (r_step / k) ** 2)
        s = _solve_chain(obs, wo, step, ws)
    return s


def rebuild(result: ScanResult, model: TimingModel) -> dict[int, TrackTimes]:
    """Durations and composition offsets for every track that has samples (by track index)."""
    clock, rhythms = model.clock, model.rhythms
    out: dict[int, TrackTimes] = {}
    tracks = {ts.track.index: ts for ts in result.tracks if ts.matcher is not None and ts.sizes}
    gaps = _merged(result.skipped + result.padding)  # where bytes were lost, or could have been
    clock_scan = tracks.get(clock) if clock is not None else None
    ck = None
    anchor = anchor_lost = None
    doubt = 0.0
    if clock_scan is not None:
        rc = rhythms[clock]
        anchor = _anchor(tracks, rhythms, clock)
        lost, anchor_lost, doubt = _clock_losses(clock_scan, rc, anchor, rhythms, gaps, result)
        counts = np.asarray(clock_scan.counts, dtype=np.int64) if clock_scan.counts else \
            np.ones(len(clock_scan.offsets), np.int64)
        ends = np.cumsum(counts + lost)  # a sample before lost bytes lasts until the clock's next sample
        ck = (np.asarray(clock_scan.offsets, dtype=np.int64),
              ends * (rc.nominal / clock_scan.track.timescale) + rc.origin, rc.origin)
        out[clock] = _counted(clock_scan, rc, None)
        if model.clock_trim and _clock_finished(clock_scan, tracks, model.runs):
            out[clock].trim = model.clock_trim
        if lost.any():
            out[clock].extra = lost * rc.nominal  # the sample before the gap lasts until the next one
            n = int(lost.sum())
            out[clock].notes.append(ngettext("{n} audio frame lost with damaged data was counted; later sound "
                                             "keeps its time", "{n} audio frames lost with damaged data were "
                                             "counted; later sound keeps its time", n, n=n))
            if doubt > 0:
                out[clock].claim, out[clock].accuracy, out[clock].reason = "rebuilt", doubt, "gaps"
    for ti, ts in tracks.items():
        if ti == clock and ck is not None:
            continue
        t = ts.track
        rh = rhythms.get(ti) or Rhythm(t.sample_duration or 1, True, 0.0, 0.0, None, 0.0)
        reorder = _reorder(ts, gaps, rh.max_reorder)
        if t.kind in ("text", "subtitle"):  # shown until the next one: nothing in the bytes says how long
            out[ti] = _counted(ts, rh, reorder)
            out[ti].claim = "approximate" if not rh.constant else "exact"
            continue
        runs = bool(ts.counts) and max(ts.counts) > 1  # runs of fixed-size samples: nothing to date them by
        if rh.lead is None or ck is None or t.kind == "audio" or rh.nominal <= 0 or runs:
            out[ti] = _counted(ts, rh, reorder)
            if not rh.constant and t.kind == "video":
                out[ti].notes.append(_("variable frame rate and no audio to rebuild it from"))
            elif not rh.constant:
                out[ti].notes.append(_("its timing is not in its data and no audio dates it"))
            continue
        out[ti] = _fitted(ts, rh, ck, gaps, reorder, anchor_lost if ti == anchor else None)
        if ti == anchor and doubt > 0 and out[ti].claim == "exact":
            out[ti].claim, out[ti].accuracy, out[ti].reason = "rebuilt", doubt, "gaps"
    return out


def _clock_finished(clock_scan: TrackScan, tracks: dict[int, TrackScan], runs: dict[int, int]) -> bool:
    """The recording's audio ended before the data did: after the clock's last sample another track wrote more
    chunks in a row than the reference ever does while its audio runs (Apple's writer flushes its last two
    seconds of video after the audio is complete). A cut recording has at most the next chunk or so there."""
    last = clock_scan.offsets[-1]
    for ti, ts in tracks.items():
        if ti == clock_scan.track.index or ti not in runs:
            continue
        offs = np.asarray(ts.offsets, dtype=np.int64)
        sel = offs > last
        if sel.sum() == 0:
            continue
        chunks = len(_chunk_starts(offs[sel], np.asarray(ts.sizes, dtype=np.int64)[sel]))
        if chunks > runs[ti] + 1:
            return True
    return False


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _stretches(ts: TrackScan, gaps: list[tuple[int, int]]) -> np.ndarray:
    """Index of the first sample of each run of a track's samples that no lost bytes interrupt."""
    offs = np.asarray(ts.offsets, dtype=np.int64)
    lost = _gap_after(offs, np.asarray(ts.sizes, dtype=np.int64), gaps)
    return np.concatenate([[0], np.flatnonzero(lost) + 1]).astype(np.int64)


def _reorder(ts: TrackScan, gaps: list[tuple[int, int]], most: int) -> np.ndarray | None:
    """For each sample, its presentation position less its decode position (B-frames), measured by the codec
    within each run of samples that no lost bytes interrupt (across a gap the count of frames between them is
    not known); None when the track presents in decode order. An offset beyond what the reference shows
    (``most``; a run that begins inside a group of pictures whose first pictures were lost) is not believed:
    such a sample keeps its decode position."""
    if not ts.keeps_facts:
        return None
    n = len(ts.sizes)
    starts = _stretches(ts, gaps)
    facts = ts.fact_pairs
    out = np.zeros(n, dtype=np.int64)
    for a, b in zip(starts.tolist(), starts[1:].tolist() + [n]):
        pos = ts.matcher.order_from_facts(facts[a:b])
        if pos is not None:
            r = np.asarray(pos, dtype=np.int64) - np.arange(b - a)
            out[a:b] = np.where(np.abs(r) <= max(most, 1) + 2, r, 0)
    return out if out.any() else None


def _anchor(tracks: dict[int, TrackScan], rhythms: dict[int, Rhythm], clock: int) -> int | None:
    """The track whose constant rate and lead over the clock best date lost stretches (the video with the
    most samples)."""
    best = None
    for ti, ts in tracks.items():
        rh = rhythms.get(ti)
        if ti == clock or rh is None or not rh.constant or rh.lead is None or rh.nominal <= 0:
            continue
        if ts.track.kind == "audio":
            continue
        if best is None or len(ts.sizes) > len(tracks[best].sizes):
            best = ti
    return best


def _clock_losses(clock_scan: TrackScan, rc: Rhythm, anchor: int | None, rhythms: dict[int, Rhythm],
                  gaps: list[tuple[int, int]], result: ScanResult) -> tuple[np.ndarray, np.ndarray | None, float]:
    """For each clock sample, how many of the clock's samples were lost right after it (0 almost always).

    At each gap: the time it held is estimated from its bytes at the recording's byte rate; with a constant-
    rate track (the anchor) the pair (audio frames lost, anchor frames lost) is the one that puts the most of
    the anchor's chunks after the gap within the lead range the reference shows (a sample-by-sample interleave
    pins it to one audio frame), the byte estimate choosing among equally good pairs.

    Returns the clock's losses, the anchor's (frames lost before each of its samples; None without an anchor)
    and how unsure the choice was (seconds: the spread of equally good choices, 0 when one pair fitted).
    """
    offs = np.asarray(clock_scan.offsets, dtype=np.int64)
    sizes = np.asarray(clock_scan.sizes, dtype=np.int64)
    counts = np.asarray(clock_scan.counts, dtype=np.int64) if clock_scan.counts else np.ones(len(offs), np.int64)
    lost = np.zeros(len(offs), dtype=np.int64)
    doubt = 0.0
    if not gaps or len(offs) < 2:
        return lost, None, doubt
    scale = clock_scan.track.timescale
    d_a = rc.nominal / scale
    span = float(counts.sum()) * d_a
    rate = span / max(result.bytes_used, 1)  # seconds of recording per byte
    before_gap = _gap_after(offs, sizes, gaps)
    if not before_gap.any():
        return lost, None, doubt
    a_ts = None
    a_lost = None
    if anchor is not None:
        a_ts = next(t for t in result.tracks if t.track.index == anchor)
        ra = rhythms[anchor]
        a_off = np.asarray(a_ts.offsets, dtype=np.int64)
        a_starts = _chunk_starts(a_off, np.asarray(a_ts.sizes, dtype=np.int64))
        a_lost = np.zeros(len(a_off), dtype=np.int64)  # anchor frames lost before each anchor sample
        d_v = ra.nominal / a_ts.track.timescale
        lo, hi = ra.lead_range
        tol = 1e-3 + 1.0 / min(scale, a_ts.track.timescale)  # a millisecond, and the rounding of ticks
    cum_counts = np.concatenate([[0], np.cumsum(counts)])
    every = sorted((o, o + n) for ts in result.tracks for o, n in zip(ts.offsets, ts.sizes))
    starts_all = np.asarray([a for a, _ in every], dtype=np.int64)
    sizes_cum = np.concatenate([[0], np.cumsum([b - a for a, b in every])])

    def all_bytes(lo: int, hi: int) -> int:  # bytes of recovered samples of every track starting in [lo, hi)
        return int(sizes_cum[np.searchsorted(starts_all, hi)] - sizes_cum[np.searchsorted(starts_all, lo)])

    for j in np.flatnonzero(before_gap).tolist():
        g0 = int(offs[j] + sizes[j])
        g1 = int(offs[j + 1])
        # zero runs are often the writer's own padding: only bytes that held data are taken as lost time, at the
        # byte rate of the recording around the gap (a second or so of audio either side)
        held = sum(min(b, g1) - max(a, g0) for a, b in result.skipped if a < g1 and b > g0)
        lo_j, hi_j = max(0, j - LOCAL_FRAMES), min(len(offs) - 1, j + 1 + LOCAL_FRAMES)
        span_local = float(cum_counts[hi_j] - cum_counts[lo_j]) * d_a
        bytes_local = all_bytes(int(offs[lo_j]), int(offs[hi_j]))
        t_est = held * (span_local / bytes_local if span_local > 0 and bytes_local > 0 else rate)
        m_best = int(round(t_est / d_a))
        if a_ts is not None:
            nxt = next((a for a, _b in gaps if a >= g1), None)  # the anchor's chunks up to the next gap
            after = a_starts[(a_off[a_starts] >= g1) & ((a_off[a_starts] < nxt) if nxt is not None else True)]
            after = after[:64]
            if len(after) >= 3:
                at = np.searchsorted(offs, a_off[after], side="left")
                a_now = cum_counts[at] + np.concatenate([[0], np.cumsum(lost)])[at]
                k_before = a_lost[after]
                # pairs around the byte estimate (zero padding may hide a lost frame or two as well)
                ms = _around(t_est / d_a)
                ks = _around(t_est / d_v)
                # lead of each chunk for each (m, K): clock time at the chunk less the chunk's decode time
                base = (a_now * d_a + rc.origin) - ((after + k_before) * d_v + ra.origin)
                lead = base[None, None, :] + ms[:, None, None] * d_a - ks[None, :, None] * d_v
                fits = ((lead >= lo - tol) & (lead <= hi + tol)).sum(axis=2)
                best = fits.max()
                if best > 0:
                    cand = np.argwhere(fits == best)
                    m_c, k_c = ms[cand[:, 0]], ks[cand[:, 1]]
                    cost = np.abs((m_c * d_a + k_c * d_v) / 2 - t_est)
                    pick = int(np.argmin(cost))
                    m_best, k_best = int(m_c[pick]), int(k_c[pick])
                    a_lost[a_off >= g1] += k_best
                    # several pairs fit as well (a strictly periodic interleave): the byte estimate chose
                    doubt = max(doubt, float(np.ptp(m_c * d_a)) / 2)
        lost[j] = max(m_best, 0)
    return lost, a_lost, doubt


def _around(frames: float, most: int = 120) -> np.ndarray:
    """Candidate counts of lost frames around an estimate: a few either side, more for a larger estimate."""
    w = min(most, 4 + int(frames * 0.5))
    centre = int(round(frames))
    return np.arange(max(0, centre - w), centre + w + 1)


def _counted(ts: TrackScan, rh: Rhythm, reorder: np.ndarray | None) -> TrackTimes:
    """Every sample the nominal duration (audio, and tracks with nothing to date them by)."""
    entries = len(ts.sizes)
    slots = np.arange(entries, dtype=np.int64)
    return TrackTimes(np.full(entries, rh.nominal, dtype=np.int64), _ctts_constant(ts, slots, rh, reorder),
                      "exact" if rh.constant else "approximate")


def _ctts_constant(ts: TrackScan, slots: np.ndarray, rh: Rhythm, reorder: np.ndarray | None) -> np.ndarray | None:
    """Composition offsets (ticks) of a constant-rate track whose sample i decodes in frame slot ``slots[i]``:
    it is presented in the slot of its presentation position, by the reference's rule."""
    if reorder is not None or (ts.track.ctts is not None and rh.shift):
        r = reorder if reorder is not None else 0
        return ((r + rh.shift) * rh.nominal + rh.delay + np.zeros(len(slots), dtype=np.int64)).astype(np.int64)
    if ts.track.ctts is not None:
        return np.full(len(slots), rh.delay, dtype=np.int64)
    return None


def _ctts_grid(ts: TrackScan, grid: np.ndarray, rh: Rhythm, reorder: np.ndarray | None, rows: int) -> np.ndarray | None:
    """Composition offsets (ticks) of a variable-rate track on its decode grid (``grid``: decode times in ticks,
    one per sample and one after): each sample presented where its presentation position falls."""
    if reorder is not None or (ts.track.ctts is not None and rh.shift):
        pos = np.arange(rows, dtype=np.int64) + (reorder if reorder is not None else 0)
        # frames presented after the last recovered one's decode time: the grid goes on at the local pace
        pace = float(np.median(np.diff(grid[-9:]))) if len(grid) > 2 else rh.nominal
        g = _extend(grid.astype(np.float64), int(pos.max()) + rh.shift, pace)
        return np.round(g[np.maximum(pos + rh.shift, 0)] - grid[:rows] + rh.delay).astype(np.int64)
    if ts.track.ctts is not None:
        return np.full(rows, rh.delay, dtype=np.int64)
    return None


def _fitted(ts: TrackScan, rh: Rhythm, ck: tuple[np.ndarray, np.ndarray, float], gaps: list[tuple[int, int]],
            reorder: np.ndarray | None, known: np.ndarray | None = None) -> TrackTimes:
    """Date the chunks of a track by the clock (see the module's description)."""
    c_off, c_end, c_start = ck
    scale = ts.track.timescale
    offs = np.asarray(ts.offsets, dtype=np.int64)
    sizes = np.asarray(ts.sizes, dtype=np.int64)
    n = len(offs)
    d = rh.nominal / scale
    starts = _chunk_starts(offs, sizes)
    counts = np.diff(np.concatenate([starts, [n]]))
    lost_between = _gap_after(offs, sizes, gaps)
    chunk_gap = lost_between[starts[1:] - 1] if len(starts) > 1 else np.zeros(0, dtype=bool)
    a = _clock_before(c_off, c_end, c_start, offs[starts])
    lead = np.full(len(starts), rh.lead)
    h = min(len(rh.head), len(starts))
    lead[:h] = rh.head[:h]
    obs = a - lead  # each chunk's first decode time, in movie time
    # chunks after the clock's last sample are not dated by it: a finished recording writes its last video
    # after the audio has ended (the frame counts carry them on from the last chunk the clock dates)
    w_obs = np.where(offs[starts] < c_off[-1], 1.0 / rh.lead_spread ** 2, 0.0)
    sigma_d = max(rh.jitter, 0.5 / scale, 1e-4)
    step = counts[:-1] * d
    w_step = 1.0 / (counts[:-1] * sigma_d ** 2)
    w_step = np.where(chunk_gap, w_step * 1e-9, w_step)  # across lost bytes only a faint link remains
    fitted = _robust_chain(obs, w_obs, step, w_step)
    times = TrackTimes(np.zeros(0, np.int64), None)
    if rh.constant:
        # sample i at (i + k) * nominal from where the reference starts: k counts frames lost in gaps, read
        # off the fit per stretch between gaps
        frac = (fitted - rh.origin) / d - starts
        seg = np.concatenate([[0], np.cumsum(chunk_gap)])
        k_chunk = np.zeros(len(starts), dtype=np.int64)
        for s in range(int(seg.max()) + 1):
            sel = seg == s
            usable = sel & (w_obs > 0)
            if s == 0:
                k = 0
            else:
                if not usable.any():
                    usable = sel
                k = max(int(np.round(np.median(frac[usable]))), int(k_chunk[sel.argmax() - 1]))
            k_chunk[sel] = k
        if known is not None:  # the anchor: its losses were counted with the clock's (``_clock_losses``)
            k_chunk = np.asarray(known, dtype=np.int64)[starts]
        # a recording that ran at another rate than the reference's drifts away from every such grid
        usable = w_obs > 0
        allowed = 1.5 + 3.0 * rh.lead_spread / d
        if not usable.any() or np.mean(np.abs(frac - k_chunk)[usable] > allowed) < 0.2:
            slots = np.arange(n, dtype=np.int64) + np.repeat(k_chunk, counts)
            times.durations = np.diff(np.concatenate([slots, [slots[-1] + 1]])) * rh.nominal
            times.ctts = _ctts_constant(ts, slots, rh, reorder)
            times.lost = int(k_chunk[-1])
            if times.lost:
                times.notes.append(ngettext("{n} frame lost with damaged data was counted; later frames keep "
                                            "their times", "{n} frames lost with damaged data were counted; later "
                                            "frames keep their times", times.lost, n=times.lost))
            return times
        times.notes.append(_("the frame rate varied from the reference's constant rate"))
    # variable rate: chunk starts as fitted, frames spread evenly inside each chunk; chunks the clock does not
    # date (at the end) go on at the pace of the last ones it does
    seen = np.flatnonzero(w_obs > 0)
    pace = d
    if len(seen) > 1:
        recent = seen[-13:]
        paces = np.diff(fitted[recent]) / np.diff(starts[recent])  # seconds per frame, chunk by chunk
        pace = float(np.median(paces)) if len(paces) else d
        tail = np.arange(len(starts)) > seen[-1]
        fitted[tail] = fitted[seen[-1]] + (starts[tail] - starts[seen[-1]]) * pace
    ends = np.concatenate([fitted[1:], [fitted[-1] + counts[-1] * pace]])
    per = (ends - fitted) / counts
    within = np.arange(n) - np.repeat(starts, counts)
    dts_s = np.repeat(fitted, counts) + within * np.repeat(per, counts)
    dts = np.round((dts_s - dts_s[0]) * scale).astype(np.int64)
    dts = np.maximum.accumulate(dts)
    for i in range(1, n):  # strictly increasing decode times
        if dts[i] <= dts[i - 1]:
            dts[i] = dts[i - 1] + 1
    grid = np.concatenate([dts, [dts[-1] + rh.nominal]])
    times.durations = np.diff(grid)
    times.ctts = _ctts_grid(ts, grid, rh, reorder, n)
    times.claim = "rebuilt"
    times.accuracy = float(rh.lead_spread)
    return times
