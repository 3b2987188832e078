"""AV1 in MP4 ('av01'): exact temporal-unit lengths from the OBU stream.

Written from the AV1 Bitstream & Decoding Process Specification (5.3 OBU syntax, 5.5 sequence header, 5.9
uncompressed header up to tile_info, 5.11.1 tile group header, 7.5 ordering of OBUs) and the AV1 Codec ISO
Media File Format Binding (the 'av1C' box; a sample is one temporal unit, temporal delimiters removed, every
OBU with obu_has_size_field = 1).

A temporal unit holds exactly one shown frame (per spatial layer): hidden frames (alt-refs) first, then the
shown frame, either coded (show_frame = 1) or an earlier frame shown again (show_existing_frame = 1). So
``Av1Matcher.match`` walks OBU headers (forbidden bit, type, extension, reserved bit, leb128 size) and parses
each frame header far enough to know show_existing_frame / frame_type / show_frame and the tile layout: a
frame sent as a frame header plus tile groups is complete when a tile group ends with the last tile. The
unit ends right after its shown frame is complete (after padding OBUs, if the reference has them there):
what follows is not looked at, so a sample followed by audio ends exactly where the audio begins. An
unknown OBU type, a reserved bit, a frame cut short or a sequence header that does not parse to its trailing
bits means "no temporal unit here".

Sequence headers come from av1C's configOBUs and from the stream (key frames repeat them); one met in a
sample is used for the rest of it and kept when the scanner keeps the sample (``accept``). The sizes of the
reference frames are tracked so that frames that take their size from a reference (frame_size_with_refs)
still give their tile layout.

Keyframes: a temporal unit whose shown frame is a key frame with show_frame = 1 (what the muxers flag);
``check_reference`` can switch to "any key frame in the unit" when the reference's stss says so. AV1 in MP4
has no composition offsets: presentation order is decode order.

Not supported: a last OBU without a size field (allowed by the binding, written by no common muxer), large
scale tile lists (OBU_TILE_LIST), and frame sizes taken from references whose size is unknown because the
scan started after a cut (the frame is then taken as one tile group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mp4fix.bitreader import BitReader
from mp4fix.codecs.base import Matcher, SampleMatch, register
from mp4fix.errors import BitstreamError, MismatchError
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

OBU_SEQUENCE_HEADER = 1
OBU_TEMPORAL_DELIMITER = 2
OBU_FRAME_HEADER = 3
OBU_TILE_GROUP = 4
OBU_METADATA = 5
OBU_FRAME = 6
OBU_REDUNDANT_FRAME_HEADER = 7
OBU_TILE_LIST = 8
OBU_PADDING = 15

KEY_FRAME, INTER_FRAME, INTRA_ONLY_FRAME, SWITCH_FRAME = range(4)
SELECT_SCREEN_CONTENT_TOOLS = SELECT_INTEGER_MV = 2
PRIMARY_REF_NONE = 7
ALL_FRAMES = 0xFF
MAX_TILE_WIDTH = 4096
MAX_TILE_AREA = 4096 * 2304
MAX_TILE_ROWS = MAX_TILE_COLS = 64

#: OBU types a temporal unit may begin with
START_TYPES = (OBU_SEQUENCE_HEADER, OBU_TEMPORAL_DELIMITER, OBU_FRAME_HEADER, OBU_METADATA, OBU_FRAME)
_HEADER_BYTES = 512  # bytes of a frame header OBU read to parse up to tile_info
#: the longest sequence header and frame header OBU payloads believed, checked before anything is copied (an
#: OBU size read from bytes that merely look like an OBU header can be anything up to the size of the file).
#: The syntax (5.5, 5.9) makes them at most a few hundred bytes (32 operating points with decoder models,
#: 64x64 tiles, segmentation and film grain included).
SEQUENCE_HEADER_MAX = 1 << 14
#: the longest OBU believed: a size read where bytes merely look like an OBU header sends the walk that far
OBU_MAX = 64 << 20
FRAME_HEADER_MAX = 1 << 14

KEY_RULES = ("shown_key", "any_key")


# --- OBU headers -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class ObuHeader:
    type: int
    temporal_id: int
    spatial_id: int
    has_extension: bool
    payload: int  # absolute offset of the payload
    end: int  # absolute offset after the OBU


def read_leb128(data, p: int, end: int) -> tuple[int, int] | None:
    """(value, position after it) of a leb128 at ``p``, or None (too long, past ``end``)."""
    value = 0
    for i in range(8):
        if p + i >= end:
            return None
        b = data[p + i]
        value |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            if value >> 32:
                return None
            return value, p + i + 1
    return None


def read_obu_header(data, p: int, end: int) -> ObuHeader | None:
    """The OBU at ``p`` when its header is legal, it has a size field and it ends by ``end``."""
    if p + 2 > end:
        return None
    b = data[p]
    if b & 0x80 or b & 0x01 or not b & 0x02:  # forbidden bit, reserved bit, obu_has_size_field
        return None
    typ = (b >> 3) & 15
    ext = bool(b & 0x04)
    q = p + 1
    tid = sid = 0
    if ext:
        e = data[q]
        if e & 7:
            return None
        tid, sid = e >> 5, (e >> 3) & 3
        q += 1
    leb = read_leb128(data, q, end)
    if leb is None:
        return None
    size, q = leb
    if q + size > end or size > OBU_MAX:
        return None
    return ObuHeader(typ, tid, sid, ext, q, q + size)


def _layer_ok(seq: SequenceHeader, h: ObuHeader) -> bool:
    """An OBU's temporal and spatial layer is one an operating point of the sequence decodes (all layers are
    0 in a stream without scalability)."""
    if not h.has_extension:
        return True
    if all(idc == 0 for idc in seq.operating_point_idc):
        return h.temporal_id == 0 and h.spatial_id == 0
    return any((idc >> h.temporal_id) & 1 and (idc >> (h.spatial_id + 8)) & 1 for idc in seq.operating_point_idc)


def _trailing_ok(r: BitReader) -> bool:
    """trailing_bits(): a one bit, then zeros to the end of the OBU."""
    left = r.bits_left
    return left >= 1 and r.peek(left) == 1 << (left - 1)


# --- sequence header ---------------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class SequenceHeader:
    seq_profile: int
    still_picture: bool
    reduced_still_picture_header: bool
    timing_info_present: bool
    equal_picture_interval: bool
    decoder_model_info_present: bool
    buffer_removal_time_length: int
    frame_presentation_time_length: int
    operating_point_idc: tuple[int, ...]
    decoder_model_present: tuple[bool, ...]
    frame_width_bits: int
    frame_height_bits: int
    max_frame_width: int
    max_frame_height: int
    frame_id_numbers_present: bool
    delta_frame_id_length: int
    additional_frame_id_length: int
    use_128x128_superblock: bool
    enable_order_hint: bool
    enable_ref_frame_mvs: bool
    seq_force_screen_content_tools: int
    seq_force_integer_mv: int
    order_hint_bits: int
    enable_superres: bool
    enable_cdef: bool
    enable_restoration: bool
    bit_depth: int
    mono_chrome: bool
    film_grain_params_present: bool
    raw: bytes = b""

    @property
    def id_len(self) -> int:
        return self.additional_frame_id_length + self.delta_frame_id_length + 1


def _uvlc(r: BitReader) -> int:
    zeros = 0
    while not r.read_bit():
        zeros += 1
        if zeros >= 32:
            return (1 << 32) - 1
    return r.read(zeros) + (1 << zeros) - 1


def parse_sequence_header(payload: bytes) -> SequenceHeader:
    """sequence_header_obu() (5.5) from the OBU payload, checked to its trailing bits."""
    r = BitReader(payload)
    profile = r.read(3)
    if profile > 2:
        raise BitstreamError("seq_profile out of range")
    still = r.read_flag()
    reduced = r.read_flag()
    timing = equal = model = False
    brt_len = fpt_len = 0
    idc: list[int] = []
    model_present: list[bool] = []
    if reduced:
        if not still:
            raise BitstreamError("reduced still picture header without still_picture")
        r.skip(5)  # seq_level_idx[0]
        idc, model_present = [0], [False]
    else:
        timing = r.read_flag()
        delay_len = 0
        if timing:
            r.skip(64)  # num_units_in_display_tick, time_scale
            equal = r.read_flag()
            if equal:
                _uvlc(r)
            model = r.read_flag()
            if model:
                delay_len = r.read(5) + 1
                r.skip(32)
                brt_len = r.read(5) + 1
                fpt_len = r.read(5) + 1
        display_delay = r.read_flag()
        for _ in range(r.read(5) + 1):
            idc.append(r.read(12))
            level = r.read(5)
            if level > 7:
                r.skip(1)
            present = False
            if model:
                present = r.read_flag()
                if present:
                    r.skip(2 * delay_len + 1)
            model_present.append(present)
            if display_delay and r.read_flag():
                r.skip(4)
    wbits = r.read(4) + 1
    hbits = r.read(4) + 1
    max_w = r.read(wbits) + 1
    max_h = r.read(hbits) + 1
    frame_ids = False if reduced else r.read_flag()
    delta_len = add_len = 0
    if frame_ids:
        delta_len = r.read(4) + 2
        add_len = r.read(3) + 1
    sb128 = r.read_flag()
    r.skip(2)  # enable_filter_intra, enable_intra_edge_filter
    order_hint = ref_mvs = False
    force_sct, force_imv, oh_bits = SELECT_SCREEN_CONTENT_TOOLS, SELECT_INTEGER_MV, 0
    if not reduced:
        r.skip(4)  # interintra compound, masked compound, warped motion, dual filter
        order_hint = r.read_flag()
        if order_hint:
            r.skip(1)  # enable_jnt_comp
            ref_mvs = r.read_flag()
        force_sct = SELECT_SCREEN_CONTENT_TOOLS if r.read_flag() else r.read_bit()
        if force_sct > 0:
            force_imv = SELECT_INTEGER_MV if r.read_flag() else r.read_bit()
        else:
            force_imv = SELECT_INTEGER_MV
        if order_hint:
            oh_bits = r.read(3) + 1
    superres = r.read_flag()
    cdef = r.read_flag()
    restoration = r.read_flag()
    # color_config() (5.5.2)
    high = r.read_flag()
    depth = 8
    if profile == 2 and high:
        depth = 12 if r.read_flag() else 10
    elif high:
        depth = 10
    mono = False if profile == 1 else r.read_flag()
    cp = tc = mc = 2
    if r.read_flag():  # color_description_present_flag
        cp, tc, mc = r.read(8), r.read(8), r.read(8)
    if mono:
        r.skip(1)  # color_range
    elif cp == 1 and tc == 13 and mc == 0:
        if profile == 0 or (profile == 2 and depth != 12):
            raise BitstreamError("4:4:4 sRGB in a profile without 4:4:4")
    else:
        r.skip(1)  # color_range
        sx, sy = (1, 1) if profile == 0 else (0, 0) if profile == 1 else (1, 0)
        if profile == 2 and depth == 12:
            sx = r.read_bit()
            sy = r.read_bit() if sx else 0
        if sx and sy:
            r.skip(2)  # chroma_sample_position
    if not mono:
        r.skip(1)  # separate_uv_delta_q
    grain = r.read_flag()
    if not _trailing_ok(r):
        raise BitstreamError("sequence header does not end with its trailing bits")
    return SequenceHeader(profile, still, reduced, timing, equal, model, brt_len, fpt_len, tuple(idc),
                          tuple(model_present), wbits, hbits, max_w, max_h, frame_ids, delta_len, add_len, sb128,
                          order_hint, ref_mvs, force_sct, force_imv, oh_bits, superres, cdef, restoration, depth,
                          mono, grain, bytes(payload))


@dataclass(slots=True)
class Av1Config:
    """The av1C record (AV1-ISOBMFF 2.3): the fixed fields and the sequence header of its configOBUs."""

    seq_profile: int
    seq_level_idx_0: int
    sequence_header: SequenceHeader | None


def parse_av1c(payload: bytes) -> Av1Config:
    b = bytes(payload)
    if len(b) < 4 or b[0] != 0x81:
        raise BitstreamError("not an av1C record (marker 1, version 1)")
    seq = None
    p = 4
    while p < len(b):
        h = read_obu_header(b, p, len(b))
        if h is None:
            break
        if h.type == OBU_SEQUENCE_HEADER:
            seq = parse_sequence_header(b[h.payload:h.end])
        p = h.end
    return Av1Config(b[1] >> 5, b[1] & 31, seq)


# --- frame headers -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class FrameHeader:
    show_existing_frame: bool
    frame_type: int
    show_frame: bool
    refresh_frame_flags: int
    frame_to_show: int = -1
    upscaled_width: int = 0
    frame_height: int = 0
    tile_cols: int = 0  # 0: the tile layout is unknown (a size from a reference nobody has seen)
    tile_rows: int = 0
    tile_bits: int = 0  # TileColsLog2 + TileRowsLog2

    @property
    def num_tiles(self) -> int:
        return self.tile_cols * self.tile_rows


def _tile_log2(blk: int, target: int) -> int:
    k = 0
    while (blk << k) < target:
        k += 1
    return k


def _ns(r: BitReader, n: int) -> int:
    """ns(n): a non-symmetric unsigned value below n (4.10.7)."""
    w = n.bit_length()
    m = (1 << w) - n
    v = r.read(w - 1)
    if v < m:
        return v
    return (v << 1) - m + r.read_bit()


def _tile_info(r: BitReader, seq: SequenceHeader, frame_width: int, frame_height: int) -> tuple[int, int, int]:
    """tile_info() (5.9.15): (TileCols, TileRows, TileColsLog2 + TileRowsLog2)."""
    mi_cols = 2 * ((frame_width + 7) >> 3)
    mi_rows = 2 * ((frame_height + 7) >> 3)
    if seq.use_128x128_superblock:
        sb_cols, sb_rows, sb_shift = (mi_cols + 31) >> 5, (mi_rows + 31) >> 5, 5
    else:
        sb_cols, sb_rows, sb_shift = (mi_cols + 15) >> 4, (mi_rows + 15) >> 4, 4
    sb_size = sb_shift + 2
    max_tile_width_sb = MAX_TILE_WIDTH >> sb_size
    max_tile_area_sb = MAX_TILE_AREA >> (2 * sb_size)
    min_log2_cols = _tile_log2(max_tile_width_sb, sb_cols)
    max_log2_cols = _tile_log2(1, min(sb_cols, MAX_TILE_COLS))
    max_log2_rows = _tile_log2(1, min(sb_rows, MAX_TILE_ROWS))
    min_log2_tiles = max(min_log2_cols, _tile_log2(max_tile_area_sb, sb_rows * sb_cols))
    if r.read_flag():  # uniform_tile_spacing_flag
        cols_log2 = min_log2_cols
        while cols_log2 < max_log2_cols and r.read_flag():
            cols_log2 += 1
        width_sb = (sb_cols + (1 << cols_log2) - 1) >> cols_log2
        tile_cols = -(-sb_cols // width_sb)
        rows_log2 = max(min_log2_tiles - cols_log2, 0)
        while rows_log2 < max_log2_rows and r.read_flag():
            rows_log2 += 1
        height_sb = (sb_rows + (1 << rows_log2) - 1) >> rows_log2
        tile_rows = -(-sb_rows // height_sb)
    else:
        widest = start = tile_cols = 0
        while start < sb_cols:
            size = _ns(r, min(sb_cols - start, max_tile_width_sb)) + 1
            widest = max(widest, size)
            start += size
            tile_cols += 1
        cols_log2 = _tile_log2(1, tile_cols)
        area = (sb_rows * sb_cols) >> (min_log2_tiles + 1) if min_log2_tiles > 0 else sb_rows * sb_cols
        max_height_sb = max(area // widest, 1)
        start = tile_rows = 0
        while start < sb_rows:
            start += _ns(r, min(sb_rows - start, max_height_sb)) + 1
            tile_rows += 1
        rows_log2 = _tile_log2(1, tile_rows)
    if tile_cols > MAX_TILE_COLS or tile_rows > MAX_TILE_ROWS:
        raise BitstreamError("too many tiles")
    return tile_cols, tile_rows, cols_log2 + rows_log2


RefSlot = tuple[int, int, int]  # (UpscaledWidth, FrameHeight, frame_type) of a reference slot


def parse_frame_header(payload: bytes, seq: SequenceHeader, temporal_id: int, spatial_id: int,
                       refs: list[RefSlot | None], whole: bool = False) -> FrameHeader:
    """uncompressed_header() (5.9.2) up to tile_info(); raises ``BitstreamError`` when it cannot be one.

    ``whole``: ``payload`` is the whole OBU_FRAME_HEADER payload, so a header that shows an existing frame
    (nothing but a few fields) is checked to its trailing bits."""
    r = BitReader(payload)
    if seq.reduced_still_picture_header:
        show_existing, frame_type, show_frame, showable = False, KEY_FRAME, True, False
    else:
        show_existing = r.read_flag()
        if show_existing:
            idx = r.read(3)
            if seq.decoder_model_info_present and not seq.equal_picture_interval:
                r.skip(seq.frame_presentation_time_length)
            if seq.frame_id_numbers_present:
                r.skip(seq.id_len)
            if whole and not _trailing_ok(r):
                raise BitstreamError("a shown existing frame's header does not end with its trailing bits")
            slot = refs[idx]
            frame_type = slot[2] if slot is not None else INTER_FRAME
            fh = FrameHeader(True, frame_type, True, ALL_FRAMES if frame_type == KEY_FRAME else 0, idx)
            if slot is not None:
                fh.upscaled_width, fh.frame_height = slot[0], slot[1]
            return fh
        frame_type = r.read(2)
        show_frame = r.read_flag()
        if show_frame and seq.decoder_model_info_present and not seq.equal_picture_interval:
            r.skip(seq.frame_presentation_time_length)
        showable = frame_type != KEY_FRAME if show_frame else r.read_flag()
    intra = frame_type in (KEY_FRAME, INTRA_ONLY_FRAME)
    if frame_type == SWITCH_FRAME or (frame_type == KEY_FRAME and show_frame):
        error_resilient = True
    elif seq.reduced_still_picture_header:
        error_resilient = True
    else:
        error_resilient = r.read_flag()
    disable_cdf_update = r.read_flag()
    if seq.seq_force_screen_content_tools == SELECT_SCREEN_CONTENT_TOOLS:
        allow_sct = r.read_bit()
    else:
        allow_sct = seq.seq_force_screen_content_tools
    if allow_sct and seq.seq_force_integer_mv == SELECT_INTEGER_MV:
        force_imv = r.read_bit()
    else:
        force_imv = seq.seq_force_integer_mv if allow_sct else 0
    if intra:
        force_imv = 1
    if seq.frame_id_numbers_present:
        r.skip(seq.id_len)  # current_frame_id
    if frame_type == SWITCH_FRAME:
        override = True
    elif seq.reduced_still_picture_header:
        override = False
    else:
        override = r.read_flag()
    r.skip(seq.order_hint_bits)  # order_hint
    primary_ref = PRIMARY_REF_NONE if intra or error_resilient else r.read(3)
    if seq.decoder_model_info_present:
        if r.read_flag():  # buffer_removal_time_present_flag
            for idc, present in zip(seq.operating_point_idc, seq.decoder_model_present):
                if present:
                    in_t = (idc >> temporal_id) & 1
                    in_s = (idc >> (spatial_id + 8)) & 1
                    if idc == 0 or (in_t and in_s):
                        r.skip(seq.buffer_removal_time_length)
    del primary_ref
    if frame_type == SWITCH_FRAME or (frame_type == KEY_FRAME and show_frame):
        refresh = ALL_FRAMES
    else:
        refresh = r.read(8)
    if frame_type == INTRA_ONLY_FRAME and refresh == ALL_FRAMES:
        raise BitstreamError("intra-only frame refreshing every slot")
    if (not intra or refresh != ALL_FRAMES) and error_resilient and seq.enable_order_hint:
        r.skip(8 * seq.order_hint_bits)  # ref_order_hint[i]

    def frame_size() -> tuple[int, int]:
        if override:
            w = r.read(seq.frame_width_bits) + 1
            h = r.read(seq.frame_height_bits) + 1
        else:
            w, h = seq.max_frame_width, seq.max_frame_height
        return w, h

    def superres(upscaled: int) -> int:
        denom = 8
        if seq.enable_superres and r.read_flag():
            denom = r.read(3) + 9
        return (upscaled * 8 + denom // 2) // denom

    def render_size() -> None:
        if r.read_flag():
            r.skip(32)

    known = True
    if intra:
        upscaled, height = frame_size()
        width = superres(upscaled)
        render_size()
        if allow_sct and upscaled == width:
            r.skip(1)  # allow_intrabc
    else:
        short = seq.enable_order_hint and r.read_flag()
        ref_idx = [-1] * 7
        if short:
            r.skip(6)  # last_frame_idx, gold_frame_idx: the others follow from order hints
        for i in range(7):
            if not short:
                ref_idx[i] = r.read(3)
            if seq.frame_id_numbers_present:
                r.skip(seq.delta_frame_id_length)
        if override and not error_resilient:
            found = None
            for i in range(7):
                if r.read_flag():
                    found = i
                    break
            if found is None:
                upscaled, height = frame_size()
                width = superres(upscaled)
                render_size()
            else:
                slot = refs[ref_idx[found]] if ref_idx[found] >= 0 else None
                if slot is None:
                    upscaled = height = 0
                    known = False
                else:
                    upscaled, height = slot[0], slot[1]
                width = superres(upscaled)
        else:
            upscaled, height = frame_size()
            width = superres(upscaled)
            render_size()
        if not force_imv:
            r.skip(1)  # allow_high_precision_mv
        if not r.read_flag():  # is_filter_switchable
            r.skip(2)  # interpolation_filter
        r.skip(1)  # is_motion_mode_switchable
        if not error_resilient and seq.enable_ref_frame_mvs:
            r.skip(1)  # use_ref_frame_mvs
    if not (seq.reduced_still_picture_header or disable_cdf_update):
        r.skip(1)  # disable_frame_end_update_cdf
    fh = FrameHeader(False, frame_type, show_frame, refresh, -1, upscaled, height)
    if known:
        fh.tile_cols, fh.tile_rows, fh.tile_bits = _tile_info(r, seq, width, height)
    del showable
    return fh


def tile_group_range(data, p: int, end: int, fh: FrameHeader) -> tuple[int, int] | None:
    """(tg_start, tg_end) from a tile group header (5.11.1) at ``p``; None when they cannot be."""
    n = fh.num_tiles
    if n <= 1:
        return (0, 0) if n == 1 else None
    r = BitReader(data, p, min(end, p + 8))
    try:
        if not r.read_flag():
            return 0, n - 1
        start, stop = r.read(fh.tile_bits), r.read(fh.tile_bits)
    except BitstreamError:
        return None
    if start > stop or stop >= n:
        return None
    return start, stop


# --- the matcher -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Av1TemporalUnit:
    """What a matched sample holds."""

    frames: list[FrameHeader]
    shown: FrameHeader
    obu_types: tuple[int, ...]
    refs: list[RefSlot | None]
    sequence_header: SequenceHeader | None = None  # a new one met in the unit
    padding_after_shown: bool = False
    tile_groups_after_frame: bool = False


def _refresh(refs: list[RefSlot | None], fh: FrameHeader) -> None:
    if fh.show_existing_frame:
        if fh.frame_type == KEY_FRAME and fh.frame_to_show >= 0:
            slot = refs[fh.frame_to_show]
            for i in range(8):
                refs[i] = slot
        return
    slot = (fh.upscaled_width, fh.frame_height, fh.frame_type) if fh.upscaled_width else None
    for i in range(8):
        if fh.refresh_frame_flags >> i & 1:
            refs[i] = slot


@register
class Av1Matcher(Matcher):
    """'av01' tracks: one temporal unit per sample."""

    fourccs = ("av01",)
    tails_are_samples = True
    block_size = 1 << 20

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        payload = track.config.get("av1C")
        self.seq: SequenceHeader | None = None
        if payload is not None:
            try:
                self.seq = parse_av1c(payload).sequence_header
            except BitstreamError as exc:
                raise MismatchError(_("The reference's AV1 configuration (av1C) cannot be read: {exc}.",
                                      exc=exc)) from None
        self.refs: list[RefSlot | None] = [None] * 8
        self.key_rule = "shown_key"
        self.padding_after_shown = False
        self.tile_groups_after_frame = False
        self.start_types = frozenset(START_TYPES)

    # -- matching --

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        tu = self._temporal_unit(data, pos, end, self.padding_after_shown, self.tile_groups_after_frame)
        if tu is None:
            return None
        size, unit = tu
        return SampleMatch(size, self._is_key(unit), info=unit)

    def _is_key(self, unit: Av1TemporalUnit) -> bool:
        if self.key_rule == "any_key":
            return any(f.frame_type == KEY_FRAME and not f.show_existing_frame for f in unit.frames)
        return unit.shown.frame_type == KEY_FRAME and not unit.shown.show_existing_frame and unit.shown.show_frame

    def _temporal_unit(self, data, pos: int, end: int, padding_after: bool,
                       groups_after: bool) -> tuple[int, Av1TemporalUnit] | None:
        seq = self.seq
        seq_new: SequenceHeader | None = None
        refs = list(self.refs)
        frames: list[FrameHeader] = []
        types: list[int] = []
        shown: FrameHeader | None = None
        shown_sid = -1
        cur: FrameHeader | None = None  # a frame header waiting for its tile groups
        cur_payload = b""
        next_tile = 0
        after_frame: FrameHeader | None = None  # the last frame came in an OBU_FRAME with several tiles
        saw_padding_after = saw_groups_after = False
        p = pos
        stop = pos
        while p < end:
            h = read_obu_header(data, p, end)
            if h is None:
                break
            t = h.type
            if cur is not None:  # inside a frame: only its tile groups (and copies of its header)
                if t == OBU_TILE_GROUP:
                    rng = tile_group_range(data, h.payload, h.end, cur) if cur.num_tiles else (next_tile, -1)
                    if rng is None or rng[0] != next_tile or h.end == h.payload:
                        return None
                    if rng[1] >= 0:
                        next_tile = rng[1] + 1
                    if cur.num_tiles and next_tile == cur.num_tiles:
                        frames.append(cur)
                        _refresh(refs, cur)
                        if cur.show_frame:
                            shown, shown_sid = cur, h.spatial_id
                        cur = None
                elif t in (OBU_FRAME_HEADER, OBU_REDUNDANT_FRAME_HEADER):
                    if h.end - h.payload != len(cur_payload) or bytes(data[h.payload:h.end]) != cur_payload:
                        return None
                elif t != OBU_PADDING:
                    if cur.num_tiles:
                        return None
                    # tile layout unknown: the frame is taken as complete at its last tile group
                    frames.append(cur)
                    _refresh(refs, cur)
                    if cur.show_frame:
                        shown, shown_sid = cur, h.spatial_id
                    cur = None
                    continue
                types.append(t)
                p = stop = h.end
                continue
            if shown is not None:
                # the unit is complete: only padding, more tile groups of a multi-tile OBU_FRAME, or a frame of
                # a higher spatial layer continue it
                if t == OBU_PADDING and padding_after:
                    saw_padding_after = True
                    types.append(t)
                    p = stop = h.end
                    continue
                if t == OBU_TILE_GROUP and groups_after and after_frame is not None:
                    rng = tile_group_range(data, h.payload, h.end, after_frame)
                    if rng is not None and rng[0] > 0:
                        saw_groups_after = True
                        types.append(t)
                        p = stop = h.end
                        if rng[1] == after_frame.num_tiles - 1:
                            after_frame = None
                        continue
                    break
                if not (t in (OBU_FRAME, OBU_FRAME_HEADER) and h.has_extension and h.spatial_id > shown_sid):
                    break
            if t == OBU_TEMPORAL_DELIMITER:
                if p != pos or h.end != h.payload:
                    return None
            elif t == OBU_SEQUENCE_HEADER:
                if h.end - h.payload > SEQUENCE_HEADER_MAX:
                    return None
                raw = bytes(data[h.payload:h.end])
                if seq is None or raw != seq.raw:
                    try:
                        seq = parse_sequence_header(raw)
                    except BitstreamError:
                        return None
                    seq_new = seq
            elif t == OBU_METADATA:
                leb = read_leb128(data, h.payload, h.end)
                if leb is None or not 1 <= leb[0] <= 31 or data[h.end - 1] == 0:
                    return None
            elif t in (OBU_FRAME, OBU_FRAME_HEADER):
                if seq is None or h.end - h.payload < 1 or not _layer_ok(seq, h):
                    return None
                head = bytes(data[h.payload:min(h.end, h.payload + _HEADER_BYTES)])
                try:
                    fh = parse_frame_header(head, seq, h.temporal_id, h.spatial_id, refs,
                                            t == OBU_FRAME_HEADER and h.end - h.payload <= _HEADER_BYTES)
                except BitstreamError:
                    return None
                if fh.show_existing_frame:
                    if t != OBU_FRAME_HEADER:
                        return None
                    frames.append(fh)
                    _refresh(refs, fh)
                    shown, shown_sid = fh, h.spatial_id
                elif t == OBU_FRAME_HEADER:
                    if data[h.end - 1] == 0 or h.end - h.payload > FRAME_HEADER_MAX:
                        return None
                    cur, cur_payload, next_tile = fh, bytes(data[h.payload:h.end]), 0
                else:
                    frames.append(fh)
                    _refresh(refs, fh)
                    after_frame = fh if fh.num_tiles > 1 else None
                    if fh.show_frame:
                        shown, shown_sid = fh, h.spatial_id
            elif t == OBU_PADDING:
                pass
            else:  # tile groups outside a frame, tile lists, reserved types
                return None
            types.append(t)
            p = stop = h.end
        if shown is None or cur is not None:
            return None
        if types[0] not in self.start_types and types[0] != OBU_TEMPORAL_DELIMITER:
            return None
        unit = Av1TemporalUnit(frames, shown, tuple(types), refs, seq_new, saw_padding_after, saw_groups_after)
        return stop - pos, unit

    def accept(self, match: SampleMatch) -> bool:
        unit = match.info
        if not isinstance(unit, Av1TemporalUnit):
            return False
        self.refs = list(unit.refs)
        if unit.sequence_header is not None and (self.seq is None or unit.sequence_header.raw != self.seq.raw):
            self.seq = unit.sequence_header
            return True
        return False

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        lut = np.zeros(256, dtype=bool)
        for t in self.start_types:
            lut[(t << 3) | 0x02] = lut[(t << 3) | 0x06] = True
        start = max(int(start), 0)
        end = min(int(end), len(arr))
        out = []
        b = start
        while b < end:
            e = min(end, b + self.block_size)
            idx = np.flatnonzero(lut[arr[b:e]]).astype(np.int64) + b
            idx = idx[idx + 2 <= len(arr)]
            if idx.size:
                # no extension: the size byte follows; a temporal delimiter has size 0, other units do not
                first = arr[idx]
                nxt = arr[idx + 1]
                td = (first >> 3) & 15 == OBU_TEMPORAL_DELIMITER
                ext = (first & 0x04) != 0
                ok = ext | np.where(td, nxt == 0, nxt != 0)
                out.append(idx[ok])
            b = e
        if not out:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(out)

    # -- learning from the reference --

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Measure the reference's samples; learn where padding and extra tile groups occur, which OBU types
        start a unit, and which units the muxer flags as sync samples."""
        offsets = np.asarray(offsets).tolist()
        sizes = np.asarray(sizes).tolist()
        seq0, refs0 = self.seq, list(self.refs)
        units: list[tuple[int, Av1TemporalUnit | None]] = []
        good = 0
        for i, (off, size) in enumerate(zip(offsets, sizes)):
            tu = self._temporal_unit(data, off, off + size, True, True)
            if tu is not None and tu[0] == size:
                good += 1
                m = SampleMatch(size, True, info=tu[1])
                self.accept(m)
                units.append((i, tu[1]))
            else:
                units.append((i, None))
        known = [(i, u) for i, u in units if u is not None]
        if known:
            self.padding_after_shown = any(u.padding_after_shown for _, u in known)
            self.tile_groups_after_frame = any(u.tile_groups_after_frame for _, u in known)
            self.start_types = frozenset(START_TYPES) & (
                {u.obu_types[0] for _, u in known} | {OBU_SEQUENCE_HEADER, OBU_FRAME, OBU_FRAME_HEADER})
            kf = self.track.keyframes
            if kf is not None:
                index = {int(o): j for j, o in enumerate(np.asarray(self.track.offsets).tolist())}
                flags = {i: bool(kf[index[offsets[i]]]) for i, _ in known
                         if offsets[i] in index and index[offsets[i]] < len(kf)}
            else:
                flags = {i: True for i, _ in known}
            best, best_score = self.key_rule, -1
            for rule in KEY_RULES:
                self.key_rule = rule
                score = sum(self._is_key(u) == flags[i] for i, u in known if i in flags)
                if score > best_score:
                    best, best_score = rule, score
            self.key_rule = best
        # the scan starts from the configuration, not from where the reference's samples left the state
        self.seq, self.refs = seq0 if seq0 is not None else self.seq, refs0
        if seq0 is None and known:
            first_seq = next((u.sequence_header for _, u in known if u.sequence_header is not None), None)
            self.seq = first_seq
        return good

    def clone(self) -> Av1Matcher:
        other = type(self)(self.track)
        other.seq = self.seq
        other.key_rule = self.key_rule
        other.padding_after_shown = self.padding_after_shown
        other.tile_groups_after_frame = self.tile_groups_after_frame
        other.start_types = self.start_types
        return other


__all__ = ["Av1Matcher", "Av1TemporalUnit", "FrameHeader", "SequenceHeader", "parse_av1c", "parse_frame_header",
           "parse_sequence_header", "read_obu_header"]
