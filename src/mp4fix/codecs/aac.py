"""AAC in MP4/MOV ('mp4a'): the codec configuration from the esds, and each raw_data_block's exact length.

An AAC access unit carries no length field. Its size is found by parsing the raw_data_block (ISO/IEC 14496-3
subpart 4, 4.4.2) bit-exactly: every syntactic element up to and including ID_END, then byte alignment.
That requires walking the Huffman-coded scalefactors and spectral data, so the decoding here is table
driven: each Huffman book gets, once at import, a 16-bit lookup table that resolves as many whole codewords
(with their sign bits) as fit in the next 16 bits, so that one Python step usually eats several tuples.

Supported: AAC Main, LC and LTP (object types 1, 2, 4; MPEG-2 AAC Main/LC via objectTypeIndication
0x66/0x67), with or without SBR/PS (explicit object type 5/29 or backward-compatible signalling), implicit
channel configurations 1-7, 11, 12, 14 and explicit program_config_element layouts. Not supported: 960-sample
frames, SSR (gain control), the error-resilient and low-delay object types, and non-AAC payloads in 'mp4a'
(MPEG-1/2 audio is recognised by ``mp4a_kind`` so that another module can take it; see ``register_mp4a_kind``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from mp4fix.bitreader import BitReader, word_list
from mp4fix.codecs.base import Matcher, SampleMatch, register
from mp4fix.errors import BitstreamError, MismatchError, UnsupportedCodecError
from mp4fix import i18n  # i18n._ where a function uses _ as a name
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

# --- syntactic element ids (14496-3 Table 4.85) --------------------------------------------------------------

ID_SCE, ID_CPE, ID_CCE, ID_LFE, ID_DSE, ID_PCE, ID_FIL, ID_END = range(8)
ELEMENT_NAMES = ("SCE", "CPE", "CCE", "LFE", "DSE", "PCE", "FIL", "END")

# window sequences
ONLY_LONG, LONG_START, EIGHT_SHORT, LONG_STOP = range(4)

# section codebooks
ZERO_HCB, ESC_HCB, NOISE_HCB, INTENSITY_HCB2, INTENSITY_HCB = 0, 11, 13, 14, 15

AOT_MAIN, AOT_LC, AOT_SSR, AOT_LTP, AOT_SBR, AOT_PS = 1, 2, 3, 4, 5, 29

AOT_NAMES = {
    1: "AAC Main", 2: "AAC LC", 3: "AAC SSR", 4: "AAC LTP", 5: "HE-AAC (SBR)", 6: "AAC Scalable",
    7: "TwinVQ", 8: "CELP", 9: "HVXC", 12: "TTSI", 13: "Main synthetic", 14: "Wavetable synthesis",
    15: "General MIDI", 16: "Algorithmic synthesis", 17: "ER AAC LC", 19: "ER AAC LTP", 20: "ER AAC Scalable",
    21: "ER TwinVQ", 22: "ER BSAC", 23: "ER AAC LD", 24: "ER CELP", 25: "ER HVXC", 26: "ER HILN",
    27: "ER Parametric", 28: "SSC", 29: "HE-AAC v2 (PS)", 30: "MPEG Surround", 32: "MPEG-1/2 Layer I",
    33: "MPEG-1/2 Layer II", 34: "MPEG-1/2 Layer III (MP3)", 35: "DST", 36: "ALS", 37: "SLS",
    38: "SLS non-core", 39: "ER AAC ELD", 40: "SMR simple", 41: "SMR main", 42: "USAC",
}

# objectTypeIndication values of the DecoderConfigDescriptor (ISO/IEC 14496-1 Table 5 / MP4RA)
OTI_MPEG4_AUDIO = 0x40
OTI_MPEG2_AAC = {0x66: AOT_MAIN, 0x67: AOT_LC, 0x68: AOT_SSR}
OTI_MPEG_AUDIO = {0x69: "MPEG-2 audio (MP3)", 0x6B: "MPEG-1 audio (MP3/MP2)"}
OTI_NAMES = {0xA5: "AC-3", 0xA6: "E-AC-3", 0xA9: "DTS", 0xAA: "DTS-HD", 0xAC: "DTS Express", 0xAD: "Opus",
             0xDD: "Vorbis", 0xE1: "QCELP", 0xA0: "EVRC", 0xA1: "SMV"}

# Implicit channel configurations: the syntactic elements "listed in order received" (14496-3 Table 1.19;
# 11, 12 and 14 from its later amendments).
CHANNEL_CONFIG_ELEMENTS = {
    1: (ID_SCE,),
    2: (ID_CPE,),
    3: (ID_SCE, ID_CPE),
    4: (ID_SCE, ID_CPE, ID_SCE),
    5: (ID_SCE, ID_CPE, ID_CPE),
    6: (ID_SCE, ID_CPE, ID_CPE, ID_LFE),
    7: (ID_SCE, ID_CPE, ID_CPE, ID_CPE, ID_LFE),
    11: (ID_SCE, ID_CPE, ID_CPE, ID_SCE, ID_LFE),
    12: (ID_SCE, ID_CPE, ID_CPE, ID_CPE, ID_LFE),
    14: (ID_SCE, ID_CPE, ID_CPE, ID_LFE, ID_CPE),
}

# PRED_SFB_MAX per sampling frequency index (Main profile prediction, 14496-3 Table 4.156 / 13818-7)
PRED_SFB_MAX = (33, 33, 38, 40, 40, 40, 41, 41, 37, 37, 37, 34, 34)
MAX_LTP_LONG_SFB = 40
MAX_FRAME_BITS_PER_CHANNEL = 6144  # minimum decoder input buffer per channel (14496-3 4.5.3.1)

# --- tables ---------------------------------------------------------------------------------------------------


def _load_tables() -> dict:
    text = resources.files("mp4fix").joinpath("data/aac_tables.json").read_text(encoding="utf-8")
    return json.loads(text)


_TABLES = _load_tables()
SAMPLING_FREQUENCIES: tuple[int, ...] = tuple(_TABLES["sampling_frequencies"])
SWB_OFFSET_LONG = {int(k): tuple(v) for k, v in _TABLES["swb_offset_long"].items()}
SWB_OFFSET_SHORT = {int(k): tuple(v) for k, v in _TABLES["swb_offset_short"].items()}

_PEEK = 16  # bits looked at per table step
_SF_PEEK = 19  # longest scalefactor codeword
_NEVER = 1 << 20  # a tuple count larger than any section: "do not take the multi-code step"


def _codeword_table(codes, bits, width: int, values, max_len: int | None = None) -> np.ndarray:
    """Array over all ``width``-bit windows: ``values[i]`` where the window starts with codeword ``i``.

    Codewords longer than ``max_len`` (default ``width``) are left out: their windows hold 0.
    """
    out = np.zeros(1 << width, dtype=np.int64)
    limit = width if max_len is None else max_len
    for code, n, value in zip(codes, bits, values):
        if n <= limit:
            lo = code << (width - n)
            out[lo:lo + (1 << (width - n))] = value
    return out


def _compose(length: np.ndarray, stop: np.ndarray, *sums: np.ndarray):
    """Multi-code lookup over ``_PEEK``-bit windows from a one-code table.

    ``length[w]`` is the length (codeword plus sign bits) of the code the window starts with, 0 when the
    window does not determine it; ``stop[w]`` marks codes the composition must not cross (escapes). Returns
    how many whole codes the window holds, their total length, and for each array in ``sums`` the running
    total's final value, minimum and maximum (minimum and maximum include 0). Prefix-free codes make this
    exact: a code read from the zero-filled shifted window is the real one whenever it ends inside the window.
    """
    mask = (1 << _PEEK) - 1
    x = np.arange(1 << _PEEK, dtype=np.int64)
    used = np.zeros_like(x)
    count = np.zeros_like(x)
    totals = [[np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)] for _n in sums]
    alive = np.ones(x.shape, dtype=bool)
    for _n in range(_PEEK):
        w = (x << used) & mask
        n = length[w]
        fit = alive & (n > 0) & ~stop[w] & (used + n <= _PEEK)
        if not fit.any():
            break
        used += np.where(fit, n, 0)
        count += fit
        for (total, lo, hi), values in zip(totals, sums):
            total += np.where(fit, values[w], 0)
            np.minimum(lo, total, out=lo)
            np.maximum(hi, total, out=hi)
        alive = fit
    return count, used, totals


def _tuple_list(*columns: np.ndarray) -> list[tuple[int, ...]]:
    """Row-wise tuples of the columns as a list; equal rows share one tuple object (the tables are large)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    total = 0
    for col in columns:  # pack each row into one integer to find the distinct rows quickly
        low = int(col.min())
        width = max(int(col.max()) - low, 0).bit_length()
        total += width
        key = (key << width) | (col - low)
    assert total < 63
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    rows = np.stack(columns, axis=1)[first].tolist()
    objects = [tuple(row) for row in rows]
    return [objects[i] for i in inverse.reshape(-1).tolist()]


