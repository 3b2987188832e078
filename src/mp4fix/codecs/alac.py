"""Apple Lossless ('alac' with its magic cookie): each frame's exact length from a full parse of its elements.

Written from Apple's ALAC format description (the open-source ALAC release: the ALACSpecificConfig "magic
cookie", the frame's element syntax and the adaptive Golomb-Rice entropy coder). An ALAC frame has no length
field, so its end is found by walking it to the END element:

* a frame is a sequence of elements, each led by a 3-bit tag: SCE (mono), CPE (a channel pair), LFE (mono),
  DSE and FIL (skipped by their counts), END (then byte alignment);
* an audio element: instance tag (4), 12 zero bits, partial-frame flag, bytes shifted (2), escape flag, the
  sample count (32 bits) when partial;
  - escape (uncompressed) elements hold ``samples * channels * bitDepth`` raw bits;
  - compressed elements hold mixBits and mixRes (8 + 8), per channel the predictor mode, denShift, pbFactor,
    the coefficient count and 16-bit coefficients, then the shifted-off low bytes
    (``bytesShifted * 8 * channels * samples`` bits) and per channel the residuals, coded with the adaptive
    Golomb-Rice code: the Rice parameter k follows a running mean (cookie: mb initial, pb adaptation rate
    scaled by the channel's pbFactor, kb the largest k), prefixes of 9 or more ones escape to a raw value of
    the channel's bit width, and a small mean switches to a zero-run mode. The residual *values* matter only
    through the running mean; no prediction is done.

The frame's channels must add up to the cookie's channel count. The cookie's frameLength bounds partial frames;
maxFrameBytes (or the escape size) bounds the bytes read. Every sample is a sync sample.
"""

from __future__ import annotations

import numpy as np

from mp4fix.bitreader import word_list
from mp4fix.codecs.base import Matcher, SampleMatch, register
from mp4fix.errors import MismatchError, UnsupportedCodecError
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

ID_SCE, ID_CPE, ID_CCE, ID_LFE, ID_DSE, ID_PCE, ID_FIL, ID_END = range(8)

QBSHIFT = 9
MAX_PREFIX = 9  # ones before the escape to a raw value
RUN_ESCAPE_BITS = 16  # raw bits of an escaped zero-run length
MEAN_CLAMP = 0xFFFF
BLOCK = 1 << 20


class _Bad(Exception):
    """Internal: the bits at this position are not an ALAC frame of this stream."""


class AlacConfig:
    """ALACSpecificConfig (24 bytes, big-endian)."""

    __slots__ = ("frame_length", "compatible_version", "bit_depth", "pb", "mb", "kb", "channels", "max_run",
                 "max_frame_bytes", "avg_bit_rate", "sample_rate")

    def __init__(self, cookie: bytes):
        c = bytes(cookie)
        if len(c) < 24:
            raise MismatchError(_("The reference's ALAC configuration (magic cookie) is truncated."))
        self.frame_length = int.from_bytes(c[0:4], "big")
        self.compatible_version = c[4]
        self.bit_depth, self.pb, self.mb, self.kb, self.channels = c[5], c[6], c[7], c[8], c[9]
        self.max_run = int.from_bytes(c[10:12], "big")
        self.max_frame_bytes = int.from_bytes(c[12:16], "big")
        self.avg_bit_rate = int.from_bytes(c[16:20], "big")
        self.sample_rate = int.from_bytes(c[20:24], "big")


def find_cookie(track: TrackProfile) -> bytes | None:
    """The ALACSpecificConfig: the 'alac' child box (after its version/flags), in MP4 or inside QuickTime 'wave'."""
    box = track.config.get("alac")
    if box is None:
        return None
    box = bytes(box)
    if len(box) >= 28 and box[:4] == b"\0\0\0\0":
        return box[4:28]  # full box: version and flags first
    return box[:24] if len(box) >= 24 else None


def parse_cookie(track: TrackProfile) -> AlacConfig:
    cookie = find_cookie(track)
    if cookie is None:
        raise MismatchError(_("The reference's ALAC track has no configuration (magic cookie), so its format is "
                              "unknown."))
    cfg = AlacConfig(cookie)
    if cfg.compatible_version != 0:
        raise UnsupportedCodecError(
            _("The reference's ALAC audio uses format version {version}, which mp4fix cannot parse.",
              version=cfg.compatible_version))
    if cfg.bit_depth not in (16, 20, 24, 32) or not 1 <= cfg.channels <= 8 or not 1 <= cfg.frame_length <= 1 << 16:
        raise MismatchError(_("The reference's ALAC configuration (magic cookie) has values out of range."))
    if cfg.kb > 22:  # k + a prefix of up to 8 ones and its zero must fit the 32 bits read at once
        raise UnsupportedCodecError(
            _("The reference's ALAC configuration has an unusual Rice limit (kb {kb}) mp4fix cannot parse.", kb=cfg.kb))
    return cfg


