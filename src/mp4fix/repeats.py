"""Blocks the card wrote twice: samples that repeat earlier data are left out (a stage between ``scan`` and
``build``; ``repair`` runs it on the scan's result).

A flaky card, or a writer that retried, can write a block of the recording a second time further on. Its
samples parse as valid ones and would come back a second time with times from the past.
"""

from __future__ import annotations

import bisect
import zlib
from array import array
from typing import Callable

import numpy as np

from mp4fix.codecs.base import Matcher
from mp4fix.profile import Profile
from mp4fix.scan import Scanner, ScanResult, TrackScan, _merge

#: bytes a repeated run of samples must reach to count as a block the card wrote twice
REPEAT_BLOCK = 64 << 10
REPEAT_PROBE = 64  # bytes at each end of a sample that make its fingerprint


def drop_repeats(result: ScanResult, data, arr: np.ndarray, profile: Profile,
                 fresh: Callable[[], list[Matcher | None]]) -> None:
    """Leave out samples that repeat earlier data: a block of the card written twice (a flaky card, a writer
    that retried) reads as valid samples a second time, with times from the past.

    Compressed video frames never repeat byte for byte (each carries its own picture number in its header), so a
    video sample equal to an earlier one marks a repeated block, copied from a fixed distance back; the block
    reaches over the neighbouring samples of every track that equal the bytes that same distance back. Where the
    copy ends inside a sample, the sample that begins with copied bytes is no sample either: the bytes from it to
    the next sample are scanned again, so the real samples after the copy are not lost. The repeated bytes are
    recorded in ``result.repeated`` and ``result.skipped`` (so the timeline counts what the repeat overwrote).
    """
    blocks: list[tuple[int, int, int]] = []  # (start, end, distance back to the copied bytes)
    for ts in result.tracks:
        if ts.matcher is None or ts.track.kind != "video" or len(ts.sizes) < 2:
            continue
        prints: dict[tuple[int, int], int] = {}
        for o, n in zip(ts.offsets.tolist(), ts.sizes.tolist()):
            if n < 16:
                continue
            head = bytes(data[o:o + min(n, REPEAT_PROBE)])
            key = (n, zlib.crc32(bytes(data[o + max(n - REPEAT_PROBE, 0):o + n]), zlib.crc32(head)))
            first = prints.setdefault(key, o)
            if first != o and bytes(data[first:first + n]) == bytes(data[o:o + n]):
                back = o - first
                if blocks and blocks[-1][2] == back and blocks[-1][1] >= o - (1 << 20):
                    blocks[-1] = (blocks[-1][0], o + n, back)
                else:
                    blocks.append((o, o + n, back))
    if not blocks:
        return
    every = sorted((o, o + n) for ts in result.tracks if ts.matcher is not None
                   for o, n in zip(ts.offsets.tolist(), ts.sizes.tolist()))
    starts = [o for o, _e in every]

    def copied(o: int, e: int, back: int) -> bool:
        return o - back >= 0 and bytes(data[o - back:e - back]) == bytes(data[o:e])

    video = {ts.track.index for ts in result.tracks if ts.matcher is not None and ts.track.kind == "video"}
    kinds = sorted((o, ts.track.index) for ts in result.tracks if ts.matcher is not None
                   for o in ts.offsets.tolist())
    dropped, rescan = [], []
    for a, b, back in blocks:
        i = bisect.bisect_left(starts, a)
        inner = every[i:bisect.bisect_left(starts, b)]
        # a block is a copy throughout, and it holds at least two different video frames: one frame equal to an
        # earlier one is no block (a static scene codes identical frames: MPEG-4 and H.263 not-coded frames, a
        # skipped picture whose picture numbers came round again)
        if not all(copied(o, e, back) for o, e in inner):
            continue
        pictures = {bytes(data[o:e]) for (o, e), (_o, k) in zip(inner, kinds[i:i + len(inner)]) if k in video}
        if len(pictures) < 2:
            continue
        while i > 0 and copied(*every[i - 1], back):
            i -= 1
        j = bisect.bisect_left(starts, b)
        while j < len(every) and copied(*every[j], back):
            j += 1
        lo, hi = every[i][0], every[j - 1][1]
        # and it is big: a static scene repeats small runs exactly (not-coded MPEG-4 frames whose time increments
        # came round a second later; H.264 skipped pictures at the same place of the next group of pictures;
        # digital silence between them), a card's repeated block is a write unit of tens of kilobytes or more
        if hi - lo < REPEAT_BLOCK:
            continue
        if j < len(every):
            o, e = every[j]
            if copied(o, min(e, o + REPEAT_PROBE), back):  # the copy ends inside this one
                hi = o
                rescan.append((o, every[j + 1][0] if j + 1 < len(every) else result.end))
        dropped.append((lo, hi))
    if not dropped:
        return
    _merge(dropped)
    result.repeated = list(dropped)
    gone = dropped + [(a, a + 1) for a, _b in rescan]  # the sample that begins a rescanned stretch goes too
    for ts in result.tracks:
        if not len(ts.offsets):
            continue
        offs = np.frombuffer(ts.offsets, dtype=np.int64)
        keep = np.ones(len(offs), dtype=bool)
        for a, b in gone:
            keep &= ~((offs >= a) & (offs < b))
        if not keep.all():
            _keep_only(ts, keep)
    result.skipped.extend(dropped)
    for a, b in rescan:  # from inside the copy's last sample to the next sample kept: what lies there again
        again = Scanner(data, arr, profile, fresh()).run(a + 1, b)
        for ts, more in zip(result.tracks, again.tracks):
            if len(more.offsets):
                _insert(ts, more)
        first = min((o for t in again.tracks for o in t.offsets[:1]), default=b)
        result.skipped[:] = [(x, y) for x, y in result.skipped if not (a <= x and y <= b)]  # looked at again
        result.repeated.append((a, first))
        result.skipped.append((a, first))
        result.skipped.extend(again.skipped)
    _merge(result.repeated)
    _merge(result.skipped)
    for ts in result.tracks:  # timing facts in decode order again, from the samples as they now are
        if ts.keeps_facts and len(ts.offsets):
            state = ts.matcher.fact_state()
            matcher = fresh()[ts.track.index]
            ts.facts = array("q")
            for o, n in zip(ts.offsets.tolist(), ts.sizes.tolist()):
                m = matcher.match(data, o, o + n)
                if m is not None:
                    matcher.accept(m)
                ts.facts.extend(state.push(m) if m is not None else (-1, 0))