def _build_spectral(book: dict) -> list[tuple[int, int, int, int]]:
    """For one spectral book, over all 16-bit windows: (multi bits, multi count, single bits, escapes).

    multi: how many whole tuples (codeword + sign bits, no escape) the window holds and their total length;
    count ``_NEVER`` when not even the first fits. single: the first codeword's length plus its sign bits, and
    how many escape sequences follow it.
    """
    dim, signed, lav, esc = book["dimension"], book["signed"], book["lav"], book["escape"]
    m = 2 * lav + 1 if signed else lav + 1
    totals, escapes = [], []
    for i, n in enumerate(book["bits"]):
        digits = []
        x = i
        for _n in range(dim):
            digits.append(x % m)
            x //= m
        signs = 0 if signed else sum(1 for a in digits if a)
        totals.append(n + signs)
        escapes.append(sum(1 for a in digits if a == 16) if esc else 0)
    assert max(book["bits"]) <= _PEEK
    single = _codeword_table(book["codes"], book["bits"], _PEEK, totals)
    nesc = _codeword_table(book["codes"], book["bits"], _PEEK, escapes)
    count, used, _ = _compose(single, nesc > 0)
    count = np.where(count == 0, _NEVER, count)
    return _tuple_list(used, count, single, nesc)


def _build_scalefactor(sf: dict) -> tuple[list[tuple[int, int, int, int, int]], bytes, bytes]:
    """Scalefactor book: a multi-code table over 16-bit windows, (bits, count, sum of differences, lowest and
    highest running sum), count ``_NEVER`` when the first codeword is longer than 16 bits; and one-code
    tables over 19-bit windows (length, index) as bytes for the rare rest."""
    codes, bits = sf["codes"], sf["bits"]
    zero = sf["index_offset"]
    length16 = _codeword_table(codes, bits, _PEEK, bits)
    delta16 = _codeword_table(codes, bits, _PEEK, [i - zero for i in range(len(codes))])
    count, used, [(total, lo, hi)] = _compose(length16, np.zeros(1 << _PEEK, dtype=bool), delta16)
    count = np.where(count == 0, _NEVER, count)
    multi = _tuple_list(used, count, total, lo, hi)
    lengths = _codeword_table(codes, bits, _SF_PEEK, bits)
    index = _codeword_table(codes, bits, _SF_PEEK, range(len(codes)))
    return multi, lengths.astype(np.uint8).tobytes(), index.astype(np.uint8).tobytes()


_SPECTRAL_BOOKS = {b["codebook"]: b for b in _TABLES["spectral"]}
# _SPECTRAL[cb], cb 1..11, built on first use (about 10 ms each)
_SPECTRAL: list = [None] * 12


def _spectral_table(cb: int) -> list[tuple[int, int, int, int]]:
    table = _SPECTRAL[cb]
    if table is None:
        table = _SPECTRAL[cb] = _build_spectral(_SPECTRAL_BOOKS[cb])
    return table


_SF_MULTI, _SF_LEN, _SF_IDX = _build_scalefactor(_TABLES["scalefactor"])
_SF_ZERO = int(_TABLES["scalefactor"]["index_offset"])  # 60

# scale_factor_grouping (7 bits) -> window group lengths
_GROUPS_SHORT = []
for _g in range(128):
    _lens = [1]
    for _b in range(6, -1, -1):
        if (_g >> _b) & 1:
            _lens[-1] += 1
        else:
            _lens.append(1)
    _GROUPS_SHORT.append(tuple(_lens))
_GROUPS_LONG = (1,)
_NGROUPS_SHORT = np.array([len(g) for g in _GROUPS_SHORT], dtype=np.int64)


# --- configuration --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramConfig:
    """A program_config_element (14496-3 4.4.1.1): the element list of an explicit channel layout."""

    tag: int
    object_type: int
    sampling_frequency_index: int
    elements: tuple[tuple[int, int], ...]  # (ID_SCE/ID_CPE/ID_LFE, instance tag): front, side, back, lfe
    cc_elements: tuple[tuple[int, int], ...]  # (ind_sw flag, instance tag) of valid CCEs
    assoc_data_tags: tuple[int, ...]
    comment: bytes = b""

    @property
    def channels(self) -> int:
        return sum(2 if t == ID_CPE else 1 for t, _ in self.elements)


@dataclass(frozen=True)
class AacConfig:
    """What the AudioSpecificConfig says, reduced to what frame parsing needs (plus facts for reports)."""

    object_type_indication: int  # of the DecoderConfigDescriptor (0x40 MPEG-4 audio, 0x66.. MPEG-2 AAC)
    audio_object_type: int  # as signalled first (5/29 for explicit SBR/PS)
    core_object_type: int  # the AAC object type the raw_data_blocks follow: 1, 2 or 4
    sampling_frequency_index: int  # 0..12, or 15 with an explicit rate
    sample_rate: int  # core rate
    table_index: int  # sampling index whose band tables apply (14496-3 Table 4.82 mapping for explicit rates)
    channel_configuration: int
    elements: tuple[int, ...]  # implicit configurations: element ids in order; () with a PCE
    pce: ProgramConfig | None
    channels: int  # coded channels of the core (SCE/LFE 1, CPE 2)
    sbr_present: bool = False
    ps_present: bool = False
    extension_sample_rate: int = 0  # output rate with SBR
    depends_on_core_coder: bool = False
    extension_flag: bool = False
    frame_length: int = 1024

    @property
    def description(self) -> str:
        name = AOT_NAMES.get(self.core_object_type, f"object type {self.core_object_type}")
        if self.ps_present:
            name = f"HE-AAC v2 ({name} core + SBR + PS)"
        elif self.sbr_present:
            name = f"HE-AAC ({name} core + SBR)"
        return f"{name}, {self.sample_rate} Hz, {self.channels} channel(s)"


