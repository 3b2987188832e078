"""H.264 access-unit matcher: exact sample sizes, keyframes and presentation order against ffmpeg's packets.

Real streams come from the ffmpeg binary of imageio-ffmpeg (libx264 in many configurations, libopenh264).
The oracle is independent of mp4fix: ``-f framecrc`` gives each packet's size, dts, pts and key flag and
``-f data`` the packet payloads as stored in the MP4 (length-prefixed NAL units). A few synthetic streams,
built here bit by bit from the H.264 syntax, cover what the encoders never produce (POC type 1, MMCO 5,
field pairs, arbitrary slice order, redundant pictures, trailing NAL units).
"""

from __future__ import annotations

import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mp4fix.codecs import matcher_class
from mp4fix.codecs.avc import (AvcMatcher, SliceHeader, parse_avcc, parse_pps, parse_sps,
                               picture_order_counts)
from engine_helpers import avc_presentation_positions
from mp4fix.codecs.base import SampleMatch
from mp4fix.errors import BitstreamError, MismatchError
from mp4fix.profile import TrackProfile

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

# --- real streams --------------------------------------------------------------------------------------

X264 = ["-c:v", "libx264", "-preset", "veryfast"]

#: name -> encoder arguments. Every stream is 160x120 at 25 fps.
STREAMS: dict[str, list[str]] = {
    "bf0": X264 + ["-bf", "0"],
    "default": ["-c:v", "libx264"],
    "pyramid": X264 + ["-x264-params", "bframes=3:b-pyramid=normal"],
    "bframes3": X264 + ["-x264-params", "bframes=3:b-pyramid=none"],
    "cavlc": X264 + ["-coder", "0"],
    "baseline": X264 + ["-profile:v", "baseline"],
    "main": X264 + ["-profile:v", "main"],
    "high_cqm": X264 + ["-profile:v", "high", "-x264-params", "cqm=jvt"],
    "high10": X264 + ["-pix_fmt", "yuv420p10le"],
    "yuv444": X264 + ["-pix_fmt", "yuv444p"],
    "slices": X264 + ["-x264-params", "slices=4"],
    "slices_cavlc_bf0": X264 + ["-coder", "0", "-bf", "0", "-x264-params", "slices=3"],
    "intra_refresh": X264 + ["-x264-params", "intra-refresh=1:keyint=30"],
    "short_gop": X264 + ["-g", "12"],
    "open_gop": X264 + ["-x264-params", "open-gop=1:keyint=30"],
    "repeat_headers": X264 + ["-g", "25", "-x264-params", "repeat-headers=1"],
    "avc3": X264 + ["-g", "25", "-tag:v", "avc3", "-x264-params", "repeat-headers=1"],
    "aud_hrd_filler": X264 + ["-b:v", "200k", "-maxrate", "200k", "-bufsize", "100k",
                              "-x264-params", "nal-hrd=cbr:aud=1:force-cfr=1"],
    "mbaff": X264 + ["-flags", "+ildct", "-x264-params", "tff=1"],
    "openh264": ["-c:v", "libopenh264"],
    "openh264_slices": ["-c:v", "libopenh264", "-slices", "3", "-g", "20"],
    "openh264_cabac": ["-c:v", "libopenh264", "-profile:v", "main", "-coder", "cabac"],
}


@dataclass
class Packet:
    size: int
    dts: int
    pts: int
    dur: int
    key: bool


@dataclass
class Stream:
    name: str
    path: Path
    avcc: bytes
    fourcc: str
    packets: list[Packet]
    data: bytes  # packet payloads concatenated

    @property
    def sizes(self) -> np.ndarray:
        return np.array([p.size for p in self.packets], dtype=np.int64)

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)

    @property
    def keys(self) -> np.ndarray:
        return np.array([p.key for p in self.packets], dtype=bool)

    def positions(self) -> list[int]:
        """The oracle's presentation positions: (pts - first pts) / frame duration."""
        first = min(p.pts for p in self.packets)
        dur = self.packets[0].dur
        assert all((p.pts - first) % dur == 0 for p in self.packets)
        return [(p.pts - first) // dur for p in self.packets]


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", *args], capture_output=True,
                          check=True, **kw)


