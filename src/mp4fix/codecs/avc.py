"""H.264 / AVC in MP4 ('avc1', 'avc3'): exact access-unit lengths from the NAL unit stream.

Written from ITU-T H.264 (clause 7.3 syntax, 7.4.1.2.3/7.4.1.2.4 access-unit order and the detection of
the first VCL NAL unit of a new primary coded picture, 8.2.1 picture order count) and ISO/IEC 14496-15
(AVCDecoderConfigurationRecord).

An MP4 sample of an H.264 track is one access unit: length-prefixed NAL units, optionally led by an access
unit delimiter, parameter sets and SEI, then every slice of one primary coded picture (plus redundant and
auxiliary pictures and a few trailing NAL unit types). ``AvcMatcher.match`` walks those NAL units from a
position and stops before the first one that starts the next access unit or that is not a plausible NAL
unit of this stream.

What the reference teaches (``AvcMatcher.check_reference`` / ``learn_reference``, to be called on the
matcher instance that scans): which pictures the muxer flags as sync samples (IDR only, or also I pictures /
any picture with a recovery point SEI), whether a sample holds both fields of a complementary field pair,
the POC distance between frames, whether pictures come in several slices, whether every sample has an access
unit delimiter, and whether slices come in arbitrary order.

``presentation_order`` turns picture order counts (8.2.1) into presentation positions in frame units.

Not supported: data partitions B/C are accepted after a partition A but their slice data is not checked;
MVC/SVC non-base views (NAL 20/21) travel with the access unit but are not parsed; a cut exactly at a NAL
unit boundary inside a multi-slice picture cannot be told from a complete picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd
from typing import Any

import numpy as np

from mp4fix.bitreader import BitReader
from mp4fix.codecs.base import DeclinedFormats, Matcher, SampleMatch, find_bytes, register
from mp4fix.codecs.nal import (PARAMETER_SET_MAX, SEI_MAX, ParameterSetMemo, all_bytes, level_limit, nal_limit,
                                poc_msb, read_length, sei_messages, unescape_rbsp)
from mp4fix.errors import BitstreamEnd, BitstreamError, MismatchError
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

# --- NAL unit types (H.264 Table 7-1) ------------------------------------------------------------------

NAL_SLICE = 1
CUT_NAL_MAX = 64 << 20  # a NAL unit cut by the end of the data is believed up to this length
NAL_DPA = 2  # slice data partition A (carries the slice header)
NAL_DPB = 3
NAL_DPC = 4
NAL_IDR = 5
NAL_SEI = 6
NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9
NAL_END_SEQ = 10
NAL_END_STREAM = 11
NAL_FILLER = 12
NAL_SPS_EXT = 13
NAL_PREFIX = 14
NAL_SUBSET_SPS = 15
NAL_AUX_SLICE = 19
NAL_SLICE_EXT = 20
NAL_SLICE_EXT_3D = 21

#: NAL unit types that carry a slice header of the primary coded picture
VCL_TYPES = frozenset((NAL_SLICE, NAL_DPA, NAL_IDR))
#: types that, after the last VCL NAL unit of a primary picture, start the next access unit (7.4.1.2.3)
AU_START_TYPES = frozenset((NAL_SEI, NAL_SPS, NAL_PPS, NAL_AUD, 14, 15, 16, 17, 18))
#: types a sample can begin with (what ``candidates`` looks for)
SAMPLE_START_TYPES = (1, 2, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 18)
#: unspecified (0, 24..31) and reserved (22, 23) types: they may only follow the primary picture's first VCL NAL
#: unit (7.4.1.2.3), and their payload cannot be checked, so they are taken only when the reference's samples
#: show them (Dolby Vision writes its RPU as type 28)
UNCHECKED_TYPES = frozenset((0, 22, 23)) | frozenset(range(24, 32))
#: the unspecified type Dolby Vision uses for its RPU in AVC streams ('dvav'/'dva1', or 'avc1' + 'dvvC'/'dvcC')
DOVI_RPU = 28

#: profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices (7.3.2.1.1)
HIGH_PROFILES = frozenset((100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135))

SLICE_P, SLICE_B, SLICE_I, SLICE_SP, SLICE_SI = range(5)

#: keyframe rules a reference can teach (see ``AvcMatcher.learn_reference``), in order of preference
KEY_RULES = ("idr", "idr_rp_i", "idr_rp", "idr_i", "all")

_HEADER_PREFIX = 96  # bytes of a slice NAL unit read first; enough for nearly every slice header


# --- parameter sets ------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class SPS:
    """The sequence parameter set fields slice headers and picture order counts need (7.3.2.1.1)."""

    sps_id: int
    profile_idc: int
    constraint_flags: int
    level_idc: int
    chroma_format_idc: int
    separate_colour_plane: bool
    bit_depth_luma: int
    bit_depth_chroma: int
    log2_max_frame_num: int
    poc_type: int
    log2_max_poc_lsb: int
    delta_pic_order_always_zero: bool
    offset_for_non_ref_pic: int
    offset_for_top_to_bottom_field: int
    offset_for_ref_frame: tuple[int, ...]
    max_num_ref_frames: int
    gaps_in_frame_num_allowed: bool
    width_mbs: int
    height_map_units: int
    frame_mbs_only: bool
    mb_adaptive_frame_field: bool
    max_num_reorder_frames: int | None = None  # from the VUI bitstream restriction, when present
    raw: bytes = b""
    crop: tuple[int, int, int, int] = (0, 0, 0, 0)  # frame_crop_{left,right,top,bottom}_offset

    @property
    def chroma_array_type(self) -> int:
        return 0 if self.separate_colour_plane else self.chroma_format_idc

    @property
    def frame_height_mbs(self) -> int:
        return (2 - int(self.frame_mbs_only)) * self.height_map_units

    @property
    def pic_size_in_map_units(self) -> int:
        return self.width_mbs * self.height_map_units

    @property
    def width(self) -> int:
        return self.width_mbs * 16

    @property
    def height(self) -> int:
        return self.frame_height_mbs * 16

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height after the frame cropping (7.4.2.1.1)."""
        cat = self.chroma_array_type
        unit_x = 1 if cat in (0, 3) else 2
        unit_y = (2 if cat == 1 else 1) * (2 - int(self.frame_mbs_only))
        left, right, top, bottom = self.crop
        return self.width - unit_x * (left + right), self.height - unit_y * (top + bottom)


@dataclass(slots=True, eq=False)
class PPS:
    """The picture parameter set fields slice headers need (7.3.2.2)."""

    pps_id: int
    sps_id: int
    entropy_coding_mode: bool
    bottom_field_pic_order_in_frame_present: bool
    num_slice_groups: int
    slice_group_map_type: int
    slice_group_change_rate: int
    num_ref_idx_l0_default: int
    num_ref_idx_l1_default: int
    weighted_pred: bool
    weighted_bipred_idc: int
    pic_init_qp: int
    pic_init_qs: int
    chroma_qp_index_offset: int
    deblocking_filter_control_present: bool
    constrained_intra_pred: bool
    redundant_pic_cnt_present: bool
    transform_8x8_mode: bool = False
    raw: bytes = b""


def _skip_scaling_list(r: BitReader, size: int) -> None:
    """scaling_list() of 7.3.2.1.1.1: only the delta_scale codes matter for parsing."""
    last = nxt = 8
    for _n in range(size):
        if nxt != 0:
            delta = r.se()
            if not -128 <= delta <= 127:
                raise BitstreamError("delta_scale out of range")
            nxt = (last + delta + 256) % 256
        last = last if nxt == 0 else nxt


def _skip_hrd(r: BitReader) -> None:
    """hrd_parameters() (E.1.2)."""
    cpb_cnt = r.ue() + 1
    if cpb_cnt > 32:
        raise BitstreamError("cpb_cnt out of range")
    r.skip(8)  # bit_rate_scale, cpb_size_scale
    for _n in range(cpb_cnt):
        r.ue()
        r.ue()
        r.skip(1)
    r.skip(20)  # four 5-bit length fields


