"""Opus ('Opus' with 'dOps') in MP4: repaired only when every packet has the reference's constant size.

Written from RFC 6716 (3.1 the TOC byte, 3.2 frame packing codes 0-3, 3.4 the packet validity rules R1-R7,
appendix B self-delimiting packets), RFC 7845 5.1.1 (channel mapping, multistream packets) and
"Encapsulation of Opus in ISO Base Media File Format" (the 'dOps' box).

An Opus packet has no length field: its size is whatever the container says, so the bitstream alone cannot
say where a packet ends. This matcher is therefore not self-delimiting (like PCM). It works when every packet
of the reference (but the last) has one size, as libopus writes with hard CBR (``-vbr off``): a run of packets
is then a multiple of that size. The matcher proposes runs as long as the reference's chunks and single
packets, every packet in a run must pass the TOC check below, and the scanner keeps an option only when a
recognised sample (or the end of the data) follows it.

Variable-bitrate packets are refused in ``__init__`` with ``UnsupportedCodecError``. (Where each packet is
followed by a sample of another track, that sample's start would pin the packet's end; the scanner does not
offer that yet: it confirms "up to the next recognised sample" only when a further recognised sample follows
that one.)

The TOC check (for a packet of a given length): the RFC 6716 rules R1-R7 for its framing code (frame lengths,
frame count, padding) and a duration equal to the reference's sample duration. With several streams
(mapping family 1+) all but the last stream are self-delimiting and each is checked. Every sample is a sync
sample.
"""

from __future__ import annotations

import numpy as np

from mp4fix.codecs.base import Matcher, SampleMatch, register
from mp4fix.errors import MismatchError, UnsupportedCodecError
from mp4fix.i18n import N_, _
from mp4fix.profile import TrackProfile

MAX_FRAME_BYTES = 1275
MAX_PACKET_DURATION = 5760  # 120 ms at 48 kHz
OPUS_RATE = 48000


def frame_duration(config: int) -> int:
    """Samples at 48 kHz of one frame of TOC configuration ``config`` (RFC 6716 Table 2)."""
    if config < 12:  # SILK-only: 10, 20, 40, 60 ms
        return (480, 960, 1920, 2880)[config & 3]
    if config < 16:  # hybrid: 10, 20 ms
        return (480, 960)[config & 1]
    return (120, 240, 480, 960)[config & 3]  # CELT-only: 2.5, 5, 10, 20 ms


def _frame_len(buf: bytes, p: int, end: int) -> tuple[int, int] | None:
    """A frame length (RFC 6716 3.2.1) at ``p``: (length, bytes used), or None past ``end``."""
    if p >= end:
        return None
    b = buf[p]
    if b < 252:
        return b, 1
    if p + 1 >= end:
        return None
    return buf[p + 1] * 4 + b, 2


def packet_info(buf: bytes, pos: int, end: int, self_delimited: bool = False) -> tuple[int, int] | None:
    """Check the Opus packet at ``buf[pos:end]``: (bytes it occupies, duration in 48 kHz samples) or None.

    A regular packet occupies exactly ``end - pos`` bytes; a self-delimited one (appendix B) says its own
    length, which may be less.
    """
    n = end - pos
    if n < 1:
        return None  # R1
    toc = buf[pos]
    code = toc & 3
    dur = frame_duration(toc >> 3)
    p = pos + 1
    if code == 0:
        frames = 1
        if self_delimited:
            got = _frame_len(buf, p, end)
            if got is None:
                return None
            size, used = got
            p += used + size
        else:
            size = end - p
            p = end
        if size > MAX_FRAME_BYTES or p > end:
            return None  # R2
    elif code == 1:
        frames = 2
        if self_delimited:
            got = _frame_len(buf, p, end)
            if got is None:
                return None
            size, used = got
            p += used + 2 * size
        else:
            if (end - p) & 1:
                return None  # R3
            size = (end - p) // 2
            p = end
        if size > MAX_FRAME_BYTES or p > end:
            return None
    elif code == 2:
        frames = 2
        got = _frame_len(buf, p, end)
        if got is None:
            return None
        first, used = got
        p += used
        if self_delimited:
            got = _frame_len(buf, p, end)
            if got is None:
                return None
            second, used = got
            p += used + first + second
        else:
            second = end - p - first
            p = end
        if first > MAX_FRAME_BYTES or not 0 <= second <= MAX_FRAME_BYTES or p > end:
            return None  # R4
    else:
        if p >= end:
            return None  # R6/R7: no frame count byte
        fc = buf[p]
        p += 1
        vbr, padded, frames = fc >> 7, (fc >> 6) & 1, fc & 63
        if frames < 1 or frames * dur > MAX_PACKET_DURATION:
            return None  # R5
        padding = 0
        if padded:
            while True:
                if p >= end:
                    return None
                b = buf[p]
                p += 1
                padding += 254 if b == 255 else b
                if b != 255:
                    break
        if vbr:
            total = 0
            for _n in range(frames - 1):
                got = _frame_len(buf, p, end)
                if got is None:
                    return None
                size, used = got
                if size > MAX_FRAME_BYTES:
                    return None
                p += used
                total += size
            if self_delimited:
                got = _frame_len(buf, p, end)
                if got is None:
                    return None
                last, used = got
                p += used
            else:
                last = end - p - padding - total
            if not 0 <= last <= MAX_FRAME_BYTES:
                return None  # R6
            p += total + last + padding
        else:
            if self_delimited:
                got = _frame_len(buf, p, end)
                if got is None:
                    return None
                size, used = got
                p += used
            else:
                rest = end - p - padding
                if rest < 0 or rest % frames:
                    return None  # R7
                size = rest // frames
            if size > MAX_FRAME_BYTES:
                return None
            p += frames * size + padding
        if p > end:
            return None
    return p - pos, frames * dur


