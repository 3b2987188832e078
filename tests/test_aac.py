"""AAC ('mp4a') matcher: exact raw_data_block lengths against ffmpeg's packets, configuration parsing, rejection.

Real streams come from the ffmpeg binary of imageio-ffmpeg (native ``aac`` encoder: mono, stereo, 5.1 with an
implicit layout and with a program_config_element, 8 to 96 kHz, 24 to 512 kb/s, both coders, transients, PNS,
intensity and M/S stereo). The oracle is independent of mp4fix: ``-f framecrc`` gives each packet's size and
``-f data`` the packet payloads back to back. Frames built here bit by bit from the AAC syntax cover what this
encoder never writes (AAC Main prediction, LTP, CCE, DSE, in-band PCE, FIL with SBR-like payloads,
common_window=0) and the invalid cases the matcher must refuse. HE-AAC cannot be encoded here (no libfdk):
its explicit and backward-compatible signalling is tested with hand-built AudioSpecificConfigs.
"""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from mp4fix.codecs import aac as A
from mp4fix.codecs import matcher_class
from mp4fix.codecs.aac import (AacFrameParser, AacMatcher, aac_config, aac_frame_length, find_esds, mp4a_kind,
                               parse_audio_specific_config, parse_esds, register_mp4a_kind)
from mp4fix.codecs.base import Matcher, SampleMatch
from mp4fix.errors import MismatchError, UnsupportedCodecError
from mp4fix.profile import TrackProfile

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

# --- real streams --------------------------------------------------------------------------------------------

# music-like test signal: two modulated partials, a gated high partial, a glide and a little noise
_MUSIC = ("0.25*sin(2*PI*{f}*t)*(0.6+0.4*sin(2*PI*0.5*t))+0.15*sin(2*PI*330*t+sin(2*PI*3*t))"
          "+0.1*sin(2*PI*1760*t)*gt(sin(2*PI*2*t),0)+0.08*sin(2*PI*5000*t*(1+0.05*sin(t)))+0.05*(random({c})-0.5)")
# clicks every 137 ms (short windows, TNS) over a quiet tone
_CLICKS = "0.9*lt(mod(t,0.137),0.002)*sin(2*PI*3000*t)+0.1*sin(2*PI*440*t)"
_TONE = "0.3*sin(2*PI*550*t)"


def _aevalsrc(exprs: list[str], rate: int, seconds: float) -> list[str]:
    graph = "|".join(exprs).replace(",", "\\,")
    return ["-f", "lavfi", "-i", f"aevalsrc={graph}:s={rate}:d={seconds}"]


def _music(channels: int, rate: int, seconds: float) -> list[str]:
    return _aevalsrc([_MUSIC.format(f=220 + 37 * c, c=c) for c in range(channels)], rate, seconds)


def _beeps(rate: int, seconds: float) -> list[str]:
    return ["-filter_complex",
            f"sine=f=330:beep_factor=3:sample_rate={rate}:d={seconds}[a];"
            f"sine=f=523:sample_rate={rate}:d={seconds}[b];anoisesrc=r={rate}:c=pink:a=0.05:d={seconds}[n];"
            "[a][b]amerge=inputs=2[ab];[ab][n]amix=inputs=2:normalize=0"]


#: name -> (source arguments, encoder arguments)
STREAMS: dict[str, tuple[list[str], list[str]]] = {
    "st48_128k": (_music(2, 48000, 3), ["-b:a", "128k"]),
    "st44_320k": (_music(2, 44100, 2), ["-b:a", "320k"]),
    "st48_512k_fast": (_music(2, 48000, 2), ["-aac_coder", "fast", "-b:a", "512k"]),
    "mono48_96k": (_music(1, 48000, 3), ["-b:a", "96k"]),
    "mono22_48k_fast": (_music(1, 22050, 4), ["-aac_coder", "fast", "-b:a", "48k"]),
    "st8_24k": (_music(2, 8000, 6), ["-b:a", "24k"]),
    "st96_256k_fast": (_music(2, 96000, 2), ["-aac_coder", "fast", "-b:a", "256k"]),
    "st16_48k": (_music(2, 16000, 4), ["-b:a", "48k"]),
    "s51_384k": (_music(6, 48000, 2), ["-b:a", "384k", "-channel_layout", "5.1"]),
    "s51_pce_320k": (_music(6, 48000, 2), ["-b:a", "320k", "-aac_pce", "1"]),
    "clicks_twoloop": (_aevalsrc([_CLICKS, _CLICKS], 44100, 3), ["-b:a", "160k"]),
    "clicks_left_fast": (_aevalsrc([_CLICKS, _TONE], 48000, 3), ["-aac_coder", "fast", "-b:a", "128k"]),
    "noise_pns": (["-f", "lavfi", "-i", "anoisesrc=c=pink:r=48000:d=3:a=0.3", "-ac", "2"],
                  ["-aac_pns", "1", "-b:a", "64k"]),
    "is_ms": (_music(2, 44100, 3), ["-aac_is", "1", "-aac_ms", "1", "-b:a", "96k"]),
    # decaying noise bursts (TNS in long windows) and fast amplitude-modulated noise (TNS in short windows)
    "bursts": (_aevalsrc(["(random(1)-0.5)*exp(-60*mod(t,0.1))"] * 2, 48000, 2), ["-b:a", "96k"]),
    "am_noise": (_aevalsrc(["(random(0)-0.5)*(1+sin(2*PI*30*t))^4*0.1"] * 2, 48000, 2), ["-b:a", "128k"]),
    # cheap long sources (beeping sine, a second tone, pink noise): many frames for little encoding time
    "beeps_fast_20s": (_beeps(48000, 20), ["-aac_coder", "fast", "-b:a", "128k"]),
    "beeps_twoloop_8s": (_beeps(44100, 8), ["-b:a", "192k"]),
}


@dataclass
class Stream:
    name: str
    path: Path  # the encoded .m4a (or .mov)
    raw: bytes  # packet payloads back to back
    sizes: list[int]  # per packet, from ffmpeg

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)


def _run(args: list[str]) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _packets(path: Path, out: Path) -> tuple[bytes, list[int]]:
    crc, raw = out.with_suffix(".crc"), out.with_suffix(".raw")
    _run(["-i", str(path), "-map", "0:a", "-c", "copy", "-f", "framecrc", str(crc),
          "-map", "0:a", "-c", "copy", "-f", "data", str(raw)])
    sizes = [int(line.split(",")[4]) for line in crc.read_text().splitlines() if line and not line.startswith("#")]
    return raw.read_bytes(), sizes