def _parse_vui_reorder(r: BitReader) -> int | None:
    """Walk vui_parameters() (E.1.1) far enough to return max_num_reorder_frames, or None if absent."""
    if r.read_bit():  # aspect_ratio_info_present_flag
        if r.read(8) == 255:  # Extended_SAR
            r.skip(32)
    if r.read_bit():  # overscan_info_present_flag
        r.skip(1)
    if r.read_bit():  # video_signal_type_present_flag
        r.skip(4)
        if r.read_bit():  # colour_description_present_flag
            r.skip(24)
    if r.read_bit():  # chroma_loc_info_present_flag
        r.ue()
        r.ue()
    if r.read_bit():  # timing_info_present_flag
        r.skip(65)
    nal_hrd = r.read_bit()
    if nal_hrd:
        _skip_hrd(r)
    vcl_hrd = r.read_bit()
    if vcl_hrd:
        _skip_hrd(r)
    if nal_hrd or vcl_hrd:
        r.skip(1)  # low_delay_hrd_flag
    r.skip(1)  # pic_struct_present_flag
    if not r.read_bit():  # bitstream_restriction_flag
        return None
    r.skip(1)
    for _n in range(4):
        r.ue()
    reorder = r.ue()
    r.ue()  # max_dec_frame_buffering
    return reorder


def parse_sps(nal: bytes) -> SPS:
    """Parse a whole SPS NAL unit (header byte included). Raises ``BitstreamError`` if it is not one."""
    if len(nal) < 4 or nal[0] & 0x9F != NAL_SPS:
        raise BitstreamError("not an SPS NAL unit")
    r = BitReader(unescape_rbsp(bytes(nal[1:])))
    profile_idc = r.read(8)
    constraint_flags = r.read(8)
    level_idc = r.read(8)
    sps_id = r.ue()
    if sps_id > 31:
        raise BitstreamError("seq_parameter_set_id out of range")
    chroma_format_idc, separate, depth_l, depth_c = 1, False, 8, 8
    if profile_idc in HIGH_PROFILES:
        chroma_format_idc = r.ue()
        if chroma_format_idc > 3:
            raise BitstreamError("chroma_format_idc out of range")
        if chroma_format_idc == 3:
            separate = r.read_flag()
        depth_l = r.ue() + 8
        depth_c = r.ue() + 8
        if depth_l > 14 or depth_c > 14:
            raise BitstreamError("bit depth out of range")
        r.skip(1)  # qpprime_y_zero_transform_bypass_flag
        if r.read_bit():  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma_format_idc != 3 else 12):
                if r.read_bit():
                    _skip_scaling_list(r, 16 if i < 6 else 64)
    log2_max_frame_num = r.ue() + 4
    if log2_max_frame_num > 16:
        raise BitstreamError("log2_max_frame_num out of range")
    poc_type = r.ue()
    log2_max_poc_lsb = 0
    always_zero = False
    off_non_ref = off_t2b = 0
    off_ref: tuple[int, ...] = ()
    if poc_type == 0:
        log2_max_poc_lsb = r.ue() + 4
        if log2_max_poc_lsb > 16:
            raise BitstreamError("log2_max_pic_order_cnt_lsb out of range")
    elif poc_type == 1:
        always_zero = r.read_flag()
        off_non_ref = r.se()
        off_t2b = r.se()
        n = r.ue()
        if n > 255:
            raise BitstreamError("num_ref_frames_in_pic_order_cnt_cycle out of range")
        off_ref = tuple(r.se() for _n in range(n))
    elif poc_type != 2:
        raise BitstreamError("pic_order_cnt_type out of range")
    max_num_ref_frames = r.ue()
    if max_num_ref_frames > 16:
        raise BitstreamError("max_num_ref_frames out of range")
    gaps = r.read_flag()
    width_mbs = r.ue() + 1
    height_map_units = r.ue() + 1
    if width_mbs > 1024 or height_map_units > 1024:
        raise BitstreamError("picture size out of range")
    frame_mbs_only = r.read_flag()
    mbaff = False if frame_mbs_only else r.read_flag()
    r.skip(1)  # direct_8x8_inference_flag
    crop = (0, 0, 0, 0)
    if r.read_bit():  # frame_cropping_flag
        crop = (r.ue(), r.ue(), r.ue(), r.ue())
    reorder = None
    if r.read_bit():  # vui_parameters_present_flag
        try:
            reorder = _parse_vui_reorder(r)
        except BitstreamError:  # a sloppy VUI does not make the SPS unusable for slice headers
            reorder = None
    return SPS(sps_id, profile_idc, constraint_flags, level_idc, chroma_format_idc, separate, depth_l,
               depth_c, log2_max_frame_num, poc_type, log2_max_poc_lsb, always_zero, off_non_ref, off_t2b,
               off_ref, max_num_ref_frames, gaps, width_mbs, height_map_units, frame_mbs_only, mbaff,
               reorder, bytes(nal), crop)


def parse_pps(nal: bytes, sps_map: dict[int, SPS] | None = None) -> PPS:
    """Parse a whole PPS NAL unit (header byte included). ``sps_map`` only refines the optional tail."""
    if len(nal) < 2 or nal[0] & 0x9F != NAL_PPS:
        raise BitstreamError("not a PPS NAL unit")
    r = BitReader(unescape_rbsp(bytes(nal[1:])))
    pps_id = r.ue()
    sps_id = r.ue()
    if pps_id > 255 or sps_id > 31:
        raise BitstreamError("parameter set id out of range")
    entropy = r.read_flag()
    bottom_present = r.read_flag()
    num_groups = r.ue() + 1
    if num_groups > 8:
        raise BitstreamError("num_slice_groups out of range")
    map_type = 0
    change_rate = 1
    if num_groups > 1:
        map_type = r.ue()
        if map_type > 6:
            raise BitstreamError("slice_group_map_type out of range")
        if map_type == 0:
            for _n in range(num_groups):
                r.ue()  # run_length_minus1
        elif map_type == 2:
            for _n in range(num_groups - 1):
                r.ue()  # top_left
                r.ue()  # bottom_right
        elif map_type in (3, 4, 5):
            r.skip(1)  # slice_group_change_direction_flag
            change_rate = r.ue() + 1
        elif map_type == 6:
            units = r.ue() + 1
            if units > 1 << 20:
                raise BitstreamError("pic_size_in_map_units out of range")
            bits = (num_groups - 1).bit_length()
            r.skip(bits * units)
    l0 = r.ue() + 1
    l1 = r.ue() + 1
    if l0 > 32 or l1 > 32:
        raise BitstreamError("num_ref_idx_default_active out of range")
    weighted_pred = r.read_flag()
    bipred = r.read(2)
    if bipred == 3:
        raise BitstreamError("weighted_bipred_idc out of range")
    qp = 26 + r.se()
    qs = 26 + r.se()
    cqp = r.se()
    if not -26 - 6 * 6 <= qp <= 51 or not 0 <= qs <= 51 or not -12 <= cqp <= 12:
        raise BitstreamError("PPS quantiser out of range")
    deblock = r.read_flag()
    constrained = r.read_flag()
    redundant = r.read_flag()
    t8x8 = False
    if r.more_rbsp_data():
        try:
            t8x8 = r.read_flag()
            if r.read_bit():  # pic_scaling_matrix_present_flag
                sps = (sps_map or {}).get(sps_id)
                chroma = sps.chroma_format_idc if sps is not None else 1
                for i in range(6 + (2 if chroma != 3 else 6) * int(t8x8)):
                    if r.read_bit():
                        _skip_scaling_list(r, 16 if i < 6 else 64)
            r.se()  # second_chroma_qp_index_offset
        except BitstreamError:
            pass  # the tail is not needed to read slice headers
    return PPS(pps_id, sps_id, entropy, bottom_present, num_groups, map_type, change_rate, l0, l1,
               weighted_pred, bipred, qp, qs, cqp, deblock, constrained, redundant, t8x8, bytes(nal))


@dataclass(slots=True)
class AvcConfig:
    """AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1)."""

    version: int
    profile: int
    compatibility: int
    level: int
    length_size: int
    sps: list[bytes]
    pps: list[bytes]
    chroma_format: int | None = None
    bit_depth_luma: int | None = None
    bit_depth_chroma: int | None = None
    sps_ext: list[bytes] = field(default_factory=list)


