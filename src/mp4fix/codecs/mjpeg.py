"""Motion JPEG in MOV/MP4: exact sample lengths by walking JPEG marker segments.

Written from ITU-T T.81 (JPEG, Annex B: marker segments, entropy-coded segments, byte stuffing, restart
markers) and Apple's QuickTime File Format description of Motion-JPEG formats A and B (the 'mjpg' header:
field size, padded field size, offset to the next field).

A sample of a Motion-JPEG track is one or two JPEG images (two fields of an interlaced frame for Motion-JPEG
format A), sometimes followed by padding. ``jpeg_image`` walks one image from its SOI: each marker segment
is skipped by its length and checked by its kind (SOF, DHT, DQT, DRI, SOS, APPn, COM...), and after an SOS
header the entropy-coded data is crossed up to the next marker, skipping 0xFF00 stuffing and RSTn markers,
until EOI. An EOI inside an APP1/EXIF thumbnail is never seen: segment lengths carry the walk past it.

What the reference teaches (``check_reference``): how many images a sample holds (one, or two fields), how
the second field is placed (right after the first, at the 'mjpg' header's offset to the next field, or after
padding to an alignment), how the sample is padded after its last EOI (not at all, to the 'mjpg' padded
field size, or with fill bytes up to a multiple of some power of two counted from the sample start or in
the file), and the picture geometry (SOF type, precision, components, sizes) a sample of this stream has.
Every sample is a sync sample.

Motion-JPEG format B ('mjpb') has no markers at all: each field starts with the 'mjpg' header, whose field
sizes and offsets give the length; ``MjpegBMatcher`` reads them and checks the offsets and the SOF they point
to.

In MP4 files, ffmpeg stores Motion JPEG as 'mp4v' with objectTypeIndication 0x6C; the 'mp4v' matcher of
``mpeg4v`` hands such tracks to ``MjpegMatcher``.

Not supported: JPEG 2000 ('mjp2'), hierarchical JPEG with several frames (DHP/EXP are walked but one SOF is
expected per image), padding that is neither aligned nor described by an 'mjpg' header.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mp4fix.codecs.base import Matcher, SampleMatch, find_bytes, register
from mp4fix.profile import TrackProfile

JPEG_FOURCCS = ("jpeg", "mjpa", "AVDJ", "AVRn", "dmb1", "MJPG")

SOI, EOI, SOS, DHT, DQT, DRI, DNL, DAC, COM = 0xD8, 0xD9, 0xDA, 0xC4, 0xDB, 0xDD, 0xDC, 0xCC, 0xFE
#: start-of-frame markers: baseline, extended, progressive, lossless (Huffman and arithmetic), JPEG-LS
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7})
_LOSSLESS = frozenset({0xC3, 0xC7, 0xCB, 0xCF, 0xF7})
#: marker codes whose segment is skipped by its length without further checks
_SKIPPED = frozenset(range(0xE0, 0xF0)) | {COM, 0xDE, 0xDF, 0xF8}  # APPn, COM, DHP, EXP, JPEG-LS LSE

_MAX_FILL = 64  # 0xFF fill bytes accepted before one marker
_MJPG_TAG = b"mjpg"


@dataclass(slots=True, frozen=True)
class FrameGeometry:
    """What a SOF segment says of the picture (the stream's samples all share it)."""

    sof: int
    precision: int
    height: int
    width: int
    components: int


@dataclass(slots=True)
class JpegImage:
    """One JPEG image found from its SOI: absolute start and end (after EOI), geometry, 'mjpg' header fields."""

    start: int
    end: int
    geometry: FrameGeometry | None
    field_size: int = 0  # from an APP1 'mjpg' header (Motion-JPEG format A), 0 when absent
    padded_size: int = 0
    next_offset: int = 0
    scans: int = 0


@dataclass(slots=True)
class MjpegSample:
    """What a matched sample holds: its images (one or two fields)."""

    images: list[JpegImage]


def _u16(data, p: int) -> int:
    return (data[p] << 8) | data[p + 1]


def _u32(data, p: int) -> int:
    return int.from_bytes(bytes(data[p:p + 4]), "big")


def _skip_entropy_coded(data, p: int, end: int) -> int | None:
    """From the first byte after an SOS header: the position of the 0xFF that starts the next marker."""
    while True:
        i = find_bytes(data, b"\xff", p, end)
        if i < 0 or i + 1 >= end:
            return None
        b = data[i + 1]
        if b == 0x00 or 0xD0 <= b <= 0xD7:  # stuffed 0xFF, or a restart marker inside the scan
            p = i + 2
            continue
        return i


def _check_sof(data, p: int, length: int, code: int) -> FrameGeometry | None:
    if length < 11:
        return None
    precision, height, width, nf = data[p + 2], _u16(data, p + 3), _u16(data, p + 5), data[p + 7]
    if code in _LOSSLESS:
        if not 2 <= precision <= 16:
            return None
    elif precision not in (8, 12):
        return None
    if width == 0 or not 1 <= nf <= 4 or length != 8 + 3 * nf:
        return None
    for k in range(nf):
        hv, tq = data[p + 9 + 3 * k], data[p + 10 + 3 * k]
        if code != 0xF7 and (not 1 <= hv >> 4 <= 4 or not 1 <= hv & 15 <= 4 or tq > 3):
            return None
    return FrameGeometry(code, precision, height, width, nf)


def _check_dht(data, p: int, length: int) -> bool:
    q, stop = p + 2, p + length
    if q >= stop:
        return False
    while q < stop:
        if q + 17 > stop:
            return False
        tc_th = data[q]
        if tc_th >> 4 > 1 or tc_th & 15 > 3:
            return False
        count = sum(bytes(data[q + 1:q + 17]))
        if count > 256:
            return False
        q += 17 + count
    return q == stop


def _check_dqt(data, p: int, length: int) -> bool:
    q, stop = p + 2, p + length
    if q >= stop:
        return False
    while q < stop:
        pq_tq = data[q]
        if pq_tq >> 4 > 1 or pq_tq & 15 > 3:
            return False
        q += 1 + 64 * (1 + (pq_tq >> 4))
    return q == stop


def _read_mjpg_header(data, p: int, length: int) -> tuple[int, int, int] | None:
    """(field size, padded field size, offset to next field) of an APP1 'mjpg' segment at ``p`` (its length)."""
    if length < 2 + 4 + 4 + 12 or bytes(data[p + 6:p + 10]) != _MJPG_TAG:
        return None
    return _u32(data, p + 10), _u32(data, p + 14), _u32(data, p + 18)


def jpeg_image(data, pos: int, end: int) -> JpegImage | None:
    """The JPEG image whose SOI is at ``pos``, complete before ``end``; None if there is none."""
    if pos + 4 > end or data[pos] != 0xFF or data[pos + 1] != SOI:
        return None
    p = pos + 2
    geometry: FrameGeometry | None = None
    scans = 0
    mjpg: tuple[int, int, int] | None = None
    while True:
        if p + 2 > end or data[p] != 0xFF:
            return None
        q = p + 1
        while q < end and data[q] == 0xFF:
            q += 1
            if q - p > _MAX_FILL:
                return None
        if q >= end:
            return None
        code = data[q]
        p = q + 1
        if code == EOI:
            if not scans:
                return None
            img = JpegImage(pos, p, geometry, scans=scans)
            if mjpg is not None:
                img.field_size, img.padded_size, img.next_offset = mjpg
            return img
        if code == 0x01:  # TEM: no segment
            continue
        if code < 0xC0 or code in (SOI, 0xC8) or 0xD0 <= code <= 0xD7 or (0xF0 <= code <= 0xFD and code not in (
                0xF7, 0xF8)):
            return None
        if p + 2 > end:
            return None
        length = _u16(data, p)
        if length < 2 or p + length > end:
            return None
        if code in SOF_MARKERS:
            if geometry is not None:
                return None
            geometry = _check_sof(data, p, length, code)
            if geometry is None:
                return None
        elif code == DHT:
            if not _check_dht(data, p, length):
                return None
        elif code == DQT:
            if not _check_dqt(data, p, length):
                return None
        elif code in (DRI, DNL):
            if length != 4:
                return None
        elif code == DAC:
            if (length - 2) % 2:
                return None
        elif code == SOS:
            if geometry is None or length < 8:
                return None
            ns = data[p + 2]
            if not 1 <= ns <= 4 or length != 6 + 2 * ns:
                return None
            scans += 1
            nxt = _skip_entropy_coded(data, p + length, end)
            if nxt is None:
                return None
            p = nxt
            continue
        elif code == 0xE1 and mjpg is None:
            mjpg = _read_mjpg_header(data, p, length)
        elif code not in _SKIPPED:
            return None
        p += length


# --- padding rules ---------------------------------------------------------------------------------------
#
# A rule says where the next piece (the second field, or the next sample) starts after an image that ends at
# ``e``: ("none",), ("mjpg_padded",) (field start + padded field size), ("mjpg_next",) (field start + offset
# to the next field), or ("align", A, base, fill): the first multiple of A at or after ``e`` counted from the
# sample start (base "rel") or from the file start ("abs"), the bytes in between all equal to ``fill`` (None:
# any bytes).

NO_PADDING = ("none",)


def _pad_end(rule: tuple, data, img: JpegImage, sample_start: int, end: int) -> int | None:
    kind = rule[0]
    e = img.end
    if kind == "none":
        return e
    if kind in ("mjpg_padded", "mjpg_next"):
        size = img.padded_size if kind == "mjpg_padded" else img.next_offset
        stop = img.start + size
        return stop if size and e <= stop <= end else None
    _, align, base, fill = rule
    ref = sample_start if base == "rel" else 0
    stop = ref + -(-(e - ref) // align) * align
    if stop > end:
        return None
    if fill is not None and stop > e and bytes(data[e:stop]).count(fill) != stop - e:
        return None
    return stop


def _learn_rule(cases: list[tuple[JpegImage, int, int]], data, allow_next: bool) -> tuple:
    """The rule that explains most (image, sample start, true next start) cases; ties go to the simpler one."""
    if not cases:
        return NO_PADDING
    gaps = [(img, s, nxt) for img, s, nxt in cases if nxt > img.end]
    fills = {bytes(data[img.end:nxt]) for img, s, nxt in gaps}
    fill_bytes = {b[0] for b in fills if b and b.count(b[:1]) == len(b)}
    fill = fill_bytes.pop() if len(fill_bytes) == 1 and all(b.count(b[:1]) == len(b) for b in fills) else None
    rules: list[tuple] = [NO_PADDING, ("mjpg_padded",)]
    if allow_next:
        rules.append(("mjpg_next",))
    if gaps:
        for k in range(1, 17):
            for base in ("rel", "abs"):
                rules.append(("align", 1 << k, base, fill))
    # ties: the simpler rule, then the larger alignment (samples that are all multiples of 512 and padded by
    # less than 128 bytes fit 128 and 512 alike; hardware pads to sectors and pages)
    best, best_score = NO_PADDING, -1
    for rule in rules:
        score = sum(_pad_end(rule, data, img, s, nxt) == nxt for img, s, nxt in cases)
        if score > best_score or (score == best_score and rule[0] == "align" == best[0] and rule[1] > best[1]):
            best, best_score = rule, score
    return best


@register
class MjpegMatcher(Matcher):
    """Motion-JPEG (format A and plain JPEG per sample): one or two SOI..EOI images, plus learned padding."""

    fourccs = JPEG_FOURCCS
    block_size = 1 << 20

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        self.images = 1  # images per sample (2: the two fields of Motion-JPEG format A)
        self.field_rule: tuple = ("mjpg_next",)
        self.tail_rule: tuple = NO_PADDING
        self.geometries: frozenset[FrameGeometry] | None = None  # None: not learned, any geometry

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        images = []
        start = pos
        for k in range(self.images):
            img = jpeg_image(data, start, end)
            if img is None:
                return None
            if self.geometries is not None and img.geometry not in self.geometries:
                return None
            images.append(img)
            if k + 1 < self.images:
                nxt = _pad_end(self.field_rule, data, img, pos, end)
                if nxt is None:
                    return None
                start = nxt
        stop = _pad_end(self.tail_rule, data, images[-1], pos, end)
        if stop is None:
            return None
        return SampleMatch(stop - pos, True, info=MjpegSample(images))

    def cut_start(self, data, pos: int, end: int) -> bool:
        """An image starts here (SOI, then a marker segment that may open a JPEG) and the data ends in it."""
        if pos + 4 > end or bytes(data[pos:pos + 3]) != b"\xff\xd8\xff":
            return False
        marker = data[pos + 3]
        return (0xE0 <= marker <= 0xEF or marker in (0xDB, 0xC4, 0xDD, 0xFE) or 0xC0 <= marker <= 0xCF) \
            and jpeg_image(data, pos, end) is None

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        return _pattern_candidates(arr, start, end, self.block_size, lambda w, n: (
            (w[:n] == 0xFF) & (w[1:n + 1] == SOI) & (w[2:n + 2] == 0xFF)), 3)

    # -- learning from the reference --

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Learn images per sample, field placement, padding and geometry from the reference's samples, then
        count how many of them are measured exactly."""
        samples = []
        for off, size in zip(np.asarray(offsets).tolist(), np.asarray(sizes).tolist()):
            stop = off + size
            imgs = []
            p = off
            while p < stop and len(imgs) < 2:
                img = jpeg_image(data, p, stop)
                if img is None:
                    break
                imgs.append(img)
                nxt = find_bytes(data, b"\xff\xd8\xff", img.end, stop)
                if nxt < 0:
                    break
                p = nxt
            if imgs:
                samples.append((off, stop, imgs))
        if samples:
            counts = [len(imgs) for _, _, imgs in samples]
            self.images = max(set(counts), key=counts.count)
            chosen = [(off, stop, imgs) for off, stop, imgs in samples if len(imgs) == self.images]
            if self.images == 2:
                self.field_rule = _learn_rule([(imgs[0], off, imgs[1].start) for off, _, imgs in chosen], data, True)
            self.tail_rule = _learn_rule([(imgs[-1], off, stop) for off, stop, imgs in chosen], data, False)
            geos = {img.geometry for _, _, imgs in chosen for img in imgs if img.geometry is not None}
            self.geometries = frozenset(geos) if geos else None
        good = 0
        for off, size in zip(np.asarray(offsets).tolist(), np.asarray(sizes).tolist()):
            m = self.match(data, off, off + size)
            if m is not None and m.size == size:
                good += 1
        return good

    def clone(self) -> MjpegMatcher:
        other = type(self)(self.track)
        other.images, other.field_rule, other.tail_rule = self.images, self.field_rule, self.tail_rule
        other.geometries = self.geometries
        return other


# --- Motion-JPEG format B --------------------------------------------------------------------------------


@dataclass(slots=True)
class MjpegBField:
    start: int
    field_size: int
    padded_size: int
    next_offset: int
    geometry: FrameGeometry


def mjpegb_field(data, pos: int, end: int) -> MjpegBField | None:
    """The format B field header at ``pos``: sizes and offsets checked, and the SOF segment it points to."""
    if pos + 40 > end or bytes(data[pos + 4:pos + 8]) != _MJPG_TAG:
        return None
    field_size, padded, nxt, dqt, dht, sof, sos, sod = (_u32(data, pos + 8 + 4 * k) for k in range(8))
    if field_size < 40 or padded < field_size or pos + field_size > end:
        return None
    if not 40 <= sof < sos < sod <= field_size or (nxt and nxt < field_size):
        return None
    if any(o and not 40 <= o < field_size for o in (dqt, dht)):
        return None
    p = pos + sof
    if p + 2 > end:
        return None
    length = _u16(data, p)
    if p + length > pos + field_size:
        return None
    geometry = _check_sof(data, p, length, 0xC0)
    if geometry is None:
        return None
    return MjpegBField(pos, field_size, padded, nxt, geometry)


@register
class MjpegBMatcher(Matcher):
    """Motion-JPEG format B ('mjpb'): fields described by their 'mjpg' headers."""

    fourccs = ("mjpb",)
    block_size = 1 << 20

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        self.use_padded = True  # the last field runs to its padded size (else to its field size)
        self.geometries: frozenset[FrameGeometry] | None = None

    def _fields(self, data, pos: int, end: int) -> list[MjpegBField] | None:
        first = mjpegb_field(data, pos, end)
        if first is None:
            return None
        fields = [first]
        if first.next_offset:
            second = mjpegb_field(data, pos + first.next_offset, end)
            if second is None or second.next_offset:
                return None
            fields.append(second)
        if self.geometries is not None and any(f.geometry not in self.geometries for f in fields):
            return None
        return fields

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        fields = self._fields(data, pos, end)
        if fields is None:
            return None
        last = fields[-1]
        stop = last.start + (last.padded_size if self.use_padded else last.field_size)
        if stop > end:
            return None
        return SampleMatch(stop - pos, True, info=fields)

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        tag = np.frombuffer(_MJPG_TAG, dtype=np.uint8)
        return _pattern_candidates(arr, start, end, self.block_size, lambda w, n: (
            (w[4:n + 4] == tag[0]) & (w[5:n + 5] == tag[1]) & (w[6:n + 6] == tag[2]) & (w[7:n + 7] == tag[3])), 8)

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        votes = {True: 0, False: 0}
        geos = set()
        for off, size in zip(np.asarray(offsets).tolist(), np.asarray(sizes).tolist()):
            fields = self._fields(data, off, off + size)
            if fields is None:
                continue
            last = fields[-1]
            votes[True] += last.start + last.padded_size == off + size
            votes[False] += last.start + last.field_size == off + size
            geos.update(f.geometry for f in fields)
        self.use_padded = votes[True] >= votes[False]
        self.geometries = frozenset(geos) if geos else None
        return super().check_reference(data, offsets, sizes)

    def clone(self) -> MjpegBMatcher:
        other = type(self)(self.track)
        other.use_padded, other.geometries = self.use_padded, self.geometries
        return other


def _pattern_candidates(arr: np.ndarray, start: int, end: int, block: int, test, span: int) -> np.ndarray:
    """Positions p in [start, end) with ``test(window, n)`` true, where window = arr[b:...] per block (the
    ``span`` bytes a test looks at may lie past ``end``)."""
    start = max(int(start), 0)
    end = min(int(end), len(arr))
    out = []
    b = start
    while b < end:
        e = min(end, b + block)
        n = min(e, len(arr) - span + 1) - b  # a signature may run past ``end``: the data goes on
        if n <= 0:
            break
        w = arr[b:b + n + span]
        if len(w) < n + span:
            w = np.concatenate([w, np.zeros(n + span - len(w), dtype=np.uint8)])
        idx = np.flatnonzero(test(w, n))
        if idx.size:
            out.append(idx.astype(np.int64) + b)
        b = e
    if not out:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(out)


__all__ = ["FrameGeometry", "JpegImage", "MjpegBMatcher", "MjpegMatcher", "jpeg_image", "mjpegb_field"]