def parse_dops(payload: bytes) -> dict:
    """OpusSpecificBox: version, channels, pre-skip, input rate, gain, mapping family and stream counts."""
    b = bytes(payload)
    if len(b) < 11:
        raise MismatchError(_("The reference's Opus configuration (dOps) is truncated."))
    family = b[10]
    out = dict(version=b[0], channels=b[1], pre_skip=int.from_bytes(b[2:4], "big"),
               input_rate=int.from_bytes(b[4:8], "big"), gain=int.from_bytes(b[8:10], "big", signed=True),
               family=family, streams=1, coupled=1 if b[1] == 2 else 0)
    if family != 0:
        if len(b) < 13:
            raise MismatchError(_("The reference's Opus channel mapping (dOps) is truncated."))
        out["streams"], out["coupled"] = b[11], b[12]
        if out["streams"] < 1:
            raise MismatchError(_("The reference's Opus configuration (dOps) lists no streams."))
    return out


_REFUSAL = N_("Opus audio cannot be measured in the broken file: Opus packets carry no length, and the "
              "reference's packets {why}, so where each packet ends cannot be known (a recording made with "
              "constant bitrate can be repaired).")


@register
class OpusMatcher(Matcher):
    fourccs = ("Opus",)
    self_delimiting = False

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        box = track.config.get("dOps")
        if box is None:
            raise MismatchError(_("The reference's Opus track has no dOps box, so its channel layout is unknown."))
        self.config = parse_dops(box)
        self.streams = self.config["streams"]
        sizes = np.asarray(track.sizes, dtype=np.int64)
        dur = track.sample_duration
        if len(sizes) < 2 or not dur or not track.timescale:
            raise UnsupportedCodecError(_(_REFUSAL, why=_("are too few to show a pattern")))
        # the packet duration in 48 kHz samples
        self.duration = dur * OPUS_RATE // track.timescale if (dur * OPUS_RATE) % track.timescale == 0 else 0
        body = sizes[:-1]  # the last packet of a recording may be shorter (the encoder's flush)
        if int(body.min()) != int(body.max()):
            raise UnsupportedCodecError(_(_REFUSAL, why=_("vary in size ({low} to {high} bytes: variable bitrate)",
                                                          low=int(body.min()), high=int(body.max()))))
        self.stride = int(body[0])
        runs = track.chunk_sizes[track.chunk_sizes > 0]
        if len(runs) > 1:
            runs = runs[:-1]
        values, counts = np.unique(runs, return_counts=True) if len(runs) else (np.zeros(0), np.zeros(0))
        likely = [int(v) for v in values[np.argsort(-counts, kind="stable")][:4]]
        self._run_packets = [k for k in likely if k > 1] + [1]  # likeliest first; single packets last
        self.max_run_bytes = max(4 * self.stride * max(likely or [1]), 1 << 16)

    # -- checks --

    def packet_ok(self, data, pos: int, size: int) -> bool:
        """The ``size`` bytes at ``pos`` form one Opus sample of the reference's duration and stream count."""
        buf = bytes(data[pos:pos + size])
        p, end = 0, len(buf)
        for _n in range(self.streams - 1):
            got = packet_info(buf, p, end, self_delimited=True)
            if got is None or (self.duration and got[1] != self.duration):
                return False
            p += got[0]
        got = packet_info(buf, p, end)
        return got is not None and (not self.duration or got[1] == self.duration)

    def match_options(self, data, pos: int, end: int) -> list[SampleMatch]:
        if pos < 0:
            return []
        size = self.stride
        out = []
        checked = 0  # packets from pos known to be valid
        for k in self._run_packets:
            if pos + k * size > end:
                continue
            while checked < k and self.packet_ok(data, pos + checked * size, size):
                checked += 1
            if checked >= k:
                out.append(SampleMatch(k * size, True, count=k))
        return out

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        """One packet at ``pos`` (the reference's size), or None."""
        if pos >= 0 and pos + self.stride <= end and self.packet_ok(data, pos, self.stride):
            return SampleMatch(self.stride, True)
        return None

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        return np.zeros(0, dtype=np.int64)  # a TOC byte is too weak to resynchronise on


__all__ = ["OpusMatcher", "frame_duration", "packet_info", "parse_dops"]