def _make(name: str, folder: Path) -> Stream:
    src, enc = STREAMS[name]
    path = folder / f"{name}.m4a"
    _run([*src, "-c:a", "aac", *enc, str(path)])
    raw, sizes = _packets(path, folder / name)
    assert sum(sizes) == len(raw)
    return Stream(name, path, raw, sizes)


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Stream]:
    folder = tmp_path_factory.mktemp("aac")
    with ThreadPoolExecutor(4) as pool:
        streams = list(pool.map(lambda n: _make(n, folder), STREAMS))
    out = {s.name: s for s in streams}
    # the same packets in a QuickTime file (sound sample description v1 with a 'wave' box)
    mov = folder / "st48_128k.mov"
    _run(["-i", str(out["st48_128k"].path), "-c", "copy", "-f", "mov", str(mov)])
    out["mov"] = Stream("mov", mov, *_packets(mov, folder / "mov"))
    return out


def _box_payload(path: Path, kind: bytes) -> bytes:
    """The payload of the last ``kind`` box in the file (moov is at the end): a byte search, no box parser."""
    data = path.read_bytes()
    i = data.rfind(kind)
    assert i >= 4, f"no {kind!r} in {path}"
    size = int.from_bytes(data[i - 4:i], "big")
    return data[i + 4:i - 4 + size]


def _track(config: dict[str, bytes], sizes=(), channels: int = 2, rate: int = 48000) -> TrackProfile:
    n = len(sizes)
    return TrackProfile(
        index=0, track_id=1, handler="soun", fourcc="mp4a", timescale=rate, sample_entry=b"", config=config,
        trak=b"", sizes=np.asarray(sizes, dtype=np.uint32), durations=np.full(n, 1024, dtype=np.int64), ctts=None,
        keyframes=None, offsets=np.zeros(n, dtype=np.uint64), chunk_sizes=np.ones(max(n, 1), dtype=np.int64),
        channels=channels, sample_rate=rate)


def _stream_track(s: Stream) -> TrackProfile:
    if s.path.suffix == ".mov":
        return _track({"wave": _box_payload(s.path, b"wave")}, s.sizes)
    return _track({"esds": _box_payload(s.path, b"esds")}, s.sizes)


def _parser(s: Stream, typical: int | None = None) -> AacFrameParser:
    cfg = aac_config(_stream_track(s))
    return AacFrameParser(cfg, int(np.percentile(s.sizes, 99)) if typical is None else typical)


# --- exact lengths -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*STREAMS, "mov"])
def test_every_frame_length_matches_ffmpeg(media, name):
    s = media[name]
    parser = _parser(s)
    got = [parser.frame_length(s.raw, int(p), len(s.raw)) for p in s.starts]
    wrong = [(i, n, g) for i, (n, g) in enumerate(zip(s.sizes, got)) if n != g]
    assert not wrong, f"{len(wrong)}/{len(s.sizes)} frames wrong, first (index, size, parsed): {wrong[:5]}"


def test_thousands_of_frames(media):
    total = sum(len(media[n].sizes) for n in STREAMS)
    print(f"\n{total} frames in {len(STREAMS)} encoded streams (+{len(media['mov'].sizes)} in the .mov copy)")
    assert total >= 2000, total


def test_frame_ends_exactly_at_end(media):
    """A frame that ends exactly at ``end`` is found; one byte less and it is not (it would be incomplete)."""
    s = media["st44_320k"]
    parser = _parser(s)
    for p, n in list(zip(s.starts.tolist(), s.sizes))[:40]:
        assert parser.frame_length(s.raw, p, p + n) == n
        assert parser.frame_length(s.raw, p, p + n - 1) is None


def test_window_retries_give_the_same_lengths(media):
    """The first window is sized from the reference; frames larger than it are re-read, never cut."""
    for name, typicals in (("st48_512k_fast", (1, 10_000)), ("s51_384k", (40,))):
        s = media[name]
        for typical in typicals:
            parser = _parser(s, typical)
            got = [parser.frame_length(s.raw, p, len(s.raw)) for p in s.starts.tolist()]
            assert got == s.sizes, (name, typical)
        assert aac_frame_length(s.raw, 0, len(s.raw), parser.config) == s.sizes[0]


def test_escape_sequences_are_exercised(media):
    """Codebook 11 escapes occur in the high-rate streams: without their bits the lengths come out wrong."""
    s = media["st44_320k"]
    parser = _parser(s)
    saved = A._SPECTRAL[11]
    try:
        table = A._spectral_table(11)
        A._SPECTRAL[11] = [(b, c, one, 0) for b, c, one, _ in table]
        got = [parser.frame_length(s.raw, p, len(s.raw)) for p in s.starts.tolist()]
    finally:
        A._SPECTRAL[11] = saved
    assert sum(g != n for g, n in zip(got, s.sizes)) > len(s.sizes) // 2


def test_streams_cover_the_syntax(media):
    """The corpus exercises what the parser must get right: every codebook, noise and intensity bands,
    short windows with grouping, TNS, M/S masks, both common_window values, LFE, PCE layouts."""
    seen: dict[str, int] = {}

    def bump(key: str) -> None:
        seen[key] = seen.get(key, 0) + 1

    class Probe(AacFrameParser):
        def _ics(self, W, p, info, allow_is):
            out = super()._ics(W, p, info, allow_is)
            _, short, max_sfb, groups = out[1]
            bump("short" if short else "long")
            if short and len(groups) < 8:
                bump("grouped")
            for _g, cb, _k, _e in out[2]:
                bump(f"cb{cb}")
            return out

        def _tns(self, W, p, short):
            bump("tns_short" if short else "tns_long")
            return super()._tns(W, p, short)

        def _cpe(self, W, p):
            common = A._rd(W, p, 1)
            bump(f"common_window{common}")
            if common:
                info = self._ics_info(W, p + 1, True)
                bump(f"ms{A._rd(W, info[0], 2)}")
            return super()._cpe(W, p)

    for name in ("st44_320k", "s51_384k", "clicks_left_fast", "noise_pns", "is_ms", "bursts", "am_noise"):
        s = media[name]
        parser = Probe(aac_config(_stream_track(s)), 512)
        for p, n in zip(s.starts.tolist(), s.sizes):
            assert parser.frame_length(s.raw, p, len(s.raw)) == n
    wanted = [f"cb{i}" for i in range(16) if i != 12] + ["short", "long", "grouped", "tns_long", "tns_short",
                                                         "common_window0", "common_window1", "ms1", "ms2"]
    missing = [k for k in wanted if not seen.get(k)]
    assert not missing, (missing, seen)