def framecrc(path: Path, sel: str = "0:v") -> list[Packet]:
    out = run(["-i", str(path), "-map", sel, "-c", "copy", "-f", "framecrc", "-"]).stdout.decode()
    packets = []
    for line in out.splitlines():
        if line.startswith("#"):
            continue
        f = [x.strip() for x in line.split(",")]
        key = len(f) < 7 or bool(int(f[6].split("=")[1], 16) & 1)  # a missing flags column means "key"
        packets.append(Packet(int(f[4]), int(f[1]), int(f[2]), int(f[3]), key))
    return packets


def payload(path: Path, sel: str = "0:v") -> bytes:
    return run(["-i", str(path), "-map", sel, "-c", "copy", "-f", "data", "-"]).stdout


def sample_entry_config(path: Path) -> tuple[str, bytes]:
    """The avcC payload and the sample-entry fourcc, by a byte search (no box parser needed)."""
    b = path.read_bytes()
    i = b.find(b"avcC")
    assert i > 0
    size = int.from_bytes(b[i - 4:i], "big")
    fourcc = "avc3" if b.rfind(b"avc3", 0, i) > 0 else "avc1"
    return fourcc, b[i + 4:i - 4 + size]


def make_track(avcc: bytes, fourcc: str = "avc1", keyframes=None, offsets=None) -> TrackProfile:
    offsets = np.zeros(0, dtype=np.uint64) if offsets is None else np.asarray(offsets, dtype=np.uint64)
    return TrackProfile(index=0, track_id=1, handler="vide", fourcc=fourcc, timescale=12800, sample_entry=b"",
                        config={"avcC": avcc}, trak=b"", sizes=np.zeros(len(offsets), dtype=np.uint32),
                        durations=np.full(len(offsets), 512, dtype=np.int64), ctts=None, keyframes=keyframes,
                        offsets=offsets, chunk_sizes=np.ones(len(offsets), dtype=np.int64), width=160, height=120)


class Media:
    """Generates (once per session) and caches the streams: a 'ref' and a longer 'main' encode of each."""

    def __init__(self, root: Path):
        self.root = root
        self.cache: dict[tuple[str, str], Stream] = {}
        self.audio_packets, self.audio = self._audio()

    def _audio(self) -> tuple[list[Packet], bytes]:
        path = self.root / "audio.m4a"
        run(["-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "6", "-c:a", "aac",
             "-b:a", "96k", str(path)])
        return framecrc(path, "0:a"), payload(path, "0:a")

    def _make(self, name: str, variant: str) -> Stream:
        src, seconds = ("testsrc", 2.4) if variant == "ref" else ("testsrc2", 6)
        path = self.root / f"{name}-{variant}.mp4"
        args = STREAMS[name] if "-pix_fmt" in STREAMS[name] else STREAMS[name] + ["-pix_fmt", "yuv420p"]
        run(["-y", "-f", "lavfi", "-i", f"{src}=size=160x120:rate=25", "-t", str(seconds), "-threads", "1",
             *args, str(path)])
        fourcc, avcc = sample_entry_config(path)
        return Stream(name, path, avcc, fourcc, framecrc(path), payload(path))

    def prepare(self, names) -> None:
        todo = [(n, v) for n in names for v in ("ref", "main") if (n, v) not in self.cache]
        with ThreadPoolExecutor(4) as pool:
            for key, stream in zip(todo, pool.map(lambda nv: self._make(*nv), todo)):
                self.cache[key] = stream

    def get(self, name: str, variant: str = "main") -> Stream:
        if (name, variant) not in self.cache:
            self.prepare([name])
        return self.cache[(name, variant)]

    def learned(self, name: str) -> AvcMatcher:
        """A matcher built from the 'ref' encode's avcC that has learned from the ref's samples."""
        ref = self.get(name, "ref")
        m = AvcMatcher(make_track(ref.avcc, ref.fourcc, ref.keys, ref.offsets))
        assert m.check_reference(ref.data, ref.offsets, ref.sizes) == len(ref.packets)
        return m


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Media:
    m = Media(tmp_path_factory.mktemp("avc"))
    m.prepare(STREAMS)
    return m


