"""HEVC / H.265 in MP4 and MOV ('hvc1', 'hev1'): exact access-unit lengths from the NAL unit stream.

Written from ITU-T H.265 (clause 7.3 syntax, 7.4.2.4.4 order of NAL units and access-unit boundaries,
8.3.1 picture order count) and ISO/IEC 14496-15 (HEVCDecoderConfigurationRecord, the 'hvcC' box).

A sample of an HEVC track is one access unit stored as length-prefixed NAL units. ``HevcMatcher.match``
walks those NAL units and stops where the spec says the next access unit starts, or before the first bytes
that cannot be a NAL unit of this stream: the forbidden bit, a layer this stream does not have, a length
that runs past the data, a parameter set id nobody defined, a slice segment header that does not parse to
its ``byte_alignment()``, or a NAL unit type that cannot stand where it stands. Parameter sets come from the
hvcC record and from the stream itself ('hev1', or headers repeated at every key frame): those met inside a
sample are used for that sample at once and kept for later samples when the scanner keeps the sample
(``accept``). Each match carries an ``HevcPicture`` with what picture order counts need, from which
``presentation_order`` rebuilds the composition order (clause 8.3.1) of a whole track.

Keyframes: every IRAP picture by default (what ffmpeg's mp4 muxer marks for libx265, CRA included);
``check_reference`` / ``learn_keyframe_rule`` switch to "IDR/BLA only" or "IRAP + all-intra" when the
reference's stss says so, and ``clone`` hands what was learned to a fresh matcher. ``candidates`` is the
numpy prefilter for resynchronisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from mp4fix.bitreader import BitReader
from mp4fix.codecs.base import DeclinedFormats, Matcher, SampleMatch, register
from mp4fix.codecs.nal import (PARAMETER_SET_MAX, SEI_MAX, ParameterSetMemo, all_bytes, level_limit, nal_limit,
                                poc_msb, read_length, sei_messages, unescape_rbsp)
from mp4fix.errors import BitstreamEnd, BitstreamError, MismatchError
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

# --- NAL unit types (H.265 Table 7-1) ------------------------------------------------------------------

TRAIL_N, TRAIL_R, TSA_N, TSA_R, STSA_N, STSA_R, RADL_N, RADL_R, RASL_N, RASL_R = range(10)
BLA_W_LP, BLA_W_RADL, BLA_N_LP, IDR_W_RADL, IDR_N_LP, CRA_NUT = range(16, 22)
VPS_NUT, SPS_NUT, PPS_NUT, AUD_NUT, EOS_NUT, EOB_NUT, FD_NUT, PREFIX_SEI, SUFFIX_SEI = range(32, 41)

#: VCL NAL unit types a conforming stream uses (the others are reserved)
VCL_TYPES = frozenset(range(0, 10)) | frozenset(range(16, 22))
#: non-VCL types that, with nuh_layer_id 0, open an access unit when they follow its last VCL NAL unit
PREFIX_TYPES = frozenset({VPS_NUT, SPS_NUT, PPS_NUT, PREFIX_SEI, 41, 42, 43, 44}) | frozenset(range(48, 56))
#: non-VCL types that may only follow the first VCL NAL unit of their access unit (EOS/EOB apart)
SUFFIX_TYPES = frozenset({SUFFIX_SEI, FD_NUT, 45, 46, 47}) | frozenset(range(56, 64))
#: reserved / unspecified suffix types: their payload cannot be checked, so after a picture they are taken only
#: when the reference showed them (Dolby Vision RPU and enhancement layer use 62 and 63)
UNCHECKED_SUFFIX = frozenset({45, 46, 47}) | frozenset(range(56, 64))
#: NAL unit types taken from layers other than the base layer (with the types the reference showed)
OTHER_LAYER_TYPES = VCL_TYPES | frozenset(range(VPS_NUT, SUFFIX_SEI + 1)) | frozenset(range(48, 56))
#: types that can be the first NAL unit of an access unit (VCL ones only with first_slice_segment_in_pic_flag)
START_TYPES = PREFIX_TYPES | {AUD_NUT} | VCL_TYPES

_SLNR = frozenset({TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N, 10, 12, 14})  # sub-layer non-reference pictures
_IDR = (IDR_W_RADL, IDR_N_LP)
_B, _P, _I = 0, 1, 2

#: keyframe rules a reference can teach (see ``HevcMatcher.learn_keyframe_rule``)
KEYFRAME_RULES = ("irap", "idr", "intra")

_HEADER_PREFIX = 96  # bytes of a slice NAL unit unescaped for its header first (all of it when short)
CUT_NAL_MAX = 64 << 20  # a NAL unit cut by the end of the data is believed up to this length
_HEADER_MAX = 1 << 15  # no slice segment header is longer (entry points of 5400 substreams at 32 bits: 21 KiB)
_PS_MAX = PARAMETER_SET_MAX  # nor a parameter set (hvcC stores them with 16-bit lengths)
_SEI_MAX = SEI_MAX  # SEI NAL units longer than this are not believed
_CANDIDATE_BLOCK = 1 << 22  # bytes examined at once by ``candidates`` (bounds its memory)


def _ceil_log2(x: int) -> int:
    return (x - 1).bit_length() if x > 1 else 0


def _fail(what: str):
    raise BitstreamError(what)


def _ue(r: BitReader) -> int:
    """ue(v) (9.2) with one look at the next 32 bits: the value and errors of ``BitReader.ue``, no bit loop."""
    v = r.peek(32)
    if v == 0:
        return r.ue()  # 32 leading zeros or the end of the data: the reader says which
    return r.read(2 * (32 - v.bit_length()) + 1) - 1


def _se(r: BitReader) -> int:
    k = _ue(r)
    return (k + 1) // 2 if k & 1 else -(k // 2)


# --- parameter sets ---------------------------------------------------------------------------------------


class Rps:
    """A short-term reference picture set (7.3.7 / 7.4.8): delta POCs and used flags, S0 then S1."""

    __slots__ = ("s0", "s1", "num_used")

    def __init__(self, s0: list[tuple[int, int]], s1: list[tuple[int, int]]):
        self.s0 = s0  # (DeltaPocS0, UsedByCurrPicS0), closest first
        self.s1 = s1
        self.num_used = sum(u for _, u in s0) + sum(u for _, u in s1)


class Vps:
    __slots__ = ("vps_id", "max_layers", "max_sub_layers")

    def __init__(self, vps_id: int, max_layers: int, max_sub_layers: int):
        self.vps_id, self.max_layers, self.max_sub_layers = vps_id, max_layers, max_sub_layers


class Sps:
    """The fields of a sequence parameter set (7.3.2.2) that slice segment headers and POCs depend on."""

    __slots__ = ("sps_id", "vps_id", "max_sub_layers", "profile_idc", "level_idc", "chroma_format_idc",
                 "separate_colour_plane", "chroma_array_type", "width", "height", "conf_window",
                 "bit_depth_luma", "bit_depth_chroma", "log2_max_poc_lsb", "max_dec_pic_buffering",
                 "max_num_reorder", "log2_min_cb", "log2_ctb", "pic_width_ctbs", "pic_height_ctbs",
                 "pic_size_ctbs", "address_bits", "sao", "st_rps", "long_term", "lt_used", "temporal_mvp",
                 "mv_res_ctrl", "curr_pic_ref")

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height after the conformance window (7.4.3.2.1)."""
        sub_w = 2 if self.chroma_array_type in (1, 2) else 1
        sub_h = 2 if self.chroma_array_type == 1 else 1
        left, right, top, bottom = self.conf_window
        return self.width - sub_w * (left + right), self.height - sub_h * (top + bottom)


