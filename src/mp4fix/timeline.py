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

MIN_LEAD_CHUNKS = 3  # reference chunks needed to learn a track's lead over the clock
HEAD_CHUNKS = 8  # the first chunks of a track, each dated with the lead its counterpart in the reference had
MAX_SHIFT = 4  # the most frames by which decode times may trail presentation times (see Rhythm.shift)


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


@dataclass(frozen=True)
class TimingModel:
    """What the reference teaches about time: the clock track (None without a steady audio track) and every
    track's rhythm."""

    clock: int | None
    rhythms: dict[int, Rhythm]


@dataclass
class TrackTimes:
    """Decode durations and composition offsets of one track's recovered samples, and how sure they are."""

    durations: np.ndarray  # int64 per table row
    ctts: np.ndarray | None
    claim: str = "exact"  # 'exact', 'rebuilt' or 'approximate'
    accuracy: float = 0.0  # seconds: how far a time may be from the recorder's, when rebuilt
    lost: int = 0  # samples counted as lost in gaps
    notes: list[str] = field(default_factory=list)


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
        if ck is not None and t.index != clock:
            starts = _chunk_starts(t.offsets, t.sizes)
            if len(starts) >= MIN_LEAD_CHUNKS:
                a = _clock_before(c_off, c_end, c_start, np.asarray(t.offsets, dtype=np.int64)[starts])
                leads = a - (dts[starts] / t.timescale + start)
                inside = a < c_end[-1] - 1e-9  # chunks written after the clock ended say nothing of the lead
                if inside.sum() >= MIN_LEAD_CHUNKS:
                    first_out = int(np.argmin(inside)) if not inside.all() else len(leads)
                    head = tuple(float(x) for x in leads[:min(HEAD_CHUNKS, first_out)])
                    leads = leads[inside]
                    lead = float(np.median(leads))
                    lo, hi = np.percentile(leads, [10, 90])
                    spread = float(max((hi - lo) / 2.0, 1e-3))
        shift, delay = 0, 0
        if t.ctts is not None and len(t.ctts):
            pos = orders.get(t.index) if orders else None
            k = min(len(pos), n) if pos is not None else n
            p = np.arange(k) if pos is None else np.asarray(pos[:k], dtype=np.int64)
            shift, delay = _composition_rule(dts[:k] + t.ctts[:k], dts, p, nominal)
        out[t.index] = Rhythm(nominal, constant, jitter, start, lead, spread, shift, delay, head)
    return TimingModel(clock, out)


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
    diag = w_obs.astype(np.float64) + 1e-12
    rhs = (w_obs * obs).astype(np.float64) + 1e-12 * obs
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
        s = cum + obs[0]
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
    clock_scan = tracks.get(clock) if clock is not None else None
    ck = None
    if clock_scan is not None:
        rc = rhythms[clock]
        counts = np.asarray(clock_scan.counts, dtype=np.int64) if clock_scan.counts else \
            np.ones(len(clock_scan.offsets), np.int64)
        ck = (np.asarray(clock_scan.offsets, dtype=np.int64),
              np.cumsum(counts) * (rc.nominal / clock_scan.track.timescale) + rc.origin, rc.origin)
    for ti, ts in tracks.items():
        t = ts.track
        rh = rhythms.get(ti) or Rhythm(t.sample_duration or 1, True, 0.0, 0.0, None, 0.0)
        rows = int(np.sum(ts.counts)) if ts.counts else len(ts.sizes)
        order = ts.matcher.presentation_order(ts.matches) if ts.keeps_matches else None
        if t.kind in ("text", "subtitle"):  # shown until the next one: nothing in the bytes says how long
            out[ti] = _counted(ts, rh, rows, order)
            out[ti].claim = "approximate" if not rh.constant else "exact"
            continue
        if ti == clock or rh.lead is None or ck is None or t.kind == "audio" or rh.nominal <= 0:
            out[ti] = _counted(ts, rh, rows, order)
            if not rh.constant and t.kind == "video":
                out[ti].notes.append(_("variable frame rate and no audio to rebuild it from"))
            elif not rh.constant:
                out[ti].notes.append(_("its timing is not in its data and no audio dates it"))
            continue
        out[ti] = _fitted(ts, rh, ck, result.skipped, order)
    return out


def _counted(ts: TrackScan, rh: Rhythm, rows: int, order: np.ndarray | None) -> TrackTimes:
    """Every sample the nominal duration (audio, and tracks with nothing to date them by)."""
    grid = np.arange(rows + 1, dtype=np.int64) * rh.nominal
    return TrackTimes(np.full(rows, rh.nominal, dtype=np.int64), _ctts(ts, grid, rh, order, rows),
                      "exact" if rh.constant else "approximate")


def _ctts(ts: TrackScan, grid: np.ndarray, rh: Rhythm, order: np.ndarray | None, rows: int) -> np.ndarray | None:
    """Composition offsets (ticks): each sample presented where its presentation position falls on the decode
    grid (``grid``: decode times in ticks, one per sample and one after), by the reference's rule."""
    if order is not None or (ts.track.ctts is not None and rh.shift):
        pos = np.asarray(order if order is not None else np.arange(rows), dtype=np.int64)
        # frames presented after the last recovered one's decode time: the grid goes on at the local pace
        pace = float(np.median(np.diff(grid[-9:]))) if len(grid) > 2 else rh.nominal
        g = _extend(grid.astype(np.float64), int(pos.max()) + rh.shift, pace)
        return np.round(g[pos + rh.shift] - grid[:rows] + rh.delay).astype(np.int64)
    if ts.track.ctts is not None:
        return np.full(rows, rh.delay, dtype=np.int64)
    return None


def _fitted(ts: TrackScan, rh: Rhythm, ck: tuple[np.ndarray, np.ndarray, float], gaps: list[tuple[int, int]],
            order: np.ndarray | None) -> TrackTimes:
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
        # a recording that ran at another rate than the reference's drifts away from every such grid
        usable = w_obs > 0
        allowed = 1.5 + 3.0 * rh.lead_spread / d
        if not usable.any() or np.mean(np.abs(frac - k_chunk)[usable] > allowed) < 0.2:
            k_sample = np.repeat(k_chunk, counts)
            dts = (np.arange(n, dtype=np.int64) + k_sample) * rh.nominal
            grid = np.concatenate([dts, [dts[-1] + rh.nominal]])
            times.durations = np.diff(grid)
            times.ctts = _ctts(ts, grid, rh, order, n)
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
    times.ctts = _ctts(ts, grid, rh, order, n)
    times.claim = "rebuilt"
    times.accuracy = float(rh.lead_spread)
    return times