def interleave(stream: Stream, audio: Media) -> tuple[bytes, list[tuple[int, int]], list[tuple[int, int]]]:
    """Video packets in chunks of 3 alternating with AAC chunks of 4 packets, like a muxed recording.
    Returns the buffer and the (offset, size) of every video and every audio packet."""
    out = bytearray()
    video, aud = [], []
    a_off = 0
    a_sizes = [p.size for p in audio.audio_packets]
    ai = 0
    v_off = 0
    for i, p in enumerate(stream.packets):
        video.append((len(out), p.size))
        out += stream.data[v_off:v_off + p.size]
        v_off += p.size
        if i % 3 == 2:
            for _ in range(4):
                size = a_sizes[ai % len(a_sizes)]
                if ai % len(a_sizes) == 0:
                    a_off = 0
                aud.append((len(out), size))
                out += audio.audio[a_off:a_off + size]
                a_off += size
                ai += 1
    return bytes(out), video, aud


def match_all(m: AvcMatcher, data: bytes, offsets, end: int | None = None) -> list[SampleMatch]:
    out = []
    for off in offsets:
        r = m.match(data, int(off), len(data) if end is None else end)
        assert r is not None
        m.accept(r)
        out.append(r)
    return out


# --- the tests on real streams -------------------------------------------------------------------------


def test_registered():
    assert matcher_class("avc1") is AvcMatcher
    assert matcher_class("avc3") is AvcMatcher


@pytest.mark.parametrize("name", STREAMS)
def test_reference_learns(media, name):
    ref = media.get(name, "ref")
    cfg = parse_avcc(ref.avcc)
    assert cfg.length_size == 4 and cfg.sps and cfg.pps
    m = media.learned(name)
    expect_rule = {"open_gop": "idr_rp_i", "intra_refresh": "idr_rp"}.get(name, "idr")
    assert m.key_rule == expect_rule
    assert m.multi_slice == ("slices" in name)
    assert m.poc_step in (0, 2)


@pytest.mark.parametrize("name", STREAMS)
def test_exact_sizes_and_keyframes_interleaved(media, name):
    """Every packet of a longer encode, found in a buffer where AAC chunks follow video chunks."""
    s = media.get(name)
    m = media.learned(name)
    buf, video, _ = interleave(s, media)
    for (off, size), p in zip(video, s.packets):
        r = m.match(buf, off, len(buf))
        assert r is not None and r.size == size, (name, off, size, r)
        assert r.keyframe == p.key
        m.accept(r)


@pytest.mark.parametrize("name", STREAMS)
def test_exact_sizes_with_end_at_sample_end(media, name):
    s = media.get(name)
    m = media.learned(name)
    for off, size in zip(s.offsets.tolist(), s.sizes.tolist()):
        r = m.match(s.data, off, off + size)
        assert r is not None and r.size == size
        m.accept(r)
        assert m.match(s.data, off, off + size - 1) is None  # one byte short: incomplete


@pytest.mark.parametrize("name", ["default", "slices", "openh264_slices", "aud_hrd_filler", "avc3"])
def test_wrong_positions(media, name):
    """Inside packets and on AAC bytes a match is rare and never runs across a packet boundary."""
    s = media.get(name)
    m = media.learned(name)
    buf, video, aud = interleave(s, media)
    starts = {off for off, _ in video}
    bounds = sorted([off for off, _ in video] + [off for off, _ in aud] + [len(buf)])
    rng = random.Random(1)
    hits = tried = 0
    positions = [rng.randrange(off + 1, off + size) for off, size in video for _ in range(3)]
    positions += [pos for off, size in aud[:60] for pos in range(off, off + size)]
    for pos in positions:
        if pos in starts:
            continue
        tried += 1
        r = m.match(buf, pos, len(buf))
        if r is not None:
            hits += 1
            nxt = bounds[np.searchsorted(bounds, pos, side="right")]
            assert pos + r.size <= nxt, (pos, r.size, nxt)
    assert hits <= tried * 0.0002, (hits, tried)


@pytest.mark.parametrize("name", ["default", "slices", "openh264", "avc3", "aud_hrd_filler"])
def test_candidates_cover_every_sample(media, name):
    s = media.get(name)
    m = media.learned(name)
    buf, video, _ = interleave(s, media)
    arr = np.frombuffer(buf, dtype=np.uint8)
    full = m.candidates(arr, 0, len(buf))
    assert set(off for off, _ in video) <= set(full.tolist())
    assert np.all(np.diff(full) > 0)
    assert len(full) < len(buf) * 0.3
    m.block_size = 1000  # many small blocks give the same answer
    assert np.array_equal(m.candidates(arr, 0, len(buf)), full)
    # a window: only positions inside it; a sample that starts inside may run past its end
    lo, hi = video[10][0], video[20][0]
    part = m.candidates(arr, lo, hi)
    assert part.min() >= lo and part.max() < hi
    assert {off for off, _ in video[10:20]} <= set(part.tolist())
    for off, _size in video[10:20]:
        assert off in m.candidates(arr, off, off + 16).tolist()  # the scanner's first resync window is small


