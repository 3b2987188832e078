"""The small interface every codec family implements, and the registry by sample-entry fourcc.

A ``Matcher`` answers one question for one track: "does a complete sample of this track start at byte
``pos`` of the data, and if so how long is it exactly?" It never guesses from sizes learned in the reference:
the length comes from the bitstream. The scanner (``mp4fix.scan``) asks every track's matcher and decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mp4fix.profile import TrackProfile


@dataclass(slots=True)
class SampleMatch:
    """A sample found at some position: its exact length in bytes and what the bitstream says of it."""

    size: int
    keyframe: bool = True
    count: int = 1  # how many table samples these bytes hold (PCM chunks hold many fixed-size samples)
    info: Any = None  # codec-specific facts for timing (e.g. picture order count fields)
    #: for ``Matcher.open_ended`` codecs: True when no start of this track's next sample closed the sample (it
    #: runs to ``end`` or to where the matcher stopped looking), False when one did
    open_end: bool = False
    #: believed only where what follows is recognised (bytes that say little on their own: an empty RTP hint
    #: sample is four zero bytes)
    confirm: bool = False


class DeclinedFormats:
    """Where in-band parameter sets of a picture format a track does not have were met (a bounded record: a few
    formats, a few places each). Bookkeeping for the fit check only; it never changes what ``match`` answers."""

    FORMATS, PLACES = 8, 4

    def __init__(self) -> None:
        self._seen: dict[tuple[int, int, int, int], set[int]] = {}

    def note(self, fmt: tuple[int, int, int, int], pos: int) -> None:
        places = self._seen.get(fmt)
        if places is None:
            if len(self._seen) >= self.FORMATS:
                return
            places = self._seen[fmt] = set()
        if len(places) < self.PLACES:
            places.add(pos)

    def repeated(self) -> set[tuple[int, int, int, int]]:
        """The formats met in two places or more (a look-alike in picture data rarely parses twice alike)."""
        return {fmt for fmt, places in self._seen.items() if len(places) >= 2}


class Matcher:
    """Base class. Subclasses set ``fourccs`` and implement ``match``; the rest has safe defaults.

    ``data`` is a bytes-like object over the whole file (an mmap); positions are absolute file offsets and
    ``end`` is where the usable data stops (the cut). ``match`` must not change the matcher's state: the
    scanner may try several tracks and look ahead before it keeps a sample.
    """

    fourccs: ClassVar[tuple[str, ...]] = ()
    #: True when sample lengths come from the bitstream; False for codecs that need the reference's sizes
    self_delimiting: ClassVar[bool] = True
    #: for matchers that are not self-delimiting: the byte granularity of a sample (PCM frame, fixed size)
    stride: int = 0
    #: ... and how far a run of their samples may reach before a self-delimiting sample must follow
    max_run_bytes: int = 0
    #: ... and the longest run the reference shows (bytes): less than that left means the cut broke the run
    longest_run: int = 0
    #: ... and the shortest (bytes): a recording of such samples only whose data ends less than that after a
    #: sample ends there with a sample the cut broke
    shortest_run: int = 0
    #: True for start-code codecs (MPEG-4 Part 2) whose data marks where the next sample of their own stream
    #: begins but not where this one ends: ``match`` returns the sample up to that next start (or up to ``end``,
    #: with ``SampleMatch.open_end``), and the scanner ends it earlier where other tracks' samples fill the gap
    open_ended: ClassVar[bool] = False
    #: for open-ended matchers whose reach is a bound on the sample's length (records of a data track) rather
    #: than the end of the data: an unclosed sample ends where the first confirmed sample of another track
    #: begins inside the reach
    reach_is_bound: ClassVar[bool] = False
    #: True for codecs whose samples are sequences of units where the last units alone also make a sample (an
    #: H.264/HEVC access unit without its leading parameter sets or SEI, an MPEG-4 frame without its headers)
    tails_are_samples: ClassVar[bool] = False

    def __init__(self, track: TrackProfile):
        """Prepare from the reference track (codec configuration). Raise ``MismatchError`` if unusable."""
        self.track = track

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        """The complete sample starting exactly at ``pos`` and ending at or before ``end``, or None."""
        raise NotImplementedError

    def cut_start(self, data, pos: int, end: int) -> bool:
        """Whether a sample of this track starts at ``pos`` but is cut by ``end`` (the recording stopped
        inside it). Only asked where ``match`` found nothing, near the cut; it lets the samples of a track
        that is not self-delimiting (PCM) end where that cut sample begins. The default knows nothing."""
        return False

    def match_options(self, data, pos: int, end: int) -> list[SampleMatch]:
        """For matchers that are not self-delimiting: the likely samples at ``pos``, likeliest first.

        The scanner adds one more option itself (up to where the next self-delimiting sample starts, in
        steps of ``stride``) and keeps an option only when what follows it is recognised.
        """
        m = self.match(data, pos, end)
        return [m] if m is not None else []

    def fits(self, data, pos: int, size: int) -> bool:
        """For matchers that are not self-delimiting: whether ``size`` bytes at ``pos`` can be a run of this
        track's samples (a track whose samples are all zero bytes: only zeros). The default: any bytes."""
        return True

    def sample_of(self, size: int) -> SampleMatch:
        """A run of ``size`` bytes of this track's fixed-size samples."""
        return SampleMatch(size, True, count=size // self.stride if self.stride else 1)

    def accept(self, match: SampleMatch) -> bool:
        """Called, in stream order, for each sample the scanner keeps (e.g. to adopt in-band parameter sets).

        Return True when this changed how later data parses (the scanner then forgets matches it made
        ahead of time for this track); the default keeps no state and returns False.
        """
        return False

    def picture_formats(self) -> set[tuple[int, int, int, int]]:
        """The picture formats the parameter sets this matcher knows declare, each as (width, height,
        chroma_format_idc, luma bit depth): those of the reference's configuration, and those it adopted from
        samples it accepted (a recording that carries its own parameter sets says what it is). Empty for codecs
        without parameter sets."""
        return set()

    def declined_formats(self) -> set[tuple[int, int, int, int]]:
        """Picture formats of in-band parameter sets this matcher met in at least two places and declined
        because the track does not have that picture size (they may belong to another track of the reference,
        or the recording is not what the reference is). Empty for codecs without parameter sets."""
        return set()

    @property
    def knows_cut_starts(self) -> bool:
        """Whether ``cut_start`` can recognise the beginning of a sample the cut broke."""
        return type(self).cut_start is not Matcher.cut_start

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        """Sorted absolute positions in [start, end) where a sample of this track could start.

        ``arr`` is the data as a uint8 numpy array (a view of the mmap) ending where the usable data ends;
        ``[start, end)`` is only the stretch searched now: a sample that starts in it may run past ``end``
        (up to ``len(arr)``), so no position may be rejected for that. This is a cheap vectorised filter used
        to resynchronise over bytes that belong to no track; every position it returns is still checked with
        ``match``. The default says "anywhere".
        """
        return np.arange(start, end, dtype=np.int64)

    # -- timing: presentation order -------------------------------------------------------------------------
    #
    # Codecs whose frames are presented in another order than they are decoded (B-frames) say where each
    # sample is presented. The scanner keeps two integers per sample for it (its "facts", e.g. the picture
    # order count period and value), pushed in decode order through ``fact_state()`` as samples are kept, never
    # the parsed headers; ``order_from_facts`` turns a run of them into presentation positions.

    def fact_state(self) -> "FactState | None":
        """A fresh accumulator of this track's timing facts, or None: presented in decode order."""
        return None

    def order_from_facts(self, facts: np.ndarray) -> np.ndarray | None:
        """For the (n, 2) facts of samples in decode order, each one's presentation position counted in
        samples, or None when presentation order is decode order (then no composition offsets)."""
        return None

    def presentation_order(self, matches: list[SampleMatch]) -> np.ndarray | None:
        """``order_from_facts`` for a list of matches in decode order (pushed through a fresh ``fact_state``)."""
        state = self.fact_state()
        if state is None or not matches:
            return None
        facts = np.asarray([state.push(m) for m in matches], dtype=np.int64).reshape(-1, 2)
        return self.order_from_facts(facts)

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Measure the reference's first samples (in order); return how many come out exactly.

        Subclasses may also learn from them here (which pictures the muxer flags as sync samples, rare NAL
        types the stream uses, ...); ``clone`` then carries that over to the matchers that scan.
        """
        good = 0
        for off, size in zip(np.asarray(offsets).tolist(), np.asarray(sizes).tolist()):
            m = self.match(data, off, off + size)
            if m is not None and m.size == size:
                good += 1
                self.accept(m)
        return good

    def clone(self) -> "Matcher":
        """A fresh matcher for the same track: what was learned from the reference, none of its stream state."""
        return type(self)(self.track)


class FactState:
    """The state that turns matches, pushed in decode order, into two timing integers each (see
    ``Matcher.fact_state``)."""

    def push(self, match: SampleMatch) -> tuple[int, int]:  # pragma: no cover - an interface
        raise NotImplementedError


def find_bytes(data, sub: bytes, start: int, end: int) -> int:
    """``data.find(sub, start, end)`` for an mmap or bytes (searched in place), or for any other buffer."""
    finder = getattr(data, "find", None)
    if finder is not None:
        return finder(sub, start, end)
    i = bytes(data[start:end]).find(sub)
    return i + start if i >= 0 else -1


def prefixed_positions(arr: np.ndarray, start: int, end: int, prefix: bytes, follow: np.ndarray,
                       block: int = 1 << 20) -> np.ndarray:
    """Sorted positions in [start, end) where ``prefix`` begins and the byte after it is one ``follow`` (a
    256-entry bool table) allows: the start codes of start-code codecs (MPEG-4 Part 2's 00 00 01 xx, H.263's
    00 00 1xxxxxxx). A match may run past ``end`` (the data goes on); searched in blocks to bound memory."""
    start = max(int(start), 0)
    end = min(int(end), len(arr))
    k = len(prefix)
    out = []
    b = start
    while b < end:
        e = min(end, b + block)
        n = min(e, len(arr) - k) - b
        if n <= 0:
            break
        w = arr[b:b + n + k]
        hit = follow[w[k:n + k]]
        for i, byte in enumerate(prefix):
            hit &= w[i:n + i] == byte
        idx = np.flatnonzero(hit)
        if idx.size:
            out.append(idx.astype(np.int64) + b)
        b = e
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


_REGISTRY: dict[str, type[Matcher]] = {}


def register(cls: type[Matcher]) -> type[Matcher]:
    """Class decorator: make ``cls`` the matcher for each of its ``fourccs``."""
    for fourcc in cls.fourccs:
        _REGISTRY[fourcc] = cls
    return cls


def matcher_class(fourcc: str) -> type[Matcher] | None:
    return _REGISTRY.get(fourcc)


def supported_fourccs() -> list[str]:
    return sorted(_REGISTRY)