def parse_avcc(payload: bytes) -> AvcConfig:
    """Parse an avcC payload (the box contents without its header). Raises ``BitstreamError``."""
    b = bytes(payload)
    if len(b) < 7:
        raise BitstreamError("avcC too short")
    if b[0] != 1:
        raise BitstreamError(f"unknown avcC configurationVersion {b[0]}")
    length_size = (b[4] & 3) + 1
    if length_size == 3:
        raise BitstreamError("avcC lengthSizeMinusOne of 2 is not allowed")
    pos = 5

    def take_list(pos: int, count: int) -> tuple[list[bytes], int]:
        items = []
        for _n in range(count):
            if pos + 2 > len(b):
                raise BitstreamError("avcC parameter set list truncated")
            n = int.from_bytes(b[pos:pos + 2], "big")
            pos += 2
            if pos + n > len(b):
                raise BitstreamError("avcC parameter set truncated")
            items.append(b[pos:pos + n])
            pos += n
        return items, pos

    sps, pos = take_list(pos + 1, b[pos] & 0x1F)
    if pos >= len(b):
        raise BitstreamError("avcC has no PPS count")
    pps, pos = take_list(pos + 1, b[pos])
    cfg = AvcConfig(b[0], b[1], b[2], b[3], length_size, sps, pps)
    # the high-profile extension; many writers omit it, so its absence or damage is not an error
    if b[1] not in (66, 77, 88) and pos + 4 <= len(b):
        try:
            ext, _ = take_list(pos + 4, b[pos + 3])
            cfg.chroma_format = b[pos] & 3
            cfg.bit_depth_luma = (b[pos + 1] & 7) + 8
            cfg.bit_depth_chroma = (b[pos + 2] & 7) + 8
            cfg.sps_ext = ext
        except BitstreamError:
            pass
    return cfg


# --- slice headers -------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class SliceHeader:
    """The slice header facts that delimit pictures (7.4.1.2.4) and give picture order counts (8.2.1)."""

    nal_type: int
    nal_ref_idc: int
    first_mb: int
    slice_type: int  # 0..4 (slice_type % 5)
    pps_id: int
    sps: SPS
    colour_plane_id: int
    frame_num: int
    field_pic: bool
    bottom_field: bool
    idr_pic_id: int
    poc_lsb: int
    delta_poc_bottom: int
    delta_poc0: int
    delta_poc1: int
    redundant_pic_cnt: int
    mmco5: bool

    @property
    def idr(self) -> bool:
        return self.nal_type == NAL_IDR

    @property
    def intra(self) -> bool:
        return self.slice_type in (SLICE_I, SLICE_SI)


def _ue(r: BitReader) -> int:
    """ue(v) (9.1) in one peek: the same value and the same errors as ``BitReader.ue``, without a loop."""
    v = r.peek(32)
    if v == 0:
        raise BitstreamError("exp-Golomb code longer than 32 bits")
    zeros = 32 - v.bit_length()
    r.skip(zeros)
    return r.read(zeros + 1) - 1


def _se(r: BitReader) -> int:
    k = _ue(r)
    return (k + 1) // 2 if k & 1 else -(k // 2)


def slice_header_head(r: BitReader, nal_type: int, nal_ref_idc: int, sps_map: dict[int, SPS],
                      pps_map: dict[int, PPS]) -> tuple[SliceHeader, PPS]:
    """The first part of slice_header() (7.3.3), through redundant_pic_cnt: every field 7.4.1.2.4 compares."""
    first_mb = _ue(r)
    slice_type = _ue(r)
    if slice_type > 9:
        raise BitstreamError("slice_type out of range")
    st = slice_type % 5
    pps_id = _ue(r)
    pps = pps_map.get(pps_id)
    if pps is None:
        raise BitstreamError("slice refers to an unknown PPS")
    sps = sps_map.get(pps.sps_id)
    if sps is None:
        raise BitstreamError("slice refers to an unknown SPS")
    idr = nal_type == NAL_IDR
    if idr and (st not in (SLICE_I, SLICE_SI) or nal_ref_idc == 0):
        raise BitstreamError("IDR slice that is not an intra reference slice")
    colour_plane = 0
    if sps.separate_colour_plane:
        colour_plane = r.read(2)
        if colour_plane > 2:
            raise BitstreamError("colour_plane_id out of range")
    frame_num = r.read(sps.log2_max_frame_num)
    if idr and frame_num != 0:
        raise BitstreamError("IDR picture with frame_num != 0")
    field_pic = bottom = False
    if not sps.frame_mbs_only:
        field_pic = r.read_bit() == 1
        if field_pic:
            bottom = r.read_bit() == 1
    pic_size = sps.width_mbs * sps.frame_height_mbs
    if field_pic or sps.mb_adaptive_frame_field:  # PicSizeInMbs / (1 + MbaffFrameFlag) for frames
        pic_size //= 2
    if first_mb >= pic_size:
        raise BitstreamError("first_mb_in_slice beyond the picture")
    idr_pic_id = 0
    if idr:
        idr_pic_id = _ue(r)
        if idr_pic_id > 65535:
            raise BitstreamError("idr_pic_id out of range")
    poc_lsb = delta_bottom = delta0 = delta1 = 0
    if sps.poc_type == 0:
        poc_lsb = r.read(sps.log2_max_poc_lsb)
        if pps.bottom_field_pic_order_in_frame_present and not field_pic:
            delta_bottom = _se(r)
    elif sps.poc_type == 1 and not sps.delta_pic_order_always_zero:
        delta0 = _se(r)
        if pps.bottom_field_pic_order_in_frame_present and not field_pic:
            delta1 = _se(r)
    redundant = 0
    if pps.redundant_pic_cnt_present:
        redundant = _ue(r)
        if redundant > 127:
            raise BitstreamError("redundant_pic_cnt out of range")
    return SliceHeader(nal_type, nal_ref_idc, first_mb, st, pps_id, sps, colour_plane, frame_num, field_pic,
                       bottom, idr_pic_id, poc_lsb, delta_bottom, delta0, delta1, redundant, False), pps