def test_candidates_have_no_size_cap(media):
    """A keyframe far larger than anything the reference had is still a candidate."""
    s = media.get("default")
    m = media.learned("default")
    huge = 5_000_000
    nal = (huge).to_bytes(4, "big") + bytes([0x65]) + bytes(huge - 1)
    buf = s.data[:s.packets[0].size] + nal
    arr = np.frombuffer(buf, dtype=np.uint8)
    assert s.packets[0].size in m.candidates(arr, 0, len(buf)).tolist()


@pytest.mark.parametrize("name", STREAMS)
def test_presentation_order_complete_and_truncated(media, name):
    s = media.get(name)
    m = media.learned(name)
    matches = match_all(m, s.data, s.offsets)
    want = s.positions()
    got = m.presentation_order(matches)
    assert (list(range(len(want))) if got is None else got.tolist()) == want
    # cut anywhere in the last GOP: the samples that are left keep their exact presentation positions
    last_key = max(i for i, p in enumerate(s.packets) if p.key)
    for k in range(last_key + 1, len(matches) + 1):
        got = m.presentation_order(matches[:k])
        got = list(range(k)) if got is None else got.tolist()
        assert got == want[:k], (name, k)


@pytest.mark.parametrize("name", ["pyramid", "open_gop", "short_gop"])
def test_presentation_order_without_learning(media, name):
    """A fresh matcher (nothing learned) still orders a complete stream exactly."""
    s = media.get(name)
    m = AvcMatcher(make_track(s.avcc))
    matches = match_all(m, s.data, s.offsets)
    assert m.presentation_order(matches).tolist() == s.positions()


@pytest.mark.parametrize("name", ["default", "slices", "openh264_slices", "aud_hrd_filler"])
def test_cut_inside_the_last_samples(media, name):
    """Data cut inside a sample: that sample is incomplete; the one before it is still whole."""
    s = media.get(name)
    m = media.learned(name)
    offs, sizes = s.offsets.tolist(), s.sizes.tolist()
    for i in range(len(offs) - 3, len(offs)):
        off, size = offs[i], sizes[i]
        # a cut exactly at a NAL unit boundary inside the sample, or inside the next length field, leaves
        # nothing of the next NAL unit to look at: it cannot be told from a complete sample
        ambiguous, p = set(), off
        while p < off + size:
            p += 4 + int.from_bytes(s.data[p:p + 4], "big")
            ambiguous.update(range(p, p + 5))
        for cut in range(off + 1, off + size):
            if cut in ambiguous or (cut - off > 64 and (cut - off) % 5 and not any(
                    0 <= cut - a < 24 for a in ambiguous)):
                continue  # every cut near the start of a NAL unit, every fifth elsewhere
            r = m.match(s.data, off, cut)
            assert r is None, (i, cut - off, r.size)
            if m.multi_slice and cut - off < 12:
                continue  # too little of the next picture's first slice header to tell it is another picture
            prev = m.match(s.data, offs[i - 1], cut)
            assert prev is not None and prev.size == sizes[i - 1], (i, cut - off)


def test_in_band_parameter_sets(media):
    """avc3 with an empty avcC: parameter sets come in the samples and are adopted by accept()."""
    s = media.get("avc3")
    cfg = s.avcc
    stripped = cfg[:5] + bytes([0xE0, 0x00]) + (cfg[-4:] if cfg[1] not in (66, 77, 88) else b"")
    m = AvcMatcher(make_track(stripped, "avc3"))
    assert not m.sps and not m.pps
    first = m.match(s.data, 0, len(s.data))
    assert first is not None and first.size == s.packets[0].size and first.info.sps_updates
    assert not m.sps  # match() changed nothing
    assert m.match(s.data, int(s.offsets[1]), len(s.data)) is None  # slice whose PPS is still unknown
    m.accept(first)
    assert m.sps and m.pps
    got = match_all(m, s.data, s.offsets)
    assert [r.size for r in got] == s.sizes.tolist()
    with pytest.raises(MismatchError):
        AvcMatcher(make_track(stripped, "avc1"))


