"""MPEG-1/2/2.5 audio layers I, II and III ('.mp3' in QuickTime, 'mp4a' with objectTypeIndication 0x6B/0x69).

Written from ISO/IEC 11172-3 (2.4.1.3 header, 2.4.2.3 frame length) and ISO/IEC 13818-3 (the lower sampling
rates; MPEG-2.5 is the common extension to 8-12 kHz). A sample is one frame; its length follows from the
header alone:

    Layer I:                  (12 * bitrate / sampling_rate + padding) * 4 bytes
    Layer II, Layer III v1:   144 * bitrate / sampling_rate + padding
    Layer III v2 / v2.5:      72 * bitrate / sampling_rate + padding

What must match the reference: the MPEG version, the layer, the sampling rate, the CRC protection flag and
mono versus two channels (stereo and joint stereo may alternate, as encoders switch per frame; dual channel
must stay dual channel). Free-format streams (bitrate index 0) have no computable frame length and are
refused. When a frame carries a CRC (protection_bit 0) it is checked (CRC-16 0x8005 over the header's last two
bytes and the side information, 11172-3 2.4.3.1). Every sample is a sync sample.

'mp4a' tracks reach this module through ``aac.register_mp4a_kind('mp3')``.
"""

from __future__ import annotations

import numpy as np

from mp4fix.codecs.aac import register_mp4a_kind
from mp4fix.codecs.base import Matcher, SampleMatch, register
from mp4fix.errors import UnsupportedCodecError
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

# version id bits -> name, sampling rates
V1, V2, V25 = 3, 2, 0
VERSION_NAMES = {V1: "MPEG-1", V2: "MPEG-2", V25: "MPEG-2.5"}
SAMPLE_RATES = {V1: (44100, 48000, 32000), V2: (22050, 24000, 16000), V25: (11025, 12000, 8000)}
L1, L2, L3 = 3, 2, 1  # layer bits
LAYER_NAMES = {L1: "Layer I", L2: "Layer II", L3: "Layer III"}