def _descriptor(buf: bytes, pos: int, limit: int) -> tuple[int, int, int]:
    """(tag, body start, body end) of the MPEG-4 descriptor at ``pos`` (size in 1-4 bytes, 0x80 continued)."""
    if pos + 2 > limit:
        raise MismatchError(i18n._("The reference's AAC decoder configuration (esds) is truncated."))
    tag = buf[pos]
    pos += 1
    size = 0
    for _n in range(4):
        if pos >= limit:
            raise MismatchError(i18n._("The reference's AAC decoder configuration (esds) is truncated."))
        b = buf[pos]
        pos += 1
        size = (size << 7) | (b & 0x7F)
        if not b & 0x80:
            break
    return tag, pos, min(pos + size, limit)


def _sub_descriptor(buf: bytes, pos: int, end: int, want: int) -> tuple[int, int] | None:
    while pos + 2 <= end:
        tag, body, stop = _descriptor(buf, pos, end)
        if tag == want:
            return body, stop
        pos = stop
    return None


def parse_esds(payload: bytes) -> tuple[int, bytes]:
    """(objectTypeIndication, DecoderSpecificInfo bytes) from an esds box payload (version/flags first).

    The DecoderSpecificInfo is empty when absent. Raises ``MismatchError`` when the payload is not an
    ES_Descriptor with a DecoderConfigDescriptor.
    """
    buf = bytes(payload)
    if len(buf) < 6:
        raise MismatchError(_("The reference's AAC decoder configuration (esds) is too short to read."))
    tag, body, end = _descriptor(buf, 4, len(buf))
    if tag != 0x03:
        raise MismatchError(_("The reference's esds box does not start with an ES descriptor."))
    if body + 3 > end:
        raise MismatchError(_("The reference's AAC decoder configuration (esds) is truncated."))
    flags = buf[body + 2]
    pos = body + 3
    if flags & 0x80:  # streamDependenceFlag
        pos += 2
    if flags & 0x40:  # URL_Flag
        pos += 1 + (buf[pos] if pos < end else 0)
    if flags & 0x20:  # OCRstreamFlag
        pos += 2
    found = _sub_descriptor(buf, pos, end, 0x04)
    if found is None:
        raise MismatchError(_("The reference's esds box has no decoder configuration descriptor."))
    body, stop = found
    if body + 13 > stop:
        raise MismatchError(_("The reference's AAC decoder configuration (esds) is truncated."))
    oti = buf[body]
    dsi = _sub_descriptor(buf, body + 13, stop, 0x05)
    return oti, (buf[dsi[0]:dsi[1]] if dsi else b"")


def find_esds(config: dict[str, bytes]) -> bytes | None:
    """The esds payload of an 'mp4a' sample entry: a direct child, or inside a QuickTime 'wave' box."""
    esds = config.get("esds")
    if esds is not None:
        return esds
    wave = config.get("wave")
    if wave is None:
        return None
    pos = 0
    while pos + 8 <= len(wave):
        size = int.from_bytes(wave[pos:pos + 4], "big")
        kind = bytes(wave[pos + 4:pos + 8])
        header = 8
        if size == 1 and pos + 16 <= len(wave):
            size = int.from_bytes(wave[pos + 8:pos + 16], "big")
            header = 16
        elif size == 0:
            size = len(wave) - pos
        if size < header:  # the terminator (size 8, type 0) and anything malformed end the list
            break
        if kind == b"esds":
            return bytes(wave[pos + header:pos + size])
        pos += size
    return None


def _audio_object_type(r: BitReader) -> int:
    aot = r.read(5)
    if aot == 31:
        aot = 32 + r.read(6)
    return aot


def _sampling_rate(r: BitReader) -> tuple[int, int]:
    index = r.read(4)
    if index == 0xF:
        return index, r.read(24)
    if index > 12:
        raise MismatchError(_("The reference's AAC configuration uses a reserved sampling frequency index ({index}).",
                              index=index))
    return index, SAMPLING_FREQUENCIES[index]


def table_index_for_rate(rate: int) -> int:
    """The sampling frequency index whose tables an explicit rate uses (14496-3 Table 4.82)."""
    for bound, index in ((92017, 0), (75132, 1), (55426, 2), (46009, 3), (37566, 4), (27713, 5), (23004, 6),
                         (18783, 7), (13856, 8), (11502, 9), (9391, 10)):
        if rate >= bound:
            return index
    return 11


def parse_program_config(r: BitReader) -> ProgramConfig:
    """program_config_element() after its element id (the next bits are element_instance_tag)."""
    tag = r.read(4)
    object_type = r.read(2)
    sf_index = r.read(4)
    n_front, n_side, n_back = r.read(4), r.read(4), r.read(4)
    n_lfe, n_assoc, n_cc = r.read(2), r.read(3), r.read(4)
    if r.read(1):  # mono_mixdown_present
        r.skip(4)
    if r.read(1):  # stereo_mixdown_present
        r.skip(4)
    if r.read(1):  # matrix_mixdown_idx_present
        r.skip(3)
    elements = []
    for _n in range(n_front + n_side + n_back):
        is_cpe = r.read(1)
        elements.append((ID_CPE if is_cpe else ID_SCE, r.read(4)))
    for _n in range(n_lfe):
        elements.append((ID_LFE, r.read(4)))
    assoc = tuple(r.read(4) for _n in range(n_assoc))
    cc = tuple((r.read(1), r.read(4)) for _n in range(n_cc))
    r.byte_align()
    n = r.read(8)
    comment = bytes(r.read(8) for _n in range(n))
    return ProgramConfig(tag, object_type, sf_index, tuple(elements), cc, assoc, comment)