def test_parameter_sets_parse(media):
    for name, profile, chroma, depth in [("baseline", 66, 1, 8), ("main", 77, 1, 8), ("high_cqm", 100, 1, 8),
                                         ("high10", 110, 1, 10), ("yuv444", 244, 3, 8), ("mbaff", 100, 1, 8)]:
        cfg = parse_avcc(media.get(name, "ref").avcc)
        sps = parse_sps(cfg.sps[0])
        pps = parse_pps(cfg.pps[0], {sps.sps_id: sps})
        assert (sps.profile_idc, sps.chroma_format_idc, sps.bit_depth_luma) == (profile, chroma, depth)
        assert (sps.width, sps.height) == (160, 128)  # cropped to 120 lines
        assert sps.frame_mbs_only == (name != "mbaff")
        assert pps.sps_id == sps.sps_id
        if profile >= 100:
            assert cfg.chroma_format == chroma and cfg.bit_depth_luma == depth
    with pytest.raises(BitstreamError):
        parse_avcc(b"\x00\x01")


def test_speed(media):
    """Report access units per second on a typical stream (also a loose floor)."""
    s = media.get("default")
    m = media.learned("default")
    offs = s.offsets.tolist() * 5
    t = time.perf_counter()
    for off in offs:
        m.match(s.data, off, len(s.data))
    rate = len(offs) / (time.perf_counter() - t)
    print(f"\nH.264 match: {rate:.0f} access units/s")
    assert rate > 1000


# --- synthetic streams ---------------------------------------------------------------------------------


class BitWriter:
    def __init__(self):
        self.bits: list[int] = []

    def u(self, n: int, v: int) -> BitWriter:
        self.bits += [(v >> (n - 1 - i)) & 1 for i in range(n)]
        return self

    def ue(self, v: int) -> BitWriter:
        v1 = v + 1
        n = v1.bit_length()
        return self.u(n - 1, 0).u(n, v1)

    def se(self, v: int) -> BitWriter:
        return self.ue(2 * v - 1 if v > 0 else -2 * v)

    def rbsp(self) -> bytes:
        bits = self.bits + [1]
        bits += [0] * (-len(bits) % 8)
        return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))


def nal_unit(ref_idc: int, t: int, rbsp: bytes) -> bytes:
    """Header byte + RBSP with emulation prevention, prefixed with a 4-byte length."""
    out, zeros = bytearray([(ref_idc << 5) | t]), 0
    for b in rbsp:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return len(out).to_bytes(4, "big") + bytes(out)


@dataclass
class Syn:
    """Parameters of a synthetic stream."""

    poc_type: int = 0
    frame_mbs_only: bool = True
    log2_lsb: int = 6
    offsets_ref: tuple = (4,)
    offset_non_ref: int = -2
    redundant: bool = False
    bottom_present: bool = False


def syn_sps(c: Syn) -> bytes:
    w = BitWriter().u(8, 77).u(8, 0).u(8, 30).ue(0)
    w.ue(0)  # log2_max_frame_num - 4
    w.ue(c.poc_type)
    if c.poc_type == 0:
        w.ue(c.log2_lsb - 4)
    elif c.poc_type == 1:
        w.u(1, 0).se(c.offset_non_ref).se(0).ue(len(c.offsets_ref))
        for o in c.offsets_ref:
            w.se(o)
    w.ue(4).u(1, 0).ue(9).ue(7 if c.frame_mbs_only else 3).u(1, int(c.frame_mbs_only))
    if not c.frame_mbs_only:
        w.u(1, 0)
    w.u(1, 1).u(1, 0).u(1, 0)
    return nal_unit(3, 7, w.rbsp())


def syn_pps(c: Syn) -> bytes:
    w = BitWriter().ue(0).ue(0).u(1, 0).u(1, int(c.bottom_present)).ue(0).ue(0).ue(0).u(1, 0).u(2, 0)
    w.se(0).se(0).se(0).u(1, 1).u(1, 0).u(1, int(c.redundant))
    return nal_unit(3, 8, w.rbsp())


