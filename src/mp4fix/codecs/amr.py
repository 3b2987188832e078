"""AMR narrowband ('samr') and wideband ('sawb') speech in 3GP/MP4/MOV: frames in the storage format.

Written from 3GPP TS 26.101 / 26.201 (frame types and their class A+B+C bit counts), the storage format of
RFC 4867 section 5 / TS 26.101 annex (one ToC byte per frame: a zero bit, the 4-bit frame type FT, the
quality bit Q, two zero bits, then the speech bits padded to a whole byte) and 3GPP TS 26.244 (the 'damr'
box: vendor, decoder version, mode_set, mode_change_period, frames_per_sample).

A frame's length follows from its ToC byte alone. A sample holds ``frames_per_sample`` frames (the damr value,
checked against the reference's durations and learned from its samples in ``check_reference``); the matcher
measures exactly that many. Since a ToC byte is weak evidence, what the reference teaches narrows it: the
speech modes it uses, whether every frame has Q set, whether the bits that pad a frame's speech bits to a whole
byte are zero (as the storage format has them), and whether the recorder uses DTX at all (SID and NO_DATA
frames are accepted when the reference holds any: a recorder without DTX never writes them, and a 1-byte
NO_DATA ToC would otherwise be found in the last byte of a video picture next to the audio). Every sample is a
sync sample.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from mp4fix.codecs.base import Matcher, SampleMatch, register
from mp4fix.errors import MismatchError
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

# bytes per frame including the ToC byte, by frame type; 0 = not allowed in a stored stream
NB_FRAME_BYTES = (13, 14, 16, 18, 20, 21, 27, 32, 6, 0, 0, 0, 0, 0, 0, 1)
WB_FRAME_BYTES = (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 0, 0, 0, 0, 1, 1)
# speech (or SID) bits per frame type (TS 26.101 / 26.201): the last byte is padded with zero bits
NB_FRAME_BITS = (95, 103, 118, 134, 148, 159, 204, 244, 39, 0, 0, 0, 0, 0, 0, 0)
WB_FRAME_BITS = (132, 177, 253, 285, 317, 365, 397, 461, 477, 40, 0, 0, 0, 0, 0, 0)
NB_SPEECH = frozenset(range(8))
WB_SPEECH = frozenset(range(9))
NB_ALWAYS = frozenset({8, 15})  # SID, NO_DATA
WB_ALWAYS = frozenset({9, 14, 15})  # SID, SPEECH_LOST, NO_DATA
BLOCK = 1 << 20


def parse_damr(payload: bytes) -> dict:
    """AMRSpecificBox: vendor, decoder_version, mode_set, mode_change_period, frames_per_sample."""
    if len(payload) < 9:
        raise MismatchError(_("The reference's AMR configuration (damr) is truncated."))
    return dict(vendor=bytes(payload[:4]), decoder_version=payload[4],
                mode_set=int.from_bytes(payload[5:7], "big"), mode_change_period=payload[7],
                frames_per_sample=payload[8])


def _find_damr(track: TrackProfile) -> bytes | None:
    box = track.config.get("damr")
    if box is None:
        # QuickTime: the same payload as a 'samr'/'sawb' box inside 'wave'
        box = track.config.get(track.fourcc)
    return bytes(box) if box is not None and len(box) >= 9 else None


class _AmrMatcher(Matcher):
    frame_bytes: tuple[int, ...] = NB_FRAME_BYTES
    frame_bits: tuple[int, ...] = NB_FRAME_BITS
    speech: frozenset = NB_SPEECH
    always: frozenset = NB_ALWAYS

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        box = _find_damr(track)
        self.damr = parse_damr(box) if box is not None else None
        fps = self.damr["frames_per_sample"] if self.damr else 0
        by_time = self._frames_by_duration(track)
        if not 1 <= fps <= 15:
            fps = by_time or 1
        self.frames_per_sample = fps
        allowed = set(self.speech)
        mode_set = self.damr["mode_set"] if self.damr else 0
        restricted = {ft for ft in self.speech if mode_set >> ft & 1}
        if restricted and restricted != set(self.speech):
            allowed = restricted
        self.zero_padded = False  # every frame's padding bits are zero (learned from the reference)
        self._set_allowed(allowed, require_q=False)
        self.learned = False

    def _frames_by_duration(self, track: TrackProfile) -> int:
        """Frames per sample from the reference's sample duration (20 ms frames), 0 when it does not divide."""
        if not track.timescale or not track.sample_duration:
            return 0
        n = track.sample_duration * 50 / track.timescale
        return int(round(n)) if abs(n - round(n)) < 1e-6 and 1 <= round(n) <= 15 else 0

    def _set_allowed(self, speech_modes: set[int], require_q: bool, dtx: bool = True) -> None:
        self.allowed_modes = frozenset(speech_modes) | (self.always if dtx else frozenset())
        self.require_q = require_q
        self.dtx = dtx
        sizes = [0] * 256
        pads = [0] * 256
        for b in range(256):
            if b & 0x83:  # the leading bit and the two padding bits are zero
                continue
            ft, q = (b >> 3) & 15, (b >> 2) & 1
            if ft in self.allowed_modes and self.frame_bytes[ft] and (q or not require_q):
                sizes[b] = self.frame_bytes[ft]
                pad = -self.frame_bits[ft] % 8
                pads[b] = (1 << pad) - 1 if self.zero_padded and self.frame_bits[ft] else 0
        self._size = sizes
        self._pad = pads  # mask of the padding bits of the frame's last byte (0: not checked)
        self._lut = np.array([s > 0 for s in sizes], dtype=bool)

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        if pos < 0:
            return None
        size, pad = self._size, self._pad
        p = pos
        for _n in range(self.frames_per_sample):
            if p >= end:
                return None
            toc = data[p]
            n = size[toc]
            if not n or (pad[toc] and (p + n > end or data[p + n - 1] & pad[toc])):
                return None
            p += n
        if p > end:
            return None
        return SampleMatch(p - pos, True)

    def frame_types(self, data, pos: int, nbytes: int) -> list[tuple[int, int]] | None:
        """(FT, Q) of each frame stored exactly in ``nbytes`` at ``pos`` (any valid frame type), or None."""
        out = []
        p, end = pos, pos + nbytes
        while p < end:
            b = data[p]
            ft = (b >> 3) & 15
            if b & 0x83 or not self.frame_bytes[ft]:
                return None
            out.append((ft, (b >> 2) & 1))
            p += self.frame_bytes[ft]
        return out if p == end else None

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Learn frames per sample, the speech modes in use and the Q bit from the reference's samples."""
        counts: Counter = Counter()
        modes: set[int] = set()
        q_clear = False
        dtx = False
        padded = True
        offs, lens = np.asarray(offsets).tolist(), np.asarray(sizes).tolist()
        for i, (off, size) in enumerate(zip(offs, lens)):
            frames = self.frame_types(data, int(off), int(size))
            if frames is None:
                continue
            if i < len(offs) - 1 or len(offs) == 1:  # the last sample of a recording may hold fewer frames
                counts[len(frames)] += 1
            modes.update(ft for ft, _ in frames if ft in self.speech)
            dtx |= any(ft in self.always for ft, _ in frames)
            padded = padded and self._padding_zero(data, int(off), frames)
            q_clear |= any(q == 0 for _, q in frames)
        if counts:
            self.frames_per_sample = counts.most_common(1)[0][0]
            self.zero_padded = padded
            self._set_allowed(modes & set(self.allowed_modes) or modes or set(self.speech), require_q=not q_clear,
                              dtx=dtx)
            self.learned = True
        return super().check_reference(data, offsets, sizes)

    def _padding_zero(self, data, pos: int, frames: list[tuple[int, int]]) -> bool:
        """Whether the padding bits after the speech bits of each frame (stored at ``pos``) are zero."""
        for ft, _q in frames:
            n = self.frame_bytes[ft]
            pad = -self.frame_bits[ft] % 8
            if self.frame_bits[ft] and pad and data[pos + n - 1] & ((1 << pad) - 1):
                return False
            pos += n
        return True

    def clone(self) -> "_AmrMatcher":
        m = type(self)(self.track)
        m.frames_per_sample = self.frames_per_sample
        m.zero_padded = self.zero_padded
        m._set_allowed(set(self.allowed_modes) - self.always, self.require_q, self.dtx)
        m.learned = self.learned
        return m

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        """Positions whose byte is an allowed ToC (and whose frame ends in zero padding, when the reference's do)
        and, for several frames per sample, whose second ToC is too."""
        start, end = max(int(start), 0), min(int(end), len(arr))
        sizes = np.array(self._size, dtype=np.int64)
        pads = np.array(self._pad, dtype=np.uint8)
        out = []
        for b in range(start, end, BLOCK):
            e = min(b + BLOCK, end)
            idx = np.flatnonzero(self._lut[arr[b:e]]).astype(np.int64) + b
            if idx.size and self.zero_padded:  # the frame's last byte ends in zero padding bits
                last = idx + sizes[arr[idx]] - 1
                inside = last < len(arr)
                idx = idx[~inside | ((arr[np.minimum(last, len(arr) - 1)] & pads[arr[idx]]) == 0)]
            if idx.size and self.frames_per_sample > 1:
                nxt = idx + sizes[arr[idx]]
                inside = nxt < len(arr)
                idx = idx[inside]
                idx = idx[self._lut[arr[nxt[inside]]]]
            out.append(idx)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


@register
class AmrNbMatcher(_AmrMatcher):
    fourccs = ("samr",)


@register
class AmrWbMatcher(_AmrMatcher):
    fourccs = ("sawb",)
    frame_bytes = WB_FRAME_BYTES
    frame_bits = WB_FRAME_BITS
    speech = WB_SPEECH
    always = WB_ALWAYS


__all__ = ["AmrNbMatcher", "AmrWbMatcher", "NB_FRAME_BYTES", "WB_FRAME_BYTES", "parse_damr"]