# kb/s by (MPEG-1?, layer) and bitrate_index 1..14 (0 is free format, 15 is forbidden)
_BITRATES = {
    (True, L1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, L2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, L3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, L1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, L2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, L3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
MONO = 3
DUAL = 2
BLOCK = 1 << 20


def samples_per_frame(version: int, layer: int) -> int:
    if layer == L1:
        return 384
    if layer == L3 and version != V1:
        return 576
    return 1152


def _frame_table() -> np.ndarray:
    """Frame bytes for every (header byte 1, header byte 2) pair: 0 where the header is invalid or free format.

    Byte 1: sync bits, version, layer, protection; byte 2: bitrate index, sampling rate index, padding, private.
    """
    out = np.zeros((256, 256), dtype=np.int32)
    for b1 in range(256):
        if b1 >> 5 != 7:
            continue
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        if version == 1 or layer == 0:
            continue
        for b2 in range(256):
            bri, sri, pad = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
            if bri in (0, 15) or sri == 3:
                continue
            rate = _BITRATES[(version == V1, layer)][bri - 1] * 1000
            sr = SAMPLE_RATES[version][sri]
            if layer == L1:
                n = (12 * rate // sr + pad) * 4
            elif layer == L3 and version != V1:
                n = 72 * rate // sr + pad
            else:
                n = 144 * rate // sr + pad
            out[b1, b2] = n
    return out


FRAME_BYTES = _frame_table()


def frame_length(header: bytes) -> int:
    """Bytes of the frame whose 4-byte header is ``header``; 0 when it is not a valid fixed-rate header."""
    if len(header) < 4 or header[0] != 0xFF:
        return 0
    if (header[3] & 3) == 2:  # reserved emphasis
        return 0
    return int(FRAME_BYTES[header[1], header[2]])


def _crc_table() -> list[int]:
    t = []
    for i in range(256):
        c = i << 8
        for _n in range(8):
            c = ((c << 1) ^ 0x8005) if c & 0x8000 else c << 1
        t.append(c & 0xFFFF)
    return t


_CRC = _crc_table()


def _side_info_bytes(version: int, layer: int, mode: int) -> int | None:
    """Bytes of Layer III side information (the part the CRC covers after the header); None for I/II."""
    if layer != L3:
        return None
    if version == V1:
        return 17 if mode == MONO else 32
    return 9 if mode == MONO else 17


def crc_ok(frame: bytes) -> bool:
    """For a protected Layer III frame: the CRC over header bytes 2-3 and the side information matches."""
    version, layer, mode = (frame[1] >> 3) & 3, (frame[1] >> 1) & 3, frame[3] >> 6
    side = _side_info_bytes(version, layer, mode)
    if side is None or len(frame) < 6 + side:
        return True  # Layer I/II protect a bit allocation whose length needs more parsing: not checked
    crc = 0xFFFF
    for b in frame[2:4] + frame[6:6 + side]:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC[(crc >> 8) ^ b]
    return crc == (frame[4] << 8 | frame[5])


class _Expect:
    """What a frame header must say: filled from the sample entry, refined from the reference's frames."""

    __slots__ = ("version", "layer", "sri", "protected", "mono", "dual")

    def __init__(self):
        self.version = self.layer = self.sri = self.protected = self.mono = self.dual = None

    def copy(self) -> "_Expect":
        e = _Expect()
        for k in self.__slots__:
            setattr(e, k, getattr(self, k))
        return e


@register_mp4a_kind("mp3")
@register
class Mp3Matcher(Matcher):
    """One MPEG audio frame per sample."""

    fourccs = (".mp3", "ms\x00U")

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        e = _Expect()
        rate = track.sample_rate
        for version, rates in SAMPLE_RATES.items():
            if rate in rates:
                e.version, e.sri = version, rates.index(rate)
        if track.channels in (1, 2):
            e.mono = track.channels == 1
        spf = _reference_frame_samples(track)
        if spf == 384:
            e.layer = L1
        elif spf == 576:
            e.layer = L3
            if e.version == V1:
                e.version = None  # the entry's rate contradicts: let the frames decide
        self.expect = e
        self.learned = False

    # -- header checks --

    def _header_ok(self, h: bytes) -> bool:
        e = self.expect
        b1, b2, b3 = h[1], h[2], h[3]
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        if e.version is not None and version != e.version:
            return False
        if e.layer is not None and layer != e.layer:
            return False
        if e.sri is not None and (b2 >> 2) & 3 != e.sri:
            return False
        if e.protected is not None and (not (b1 & 1)) != e.protected:
            return False
        mode = b3 >> 6
        if e.mono is not None and (mode == MONO) != e.mono:
            return False
        if e.dual is not None and (mode == DUAL) != e.dual:
            return False
        return True

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        if pos < 0 or pos + 4 > end:
            return None
        h = bytes(data[pos:pos + 4])
        n = frame_length(h)
        if n < 4 or pos + n > end or not self._header_ok(h):
            return None
        if not (h[1] & 1):  # protection_bit 0: a CRC follows the header
            if not crc_ok(bytes(data[pos:pos + min(n, 6 + 32)])):
                return None
        return SampleMatch(n, True)

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Learn version, layer, rate, protection and channel mode from the reference's first frame."""
        refused = None
        for off, size in zip(np.asarray(offsets).tolist()[:16], np.asarray(sizes).tolist()[:16]):
            h = bytes(data[int(off):int(off) + 4])
            if len(h) < 4 or h[0] != 0xFF or h[1] >> 5 != 7:
                continue
            if (h[2] >> 4) == 0:
                refused = "free"
                continue
            if frame_length(h) != int(size):
                continue  # the reference's frames are the truth, whatever its sample entry says
            e = self.expect
            e.version, e.layer, e.sri = (h[1] >> 3) & 3, (h[1] >> 1) & 3, (h[2] >> 2) & 3
            e.protected = not (h[1] & 1)
            mode = h[3] >> 6
            e.mono, e.dual = mode == MONO, mode == DUAL
            self.learned = True
            break
        if not self.learned and refused == "free":
            raise UnsupportedCodecError(
                _("The reference's MPEG audio is free-format (no bitrate in its frame headers), so its frame lengths "
                  "cannot be measured and mp4fix cannot rebuild it."))
        return super().check_reference(data, offsets, sizes)

    def clone(self) -> "Mp3Matcher":
        m = type(self)(self.track)
        m.expect, m.learned = self.expect.copy(), self.learned
        return m

    # -- the vectorised prefilter --

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        """0xFF, then a second byte with the sync bits, version, layer and protection expected, then a valid
        bitrate and the expected sampling rate index."""
        start, end = max(int(start), 0), min(int(end), len(arr))
        ok1 = np.zeros(256, dtype=bool)
        for b1 in range(0xE0, 0x100):
            ok1[b1] = FRAME_BYTES[b1].any() and self._byte1_ok(b1)
        out = []
        for b in range(start, end, BLOCK):
            e = min(b + BLOCK, end, len(arr) - 2)  # the header bytes read may lie past ``end``
            if e <= b:
                break
            idx = np.flatnonzero(arr[b:e] == 0xFF).astype(np.int64) + b
            if not idx.size:
                continue
            b1 = arr[idx + 1]
            idx = idx[ok1[b1]]
            if not idx.size:
                continue
            keep = FRAME_BYTES[arr[idx + 1], arr[idx + 2]] > 0
            if self.expect.sri is not None:
                keep &= ((arr[idx + 2] >> 2) & 3) == self.expect.sri
            out.append(idx[keep])
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def _byte1_ok(self, b1: int) -> bool:
        e = self.expect
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        return ((e.version is None or version == e.version) and (e.layer is None or layer == e.layer)
                and (e.protected is None or (not (b1 & 1)) == e.protected))


def _reference_frame_samples(track: TrackProfile) -> int:
    """Audio frames per sample from the reference's timing, in the sampling rate's units (0 when unknown)."""
    dur = track.sample_duration
    if not dur or not track.timescale or not track.sample_rate:
        return 0
    n = dur * track.sample_rate / track.timescale
    return int(round(n)) if abs(n - round(n)) < 1e-6 else 0


__all__ = ["FRAME_BYTES", "Mp3Matcher", "crc_ok", "frame_length", "samples_per_frame"]