def syn_slice(c: Syn, *, kind: str = "P", ref: bool = True, idr: bool = False, frame_num: int = 0,
              first_mb: int = 0, poc: int = 0, field: str = "", mmco5: bool = False, idr_id: int = 0,
              redundant: int = 0, delta0: int = 0, body: int = 40, seed: int = 0) -> bytes:
    st = {"P": 0, "B": 1, "I": 2}[kind]
    w = BitWriter().ue(first_mb).ue(st + 5).ue(0).u(4, frame_num)
    if not c.frame_mbs_only:
        w.u(1, int(bool(field)))
        if field:
            w.u(1, int(field == "bottom"))
    if idr:
        w.ue(idr_id)
    if c.poc_type == 0:
        w.u(c.log2_lsb, poc % (1 << c.log2_lsb))
        if c.bottom_present and not field:
            w.se(0)
    elif c.poc_type == 1:
        w.se(delta0)
        if c.bottom_present and not field:
            w.se(0)
    if c.redundant:
        w.ue(redundant)
    if st == 1:
        w.u(1, 1)
    if st in (0, 1):
        w.u(1, 0)  # no num_ref_idx override
        w.u(1, 0)  # no list 0 modification
        if st == 1:
            w.u(1, 0)
    if ref:
        if idr:
            w.u(2, 0)
        elif mmco5:
            w.u(1, 1).ue(5).ue(0)
        else:
            w.u(1, 0)
    w.se(0)  # slice_qp_delta
    w.ue(0)  # deblocking filter on
    w.se(0).se(0)
    rng = random.Random(seed)
    for _ in range(body):  # stand-in slice data
        w.u(8, rng.randrange(1, 256))
    return nal_unit(3 if ref else 0, 5 if idr else 1, w.rbsp())


def syn_avcc(c: Syn) -> bytes:
    sps, pps = syn_sps(c)[4:], syn_pps(c)[4:]
    return (bytes([1, 77, 0, 30, 0xFF, 0xE1]) + len(sps).to_bytes(2, "big") + sps + b"\x01"
            + len(pps).to_bytes(2, "big") + pps)


def syn_matcher(c: Syn, samples: list[bytes] | None = None, keys=None) -> AvcMatcher:
    m = AvcMatcher(make_track(syn_avcc(c)))
    if samples is not None:
        data = b"".join(samples)
        sizes = np.array([len(x) for x in samples])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        assert m.learn_reference(data, offsets, sizes, keys) == len(samples)
    return m


def check_samples(m: AvcMatcher, samples: list[bytes], garbage: bytes = b"") -> list[SampleMatch]:
    data = b"".join(samples) + garbage
    out, off = [], 0
    for i, smp in enumerate(samples):
        r = m.match(data, off, len(data))
        assert r is not None and r.size == len(smp), (i, r, len(smp))
        m.accept(r)
        out.append(r)
        off += len(smp)
    return out


def positions(m: AvcMatcher, matches) -> list[int]:
    got = m.presentation_order(matches)
    return list(range(len(matches))) if got is None else got.tolist()


def test_synthetic_poc_type1():
    c = Syn(poc_type=1)
    # decode order I0 P2 b1 P4 b3 P6 b5: refs step the cycle by 4, non-refs sit 2 before the next ref
    s = [syn_slice(c, kind="I", idr=True, seed=1)]
    for k in range(1, 4):
        s.append(syn_slice(c, kind="P", frame_num=k, seed=2 * k))
        s.append(syn_slice(c, kind="B", ref=False, frame_num=k + 1, seed=2 * k + 1))
    m = syn_matcher(c)
    got = check_samples(m, s)
    assert picture_order_counts([r.info for r in got]) == [0, 4, 2, 8, 6, 12, 10]
    assert positions(m, got) == [0, 2, 1, 4, 3, 6, 5]


def test_synthetic_poc_type2_and_frame_num_wrap():
    c = Syn(poc_type=2)
    s = [syn_slice(c, kind="I", idr=True)] + [syn_slice(c, frame_num=k % 16, seed=k) for k in range(1, 40)]
    m = syn_matcher(c)
    got = check_samples(m, s)
    pocs = picture_order_counts([r.info for r in got])
    assert pocs == [2 * k for k in range(40)]
    assert m.presentation_order(got) is None