# --- the matcher ---------------------------------------------------------------------------------------------


def test_registered():
    assert matcher_class("mp4a") is AacMatcher


def test_matcher_on_real_frames(media):
    s = media["st48_128k"]
    m = AacMatcher(_stream_track(s))
    assert m.config.channels == 2 and m.config.sample_rate == 48000 and m.config.core_object_type == 2
    for p, n in list(zip(s.starts.tolist(), s.sizes))[:50]:
        hit = m.match(s.raw, p, len(s.raw))
        assert hit == SampleMatch(size=n, keyframe=True)
        assert m.match(s.raw, p, len(s.raw)) == hit  # no state
        assert m.match(s.raw, p, p + n - 1) is None
    offsets = s.starts.astype(np.uint64)
    assert m.check_reference(s.raw, offsets, np.asarray(s.sizes)) == len(s.sizes)
    # without the reference's sample sizes the first window is a per-channel default: same answers
    bare = AacMatcher(_track({"esds": _box_payload(s.path, b"esds")}))
    assert [bare.match(s.raw, p, len(s.raw)).size for p in s.starts.tolist()] == s.sizes


def test_matcher_on_memoryview_and_numpy(media):
    s = media["mono48_96k"]
    m = AacMatcher(_stream_track(s))
    view = memoryview(s.raw)
    assert [m.match(view, p, len(s.raw)).size for p in s.starts.tolist()[:20]] == s.sizes[:20]


@pytest.mark.parametrize("name", ["st48_128k", "mono48_96k", "s51_384k", "s51_pce_320k", "st8_24k",
                                  "clicks_left_fast", "noise_pns"])
def test_candidates_cover_every_frame(media, name):
    s = media[name]
    m = AacMatcher(_stream_track(s))
    arr = np.frombuffer(s.raw, dtype=np.uint8)
    cand = m.candidates(arr, 0, len(arr))
    assert cand.dtype == np.int64 and np.all(np.diff(cand) > 0)
    assert np.isin(s.starts, cand).all()
    assert len(cand) < 0.05 * len(arr)
    # a sub-range, with blocks that do not line up with frames
    lo, hi = int(s.starts[5]) - 3, int(s.starts[40]) + 1
    sub = m.parser.candidates(arr, lo, hi, block=1000)
    inside = s.starts[(s.starts >= lo) & (s.starts < hi)]
    assert np.isin(inside, sub).all() and sub.min() >= lo and sub.max() < hi


@pytest.mark.parametrize("name", ["st48_128k", "s51_pce_320k", "st8_24k"])
def test_candidates_in_small_ranges(media, name):
    """Few positions are checked one by one with the parser's own code: every frame start is kept, and
    nothing the vectorised filter would drop is added."""
    s = media[name]
    m = AacMatcher(_stream_track(s))
    arr = np.frombuffer(s.raw, dtype=np.uint8)
    for p in s.starts.tolist()[:30]:
        lo, hi = max(p - 20, 0), p + 20
        small = m.candidates(arr, lo, hi)
        assert p in small.tolist()
        m.parser.SCALAR_BELOW = -1
        try:
            vectorised = m.candidates(arr, lo, hi)
        finally:
            del m.parser.SCALAR_BELOW
        assert np.isin(small, vectorised).all()


@pytest.mark.parametrize("name", ["st48_128k", "mono48_96k", "s51_384k"])
def test_rejects_positions_inside_frames(media, name):
    s = media[name]
    m = AacMatcher(_stream_track(s))
    arr = np.frombuffer(s.raw, dtype=np.uint8)
    inside = np.setdiff1d(m.candidates(arr, 0, len(arr)), s.starts)
    accepted = [p for p in inside.tolist() if m.match(s.raw, p, len(s.raw)) is not None]
    # a DSE/PCE-looking byte can swallow the rest of a frame and end on the next real one: valid syntax
    assert len(accepted) < 0.002 * len(s.raw), (len(accepted), len(s.raw))
    # positions the prefilter drops are refused by match too (spot check)
    dropped = np.setdiff1d(np.arange(len(arr)), m.candidates(arr, 0, len(arr)))[::97]
    assert all(m.match(s.raw, p, len(s.raw)) is None for p in dropped.tolist())


@pytest.mark.parametrize("name,limit", [("st48_128k", 5e-5), ("mono48_96k", 1e-3), ("s51_384k", 5e-5)])
def test_rejects_random_bytes(media, name, limit):
    s = media[name]
    m = AacMatcher(_stream_track(s))
    data = np.random.default_rng(7).integers(0, 256, 150_000, dtype=np.uint8)
    cand = m.candidates(data, 0, len(data))
    assert len(cand) < 0.01 * len(data)
    raw = data.tobytes()
    accepted = sum(m.match(raw, p, len(raw)) is not None for p in cand.tolist())
    assert accepted <= limit * len(data), accepted


@pytest.fixture(scope="session")
def h264(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("aac_h264") / "v.mp4"
    try:
        _run(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-c:v", "libx264", "-preset", "veryfast",
              str(path)])
    except subprocess.CalledProcessError:
        pytest.skip("no H.264 encoder in this ffmpeg")
    data = path.read_bytes()
    return data[data.find(b"mdat") + 4:]


@pytest.mark.parametrize("name,limit", [("st48_128k", 5e-5), ("mono48_96k", 1e-3)])
def test_rejects_h264(media, h264, name, limit):
    m = AacMatcher(_stream_track(media[name]))
    arr = np.frombuffer(h264, dtype=np.uint8)
    cand = m.candidates(arr, 0, len(arr))
    assert len(cand) < 0.02 * len(arr)
    accepted = sum(m.match(h264, p, len(h264)) is not None for p in cand.tolist())
    assert accepted <= limit * len(arr), accepted