def parse_audio_specific_config(asc: bytes, oti: int = OTI_MPEG4_AUDIO) -> AacConfig:
    """Parse an AudioSpecificConfig (14496-3 1.6.2.1) for the AAC object types this module can walk.

    Raises ``UnsupportedCodecError`` for other object types and unsupported AAC variants, and
    ``MismatchError`` for configurations that do not parse.
    """
    r = BitReader(asc)
    try:
        aot = _audio_object_type(r)
        sf_index, rate = _sampling_rate(r)
        chan_config = r.read(4)
        sbr = ps = False
        ext_rate = 0
        core = aot
        if aot in (AOT_SBR, AOT_PS):
            sbr = True
            ps = aot == AOT_PS
            _, ext_rate = _sampling_rate(r)
            core = _audio_object_type(r)
            if core == 22:
                r.skip(4)  # extensionChannelConfiguration (BSAC only)
        if core not in (AOT_MAIN, AOT_LC, AOT_LTP):
            name = AOT_NAMES.get(core) or i18n._("MPEG-4 audio object type {aot}", aot=core)
            if core == AOT_SSR:
                raise UnsupportedCodecError(i18n._("The reference's audio is AAC SSR, which mp4fix cannot rebuild."))
            raise UnsupportedCodecError(i18n._("The reference's audio is {name}, which mp4fix cannot rebuild as AAC.",
                                               name=name))
        # GASpecificConfig
        if r.read(1):
            raise UnsupportedCodecError(
                i18n._("The reference's AAC audio uses 960-sample frames, which mp4fix does not support."))
        depends = bool(r.read(1))
        if depends:
            r.skip(14)  # coreCoderDelay
        ext_flag = bool(r.read(1))
        pce = None
        if chan_config == 0:
            pce = parse_program_config(r)
        if ext_flag:
            r.skip(1)  # extensionFlag3 (the resilience flags only exist for ER object types)
    except BitstreamError:
        raise MismatchError(i18n._("The reference's AAC configuration (AudioSpecificConfig) is truncated.")) from None
    # backward-compatible SBR/PS signalling (a sync extension after the GASpecificConfig); it changes nothing
    # in the raw_data_blocks, so a truncated extension is ignored
    if not sbr and r.bits_left >= 16:
        try:
            if r.read(11) == 0x2B7 and _audio_object_type(r) == AOT_SBR:
                sbr = bool(r.read(1))
                if sbr:
                    _, ext_rate = _sampling_rate(r)
                    if r.bits_left >= 12 and r.read(11) == 0x548:
                        ps = bool(r.read(1))
        except (BitstreamError, MismatchError):
            pass
    if chan_config == 0:
        assert pce is not None
        if not pce.elements:
            raise MismatchError(i18n._("The reference's AAC program configuration lists no audio channels."))
        elements: tuple[int, ...] = ()
        channels = pce.channels + len(pce.cc_elements)
    else:
        if chan_config not in CHANNEL_CONFIG_ELEMENTS:
            raise UnsupportedCodecError(
                i18n._("The reference's AAC audio uses channel configuration {config}, which mp4fix does not "
                       "support.", config=chan_config))
        elements = CHANNEL_CONFIG_ELEMENTS[chan_config]
        channels = sum(2 if e == ID_CPE else 1 for e in elements)
    table = sf_index if sf_index <= 12 else table_index_for_rate(rate)
    return AacConfig(
        object_type_indication=oti, audio_object_type=aot, core_object_type=core, sampling_frequency_index=sf_index,
        sample_rate=rate, table_index=table, channel_configuration=chan_config, elements=elements, pce=pce,
        channels=channels, sbr_present=sbr, ps_present=ps, extension_sample_rate=ext_rate,
        depends_on_core_coder=depends, extension_flag=ext_flag)


def _mp4a_oti_and_asc(track: TrackProfile) -> tuple[int, bytes]:
    esds = find_esds(track.config)
    if esds is None:
        raise MismatchError(_("The reference's 'mp4a' audio track has no esds box, so its codec is unknown."))
    return parse_esds(esds)


def mp4a_kind(track: TrackProfile) -> str:
    """What an 'mp4a' sample entry carries: 'aac', 'mp3' (any MPEG-1/2 audio layer) or 'other'.

    The 'mp4a' matcher registration dispatches on this (``register_mp4a_kind``).
    """
    oti, asc = _mp4a_oti_and_asc(track)
    if oti in OTI_MPEG_AUDIO:
        return "mp3"
    if oti in OTI_MPEG2_AAC:
        return "aac"
    if oti == OTI_MPEG4_AUDIO and asc:
        try:
            aot = _audio_object_type(BitReader(asc))
        except BitstreamError:
            return "other"
        if aot in (32, 33, 34):
            return "mp3"
        return "aac" if aot in (AOT_MAIN, AOT_LC, AOT_SSR, AOT_LTP, AOT_SBR, AOT_PS) else "other"
    return "other"


def mp4a_codec_name(track: TrackProfile) -> str:
    """A readable name of what an 'mp4a' entry carries, for messages."""
    try:
        oti, asc = _mp4a_oti_and_asc(track)
    except MismatchError:
        return _("unknown audio")
    if oti in OTI_MPEG_AUDIO:
        return OTI_MPEG_AUDIO[oti]
    if oti in OTI_MPEG2_AAC:
        return f"MPEG-2 {AOT_NAMES[OTI_MPEG2_AAC[oti]]}"
    if oti == OTI_MPEG4_AUDIO:
        if not asc:
            return _("MPEG-4 audio without a decoder configuration")
        try:
            aot = _audio_object_type(BitReader(asc))
        except BitstreamError:
            return "MPEG-4 audio"
        return AOT_NAMES.get(aot) or _("MPEG-4 audio object type {aot}", aot=aot)
    return OTI_NAMES.get(oti) or _("audio with object type indication 0x{oti:02X}", oti=oti)


def aac_config(track: TrackProfile) -> AacConfig:
    """The AAC configuration of an 'mp4a' track (esds direct or inside a QuickTime 'wave' box)."""
    oti, asc = _mp4a_oti_and_asc(track)
    if oti in OTI_MPEG_AUDIO or (oti != OTI_MPEG4_AUDIO and oti not in OTI_MPEG2_AAC):
        raise UnsupportedCodecError(_("The reference's audio is {codec}, not AAC.", codec=mp4a_codec_name(track)))
    if not asc:
        if oti not in OTI_MPEG2_AAC:
            raise MismatchError(_("The reference's AAC track has no AudioSpecificConfig in its esds box."))
        asc = _synthesize_asc(OTI_MPEG2_AAC[oti], track.sample_rate, track.channels)
    return parse_audio_specific_config(asc, oti)


