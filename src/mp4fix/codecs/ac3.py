"""AC-3 ('ac-3') and E-AC-3 ('ec-3') in MP4/MOV: a sample is one access unit of whole syncframes.

Written from ATSC A/52 (syncinfo and bsi, 5.3; the frame size code table, 5.4.1.4 / Table 5.18; Annex E
for E-AC-3: strmtyp, substreamid and frmsiz) and ETSI TS 102 366 Annex F (the 'dac3' and 'dec3' boxes and
how syncframes are stored in MP4 samples).

Every syncframe states its own length: AC-3 through fscod and frmsizecod (a table of 16-bit words per
bitrate and sampling rate), E-AC-3 through frmsiz ((frmsiz + 1) 16-bit words). Each syncframe also ends in a
CRC (crc2) chosen so that the CRC-16 (x^16 + x^15 + x^2 + 1) over the frame after its syncword is zero; the
matcher checks it, so a false start in other data needs the syncword, a consistent header and a 1/65536 CRC
coincidence.

An AC-3 sample is one syncframe. An E-AC-3 sample holds the syncframes of one 1536-sample access unit: an
independent substream frame, the dependent substreams that belong to it (7.1), further independent
substreams (other programs), and when numblkscod < 3 (fewer than six blocks per frame) several such groups.
How many syncframes, and of which kind, is learned from the reference's first samples (``check_reference``)
and matched exactly; before that a sample is one syncframe of independent substream 0.

What must match the reference: bsid, fscod (and the reduced-rate fscod2), acmod and lfeon of each
independent substream (from dac3/dec3), and after learning the substream kinds and block counts of every
frame in the sample. Every sample is a sync sample.
"""

from __future__ import annotations

import struct
from collections import Counter

import numpy as np

from mp4fix.bitreader import BitReader
from mp4fix.codecs.base import Matcher, SampleMatch, register
from mp4fix.errors import BitstreamError, MismatchError
from mp4fix import i18n  # i18n._ where a function uses _ as a name
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

SYNCWORD = 0x0B77
AC3_SAMPLE_RATES = (48000, 44100, 32000)
EAC3_REDUCED_RATES = (24000, 22050, 16000)
AC3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640)
BLOCKS = (1, 2, 3, 6)  # E-AC-3 numblkscod -> audio blocks (256 samples each) per syncframe
MAX_AC3_BSID = 10  # bsid 0..10 use the AC-3 syntax (9/10: half and quarter rate), 11..16 E-AC-3
EAC3_BSID = 16
STRMTYP_INDEPENDENT, STRMTYP_DEPENDENT, STRMTYP_AC3_CONVERT = 0, 1, 2

BLOCK = 1 << 20  # bytes per candidates() step


def ac3_frame_bytes(fscod: int, frmsizecod: int) -> int:
    """Bytes of an AC-3 syncframe (A/52 Table 5.18), 0 for reserved codes.

    48 kHz frames hold 2 words per kb/s, 32 kHz frames 3; at 44.1 kHz the word count is rounded down and the
    odd frmsizecod of each pair adds one padding word.
    """
    if fscod > 2 or frmsizecod > 37:
        return 0
    rate = AC3_BITRATES[frmsizecod >> 1]
    if fscod == 0:
        words = 2 * rate
    elif fscod == 2:
        words = 3 * rate
    else:
        words = rate * 320 // 147 + (frmsizecod & 1)
    return 2 * words


# --- CRC-16 (generator 0x8005, MSB first, register starting at 0) ---------------------------------------------


def _crc_table16() -> list[int]:
    """The register after feeding a 16-bit word into a zero register, for every word (two bytes per step)."""
    x = np.arange(1 << 16, dtype=np.uint32)
    for _n in range(16):
        x = np.where(x & 0x8000, (x << 1) ^ 0x8005, x << 1) & 0xFFFF
    return x.astype(np.int64).tolist()


_CRC16 = _crc_table16()


def crc16(buf: bytes) -> int:
    """CRC-16/0x8005 of ``buf`` (even length); 0 over a complete syncframe after its syncword."""
    crc = 0
    table = _CRC16
    for w in struct.unpack(">%dH" % (len(buf) >> 1), buf):
        crc = table[crc ^ w]
    return crc


# --- headers -------------------------------------------------------------------------------------------------

#: what identifies a syncframe's role and format: (bsid, strmtyp, substreamid, fscod, numblkscod, acmod, lfeon);
#: AC-3 frames have strmtyp -1, substreamid 0 and numblkscod 3; reduced-rate E-AC-3 has fscod 3 + fscod2.
FrameKind = tuple


