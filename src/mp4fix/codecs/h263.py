"""H.263 video ('s263' with a 'd263' box, as old phones write it in 3GPP files): samples from picture start codes.

Written from ITU-T H.263 (01/2005) clause 5.1 (picture layer: PSC, TR, PTYPE, PLUSPTYPE with UFEP, OPPTYPE and
MPPTYPE, CPM/PSBI, CPFMT, PQUANT, PEI/PSUPP; the end of sequence code) and 5.2 (the group of blocks start code,
whose group number is never 0), and 3GPP TS 26.244 (the 'd263' H263SpecificBox: vendor, decoder version,
level, profile; one picture per sample, starting with its byte-aligned picture start code).

A picture start code is 0000 0000 0000 0000 1 00000 (22 bits): byte-aligned, the bytes 00 00 and a byte
1000 00xx. Coded data never holds 16 zero bits in a row outside start codes, and every other start code has a
non-zero group number (a GOB start code) or is the end of sequence code (group number 31), so the picture of a
sample runs up to the next byte-aligned picture start code. The data carries no length: like MPEG-4 Part 2
(``mpeg4v``), samples are "open ended" (``Matcher.open_ended``): ``match`` reaches up to the next picture start
of this stream (``SampleMatch.open_end`` False) or to where the data ends (True), and the scanner ends the
sample earlier where samples of other tracks (AMR frames interleaved after the picture) fill the gap exactly.
An end of sequence code after the last picture stays with it (it is no picture start).

What the reference teaches (``check_reference``): the picture sizes its pictures use (a source format, or the
custom size of PLUSPTYPE), whether it uses PLUSPTYPE at all, and the keyframe rule (INTRA pictures, or every
sample when the reference has no stss). A picture of another size is not a picture of this stream.

Not supported: presentation order of B-pictures (Annex O) and PB-frames is taken as decode order (the
reference's composition offset is kept); timing comes from the reference's sample duration, not from TR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mp4fix.bitreader import BitReader
from mp4fix.codecs.base import Matcher, SampleMatch, find_bytes, prefixed_positions, register
from mp4fix.i18n import _
from mp4fix.errors import BitstreamError, MismatchError
from mp4fix.profile import TrackProfile

#: source format code -> (width, height) (Table 1 of H.263); 6 is the custom format of PLUSPTYPE
SOURCE_FORMATS = {1: (128, 96), 2: (176, 144), 3: (352, 288), 4: (704, 576), 5: (1408, 1152)}
CUSTOM = 6
EXTENDED = 7  # PTYPE's source format code that announces PLUSPTYPE

#: PLUSPTYPE picture type codes (MPPTYPE bits 1-3)
PLUS_I, PLUS_P, PLUS_IMPROVED_PB, PLUS_B, PLUS_EI, PLUS_EP = range(6)

MAX_EXTENT = 16 << 20  # how far the next picture start code is looked for
_PSC_THIRD = np.zeros(256, dtype=bool)
_PSC_THIRD[0x80:0x84] = True  # 1 00000 xx: the last 6 bits of a PSC, then 2 bits of TR


@dataclass(slots=True, frozen=True)
class PictureHeader:
    """What a picture header says about the picture (only the fields this module needs)."""

    temporal_reference: int
    intra: bool
    plus: bool  # PLUSPTYPE
    size: tuple[int, int] | None  # (width, height); None: a PLUSPTYPE picture that keeps the previous format


def parse_d263(payload: bytes) -> dict:
    """H263SpecificBox (3GPP TS 26.244): vendor, decoder_version, level, profile."""
    if len(payload) < 7:
        raise MismatchError(_("The reference's H.263 configuration (d263) is truncated."))
    return dict(vendor=bytes(payload[:4]), decoder_version=payload[4], level=payload[5], profile=payload[6])


def parse_picture_header(data, pos: int, end: int) -> PictureHeader:
    """The picture header at ``pos`` (a byte-aligned PSC); raises ``BitstreamError`` when it is not one."""
    if end - pos < 6 or data[pos] != 0 or data[pos + 1] != 0 or not _PSC_THIRD[data[pos + 2]]:
        raise BitstreamError("no picture start code")
    r = BitReader(data, pos, min(end, pos + 32))
    r.skip(22)  # PSC
    tr = r.read(8)
    if r.read(2) != 0b10:  # PTYPE bit 1 is always 1, bit 2 always 0
        raise BitstreamError("PTYPE marker bits")
    r.skip(3)  # split screen, document camera, full picture freeze release
    fmt = r.read(3)
    if fmt == 0 or fmt == CUSTOM:
        raise BitstreamError("forbidden or reserved source format")
    if fmt != EXTENDED:
        inter, _umv, _sac, _ap, pb = (r.read_bit() for _ in range(5))
        if r.read(5) == 0:  # PQUANT
            raise BitstreamError("PQUANT is 0")
        if r.read_bit():  # CPM
            r.skip(2)  # PSBI
        if pb:
            r.skip(3 + 2)  # TRB, DBQUANT
        for _ in range(256):  # PEI / PSUPP
            if not r.read_bit():
                break
            r.skip(8)
        else:
            raise BitstreamError("endless PSUPP")
        return PictureHeader(tr, not inter, False, SOURCE_FORMATS[fmt])
    ufep = r.read(3)
    if ufep not in (0, 1):
        raise BitstreamError("reserved UFEP")
    size = None
    custom = False
    if ufep == 1:
        fmt = r.read(3)
        if fmt == 0 or fmt == 7:
            raise BitstreamError("reserved OPPTYPE source format")
        custom = fmt == CUSTOM
        r.skip(11)  # custom PCF, UMV, SAC, AP, AIC, DF, SS, RPS, ISD, AIV, MQ
        if r.read(4) != 0b1000:
            raise BitstreamError("OPPTYPE marker bits")
        if not custom:
            size = SOURCE_FORMATS[fmt]
    ptype = r.read(3)
    if ptype > PLUS_EP:
        raise BitstreamError("reserved picture type code")
    r.skip(3)  # RPR, RRU, RTYPE
    if r.read(3) != 0b001:
        raise BitstreamError("MPPTYPE marker bits")
    if r.read_bit():  # CPM
        r.skip(2)
    if custom:
        par = r.read(4)
        if par == 0:
            raise BitstreamError("forbidden pixel aspect ratio code")
        pwi = r.read(9)
        if not r.read_bit():
            raise BitstreamError("CPFMT marker bit")
        phi = r.read(9)
        if phi == 0:
            raise BitstreamError("picture height indication is 0")
        size = ((pwi + 1) * 4, phi * 4)
        if par == 0b1111 and (r.read(8) == 0 or r.read(8) == 0):  # EPAR
            raise BitstreamError("extended PAR of 0")
    return PictureHeader(tr, ptype in (PLUS_I, PLUS_EI), True, size)


@register
class H263Matcher(Matcher):
    """H.263 baseline and H.263+ (PLUSPTYPE) pictures, one per sample."""

    fourccs = ("s263", "h263", "H263")
    tails_are_samples = True
    open_ended = True
    block_size = 1 << 20

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        d263 = track.config.get("d263")
        # what the box says is informative only: the pictures are measured from their own headers
        self.d263 = parse_d263(d263) if d263 is not None and len(d263) >= 7 else None
        #: picture sizes this stream uses (learned from the reference; empty: any)
        self.sizes: frozenset[tuple[int, int]] = frozenset()
        self.plus = True  # whether PLUSPTYPE pictures (without a size of their own) may occur
        self.key_rule = "intra"  # or "all"

    def _header(self, data, pos: int, end: int) -> PictureHeader | None:
        try:
            h = parse_picture_header(data, pos, end)
        except BitstreamError:
            return None
        if h.plus and not self.plus:
            return None
        if h.size is not None and self.sizes and h.size not in self.sizes:
            return None  # another picture size: not this stream
        return h

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        h = self._header(data, pos, end)
        if h is None:
            return None
        key = h.intra or self.key_rule == "all"
        limit = min(end, pos + MAX_EXTENT)
        q = find_bytes(data, b"\x00\x00", pos + 3, limit)
        while 0 <= q and q + 3 <= limit:
            third = data[q + 2]
            if _PSC_THIRD[third] and self._header(data, q, limit) is not None:
                return SampleMatch(q - pos, key, info=h)
            q = find_bytes(data, b"\x00\x00", q + 1, limit)  # GOB start codes, other tracks' bytes
        return SampleMatch(limit - pos, key, info=h, open_end=True)

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        return prefixed_positions(arr, start, end, b"\x00\x00", _PSC_THIRD, self.block_size)

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Learn the picture sizes, PLUSPTYPE use and the keyframe rule; count the samples measured exactly."""
        headers = []
        for off, size in zip(np.asarray(offsets).tolist(), np.asarray(sizes).tolist()):
            try:
                headers.append(parse_picture_header(data, off, off + size))
            except BitstreamError:
                headers.append(None)
        known = [h for h in headers if h is not None]
        self.sizes = frozenset(h.size for h in known if h.size is not None)
        self.plus = any(h.plus for h in known)
        if self.track.keyframes is None and any(not h.intra for h in known):
            self.key_rule = "all"
        good = 0
        for off, size, h in zip(np.asarray(offsets).tolist(), np.asarray(sizes).tolist(), headers):
            if h is None:
                continue
            m = self.match(data, off, off + size)
            if m is not None and m.size == size:
                good += 1
        return good

    def clone(self) -> "H263Matcher":
        other = type(self)(self.track)
        other.sizes, other.plus, other.key_rule = self.sizes, self.plus, self.key_rule
        return other


__all__ = ["H263Matcher", "PictureHeader", "parse_d263", "parse_picture_header"]