def test_speed(media):
    s = media["st48_128k"]
    m = AacMatcher(_stream_track(s))
    starts = s.starts.tolist()
    best = float("inf")
    for _ in range(3):
        t = time.process_time()
        for p in starts:
            m.match(s.raw, p, len(s.raw))
        best = min(best, time.process_time() - t)
    fps = len(starts) / best
    print(f"\n128 kb/s stereo: {fps:.0f} frames/s")
    assert fps > 1000


# --- configuration ---------------------------------------------------------------------------------------------


def test_esds_from_mp4_and_mov(media):
    mp4 = aac_config(_stream_track(media["st48_128k"]))
    mov = aac_config(_stream_track(media["mov"]))
    assert mp4 == mov
    assert (mp4.object_type_indication, mp4.audio_object_type, mp4.sampling_frequency_index,
            mp4.channel_configuration, mp4.elements) == (0x40, 2, 3, 2, (A.ID_CPE,))
    assert mp4a_kind(_stream_track(media["mov"])) == "aac"
    s51 = aac_config(_stream_track(media["s51_384k"]))
    assert s51.elements == (A.ID_SCE, A.ID_CPE, A.ID_CPE, A.ID_LFE) and s51.channels == 6
    pce = aac_config(_stream_track(media["s51_pce_320k"]))
    assert pce.channel_configuration == 0 and pce.pce is not None and pce.channels == 6
    assert sorted(t for t, _ in pce.pce.elements) == [A.ID_SCE, A.ID_CPE, A.ID_CPE, A.ID_LFE]
    assert aac_config(_stream_track(media["st8_24k"])).table_index == 11


def _descriptor(tag: int, body: bytes, long_sizes: bool = True) -> bytes:
    n = len(body)
    size = bytes([0x80 | (n >> 21) & 0x7F, 0x80 | (n >> 14) & 0x7F, 0x80 | (n >> 7) & 0x7F, n & 0x7F]) \
        if long_sizes else bytes([n])
    return bytes([tag]) + size + body


def _esds(asc: bytes, oti: int = 0x40, long_sizes: bool = True, es_flags: int = 0) -> bytes:
    dsi = _descriptor(5, asc, long_sizes) if asc is not None else b""
    dcd = _descriptor(4, bytes([oti, 0x15]) + bytes(11) + dsi, long_sizes)
    extra = (b"\x00\x02" if es_flags & 0x80 else b"") + (b"\x03abc" if es_flags & 0x40 else b"") + \
        (b"\x00\x05" if es_flags & 0x20 else b"")
    es = _descriptor(3, b"\x00\x01" + bytes([es_flags]) + extra + dcd + _descriptor(6, b"\x02", long_sizes),
                     long_sizes)
    return b"\x00\x00\x00\x00" + es