def _rice(W: list[int], p: int, n: int, maxbits: int, pb: int, mb: int, kb: int, limit: int) -> int:
    """Bit position after the adaptive Golomb-Rice residuals of one channel (``n`` samples) starting at ``p``."""
    wb = (1 << kb) - 1
    rawmask = (1 << maxbits) - 1
    zmode = 0
    c = 0
    while c < n:
        k = ((mb >> QBSHIFT) + 3).bit_length() - 1
        if k > kb:
            k = kb
        x = (W[p >> 5] >> (32 - (p & 31))) & 0xFFFFFFFF
        pre = 32 - (x ^ 0xFFFFFFFF).bit_length()  # leading ones
        if pre >= MAX_PREFIX:
            q = p + MAX_PREFIX
            val = (W[q >> 5] >> (64 - (q & 31) - maxbits)) & rawmask
            p = q + maxbits
        else:
            v = (x >> (31 - pre - k)) & ((1 << k) - 1)
            if v >= 2:
                val = pre * ((1 << k) - 1) + v - 1
                p += pre + 1 + k
            else:
                val = pre * ((1 << k) - 1)
                p += pre + k
        c += 1
        mb = pb * (val + zmode) + mb - ((pb * mb) >> QBSHIFT)
        if val > MEAN_CLAMP:
            mb = MEAN_CLAMP
        zmode = 0
        if mb < 128 and c < n:  # (mb << 2) < QB: a run of zeros follows
            zmode = 1
            k = 8 - mb.bit_length() + ((mb + 16) >> 6)
            m = ((1 << k) - 1) & wb
            x = (W[p >> 5] >> (32 - (p & 31))) & 0xFFFFFFFF
            pre = 32 - (x ^ 0xFFFFFFFF).bit_length()
            if pre >= MAX_PREFIX:
                q = p + MAX_PREFIX
                run = (W[q >> 5] >> (48 - (q & 31))) & 0xFFFF
                p = q + RUN_ESCAPE_BITS
            else:
                v = (x >> (31 - pre - k)) & ((1 << k) - 1)
                if v >= 2:
                    run = pre * m + v - 1
                    p += pre + 1 + k
                else:
                    run = pre * m
                    p += pre + k
            if c + run > n:
                raise _Bad
            c += run
            if run >= 65535:
                zmode = 0
            mb = 0
        if p > limit:
            raise _Bad
    return p