class Pps:
    """The fields of a picture parameter set (7.3.2.3) that slice segment headers depend on."""

    __slots__ = ("pps_id", "sps_id", "dependent_slices", "output_flag_present", "extra_bits",
                 "cabac_init_present", "l0_default", "l1_default", "init_qp", "slice_chroma_qp_offsets",
                 "weighted_pred", "weighted_bipred", "tiles", "entropy_sync", "tile_cols", "tile_rows",
                 "loop_filter_across_slices", "deblocking_override", "deblocking_disabled", "lists_mod",
                 "header_extension", "chroma_qp_offset_list", "curr_pic_ref", "slice_act_qp_offsets",
                 "complete")


def _profile_tier_level(r: BitReader, max_sub_layers_minus1: int) -> tuple[int, int]:
    """7.3.3 with profilePresentFlag = 1; returns (general_profile_idc, general_level_idc)."""
    r.skip(3)  # general_profile_space, general_tier_flag
    profile_idc = r.read(5)
    r.skip(32 + 4 + 43 + 1)  # compatibility flags, source flags, constraint flags, inbld/reserved
    level_idc = r.read(8)
    flags = [(r.read_bit(), r.read_bit()) for _n in range(max_sub_layers_minus1)]
    if max_sub_layers_minus1 > 0:
        r.skip(2 * (8 - max_sub_layers_minus1))
    for profile_present, level_present in flags:
        if profile_present:
            r.skip(88)
        if level_present:
            r.skip(8)
    return profile_idc, level_idc


def _scaling_list_data(r: BitReader) -> None:
    """7.3.4: skipped, only its length matters."""
    for size_id in range(4):
        for _n in range(0, 6, 3 if size_id == 3 else 1):
            if not r.read_bit():  # scaling_list_pred_mode_flag
                if _ue(r) > 5:  # scaling_list_pred_matrix_id_delta
                    _fail("scaling_list_pred_matrix_id_delta")
            else:
                if size_id > 1:
                    _se(r)  # scaling_list_dc_coef_minus8
                for _n in range(min(64, 1 << (4 + (size_id << 1)))):
                    _se(r)  # scaling_list_delta_coef


def _st_ref_pic_set(r: BitReader, idx: int, num_sets: int, sets: list[Rps], max_pics: int) -> Rps:
    """st_ref_pic_set(stRpsIdx) (7.3.7) and its derivation (7.4.8), including inter-RPS prediction."""
    inter = r.read_bit() if idx != 0 else 0
    if inter:
        delta_idx = _ue(r) + 1 if idx == num_sets else 1
        ref_idx = idx - delta_idx
        if ref_idx < 0:
            _fail("delta_idx_minus1")
        sign = r.read_bit()
        abs_delta = _ue(r) + 1
        if abs_delta > 1 << 15:
            _fail("abs_delta_rps_minus1")
        delta_rps = -abs_delta if sign else abs_delta
        ref = sets[ref_idx]
        n0, n1 = len(ref.s0), len(ref.s1)
        used, use_delta = [], []
        for _n in range(n0 + n1 + 1):
            u = r.read_bit()
            used.append(u)
            use_delta.append(1 if u else r.read_bit())
        s0: list[tuple[int, int]] = []
        for j in range(n1 - 1, -1, -1):
            d = ref.s1[j][0] + delta_rps
            if d < 0 and use_delta[n0 + j]:
                s0.append((d, used[n0 + j]))
        if delta_rps < 0 and use_delta[n0 + n1]:
            s0.append((delta_rps, used[n0 + n1]))
        for j in range(n0):
            d = ref.s0[j][0] + delta_rps
            if d < 0 and use_delta[j]:
                s0.append((d, used[j]))
        s1: list[tuple[int, int]] = []
        for j in range(n0 - 1, -1, -1):
            d = ref.s0[j][0] + delta_rps
            if d > 0 and use_delta[j]:
                s1.append((d, used[j]))
        if delta_rps > 0 and use_delta[n0 + n1]:
            s1.append((delta_rps, used[n0 + n1]))
        for j in range(n1):
            d = ref.s1[j][0] + delta_rps
            if d > 0 and use_delta[n0 + j]:
                s1.append((d, used[n0 + j]))
    else:
        num_negative = _ue(r)
        num_positive = _ue(r)
        if num_negative > max_pics or num_positive > max_pics - num_negative:
            _fail("num_negative_pics/num_positive_pics")
        s0, s1, poc = [], [], 0
        for _n in range(num_negative):
            poc -= _ue(r) + 1
            s0.append((poc, r.read_bit()))
        poc = 0
        for _n in range(num_positive):
            poc += _ue(r) + 1
            s1.append((poc, r.read_bit()))
    if len(s0) + len(s1) > max_pics:
        _fail("reference picture set larger than the decoded picture buffer")
    return Rps(s0, s1)


def _hrd_parameters(r: BitReader, common: bool, max_sub_layers_minus1: int) -> None:
    """E.2.2, skipped."""
    nal = vcl = sub_pic = 0
    if common:
        nal, vcl = r.read_bit(), r.read_bit()
        if nal or vcl:
            sub_pic = r.read_bit()
            if sub_pic:
                r.skip(8 + 5 + 1 + 5)
            r.skip(8)  # bit_rate_scale, cpb_size_scale
            if sub_pic:
                r.skip(4)
            r.skip(15)
    for _n in range(max_sub_layers_minus1 + 1):
        fixed_general = r.read_bit()
        fixed_within_cvs = 1 if fixed_general else r.read_bit()
        low_delay = 0
        if fixed_within_cvs:
            _ue(r)  # elemental_duration_in_tc_minus1
        else:
            low_delay = r.read_bit()
        cpb_cnt = 1
        if not low_delay:
            cpb_cnt = _ue(r) + 1
            if cpb_cnt > 32:
                _fail("cpb_cnt_minus1")
        for present in (nal, vcl):
            if present:
                for _n in range(cpb_cnt):
                    _ue(r)
                    _ue(r)
                    if sub_pic:
                        _ue(r)
                        _ue(r)
                    r.skip(1)


def _vui_parameters(r: BitReader, max_sub_layers_minus1: int) -> None:
    """E.2.1, skipped."""
    if r.read_bit():  # aspect_ratio_info_present_flag
        if r.read(8) == 255:
            r.skip(32)
    if r.read_bit():  # overscan_info_present_flag
        r.skip(1)
    if r.read_bit():  # video_signal_type_present_flag
        r.skip(4)
        if r.read_bit():
            r.skip(24)
    if r.read_bit():  # chroma_loc_info_present_flag
        _ue(r)
        _ue(r)
    r.skip(3)  # neutral_chroma_indication, field_seq, frame_field_info_present
    if r.read_bit():  # default_display_window_flag
        for _n in range(4):
            _ue(r)
    if r.read_bit():  # vui_timing_info_present_flag
        r.skip(64)
        if r.read_bit():
            _ue(r)
        if r.read_bit():
            _hrd_parameters(r, True, max_sub_layers_minus1)
    if r.read_bit():  # bitstream_restriction_flag
        r.skip(3)
        for _n in range(5):
            _ue(r)


def parse_vps(rbsp: bytes) -> Vps:
    """video_parameter_set_rbsp (7.3.2.1), its first fields. ``rbsp`` starts after the NAL unit header."""
    r = BitReader(rbsp)
    vps_id = r.read(4)
    r.skip(2)  # vps_base_layer_internal_flag, vps_base_layer_available_flag
    max_layers = r.read(6) + 1
    max_sub_layers = r.read(3) + 1
    r.skip(1)
    if r.read(16) != 0xFFFF or max_sub_layers > 7:
        _fail("not a video parameter set")
    return Vps(vps_id, max_layers, max_sub_layers)