def slice_header_tail(r: BitReader, h: SliceHeader, pps: PPS) -> None:
    """The rest of slice_header() (7.3.3) after ``slice_header_head``: reference list modification, weights
    and dec_ref_pic_marking (sets ``h.mmco5``), then the QP and deblocking fields, all range-checked so that
    data which is not a slice header is refused."""
    st, sps = h.slice_type, h.sps
    if st == SLICE_B:
        r.skip(1)  # direct_spatial_mv_pred_flag
    n0, n1 = pps.num_ref_idx_l0_default, pps.num_ref_idx_l1_default
    max_refs = 32 if h.field_pic else 16
    if st in (SLICE_P, SLICE_SP, SLICE_B):
        if r.read_bit():  # num_ref_idx_active_override_flag
            n0 = _ue(r) + 1
            if st == SLICE_B:
                n1 = _ue(r) + 1
            if n0 > max_refs or n1 > max_refs:
                raise BitstreamError("num_ref_idx_active out of range")
    # ref_pic_list_modification() (7.3.3.1)
    if st not in (SLICE_I, SLICE_SI):
        for _n in range(2 if st == SLICE_B else 1):
            if r.read_bit():
                for _n in range(max_refs + 1):
                    idc = _ue(r)
                    if idc == 3:
                        break
                    if idc > 3:
                        raise BitstreamError("modification_of_pic_nums_idc out of range")
                    _ue(r)
                else:
                    raise BitstreamError("ref_pic_list_modification does not end")
    chroma = sps.chroma_array_type
    if (pps.weighted_pred and st in (SLICE_P, SLICE_SP)) or (pps.weighted_bipred_idc == 1 and st == SLICE_B):
        # pred_weight_table() (7.3.3.2)
        if _ue(r) > 7 or (chroma != 0 and _ue(r) > 7):
            raise BitstreamError("log2_weight_denom out of range")
        for count in ((n0, n1) if st == SLICE_B else (n0,)):
            for _n in range(count):
                if r.read_bit():
                    if not (-128 <= _se(r) <= 127 and -128 <= _se(r) <= 127):
                        raise BitstreamError("luma weight out of range")
                if chroma != 0 and r.read_bit():
                    for _n in range(4):
                        if not -128 <= _se(r) <= 127:
                            raise BitstreamError("chroma weight out of range")
    if h.nal_ref_idc != 0:
        # dec_ref_pic_marking() (7.3.3.3)
        if h.nal_type == NAL_IDR:
            r.skip(2)  # no_output_of_prior_pics_flag, long_term_reference_flag
        elif r.read_bit():  # adaptive_ref_pic_marking_mode_flag
            for _n in range(64):
                op = _ue(r)
                if op == 0:
                    break
                if op > 6:
                    raise BitstreamError("memory_management_control_operation out of range")
                if op == 5:
                    h.mmco5 = True
                if op in (1, 3):
                    _ue(r)  # difference_of_pic_nums_minus1
                if op == 2:
                    _ue(r)  # long_term_pic_num
                if op in (3, 6):
                    _ue(r)  # long_term_frame_idx
                if op == 4:
                    _ue(r)  # max_long_term_frame_idx_plus1
            else:
                raise BitstreamError("dec_ref_pic_marking does not end")
    # the rest of the header: read only to reject data that is not a slice header
    if pps.entropy_coding_mode and st not in (SLICE_I, SLICE_SI):
        if _ue(r) > 2:
            raise BitstreamError("cabac_init_idc out of range")
    qp = pps.pic_init_qp + _se(r)
    if not -6 * (sps.bit_depth_luma - 8) <= qp <= 51:
        raise BitstreamError("slice QP out of range")
    if st in (SLICE_SP, SLICE_SI):
        if st == SLICE_SP:
            r.skip(1)  # sp_for_switch_flag
        if not 0 <= pps.pic_init_qs + _se(r) <= 51:
            raise BitstreamError("slice QS out of range")
    if pps.deblocking_filter_control_present:
        idc = _ue(r)
        if idc > 2:
            raise BitstreamError("disable_deblocking_filter_idc out of range")
        if idc != 1:
            if not (-6 <= _se(r) <= 6 and -6 <= _se(r) <= 6):
                raise BitstreamError("deblocking offsets out of range")
    if pps.num_slice_groups > 1 and 3 <= pps.slice_group_map_type <= 5:
        # slice_group_change_cycle: Ceil(Log2(PicSizeInMapUnits / SliceGroupChangeRate + 1)) bits
        units, rate = sps.pic_size_in_map_units, pps.slice_group_change_rate
        bits = 0
        while (rate << bits) < units + rate:
            bits += 1
        r.skip(bits)


def parse_slice_header(rbsp: bytes, nal_type: int, nal_ref_idc: int, sps_map: dict[int, SPS],
                       pps_map: dict[int, PPS], partial: bool = False) -> SliceHeader:
    """slice_header() (7.3.3) of a slice NAL unit's RBSP (after the header byte), through
    dec_ref_pic_marking and the fields after it, with range checks. Raises ``BitstreamError``.

    With ``partial``, running out of data after the fields that tell pictures apart is not an error (used
    on a NAL unit cut by the end of the data); out-of-range values still are."""
    r = BitReader(rbsp)
    h, pps = slice_header_head(r, nal_type, nal_ref_idc, sps_map, pps_map)
    try:
        slice_header_tail(r, h, pps)
    except BitstreamEnd:
        if not partial:
            raise
    return h


def new_picture(prev: SliceHeader, cur: SliceHeader) -> bool:
    """7.4.1.2.4: does ``cur`` (a primary slice) belong to another primary coded picture than ``prev``?"""
    if (cur.frame_num != prev.frame_num or cur.pps_id != prev.pps_id or cur.field_pic != prev.field_pic
            or cur.bottom_field != prev.bottom_field or (cur.nal_ref_idc == 0) != (prev.nal_ref_idc == 0)
            or cur.nal_type != prev.nal_type and NAL_IDR in (cur.nal_type, prev.nal_type)):
        return True
    sps_c, sps_p = cur.sps, prev.sps
    if sps_c.poc_type == 0 and sps_p.poc_type == 0:
        if cur.poc_lsb != prev.poc_lsb or cur.delta_poc_bottom != prev.delta_poc_bottom:
            return True
    elif sps_c.poc_type == 1 and sps_p.poc_type == 1:
        if cur.delta_poc0 != prev.delta_poc0 or cur.delta_poc1 != prev.delta_poc1:
            return True
    if cur.nal_type == NAL_IDR and prev.nal_type == NAL_IDR and cur.idr_pic_id != prev.idr_pic_id:
        return True
    return False


def complementary_field(first: SliceHeader, second: SliceHeader) -> bool:
    """Is ``second`` the second field of a complementary field pair whose first field is ``first``?"""
    return (first.field_pic and second.field_pic and first.bottom_field != second.bottom_field
            and first.frame_num == second.frame_num and second.nal_type != NAL_IDR
            and (first.nal_ref_idc == 0) == (second.nal_ref_idc == 0) and not first.mmco5)


def sei_has_recovery_point(rbsp: bytes) -> bool:
    """Whether an SEI RBSP (after the header byte) holds a recovery_point message (payloadType 6, D.1)."""
    try:
        return any(ptype == 6 for ptype, _start, _size in sei_messages(rbsp))
    except ValueError:
        return False


# --- what one access unit holds ------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class AvcAccessUnit:
    """``SampleMatch.info`` of an H.264 sample: its primary picture(s) and what timing needs of them."""

    pictures: list[SliceHeader]  # the first slice of each primary coded picture (two for a field pair)
    intra: bool  # every primary slice of the (first) picture is I or SI
    recovery_point: bool  # a recovery point SEI message precedes the picture
    slices: int = 1  # primary coded slices (all pictures of the sample)
    aud: bool = False  # an access unit delimiter precedes the picture
    sps_updates: dict[int, SPS] | None = None  # in-band parameter sets this access unit carries
    pps_updates: dict[int, PPS] | None = None

    @property
    def idr(self) -> bool:
        return self.pictures[0].nal_type == NAL_IDR

    @property
    def resets(self) -> bool:
        """Starts a new picture-order-count period (IDR, or memory_management_control_operation 5)."""
        return any(p.nal_type == NAL_IDR or p.mmco5 for p in self.pictures)


def key_by_rule(rule: str, au: AvcAccessUnit) -> bool:
    if rule == "all":
        return True
    if au.idr:
        return True
    if rule == "idr_rp_i":
        return au.recovery_point and au.intra
    if rule == "idr_rp":
        return au.recovery_point
    if rule == "idr_i":
        return au.intra
    return False


# --- picture order count (8.2.1) -----------------------------------------------------------------------