def _synthesize_asc(aot: int, rate: int, channels: int) -> bytes:
    """A minimal AudioSpecificConfig for MPEG-2 AAC entries that carry none (rate and channels from stsd)."""
    if rate in SAMPLING_FREQUENCIES:
        index = SAMPLING_FREQUENCIES.index(rate)
        bits, nbits = (aot << 4) | index, 9
    else:
        bits, nbits = (aot << 4 | 0xF) << 24 | rate, 33
    chan = channels if channels in (1, 2, 3, 4, 5, 6) else (7 if channels == 8 else 0)
    if chan == 0:
        raise MismatchError(_("The reference's MPEG-2 AAC track has no decoder configuration and an unusual layout."))
    bits = (bits << 4 | chan) << 3  # + GASpecificConfig: three zero flags
    nbits += 7
    pad = (-nbits) % 8
    return (bits << pad).to_bytes((nbits + pad) // 8, "big")


# --- raw_data_block parsing -----------------------------------------------------------------------------------


class _Bad(Exception):
    """Not a valid frame. ``args[0]`` is the bit position reached (to tell real bits from the window's pad)."""


def _rd(W: list[int], p: int, n: int) -> int:
    return (W[p >> 5] >> (64 - (p & 31) - n)) & ((1 << n) - 1)


class AacFrameParser:
    """Bit-exact raw_data_block walker for one configuration. Stateless after construction."""

    def __init__(self, config: AacConfig, typical_size: int = 0):
        self.config = config
        t = config.table_index
        self.swb_long = SWB_OFFSET_LONG[t]
        self.swb_short = SWB_OFFSET_SHORT[t]
        self.nswb_long = len(self.swb_long) - 1
        self.nswb_short = len(self.swb_short) - 1
        self.aot = config.core_object_type
        self.pred_sfb_max = PRED_SFB_MAX[t]
        self.tns_max_long = 20 if self.aot in (AOT_MAIN, AOT_LTP) else 12
        self.max_bytes = MAX_FRAME_BITS_PER_CHANNEL // 8 * max(config.channels, 1)
        self.max_bits = self.max_bytes * 8
        self.elements = config.elements
        self.pce_elements = config.pce.elements if config.pce is not None else None
        self.cce_tags = frozenset(tag for _, tag in config.pce.cc_elements) if config.pce is not None else frozenset()
        first = self._first_ids()
        self._first_id_ok = tuple(i in first for i in range(8))
        # the window sizes tried: one that holds nearly every frame of this recording (building the word list
        # costs time in proportion to its size), then the largest frame the configuration allows
        guess = max(typical_size + typical_size // 4 + 32, 256) if typical_size else 192 * max(config.channels, 1)
        self.windows = sorted({min(guess, self.max_bytes), self.max_bytes})

    # -- public --

    def frame_length(self, data, pos: int, end: int) -> int | None:
        """Exact byte length of the raw_data_block at ``pos`` if one lies complete within [pos, end), else None."""
        avail = min(end - pos, self.max_bytes, len(data) - pos)
        if avail <= 0 or not self._first_id_ok[data[pos] >> 5]:
            return None
        for wbytes in self.windows:
            final = wbytes >= avail
            if final:
                wbytes = avail
            wbits = wbytes * 8
            W = word_list(data, pos, pos + wbytes)
            try:
                bits = self._frame(W)
            except _Bad as bad:
                if final or bad.args[0] <= wbits:
                    return None
                continue
            except IndexError:
                if final:
                    return None
                continue
            if bits <= wbits:
                return bits >> 3
            if final:
                return None
        return None

    # -- the syntax --

    def _frame(self, W: list[int]) -> int:
        p = 0
        expected = self.elements
        pce_left = list(self.pce_elements) if self.pce_elements is not None else None
        seen = 0  # implicit layouts: audio elements so far
        tags = [0, 0, 0, 0]  # instance tags used per element type (SCE, CPE, CCE, LFE)
        max_bits = self.max_bits
        while True:
            eid = (W[p >> 5] >> (61 - (p & 31))) & 7
            p += 3
            if eid == ID_END:
                break
            if eid <= ID_LFE:
                tag = (W[p >> 5] >> (60 - (p & 31))) & 15
                p += 4
                if tags[eid] >> tag & 1:
                    raise _Bad(p)  # two elements of one type with one instance tag
                tags[eid] |= 1 << tag
                if eid == ID_CCE:
                    if tag not in self.cce_tags:
                        raise _Bad(p)
                    p = self._cce(W, p)
                else:
                    if pce_left is None:
                        if seen >= len(expected) or expected[seen] != eid:
                            raise _Bad(p)
                        seen += 1
                    else:
                        try:
                            pce_left.remove((eid, tag))
                        except ValueError:
                            raise _Bad(p) from None
                    if eid == ID_CPE:
                        p = self._cpe(W, p)
                    else:
                        p = self._ics(W, p, None, False)[0]
            elif eid == ID_FIL:
                cnt = (W[p >> 5] >> (60 - (p & 31))) & 15
                p += 4
                if cnt == 15:
                    cnt += ((W[p >> 5] >> (56 - (p & 31))) & 255) - 1
                    p += 8
                p += 8 * cnt
            elif eid == ID_DSE:
                align = (W[p >> 5] >> (59 - (p & 31))) & 1  # after the 4-bit tag
                cnt = (W[p >> 5] >> (51 - (p & 31))) & 255
                p += 13
                if cnt == 255:
                    cnt += (W[p >> 5] >> (56 - (p & 31))) & 255
                    p += 8
                if align:
                    p = (p + 7) & ~7
                p += 8 * cnt
            else:  # ID_PCE in the stream: parse it to skip it
                p = self._skip_pce(W, p)
            if p > max_bits:
                raise _Bad(p)
        if pce_left is None:
            if seen != len(expected):
                raise _Bad(p)
        elif pce_left:
            raise _Bad(p)
        return (p + 7) & ~7

    @staticmethod
    def _skip_pce(W: list[int], p: int) -> int:
        """A program_config_element inside a frame (after its id): only its length matters here."""
        x = _rd(W, p + 10, 21)  # after tag(4) object_type(2) sampling_frequency_index(4): the element counts
        p += 31
        for extra in (4, 4, 3):  # mono mixdown, stereo mixdown, matrix mixdown
            p += 1 + extra * _rd(W, p, 1)
        p += 5 * ((x >> 17) + ((x >> 13) & 15) + ((x >> 9) & 15)) + 4 * ((x >> 7) & 3) + 4 * ((x >> 4) & 7) \
            + 5 * (x & 15)
        p = (p + 7) & ~7  # byte_alignment(): frames start byte-aligned
        return p + 8 + 8 * _rd(W, p, 8)  # comment_field_bytes and the comment

    def _ics_info(self, W: list[int], p: int, common_window: bool):
        """ics_info(): (position after, is short, max_sfb, window group lengths)."""
        x = (W[p >> 5] >> (60 - (p & 31))) & 15  # reserved, window_sequence(2), window_shape
        p += 4
        if x & 8:
            raise _Bad(p)  # ics_reserved_bit
        if (x >> 1) == EIGHT_SHORT:
            x = (W[p >> 5] >> (53 - (p & 31))) & 2047  # max_sfb(4) scale_factor_grouping(7)
            p += 11
            max_sfb = x >> 7
            if max_sfb > self.nswb_short:
                raise _Bad(p)
            return p, True, max_sfb, _GROUPS_SHORT[x & 127]
        x = (W[p >> 5] >> (57 - (p & 31))) & 127  # max_sfb(6) predictor_data_present(1)
        p += 7
        max_sfb = x >> 1
        if max_sfb > self.nswb_long:
            raise _Bad(p)
        if x & 1:
            if self.aot == AOT_MAIN:
                if _rd(W, p, 1):  # predictor_reset
                    group = _rd(W, p + 1, 5)
                    p += 5
                    if group == 0 or group > 30:
                        raise _Bad(p)
                p += 1 + min(max_sfb, self.pred_sfb_max)
            elif self.aot == AOT_LTP:
                for _n in range(2 if common_window else 1):
                    present = _rd(W, p, 1)
                    p += 1
                    if present:  # ltp_data() of a long window: lag(11) coef(3) long_used[]
                        p += 14 + min(max_sfb, MAX_LTP_LONG_SFB)
            else:
                raise _Bad(p)  # no prediction in AAC LC
        return p, False, max_sfb, _GROUPS_LONG

    def _cpe(self, W: list[int], p: int) -> int:
        common = _rd(W, p, 1)
        p += 1
        if common:
            p, short, max_sfb, groups = info = self._ics_info(W, p, True)
            ms = _rd(W, p, 2)
            p += 2
            if ms == 3:
                raise _Bad(p)
            if ms == 1:
                p += len(groups) * max_sfb
            p = self._ics(W, p, info, False)[0]
            return self._ics(W, p, info, True)[0]
        p = self._ics(W, p, None, False)[0]
        return self._ics(W, p, None, True)[0]

    def _cce(self, W: list[int], p: int) -> int:
        ind_sw = _rd(W, p, 1)
        n_coupled = _rd(W, p + 1, 3)
        p += 4
        lists = 0
        for _n in range(n_coupled + 1):
            lists += 1
            is_cpe = _rd(W, p, 1)
            p += 5
            if is_cpe:
                if _rd(W, p, 2) == 3:  # cc_l and cc_r
                    lists += 1
                p += 2
        p += 4  # cc_domain, gain_element_sign, gain_element_scale(2)
        p, _info, sections = self._ics(W, p, None, True)
        coded = sum(e - k for _, cb, k, e in sections if cb != ZERO_HCB)
        sfl = _SF_LEN
        for _n in range(1, lists):  # gain element lists: scalefactor-book codes
            common_gain = ind_sw or _rd(W, p, 1)
            if not ind_sw:
                p += 1
            for _n in range(1 if common_gain else coded):
                p += sfl[(W[p >> 5] >> (45 - (p & 31))) & 0x7FFFF]
        return p

    def _ics(self, W: list[int], p: int, info, allow_is: bool):
        """individual_channel_stream(): (position after, ics_info, sections)."""
        global_gain = (W[p >> 5] >> (56 - (p & 31))) & 255
        p += 8
        if info is None:
            p, short, max_sfb, groups = info = self._ics_info(W, p, False)
        else:
            _, short, max_sfb, groups = info
        max_bits = self.max_bits

        p, sections = self._section_data(W, p, short, max_sfb, groups, allow_is, max_bits)
        swb = self.swb_short if short else self.swb_long

        # scale_factor_data(): sections of one kind decode several codes per table step
        multi, sfl, sfi = _SF_MULTI, _SF_LEN, _SF_IDX
        zero = _SF_ZERO
        sf = global_gain
        first_noise = True
        for _g, cb, k, end in sections:
            if cb == ZERO_HCB:
                continue
            n = end - k
            if cb < NOISE_HCB:
                while n:
                    bits, c, d, lo, hi = multi[(W[p >> 5] >> (48 - (p & 31))) & 0xFFFF]
                    if c <= n:
                        if sf + lo < 0 or sf + hi > 255:  # a scale factor outside 0..255
                            raise _Bad(p)
                        p += bits
                        sf += d
                        n -= c
                    else:
                        x = (W[p >> 5] >> (45 - (p & 31))) & 0x7FFFF
                        p += sfl[x]
                        sf += sfi[x] - zero
                        n -= 1
                        if sf & ~255:
                            raise _Bad(p)
            else:  # intensity positions and noise energies: only their lengths matter
                if cb == NOISE_HCB and first_noise:
                    first_noise = False
                    p += 9  # the first noise energy is a 9-bit raw value
                    n -= 1
                while n:
                    bits, c = multi[(W[p >> 5] >> (48 - (p & 31))) & 0xFFFF][:2]
                    if c <= n:
                        p += bits
                        n -= c
                    else:
                        p += sfl[(W[p >> 5] >> (45 - (p & 31))) & 0x7FFFF]
                        n -= 1

        # pulse_data(), tns_data(), gain_control_data()
        x = (W[p >> 5] >> (63 - (p & 31))) & 1
        p += 1
        if x:
            if short:
                raise _Bad(p)  # no pulses in eight short sequences
            x = (W[p >> 5] >> (56 - (p & 31))) & 255  # number_pulse(2) pulse_start_sfb(6)
            p += 8
            start = x & 63
            if start >= self.nswb_long:
                raise _Bad(p)
            line = swb[start]
            for _n in range((x >> 6) + 1):
                line += (W[p >> 5] >> (59 - (p & 31))) & 31  # pulse_offset; pulse_amp(4) follows
                p += 9
                if line >= 1024:
                    raise _Bad(p)
        x = (W[p >> 5] >> (63 - (p & 31))) & 1
        p += 1
        if x:
            p = self._tns(W, p, short)
        x = (W[p >> 5] >> (63 - (p & 31))) & 1
        p += 1
        if x:
            raise _Bad(p)  # gain control exists only in AAC SSR

        # spectral_data()
        spectral = _SPECTRAL
        for g, cb, k, end in sections:
            if cb == ZERO_HCB or cb > ESC_HCB:
                continue
            lines = swb[end] - swb[k]
            if short:
                lines *= groups[g]
            n = lines >> 2 if cb < 5 else lines >> 1
            table = spectral[cb] or _spectral_table(cb)
            while n:
                bits, c, one, esc = table[(W[p >> 5] >> (48 - (p & 31))) & 0xFFFF]
                if c <= n:
                    p += bits
                    n -= c
                    continue
                p += one
                n -= 1
                while esc:  # escape sequences: N ones, a zero, N+4 bits (N <= 8)
                    y = (W[p >> 5] >> (48 - (p & 31))) & 0xFFFF
                    if y >= 0xFF80:
                        raise _Bad(p)
                    p += 2 * (16 - (y ^ 0xFFFF).bit_length()) + 5
                    esc -= 1
            if p > max_bits:
                raise _Bad(p)
        return p, info, sections

    def _section_data(self, W: list[int], p: int, short: bool, max_sfb: int, groups, allow_is: bool,
                      limit: int) -> tuple[int, list[tuple[int, int, int, int]]]:
        """section_data(): (position after, sections as (group, codebook, first band, end band)).

        Zero-length sections are legal; ``limit`` (a bit position) bounds a run of them over garbage.
        """
        if short:
            sbits, sesc = 3, 7
        else:
            sbits, sesc = 5, 31
        sections = []
        for g in range(len(groups)):
            k = 0
            while k < max_sfb:
                cb = (W[p >> 5] >> (60 - (p & 31))) & 15
                p += 4
                if cb == 12 or (cb >= INTENSITY_HCB2 and not allow_is):
                    raise _Bad(p)
                length = 0
                while True:
                    inc = (W[p >> 5] >> (64 - sbits - (p & 31))) & sesc
                    p += sbits
                    length += inc
                    if inc != sesc:
                        break
                    if length > max_sfb:
                        raise _Bad(p)
                end = k + length
                if end > max_sfb or p > limit:
                    raise _Bad(p)
                if length:
                    sections.append((g, cb, k, end))
                k = end
        return p, sections

    def _tns(self, W: list[int], p: int, short: bool) -> int:
        if short:
            windows, nf_bits, len_bits, order_bits, max_order = 8, 1, 4, 3, 7
        else:
            windows, nf_bits, len_bits, order_bits, max_order = 1, 2, 6, 5, self.tns_max_long
        for _n in range(windows):
            n_filt = _rd(W, p, nf_bits)
            p += nf_bits
            if n_filt:
                coef_bits = 3 + _rd(W, p, 1)
                p += 1
                for _n in range(n_filt):
                    p += len_bits
                    order = _rd(W, p, order_bits)
                    p += order_bits
                    if order:
                        if order > max_order:
                            raise _Bad(p)
                        compress = _rd(W, p + 1, 1)  # after direction
                        p += 2 + order * (coef_bits - compress)
        return p

    # -- the vectorised prefilter --

    def candidates(self, arr: np.ndarray, start: int, end: int, block: int = 1 << 20) -> np.ndarray:
        """Positions in [start, end) whose first element header could begin a frame (see ``_starts_ok``)."""
        out = []
        first_ids = self._first_ids()
        lut = np.zeros(8, dtype=bool)
        lut[list(first_ids)] = True
        margin = 4096  # FIL/DSE hops are followed this far; headers beyond it are not checked
        for s in range(start, end, block):
            e = min(s + block, end)
            hi = min(e + margin, len(arr))
            buf = np.zeros(hi - s + 64, dtype=np.uint8)
            buf[:hi - s] = arr[s:hi]
            q = np.flatnonzero(lut[buf[:e - s] >> 5])
            if len(q) > self.SCALAR_BELOW:
                q = q[self._starts_ok(_words(buf), q.astype(np.int64) * 8, (hi - s - 256) * 8)]
            elif len(q):  # few positions: the parser's own code, one position at a time, is cheaper
                W = word_list(arr, s, hi)
                q = q[[self._start_ok(W, 8 * int(x), 8 * (hi - s)) for x in q.tolist()]]
            out.append(q.astype(np.int64) + s)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    #: below this many positions per block, ``candidates`` checks them one by one (``_start_ok``)
    SCALAR_BELOW = 256

    def _start_ok(self, W: list[int], p: int, real: int) -> bool:
        """The scalar twin of ``_starts_ok`` for one position (bit ``p`` of ``W``; bits from ``real`` on are
        not data): hop over FIL/DSE/PCE, then the first audio element up to the end of its first section_data,
        with the parser's own functions."""
        try:
            for _hop in range(8):
                if p + 64 > real:
                    return True
                eid = _rd(W, p, 3)
                p += 3
                if eid == ID_FIL:
                    cnt = _rd(W, p, 4)
                    p += 4
                    if cnt == 15:
                        cnt += _rd(W, p, 8) - 1
                        p += 8
                    p += 8 * cnt
                    continue
                if eid == ID_DSE:
                    align, cnt = _rd(W, p + 4, 1), _rd(W, p + 5, 8)
                    p += 13
                    if cnt == 255:
                        cnt += _rd(W, p, 8)
                        p += 8
                    if align:
                        p = (p + 7) & ~7
                    p += 8 * cnt
                    continue
                if eid == ID_PCE:
                    p = self._skip_pce(W, p)
                    continue
                if eid == ID_END:
                    return False
                tag = _rd(W, p, 4)
                p += 4
                if eid == ID_CCE:
                    return tag in self.cce_tags
                if self.pce_elements is None:
                    if eid != self.elements[0]:
                        return False
                elif (eid, tag) not in self.pce_elements:
                    return False
                if eid == ID_CPE and _rd(W, p, 1):
                    p, short, max_sfb, groups = self._ics_info(W, p + 1, True)
                    ms = _rd(W, p, 2)
                    if ms == 3:
                        return False
                    p += 2 + (len(groups) * max_sfb if ms == 1 else 0) + 8
                else:
                    p, short, max_sfb, groups = self._ics_info(W, p + 9 if eid == ID_CPE else p + 8, False)
                self._section_data(W, p, short, max_sfb, groups, False, real)
                return True
            return True
        except _Bad as bad:
            return bad.args[0] > real
        except IndexError:
            return True

    def _first_ids(self) -> set[int]:
        ids = {ID_FIL, ID_DSE, ID_PCE}
        if self.pce_elements is None:
            ids.add(self.elements[0])
        else:
            ids.update(t for t, _ in self.pce_elements)
            if self.cce_tags:
                ids.add(ID_CCE)
        return ids

    def _starts_ok(self, words: np.ndarray, b: np.ndarray, reach: int) -> np.ndarray:
        """Which bit positions ``b`` of ``words`` start like a frame: FIL, DSE and PCE elements are hopped over,
        then the first audio element's header (tag, ics_info, ms mask) and its first channel's section_data
        are checked. Only conditions the full parser also enforces are used, so no real frame start is lost.
        Positions hopped beyond ``reach`` (the bits of ``words`` known to be real, less a header's worth) and
        chains of more than 8 such elements are accepted unchecked."""
        ok = np.zeros(len(b), dtype=bool)
        idx = np.arange(len(b))
        for _hop in range(8):
            if not len(idx):
                break
            far = b > reach
            if far.any():
                ok[idx[far]] = True
                idx, b = idx[~far], b[~far]
            eid = _bits(words, b, 3)
            good = np.zeros(len(idx), dtype=bool)
            if self.pce_elements is None:
                first = self.elements[0]
                m = eid == first
                if m.any():
                    good[m] = self._audio_header_ok(words, b[m], first)
            else:
                for t in {t for t, _ in self.pce_elements}:
                    m = eid == t
                    if m.any():
                        allowed = np.zeros(16, dtype=bool)
                        allowed[[tag for tt, tag in self.pce_elements if tt == t]] = True
                        good[m] = allowed[_bits(words, b[m] + 3, 4)] & self._audio_header_ok(words, b[m], t)
                if self.cce_tags:
                    m = eid == ID_CCE
                    allowed = np.zeros(16, dtype=bool)
                    allowed[list(self.cce_tags)] = True
                    good[m] = allowed[_bits(words, b[m] + 3, 4)]
            ok[idx[good]] = True
            # hop over FIL, DSE and PCE
            fil = eid == ID_FIL
            dse = eid == ID_DSE
            pce = eid == ID_PCE
            nxt = b.copy()
            if pce.any():
                bp = b[pce]
                x = _bits(words, bp + 13, 21)  # element counts: front(4) side(4) back(4) lfe(2) assoc(3) cc(4)
                listed = 5 * ((x >> 17) + ((x >> 13) & 15) + ((x >> 9) & 15)) + 4 * ((x >> 7) & 3) \
                    + 4 * ((x >> 4) & 7) + 5 * (x & 15)
                h = bp + 34
                for extra in (4, 4, 3):  # mono/stereo mixdown, matrix mixdown
                    h = h + 1 + extra * _bits(words, h, 1)
                h = (h + listed + 7) & ~7
                nxt[pce] = h + 8 + 8 * _bits(words, h, 8)
            if fil.any():
                bf = b[fil]
                cnt = _bits(words, bf + 3, 4)
                esc = cnt == 15
                cnt = np.where(esc, cnt - 1 + _bits(words, bf + 7, 8), cnt)
                nxt[fil] = bf + 7 + 8 * esc + 8 * cnt
            if dse.any():
                bd = b[dse]
                align = _bits(words, bd + 7, 1)
                cnt = _bits(words, bd + 8, 8)
                esc = cnt == 255
                cnt = np.where(esc, cnt + _bits(words, bd + 16, 8), cnt)
                h = bd + 16 + 8 * esc
                h = np.where(align == 1, (h + 7) & ~7, h)
                nxt[dse] = h + 8 * cnt
            keep = fil | dse | pce
            idx, b = idx[keep], nxt[keep]
        ok[idx] = True  # long chains of FIL/DSE: let the parser decide
        return ok

    def _ics_info_ok(self, words: np.ndarray, b: np.ndarray):
        """(ok, short, max_sfb, bits after ics_info when no predictor data) for ics_info at ``b``."""
        x = _bits(words, b, 4)
        short = (x >> 1) == EIGHT_SHORT
        ok = (x & 8) == 0
        y = _bits(words, b + 4, 11)
        max_sfb = np.where(short, y >> 7, y >> 5)
        ok &= np.where(short, max_sfb <= self.nswb_short, max_sfb <= self.nswb_long)
        pred = (~short) & ((y >> 4) & 1 == 1)
        if self.aot == AOT_LC:
            ok &= ~pred
        groups = np.where(short, _NGROUPS_SHORT[y & 127], 1)
        after = b + np.where(short, 15, 11)
        return ok, short, max_sfb, groups, after, pred

    def _sections_ok(self, words: np.ndarray, at: np.ndarray, short: np.ndarray, max_sfb: np.ndarray,
                     groups: np.ndarray) -> np.ndarray:
        """section_data() of a first channel at bit positions ``at``, walked for all candidates at once: no
        reserved or intensity codebook, and every window group's sections end exactly at max_sfb."""
        ok = np.ones(len(at), dtype=bool)
        idx = np.flatnonzero(max_sfb > 0)
        p, top, ng = at[idx], max_sfb[idx], groups[idx]
        sh = short[idx]
        step = np.where(sh, 3, 5)  # sect_len bits
        esc = np.where(sh, 7, 31)  # their escape value
        g = np.zeros(len(idx), dtype=np.int64)
        k = np.zeros(len(idx), dtype=np.int64)
        for _n in range(256):
            if not len(idx):
                break
            x = _bits(words, p, 9)  # sect_cb(4) and the first sect_len bits
            cb = x >> 5
            length = np.where(sh, (x >> 2) & 7, x & 31)
            p = p + 4 + step
            bad = (cb == 12) | (cb >= INTENSITY_HCB2)
            j = np.flatnonzero(length == esc)
            for _esc in range(2):  # escapes are rare; a third would exceed any max_sfb
                if not len(j):
                    break
                v = _bits(words, p[j], 5)
                inc = np.where(sh[j], v >> 2, v)
                p[j] += step[j]
                length[j] += inc
                j = j[inc == esc[j]]
            bad[j] = True
            k = k + length
            bad |= k > top
            closed = k == top
            g = g + closed
            k[closed] = 0
            ok[idx[bad]] = False
            keep = ~bad & (g < ng)
            idx, p, top, ng, sh, step, esc, g, k = (idx[keep], p[keep], top[keep], ng[keep], sh[keep], step[keep],
                                                    esc[keep], g[keep], k[keep])
        return ok

    def _audio_header_ok(self, words: np.ndarray, b: np.ndarray, eid: int) -> np.ndarray:
        if eid != ID_CPE:  # SCE / LFE: tag, global_gain, ics_info
            ok, short, max_sfb, groups, after, pred = self._ics_info_ok(words, b + 15)
            return ok & (pred | self._sections_ok(words, after, short, max_sfb, groups))
        common = _bits(words, b + 7, 1) == 1
        ok, short, max_sfb, groups, after, pred = self._ics_info_ok(words, np.where(common, b + 8, b + 16))
        ms = _bits(words, after, 2)
        ms_ok = pred | (ms != 3)
        ms_len = np.where(ms == 1, groups * max_sfb, 0)
        sect = np.where(common, after + 2 + ms_len + 8, after)  # common window: ms mask, then global_gain
        ok &= np.where(common, ms_ok, True)
        return ok & (pred | self._sections_ok(words, sect, short, max_sfb, groups))


def _words(buf: np.ndarray) -> np.ndarray:
    """The big-endian 32-bit word starting at each byte of ``buf`` (zero past its end), as int64."""
    b = np.concatenate([buf, np.zeros(3, dtype=np.uint8)]).astype(np.int64)
    return (b[:-3] << 24) | (b[1:-2] << 16) | (b[2:-1] << 8) | b[3:]


def _bits(words: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """``n`` (<= 25) bits at each bit position ``b`` (positions past the end read the last word)."""
    return (words[np.minimum(b >> 3, len(words) - 1)] >> (32 - (b & 7) - n)) & ((1 << n) - 1)


def aac_frame_length(data, pos: int, end: int, config: AacConfig) -> int | None:
    """Exact byte length of the AAC raw_data_block at ``pos`` (complete within [pos, end)), or None."""
    return AacFrameParser(config).frame_length(data, pos, end)


# --- the matcher ----------------------------------------------------------------------------------------------

_MP4A_KINDS: dict[str, type[Matcher]] = {}


def register_mp4a_kind(kind: str):
    """Class decorator for matchers of other 'mp4a' payloads (``mp4a_kind`` values such as 'mp3').

    ``AacMatcher(track)`` returns an instance of the registered class for such tracks. The class must not
    subclass ``AacMatcher``.
    """
    def deco(cls: type[Matcher]) -> type[Matcher]:
        _MP4A_KINDS[kind] = cls
        return cls
    return deco


@register
class AacMatcher(Matcher):
    """'mp4a' tracks. AAC is parsed here; other kinds go to the matcher registered for them."""

    fourccs = ("mp4a",)

    def __new__(cls, track: TrackProfile, *args, **kwargs):
        if cls is AacMatcher:
            kind = mp4a_kind(track)
            other = _MP4A_KINDS.get(kind)
            if other is not None and other is not AacMatcher:
                return other(track, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        kind = mp4a_kind(track)
        if kind != "aac":
            raise UnsupportedCodecError(
                _("The reference's 'mp4a' audio is {codec}, which mp4fix cannot rebuild yet.",
                  codec=mp4a_codec_name(track)))
        self.config = aac_config(track)
        sizes = np.asarray(track.sizes) if track.sizes is not None else np.zeros(0)
        typical = int(np.percentile(sizes, 99)) if len(sizes) else 0
        self.parser = AacFrameParser(self.config, typical)

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        n = self.parser.frame_length(data, pos, end)
        if n is None:
            return None
        return SampleMatch(size=n, keyframe=True)

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        return self.parser.candidates(arr, start, end)


__all__ = [
    "AacConfig", "AacFrameParser", "AacMatcher", "ProgramConfig", "aac_config", "aac_frame_length", "find_esds",
    "mp4a_codec_name", "mp4a_kind", "parse_audio_specific_config", "parse_esds", "parse_program_config",
    "register_mp4a_kind", "table_index_for_rate",
]