def test_synthetic_poc_type0_lsb_wrap_and_mmco5():
    c = Syn(poc_type=0, log2_lsb=4)  # MaxPicOrderCntLsb 16: the lsb wraps every 8 frames
    s = [syn_slice(c, kind="I", idr=True)]
    disp = [0]
    for k in range(1, 12):  # P(2n+2) then b(2n+1), POC = 2 * display index
        s.append(syn_slice(c, frame_num=k, poc=4 * k, seed=k))
        s.append(syn_slice(c, kind="B", ref=False, frame_num=k + 1, poc=4 * k - 2, seed=100 + k))
        disp += [2 * k, 2 * k - 1]
    # a P picture with memory_management_control_operation 5 starts a new POC period
    s.append(syn_slice(c, frame_num=12, poc=48, mmco5=True, seed=7))
    s.append(syn_slice(c, frame_num=1, poc=4, seed=8))
    s.append(syn_slice(c, kind="B", ref=False, frame_num=2, poc=2, seed=9))
    disp += [23, 25, 24]
    m = syn_matcher(c)
    got = check_samples(m, s)
    pocs = picture_order_counts([r.info for r in got])
    assert pocs[:5] == [0, 4, 2, 8, 6] and pocs[21:23] == [44, 42]  # across the lsb wrap
    assert pocs[-3:] == [0, 4, 2]
    assert positions(m, got) == disp


def test_synthetic_field_pairs_learned_from_reference():
    c = Syn(poc_type=0, frame_mbs_only=False)

    def pair(kind, fn, poc, ref=True, idr=False, seed=0):
        first = syn_slice(c, kind=kind, ref=ref, idr=idr, frame_num=fn, poc=poc, field="top", seed=seed)
        second = syn_slice(c, kind="P" if kind == "I" else kind, ref=ref, frame_num=fn, poc=poc + 1,
                           field="bottom", seed=seed + 1)
        return first + second

    samples = [pair("I", 0, 0, idr=True)]
    for k in range(1, 5):
        samples.append(pair("P", k, 8 * k, seed=10 * k))
        samples.append(pair("B", k + 1, 8 * k - 4, ref=False, seed=10 * k + 5))
    plain = syn_matcher(c)
    assert plain.match(b"".join(samples), 0, 10**9).size < len(samples[0])  # one field without learning
    m = syn_matcher(c, samples, keys=np.array([True] + [False] * 8))
    assert m.pair_fields
    got = check_samples(m, samples)
    assert [r.keyframe for r in got] == [True] + [False] * 8
    assert positions(m, got) == [0, 2, 1, 4, 3, 6, 5, 8, 7]


def test_synthetic_arbitrary_slice_order_and_redundant_pictures():
    c = Syn(redundant=True)
    pic0 = b"".join(syn_slice(c, kind="I", idr=True, first_mb=mb, seed=mb) for mb in (20, 0, 40))
    pic0 += syn_slice(c, kind="I", idr=True, first_mb=0, redundant=1, seed=9)  # a redundant picture
    pic1 = b"".join(syn_slice(c, frame_num=1, first_mb=mb, seed=10 + mb) for mb in (40, 20, 0))
    pic2 = b"".join(syn_slice(c, frame_num=2, first_mb=mb, seed=20 + mb) for mb in (0, 20, 40))
    plain = syn_matcher(c)  # Main profile forbids arbitrary slice order: a picture starts at macroblock 0
    assert plain.match(pic1 + pic2, 0, len(pic1 + pic2)) is None
    assert plain.match(pic2, 0, len(pic2)).size == len(pic2)
    m = syn_matcher(c, [pic0, pic1, pic2], np.array([True, False, False]))  # a reference that shows it
    assert m.aso
    got = check_samples(m, [pic0, pic1, pic2])
    assert got[0].info.slices == 3 and got[0].keyframe and not got[1].keyframe


def test_synthetic_idr_after_idr_and_trailing_nal_units():
    c = Syn()
    end_seq = (1).to_bytes(4, "big") + b"\x0a"
    end_stream = (1).to_bytes(4, "big") + b"\x0b"
    filler = (6).to_bytes(4, "big") + b"\x0c" + b"\xff" * 4 + b"\x80"
    aud = nal_unit(0, 9, BitWriter().u(3, 0).rbsp())
    s = [aud + syn_slice(c, kind="I", idr=True, idr_id=0) + filler,
         aud + syn_slice(c, kind="I", idr=True, idr_id=1, seed=3) + end_seq,
         syn_slice(c, kind="I", idr=True, idr_id=0, seed=4) + end_stream]
    m = syn_matcher(c)
    check_samples(m, s, garbage=bytes(range(1, 200)))
    data = b"".join(s)
    # 7.4.1.2.3 puts the delimiter first, but ffmpeg's libx264 writes an SEI before it: accepted
    sei = nal_unit(0, 6, bytes([5, 1, 0, 0x80]))
    odd = sei + aud + syn_slice(c, kind="I", idr=True)
    assert m.match(odd, 0, len(odd)).size == len(odd)
    # trailing types never begin a sample, and an empty NAL unit ends one
    assert m.match(filler + data, 0, len(data) + len(filler)) is None
    zero = syn_slice(c, kind="I", idr=True) + bytes(4) + syn_slice(c, frame_num=1)
    assert m.match(zero, 0, len(zero)).size == len(syn_slice(c, kind="I", idr=True))