class PocState:
    """Picture order counts (8.2.1) of access units pushed in decode order, one at a time: the state 8.2.1
    carries from one picture to the next. ``push`` returns (period, POC): the period counts restarts (IDR,
    memory_management_control_operation 5), the POC is the access unit's (for a field pair, the smaller
    field's); after a picture with memory_management_control_operation 5 its POC is the reset one (8.2.1,
    tempPicOrderCnt subtracted), so it is comparable with the pictures of the period it starts."""

    __slots__ = ("prev_ref_msb", "prev_ref_lsb", "prev_ref_mmco5", "prev_ref_bottom_field", "prev_ref_top_after_reset",
                 "prev_fno", "prev_frame_num", "prev_mmco5", "period")

    def __init__(self) -> None:
        self.prev_ref_msb = self.prev_ref_lsb = 0
        self.prev_ref_mmco5 = False
        self.prev_ref_bottom_field = False
        self.prev_ref_top_after_reset = 0
        self.prev_fno = 0  # FrameNumOffset of the previous picture
        self.prev_frame_num = 0
        self.prev_mmco5 = False
        self.period = -1

    def push(self, au: AvcAccessUnit) -> tuple[int, int]:
        if self.period < 0 or au.resets:
            self.period += 1
        pocs = []
        for h in au.pictures:
            sps = h.sps
            if sps.poc_type == 0:
                max_lsb = 1 << sps.log2_max_poc_lsb
                if h.idr:
                    pmsb = plsb = 0
                elif self.prev_ref_mmco5:
                    pmsb = 0
                    plsb = 0 if self.prev_ref_bottom_field else self.prev_ref_top_after_reset
                else:
                    pmsb, plsb = self.prev_ref_msb, self.prev_ref_lsb
                lsb = h.poc_lsb
                msb = poc_msb(lsb, plsb, pmsb, max_lsb)
                if not h.field_pic:
                    top = msb + lsb
                    bottom = top + h.delta_poc_bottom
                else:
                    top = bottom = msb + lsb
                fno = 0
            else:
                max_frame_num = 1 << sps.log2_max_frame_num
                if h.idr:
                    fno = 0
                else:
                    base = 0 if self.prev_mmco5 else self.prev_fno
                    fno = base + max_frame_num if self.prev_frame_num > h.frame_num else base
                if sps.poc_type == 1:
                    cycle = sps.offset_for_ref_frame
                    n = len(cycle)
                    abs_fn = fno + h.frame_num if n else 0
                    if h.nal_ref_idc == 0 and abs_fn > 0:
                        abs_fn -= 1
                    expected = 0
                    if abs_fn > 0:
                        cnt, in_cycle = divmod(abs_fn - 1, n)
                        expected = cnt * sum(cycle) + sum(cycle[:in_cycle + 1])
                    if h.nal_ref_idc == 0:
                        expected += sps.offset_for_non_ref_pic
                    if not h.field_pic:
                        top = expected + h.delta_poc0
                        bottom = top + sps.offset_for_top_to_bottom_field + h.delta_poc1
                    elif not h.bottom_field:
                        top = bottom = expected + h.delta_poc0
                    else:
                        top = bottom = expected + sps.offset_for_top_to_bottom_field + h.delta_poc0
                else:
                    if h.idr:
                        temp = 0
                    elif h.nal_ref_idc == 0:
                        temp = 2 * (fno + h.frame_num) - 1
                    else:
                        temp = 2 * (fno + h.frame_num)
                    top = bottom = temp
                msb = lsb = 0
            poc = min(top, bottom)
            if h.mmco5:
                top -= poc
                bottom -= poc
                poc = 0
            pocs.append(poc)
            # remember what the next pictures derive from
            if sps.poc_type == 0 and h.nal_ref_idc != 0:
                self.prev_ref_mmco5 = h.mmco5
                self.prev_ref_bottom_field = h.field_pic and h.bottom_field
                self.prev_ref_top_after_reset = top
                self.prev_ref_msb, self.prev_ref_lsb = msb, lsb
            self.prev_mmco5 = h.mmco5
            self.prev_fno = 0 if h.mmco5 else fno
            self.prev_frame_num = 0 if h.mmco5 else h.frame_num
        return self.period, min(pocs)


def picture_order_counts(units: list[AvcAccessUnit]) -> list[int]:
    """PicOrderCnt of every access unit, in decode order (8.2.1; see ``PocState``)."""
    state = PocState()
    return [state.push(au)[1] for au in units]


