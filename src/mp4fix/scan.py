"""Walk the broken mdat and decide, at every position, which track's sample starts there and how long it is.

The decision never rests on one parser alone. At each position every track's matcher is asked; a sample is
kept when what follows it also parses as some track's sample (or the data ends exactly there). When several
tracks fit, the one whose chain of following samples reaches further wins, then the one the reference's
interleave pattern predicts. Bytes no track claims (padding, a track mp4fix cannot parse, damage) are
skipped by resynchronising: numpy prefilters propose candidate positions, matchers confirm them.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from mp4fix.codecs.base import Matcher, SampleMatch
from mp4fix.profile import Profile, TrackProfile

RESYNC_WINDOW = 1 << 20  # bytes examined per resynchronisation step (at most)
RESYNC_FIRST_WINDOW = 4 << 10  # ... growing from this
LOOKAHEAD_DEPTH = 3  # samples followed to settle a tie between tracks
OPEN_END_RUN = 2  # samples of other tracks that must follow an open-ended sample the data does not close
OPEN_END_BLOCK = 1 << 16  # bytes of candidates examined at a time when ending an open-ended sample
OPEN_END_RUN_LOOKBACK = 16  # samples' worth of bytes whose candidates are asked for at once, walking back
OPEN_END_CHAIN_MAX = 4096  # sample starts followed back from the end of an open-ended sample's reach
OPEN_END_CHAIN_SAMPLES = 16  # samples of a run followed to see whether two runs meet
UNKNOWN_GAP_MIN = 64 << 10  # the least gap allowed for samples of a track that cannot be parsed ...
UNKNOWN_GAP_MAX = 16 << 20  # ... and the most
TAIL_ALLOWANCE = 1 << 20  # unrecognised bytes at the cut still taken for one incomplete sample
_PADDING_BOXES = (b"free", b"skip", b"wide", b"junk")


def _q() -> array:
    return array("q")


@dataclass
class TrackScan:
    """What the scan found for one track, in stream order: compact typed arrays (8 bytes a value), so an hour
    of 60 fps video and its audio is a few megabytes, not objects per sample."""

    track: TrackProfile
    matcher: Matcher | None
    offsets: array = field(default_factory=_q)
    sizes: array = field(default_factory=_q)
    keyframes: array = field(default_factory=lambda: array("b"))
    counts: array = field(default_factory=_q)
    #: two timing integers per sample (see ``Matcher.fact_state``) where the codec orders presentation from
    #: them (B-frames): the parsed headers themselves are never kept
    facts: array = field(default_factory=_q)

    @property
    def keeps_facts(self) -> bool:
        return self.matcher is not None and type(self.matcher).fact_state is not Matcher.fact_state

    @property
    def fact_pairs(self) -> np.ndarray:
        """The facts as an (n, 2) int64 array."""
        return np.frombuffer(self.facts, dtype=np.int64).reshape(-1, 2) if len(self.facts) else \
            np.zeros((0, 2), dtype=np.int64)

    @property
    def bytes(self) -> int:
        return int(np.frombuffer(self.sizes, dtype=np.int64).sum()) if len(self.sizes) else 0

    def tail_from(self, k: int) -> "TrackScan":
        """The same track's samples from the ``k``-th on."""
        return TrackScan(self.track, self.matcher, self.offsets[k:], self.sizes[k:], self.keyframes[k:],
                         self.counts[k:], self.facts[2 * k:])

    def head(self, n: int) -> "TrackScan":
        """The same track's first ``n`` samples."""
        return TrackScan(self.track, self.matcher, self.offsets[:n], self.sizes[:n], self.keyframes[:n],
                         self.counts[:n], self.facts[:2 * n])


@dataclass
class ScanResult:
    tracks: list[TrackScan]
    start: int
    end: int
    skipped: list[tuple[int, int]] = field(default_factory=list)  # [start, end) ranges no track claimed
    padding: list[tuple[int, int]] = field(default_factory=list)  # free/skip boxes and zero runs between samples
    tail: int = 0  # bytes at the cut that hold an incomplete sample
    cut_sample: bool = False  # the tail is known to begin a sample of a self-delimiting track (not a guess)
    #: the tail is longer than any sample of any track: it holds more than the one sample the cut broke, and
    #: what it holds could not be measured (lost, not merely incomplete)
    tail_lost: bool = False
    repeated: list[tuple[int, int]] = field(default_factory=list)  # ranges whose samples repeat earlier ones

    @property
    def bytes_skipped(self) -> int:
        return sum(b - a for a, b in self.skipped)

    @property
    def bytes_padding(self) -> int:
        return sum(b - a for a, b in self.padding)

    @property
    def bytes_used(self) -> int:
        return sum(t.bytes for t in self.tracks)