def test_synthetic_layered_prefix_nal_units():
    """In a layered (MVC/SVC) stream, prefix NAL units (14) go with the base-view slice they precede and
    extension slices (20) with the access unit; in a plain stream, 20 is not part of a sample."""
    c = Syn()
    prefix = nal_unit(3, 14, bytes([0x40, 0x00, 0x07, 0x80]))
    ext = nal_unit(3, 20, bytes([0x40, 0x00, 0x47]) + bytes(range(1, 30)) + b"\x80")
    s = [prefix + syn_slice(c, kind="I", idr=True, first_mb=0) + prefix + syn_slice(c, kind="I", idr=True,
                                                                                   first_mb=40) + ext,
         prefix + syn_slice(c, frame_num=1, seed=3) + ext]
    track = make_track(syn_avcc(c))
    track.config["mvcC"] = b""
    m = AvcMatcher(track)
    check_samples(m, s)
    plain = syn_matcher(c)
    check_samples(plain, s)  # a prefix NAL unit in the sample shows the stream is layered
    idr = syn_slice(c, kind="I", idr=True)
    assert plain.match(idr + ext, 0, len(idr + ext)).size == len(idr)


def test_synthetic_keyframe_rule_from_reference():
    c = Syn()
    rp = nal_unit(0, 6, bytes([6, 1, 0x84, 0x80]))  # recovery_point SEI
    s = [syn_slice(c, kind="I", idr=True), syn_slice(c, frame_num=1, seed=1), rp + syn_slice(c, kind="I",
         frame_num=2, seed=2), syn_slice(c, frame_num=3, seed=3), rp + syn_slice(c, frame_num=4, seed=4)]
    for keys, rule in [([1, 0, 0, 0, 0], "idr"), ([1, 0, 1, 0, 0], "idr_rp_i"), ([1, 0, 1, 0, 1], "idr_rp"),
                       (None, "all")]:
        m = syn_matcher(c, s, None if keys is None else np.array(keys, dtype=bool))
        assert m.key_rule == rule
        got = check_samples(m, s)
        assert [r.keyframe for r in got] == ([True] * 5 if keys is None else [bool(k) for k in keys])
        # the scanner works with clones: they must flag keyframes by the learned rule too
        assert [r.keyframe for r in check_samples(m.clone(), s)] == [r.keyframe for r in got]


def test_match_never_changes_state(media):
    s = media.get("repeat_headers")
    m = media.learned("repeat_headers")
    other = AvcMatcher(make_track(media.get("yuv444", "ref").avcc))
    sps_before, pps_before = dict(other.sps), dict(other.pps)
    r = other.match(s.data, 0, len(s.data))
    assert r is not None and r.info.sps_updates
    assert other.sps == sps_before and other.pps == pps_before
    assert other.accept(r)  # a different SPS: the parsing state changed
    assert other.sps[0] is r.info.sps_updates[0]
    assert not other.accept(r)  # the same again changes nothing
    assert m.match(s.data, 0, len(s.data)).size == s.packets[0].size


def test_presentation_positions_fall_back_to_ranks():
    """Unevenly spaced POCs inside a complete period give ranks, not holes."""
    c = Syn(poc_type=0, log2_lsb=8)
    m = syn_matcher(c)
    s = [syn_slice(c, kind="I", idr=True), syn_slice(c, frame_num=1, poc=6, seed=1),
         syn_slice(c, kind="B", ref=False, frame_num=2, poc=2, seed=2), syn_slice(c, kind="I", idr=True,
                                                                                   idr_id=1, seed=3)]
    got = check_samples(m, s)
    units = [r.info for r in got]
    assert avc_presentation_positions(units).tolist() == [0, 2, 1, 3]
    assert isinstance(units[0].pictures[0], SliceHeader)