def presentation_positions_from_facts(facts: np.ndarray, step_hint: int = 0) -> np.ndarray:
    """Each access unit's presentation position counted in frames, from its (period, POC) facts (see
    ``AvcMatcher.presentation_order``)."""
    n = len(facts)
    periods, pocs = facts[:, 0].tolist(), facts[:, 1].tolist()
    starts = [i for i in range(n) if i == 0 or periods[i] != periods[i - 1]]
    bounds = list(zip(starts, starts[1:] + [n]))
    step = step_hint
    for a, b in bounds:
        low = min(pocs[a:b])
        for p in pocs[a:b]:
            step = gcd(step, p - low)
    if step <= 0:
        step = 1
    pos = np.empty(n, dtype=np.int64)
    for k, (a, b) in enumerate(bounds):
        seg = pocs[a:b]
        low = min(seg)
        rel = [(p - low) // step for p in seg]
        count = b - a
        distinct = len(set(rel)) == count
        if distinct and (max(rel) < count or k == len(bounds) - 1):
            pos[a:b] = np.asarray(rel, dtype=np.int64) + a
        else:  # uneven POC spacing or duplicates: fall back to ranks
            order = sorted(range(count), key=lambda i: (seg[i], i))
            for rank, i in enumerate(order):
                pos[a + i] = a + rank
    return pos


# --- the matcher ---------------------------------------------------------------------------------------


def _lut(types) -> np.ndarray:
    lut = np.zeros(256, dtype=bool)
    for b in range(256):
        t = b & 0x1F
        if b & 0x80 or t not in types:
            continue
        if t == NAL_IDR and b & 0x60 == 0:
            continue
        lut[b] = True
    return lut


_START_LUT = _lut(SAMPLE_START_TYPES)


@register
class AvcMatcher(Matcher):
    """Access units of an H.264 track in MP4 (sample entries 'avc1' and 'avc3', plus 'avc2'/'avc4')."""

    fourccs = ("avc1", "avc2", "avc3", "avc4")
    tails_are_samples = True
    block_size = 1 << 22  # candidates() works on blocks of this many bytes

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        payload = track.config.get("avcC")
        if payload is None:
            raise MismatchError(_("The reference's H.264 track has no avcC configuration."))
        try:
            self.config = parse_avcc(payload)
        except BitstreamError as exc:
            raise MismatchError(_("The reference's H.264 configuration (avcC) cannot be read."),
                                detail=str(exc)) from exc
        self.length_size = self.config.length_size
        self.sps: dict[int, SPS] = {}
        self.pps: dict[int, PPS] = {}
        for raw in self.config.sps:
            try:
                s = parse_sps(raw)
            except BitstreamError:
                continue
            self.sps[s.sps_id] = s
        for raw in self.config.pps:
            try:
                p = parse_pps(raw, self.sps)
            except BitstreamError:
                continue
            self.pps[p.pps_id] = p
        if not self.config.sps and not self.config.pps and track.fourcc in ("avc1", "avc2"):
            raise MismatchError(_("The reference's avcC holds no parameter sets."))
        if (self.config.sps or self.config.pps) and not (self.sps and self.pps):
            raise MismatchError(_("The reference's H.264 parameter sets cannot be read."))
        self.layered = any(k in track.config for k in ("mvcC", "svcC", "mvcc", "svcc"))
        self.aux_pictures = bool(self.config.sps_ext)
        #: which samples the reference flags as sync samples (see KEY_RULES); learned by learn_reference
        self.key_rule = "idr"
        #: whether a sample holds both fields of a complementary field pair; learned by learn_reference
        self.pair_fields = False
        #: POC distance between consecutive frames seen in the reference (0: unknown)
        self.poc_step = 0
        #: whether pictures are coded in several slices; learned by learn_reference. When True, an access unit
        #: whose continuation is cut by ``end`` in a way that hides whether it continues counts as incomplete.
        self.multi_slice = False
        #: arbitrary slice order: only Baseline (without constraint_set1) and Extended allow it. Without it a
        #: picture's first slice starts at macroblock 0; learn_reference turns it on if the reference shows it.
        self.aso = self._aso_by_profile = self.config.profile in (66, 88) and not self.config.compatibility & 0x40
        #: every sample of the reference has an access unit delimiter: then a sample needs one
        self.aud_always = False
        self._ps_cache = ParameterSetMemo()
        # the longest NAL unit believed: what the highest level of the stream's parameter sets allows
        levels = [s.level_idc for s in self.sps.values()] + [self.config.level]
        limits = [level_limit("avc", lv) for lv in levels]
        self.max_nal = nal_limit(track, None if None in limits else max(limits))
        #: the reference writes an access unit as one length-prefixed unit holding start-code delimited NAL units
        #: (older Android writers: the encoder's Annex B output buffer behind a single length); learned by
        #: learn_reference
        self.wrapped = False
        #: unspecified / reserved NAL unit types (``UNCHECKED_TYPES``) the reference's access units carry after
        #: their picture; learned by learn_reference
        self.extra_types: frozenset[int] = frozenset(
            (DOVI_RPU,) if any(k in track.config for k in ("dvcC", "dvvC", "dvwC")) else ())
        #: every access unit of the reference ends with such a NAL unit (a Dolby Vision RPU): one whose data ends
        #: right after its picture is incomplete; learned by learn_reference
        self.extra_always = False
        #: the picture sizes of the avcC's SPSs: a track keeps one size, so an in-band SPS of another size begins a
        #: sample of another track (stills of another size in a track of their own)
        self._config_sizes = {(s.width, s.height) for s in self.sps.values()}
        self._declined = DeclinedFormats()  # in-band parameter sets of other sizes met (for the fit check)
        #: every sample of the reference is an IDR picture (a track of stills): so is every sample; learned by
        #: learn_reference
        self.idr_only = False

    # -- parameter sets met in the stream --

    def _memo(self, raw: bytes, parse) -> Any:
        """Parse an in-band parameter set once: a pure memo, it never changes what match() answers."""
        hit = self._ps_cache.get(raw)
        if hit is None:
            hit = parse()
            self._ps_cache[raw] = hit  # bounded in bytes: scanning junk can meet many look-alikes
        return hit

    def _in_band_sps(self, raw: bytes) -> SPS:
        return self._memo(raw, lambda: parse_sps(raw))

    def _in_band_pps(self, raw: bytes, sps_map: dict[int, SPS]) -> PPS:
        return self._memo(raw, lambda: parse_pps(raw, sps_map))

    def _slice_head(self, data, start: int, stop: int, nal_type: int, ref_idc: int, sps_map, pps_map):
        """Head of the slice header whose NAL payload (after the header byte) is data[start:stop].
        Returns (header, reader, pps, whole) where ``whole`` tells whether the reader holds all of it."""
        cut = min(stop, start + _HEADER_PREFIX)
        r = BitReader(unescape_rbsp(bytes(data[start:cut])))
        try:
            h, pps = slice_header_head(r, nal_type, ref_idc, sps_map, pps_map)
            return h, r, pps, cut == stop
        except BitstreamEnd:
            if cut == stop:
                raise
        r = BitReader(unescape_rbsp(bytes(data[start:min(stop, start + 4096)])))
        h, pps = slice_header_head(r, nal_type, ref_idc, sps_map, pps_map)
        return h, r, pps, True

    def _slice_tail(self, data, start: int, stop: int, h: SliceHeader, r: BitReader, pps: PPS,
                    whole: bool) -> None:
        try:
            slice_header_tail(r, h, pps)
            return
        except BitstreamEnd:
            if whole:
                raise
        r = BitReader(unescape_rbsp(bytes(data[start:min(stop, start + 4096)])))
        h2, pps = slice_header_head(r, h.nal_type, h.nal_ref_idc, {pps.sps_id: h.sps}, {h.pps_id: pps})
        slice_header_tail(r, h2, pps)
        h.mmco5 = h2.mmco5

    # -- the Matcher interface --

    def cut_start(self, data, pos: int, end: int) -> bool:
        """An access unit starts at ``pos`` and is cut by ``end``: leading non-VCL NAL units are whole and the
        first slice's header, as far as the bytes go, parses with the known parameter sets."""
        ls = self.length_size
        p = pos
        if self.wrapped:  # one unit holds the access unit: it starts like one and runs past the end
            if p + ls + 1 > end:
                return False
            n = read_length(data, p, ls)
            header = data[p + ls]
            return 1 < n <= CUT_NAL_MAX and p + ls + n > end and not header & 0x80 \
                and (header & 0x1F) in SAMPLE_START_TYPES
        for _n in range(16):
            if p + ls + 1 > end:
                return False
            n = read_length(data, p, ls)
            header = data[p + ls]
            if n < 1 or n > CUT_NAL_MAX or header & 0x80:
                return False
            t = header & 0x1F
            if t in (NAL_SLICE, NAL_IDR):
                avail = bytes(data[p + ls + 1:min(p + ls + n, end, p + ls + 1 + 64)])
                try:
                    sh, _pps = slice_header_head(BitReader(unescape_rbsp(avail)), t, header >> 5, self.sps,
                                                 self.pps)
                except (BitstreamError, KeyError):
                    return False
                return sh is not None and (sh.first_mb == 0 or self.aso)
            if t not in (NAL_SEI, NAL_SPS, NAL_PPS, NAL_AUD) or p + ls + n > end:
                return False
            p += ls + n
        return False

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        if self.wrapped:
            return self._match_wrapped(data, pos, end)
        return self._match_units(data, pos, end)

    def _match_wrapped(self, data, pos: int, end: int) -> SampleMatch | None:
        """``match`` for a stream whose length-prefixed units hold Annex B NAL units: the units from ``pos`` are
        rewritten as one length-prefixed NAL unit each and measured as usual; the sample must end where a unit
        of the file ends. Units are converted a few at a time, more when the access unit reaches their end."""
        ls = self.length_size
        limit = 4
        while True:
            buf = bytearray()
            ends = {0: pos}
            p, units, exhausted = pos, 0, False
            while units < limit:
                if p + ls >= end:
                    exhausted = True
                    break
                n = read_length(data, p, ls)
                if n == 0 or n > self.max_nal:
                    exhausted = True
                    break
                if p + ls + n > end:  # cut by the end of the data: kept as it is, a NAL unit cut short
                    buf += data[p:end]
                    exhausted = True
                    break
                for nal in annexb_nal_units(bytes(data[p + ls:p + ls + n])):
                    buf += len(nal).to_bytes(ls, "big") + nal
                p += ls + n
                units += 1
                ends[len(buf)] = p
            m = self._match_units(bytes(buf), 0, len(buf))
            if not exhausted and (m is None or m.size == len(buf)) and limit < 1024:
                limit *= 4  # the access unit may go on in the next units
                continue
            if m is None or m.size not in ends:
                return None
            return SampleMatch(ends[m.size] - pos, m.keyframe, m.count, m.info)

    def _match_units(self, data, pos: int, end: int) -> SampleMatch | None:
        ls = self.length_size
        sps_map, pps_map = self.sps, self.pps
        sps_new: dict[int, SPS] | None = None
        pps_new: dict[int, PPS] | None = None
        pictures: list[SliceHeader] = []
        cur: SliceHeader | None = None  # first slice of the current primary picture
        seen_mbs: set[tuple[int, int]] = set()
        intra = True
        recovery = False
        slices = 0
        aud = False
        partition_a = False
        layered = self.layered
        pending_prefix = -1  # start of a prefix NAL unit (14) met after the picture, awaiting its slice
        extra = False  # a NAL unit of a learned unspecified type followed the picture
        p = pos
        stop = pos  # end of the access unit so far
        while True:
            if p + ls >= end:
                if cur is not None and p < end and self.multi_slice:
                    return None  # a length field cut by the end: the picture may go on
                if cur is not None and self.extra_always and not extra:
                    return None  # the data ends before the unit every access unit of this stream ends with
                break
            n = read_length(data, p, ls)
            body = p + ls
            if n == 0 or n > self.max_nal:
                break
            if body + n > end:
                # a NAL unit cut by the end of the data: say "incomplete" only if it continues the picture
                if cur is not None and self._continues(data, body, end, cur, pictures, sps_map, pps_map):
                    return None
                if cur is not None and self.extra_always and not extra:
                    return None
                break
            hdr = data[body]
            if hdr & 0x80:
                break
            t = hdr & 0x1F
            ref_idc = hdr >> 5
            if t in VCL_TYPES:
                try:
                    sh, r, pps, whole = self._slice_head(data, body + 1, body + n, t, ref_idc, sps_map, pps_map)
                except BitstreamError:
                    break
                second_field = False
                if cur is not None and sh.redundant_pic_cnt == 0:
                    if new_picture(cur, sh) or (sh.colour_plane_id, sh.first_mb) in seen_mbs:
                        if not (self.pair_fields and len(pictures) == 1 and complementary_field(cur, sh)):
                            break  # the next access unit: no need to read the rest of its header
                        second_field = True
                try:
                    self._slice_tail(data, body + 1, body + n, sh, r, pps, whole)
                except BitstreamError:
                    break
                if cur is None and (sh.redundant_pic_cnt or (sh.first_mb != 0 and not self.aso)
                                    or (self.aud_always and not aud) or (self.idr_only and t != NAL_IDR)):
                    break  # not how a picture of this stream begins: a primary slice at macroblock 0
                if t == NAL_DPA:
                    partition_a = True
                if cur is None or second_field:
                    cur = sh
                    pictures.append(sh)
                    seen_mbs.clear()
                if sh.redundant_pic_cnt == 0:
                    seen_mbs.add((sh.colour_plane_id, sh.first_mb))
                    if len(pictures) == 1:  # an I frame coded as fields may code its second field as P
                        intra = intra and sh.intra
                    slices += 1
                pending_prefix = -1
            elif t in AU_START_TYPES:
                if cur is not None:
                    if t == NAL_PREFIX and pending_prefix < 0 and layered:
                        pending_prefix = p
                        p = body + n
                        continue
                    break
                # (7.4.1.2.3 puts an access unit delimiter first, but ffmpeg's libx264 wrapper writes its
                # version SEI before it in the first sample: before the picture, any order is accepted)
                if t in (NAL_SPS, NAL_PPS) and n > PARAMETER_SET_MAX or t == NAL_SEI and n > SEI_MAX:
                    break  # (checked before copying: the length may be that of picture data or junk)
                if t == NAL_SPS:
                    try:
                        s = self._in_band_sps(bytes(data[body:body + n]))
                    except BitstreamError:
                        break
                    if self._config_sizes and (s.width, s.height) not in self._config_sizes:
                        self._declined.note((*s.display_size, s.chroma_format_idc, s.bit_depth_luma), body)
                        break  # a picture size this track does not have: another track's parameter set
                    if sps_new is None:
                        sps_new, sps_map = {}, dict(sps_map)
                    sps_new[s.sps_id] = sps_map[s.sps_id] = s
                elif t == NAL_PPS:
                    try:
                        pp = self._in_band_pps(bytes(data[body:body + n]), sps_map)
                    except BitstreamError:
                        break
                    if pps_new is None:
                        pps_new, pps_map = {}, dict(pps_map)
                    pps_new[pp.pps_id] = pps_map[pp.pps_id] = pp
                elif t == NAL_SEI:
                    if ref_idc != 0:
                        break
                    if not recovery:
                        recovery = sei_has_recovery_point(unescape_rbsp(bytes(data[body + 1:body + n])))
                elif t in (NAL_PREFIX, NAL_SUBSET_SPS):
                    layered = True
                elif t == NAL_AUD:
                    aud = True
            elif t == NAL_SPS_EXT:
                if not self._valid_sps_ext(data, body, n, sps_map):
                    break
            elif t in (NAL_END_SEQ, NAL_END_STREAM):
                if cur is None or n != 1 or ref_idc != 0:
                    break
            elif t == NAL_FILLER:
                if cur is None or ref_idc != 0 or not _is_filler(data, body, n):
                    break
            elif t in (NAL_DPB, NAL_DPC):
                if not partition_a:
                    break
            elif t == NAL_AUX_SLICE:
                if cur is None or not self.aux_pictures:
                    break
            elif t in (NAL_SLICE_EXT, NAL_SLICE_EXT_3D):
                if cur is None or not layered:
                    break
                pending_prefix = -1
            elif t in self.extra_types:  # reserved or unspecified, shown by the reference: after the picture
                if cur is None or pending_prefix >= 0 or data[body + n - 1] == 0:
                    break  # (the last byte of a NAL unit is never 0: all there is to check)
                extra = True
            else:  # 0, 22, 23 and 24..31: reserved or unspecified
                break
            p = body + n
            if cur is not None and pending_prefix < 0:
                stop = p
        if cur is None:
            return None
        au = AvcAccessUnit(pictures, intra, recovery, slices, aud, sps_new, pps_new)
        return SampleMatch(stop - pos, key_by_rule(self.key_rule, au), info=au)

    def _continues(self, data, body: int, end: int, cur: SliceHeader, pictures, sps_map, pps_map) -> bool:
        """A NAL unit starting at ``body`` runs past ``end``: is it more of the current access unit?"""
        if body >= end:
            return self.multi_slice
        hdr = data[body]
        t = hdr & 0x1F
        if hdr & 0x80:
            return False
        if t in (NAL_DPB, NAL_DPC):
            return any(h.nal_type == NAL_DPA for h in pictures)
        if t in (NAL_SLICE_EXT, NAL_SLICE_EXT_3D):
            return self.layered
        if t == NAL_AUX_SLICE:
            return self.aux_pictures
        if t == NAL_FILLER:  # more filler of this sample, if what is there is all 0xFF
            return hdr >> 5 == 0 and all_bytes(data, body + 1, end, 0xFF)
        if t in self.extra_types:
            return True
        if t not in VCL_TYPES:
            return False
        try:
            sh = parse_slice_header(unescape_rbsp(bytes(data[body + 1:min(end, body + 4096)])), t, hdr >> 5,
                                    sps_map, pps_map, partial=True)
        except BitstreamError:
            # cannot tell: complete, unless the stream is known to code pictures in several slices
            return self.multi_slice
        if sh.redundant_pic_cnt or not new_picture(cur, sh):
            return True
        return self.pair_fields and len(pictures) == 1 and complementary_field(cur, sh)

    def _valid_sps_ext(self, data, body: int, n: int, sps_map) -> bool:
        """seq_parameter_set_extension_rbsp() (7.3.2.1.2), checked whole."""
        if n > PARAMETER_SET_MAX:
            return False
        try:
            r = BitReader(unescape_rbsp(bytes(data[body + 1:body + n])))
            if r.ue() not in sps_map:
                return False
            aux = r.ue()
            if aux > 3:
                return False
            if aux:
                depth = r.ue() + 9
                if depth > 12:
                    return False
                r.skip(1 + 2 * depth)
            r.skip(1)
            return r.read_bit() == 1 and not r.more_rbsp_data() and r.peek(r.bits_left) == 0
        except BitstreamError:
            return False

    def accept(self, match: SampleMatch) -> bool:
        """Adopt the in-band parameter sets of a kept sample; True when one differs from what was known."""
        au = match.info
        if not isinstance(au, AvcAccessUnit):
            return False
        changed = False
        for name, updates in (("sps", au.sps_updates), ("pps", au.pps_updates)):
            if not updates:
                continue
            known = getattr(self, name)
            new = {k: v for k, v in updates.items() if k not in known or known[k].raw != v.raw}
            if new:
                setattr(self, name, {**known, **new})
                changed = True
        return changed

    def picture_formats(self) -> set[tuple[int, int, int, int]]:
        return {(*s.display_size, s.chroma_format_idc, s.bit_depth_luma) for s in self.sps.values()}

    def declined_formats(self) -> set[tuple[int, int, int, int]]:
        return self._declined.repeated()

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        ls = self.length_size
        start = max(int(start), 0)
        data_end = len(arr)  # a NAL unit that starts before ``end`` may run on to the end of the data
        end = min(int(end), data_end)
        out = []
        b = start
        while b < end:
            e = min(end, b + self.block_size)
            # positions p in [b, e) with the header byte at p + ls inside the data
            last = min(e, data_end - ls)
            if last <= b:
                break
            top_max = (data_end - b) >> (8 * (ls - 1))  # the length's first byte can be no more than this
            if ls > 1 and top_max < 64:
                # first cut on the length's top byte (one cheap compare), then the NAL header byte
                idx = np.flatnonzero(arr[b:last] <= top_max).astype(np.int64) + b
                idx = idx[_START_LUT[arr[idx + ls]]]
            else:
                idx = np.flatnonzero(_START_LUT[arr[b + ls:last + ls]]).astype(np.int64) + b
            if idx.size:
                length = np.zeros(idx.size, dtype=np.int64)
                for k in range(ls):
                    length = (length << 8) | arr[idx + k].astype(np.int64)
                ok = (length >= 2) & (idx + ls + length <= data_end)
                out.append(idx[ok])
            b = e
        if not out:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(out)

    def fact_state(self) -> "_AvcFacts":
        return _AvcFacts()

    def order_from_facts(self, facts: np.ndarray) -> np.ndarray | None:
        """Presentation position of each sample (decode order in, frames counted from 0), or None.

        Picture order counts follow 8.2.1; they restart at every IDR picture or memory_management_control_
        operation 5. Each such period is placed after the samples of the previous one, and inside a period a
        sample's position is (POC - smallest POC of the period) / step, step being the POC distance of two
        consecutive frames (the gcd of POC differences, combined with the one learned from the reference).
        This arithmetic keeps a picture's time right when pictures displayed before it are missing (a cut
        file); a period whose POCs are not evenly spaced falls back to ranks. Facts of samples without picture
        facts (period -1) leave the order unknown: None.
        """
        facts = np.asarray(facts, dtype=np.int64).reshape(-1, 2)
        if len(facts) == 0 or (facts[:, 0] < 0).any():
            return None
        pos = presentation_positions_from_facts(facts, self.poc_step)
        if np.array_equal(pos, np.arange(len(facts))):
            return None
        return pos

    # -- learning from the reference --

    def learn_reference(self, data, offsets: np.ndarray, sizes: np.ndarray,
                        keyframes: np.ndarray | None = None) -> int:
        """Measure the reference's samples and learn how this stream is laid out and flagged.

        Learns: whether a sample holds a complementary field pair, which pictures the muxer flags as sync
        samples (``key_rule``; ``keyframes`` None means every sample is one), the POC step, whether pictures
        come in several slices, whether every sample has an access unit delimiter, and whether slices come in
        arbitrary order. In-band parameter sets of the reference are adopted. Returns how many samples were
        measured exactly.
        """
        offsets = np.asarray(offsets).tolist()
        sizes = np.asarray(sizes).tolist()
        base_sps, base_pps = dict(self.sps), dict(self.pps)
        self.aso, self.aud_always, self.idr_only = True, False, False  # measure without what is learned below
        self.wrapped = _wraps_annexb(data, offsets[:8], sizes[:8], self.length_size)
        extra, always = _trailing_types(data, offsets, sizes, self.length_size, self.wrapped)
        self.extra_types = self.extra_types | extra
        self.extra_always = False

        def run() -> tuple[int, list[tuple[int, AvcAccessUnit | None]], bool]:
            self.sps, self.pps = dict(base_sps), dict(base_pps)
            good, units, fields = 0, [], False
            for i, (off, size) in enumerate(zip(offsets, sizes)):
                m = self.match(data, off, off + size)
                if m is not None:
                    self.accept(m)
                    fields = fields or any(h.field_pic for h in m.info.pictures)
                if m is not None and m.size == size:
                    good += 1
                    units.append((i, m.info))
                else:
                    units.append((i, None))
            return good, units, fields

        good, units, fields = run()
        if fields:
            self.pair_fields = not self.pair_fields
            good2, units2, _ = run()
            if good2 > good:
                good, units = good2, units2
            else:
                self.pair_fields = not self.pair_fields
                run()
        known = [(i, au) for i, au in units if au is not None]
        if known:
            flags = [True] * len(offsets) if keyframes is None else [bool(k) for k in np.asarray(keyframes)]
            best, best_score = self.key_rule, -1
            for rule in KEY_RULES:
                score = sum(key_by_rule(rule, au) == flags[i] for i, au in known if i < len(flags))
                if score > best_score:
                    best, best_score = rule, score
            self.key_rule = best
            self.multi_slice = any(au.slices > len(au.pictures) for _, au in known)
            self.aud_always = all(au.aud for _, au in known) and len(known) == len(offsets)
            self.aso = self._aso_by_profile or any(au.pictures[0].first_mb != 0 for _, au in known)
            self.extra_always = always and len(known) == len(offsets)
            self.idr_only = len(known) >= 2 and len(known) == len(offsets) and all(au.idr for _, au in known)
            # the POC step, from the runs of consecutive measured samples
            runs, current = [], []
            for i, au in units:
                if au is None:
                    if current:
                        runs.append(current)
                    current = []
                else:
                    current.append(au)
            if current:
                runs.append(current)
            step = 0
            for seq in runs:
                pocs = picture_order_counts(seq)
                starts = [i for i, au in enumerate(seq) if i == 0 or au.resets] + [len(seq)]
                for a, b in zip(starts, starts[1:]):
                    low = min(pocs[a:b])
                    for v in pocs[a:b]:
                        step = gcd(step, v - low)
            self.poc_step = step
        else:
            self.aso = self._aso_by_profile
        return good

    def clone(self) -> "AvcMatcher":
        """A fresh matcher (parameter sets from avcC only) that keeps what learn_reference learned."""
        other = type(self)(self.track)
        for name in ("key_rule", "pair_fields", "poc_step", "multi_slice", "aso", "aud_always", "wrapped",
                     "extra_types", "extra_always", "idr_only"):
            setattr(other, name, getattr(self, name))
        return other

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """How many of the given reference samples are measured exactly; also learns from them
        (see ``learn_reference``), using the track's sync-sample table for the keyframe rule."""
        keyframes = None
        kf = self.track.keyframes
        if kf is not None:
            index = {int(o): i for i, o in enumerate(np.asarray(self.track.offsets).tolist())}
            keyframes = np.array([bool(kf[index[int(o)]]) if int(o) in index and index[int(o)] < len(kf) else False
                                  for o in np.asarray(offsets).tolist()], dtype=bool)
        return self.learn_reference(data, offsets, sizes, keyframes)


def annexb_nal_units(unit: bytes) -> list[bytes]:
    """The NAL units of a byte stream (Annex B) held in ``unit``: what precedes the first start code, then what
    follows each start code, without the zero bytes before a start code (zero_byte, trailing_zero_8bits)."""
    out = []
    start = 0
    while True:
        sc = unit.find(b"\x00\x00\x01", start)
        nal = unit[start:sc if sc >= 0 else len(unit)].rstrip(b"\x00")
        if nal:
            out.append(nal)
        if sc < 0:
            return out
        start = sc + 3


def _trailing_types(data, offsets: list[int], sizes: list[int], ls: int, wrapped: bool) -> tuple[frozenset[int], bool]:
    """The unspecified / reserved NAL unit types (``UNCHECKED_TYPES``) the reference's samples carry after their
    first VCL NAL unit, and whether every sample carries one there."""
    found: set[int] = set()
    every = bool(offsets)
    for off, size in zip(offsets, sizes):
        p, end = off, off + size
        nals = []
        while p + ls < end:
            n = read_length(data, p, ls)
            if n < 1 or p + ls + n > end:
                break
            unit = bytes(data[p + ls:p + ls + n])
            nals.extend(annexb_nal_units(unit) if wrapped else [unit])
            p += ls + n
        seen_vcl = here = False
        for nal in nals:
            t = nal[0] & 0x1F
            if seen_vcl and t in UNCHECKED_TYPES and not nal[0] & 0x80:
                found.add(t)
                here = True
            seen_vcl = seen_vcl or t in VCL_TYPES
        every = every and here
    return frozenset(found), every


def _wraps_annexb(data, offsets: list[int], sizes: list[int], ls: int) -> bool:
    """Whether the reference's samples are single length-prefixed units holding start codes: a conforming NAL
    unit never holds 00 00 01 (emulation prevention), so one that does holds several NAL units."""
    hits = 0
    for off, size in zip(offsets, sizes):
        if size <= ls:
            continue
        n = read_length(data, off, ls)
        if n + ls != size or find_bytes(data, b"\x00\x00\x01", off + ls, off + size) < 0:
            return False
        hits += 1
    return hits > 0


class _AvcFacts:
    """The timing facts of an H.264 track's samples, pushed in decode order: (POC period, POC)."""

    def __init__(self) -> None:
        self._poc = PocState()

    def push(self, match: SampleMatch) -> tuple[int, int]:
        if not isinstance(match.info, AvcAccessUnit):
            return -1, 0
        return self._poc.push(match.info)


def _is_filler(data, body: int, n: int) -> bool:
    """filler_data_rbsp(): 0xFF bytes then the trailing bits (7.3.2.7)."""
    # the bytes from the start first: junk fails there, without a look at the far end
    return n >= 2 and all_bytes(data, body + 1, body + n - 1, 0xFF) and data[body + n - 1] == 0x80