class Scanner:
    """One pass over ``data[start:end)`` with one matcher per track (None for tracks that cannot be parsed)."""

    def __init__(self, data, arr: np.ndarray, profile: Profile, matchers: list[Matcher | None],
                 progress: Callable[[float], None] | None = None, cancelled: Callable[[], bool] | None = None):
        self.data = data
        self.cancelled = cancelled  # polled as the walk goes; True stops it (the caller raises)
        self.arr = arr
        self.profile = profile
        self.matchers = matchers
        self.active = [i for i, m in enumerate(matchers) if m is not None]
        self.strong = [i for i in self.active if matchers[i].self_delimiting]
        self.weak = [i for i in self.active if not matchers[i].self_delimiting]
        self.progress = progress
        #: called with the scan position about every MiB: hands mapped pages behind it back (MediaFile.release_behind)
        self.release: Callable[[int], None] | None = None
        self._cache: dict[tuple[int, int], list[SampleMatch]] = {}
        self._start = self._end = 0
        self._max_run, self._successor, self._typical_run = _learn_pattern(profile)
        # which track's chunks the reference writes right after which other track's
        self._pairs = {(a, b) for (a, _n), (b, _m) in zip(profile.layout, profile.layout[1:]) if a != b}
        # tracks nothing can parse still have samples in the data: a sample followed by one of theirs is
        # confirmed by a recognised sample after a gap no longer than their runs in the reference allow
        self._gap = 0
        for i, m in enumerate(matchers):
            t = profile.tracks[i]
            if m is None and len(t.sizes):
                run = int(t.sizes.max()) * max(self._max_run.get(i, 1), 1)
                self._gap = max(self._gap, 4 * run, UNKNOWN_GAP_MIN)
        self._gap = min(self._gap, UNKNOWN_GAP_MAX)
        self._gap_memo: dict[int, bool] = {}
        self._tail_stride = max((m.stride for m in matchers if m is not None and not m.self_delimiting), default=0)
        # a recording of fixed-size samples only (PCM): less data left after a sample than the shortest sample or
        # run any track has is the beginning of the sample the cut broke (nothing else can follow the last one)
        self._tail_unit = 0 if self.strong else min(
            (matchers[i].stride or matchers[i].shortest_run for i in self.weak), default=0)
        # a sample the cut broke can only begin within about one sample of the end: twice the largest sample of
        # a self-delimiting track (the reference's, grown by what the scan finds) is where one is looked for
        self._cut_reach = 2 * max((int(profile.tracks[i].sizes.max()) for i in self.strong
                                   if len(profile.tracks[i].sizes)), default=0)
        # a track the reference holds one sample of (a timecode's start frame, a still photo, a header record)
        # has one sample in the recording too: it never takes more bytes than that
        self._budget = {i: 1 for i, t in enumerate(profile.tracks) if len(t.sizes) == 1}
        self._kept = [0] * len(profile.tracks)
        # media time (seconds) each track has reached: recorders interleave by time
        self._clock = [0.0] * len(profile.tracks)
        self._tick = [t.sample_duration / t.timescale if t.timescale else 0.0 for t in profile.tracks]
        # tracks not interleaved by time: their samples have no duration, or the reference writes all of them
        # in one chunk (a motion photo's still shots after the video): the clock does not place them
        self._untimed = {i for i, t in enumerate(profile.tracks)
                         if self._tick[i] <= 0 or (len(t.sizes) > 1 and len(t.chunk_sizes) == 1)}

    # -- matching with a memo: each (position, track) is parsed at most once ---------------------------
    #
    # "Strong" tracks (self-delimiting codecs) say exactly where a sample ends. "Weak" tracks (PCM, fixed-size
    # timecode or data) cannot: their options come from the reference's chunk sizes and from where the
    # next strong sample begins, and a weak option is only believed when a strong sample (or the end) follows.

    def _options(self, ti: int, pos: int) -> list[SampleMatch]:
        key = (pos, ti)
        if key in self._cache:
            return self._cache[key]
        if self._kept[ti] >= self._budget.get(ti, 1 << 62):
            return []
        matcher = self.matchers[ti]
        if matcher.self_delimiting:
            m = matcher.match(self.data, pos, self._end)
            if m is not None and matcher.open_ended:
                m = self._close_open_end(ti, pos, m)
            opts = [m] if m is not None and 0 < m.size and pos + m.size <= self._end else []
        else:
            opts = [m for m in matcher.match_options(self.data, pos, self._end)
                    if 0 < m.size and pos + m.size <= self._end]
            stride = matcher.stride
            nxt = None
            if stride and self.strong:
                nxt = self._next_strong(pos + stride, stride, matcher.max_run_bytes)
            if stride and nxt is None and self._end - pos <= matcher.longest_run:
                # the last run, cut short (less is left than the reference's longest run): it ends where a
                # sample the cut broke begins, or at the last whole frame
                nxt = self._cut_start_on_grid(pos + stride, stride)
                if nxt is None:
                    nxt = pos + (self._end - pos) // stride * stride
            if nxt is not None and nxt > pos and all(pos + m.size != nxt for m in opts) \
                    and matcher.fits(self.data, pos, nxt - pos):
                opts.append(matcher.sample_of(nxt - pos))
        self._cache[key] = opts
        return opts

    def _strong_fits(self, pos: int) -> list[tuple[int, SampleMatch]]:
        return [(ti, m) for ti in self.strong for m in self._options(ti, pos)]

    def _weak_fits(self, pos: int) -> list[tuple[int, SampleMatch]]:
        return [(ti, m) for ti in self.weak for m in self._options(ti, pos)]

    def _next_strong(self, pos: int, stride: int, limit: int) -> int | None:
        """The first position ``pos + k*stride`` (within ``limit`` bytes) where a confirmed strong sample starts."""
        stop = min(pos + limit, self._end)
        cands = [self.matchers[ti].candidates(self.arr[:self._end], pos, stop) for ti in self.strong]
        merged = np.unique(np.concatenate(cands)) if cands else np.zeros(0, np.int64)
        merged = merged[(merged - pos) % stride == 0]
        for c in merged.tolist():
            for _ti, m in self._strong_fits(c):
                if self._follows(c + m.size, 1) or self._reference_run_then_strong(c + m.size):
                    return c
        return None

    def _reference_run_then_strong(self, pos: int) -> bool:
        """A run of fixed-size samples of one of the reference's chunk sizes starts at ``pos`` and a strong sample
        (or the end) follows it: how a sample is confirmed in a layout that alternates one strong sample with one
        run (one video frame, one PCM chunk, ...). Asks the matchers themselves, never ``_options`` (which asks
        ``_next_strong``): no recursion."""
        for tj in self.weak:
            for w in self.matchers[tj].match_options(self.data, pos, self._end):
                q = pos + w.size
                if q == self._end or self._is_padding_box(q) or self._strong_fits(q):
                    return True
        return False

    # -- open-ended samples (start-code codecs: MPEG-4 Part 2) ----------------------------------------------
    #
    # Their data says where the next sample of their own stream starts, not where this one ends, so a sample
    # followed by other tracks' samples (audio after video) reaches over them as measured. When the reach ends at
    # a start of this stream, the samples of other tracks just before it are found walking back from there: the
    # samples of other tracks that end exactly at the reach, those that end where they start, and so on; of the
    # chains so found the one of the most samples is the run (a look-alike ends its chain). The open-ended sample
    # ends where that run begins. When the data ends first, a run of at least OPEN_END_RUN
    # samples of other tracks must begin inside the reach (or one, followed by what can only be the start of a
    # cut sample), and without one the sample is taken as cut. Fixed-size samples (PCM) cannot be told from the
    # open-ended sample's own bytes: without a self-delimiting run, the run before the reach is taken to be one
    # of the reference's chunk sizes, likeliest first (a guess where chunk sizes vary).

    def _close_open_end(self, ti: int, pos: int, m: SampleMatch) -> SampleMatch | None:
        stop = pos + m.size
        matcher = self.matchers[ti]
        if not m.open_end:
            c = self._run_before(ti, pos, stop)
            if c is not None:
                inner = matcher.match(self.data, pos, c)
                if inner is not None and inner.size == c - pos:
                    return inner
            for tj in self.weak:  # a run of fixed-size samples of a reference chunk size (likeliest first)
                for w in self.matchers[tj].match_options(self.data, pos, self._end):
                    c = stop - w.size
                    if pos < c and (stop - c) % max(self.matchers[tj].stride, 1) == 0:
                        inner = matcher.match(self.data, pos, c)
                        if inner is not None and inner.size == c - pos:
                            return inner
            # nothing ends where the reach does: the start code that closed it may lie inside another track's
            # sample (audio data can hold 00 00 01 and a header that parses). When a run of other tracks'
            # samples that ends where this stream's next sample starts reaches back over that start code, the
            # sample ends where the run begins.
            c = self._run_over_false_start(ti, pos, stop)
            if c is not None:
                inner = matcher.match(self.data, pos, c)
                if inner is not None and inner.size == c - pos:
                    return inner
            return m
        c = self._run_inside(ti, pos, stop)
        if c is None and matcher.reach_is_bound:
            c = self._first_start_inside(ti, pos, stop)
        if c is not None:
            inner = matcher.match(self.data, pos, c)
            if inner is not None and inner.size == c - pos:
                return inner
        return None

    def _run_over_false_start(self, ti: int, pos: int, stop: int) -> int | None:
        """For a reach closed at ``stop`` where no run of other tracks' samples ends: the start of the run that
        ends where the next sample of this track after ``stop`` begins, when it begins before ``stop``."""
        # only where a sample of another track begins before ``stop`` and reaches past it (most pictures are
        # simply followed by the next one: nothing spans their end)
        spans = False
        for tj in self._others(ti):
            sizes = self.matchers[tj].track.sizes
            lo = max(pos + 1, stop - 2 * int(np.max(sizes)) - 64)
            for x in self.matchers[tj].candidates(self.arr[:self._end], lo, stop).tolist():
                if any(x + o.size > stop for o in self._options(tj, x)):
                    spans = True
                    break
            if spans:
                break
        if not spans:
            return None
        matcher = self.matchers[ti]
        sizes = matcher.track.sizes
        hi = min(self._end, stop + 4 * (int(np.max(sizes)) if len(sizes) else 0) + 1)
        for q in matcher.candidates(self.arr[:self._end], stop + 1, hi).tolist():
            if matcher.match(self.data, q, self._end) is None:
                continue
            c = self._run_before(ti, pos, q)
            return c if c is not None and c < stop else None
        return None

    def _first_start_inside(self, ti: int, pos: int, stop: int) -> int | None:
        """The first position in (pos, stop] where a sample of another track begins that what follows confirms."""
        others = self._others(ti)
        if not others:
            return None
        hi = min(stop + 1, self._end)
        found = [self.matchers[tj].candidates(self.arr[:self._end], pos + 1, hi) for tj in others]
        for c in np.unique(np.concatenate(found)).tolist() if found else []:
            if any(self._follows(c + m.size) for tj in others for m in self._options(tj, c)):
                return c
        return None

    def _others(self, ti: int) -> list[int]:
        return [tj for tj in self.strong if tj != ti and len(self.matchers[tj].track.sizes)]

    def _run_before(self, ti: int, pos: int, stop: int) -> int | None:
        """Where the run of other tracks' samples that ends exactly at ``stop`` begins (after ``pos``), or None.

        Every chain of samples that ends at ``stop`` is followed back (several samples may end at one place: a
        short look-alike inside the last real sample, such as four bytes of an audio frame or of a hint sample
        that parse on their own, or a long one that begins inside an earlier sample); the run is the chain of the
        most samples (of those, one whose first track follows this track in the reference's layout, then the one
        that begins last). A look-alike ends the chain it starts, as nothing ends where it begins, while the real
        samples go on to where the open-ended sample ends."""
        others = self._others(ti)
        if not others:
            return None
        # (a sample may be larger than any of the reference's: twice the largest is looked for)
        largest = {tj: int(np.max(self.matchers[tj].track.sizes)) + 64 for tj in others}
        reach = {tj: 2 * largest[tj] for tj in others}
        found: dict[int, tuple[int, list[int]]] = {}  # track -> (lowest position looked at, its candidates)

        def ending_at(b: int) -> list[int]:
            out = []
            for tj in others:
                lo = max(pos + 1, b - reach[tj])
                have = found.get(tj, (stop, []))
                if have[0] > lo:
                    # one call for several samples' worth: a call costs much more than the bytes it looks at
                    a = max(pos + 1, min(lo, b - OPEN_END_RUN_LOOKBACK * largest[tj]))
                    found[tj] = have = (a, self.matchers[tj].candidates(self.arr, a, have[0]).tolist() + have[1])
                for x in reversed(have[1]):
                    if x >= b:
                        continue
                    if x < lo:
                        break
                    if any(x + o.size == b for o in self._options(tj, x)):
                        out.append(x)
                        track_at.setdefault(x, tj)
            return out

        track_at: dict[int, int] = {}
        edges: dict[int, list[int]] = {}
        todo = [stop]
        while todo and len(edges) < OPEN_END_CHAIN_MAX:
            b = todo.pop()
            if b in edges:
                continue
            edges[b] = [x for x in ending_at(b) if x > pos]
            todo.extend(x for x in edges[b] if x not in edges)
        # the chain of the most samples (positions only decrease along a chain: one pass from the end back)
        count = {stop: 0}
        for b in sorted(edges, reverse=True):
            if b not in count:
                continue
            for x in edges[b]:
                count[x] = max(count.get(x, 0), count[b] + 1)
        del count[stop]
        if not count:
            return None
        # equal counts: a run that begins with a track the reference's layout shows after this one, then the
        # run that begins last
        return max(count, key=lambda x: (count[x], (ti, track_at[x]) in self._pairs, x))

    def _run_inside(self, ti: int, pos: int, stop: int) -> int | None:
        """For a reach the data ended: the first position after ``pos`` where a run of other tracks' samples
        begins (see ``_others_fill``) that no such run starting inside its first sample contradicts (one it runs
        into)."""
        others = self._others(ti)
        if not others:
            return None
        blocks: dict[int, list[int]] = {}
        first: dict[int, int | None] = {}

        def cands(a: int, b: int) -> list[int]:
            out = []
            for k in range(a // OPEN_END_BLOCK, (b - 1) // OPEN_END_BLOCK + 1):
                if k not in blocks:
                    lo, hi = max(k * OPEN_END_BLOCK, pos + 1), min((k + 1) * OPEN_END_BLOCK, stop)
                    found = [self.matchers[tj].candidates(self.arr, lo, hi) for tj in others] if lo < hi else []
                    blocks[k] = np.unique(np.concatenate(found)).tolist() if found else []
                out.extend(c for c in blocks[k] if a <= c < b)
            return out

        chains: dict[int, set[int]] = {}

        def chain(c: int) -> set[int]:
            """Where the samples of the run from ``c`` begin (a few of them)."""
            if c not in chains:
                out, q = set(), c
                for _ in range(OPEN_END_CHAIN_SAMPLES):
                    fits = [m for tj in others for m in self._options(tj, q)] if q < stop else []
                    if not fits:
                        break
                    out.add(q)
                    q += fits[0].size
                out.add(q)
                chains[c] = out
            return chains[c]

        def good(c: int, depth: int = 0) -> bool:
            if c not in first:
                first[c] = self._others_fill(ti, c, stop)
            size = first[c]
            if size is None:
                return False
            # a run that starts inside this one's first sample and that this one runs into: this one began in
            # the open-ended sample's bytes (a run that never meets it, such as AMR samples one frame later, is
            # no contradiction)
            return depth >= 8 or not any(good(c2, depth + 1) and chain(c2) & chain(c)
                                         for c2 in cands(c + 1, min(c + size, stop)))

        x = pos + 1
        while x < stop:
            y = min(stop, (x // OPEN_END_BLOCK + 1) * OPEN_END_BLOCK)
            for c in cands(x, y):
                if good(c):
                    return c
            x = y
        return None

    def _others_fill(self, ti: int, pos: int, stop: int) -> int | None:
        """For a reach the data ended: the size of the first sample of a run of samples of tracks other than
        ``ti`` that starts at ``pos``, when the run has OPEN_END_RUN samples before ``stop``, or one sample followed
        by less than a sample's worth of data that its matcher says begins the next sample (``_cut_sample_of``);
        else None."""
        n = 0
        head = None
        last = -1
        while pos < stop:
            fits = [(tj, m) for tj in self.strong if tj != ti for m in self._options(tj, pos)]
            if not fits:
                break
            last, m = fits[0]
            if head is None:
                if m.confirm:
                    return None  # bytes that say nothing on their own do not begin a run
                head = m.size
                sizes = self.matchers[last].track.sizes
                smallest = int(np.min(sizes)) if len(sizes) else 0
            pos += m.size
            n += 1
            if n >= OPEN_END_RUN:
                return head
        # one sample, then the beginning of the next one cut by the end: only when that sample is no smaller
        # than any of its track's in the reference (a few bytes inside a picture parse as a tiny audio frame)
        if n == 1 and stop == self._end and head >= smallest and self._cut_sample_of(last, pos):
            return head
        return None

    def _cut_sample_of(self, tj: int, pos: int) -> bool:
        """Are the bytes from ``pos`` to the end of the data the beginning of a sample of track ``tj``? Only
        when its matcher can tell (``cut_start``: a NAL unit header and a slice header that parse, ...): with
        one sample before it, this is all that closes an open-ended sample at the cut, and a sample the cut
        broke must never be indexed (a position a cheap prefilter lets through is no evidence: a few bytes inside
        a picture look like an audio frame)."""
        sizes = self.matchers[tj].track.sizes
        longest = int(np.max(sizes)) if len(sizes) else 0
        if not 0 < self._end - pos < longest:
            return False
        return self.matchers[tj].cut_start(self.data, pos, self._end)

    def _cut_start_at(self, pos: int) -> bool:
        """A sample of a self-delimiting track starts at ``pos`` and the cut broke it."""
        return any(self.matchers[ti].cut_start(self.data, pos, self._end) for ti in self.strong)

    def _cut_start_on_grid(self, pos: int, stride: int) -> int | None:
        for q in range(pos, self._end, stride):
            if self._cut_start_at(q):
                return q
        return None

    def _is_padding_box(self, pos: int) -> bool:
        if self._end - pos < 8:
            return False
        size = int.from_bytes(self.data[pos:pos + 4], "big")
        return bytes(self.data[pos + 4:pos + 8]) in _PADDING_BOXES and 8 <= size <= self._end - pos

    def _follows(self, pos: int, depth: int = 2) -> bool:
        """True when a sample may end at ``pos``: the data ends, a padding box or a believable sample starts."""
        if pos == self._end or self._is_padding_box(pos) or self._strong_fits(pos):
            return True
        if 0 < self._end - pos < self._tail_stride:  # only part of one fixed-size frame is left
            return True
        if self._end - pos <= self._cut_reach and self._cut_start_at(pos):
            return True
        if not self.strong:  # only weak tracks (e.g. a PCM-only recording): they follow each other
            return bool(self._weak_fits(pos)) or 0 < self._end - pos < self._tail_unit
        if depth > 1 and any(self._follows(pos + m.size, depth - 1) for _ti, m in self._weak_fits(pos)):
            return True
        return depth > 1 and self._gap > 0 and self._strong_after_gap(pos)

    def _strong_after_gap(self, pos: int) -> bool:
        """A recognised sample starts within the gap an unparseable track's samples may leave after ``pos``."""
        if pos not in self._gap_memo:
            if len(self._gap_memo) > 4096:
                self._gap_memo.clear()
            stop = min(pos + self._gap, self._end)
            usable = self.arr[:self._end]
            found = False
            for ti in self.strong:
                for c in self.matchers[ti].candidates(usable, pos + 1, stop).tolist():
                    if self._options(ti, c):
                        found = True
                        break
                if found:
                    break
            # near the cut the unparseable track's samples may simply run into it
            self._gap_memo[pos] = found or stop == self._end
        return self._gap_memo[pos]

    def _chain(self, pos: int, depth: int) -> int:
        """How far (bytes) a greedy chain of samples starting at ``pos`` reaches, up to ``depth`` samples."""
        start = pos
        for _ in range(depth):
            fits = self._strong_fits(pos) or self._weak_fits(pos)
            if not fits:
                break
            pos += fits[0][1].size
            if pos >= self._end:
                break
        return pos - start

    def _predicted_order(self, last: int | None, run: int) -> list[int]:
        if last is None:
            return list(self.active)
        first = last if run < self._max_run.get(last, 1) else self._successor.get(last, last)
        return sorted(self.active, key=lambda ti: (ti != first, ti != last, ti))

    # -- the walk -----------------------------------------------------------------------------------------

    def run(self, start: int, end: int) -> ScanResult:
        self._start, self._end = start, end
        result = ScanResult([TrackScan(t, m) for t, m in zip(self.profile.tracks, self.matchers)], start, end)
        facts = [m.fact_state() if m is not None else None for m in self.matchers]
        pos = start
        last: int | None = None
        run = 0
        next_report = start
        steps = 0
        while pos < end:
            steps += 1
            if self.cancelled is not None and not steps & 31 and self.cancelled():
                break  # polled every few samples too: a megabyte of slow-to-parse samples takes seconds
            if pos >= next_report:
                if self.release is not None:
                    self.release(pos)
                if self.progress is not None:
                    self.progress((pos - start) / max(end - start, 1))
                if self.cancelled is not None and self.cancelled():
                    break
                next_report = pos + (1 << 20)
            choice = self._choose(pos, last, run)
            if choice is None:
                if self._is_padding_box(pos):
                    size = int.from_bytes(self.data[pos:pos + 4], "big")
                    result.padding.append((pos, pos + size))
                    pos += size
                    continue
                if self._end - pos <= self._cut_reach and self._cut_start_at(pos):
                    # a sample that begins here runs past the end: every byte left is its beginning (before,
                    # resynchronising in it found audio frames in video bytes)
                    result.tail = end - pos
                    result.cut_sample = True
                    break
                nxt = self._resync(pos + 1)
                if nxt is None:
                    # the cut leaves at most one incomplete sample per track; more than a few of the largest
                    # samples seen is data nothing recognised (damage, a track that cannot be parsed)
                    largest = max((max(t.sizes) for t in result.tracks if t.sizes), default=0)
                    if end - pos <= max(4 * largest, TAIL_ALLOWANCE):
                        result.tail = end - pos
                        # (zeros at the very end are room the recorder never wrote, not lost samples)
                        written = np.flatnonzero(self.arr[pos:end])
                        used = int(written[-1]) + 1 if written.size else 0
                        result.tail_lost = used > self._largest_sample(largest)
                    else:
                        result.skipped.append((pos, end))
                    break
                # muxers pad between chunks with zeros: that is layout, not lost data
                gap = self.arr[pos:nxt]
                (result.padding if not gap.any() else result.skipped).append((pos, nxt))
                pos = nxt
                last, run = None, 0
                continue
            ti, m = choice
            ts = result.tracks[ti]
            ts.offsets.append(pos)
            ts.sizes.append(m.size)
            ts.keyframes.append(m.keyframe)
            ts.counts.append(m.count)
            self._kept[ti] += 1
            if self.matchers[ti].accept(m) or self._kept[ti] == self._budget.get(ti):
                self._cache = {k: v for k, v in self._cache.items() if k[1] != ti}
            if facts[ti] is not None:
                ts.facts.extend(facts[ti].push(m))
            run = run + 1 if ti == last else 1
            last = ti
            self._clock[ti] += self._tick[ti] * m.count
            if 2 * m.size > self._cut_reach and self.matchers[ti].self_delimiting:
                self._cut_reach = 2 * m.size
            pos += m.size
            if len(self._cache) > 256:  # forget what lies behind
                self._cache = {k: v for k, v in self._cache.items() if k[0] >= pos}
        _merge(result.skipped)
        _merge(result.padding)
        if self.progress is not None:
            self.progress(1.0)
        return result

    def _largest_sample(self, kept: int) -> int:
        """The most bytes one sample (or one run of fixed-size samples) of any track can hold: the reference's
        largest, or the largest kept."""
        most = kept
        for t, m in zip(self.profile.tracks, self.matchers):
            if len(t.sizes):
                most = max(most, int(t.sizes.max()))
            if m is not None and not m.self_delimiting:
                most = max(most, m.longest_run)
        return most

    def _choose(self, pos: int, last: int | None, run: int) -> tuple[int, SampleMatch] | None:
        strong = self._strong_fits(pos)
        if any(m.confirm for _ti, m in strong):  # known only by what follows it (an empty hint sample)
            strong = [c for c in strong if not c[1].confirm or self._follows(pos + c[1].size)]
        if not strong and self.weak and self._end - pos <= self._cut_reach and self._cut_start_at(pos):
            return None  # a sample the cut broke begins here: no fixed-size run may claim its bytes
        if len(strong) == 1 and not self.weak:
            # a lone fit is kept even when nothing recognisable follows (the cut, or an unknown track next)
            return strong[0]
        order = self._predicted_order(last, run)
        confirmed = [c for c in strong if self._follows(pos + c[1].size)]
        if not strong:  # a sample the bitstream delimits outweighs a run guessed from sizes
            weak = self._weak_fits(pos)
            if len({ti for ti, _ in weak}) > 1:
                chosen = self._weak_chain(pos, last)
                if chosen is not None:
                    return chosen
            # a run that ends where a recognised sample (or the end) begins outweighs one only a chain of
            # further guessed runs confirms: with several chunk sizes in the reference, the chain that reaches
            # furthest would otherwise swallow the samples between (PCM taking video frames as audio)
            confirmed = [c for c in weak if self._follows(pos + c[1].size, 1)] or \
                [c for c in weak if self._follows(pos + c[1].size)]
        pool = confirmed or strong
        if not pool:
            return None
        if len(pool) == 1:
            return pool[0]
        reach = {id(m): m.size + self._chain(pos + m.size, LOOKAHEAD_DEPTH) for _, m in pool}
        best = max(reach.values())
        pool = [c for c in pool if reach[id(c[1])] == best]
        sizes = {c[1].size for c in pool}
        if len(sizes) == 1 and len({ti for ti, _ in pool}) > 1:
            return self._same_bytes(pool, last, run)
        rank = {id(m): i for i, (_, m) in enumerate(pool)}  # a matcher lists its likelier options first
        return min(pool, key=lambda c: (order.index(c[0]), rank[id(c[1])]))

    def _weak_chain(self, pos: int, last: int | None) -> tuple[int, SampleMatch] | None:
        """Runs of several fixed-size tracks could fill the bytes from ``pos`` (samples whose content says
        nothing, such as zero-filled placeholders of three metadata tracks between two audio chunks): of the
        sequences of runs, one run per track, that reach exactly to a recognised sample (or the end), the one
        that places the tracks the reference holds one sample of (and not yet placed), then the one whose order
        the reference's layout shows, then the one of runs of the reference's chunk sizes. Returns its first run."""
        best: tuple[tuple, tuple[int, SampleMatch]] | None = None
        singles = {ti for ti, n in self._budget.items() if self._kept[ti] < n}

        def walk(q: int, chain: list[tuple[int, SampleMatch, int]]) -> None:
            nonlocal best
            if chain and (q == self._end or self._is_padding_box(q) or self._strong_fits(q)):
                order = [last] + [ti for ti, _m, _at in chain]
                key = (sum(ti in singles for ti, _m, _at in chain),
                       sum((a, b) in self._pairs for a, b in zip(order, order[1:])),
                       sum(any(o.size == m.size for o in self.matchers[ti].match_options(self.data, at, self._end))
                           for ti, m, at in chain),
                       -len(chain))
                if best is None or key > best[0]:
                    best = (key, chain[0][:2])
                return
            if len(chain) >= len(self.weak):
                return
            used = {ti for ti, _m, _at in chain}
            for ti, m in self._weak_fits(q):
                if ti not in used:
                    walk(q + m.size, chain + [(ti, m, q)])

        walk(pos, [])
        return best[1] if best is not None else None

    def _same_bytes(self, pool: list[tuple[int, SampleMatch]], last: int | None, run: int):
        """Several tracks accept exactly these bytes (e.g. two AAC tracks with one configuration).

        Syntax cannot tell them apart; the muxer's rhythm can. A run of samples of one track continues while
        it is shorter than the runs the reference shows for that track (a track not interleaved by time, such as
        a motion photo's still shots written in one chunk, while its samples come); otherwise the sample belongs
        to the track furthest behind in time, as recorders interleave by time (ties: the lower track; a track not
        interleaved by time, last).
        """
        tracks = [ti for ti, _ in pool]
        if last in tracks and (run < self._typical_run.get(last, 1) or last in self._untimed):
            return next(c for c in pool if c[0] == last)
        return min(pool, key=lambda c: (c[0] in self._untimed, round(self._clock[c[0]], 6), c[0]))

    def _resync(self, pos: int) -> int | None:
        """The next position at or after ``pos`` where a confirmed sample starts, or None."""
        window = RESYNC_FIRST_WINDOW  # most gaps are small (padding, one unknown sample): look near first
        while pos < self._end:
            stop = min(pos + window, self._end)
            window = min(window * 16, RESYNC_WINDOW)
            usable = self.arr[:self._end]  # samples may run past this window, not past the data
            cands = [self.matchers[ti].candidates(usable, pos, stop) for ti in self.strong]
            merged = np.unique(np.concatenate(cands)) if cands else np.zeros(0, np.int64)
            merged = merged[_not_zero_filled(self.arr, merged, self._end)]
            for c in merged.tolist():
                for ti, m in self._strong_fits(c):
                    if self._follows(c + m.size):
                        return self._latest_start(c, ti, c + m.size, usable)
                if len(self._cache) > 4096:
                    self._cache.clear()
            if self.progress is not None:
                self.progress((stop - self._start) / max(self._end - self._start, 1))
            if self.cancelled is not None and self.cancelled():
                return None
            pos = stop
        return None


    def _latest_start(self, c: int, tc: int, stop: int, usable: np.ndarray) -> int:
        """After lost bytes, the first confirmed sample at ``c`` (of track ``tc``) may be a false one that began in
        the damage and ran into a real sample, ending where that one ends (AAC resynchronises so): when a sample
        starts later and ends at the same place, the later, shorter one is the real one. Not for the same track's
        codecs in which the end of a sample is itself a sample (an H.264 access unit without its leading SEI)."""
        later = [self.matchers[ti].candidates(usable, c + 1, stop) for ti in self.strong]
        found = np.unique(np.concatenate(later)) if later else np.zeros(0, np.int64)
        for x in found[::-1].tolist():
            for ti, m in self._strong_fits(x):
                if m.confirm:
                    continue  # bytes that say nothing on their own (an empty hint sample: four zeros)
                if x + m.size == stop and (ti != tc or not self.matchers[ti].tails_are_samples):
                    return x
        return c


def _not_zero_filled(arr: np.ndarray, positions: np.ndarray, end: int) -> np.ndarray:
    """Mask of positions whose next 8 bytes are not all zero: no sample of a compressed codec starts so."""
    if len(positions) == 0:
        return np.zeros(0, dtype=bool)
    end = min(end, len(arr))
    ok = np.zeros(len(positions), dtype=bool)
    for k in range(8):
        idx = positions + k
        inside = idx < end
        ok |= inside & (arr[np.minimum(idx, end - 1)] != 0)
    return ok


def _merge(ranges: list[tuple[int, int]]) -> None:
    ranges.sort()
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    ranges[:] = out


def _learn_pattern(profile: Profile) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """From the reference's chunk layout: per track its longest run of samples, its usual successor, and
    its typical (median) run length."""
    runs: list[tuple[int, int]] = []
    for ti, n in profile.layout:
        if runs and runs[-1][0] == ti:
            runs[-1] = (ti, runs[-1][1] + n)  # consecutive chunks of one track are one run
        else:
            runs.append((ti, n))
    max_run: dict[int, int] = {}
    lengths: dict[int, list[int]] = {}
    pairs: dict[tuple[int, int], int] = {}
    for i, (ti, n) in enumerate(runs):
        max_run[ti] = max(max_run.get(ti, 0), n)
        lengths.setdefault(ti, []).append(n)
        if i:
            key = (runs[i - 1][0], ti)
            pairs[key] = pairs.get(key, 0) + 1
    successor: dict[int, int] = {}
    for (a, b), _count in sorted(pairs.items(), key=lambda kv: -kv[1]):
        successor.setdefault(a, b)
    typical = {ti: int(np.median(v[:-1] if len(v) > 1 else v)) for ti, v in lengths.items()}
    return max_run, successor, typical