def parse_sps(rbsp: bytes) -> Sps:
    """seq_parameter_set_rbsp (7.3.2.2) of the base layer. ``rbsp`` starts after the NAL unit header."""
    r = BitReader(rbsp)
    s = Sps()
    s.vps_id = r.read(4)
    max_sub_minus1 = r.read(3)
    if max_sub_minus1 > 6:
        _fail("sps_max_sub_layers_minus1")
    s.max_sub_layers = max_sub_minus1 + 1
    r.skip(1)
    s.profile_idc, s.level_idc = _profile_tier_level(r, max_sub_minus1)
    s.sps_id = _ue(r)
    s.chroma_format_idc = _ue(r)
    if s.sps_id > 15 or s.chroma_format_idc > 3:
        _fail("sps_seq_parameter_set_id/chroma_format_idc")
    s.separate_colour_plane = r.read_bit() if s.chroma_format_idc == 3 else 0
    s.chroma_array_type = 0 if s.separate_colour_plane else s.chroma_format_idc
    s.width, s.height = _ue(r), _ue(r)
    s.conf_window = (_ue(r), _ue(r), _ue(r), _ue(r)) if r.read_bit() else (0, 0, 0, 0)
    s.bit_depth_luma, s.bit_depth_chroma = _ue(r) + 8, _ue(r) + 8
    s.log2_max_poc_lsb = _ue(r) + 4
    if s.bit_depth_luma > 16 or s.bit_depth_chroma > 16 or s.log2_max_poc_lsb > 16:
        _fail("bit depth / log2_max_pic_order_cnt_lsb_minus4")
    ordering_info = r.read_bit()
    dec, reorder = [], []
    for _n in range(0 if ordering_info else max_sub_minus1, max_sub_minus1 + 1):
        d, n = _ue(r) + 1, _ue(r)
        _ue(r)  # sps_max_latency_increase_plus1
        if d > 16 or n > d - 1:
            _fail("sps_max_dec_pic_buffering_minus1/sps_max_num_reorder_pics")
        dec.append(d)
        reorder.append(n)
    s.max_dec_pic_buffering, s.max_num_reorder = dec[-1], reorder[-1]
    s.log2_min_cb = _ue(r) + 3
    s.log2_ctb = s.log2_min_cb + _ue(r)
    log2_min_tb = _ue(r) + 2
    log2_max_tb = log2_min_tb + _ue(r)
    if s.log2_ctb > 6 or log2_min_tb >= s.log2_min_cb or log2_max_tb > min(s.log2_ctb, 5):
        _fail("coding/transform block sizes")
    min_cb = 1 << s.log2_min_cb
    if s.width == 0 or s.height == 0 or s.width % min_cb or s.height % min_cb:
        _fail("picture size")
    ctb = 1 << s.log2_ctb
    s.pic_width_ctbs = -(-s.width // ctb)
    s.pic_height_ctbs = -(-s.height // ctb)
    s.pic_size_ctbs = s.pic_width_ctbs * s.pic_height_ctbs
    s.address_bits = _ceil_log2(s.pic_size_ctbs)
    _ue(r)  # max_transform_hierarchy_depth_inter
    _ue(r)  # max_transform_hierarchy_depth_intra
    if r.read_bit() and r.read_bit():  # scaling_list_enabled_flag, sps_scaling_list_data_present_flag
        _scaling_list_data(r)
    r.skip(1)  # amp_enabled_flag
    s.sao = r.read_bit()
    if r.read_bit():  # pcm_enabled_flag
        r.skip(8)
        _ue(r)
        _ue(r)
        r.skip(1)
    num_sets = _ue(r)
    if num_sets > 64:
        _fail("num_short_term_ref_pic_sets")
    s.st_rps = []
    for i in range(num_sets):
        s.st_rps.append(_st_ref_pic_set(r, i, num_sets, s.st_rps, s.max_dec_pic_buffering - 1))
    s.long_term = r.read_bit()
    s.lt_used = []
    if s.long_term:
        n = _ue(r)
        if n > 32:
            _fail("num_long_term_ref_pics_sps")
        for _n in range(n):
            r.skip(s.log2_max_poc_lsb)
            s.lt_used.append(r.read_bit())
    s.temporal_mvp = r.read_bit()
    r.skip(1)  # strong_intra_smoothing_enabled_flag
    # What follows changes the slice header only for screen-content coding: read it, never fail on it.
    s.mv_res_ctrl = s.curr_pic_ref = 0
    try:
        if r.read_bit():
            _vui_parameters(r, max_sub_minus1)
        if r.read_bit():  # sps_extension_present_flag
            range_ext, multilayer, ext_3d, scc = r.read_bit(), r.read_bit(), r.read_bit(), r.read_bit()
            r.skip(4)
            if range_ext:
                r.skip(9)
            if multilayer:
                r.skip(1)
            if scc and not ext_3d:
                s.curr_pic_ref = r.read_bit()
                if r.read_bit():  # palette_mode_enabled_flag
                    _ue(r)
                    _ue(r)
                    if r.read_bit():
                        count = _ue(r) + 1
                        comps = 1 if s.chroma_format_idc == 0 else 3
                        for c in range(comps):
                            r.skip(count * (s.bit_depth_luma if c == 0 else s.bit_depth_chroma))
                s.mv_res_ctrl = r.read(2)
    except BitstreamError:
        pass
    return s


def parse_pps(rbsp: bytes) -> Pps:
    """pic_parameter_set_rbsp (7.3.2.3). ``rbsp`` starts after the NAL unit header."""
    r = BitReader(rbsp)
    p = Pps()
    p.pps_id, p.sps_id = _ue(r), _ue(r)
    if p.pps_id > 63 or p.sps_id > 15:
        _fail("pps_pic_parameter_set_id/pps_seq_parameter_set_id")
    p.dependent_slices = r.read_bit()
    p.output_flag_present = r.read_bit()
    p.extra_bits = r.read(3)
    r.skip(1)  # sign_data_hiding_enabled_flag
    p.cabac_init_present = r.read_bit()
    p.l0_default, p.l1_default = _ue(r), _ue(r)
    p.init_qp = 26 + _se(r)
    if p.l0_default > 14 or p.l1_default > 14 or not -48 <= p.init_qp <= 51:
        _fail("num_ref_idx_default_active/init_qp")
    r.skip(1)  # constrained_intra_pred_flag
    transform_skip = r.read_bit()
    if r.read_bit():  # cu_qp_delta_enabled_flag
        if _ue(r) > 3:
            _fail("diff_cu_qp_delta_depth")
    cb, cr = _se(r), _se(r)
    if not (-12 <= cb <= 12 and -12 <= cr <= 12):
        _fail("pps_cb_qp_offset/pps_cr_qp_offset")
    p.slice_chroma_qp_offsets = r.read_bit()
    p.weighted_pred, p.weighted_bipred = r.read_bit(), r.read_bit()
    r.skip(1)  # transquant_bypass_enabled_flag
    p.tiles, p.entropy_sync = r.read_bit(), r.read_bit()
    p.tile_cols = p.tile_rows = 1
    if p.tiles:
        p.tile_cols, p.tile_rows = _ue(r) + 1, _ue(r) + 1
        if p.tile_cols > 64 or p.tile_rows > 64:
            _fail("num_tile_columns/rows")
        if not r.read_bit():  # uniform_spacing_flag
            for _n in range(p.tile_cols - 1 + p.tile_rows - 1):
                _ue(r)
        r.skip(1)  # loop_filter_across_tiles_enabled_flag
    p.loop_filter_across_slices = r.read_bit()
    p.deblocking_override = p.deblocking_disabled = 0
    if r.read_bit():  # deblocking_filter_control_present_flag
        p.deblocking_override = r.read_bit()
        p.deblocking_disabled = r.read_bit()
        if not p.deblocking_disabled:
            if not (-6 <= _se(r) <= 6 and -6 <= _se(r) <= 6):
                _fail("pps_beta_offset_div2/pps_tc_offset_div2")
    if r.read_bit():  # pps_scaling_list_data_present_flag
        _scaling_list_data(r)
    p.lists_mod = r.read_bit()
    if _ue(r) > 4:  # log2_parallel_merge_level_minus2
        _fail("log2_parallel_merge_level_minus2")
    p.header_extension = r.read_bit()
    p.chroma_qp_offset_list = p.curr_pic_ref = p.slice_act_qp_offsets = 0
    p.complete = True
    if r.read_bit():  # pps_extension_present_flag
        range_ext, multilayer, ext_3d, scc = r.read_bit(), r.read_bit(), r.read_bit(), r.read_bit()
        r.skip(4)
        if range_ext:
            if transform_skip:
                _ue(r)  # log2_max_transform_skip_block_size_minus2
            r.skip(1)  # cross_component_prediction_enabled_flag
            p.chroma_qp_offset_list = r.read_bit()
            if p.chroma_qp_offset_list:
                _ue(r)
                n = _ue(r) + 1
                if n > 6:
                    _fail("chroma_qp_offset_list_len_minus1")
                for _n in range(2 * n):
                    _se(r)
            _ue(r)
            _ue(r)
        if scc:
            if multilayer or ext_3d:
                p.complete = False  # the SCC fields sit behind extensions not parsed here
            else:
                p.curr_pic_ref = r.read_bit()
                if r.read_bit():  # residual_adaptive_colour_transform_enabled_flag
                    p.slice_act_qp_offsets = r.read_bit()
    return p


# --- what a match tells about its picture -------------------------------------------------------------------


@dataclass(slots=True)
class HevcPicture:
    """Facts about the base-layer picture of one access unit, for keyframe rules and picture order counts."""

    nal_type: int
    temporal_id: int
    poc_lsb: int  # slice_pic_order_cnt_lsb (0 for IDR pictures)
    max_poc_lsb: int  # MaxPicOrderCntLsb of the active SPS
    intra: bool  # every slice is an I slice
    output: bool  # pic_output_flag
    eos: bool  # the access unit ends with an end of sequence or end of bitstream NAL unit
    params: tuple | None = None  # in-band parameter sets parsed in this sample, adopted by ``accept``

    @property
    def irap(self) -> bool:
        return 16 <= self.nal_type <= 23


class _Picture:
    """The picture being read inside ``match``: what later slice segments must agree with."""

    __slots__ = ("nal_type", "tid", "pps_id", "pps", "sps", "poc_lsb", "output", "intra", "last_address")


class PocState:
    """PicOrderCntVal (8.3.1) of pictures pushed in decode order, one at a time, with the index of the POC period
    each opens or is in. A period starts at an IRAP picture with NoRaslOutputFlag = 1 (IDR, BLA, the first
    picture, a CRA after an end of sequence), where PicOrderCntMsb restarts at 0. A sample without facts
    (``None``) gets period -1: its position is its decode index."""

    __slots__ = ("period", "prev_tid0", "start_next")

    def __init__(self) -> None:
        self.period = -1
        self.prev_tid0 = 0
        self.start_next = True

    def push(self, info: HevcPicture | None) -> tuple[int, int]:
        if info is None:
            return -1, 0
        t = info.nal_type
        irap = 16 <= t <= 23
        lsb, max_lsb = info.poc_lsb, info.max_poc_lsb
        if self.start_next or (irap and t != CRA_NUT):
            self.period += 1  # NoRaslOutputFlag = 1: PicOrderCntMsb = 0
            poc = 0 if t in _IDR else lsb
        else:
            prev_lsb = self.prev_tid0 & (max_lsb - 1)
            prev_msb = self.prev_tid0 - prev_lsb
            poc = poc_msb(lsb, prev_lsb, prev_msb, max_lsb) + lsb
        if info.temporal_id == 0 and not (RADL_N <= t <= RASL_R) and t not in _SLNR:
            self.prev_tid0 = poc
        self.start_next = info.eos
        return self.period, poc


def picture_order_counts(infos: Sequence[HevcPicture | None]) -> tuple[list[int], list[int]]:
    """PicOrderCntVal of each picture in decode order (8.3.1) and the index of the POC period it opens or is in
    (see ``PocState``; ``None`` entries get POC 0 and the period before them)."""
    state = PocState()
    pocs: list[int] = []
    periods: list[int] = []
    for info in infos:
        period, poc = state.push(info)
        pocs.append(poc)
        periods.append(period if period >= 0 else max(state.period, 0))
    return pocs, periods


def presentation_positions_from_facts(facts: np.ndarray) -> np.ndarray:
    """Presentation position, in frames, of each picture given in decode order by its (period, POC) facts.

    POC periods are laid out one after the other: the period whose first picture has decode index d starts at
    base = max(d, end of the previous period) and its pictures take pos = base + (POC - lowest POC of the
    period) / step, step being the POC distance between consecutive frames (the gcd of the POC gaps: 1 for
    most encoders, 2 for some). A CRA inside a period (open GOP) does not restart it, so its leading pictures
    land before it. Positions come from POC values, never from counts of the frames present: a stream cut
    inside its last GOP keeps the presentation time of every frame it still has, and a frame lost inside a
    period leaves a gap instead of pulling later frames earlier. Samples without facts (period -1) keep their
    decode index.
    """
    n = len(facts)
    periods, pocs = facts[:, 0].tolist(), facts[:, 1].tolist()
    members: dict[int, list[int]] = {}  # period -> decode indices, in order
    for i, k in enumerate(periods):
        if k >= 0:
            members.setdefault(k, []).append(i)
    step = 0
    for idx in members.values():
        values = sorted({pocs[i] for i in idx})
        for a, b in zip(values, values[1:]):
            step = math.gcd(step, b - a)
    step = step or 1
    pos = np.arange(n, dtype=np.int64)
    next_free = 0
    for k in sorted(members, key=lambda k: members[k][0]):
        idx = members[k]
        low = min(pocs[i] for i in idx)
        base = max(idx[0], next_free)
        for i in idx:
            pos[i] = base + (pocs[i] - low) // step
        next_free = int(max(pos[i] for i in idx)) + 1
    return pos


class _HevcFacts:
    """The timing facts of an HEVC track's samples, pushed in decode order: (POC period, POC)."""

    def __init__(self) -> None:
        self._poc = PocState()

    def push(self, match: SampleMatch) -> tuple[int, int]:
        return self._poc.push(match.info if isinstance(match.info, HevcPicture) else None)


# --- the matcher ------------------------------------------------------------------------------------------------


@register
class HevcMatcher(Matcher):
    """Access units of an HEVC track, measured NAL unit by NAL unit."""

    fourccs = ("hvc1", "hev1", "dvh1", "dvhe")
    tails_are_samples = True

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        record = track.config.get("hvcC")
        if not record:
            raise MismatchError(_("The reference's HEVC track has no decoder configuration (hvcC)."),
                                detail=f"track {track.track_id}")
        self._ps_cache = ParameterSetMemo()  # parsed parameter sets by their bytes (bounded)
        self._vps: dict[int, Vps] = {}
        self._sps: dict[int, Sps] = {}
        self._pps: dict[int, Pps] = {}
        self._known_sei: set[bytes] = set()
        try:
            self._parse_hvcc(bytes(record))
        except (BitstreamError, IndexError, ValueError) as exc:
            raise MismatchError(_("The reference's HEVC decoder configuration (hvcC) does not parse."),
                                detail=str(exc)) from exc
        # nuh_layer_id > 0 only in layered streams (SHVC, MV-HEVC): otherwise it marks bytes as foreign
        self._max_layer = max([v.max_layers - 1 for v in self._vps.values()] + [0])
        if "lhvC" in track.config:
            self._max_layer = max(self._max_layer, 1)
        self._extra_types: set[int] = set(self._hvcc_types & UNCHECKED_SUFFIX)
        if any(box in track.config for box in ("dvcC", "dvvC", "dvwC")):
            self._extra_types |= {62, 63}  # Dolby Vision: RPU (62) and enhancement-layer (63) NAL units
        self.keyframe_rule = "irap"
        #: the picture sizes of the sample entry's SPSs: a track keeps one size, so an in-band SPS of another
        #: size begins a sample of another track (a Pixel motion photo's top shots: HEVC of another size)
        self._config_sizes = {(s.width, s.height) for s in self._sps.values()}
        self._declined = DeclinedFormats()  # in-band parameter sets of other sizes met (for the fit check)
        #: learned: every sample of the reference is an IRAP picture (a track of stills): so is every sample
        self.irap_only = False
        # the longest NAL unit believed: what the highest level of the stream's parameter sets allows
        limits = [level_limit("hevc", lv) for lv in [s.level_idc for s in self._sps.values()] + [self.level_idc]]
        self.max_nal = nal_limit(track, None if None in limits else max(limits))
        #: learned: the fewest NAL units the reference's access units have after their first slice segment
        #: (more slice segments, other layers, suffix units); tells a cut at a NAL unit boundary from the end
        self.trailing_min = 0

    # -- configuration ------------------------------------------------------------------------------------

    def _parse_hvcc(self, rec: bytes) -> None:
        """HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1)."""
        if len(rec) < 23:
            raise ValueError("hvcC shorter than 23 bytes")
        self.configuration_version = rec[0]
        self.profile_space = rec[1] >> 6
        self.tier = (rec[1] >> 5) & 1
        self.profile_idc = rec[1] & 0x1F
        self.profile_compatibility = int.from_bytes(rec[2:6], "big")
        self.constraint_flags = int.from_bytes(rec[6:12], "big")
        self.level_idc = rec[12]
        self.min_spatial_segmentation = int.from_bytes(rec[13:15], "big") & 0x0FFF
        self.parallelism_type = rec[15] & 3
        self.chroma_format = rec[16] & 3
        self.bit_depth_luma = (rec[17] & 7) + 8
        self.bit_depth_chroma = (rec[18] & 7) + 8
        self.avg_frame_rate = int.from_bytes(rec[19:21], "big")
        self.constant_frame_rate = rec[21] >> 6
        self.num_temporal_layers = (rec[21] >> 3) & 7
        self.temporal_id_nested = (rec[21] >> 2) & 1
        self.length_size = (rec[21] & 3) + 1
        if self.length_size == 3:
            raise ValueError("lengthSizeMinusOne = 2 is not allowed")
        pos = 23
        self._hvcc_types: set[int] = set()
        for _n in range(rec[22]):
            nal_type = rec[pos] & 0x3F
            self._hvcc_types.add(nal_type)
            count = int.from_bytes(rec[pos + 1:pos + 3], "big")
            pos += 3
            for _n in range(count):
                size = int.from_bytes(rec[pos:pos + 2], "big")
                nal = rec[pos + 2:pos + 2 + size]
                if len(nal) != size or size < 2:
                    raise ValueError("hvcC NAL unit array runs past the record")
                pos += 2 + size
                if nal_type in (VPS_NUT, SPS_NUT, PPS_NUT) and (nal[0] >> 1) & 0x3F == nal_type:
                    if ((nal[0] & 1) << 5) | (nal[1] >> 3):
                        continue  # parameter sets of other layers (layered streams) are not needed
                    ps = self._parse_ps(nal, nal_type)
                    if ps is None and nal_type == VPS_NUT and size > 2:
                        # slices never need the VPS: an odd one is kept as it is, and known by its bytes
                        ps = Vps(nal[2] >> 4, 1, 7)
                    if ps is None:
                        raise BitstreamError(f"hvcC parameter set of type {nal_type} does not parse")
                    self._ps_cache.pin(nal, ps)  # the sample entry's own sets are never forgotten
                    self._store(self._vps, self._sps, self._pps, nal_type, ps)
                elif nal_type in (PREFIX_SEI, SUFFIX_SEI):
                    self._known_sei.add(bytes(nal))

    def _parse_ps(self, nal: bytes, nal_type: int):
        """The parsed VPS/SPS/PPS of a whole NAL unit (header included), or None; remembered by its bytes."""
        nal = bytes(nal)
        if nal in self._ps_cache:
            return self._ps_cache[nal]
        parser = {VPS_NUT: parse_vps, SPS_NUT: parse_sps, PPS_NUT: parse_pps}[nal_type]
        try:
            ps = parser(unescape_rbsp(nal[2:]))
        except BitstreamError:
            ps = None
        self._ps_cache[nal] = ps
        return ps

    @staticmethod
    def _store(vps: dict, sps: dict, pps: dict, nal_type: int, ps) -> None:
        if nal_type == VPS_NUT:
            vps[ps.vps_id] = ps
        elif nal_type == SPS_NUT:
            sps[ps.sps_id] = ps
        else:
            pps[ps.pps_id] = ps

    @property
    def sps(self) -> Sps | None:
        """The first SPS known (for reports: size, bit depth)."""
        return next(iter(self._sps.values()), None)

    # -- access units -----------------------------------------------------------------------------------

    def cut_start(self, data, pos: int, end: int) -> bool:
        """An access unit starts at ``pos`` and is cut by ``end``: leading non-VCL NAL units are whole and the
        first slice segment opens a picture whose header, as far as the bytes go, parses."""
        ls = self.length_size
        p = pos
        for _n in range(16):
            if p + ls + 2 > end:
                return False
            n = read_length(data, p, ls)
            b0, b1 = data[p + ls], data[p + ls + 1]
            t, layer, tid = (b0 >> 1) & 0x3F, ((b0 & 1) << 5) | (b1 >> 3), (b1 & 7) - 1
            if n < 2 or n > CUT_NAL_MAX or b0 & 0x80 or layer or tid < 0:
                return False
            if t in VCL_TYPES:
                body = p + ls
                pic = self._slice(data, body, min(n, end - body), t, tid, self._sps, self._pps, None)
                return pic is not None
            if t not in PREFIX_TYPES and t != AUD_NUT or p + ls + n > end:
                return False
            p += ls + n
        return False

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        ls = self.length_size
        sps_map, pps_map = self._sps, self._pps
        new_ps: list[tuple[int, int, object]] = []  # (position, nal type, parsed set) met in this sample
        pic: _Picture | None = None
        pending = -1  # where a run of prefix NAL units after a VCL NAL unit began (maybe the next AU)
        eos = eob = False
        trailing = 0  # NAL units after the picture's first slice segment
        p = pos
        while p < end and not eob:
            body = p + ls
            if body + 2 > end:
                if pic is not None and pending < 0 and self._cut_continues(data, body, end, 0, pic, sps_map,
                                                                           pps_map, trailing):
                    return None  # the cut broke a NAL unit of this access unit: the sample is incomplete
                break
            n = read_length(data, p, ls)
            nxt = body + n
            if n < 2 or n > self.max_nal:
                break
            if nxt > end:
                if pic is not None and pending < 0 and self._cut_continues(data, body, end, n, pic, sps_map,
                                                                           pps_map, trailing):
                    return None
                break
            h0, h1 = data[body], data[body + 1]
            t = h0 >> 1
            layer = ((h0 & 1) << 5) | (h1 >> 3)
            tid = (h1 & 7) - 1
            if h0 & 0x80 or tid < 0:
                break
            if layer:
                # other layers of a layered stream ride along in the access unit; they never open one
                if layer > self._max_layer or eos or (t < 32 and pic is None):
                    break
                if (t not in OTHER_LAYER_TYPES and t not in self._extra_types) or data[nxt - 1] == 0:
                    break  # (the last byte of a NAL unit is never 0: all there is to check here)
                if t < 32:
                    pending = -1  # a picture of another layer belongs to the access unit being read
                trailing += pic is not None
                p = nxt
                continue
            if t < 32:  # VCL
                if t not in VCL_TYPES or n < 3 or eos:
                    break
                first = data[body + 2] & 0x80
                if first:
                    if pic is not None:
                        break  # the next picture: a new access unit
                    if self.irap_only and not 16 <= t <= 23:
                        return None  # a track of stills has no pictures that depend on others
                    pic = self._slice(data, body, n, t, tid, sps_map, pps_map, None)
                    if pic is None:
                        return None
                else:
                    if pic is None or self._slice(data, body, n, t, tid, sps_map, pps_map, pic) is None:
                        break
                    pending = -1  # the prefix NAL units seen since belong inside this access unit
                    trailing += 1
                p = nxt
                continue
            if eos and t != EOB_NUT:
                break
            if t in PREFIX_TYPES:
                if t == PREFIX_SEI:
                    if not self._sei_ok(data, body, n):
                        break
                elif t > PPS_NUT:
                    if data[nxt - 1] == 0:  # reserved / unspecified: only the last byte can be checked
                        break
                else:
                    if n > _PS_MAX:
                        break
                    ps = self._parse_ps(data[body:nxt], t)
                    if ps is None or (t != PPS_NUT and tid != 0):
                        break
                    if t == SPS_NUT and self._config_sizes and (ps.width, ps.height) not in self._config_sizes:
                        self._declined.note((*ps.display_size, ps.chroma_format_idc, ps.bit_depth_luma), body)
                        break  # a picture size this track does not have: another track's parameter set
                    if sps_map is self._sps:  # copy on write: ``match`` never changes the matcher
                        sps_map, pps_map = dict(sps_map), dict(pps_map)
                    if t == SPS_NUT:
                        sps_map[ps.sps_id] = ps
                    elif t == PPS_NUT:
                        pps_map[ps.pps_id] = ps
                    new_ps.append((p, t, ps))
                if pic is not None and pending < 0:
                    pending = p
            elif t == AUD_NUT:
                if p != pos or n != 3 or (data[body + 2] & 0x1F) != 0x10 or data[body + 2] >> 5 > 2:
                    break
            elif pic is None or pending >= 0:
                break  # suffix NAL units only follow the picture's slices
            elif t in SUFFIX_TYPES:
                if t == SUFFIX_SEI and not self._sei_ok(data, body, n):
                    break
                if t in UNCHECKED_SUFFIX and (t not in self._extra_types or data[nxt - 1] == 0):
                    break
                if t == FD_NUT and (data[nxt - 1] != 0x80 or not all_bytes(data, body + 2, nxt - 1, 0xFF)):
                    break
            elif t in (EOS_NUT, EOB_NUT):
                if n != 2 or tid != 0:
                    break
                eos = True
                eob = t == EOB_NUT
            else:
                break
            trailing += pic is not None
            p = nxt
        if pic is None:
            return None
        stop = pending if pending >= 0 else p
        params = tuple((t, ps) for q, t, ps in new_ps if q < stop) or None
        info = HevcPicture(pic.nal_type, pic.tid, pic.poc_lsb, 1 << pic.sps.log2_max_poc_lsb, pic.intra,
                           bool(pic.output), eos and stop == p, params)
        return SampleMatch(stop - pos, self._is_key(pic.nal_type, pic.intra), info=info)

    def _cut_continues(self, data, body: int, end: int, n: int, pic: _Picture, sps_map: dict,
                       pps_map: dict, trailing: int) -> bool:
        """The NAL unit at ``body`` (``n`` bytes) runs past ``end`` right after a picture: is it more of that
        access unit, cut by the end of the data (rather than the next access unit, or other bytes)?

        It is when its header is one this stream's access unit can continue with: a NAL unit of another layer,
        a suffix type, or a slice segment that does not begin a picture and whose header parses as far as the
        bytes go. When even the NAL unit header is cut, it is taken as more of this access unit while the
        picture has fewer NAL units after its first slice segment (``trailing``) than every access unit of the
        reference had.
        """
        if body + 2 > end:
            return trailing < self.trailing_min
        if n > CUT_NAL_MAX:
            return False  # no NAL unit this long: other bytes follow the picture
        h0, h1 = data[body], data[body + 1]
        t, layer, tid = (h0 >> 1) & 0x3F, ((h0 & 1) << 5) | (h1 >> 3), (h1 & 7) - 1
        if h0 & 0x80 or tid < 0:
            return False
        if layer:
            return layer <= self._max_layer and (t in OTHER_LAYER_TYPES or t in self._extra_types)
        if t < 32:
            if t not in VCL_TYPES:
                return False
            if body + 3 > end:
                return trailing < self.trailing_min
            if data[body + 2] & 0x80:
                return False  # first_slice_segment_in_pic_flag: the next picture
            rbsp = unescape_rbsp(bytes(data[body + 2:min(end, body + _HEADER_MAX)]))
            try:
                return self._slice_header(BitReader(rbsp), len(rbsp), False, t, tid, sps_map, pps_map,
                                          pic) is not None
            except BitstreamEnd:
                return True  # the header parses as far as the bytes go
            except BitstreamError:
                return False
        return t in SUFFIX_TYPES or t in (EOS_NUT, EOB_NUT)

    def _is_key(self, nal_type: int, intra: bool) -> bool:
        return self._rule(self.keyframe_rule, nal_type, intra)

    def _sei_ok(self, data, body: int, n: int) -> bool:
        """sei_rbsp (7.3.2.4): whole sei_message()s up to the rbsp_trailing_bits."""
        if n > _SEI_MAX:
            return False
        nal = bytes(data[body:body + n])
        if nal in self._known_sei:
            return True
        try:
            for _message in sei_messages(unescape_rbsp(nal[2:])):
                pass
        except ValueError:
            return False
        return True

    def _slice(self, data, body: int, n: int, t: int, tid: int, sps_map: dict, pps_map: dict,
               pic: _Picture | None) -> _Picture | None:
        """Check one slice segment NAL unit; return the picture it opens (or ``pic`` it continues) or None."""
        limit = min(n, _HEADER_PREFIX)
        while True:
            rbsp = unescape_rbsp(bytes(data[body + 2:body + limit]))
            r = BitReader(rbsp)
            try:
                return self._slice_header(r, len(rbsp), limit == n, t, tid, sps_map, pps_map, pic)
            except BitstreamEnd:  # a header longer than the bytes looked at (many entry points)
                if limit == n or limit >= _HEADER_MAX:
                    return None
                limit = min(n, _HEADER_MAX)
            except BitstreamError:  # a value out of range
                return None

    def _slice_header(self, r: BitReader, size: int, whole: bool, t: int, tid: int, sps_map: dict,
                      pps_map: dict, pic: _Picture | None) -> _Picture | None:
        """slice_segment_header() (7.3.6.1) to its byte_alignment(); raises BitstreamError when it cannot be."""
        first = r.read_bit()
        irap = 16 <= t <= 23
        if irap:
            r.skip(1)  # no_output_of_prior_pics_flag
        pps_id = _ue(r)
        pps = pps_map.get(pps_id)
        if pps is None:
            return None
        sps = sps_map.get(pps.sps_id)
        if sps is None or tid >= sps.max_sub_layers:
            return None
        if pic is None:
            if (irap and tid != 0) or (t in (TSA_N, TSA_R) and tid == 0):
                return None
        elif t != pic.nal_type or tid != pic.tid or pps_id != pic.pps_id:
            return None
        dependent = address = 0
        if not first:
            if pic is None:
                return None  # a picture begins with its first slice segment
            if pps.dependent_slices:
                dependent = r.read_bit()
            address = r.read(sps.address_bits)
            if address == 0 or address >= sps.pic_size_ctbs:
                return None
            if not pps.tiles and address <= pic.last_address:
                return None
        intra = True if pic is None else pic.intra
        poc_lsb = output = None
        if dependent:
            pass  # everything up to the entry points is the independent segment's
        else:
            r.skip(pps.extra_bits)
            slice_type = _ue(r)
            if slice_type > 2 or (irap and slice_type != _I and not pps.curr_pic_ref):
                return None
            output = r.read_bit() if pps.output_flag_present else 1
            if sps.separate_colour_plane and r.read(2) > 2:
                return None
            num_pic_total = 0
            tmvp = 0
            if t not in _IDR:
                poc_lsb = r.read(sps.log2_max_poc_lsb)
                if not r.read_bit():  # short_term_ref_pic_set_sps_flag
                    rps = _st_ref_pic_set(r, len(sps.st_rps), len(sps.st_rps), sps.st_rps,
                                          sps.max_dec_pic_buffering - 1)
                else:
                    count = len(sps.st_rps)
                    index = r.read(_ceil_log2(count)) if count > 1 else 0
                    if index >= count:
                        return None
                    rps = sps.st_rps[index]
                num_pic_total = rps.num_used
                if sps.long_term:
                    num_lt_sps = _ue(r) if sps.lt_used else 0
                    num_lt_pics = _ue(r)
                    if num_lt_sps > len(sps.lt_used) or num_lt_sps + num_lt_pics > 32:
                        return None
                    lt_bits = _ceil_log2(len(sps.lt_used))
                    for i in range(num_lt_sps + num_lt_pics):
                        if i < num_lt_sps:
                            index = r.read(lt_bits) if len(sps.lt_used) > 1 else 0
                            if index >= len(sps.lt_used):
                                return None
                            num_pic_total += sps.lt_used[index]
                        else:
                            r.skip(sps.log2_max_poc_lsb)
                            num_pic_total += r.read_bit()
                        if r.read_bit():  # delta_poc_msb_present_flag
                            _ue(r)
                if sps.temporal_mvp:
                    tmvp = r.read_bit()
            else:
                poc_lsb = 0
            if pic is not None and (poc_lsb != pic.poc_lsb or output != pic.output):
                return None
            if slice_type != _I:
                intra = False
            if pps.curr_pic_ref:
                num_pic_total += 1
            if not pps.complete:
                # fields the header depends on are unknown: the header cannot be followed further
                return self._commit(pic, t, tid, pps_id, pps, sps, address, intra, poc_lsb, output)
            sao_luma = sao_chroma = 0
            if sps.sao:
                sao_luma = r.read_bit()
                if sps.chroma_array_type:
                    sao_chroma = r.read_bit()
            if slice_type != _I:
                if num_pic_total == 0:
                    return None
                is_b = slice_type == _B
                l0, l1 = pps.l0_default, pps.l1_default
                if r.read_bit():  # num_ref_idx_active_override_flag
                    l0 = _ue(r)
                    if is_b:
                        l1 = _ue(r)
                    if l0 > 14 or l1 > 14:
                        return None
                if pps.lists_mod and num_pic_total > 1:
                    bits = _ceil_log2(num_pic_total)
                    for lx, present in ((l0, True), (l1, is_b)):
                        if present and r.read_bit():
                            for _n in range(lx + 1):
                                if r.read(bits) >= num_pic_total:
                                    return None
                if is_b:
                    r.skip(1)  # mvd_l1_zero_flag
                if pps.cabac_init_present:
                    r.skip(1)
                if tmvp:
                    from_l0 = r.read_bit() if is_b else 1
                    if (from_l0 and l0 > 0) or (not from_l0 and l1 > 0):
                        if _ue(r) > (l0 if from_l0 else l1):
                            return None
                if (pps.weighted_pred and not is_b) or (pps.weighted_bipred and is_b):
                    if pps.curr_pic_ref:  # which weights are coded depends on reference lists not built here
                        return self._commit(pic, t, tid, pps_id, pps, sps, address, intra, poc_lsb, output)
                    self._pred_weight_table(r, sps, l0, l1 if is_b else -1)
                if _ue(r) > 4:  # five_minus_max_num_merge_cand
                    return None
                if sps.mv_res_ctrl == 2:
                    r.skip(1)
            qp = pps.init_qp + _se(r)
            if not -6 * (sps.bit_depth_luma - 8) <= qp <= 51:
                return None
            if pps.slice_chroma_qp_offsets:
                if not (-12 <= _se(r) <= 12 and -12 <= _se(r) <= 12):
                    return None
            if pps.slice_act_qp_offsets:
                _se(r)
                _se(r)
                _se(r)
            if pps.chroma_qp_offset_list:
                r.skip(1)
            deblocking_disabled = pps.deblocking_disabled
            if pps.deblocking_override and r.read_bit():
                deblocking_disabled = r.read_bit()
                if not deblocking_disabled:
                    if not (-6 <= _se(r) <= 6 and -6 <= _se(r) <= 6):
                        return None
            if pps.loop_filter_across_slices and (sao_luma or sao_chroma or not deblocking_disabled):
                r.skip(1)
        if pps.tiles or pps.entropy_sync:
            count = _ue(r)
            if pps.tiles and pps.entropy_sync:
                most = pps.tile_cols * sps.pic_height_ctbs
            elif pps.tiles:
                most = pps.tile_cols * pps.tile_rows
            else:
                most = sps.pic_height_ctbs
            if count >= most:
                return None
            if count:
                bits = _ue(r) + 1
                if bits > 32:
                    return None
                r.skip(count * bits)
        if pps.header_extension:
            length = _ue(r)
            if length > 256:
                return None
            r.skip(8 * length)
        # byte_alignment(): a one bit, then zero bits to the byte boundary, then slice data
        if not r.read_bit():
            return None
        pad = -r.pos % 8
        if r.read(pad) != 0:
            return None
        if whole and r.pos >= size * 8:
            return None
        return self._commit(pic, t, tid, pps_id, pps, sps, address, intra, poc_lsb, output)

    @staticmethod
    def _commit(pic: _Picture | None, t: int, tid: int, pps_id: int, pps: Pps, sps: Sps, address: int,
                intra: bool, poc_lsb: int | None, output: int | None) -> _Picture:
        """The picture after a slice segment that checked out (a new one for the first segment)."""
        if pic is None:
            pic = _Picture()
            pic.nal_type, pic.tid, pic.pps_id, pic.pps, pic.sps = t, tid, pps_id, pps, sps
            pic.poc_lsb, pic.output = poc_lsb, output
        pic.last_address = address
        pic.intra = intra
        return pic

    @staticmethod
    def _pred_weight_table(r: BitReader, sps: Sps, l0: int, l1: int) -> None:
        """pred_weight_table() (7.3.6.3), skipped, for a single-layer stream without current-picture reference."""
        if _ue(r) > 7:
            _fail("luma_log2_weight_denom")
        chroma = sps.chroma_array_type != 0
        if chroma:
            _se(r)
        for lx in (l0, l1):
            if lx < 0:
                continue
            luma_flags = [r.read_bit() for _n in range(lx + 1)]
            chroma_flags = [r.read_bit() for _n in range(lx + 1)] if chroma else [0] * (lx + 1)
            for lf, cf in zip(luma_flags, chroma_flags):
                if lf:
                    if not -128 <= _se(r) <= 127:
                        _fail("delta_luma_weight")
                    _se(r)
                if cf:
                    for _n in range(2):
                        if not -128 <= _se(r) <= 127:
                            _fail("delta_chroma_weight")
                        _se(r)

    # -- state --------------------------------------------------------------------------------------------

    def accept(self, match: SampleMatch) -> bool:
        """Adopt the parameter sets the kept sample carried. True when that changed what ``match`` knows."""
        info = match.info
        if not isinstance(info, HevcPicture) or not info.params:
            return False
        changed = False
        for t, ps in info.params:
            table = self._vps if t == VPS_NUT else self._sps if t == SPS_NUT else self._pps
            key = ps.vps_id if t == VPS_NUT else ps.sps_id if t == SPS_NUT else ps.pps_id
            if table.get(key) is not ps:
                table[key] = ps
                changed = True
                if t == VPS_NUT:
                    self._max_layer = max(self._max_layer, ps.max_layers - 1)
        info.params = None  # the sets live on in the matcher; keep the per-sample facts small
        return changed

    def picture_formats(self) -> set[tuple[int, int, int, int]]:
        return {(*s.display_size, s.chroma_format_idc, s.bit_depth_luma) for s in self._sps.values()}

    def declined_formats(self) -> set[tuple[int, int, int, int]]:
        return self._declined.repeated()

    # -- resynchronisation -----------------------------------------------------------------------------------

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        """Positions in [start, end) where a length-prefixed NAL unit that can open an access unit begins.

        Vectorised over blocks of ``arr``: NAL header with forbidden bit 0, nuh_layer_id 0, TemporalId + 1
        not 0, a type that can open an access unit (a VCL type only with first_slice_segment_in_pic_flag
        set), and a length of at least 2 that stays inside the file. The NAL unit may run past ``end``: the
        scanner passes the end of its search window there, not the end of the data.
        """
        ls = self.length_size
        limit = len(arr)
        start = max(int(start), 0)
        end = min(int(end), limit - ls - 2)
        out = []
        block = _CANDIDATE_BLOCK
        top_max = (limit >> (8 * (ls - 1))) if ls > 1 else 255  # largest first byte of a length that fits
        for b0 in range(start, end, block):
            b1 = min(b0 + block, end)
            # narrowest test first: the second header byte is 1..7 (nuh_layer_id 0, TemporalId + 1 not 0)
            p = np.flatnonzero((arr[b0 + ls + 1:b1 + ls + 1] - np.uint8(1)) < 7) + b0
            if ls > 1 and top_max < 255:
                p = p[arr[p] <= top_max]
            p = p[_START_BYTE0[arr[p + ls]]]
            if p.size == 0:
                continue
            p = p.astype(np.int64)
            length = np.zeros(p.size, dtype=np.int64)
            for k in range(ls):
                length = (length << 8) | arr[p + k]
            vcl = _VCL_BYTE0[arr[p + ls]]
            third = arr[np.minimum(p + ls + 2, limit - 1)]
            keep = (length >= 2) & (p + ls + length <= limit) & (~vcl | ((length >= 3) & (third >= 0x80)))
            out.append(p[keep])
        if not out:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(out)

    # -- timing -------------------------------------------------------------------------------------------------

    def fact_state(self) -> _HevcFacts:
        return _HevcFacts()

    def order_from_facts(self, facts: np.ndarray) -> np.ndarray | None:
        """Each sample's presentation position in frames (see ``presentation_positions_from_facts``); None if in
        order."""
        facts = np.asarray(facts, dtype=np.int64).reshape(-1, 2)
        if len(facts) == 0:
            return None
        pos = presentation_positions_from_facts(facts)
        if np.array_equal(pos, np.arange(len(pos), dtype=np.int64)):
            return None
        return pos

    # -- learning from the reference ------------------------------------------------------------------------------

    def learn_keyframe_rule(self, matches: Sequence[SampleMatch | None], keyframes: Sequence[bool]) -> str:
        """Pick the keyframe rule that best reproduces the reference's sync samples and use it from now on.

        'irap': every IRAP picture (what ffmpeg's mp4 muxer writes for libx265, CRA included); 'idr':
        IDR and BLA only (closed-GOP random access points); 'intra': IRAP plus any all-intra picture.
        Ties keep 'irap'.
        """
        scores = dict.fromkeys(KEYFRAME_RULES, 0)
        seen = 0
        for m, key in zip(matches, keyframes):
            if m is None or not isinstance(m.info, HevcPicture):
                continue
            seen += 1
            t, intra = m.info.nal_type, m.info.intra
            for rule in KEYFRAME_RULES:
                if self._rule(rule, t, intra) == bool(key):
                    scores[rule] += 1
        if seen:
            best = max(KEYFRAME_RULES, key=lambda rule: (scores[rule], rule == "irap"))
            self.keyframe_rule = best
        return self.keyframe_rule

    def learn_nal_types(self, data, offsets: np.ndarray, sizes: np.ndarray) -> set[int]:
        """Allow the reserved / unspecified suffix NAL unit types the reference's samples contain.

        Their payload cannot be checked, so a stream that never uses them does not accept them after a
        picture (random bytes after an access unit would too easily pass for one).
        """
        ls = self.length_size
        fewest = None
        for off, size in zip(np.asarray(offsets).tolist(), np.asarray(sizes).tolist()):
            p, end = off, off + size
            seen_vcl, trailing = False, 0
            while p + ls + 2 <= end:
                n = read_length(data, p, ls)
                if n < 2 or p + ls + n > end:
                    break
                t = (data[p + ls] >> 1) & 0x3F
                if t in UNCHECKED_SUFFIX:
                    self._extra_types.add(t)
                if (data[p + ls] & 1) or data[p + ls + 1] >> 3:
                    self._max_layer = max(self._max_layer, ((data[p + ls] & 1) << 5) | (data[p + ls + 1] >> 3))
                if seen_vcl:
                    trailing += 1
                seen_vcl = seen_vcl or t < 32
                p += ls + n
            if p == end and seen_vcl:
                fewest = trailing if fewest is None else min(fewest, trailing)
        self.trailing_min = fewest or 0
        return set(self._extra_types)

    @staticmethod
    def _rule(rule: str, nal_type: int, intra: bool) -> bool:
        if rule == "idr":
            return BLA_W_LP <= nal_type <= IDR_N_LP
        if rule == "intra":
            return 16 <= nal_type <= 23 or intra
        return 16 <= nal_type <= 23

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Match the reference's samples in order (adopting their in-band parameter sets); count exact fits.

        When these are the track's first samples (as listed in its tables), the keyframe rule is learned from
        its stss on the way, and the unchecked NAL unit types it uses are allowed (``learn_nal_types``).
        """
        self.learn_nal_types(data, offsets, sizes)
        good = 0
        matches: list[SampleMatch | None] = []
        for off, size in zip(np.asarray(offsets).tolist(), np.asarray(sizes).tolist()):
            m = self.match(data, off, off + size)
            if m is not None and m.size == size:
                good += 1
                self.accept(m)
                matches.append(m)
            else:
                matches.append(None)
        self.irap_only = len(matches) >= 2 and all(m is not None and m.info.irap for m in matches)
        keys, k = self.track.keyframes, len(matches)
        own = np.asarray(self.track.offsets[:k], dtype=np.int64)
        if keys is not None and k and len(keys) >= k and np.array_equal(own, np.asarray(offsets, dtype=np.int64)):
            self.learn_keyframe_rule(matches, keys[:k])  # these are the track's first samples: its stss applies
        return good

    def clone(self) -> HevcMatcher:
        """A fresh matcher for the same track (parameter sets from hvcC only) that keeps what was learned
        from the reference's samples: the keyframe rule, the unchecked NAL unit types and the layers."""
        other = type(self)(self.track)
        other.keyframe_rule = self.keyframe_rule
        other._extra_types = set(self._extra_types)
        other._max_layer = self._max_layer
        other.trailing_min = self.trailing_min
        other.irap_only = self.irap_only
        return other


def _byte0_table(types) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    for t in types:
        table[t << 1] = True  # forbidden bit 0, nuh_layer_id high bit 0
    return table


_START_BYTE0 = _byte0_table(START_TYPES)
_VCL_BYTE0 = _byte0_table(range(32))