def frame_header(head: bytes) -> tuple[int, FrameKind] | None:
    """(frame bytes, kind) from the first 8 bytes of a syncframe, or None when they cannot start one."""
    if len(head) < 8 or head[0] != 0x0B or head[1] != 0x77:
        return None
    bsid = head[5] >> 3
    if bsid <= MAX_AC3_BSID:
        fscod = head[4] >> 6
        size = ac3_frame_bytes(fscod, head[4] & 0x3F)
        if not size:
            return None
        acmod = head[6] >> 5
        bit = 3  # bits of head[6] used: acmod
        if (acmod & 1) and acmod != 1:
            bit += 2  # cmixlev
        if acmod & 4:
            bit += 2  # surmixlev
        if acmod == 2:
            bit += 2  # dsurmod
        lfeon = (head[6] << 8 | head[7]) >> (15 - bit) & 1
        return size, (bsid, -1, 0, fscod, 3, acmod, lfeon)
    if bsid > EAC3_BSID:
        return None
    strmtyp = head[2] >> 6
    if strmtyp == 3:
        return None
    substreamid = (head[2] >> 3) & 7
    size = (((head[2] & 7) << 8 | head[3]) + 1) * 2
    fscod = head[4] >> 6
    if fscod == 3:
        fscod2 = (head[4] >> 4) & 3
        if fscod2 == 3:
            return None
        fscod, numblkscod = 3 + fscod2, 3  # reduced rates: fscod 3..5 here
    else:
        numblkscod = (head[4] >> 4) & 3
    acmod = (head[4] >> 1) & 7
    lfeon = head[4] & 1
    if size < 8:
        return None
    return size, (bsid, strmtyp, substreamid, fscod, numblkscod, acmod, lfeon)


def frame_sample_rate(kind: FrameKind) -> int:
    fscod = kind[3]
    return AC3_SAMPLE_RATES[fscod] if fscod < 3 else EAC3_REDUCED_RATES[fscod - 3]


def frame_samples(kind: FrameKind) -> int:
    return 256 * BLOCKS[kind[4]]


# --- configuration boxes -------------------------------------------------------------------------------------


def parse_dac3(payload: bytes) -> dict:
    """AC3SpecificBox: fscod, bsid, bsmod, acmod, lfeon, bit_rate_code."""
    if len(payload) < 3:
        raise MismatchError(_("The reference's AC-3 configuration (dac3) is truncated."))
    r = BitReader(payload)
    return dict(fscod=r.read(2), bsid=r.read(5), bsmod=r.read(3), acmod=r.read(3), lfeon=r.read(1),
                bit_rate_code=r.read(5))


def parse_dec3(payload: bytes) -> dict:
    """EC3SpecificBox: data_rate and, per independent substream, fscod/bsid/asvc/bsmod/acmod/lfeon/num_dep_sub."""
    r = BitReader(payload)
    try:
        data_rate = r.read(13)
        n = r.read(3) + 1
        subs = []
        for _n in range(n):
            fscod, bsid = r.read(2), r.read(5)
            r.skip(1)
            asvc, bsmod, acmod, lfeon = r.read(1), r.read(3), r.read(3), r.read(1)
            r.skip(3)
            deps = r.read(4)
            chan_loc = r.read(9) if deps else (r.skip(1) or 0)
            subs.append(dict(fscod=fscod, bsid=bsid, asvc=asvc, bsmod=bsmod, acmod=acmod, lfeon=lfeon,
                             num_dep_sub=deps, chan_loc=chan_loc))
    except BitstreamError:
        raise MismatchError(i18n._("The reference's E-AC-3 configuration (dec3) is truncated.")) from None
    return dict(data_rate=data_rate, substreams=subs)


def _config_box(track: TrackProfile, name: str) -> bytes | None:
    box = track.config.get(name)
    return bytes(box) if box is not None else None


# --- the matchers --------------------------------------------------------------------------------------------


