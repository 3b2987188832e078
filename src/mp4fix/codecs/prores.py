"""Apple ProRes 422 / 4444 in MOV: exact sample lengths from the frame header and picture structure.

Written from SMPTE RDD 36 (Apple ProRes bitstream syntax): a frame is ``frame_size`` (32 bits, the whole
frame), the identifier 'icpf', a frame header (its own size, version, encoder, picture size, chroma format,
interlace mode, colour description, alpha type, optional quantisation matrices), then one picture
(progressive) or two (interlaced fields). Each picture has a header (its size, the picture's size in bytes,
the number of slices, the slice width), a table of slice sizes, then the slices, each led by a slice header
(its size, the quantisation index, the coded sizes of its components).

``ProresMatcher.match`` takes the frame size only when the whole structure agrees with it: the identifier,
a frame header of a legal size with the geometry the reference has, for each picture a header whose slice
count follows from the picture size and slice width, a slice table whose sizes add up to the picture size,
slice headers whose component sizes fit their slice, and pictures that fill the frame (up to the stuffing the
reference shows). A sample is the frame plus, when the reference shows it, padding to an alignment.

ProRes RAW ('aprn', 'aprh') frames share only the outer layout (size, 4-character identifier); their picture
syntax is not published in RDD 36, so for them the size and the identifier learned from the reference are
all that is checked.

Every sample is a sync sample.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from mp4fix.codecs.base import Matcher, SampleMatch, register
from mp4fix.codecs.mjpeg import _pattern_candidates
from mp4fix.profile import TrackProfile

PRORES_FOURCCS = ("apch", "apcn", "apcs", "apco", "ap4h", "ap4x")
PRORES_RAW_FOURCCS = ("aprn", "aprh")
FRAME_ID = b"icpf"
MIN_FRAME_HEADER = 20
MAX_FRAME_HEADER = 20 + 64 + 64 + 64  # fixed part, two matrices, and room for later header versions


@dataclass(slots=True, frozen=True)
class ProresGeometry:
    """The frame-header fields a stream keeps from frame to frame."""

    width: int
    height: int
    chroma_format: int
    interlace_mode: int
    alpha_type: int


@dataclass(slots=True)
class ProresFrame:
    frame_size: int
    header_size: int
    geometry: ProresGeometry | None
    pictures: int
    slack: int  # bytes of the frame after its last picture


def _slices_per_row(mb_width: int, log2_width: int) -> int:
    return (mb_width >> log2_width) + bin(mb_width & ((1 << log2_width) - 1)).count("1")


def parse_prores_frame(data, pos: int, end: int, check_slices: bool = True) -> ProresFrame | None:
    """The ProRes frame at ``pos`` if its structure is consistent and it ends by ``end``."""
    if pos + 8 + MIN_FRAME_HEADER > end:
        return None
    head = bytes(data[pos:pos + 8 + MIN_FRAME_HEADER])
    frame_size = int.from_bytes(head[0:4], "big")
    if head[4:8] != FRAME_ID or frame_size < 8 + MIN_FRAME_HEADER or pos + frame_size > end:
        return None
    hdr_size, version = struct.unpack_from(">HH", head, 8)
    if not MIN_FRAME_HEADER <= hdr_size <= MAX_FRAME_HEADER or version > 1:
        return None
    width, height = struct.unpack_from(">HH", head, 16)
    flags = head[20]
    chroma, interlace = flags >> 6, (flags >> 2) & 3
    if width == 0 or height == 0 or chroma not in (2, 3) or interlace == 3 or flags & 0x33:
        return None
    alpha = head[25] & 15
    if alpha > 2:
        return None
    matrices = head[27] & 3
    if hdr_size < MIN_FRAME_HEADER + 64 * bin(matrices).count("1"):
        return None
    geometry = ProresGeometry(width, height, chroma, interlace, alpha)
    p = pos + 8 + hdr_size
    stop = pos + frame_size
    pictures = 1 if interlace == 0 else 2
    mb_width = (width + 15) >> 4
    if interlace == 0:
        rows_allowed = {(height + 15) >> 4}
    else:
        rows_allowed = {(((height + 1) >> 1) + 15) >> 4, ((height >> 1) + 15) >> 4}
    slice_hdr_min = 6 if alpha == 0 else 8
    for _ in range(pictures):
        if p + 8 > stop:
            return None
        ph = bytes(data[p:p + 8])
        ph_size = ph[0] >> 3
        pic_size = int.from_bytes(ph[1:5], "big")
        nslices = (ph[5] << 8) | ph[6]
        log2_width = (ph[7] >> 4) & 3
        if ph_size < 8 or ph[0] & 7 or nslices == 0 or p + pic_size > stop:
            return None
        if nslices not in {_slices_per_row(mb_width, log2_width) * rows for rows in rows_allowed}:
            return None
        table = p + ph_size
        first = table + 2 * nslices
        if first > p + pic_size:
            return None
        sizes = struct.unpack(f">{nslices}H", bytes(data[table:first]))
        if first + sum(sizes) != p + pic_size:
            return None
        if check_slices:
            s = first
            for size in sizes:
                sh = bytes(data[s:s + 8])
                sh_size = sh[0] >> 3
                if sh_size < slice_hdr_min or sh_size > size or not 1 <= sh[1] <= 224:
                    return None
                coded = ((sh[2] << 8) | sh[3]) + ((sh[4] << 8) | sh[5])
                if alpha and sh_size >= 8:
                    coded += (sh[6] << 8) | sh[7]
                if coded > size - sh_size:
                    return None
                s += size
        p += pic_size
    return ProresFrame(frame_size, hdr_size, geometry, pictures, stop - p)


def parse_raw_frame(data, pos: int, end: int, ident: bytes) -> ProresFrame | None:
    """A ProRes RAW frame: its size and identifier (the picture syntax is not published)."""
    if pos + 16 > end or bytes(data[pos + 4:pos + 8]) != ident:
        return None
    frame_size = int.from_bytes(bytes(data[pos:pos + 4]), "big")
    if frame_size < 16 or pos + frame_size > end:
        return None
    return ProresFrame(frame_size, 0, None, 1, 0)


@register
class ProresMatcher(Matcher):
    """ProRes 422/4444 frames ('apch', 'apcn', 'apcs', 'apco', 'ap4h', 'ap4x') and ProRes RAW outer frames."""

    fourccs = PRORES_FOURCCS + PRORES_RAW_FOURCCS
    block_size = 1 << 20

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        self.raw = track.fourcc in PRORES_RAW_FOURCCS
        self.ident = FRAME_ID if not self.raw else b"prrf"
        self.geometries: frozenset[ProresGeometry] | None = None
        self.max_slack = 0  # stuffing after the last picture the reference shows
        self.align = 1  # samples padded (with zeros) to a multiple of this, counted from the sample start

    def _frame(self, data, pos: int, end: int) -> ProresFrame | None:
        if self.raw:
            return parse_raw_frame(data, pos, end, self.ident)
        return parse_prores_frame(data, pos, end)

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        f = self._frame(data, pos, end)
        if f is None or f.slack > self.max_slack:
            return None
        if self.geometries is not None and f.geometry not in self.geometries:
            return None
        size = f.frame_size
        if self.align > 1:
            padded = -(-size // self.align) * self.align
            if pos + padded > end or any(bytes(data[pos + size:pos + padded])):
                return None
            size = padded
        return SampleMatch(size, True, info=f)

    def cut_start(self, data, pos: int, end: int) -> bool:
        """A frame starts here (its size field and 'icpf' tag) and runs past ``end``."""
        if pos + 8 > end or bytes(data[pos + 4:pos + 8]) != self.ident:
            return False
        return pos + int.from_bytes(data[pos:pos + 4], "big") > end

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        tag = np.frombuffer(self.ident, dtype=np.uint8)
        return _pattern_candidates(arr, start, end, self.block_size, lambda w, n: (
            (w[4:n + 4] == tag[0]) & (w[5:n + 5] == tag[1]) & (w[6:n + 6] == tag[2]) & (w[7:n + 7] == tag[3])), 8)

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Learn the geometry, the stuffing inside frames and any padding after them from the reference."""
        offsets = np.asarray(offsets).tolist()
        sizes = np.asarray(sizes).tolist()
        if self.raw and offsets:
            idents = {bytes(data[o + 4:o + 8]) for o in offsets}
            if len(idents) == 1:
                self.ident = idents.pop()
        frames = []
        for off, size in zip(offsets, sizes):
            f = self._frame(data, off, off + size)
            if f is not None:
                frames.append((f, size))
        if frames:
            geos = {f.geometry for f, _ in frames if f.geometry is not None}
            self.geometries = frozenset(geos) if geos else None
            self.max_slack = max(f.slack for f, _ in frames)
            extra = [size - f.frame_size for f, size in frames]
            if any(extra):
                for k in range(16, 0, -1):
                    a = 1 << k
                    if all(size % a == 0 and size - f.frame_size < a for f, size in frames):
                        self.align = a
                        break
        return super().check_reference(data, offsets, sizes)

    def clone(self) -> ProresMatcher:
        other = type(self)(self.track)
        other.ident, other.geometries, other.max_slack, other.align = (self.ident, self.geometries,
                                                                     self.max_slack, self.align)
        return other


__all__ = ["ProresFrame", "ProresGeometry", "ProresMatcher", "parse_prores_frame"]