def _insert(ts: TrackScan, more: TrackScan) -> None:
    """Add the samples of ``more`` to ``ts``, in file order."""
    offs = np.concatenate([np.frombuffer(ts.offsets, dtype=np.int64), np.frombuffer(more.offsets, dtype=np.int64)])
    order = np.argsort(offs, kind="stable")

    def joined(a: array, b: array, code: str) -> array:
        both = np.concatenate([np.frombuffer(a, dtype=np.dtype(code)), np.frombuffer(b, dtype=np.dtype(code))])
        return array(code, both[order].tobytes())

    ts.offsets = array("q", offs[order].tobytes())
    ts.sizes = joined(ts.sizes, more.sizes, "q")
    ts.counts = joined(ts.counts, more.counts, "q")
    ts.keyframes = joined(ts.keyframes, more.keyframes, "b")


def _keep_only(ts: TrackScan, keep: np.ndarray) -> None:
    """Keep the samples of ``ts`` where ``keep`` is True."""
    idx = np.flatnonzero(keep)
    ts.offsets = array("q", np.frombuffer(ts.offsets, dtype=np.int64)[idx].tobytes())
    ts.sizes = array("q", np.frombuffer(ts.sizes, dtype=np.int64)[idx].tobytes())
    ts.counts = array("q", np.frombuffer(ts.counts, dtype=np.int64)[idx].tobytes())
    ts.keyframes = array("b", np.frombuffer(ts.keyframes, dtype=np.int8)[idx].tobytes())
    if len(ts.facts):
        ts.facts = array("q", ts.fact_pairs[idx].ravel().tobytes())
