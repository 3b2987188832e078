"""MPEG-4 Part 2 video ('mp4v' with objectTypeIndication 0x20, and AVI-style fourccs): samples from start codes.

Written from ISO/IEC 14496-2 (6.2 visual bitstream syntax: visual object sequence, visual object, video
object layer, group of VOPs, VOP headers; 6.3 semantics of modulo_time_base and vop_time_increment) and
ISO/IEC 14496-1 (the esds DecoderConfigDescriptor whose DecoderSpecificInfo carries VOS/VO/VOL headers).

A sample is optional headers (visual object sequence, visual object, video object, video object layer, user
data, group of VOPs) and then one VOP (two in a DivX-style packed bitstream). Every one of them starts with a
byte-aligned start code 00 00 01 xx, and the coded data can never contain 00 00 01: so a sample runs up to
the next start code that begins a sample of this stream. ``Mpeg4VisualMatcher.match`` walks the start codes,
parses the headers (the VOL completely enough to read VOP headers; each VOP header up to vop_quant and the
f_codes, with its marker bits and time fields) and ends the sample before the next VOS/VO/VOL/user data/GOV/
VOP start code whose header is legal. A visual_object_sequence_end_code after the VOP belongs to the sample.

The data carries no length, so when another track's sample follows (audio interleaved after the video) the
next start code lies beyond it. Such matches are "open ended" (``open_ended`` on the class): ``match``
reports how far the sample may reach (``SampleMatch.open_end`` says whether a start code of this stream closed
it or the data ended first), and the scanner ends it earlier where samples of other tracks fill the gap
exactly (see ``mp4fix.scan``). A VOP with vop_coded = 0 ends right after its header's stuffing.

What the reference teaches (``check_reference``): the VOL when the esds has none (AVI-style tracks with
headers in the stream), whether samples pack a P- and a B-VOP together, the keyframe rule (I-VOPs, or every
sample when the reference has no stss) and the display-time step of one frame. ``presentation_order`` turns
modulo_time_base / vop_time_increment (with GOV time codes) into display positions, for B-VOPs.

Not supported: non-rectangular shapes (binary or grey-scale alpha), scalability layers, static sprites (S-VOPs
of GMC streams are fine), and VOP header checks past the complexity-estimation header (those VOPs are taken on
their start code and time fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

from mp4fix.bitreader import BitReader
from mp4fix.codecs.aac import parse_esds
from mp4fix.codecs.base import Matcher, SampleMatch, find_bytes, prefixed_positions, register
from mp4fix.errors import BitstreamError, MismatchError, UnsupportedCodecError
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

VOS_START = 0xB0
VOS_END = 0xB1
USER_DATA = 0xB2
GOV_START = 0xB3
VISUAL_OBJECT = 0xB5
VOP_START = 0xB6
VOL_CODES = range(0x20, 0x30)
VO_CODES = range(0x00, 0x20)

#: start codes that can begin a sample (and so end the previous one)
SAMPLE_START = frozenset({VOS_START, USER_DATA, GOV_START, VISUAL_OBJECT, VOP_START}) | frozenset(VOL_CODES) \
    | frozenset(VO_CODES)

I_VOP, P_VOP, B_VOP, S_VOP = range(4)
RECT, BINARY, BINARY_ONLY, GRAYSCALE = range(4)
SPRITE_STATIC, SPRITE_GMC = 1, 2

OTI_MPEG4_VISUAL = 0x20
OTI_JPEG = 0x6C
OTI_NAMES = {0x60: "MPEG-2 Simple video", 0x61: "MPEG-2 Main video", 0x62: "MPEG-2 SNR video",
             0x63: "MPEG-2 Spatial video", 0x64: "MPEG-2 High video", 0x65: "MPEG-2 4:2:2 video",
             0x6A: "MPEG-1 video", 0x6D: "PNG", 0x6E: "JPEG 2000", 0x21: "H.264"}

AVI_FOURCCS = ("XVID", "xvid", "DIVX", "divx", "DX50", "FMP4", "fmp4", "3IV2", "M4S2")

_MAX_MTB = 3600  # modulo_time_base: seconds between two VOPs, at most an hour
MAX_EXTENT = 16 << 20  # how far the next start code is looked for
#: the longest video_object_layer() header believed (6.2.3: at most a few hundred bytes, quantiser matrices
#: included), checked before it is copied: without a start code after it, the segment could reach MAX_EXTENT
VOL_MAX = 1 << 12


# --- headers -------------------------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Vol:
    """The video_object_layer() fields VOP headers depend on."""

    verid: int
    shape: int
    time_resolution: int
    time_bits: int
    width: int
    height: int
    interlaced: bool
    sprite_enable: int
    quant_precision: int
    complexity_estimation: bool
    newpred: bool
    reduced_resolution: bool
    scalability: bool
    low_delay: bool | None
    raw: bytes = b""


def _marker(r: BitReader) -> None:
    if not r.read_bit():
        raise BitstreamError("marker bit is 0")


def parse_vol(payload: bytes) -> Vol:
    """video_object_layer() after its start code (6.2.3)."""
    r = BitReader(payload)
    r.skip(1)  # random_accessible_vol
    if r.read(8) == 0:  # video_object_type_indication: 0 is reserved
        raise BitstreamError("reserved video_object_type_indication")
    verid = 1
    if r.read_flag():  # is_object_layer_identifier
        verid = r.read(4)
        r.skip(3)
        if verid not in (1, 2, 4, 5):
            raise BitstreamError("reserved video_object_layer_verid")
    if r.read(4) == 15:  # aspect_ratio_info: extended PAR
        r.skip(16)
    low_delay = None
    if r.read_flag():  # vol_control_parameters
        if r.read(2) != 1:  # chroma_format: 4:2:0 is the only one defined
            raise BitstreamError("reserved chroma_format")
        low_delay = r.read_flag()
        if r.read_flag():  # vbv_parameters
            for n in (15, 15, 15):
                r.skip(n)
                _marker(r)
            r.skip(3 + 11)
            _marker(r)
            r.skip(15)
            _marker(r)
    shape = r.read(2)
    if shape == GRAYSCALE and verid != 1:
        r.skip(4)
    _marker(r)
    res = r.read(16)
    if res == 0:
        raise BitstreamError("vop_time_increment_resolution is 0")
    _marker(r)
    bits = max((res - 1).bit_length(), 1)
    if r.read_flag():  # fixed_vop_rate
        r.skip(bits)
    width = height = 0
    interlaced = False
    sprite = 0
    qp = 5
    complexity = newpred = reduced = scal = False
    if shape != BINARY_ONLY:
        if shape == RECT:
            _marker(r)
            width = r.read(13)
            _marker(r)
            height = r.read(13)
            _marker(r)
            if width == 0 or height == 0:
                raise BitstreamError("VOL picture size is 0")
        interlaced = r.read_flag()
        r.skip(1)  # obmc_disable
        sprite = r.read(1 if verid == 1 else 2)
        if sprite == 3:
            raise BitstreamError("reserved sprite_enable")
        if sprite in (SPRITE_STATIC, SPRITE_GMC):
            if sprite != SPRITE_GMC:
                for _n in range(4):
                    r.skip(13)
                    _marker(r)
            r.skip(6 + 2 + 1)  # no_of_sprite_warping_points, sprite_warping_accuracy, sprite_brightness_change
            if sprite != SPRITE_GMC:
                r.skip(1)
        if verid != 1 and shape != RECT:
            r.skip(1)
        if r.read_flag():  # not_8_bit
            qp = r.read(4)
            r.skip(4)
            if not 3 <= qp <= 9:
                raise BitstreamError("quant_precision out of range")
        if shape == GRAYSCALE:
            r.skip(3)
        if r.read_flag():  # quant_type
            for _n in range(2):  # load_intra_quant_mat, load_nonintra_quant_mat
                if r.read_flag():
                    for _k in range(64):
                        if r.read(8) == 0:
                            break
            if shape == GRAYSCALE:
                raise BitstreamError("grey-scale shape quantiser matrices are not supported")
        if verid != 1:
            r.skip(1)  # quarter_sample
        complexity = not r.read_flag()
        if not complexity:
            r.skip(1)  # resync_marker_disable
            if r.read_flag():  # data_partitioned
                r.skip(1)  # reversible_vlc
            if verid != 1:
                newpred = r.read_flag()
                if newpred:
                    r.skip(3)
                reduced = r.read_flag()
            scal = r.read_flag()
    return Vol(verid, shape, res, bits, width, height, interlaced, sprite, qp, complexity, newpred, reduced, scal,
               low_delay, bytes(payload))


@dataclass(slots=True)
class Vop:
    """A VOP header: coding type, time fields, and for a not-coded VOP its exact length."""

    coding_type: int
    modulo_time_base: int
    time_increment: int
    coded: bool
    length: int = 0  # bytes from the start code to the end of a not-coded VOP's stuffing


def parse_vop_header(data, p: int, end: int, vol: Vol) -> Vop:
    """vop header (6.2.5) from the byte after the start code at ``p - 4``; raises ``BitstreamError``."""
    r = BitReader(data, p, min(end, p + 64))
    ctype = r.read(2)
    mtb = 0
    while r.read_bit():
        mtb += 1
        if mtb > _MAX_MTB:
            raise BitstreamError("modulo_time_base too long")
    _marker(r)
    inc = r.read(vol.time_bits)
    if inc >= vol.time_resolution:
        raise BitstreamError("vop_time_increment out of range")
    _marker(r)
    if ctype == S_VOP and vol.sprite_enable == 0:
        raise BitstreamError("S-VOP without sprites")
    if not r.read_flag():  # vop_coded = 0: next_start_code() follows
        pad = (-r.pos) % 8 or 8
        if r.read(pad) != (1 << (pad - 1)) - 1:
            raise BitstreamError("bad stuffing after a not-coded VOP")
        return Vop(ctype, mtb, inc, False, 4 + r.pos // 8)
    vop = Vop(ctype, mtb, inc, True)
    if vol.shape != RECT or vol.scalability or vol.complexity_estimation:
        return vop  # the rest of the header depends on syntax not parsed here
    if vol.newpred:
        r.skip(min(vol.time_bits + 3, 15))
        if r.read_flag():
            r.skip(min(vol.time_bits + 3, 15))
        _marker(r)
    if ctype == P_VOP or (ctype == S_VOP and vol.sprite_enable == SPRITE_GMC):
        r.skip(1)  # vop_rounding_type
    if vol.reduced_resolution and ctype in (I_VOP, P_VOP):
        r.skip(1)
    r.skip(3)  # intra_dc_vlc_thr
    if vol.interlaced:
        r.skip(2)
    if ctype == S_VOP:
        return vop  # sprite trajectory follows: not parsed
    if r.read(vol.quant_precision) == 0:
        raise BitstreamError("vop_quant is 0")
    if ctype != I_VOP and r.read(3) == 0:
        raise BitstreamError("vop_fcode_forward is 0")
    if ctype == B_VOP and r.read(3) == 0:
        raise BitstreamError("vop_fcode_backward is 0")
    return vop


def _check_gov(data, p: int, end: int) -> int:
    """group_of_vop() header: the time code in seconds; raises ``BitstreamError``."""
    r = BitReader(data, p, min(end, p + 4))
    hours, minutes = r.read(5), r.read(6)
    _marker(r)
    seconds = r.read(6)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise BitstreamError("GOV time code out of range")
    return (hours * 60 + minutes) * 60 + seconds


@dataclass(slots=True)
class Mpeg4Sample:
    """What a matched sample holds: its VOPs, a GOV time code, a VOL met in it."""

    vops: list[Vop]
    gov_seconds: int | None
    vol: Vol | None  # a VOL met in the sample

    @property
    def intra(self) -> bool:
        return self.vops[0].coding_type == I_VOP


def _is_start(data, p: int, end: int) -> bool:
    return p + 4 <= end and data[p] == 0 and data[p + 1] == 0 and data[p + 2] == 1


# --- the matcher -----------------------------------------------------------------------------------------------


def _esds_vol(track: TrackProfile) -> tuple[int, Vol | None]:
    esds = track.config.get("esds")
    if esds is None:
        return OTI_MPEG4_VISUAL, None
    try:
        oti, dsi = parse_esds(esds)
    except MismatchError:
        raise MismatchError(_("The reference's 'mp4v' decoder configuration (esds) cannot be read.")) from None
    return oti, _first_vol(dsi)


def _vol_bytes(data, start: int, stop: int) -> bytes:
    """The bytes of a VOL header segment; ``BitstreamError`` when it is longer than any VOL header can be."""
    if stop - start > VOL_MAX:
        raise BitstreamError("VOL header segment too long")
    return bytes(data[start:stop])


def _first_vol(buf: bytes) -> Vol | None:
    p = buf.find(b"\x00\x00\x01")
    while 0 <= p and p + 4 <= len(buf):
        q = buf.find(b"\x00\x00\x01", p + 4)
        if buf[p + 3] in VOL_CODES:
            try:
                return parse_vol(buf[p + 4:q if q >= 0 else len(buf)])
            except BitstreamError:
                return None
        p = q
    return None


def _mp4v_oti(track: TrackProfile) -> int:
    esds = track.config.get("esds")
    if esds is None:
        return OTI_MPEG4_VISUAL
    try:
        return parse_esds(esds)[0]
    except MismatchError:
        return OTI_MPEG4_VISUAL


class _Mpeg4Facts:
    """The timing facts of an MPEG-4 Part 2 track's samples, pushed in decode order: (1 if the sample holds a
    B-VOP else 0, the display time of its first VOP in vop_time_increment ticks); (-1, 0) without VOP facts."""

    def __init__(self, vol: Vol | None) -> None:
        self.vol = vol
        self.last_base = self.prev_base = 0

    def push(self, match: SampleMatch) -> tuple[int, int]:
        info = match.info
        if not isinstance(info, Mpeg4Sample):
            return -1, 0
        if info.vol is not None:
            self.vol = info.vol
        vol = self.vol
        if vol is None:
            return -1, 0
        if info.gov_seconds is not None:
            self.last_base = info.gov_seconds
        first = None
        for v in info.vops:
            if v.coding_type != B_VOP:
                self.prev_base = self.last_base
                self.last_base += v.modulo_time_base
                t = self.last_base * vol.time_resolution + v.time_increment
            else:
                t = (self.prev_base + v.modulo_time_base) * vol.time_resolution + v.time_increment
            if first is None:
                first = t
        return int(any(v.coding_type == B_VOP for v in info.vops)), first


@register
class Mpeg4VisualMatcher(Matcher):
    """MPEG-4 Part 2 video; 'mp4v' entries that carry JPEG go to the Motion-JPEG matcher."""

    fourccs = ("mp4v",) + AVI_FOURCCS
    tails_are_samples = True
    open_ended = True
    block_size = 1 << 20

    def __new__(cls, track: TrackProfile, *args, **kwargs):
        if cls is Mpeg4VisualMatcher and track.fourcc == "mp4v":
            oti = _mp4v_oti(track)
            if oti == OTI_JPEG:
                from mp4fix.codecs.mjpeg import MjpegMatcher
                return MjpegMatcher(track)
            if oti != OTI_MPEG4_VISUAL:
                name = OTI_NAMES.get(oti) or _("video with object type indication 0x{oti:02X}", oti=oti)
                raise UnsupportedCodecError(_("The reference's 'mp4v' video is {name}, which mp4fix cannot rebuild "
                                              "yet.", name=name))
        return super().__new__(cls)

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        _, self.vol = _esds_vol(track)
        self.packed = False
        self.key_rule = "intra"  # or "all"
        self.time_step = 0  # display-time ticks between two frames (0: unknown)
        #: whether the muxer wrote composition offsets (some, e.g. for libxvid B-frames, store decode order only)
        self.reorder = track.ctts is not None
        #: start codes a sample may begin with (learned from the reference: its samples' first start codes)
        self.start_codes = frozenset({VOP_START, GOV_START, VOS_START, VISUAL_OBJECT}) | frozenset(VOL_CODES) \
            | frozenset(VO_CODES) | {USER_DATA}

    # -- matching --

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        s = self._sample(data, pos, end, self.vol)
        if s is None:
            return None
        size, info, open_end = s
        key = info.intra or self.key_rule == "all"
        return SampleMatch(size, key, info=info, open_end=open_end)

    def _begins_sample(self, data, q: int, end: int, vol: Vol | None) -> bool:
        """Is the start code at ``q`` a believable start of the next sample (not bytes of another track)?

        Headers (VOS, visual object, VO, VOL, user data, GOV) count only when they lead, within a few KiB of
        legal headers, to a legal VOP header; the first start code must be one the reference's samples begin
        with (or a VOP / GOV / VOL)."""
        if data[q + 3] not in self.start_codes:
            return False
        p = q
        for _n in range(16):
            code = data[p + 3]
            if code not in SAMPLE_START:
                return False
            nxt = find_bytes(data, b"\x00\x00\x01", p + 4, min(end, p + 4 + 4096))
            seg_end = nxt if nxt >= 0 else min(end, p + 4 + 4096)
            try:
                if code == VOP_START:
                    return vol is not None and parse_vop_header(data, p + 4, seg_end, vol) is not None
                if code == GOV_START:
                    _check_gov(data, p + 4, seg_end)
                elif code in VOL_CODES:
                    vol = parse_vol(_vol_bytes(data, p + 4, seg_end))
            except BitstreamError:
                return False
            if nxt < 0 or nxt + 4 > end:
                return nxt < 0 and seg_end == end  # headers cut by the end of the data
            p = nxt
        return False

    def _sample(self, data, pos: int, end: int, vol: Vol | None) -> tuple[int, Mpeg4Sample, bool] | None:
        if not _is_start(data, pos, end) or data[pos + 3] not in self.start_codes:
            return None
        limit = min(end, pos + MAX_EXTENT)
        vops: list[Vop] = []
        gov = None
        vol_new = None
        p = pos
        while True:
            code = data[p + 3]
            q = find_bytes(data, b"\x00\x00\x01", p + 4, limit)
            seg_end = q if q >= 0 else limit
            try:
                if code == VOP_START:
                    if vol is None:
                        return None
                    v = parse_vop_header(data, p + 4, seg_end, vol)
                    if vops and not (self.packed and len(vops) == 1 and v.coding_type == B_VOP
                                     and vops[0].coding_type != B_VOP):
                        return None
                    vops.append(v)
                    if not v.coded:
                        stop = p + v.length
                        if stop > seg_end:
                            return None
                        return stop - pos, Mpeg4Sample(vops, gov, vol_new), False
                elif vops:
                    return None
                elif code in VOL_CODES:
                    vol = vol_new = parse_vol(_vol_bytes(data, p + 4, seg_end))
                elif code == GOV_START:
                    gov = _check_gov(data, p + 4, seg_end)
                elif code == VOS_START:
                    if p + 5 > seg_end:
                        return None
                elif code not in SAMPLE_START:
                    return None
            except BitstreamError:
                return None
            # where does this unit end: at the next start code that belongs to this stream
            while q >= 0 and vops:
                if q + 4 > limit:
                    q = -1
                    break
                nc = data[q + 3]
                if nc == VOS_END:
                    return q + 4 - pos, Mpeg4Sample(vops, gov, vol_new), False
                if self._begins_sample(data, q, limit, vol):
                    if (nc == VOP_START and self.packed and len(vops) == 1 and vops[0].coding_type != B_VOP
                            and self._is_b_vop(data, q, limit, vol)):
                        break  # the B-VOP packed with this P-VOP
                    if data[q - 1] == 0xFF:
                        return None  # a VOP ends with stuffing 0 1..1, never with a 0xFF byte
                    return q - pos, Mpeg4Sample(vops, gov, vol_new), False
                q = find_bytes(data, b"\x00\x00\x01", q + 3, limit)  # bytes of another track: look further
            if q < 0:
                if not vops:
                    return None
                return limit - pos, Mpeg4Sample(vops, gov, vol_new), True
            p = q

    def _is_b_vop(self, data, q: int, end: int, vol: Vol | None) -> bool:
        try:
            return vol is not None and parse_vop_header(data, q + 4, end, vol).coding_type == B_VOP
        except BitstreamError:
            return False

    def accept(self, match: SampleMatch) -> bool:
        """Adopt a VOL met in a kept sample; True when it differs from the one known."""
        info = match.info
        if not isinstance(info, Mpeg4Sample) or info.vol is None:
            return False
        if self.vol is None or info.vol.raw != self.vol.raw:
            self.vol = info.vol
            return True
        return False

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        lut = np.zeros(256, dtype=bool)
        lut[list(self.start_codes)] = True
        return prefixed_positions(arr, start, end, b"\x00\x00\x01", lut, self.block_size)

    # -- timing --

    def display_times(self, matches: list[SampleMatch]) -> list[int] | None:
        """Display time of each sample's first VOP in vop_time_increment ticks (6.3.5), decode order in."""
        state = self.fact_state()
        facts = [state.push(m) for m in matches]
        if any(has_b < 0 for has_b, _t in facts):
            return None
        return [t for _has_b, t in facts]

    def fact_state(self) -> "_Mpeg4Facts":
        return _Mpeg4Facts(self.vol)

    def order_from_facts(self, facts: np.ndarray) -> np.ndarray | None:
        """Display position (in frames) of each sample from its VOP's time fields (facts: whether the sample
        holds a B-VOP, its display time); None without B-VOPs, or when the reference's muxer kept decode order
        (no composition offsets)."""
        facts = np.asarray(facts, dtype=np.int64).reshape(-1, 2)
        if not self.reorder or len(facts) == 0 or (facts[:, 0] < 0).any() or not facts[:, 0].any():
            return None
        t = facts[:, 1]
        step = self.time_step
        diffs = np.diff(np.sort(t))
        for d in diffs[diffs > 0].tolist():
            step = gcd(step, d)
        if step <= 0:
            return None
        pos = (t - t.min()) // step
        if len(np.unique(pos)) != len(pos):
            pos = np.argsort(np.argsort(t, kind="stable"), kind="stable")
        if np.array_equal(pos, np.arange(len(pos))):
            return None
        return pos

    # -- learning from the reference --

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Learn the VOL (when the esds has none), packing, the keyframe rule and the frame step; count the
        reference samples measured exactly."""
        offsets = np.asarray(offsets).tolist()
        sizes = np.asarray(sizes).tolist()
        vol0 = self.vol
        if self.vol is None:
            for off, size in zip(offsets[:8], sizes[:8]):
                vol = _first_vol(bytes(data[off:off + size]))
                if vol is not None:
                    self.vol = vol
                    break
        if self.vol is None:
            return 0

        def run() -> tuple[int, list[SampleMatch | None]]:
            self.vol = vol0 if vol0 is not None else self.vol
            good, out = 0, []
            for off, size in zip(offsets, sizes):
                m = self.match(data, off, off + size)
                if m is not None and m.size == size:
                    good += 1
                    self.accept(m)
                    out.append(m)
                else:
                    out.append(None)
            return good, out

        start_vol = self.vol
        good, found = run()
        if good < len(offsets):  # DivX-style packed P+B samples?
            self.packed = True
            self.vol = start_vol
            good2, found2 = run()
            if good2 > good:
                good, found = good2, found2
            else:
                self.packed = False
        known = [(i, m) for i, m in enumerate(found) if m is not None]
        firsts = {data[off + 3] for off, m in zip(offsets, found) if m is not None}
        if firsts:
            self.start_codes = frozenset(firsts | {VOP_START, GOV_START})
        kf = self.track.keyframes
        if kf is None:
            self.key_rule = "all" if any(not m.info.intra for _, m in known) else "intra"
        if known:
            res = (self.vol or start_vol).time_resolution
            ts = self.track.timescale
            dur = self.track.sample_duration
            if ts and dur and (dur * res) % ts == 0:
                self.time_step = dur * res // ts
        self.vol = vol0 if vol0 is not None else start_vol
        return good

    def clone(self) -> Mpeg4VisualMatcher:
        other = type(self)(self.track)
        other.vol, other.packed, other.key_rule, other.time_step = self.vol, self.packed, self.key_rule, self.time_step
        other.start_codes = self.start_codes
        return other


__all__ = ["Mpeg4Sample", "Mpeg4VisualMatcher", "Vol", "Vop", "parse_vol", "parse_vop_header"]