class AlacFrameParser:
    """Exact byte length of ALAC frames of one configuration."""

    def __init__(self, cfg: AlacConfig):
        self.cfg = cfg
        #: learned from the reference: the (mode, denShift, pbFactor) an encoder writes for every channel, and
        #: whether mono elements always have mixBits = mixRes = 0 (None: not learned, anything goes)
        self.predictors: frozenset | None = None
        self.mono_unmixed = False
        self._seen: list | None = None  # while learning: what the parsed elements said
        escape_bits = 3 + cfg.channels * (23 + 32 + cfg.frame_length * cfg.bit_depth) + 3
        # an escaped (uncompressed) frame is the largest there can be: the cookie's maxFrameBytes, a 32-bit
        # field of the reference, is believed only up to that
        escaped = (escape_bits + 7) // 8 + 16
        self.max_bytes = max(min(cfg.max_frame_bytes, 2 * escaped), escaped)

    def frame_length(self, data, pos: int, end: int) -> int | None:
        if pos < 0 or pos + 3 > end:
            return None
        # cheap rejection before building words: the first element's 12 zero bits
        b0, b1, b2 = data[pos], data[pos + 1], data[pos + 2]
        if (b0 >> 5) in (ID_SCE, ID_CPE, ID_LFE) and (b0 & 1 or b1 or b2 & 0xE0):
            return None
        stop = min(end, len(data), pos + self.max_bytes)
        W = word_list(data, pos, stop)
        limit = 8 * (stop - pos)
        try:
            p = self._frame(W, limit)
        except (_Bad, IndexError):
            return None
        n = (p + 7) >> 3
        if p & 7 and (W[p >> 5] >> (64 - (p & 31) - (8 - (p & 7)))) & ((1 << (8 - (p & 7))) - 1):
            return None  # the alignment bits after END are zero
        return n if pos + n <= end else None

    def learn(self, data, offsets: list[int], sizes: list[int]) -> None:
        """Learn the predictor settings and mono mixing from frames of the reference that parse exactly."""
        self._seen = []
        preds, mixes = set(), set()
        try:
            for off, size in zip(offsets, sizes):
                del self._seen[:]
                if self.frame_length(data, off, off + size) != size:
                    continue
                for nch, mix, chans in self._seen:
                    preds.update(chans)
                    if nch == 1:
                        mixes.add(mix)
        finally:
            self._seen = None
        if preds:
            self.predictors = frozenset(preds)
        self.mono_unmixed = mixes == {(0, 0)}

    def _frame(self, W: list[int], limit: int) -> int:
        cfg = self.cfg
        p = 0
        channels = 0
        while True:
            tag = (W[p >> 5] >> (61 - (p & 31))) & 7
            p += 3
            if tag == ID_END:
                break
            if tag in (ID_SCE, ID_LFE, ID_CPE):
                nch = 2 if tag == ID_CPE else 1
                channels += nch
                if channels > cfg.channels:
                    raise _Bad
                p = self._element(W, p, nch, limit)
            elif tag == ID_DSE:
                x = (W[p >> 5] >> (51 - (p & 31))) & 0x1FFF  # instance (4), align flag (1), count (8)
                p += 13
                count = x & 255
                if count == 255:
                    count += (W[p >> 5] >> (56 - (p & 31))) & 255
                    p += 8
                if x & 256:
                    p = (p + 7) & ~7
                p += 8 * count
            elif tag == ID_FIL:
                count = (W[p >> 5] >> (60 - (p & 31))) & 15
                p += 4
                if count == 15:
                    count += ((W[p >> 5] >> (56 - (p & 31))) & 255) - 1
                    p += 8
                p += 8 * count
            else:
                raise _Bad  # CCE and PCE do not occur in ALAC
            if p > limit:
                raise _Bad
        if channels != cfg.channels:
            raise _Bad
        return p

    def _element(self, W: list[int], p: int, nch: int, limit: int) -> int:
        cfg = self.cfg
        x = (W[p >> 5] >> (44 - (p & 31))) & 0xFFFFF  # instance (4), unused (12), partial, shift (2), escape
        p += 20
        if x & 0xFFF0:
            raise _Bad
        partial, shift, escape = (x >> 3) & 1, (x >> 1) & 3, x & 1
        n = cfg.frame_length
        if partial:
            n = (W[p >> 5] >> (32 - (p & 31))) & 0xFFFFFFFF
            p += 32
            if not 0 < n <= cfg.frame_length:
                raise _Bad
        if escape:  # raw samples at full width; a shift in the header is meaningless here and ignored
            return p + n * nch * cfg.bit_depth
        if shift == 3 or shift * 8 >= cfg.bit_depth or cfg.kb == 0:
            raise _Bad  # (kb 0: the cookie of an encoder that writes only verbatim frames)
        mix = (W[p >> 5] >> (48 - (p & 31))) & 0xFFFF  # mixBits, mixRes
        p += 16
        if nch == 1 and mix and self.mono_unmixed:
            raise _Bad
        pb_factors = []
        chans = []
        for _n in range(nch):
            y = (W[p >> 5] >> (48 - (p & 31))) & 0xFFFF  # mode (4), denShift (4), pbFactor (3), numCoefs (5)
            p += 16 + 16 * (y & 31)
            pred = y >> 5
            if self.predictors is not None and pred not in self.predictors:
                raise _Bad
            chans.append(pred)
            pb_factors.append(pred & 7)
        if self._seen is not None:
            self._seen.append((nch, (mix >> 8, mix & 255), chans))
        p += shift * 8 * nch * n
        if p > limit:
            raise _Bad
        chan_bits = cfg.bit_depth - shift * 8 + (nch - 1)
        for f in pb_factors:
            p = _rice(W, p, n, chan_bits, (cfg.pb * f) >> 2, cfg.mb, cfg.kb, limit)
        return p


@register
class AlacMatcher(Matcher):
    fourccs = ("alac",)

    def __init__(self, track: TrackProfile):
        super().__init__(track)
        self.config = parse_cookie(track)
        self.parser = AlacFrameParser(self.config)

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        n = self.parser.frame_length(data, pos, end)
        return SampleMatch(n, True) if n else None

    def check_reference(self, data, offsets: np.ndarray, sizes: np.ndarray) -> int:
        """Learn the encoder's predictor settings from the reference's first frames, then count exact matches."""
        self.parser.learn(data, np.asarray(offsets).tolist()[:32], np.asarray(sizes).tolist()[:32])
        return super().check_reference(data, offsets, sizes)

    def clone(self) -> "AlacMatcher":
        m = type(self)(self.track)
        m.parser.predictors, m.parser.mono_unmixed = self.parser.predictors, self.parser.mono_unmixed
        return m

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        """First element of a frame: SCE/CPE/LFE with instance tag and 12 zero bits, shift not 3."""
        start, end = max(int(start), 0), min(int(end), len(arr))
        first = np.zeros(256, dtype=bool)
        for b in range(256):
            first[b] = (b >> 5) in (ID_SCE, ID_CPE, ID_LFE) and not b & 1
        third = np.zeros(256, dtype=bool)
        for b in range(256):
            third[b] = not b & 0xE0 and (b >> 2) & 3 != 3  # three zero bits, partial, shift (2), escape
        out = []
        for b in range(start, end, BLOCK):
            e = min(b + BLOCK, end, len(arr) - 2)  # the header bytes read may lie past ``end``
            if e <= b:
                break
            idx = np.flatnonzero(arr[b + 1:e + 1] == 0).astype(np.int64) + b
            if idx.size:
                idx = idx[first[arr[idx]] & third[arr[idx + 2]]]
            out.append(idx)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


__all__ = ["AlacConfig", "AlacFrameParser", "AlacMatcher", "find_cookie", "parse_cookie"]