class _SyncframeMatcher(Matcher):
    """Shared by AC-3 and E-AC-3: a sample is a fixed sequence of syncframes (``pattern``)."""

    #: per independent substream id: (bsid, fscod, acmod, lfeon) from the configuration box
    independent: dict[int, tuple[int, int, int, int]]

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        self.pattern: tuple[FrameKind, ...] | None = None  # learned from the reference

    # the first frame of a sample before anything is learned: independent substream 0 as the box describes it
    def _first_ok(self, kind: FrameKind) -> bool:
        bsid, strmtyp, sub, fscod, _nblk, acmod, lfeon = kind
        if strmtyp == STRMTYP_DEPENDENT or sub != 0:
            return False
        want = self.independent.get(0)
        return want is not None and (bsid, fscod, acmod, lfeon) == want

    def _frame(self, data, pos: int, end: int) -> tuple[int, FrameKind] | None:
        if pos + 8 > end:
            return None
        hdr = frame_header(bytes(data[pos:pos + 8]))
        if hdr is None:
            return None
        size, kind = hdr
        if pos + size > end:
            return None
        if crc16(bytes(data[pos + 2:pos + size])) != 0:
            return None
        return size, kind

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        if pos < 0 or pos + 8 > end:
            return None
        if self.pattern is None:
            got = self._frame(data, pos, end)
            if got is None or not self._first_ok(got[1]):
                return None
            return SampleMatch(got[0], True)
        total = 0
        for want in self.pattern:
            got = self._frame(data, pos + total, end)
            if got is None or got[1] != want:
                return None
            total += got[0]
        return SampleMatch(total, True)

    def frames_in(self, data, pos: int, size: int) -> list[FrameKind] | None:
        """The syncframes that make up exactly ``size`` bytes at ``pos``, or None."""
        kinds = []
        p, end = pos, pos + size
        while p < end:
            got = self._frame(data, p, end)
            if got is None:
                return None
            kinds.append(got[1])
            p += got[0]
        return kinds if p == end else None

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Learn the syncframes of a sample from the reference's first samples, then count exact matches."""
        seen: Counter = Counter()
        for off, size in zip(np.asarray(offsets).tolist()[:64], np.asarray(sizes).tolist()[:64]):
            kinds = self.frames_in(data, int(off), int(size))
            if kinds and self._first_ok(kinds[0]) and all(self._frame_allowed(k) for k in kinds):
                seen[tuple(kinds)] += 1
        if seen:
            self.pattern = seen.most_common(1)[0][0]
        return super().check_reference(data, offsets, sizes)

    def _frame_allowed(self, kind: FrameKind) -> bool:
        """Independent substreams must be those the configuration box lists, as it lists them."""
        bsid, strmtyp, sub, fscod, _nblk, acmod, lfeon = kind
        if strmtyp == STRMTYP_DEPENDENT:
            ind = self.independent.get(0)
            return ind is not None and fscod == ind[1]
        return self.independent.get(sub) == (bsid, fscod, acmod, lfeon)

    def clone(self) -> "_SyncframeMatcher":
        m = type(self)(self.track)
        m.pattern = self.pattern
        return m

    # -- the vectorised prefilter --

    def _first_kind(self) -> tuple[int, int]:
        """(bsid, fscod as in the header's top two bits of byte 4) of the first frame of a sample."""
        if self.pattern is not None:
            k = self.pattern[0]
            return k[0], min(k[3], 3)
        bsid, fscod, _a, _l = self.independent[0]
        return bsid, min(fscod, 3)

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        """Positions of 0x0B77 followed by the first frame's bsid and fscod (the CRC is left to ``match``)."""
        start, end = max(int(start), 0), min(int(end), len(arr))
        bsid, fscod = self._first_kind()
        out = []
        for b in range(start, end, BLOCK):
            e = min(b + BLOCK, end, len(arr) - 5)  # the header bytes read may lie past ``end``
            if e <= b:
                break
            idx = np.flatnonzero(arr[b:e] == 0x0B).astype(np.int64) + b
            if not idx.size:
                continue
            idx = idx[arr[idx + 1] == 0x77]
            idx = idx[((arr[idx + 5] >> 3) == bsid) & ((arr[idx + 4] >> 6) == fscod)]
            out.append(idx)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


@register
class Ac3Matcher(_SyncframeMatcher):
    """'ac-3': one AC-3 syncframe per sample."""

    fourccs = ("ac-3",)

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        box = _config_box(track, "dac3")
        if box is None:
            raise MismatchError(_("The reference's AC-3 audio track has no dac3 box, so its format is unknown."))
        cfg = parse_dac3(box)
        if cfg["fscod"] > 2:
            raise MismatchError(_("The reference's AC-3 configuration (dac3) has a reserved sampling rate code."))
        if cfg["bsid"] > MAX_AC3_BSID:
            raise MismatchError(_("The reference's AC-3 configuration (dac3) has bsid {bsid}, which is not AC-3.",
                                  bsid=cfg['bsid']))
        self.config = cfg
        self.independent = {0: (cfg["bsid"], cfg["fscod"], cfg["acmod"], cfg["lfeon"])}
        self.sample_rate = AC3_SAMPLE_RATES[cfg["fscod"]]


@register
class Eac3Matcher(_SyncframeMatcher):
    """'ec-3': the syncframes of one 1536-sample access unit per sample."""

    fourccs = ("ec-3",)

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        box = _config_box(track, "dec3")
        if box is None:
            raise MismatchError(_("The reference's E-AC-3 audio track has no dec3 box, so its format is unknown."))
        cfg = parse_dec3(box)
        self.config = cfg
        self.independent = {}
        for i, s in enumerate(cfg["substreams"]):
            if s["bsid"] > EAC3_BSID:
                raise MismatchError(_("The reference's E-AC-3 configuration (dec3) has bsid {bsid}.", bsid=s['bsid']))
            # fscod 3 in dec3 means a reduced rate; the header's fscod2 is only known from the frames
            self.independent[i] = (s["bsid"], s["fscod"], s["acmod"], s["lfeon"])

    def _first_ok(self, kind: FrameKind) -> bool:
        return super()._first_ok(self._dec3_view(kind))

    def _frame_allowed(self, kind: FrameKind) -> bool:
        return super()._frame_allowed(self._dec3_view(kind))

    @staticmethod
    def _dec3_view(kind: FrameKind) -> FrameKind:
        """The frame's kind with fscod as dec3 writes it (3 for every reduced rate); AC-3 frames keep theirs."""
        bsid, strmtyp, sub, fscod, nblk, acmod, lfeon = kind
        return (bsid, strmtyp, sub, min(fscod, 3), nblk, acmod, lfeon)


__all__ = ["Ac3Matcher", "Eac3Matcher", "ac3_frame_bytes", "crc16", "frame_header", "frame_samples",
           "frame_sample_rate", "parse_dac3", "parse_dec3"]