class Bits:
    """MSB-first bit writer for hand-built configurations and frames."""

    def __init__(self):
        self.v, self.n = 0, 0

    def put(self, value: int, n: int) -> Bits:
        assert 0 <= value < (1 << n) or n == 0
        self.v, self.n = (self.v << n) | value, self.n + n
        return self

    def align(self) -> Bits:
        return self.put(0, -self.n % 8)

    def bytes(self) -> bytes:
        pad = -self.n % 8
        return (self.v << pad).to_bytes((self.n + pad) // 8, "big")


def _asc(aot: int, sfi: int, chan: int, rate: int | None = None) -> Bits:
    b = Bits()
    if aot >= 31:
        b.put(31, 5).put(aot - 32, 6)
    else:
        b.put(aot, 5)
    b.put(sfi, 4)
    if sfi == 15:
        b.put(rate, 24)
    return b.put(chan, 4)


def test_esds_descriptor_forms():
    asc = bytes([0x12, 0x10])  # LC, 44.1 kHz, stereo
    for long_sizes in (True, False):
        for flags in (0, 0x80 | 0x40 | 0x20):
            oti, got = parse_esds(_esds(asc, long_sizes=long_sizes, es_flags=flags))
            assert (oti, got) == (0x40, asc)
    cfg = aac_config(_track({"esds": _esds(asc)}))
    assert (cfg.sample_rate, cfg.channels, cfg.elements) == (44100, 2, (A.ID_CPE,))
    with pytest.raises(MismatchError):
        parse_esds(b"\x00\x00\x00\x00\x04\x02ab")
    with pytest.raises(MismatchError):
        aac_config(_track({}))
    with pytest.raises(MismatchError):
        aac_config(_track({"esds": _esds(None)}))


def test_wave_box_lookup():
    esds = _esds(bytes([0x11, 0x88]))  # LC, 48 kHz, mono
    frma = (12).to_bytes(4, "big") + b"frmamp4a"
    mp4a = (12).to_bytes(4, "big") + b"mp4a" + bytes(4)
    box = (8 + len(esds)).to_bytes(4, "big") + b"esds" + esds
    wave = frma + mp4a + box + bytes(8)
    assert find_esds({"wave": wave}) == esds
    assert find_esds({"wave": frma + bytes(8) + box}) is None  # the terminator ends the list
    cfg = aac_config(_track({"wave": wave}))
    assert (cfg.sample_rate, cfg.channels) == (48000, 1)


@pytest.fixture
def no_mp3_module():
    """The 'mp4a' MP3 kind unregistered for one test (another module registers it), then restored."""
    saved = A._MP4A_KINDS.pop("mp3", None)
    yield
    if saved is not None:
        A._MP4A_KINDS["mp3"] = saved
    else:
        A._MP4A_KINDS.pop("mp3", None)


def test_other_payloads_in_mp4a(no_mp3_module):
    for oti in (0x69, 0x6B):
        t = _track({"esds": _esds(b"", oti=oti)})
        assert mp4a_kind(t) == "mp3"
        with pytest.raises(UnsupportedCodecError, match="MP3"):
            AacMatcher(t)
    layer3 = _track({"esds": _esds(_asc(34, 3, 2).put(0, 3).bytes())})
    assert mp4a_kind(layer3) == "mp3"
    ac3 = _track({"esds": _esds(b"", oti=0xA5)})
    assert mp4a_kind(ac3) == "other"
    with pytest.raises(UnsupportedCodecError, match="AC-3"):
        AacMatcher(ac3)
    for aot, name in ((17, "ER AAC LC"), (23, "ER AAC LD"), (36, "ALS"), (42, "USAC"), (3, "SSR")):
        t = _track({"esds": _esds(_asc(aot, 3, 2).put(0, 3).bytes())})
        with pytest.raises(UnsupportedCodecError, match=name):
            AacMatcher(t)


def test_mpeg2_aac_object_types():
    lc = _track({"esds": _esds(bytes([0x12, 0x10]), oti=0x67)})
    assert mp4a_kind(lc) == "aac" and aac_config(lc).object_type_indication == 0x67
    bare = _track({"esds": _esds(b"", oti=0x66)}, channels=2, rate=32000)  # no DecoderSpecificInfo
    cfg = aac_config(bare)
    assert (cfg.core_object_type, cfg.sample_rate, cfg.channels) == (1, 32000, 2)


def test_dispatch_to_a_registered_mp4a_kind(no_mp3_module):
    class FakeMp3(Matcher):
        fourccs = ()

        def __init__(self, track):
            super().__init__(track)
            self.made = True

    register_mp4a_kind("mp3")(FakeMp3)
    got = AacMatcher(_track({"esds": _esds(b"", oti=0x6B)}))
    assert isinstance(got, FakeMp3) and got.made
    assert isinstance(AacMatcher(_track({"esds": _esds(bytes([0x12, 0x10]))})), AacMatcher)


def test_asc_explicit_sbr_and_ps():
    he = parse_audio_specific_config(_asc(5, 6, 2).put(3, 4).put(2, 5).put(0, 3).bytes())  # 24k core, 48k out
    assert (he.audio_object_type, he.core_object_type, he.sbr_present, he.ps_present) == (5, 2, True, False)
    assert (he.sample_rate, he.extension_sample_rate, he.table_index, he.channels) == (24000, 48000, 6, 2)
    v2 = parse_audio_specific_config(_asc(29, 6, 1).put(3, 4).put(2, 5).put(0, 3).bytes())
    assert (v2.sbr_present, v2.ps_present, v2.elements) == (True, True, (A.ID_SCE,))
    # explicit extension rate and an escaped core object type (AOT 2 written as 31 + (2 - 32)? no: 5 bits)
    explicit = parse_audio_specific_config(_asc(5, 15, 1, rate=22050).put(15, 4).put(44100, 24).put(2, 5)
                                           .put(0, 3).bytes())
    assert (explicit.sample_rate, explicit.extension_sample_rate, explicit.table_index) == (22050, 44100, 7)
    with pytest.raises(UnsupportedCodecError):  # SBR over ER AAC LD is not this module's
        parse_audio_specific_config(_asc(5, 6, 2).put(3, 4).put(23, 5).put(0, 3).bytes())


def test_asc_backward_compatible_sbr_and_ps():
    core = _asc(2, 6, 1).put(0, 3)  # LC 24 kHz mono, GASpecificConfig
    sbr = parse_audio_specific_config(Bits().put(core.v, core.n).put(0x2B7, 11).put(5, 5).put(1, 1).put(3, 4)
                                      .bytes())
    assert (sbr.sbr_present, sbr.ps_present, sbr.extension_sample_rate, sbr.audio_object_type) == \
        (True, False, 48000, 2)
    ps = parse_audio_specific_config(Bits().put(core.v, core.n).put(0x2B7, 11).put(5, 5).put(1, 1).put(3, 4)
                                     .put(0x548, 11).put(1, 1).bytes())
    assert ps.sbr_present and ps.ps_present
    no = parse_audio_specific_config(Bits().put(core.v, core.n).put(0x2B7, 11).put(5, 5).put(0, 1).bytes())
    assert not no.sbr_present
    junk = parse_audio_specific_config(Bits().put(core.v, core.n).put(0x123, 11).put(0, 13).bytes())
    assert not junk.sbr_present and junk.sample_rate == 24000


def test_asc_variants_and_refusals():
    rate = parse_audio_specific_config(_asc(2, 15, 2, rate=50000).put(0, 3).bytes())
    assert (rate.sample_rate, rate.table_index) == (50000, 3)
    main = parse_audio_specific_config(_asc(1, 4, 2).put(0, 3).bytes())
    assert main.core_object_type == 1
    ltp = parse_audio_specific_config(_asc(4, 4, 2).put(0, 3).bytes())
    assert ltp.core_object_type == 4
    core = parse_audio_specific_config(_asc(2, 4, 2).put(0, 1).put(1, 1).put(100, 14).put(1, 1).put(0, 1)
                                       .bytes())  # dependsOnCoreCoder, extensionFlag + extensionFlag3
    assert core.depends_on_core_coder and core.extension_flag
    seven = parse_audio_specific_config(_asc(2, 3, 7).put(0, 3).bytes())
    assert seven.channels == 8 and seven.elements[-1] == A.ID_LFE
    with pytest.raises(UnsupportedCodecError, match="960"):
        parse_audio_specific_config(_asc(2, 3, 2).put(1, 1).put(0, 2).bytes())
    with pytest.raises(UnsupportedCodecError, match="channel configuration 9"):
        parse_audio_specific_config(_asc(2, 3, 9).put(0, 3).bytes())
    with pytest.raises(MismatchError):
        parse_audio_specific_config(bytes([0x12]))
    with pytest.raises(MismatchError):
        parse_audio_specific_config(_asc(2, 13, 2).put(0, 3).bytes())  # reserved sampling index


def _pce(tag=0, front=((0, 0), (1, 0)), side=(), back=((1, 1),), lfe=(0,), assoc=(), cc=(), comment=b"",
         sfi=3, object_type=1) -> Bits:
    b = Bits().put(tag, 4).put(object_type, 2).put(sfi, 4)
    b.put(len(front), 4).put(len(side), 4).put(len(back), 4).put(len(lfe), 2).put(len(assoc), 3).put(len(cc), 4)
    b.put(1, 1).put(3, 4)  # mono mixdown element 3
    b.put(0, 1)  # no stereo mixdown
    b.put(1, 1).put(2, 2).put(1, 1)  # matrix mixdown
    for is_cpe, t in (*front, *side, *back):
        b.put(is_cpe, 1).put(t, 4)
    for t in lfe:
        b.put(t, 4)
    for t in assoc:
        b.put(t, 4)
    for ind_sw, t in cc:
        b.put(ind_sw, 1).put(t, 4)
    return b


def _pce_asc(pce: Bits, aot: int = 2, sfi: int = 3) -> bytes:
    b = _asc(aot, sfi, 0).put(0, 3)
    b.put(pce.v, pce.n).align()
    return b.put(2, 8).put(0x4142, 16).bytes()


def test_asc_with_program_config():
    cfg = parse_audio_specific_config(_pce_asc(_pce()))
    assert cfg.channel_configuration == 0 and cfg.elements == ()
    assert cfg.pce.elements == ((A.ID_SCE, 0), (A.ID_CPE, 0), (A.ID_CPE, 1), (A.ID_LFE, 0))
    assert cfg.pce.comment == b"AB" and cfg.channels == 6
    with pytest.raises(MismatchError, match="no audio channels"):
        parse_audio_specific_config(_pce_asc(_pce(front=(), back=(), lfe=())))


# --- hand-built frames -----------------------------------------------------------------------------------------

_T = json.loads(resources.files("mp4fix").joinpath("data/aac_tables.json").read_text())
_SF = _T["scalefactor"]
_BOOKS = {b["codebook"]: b for b in _T["spectral"]}


def _sf_code(b: Bits, delta: int) -> None:
    i = delta + _SF["index_offset"]
    b.put(_SF["codes"][i], _SF["bits"][i])


def _spec_code(b: Bits, cb: int, values: tuple[int, ...], escapes: tuple[int, ...] = ()) -> None:
    """One spectral codeword of book ``cb`` for quantised ``values`` (signs and escapes appended)."""
    book = _BOOKS[cb]
    lav, signed = book["lav"], book["signed"]
    m, off = (2 * lav + 1, lav) if signed else (lav + 1, 0)
    index = 0
    for q in values:
        index = index * m + (q + off if signed else min(abs(q), 16))
    b.put(book["codes"][index], book["bits"][index])
    if not signed:
        for q in values:
            if q:
                b.put(int(q < 0), 1)
    for w in escapes:  # raw escape: (N ones, zero, N+4 bits) given as (N, word)
        n, word = w
        b.put((1 << n) - 1, n).put(0, 1).put(word, n + 4)


def _ics(b: Bits, *, gain=100, info=None, sections=(), sfs=(), spectral=(), pulse=None, tns=None, gain_control=0,
         noise_first=None):
    """individual_channel_stream: ``info`` is written unless None (common window); sections (cb, length)
    for a long window; sfs one delta per coded band; spectral a callable writing the data."""
    b.put(gain, 8)
    if info is not None:
        info(b)
    for cb, length in sections:
        b.put(cb, 4)
        while length >= 31:
            b.put(31, 5)
            length -= 31
        b.put(length, 5)
    if noise_first is not None:
        b.put(noise_first, 9)
    for d in sfs:
        _sf_code(b, d)
    if pulse is None:
        b.put(0, 1)
    else:
        b.put(1, 1)
        pulse(b)
    if tns is None:
        b.put(0, 1)
    else:
        b.put(1, 1)
        tns(b)
    b.put(gain_control, 1)
    for write in spectral:
        write(b)


def _long_info(max_sfb: int, predictor: int = 0, extra=None, reserved: int = 0):
    def write(b: Bits) -> None:
        b.put(reserved, 1).put(0, 2).put(0, 1).put(max_sfb, 6).put(predictor, 1)
        if extra is not None:
            extra(b)
    return write


def _silent_sce(b: Bits, tag: int = 0) -> None:
    b.put(A.ID_SCE, 3).put(tag, 4)
    _ics(b, info=_long_info(0))


def _end(b: Bits) -> bytes:
    return b.put(A.ID_END, 3).align().bytes()


def _cfg(aot=2, sfi=3, chan=1) -> A.AacConfig:
    return parse_audio_specific_config(_asc(aot, sfi, chan).put(0, 3).bytes())


def _length(cfg, frame: bytes, tail: bytes = b"\xff" * 8):
    return AacFrameParser(cfg).frame_length(frame + tail, 0, len(frame) + len(tail))


def test_frame_with_fil_dse_and_pce():
    cfg = _cfg()
    b = Bits()
    b.put(A.ID_FIL, 3).put(3, 4).put(0xD0, 8).put(0xAB, 8).put(0xCD, 8)  # small FIL
    _silent_sce(b)
    payload = bytes(range(40))  # an SBR-looking extension payload (EXT_SBR_DATA = 13) needing the escape
    b.put(A.ID_FIL, 3).put(15, 4).put(len(payload) - 15 + 1, 8)
    for x in bytes([0xD0]) + payload[1:]:
        b.put(x, 8)
    b.put(A.ID_DSE, 3).put(0, 4).put(1, 1).put(3, 8).align().put(0x010203, 24)  # byte-aligned DSE
    b.put(A.ID_DSE, 3).put(1, 4).put(0, 1).put(255, 8).put(2, 8)  # 257 bytes, escaped count, not aligned
    for i in range(257):
        b.put(i & 255, 8)
    pce = _pce(front=((0, 0),), back=(), lfe=(), comment=b"")
    b.put(A.ID_PCE, 3).put(pce.v, pce.n).align().put(1, 8).put(0x7A, 8)
    frame = _end(b)
    assert _length(cfg, frame) == len(frame)
    assert _length(cfg, frame, b"") == len(frame)
    assert AacFrameParser(cfg).frame_length(frame, 0, len(frame) - 1) is None
    # the vectorised prefilter keeps it (FIL first, hops to the SCE)
    arr = np.frombuffer(bytes(5) + frame + bytes(64), dtype=np.uint8)
    assert 5 in AacFrameParser(cfg).candidates(arr, 0, 40).tolist()


def _spectral_cpe_channel(b: Bits, swb, common: bool, is_right: bool = False):
    """A channel with max_sfb 3: bands 0-1 in book 1 (zero tuples), band 2 in book 11 with one escape."""
    width = [swb[i + 1] - swb[i] for i in range(3)]

    def spectral(bb: Bits) -> None:
        for _ in range((width[0] + width[1]) // 4):
            _spec_code(bb, 1, (0, 1, 0, -1))
        pairs = width[2] // 2
        _spec_code(bb, 11, (20, -3), escapes=((0, 4),))  # 20 = 16 + 4: N=0, word 4
        for _ in range(pairs - 1):
            _spec_code(bb, 11, (0, 0))
    _ics(b, info=None if common else _long_info(3), sections=((1, 2), (11, 1)), sfs=(0, 1, -2),
         spectral=(spectral,))


def test_main_profile_prediction_and_common_window():
    cfg = _cfg(aot=1, sfi=3, chan=2)
    swb = A.SWB_OFFSET_LONG[3]

    def prediction(b: Bits) -> None:
        b.put(1, 1).put(7, 5)  # predictor_reset, group 7
        b.put(0b101, 3)  # prediction_used for min(max_sfb, 40) = 3 bands

    b = Bits().put(A.ID_CPE, 3).put(0, 4).put(1, 1)
    _long_info(3, predictor=1, extra=prediction)(b)
    b.put(1, 2).put(0b011, 3)  # ms_mask_present 1: one bit per band
    _spectral_cpe_channel(b, swb, True)
    _spectral_cpe_channel(b, swb, True)
    frame = _end(b)
    assert _length(cfg, frame) == len(frame)
    # the same prediction data is refused in AAC LC
    assert _length(_cfg(aot=2, sfi=3, chan=2), frame) is None
    # reset group 0 is reserved
    bad = Bits().put(A.ID_CPE, 3).put(0, 4).put(1, 1)
    _long_info(3, predictor=1, extra=lambda x: x.put(1, 1).put(0, 5).put(0, 3))(bad)
    bad.put(2, 2)
    _spectral_cpe_channel(bad, swb, True)
    _spectral_cpe_channel(bad, swb, True)
    assert _length(cfg, _end(bad)) is None


def test_separate_windows_and_intensity():
    cfg = _cfg(sfi=3, chan=2)
    b = Bits().put(A.ID_CPE, 3).put(5, 4).put(0, 1)  # common_window 0
    _ics(b, info=_long_info(2), sections=((0, 2),))
    # band 0: noise (its first energy is a 9-bit value), band 1: intensity position
    _ics(b, info=_long_info(2), sections=((A.NOISE_HCB, 1), (A.INTENSITY_HCB, 1)), sfs=(3,), noise_first=200)
    frame = _end(b)
    assert _length(cfg, frame) == len(frame)
    # intensity in the left channel is not allowed
    b = Bits().put(A.ID_CPE, 3).put(5, 4).put(0, 1)
    _ics(b, info=_long_info(2), sections=((A.INTENSITY_HCB2, 2),), sfs=(0, 0))
    _ics(b, info=_long_info(2), sections=((0, 2),))
    assert _length(cfg, _end(b)) is None


def test_ltp_frames():
    cfg = _cfg(aot=4, sfi=4, chan=1)

    def ltp(b: Bits) -> None:
        b.put(1, 1).put(1234, 11).put(5, 3).put(0b1010, 4)  # ltp_data_present, lag, coef, long_used x4

    b = Bits().put(A.ID_SCE, 3).put(0, 4)
    _ics(b, info=_long_info(4, predictor=1, extra=ltp), sections=((0, 4),))
    frame = _end(b)
    assert _length(cfg, frame) == len(frame)
    # in a common-window CPE each channel has its own ltp_data_present
    cfg2 = _cfg(aot=4, sfi=4, chan=2)
    b = Bits().put(A.ID_CPE, 3).put(0, 4).put(1, 1)
    _long_info(2, predictor=1, extra=lambda x: (x.put(0, 1), x.put(1, 1).put(7, 11).put(1, 3).put(3, 2)))(b)
    b.put(0, 2)
    _ics(b, sections=((0, 2),))
    _ics(b, sections=((0, 2),))
    frame = _end(b)
    assert _length(cfg2, frame) == len(frame)


def test_pulse_and_tns():
    cfg = _cfg(sfi=4, chan=1)
    swb = A.SWB_OFFSET_LONG[4]

    def pulse(b: Bits) -> None:
        b.put(1, 2).put(2, 6).put(3, 5).put(9, 4).put(1, 5).put(2, 4)  # two pulses from band 2

    def tns(b: Bits) -> None:
        b.put(2, 2).put(1, 1)  # two filters, coef_res 1 (4-bit coefficients)
        b.put(20, 6).put(12, 5).put(0, 1).put(1, 1).put(0, 12 * 3)  # order 12, compressed: 3 bits each
        b.put(9, 6).put(0, 5)  # order 0

    width = (swb[3] - swb[0]) // 4

    def spectral(b: Bits) -> None:
        for _ in range(width):
            _spec_code(b, 2, (0, 0, 1, 0))

    b = Bits().put(A.ID_SCE, 3).put(0, 4)
    _ics(b, info=_long_info(3), sections=((2, 3),), sfs=(0, 0, 0), pulse=pulse, tns=tns, spectral=(spectral,))
    frame = _end(b)
    assert _length(cfg, frame) == len(frame)
    # TNS order 13 exceeds AAC LC's long-window maximum of 12
    b = Bits().put(A.ID_SCE, 3).put(0, 4)
    _ics(b, info=_long_info(0), tns=lambda x: x.put(1, 2).put(0, 1).put(5, 6).put(13, 5).put(0, 2).put(0, 39))
    assert _length(cfg, _end(b)) is None


def _short_info(max_sfb: int, grouping: int):
    return lambda b: b.put(0, 1).put(A.EIGHT_SHORT, 2).put(1, 1).put(max_sfb, 4).put(grouping, 7)


def test_short_windows_grouped():
    cfg = _cfg(sfi=3, chan=1)
    swb = A.SWB_OFFSET_SHORT[3]
    grouping = 0b0110011  # groups of 1, 3, 1, 3 windows
    lens = A._GROUPS_SHORT[grouping]
    assert lens == (1, 3, 1, 3)

    def sections(b: Bits) -> None:
        for _ in lens:
            b.put(4, 4).put(2, 3)  # book 4 over bands 0-1 in each group

    def spectral(b: Bits) -> None:
        for glen in lens:
            for _ in range(glen * (swb[2] - swb[0]) // 4):
                _spec_code(b, 4, (1, 0, 0, 2))

    b = Bits().put(A.ID_SCE, 3).put(0, 4).put(120, 8)
    _short_info(2, grouping)(b)
    sections(b)
    for _ in range(2 * len(lens)):
        _sf_code(b, 0)
    b.put(0, 1)  # no pulse
    b.put(1, 1)  # tns for 8 windows: one filter in window 0 only
    b.put(1, 1).put(0, 1).put(4, 4).put(2, 3).put(1, 1).put(0, 1).put(0, 6)
    for _ in range(7):
        b.put(0, 1)
    b.put(0, 1)  # no gain control
    spectral(b)
    frame = _end(b)
    assert _length(cfg, frame) == len(frame)


def test_coupling_channel_with_program_config():
    pce = _pce(front=((0, 0), (1, 0)), back=(), lfe=(), cc=((0, 3),))
    cfg = parse_audio_specific_config(_pce_asc(pce, sfi=4))
    swb = A.SWB_OFFSET_LONG[4]
    b = Bits()
    b.put(A.ID_CPE, 3).put(0, 4).put(1, 1)
    _long_info(1)(b)
    b.put(0, 2)
    _ics(b, sections=((0, 1),))
    _ics(b, sections=((0, 1),))
    b.put(A.ID_CCE, 3).put(3, 4).put(0, 1).put(1, 3)  # two coupled targets
    b.put(1, 1).put(0, 4).put(1, 1).put(1, 1)  # the CPE, both channels: one more gain list
    b.put(0, 1).put(0, 4)  # the SCE
    b.put(0, 1).put(0, 1).put(1, 2)  # cc_domain, sign, scale

    def spectral(bb: Bits) -> None:
        for _ in range((swb[2] - swb[0]) // 2):
            _spec_code(bb, 7, (1, 0))
    _ics(b, info=_long_info(2), sections=((7, 2),), sfs=(0, -1), spectral=(spectral,))
    b.put(0, 1)  # list 1: per band
    _sf_code(b, 2)
    _sf_code(b, -2)
    b.put(1, 1)  # list 2: common gain element
    _sf_code(b, 5)
    _silent_sce(b, tag=0)
    frame = _end(b)
    assert _length(cfg, frame) == len(frame)
    # elements must be those of the PCE
    wrong = Bits()
    _silent_sce(wrong, tag=2)
    assert _length(cfg, _end(wrong)) is None


def test_invalid_frames_are_refused():
    mono, stereo = _cfg(chan=1), _cfg(chan=2)

    def sce(**kw) -> bytes:
        b = Bits().put(A.ID_SCE, 3).put(0, 4)
        _ics(b, **kw)
        return _end(b)

    assert _length(mono, sce(info=_long_info(0))) is not None
    assert _length(mono, sce(info=_long_info(0, reserved=1))) is None  # ics_reserved_bit
    assert _length(mono, sce(info=_long_info(50))) is None  # max_sfb > num_swb (49 at 48 kHz)
    assert _length(mono, sce(info=_long_info(1), sections=((12, 1),), sfs=(0,))) is None  # reserved book
    assert _length(mono, sce(info=_long_info(1), sections=((1, 2),), sfs=(0,))) is None  # past max_sfb
    assert _length(mono, sce(info=_long_info(0), gain_control=1)) is None  # SSR gain control
    assert _length(mono, sce(gain=250, info=_long_info(2), sections=((0, 1), (8, 1)), sfs=(10,),
                             spectral=(lambda b: [_spec_code(b, 8, (0, 0)) for _ in range(2)],))) is None
    assert _length(mono, sce(gain=0, info=_long_info(1), sections=((8, 1),), sfs=(-1,),
                             spectral=(lambda b: [_spec_code(b, 8, (0, 0)) for _ in range(2)],))) is None
    short_pulse = Bits().put(A.ID_SCE, 3).put(0, 4).put(100, 8)
    _short_info(0, 0)(short_pulse)
    short_pulse.put(1, 1).put(0, 2).put(0, 6).put(0, 9)
    short_pulse.put(0, 2)
    assert _length(mono, _end(short_pulse)) is None  # no pulses in short windows
    # element sequence: a second SCE, a CPE where an SCE belongs, two SCEs with one tag in 4 channels
    two = Bits()
    _silent_sce(two)
    _silent_sce(two, tag=1)
    assert _length(mono, _end(two)) is None
    assert _length(stereo, sce(info=_long_info(0))) is None
    four = _cfg(chan=4)
    b = Bits()
    _silent_sce(b, tag=0)
    b.put(A.ID_CPE, 3).put(0, 4).put(1, 1)
    _long_info(0)(b)
    b.put(0, 2)
    _ics(b)
    _ics(b)
    same = Bits().put(b.v, b.n)
    _silent_sce(same, tag=0)
    assert _length(four, _end(same)) is None
    other = Bits().put(b.v, b.n)
    _silent_sce(other, tag=1)
    assert _length(four, _end(other)) is not None
    # CCE without a PCE that lists it; ms_mask_present 3
    cce = Bits().put(A.ID_CCE, 3).put(0, 4).put(0, 1).put(0, 3).put(0, 5).put(0, 4)
    _ics(cce, info=_long_info(0))
    _silent_sce(cce)
    assert _length(mono, _end(cce)) is None
    ms3 = Bits().put(A.ID_CPE, 3).put(0, 4).put(1, 1)
    _long_info(0)(ms3)
    ms3.put(3, 2)
    _ics(ms3)
    _ics(ms3)
    assert _length(stereo, _end(ms3)) is None
    # escape with N = 9 (a magnitude over 8191)
    esc = Bits().put(A.ID_SCE, 3).put(0, 4)
    swb = A.SWB_OFFSET_LONG[3]

    def overflow(b: Bits) -> None:
        _spec_code(b, 11, (16, 0), escapes=((9, 0),))
        for _ in range((swb[1] - swb[0]) // 2 - 1):
            _spec_code(b, 11, (0, 0))
    _ics(esc, info=_long_info(1), sections=((11, 1),), sfs=(0,), spectral=(overflow,))
    assert _length(mono, _end(esc)) is None
    # no END before the data runs out; longer than 6144 bits per channel
    unfinished = Bits()
    _silent_sce(unfinished)
    assert AacFrameParser(mono).frame_length(unfinished.bytes(), 0, len(unfinished.bytes())) is None
    big = Bits()
    _silent_sce(big)
    big.put(A.ID_FIL, 3).put(15, 4).put(255, 8)
    for _ in range(269):
        big.put(0, 8)
    big.put(A.ID_FIL, 3).put(15, 4).put(255, 8)
    for _ in range(269):
        big.put(0, 8)
    big.put(A.ID_FIL, 3).put(15, 4).put(255, 8)
    for _ in range(269):
        big.put(0, 8)
    frame = _end(big)
    assert len(frame) > 768 and _length(mono, frame) is None
