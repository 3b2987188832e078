"""HEVC access-unit matcher: exact sample sizes, keyframes and presentation order against ffmpeg's packets.

Real streams come from the ffmpeg binary of imageio-ffmpeg (libx265 in several configurations, libkvazaar).
The oracle is independent of mp4fix: ``-f framecrc`` gives each packet's size, dts, pts and key flag and
``-f data`` the packet payloads as stored in the MP4 (length-prefixed NAL units); the hvcC record is found
by a plain byte search in the MP4. A few streams are edited here NAL unit by NAL unit to cover what the
encoders never write (end of sequence, prefix SEI between slices, in-band-only parameter sets, 2-byte
NAL lengths).
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

from engine_helpers import hevc_presentation_positions
from mp4fix.codecs import hevc as hevc_mod
from mp4fix.codecs import matcher_class
from mp4fix.codecs.base import SampleMatch
from mp4fix.codecs.hevc import HevcMatcher, HevcPicture, parse_sps
from mp4fix.codecs.nal import unescape_rbsp
from mp4fix.errors import MismatchError
from mp4fix.profile import TrackProfile

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

X265 = ["-c:v", "libx265", "-preset", "ultrafast"]
SRC = ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "8"]


def _x265(params: str) -> list[str]:
    return X265 + ["-x265-params", params + ":log-level=error"]


#: name -> ffmpeg arguments (input included). 160x120 at 25 fps, 200 frames, unless said otherwise.
STREAMS: dict[str, list[str]] = {
    "x265_default": SRC + _x265("keyint=48"),  # B-frames, open GOP (CRA)
    "x265_closed_gop": SRC + _x265("keyint=48:open-gop=0"),
    "x265_no_bframes": SRC + _x265("keyint=48:bframes=0"),
    "x265_short_gop": SRC + _x265("keyint=8:min-keyint=8"),
    # without a global header libx265 keeps VPS/SPS/PPS in the stream; the muxer leaves them there for
    # 'hev1' only (for 'hvc1' it moves them to hvcC)
    "x265_repeat_headers": SRC + ["-flags:v", "-global_header", "-tag:v", "hev1"]
    + _x265("keyint=24:repeat-headers=1:aud=1:hash=2"),
    "x265_slices": SRC + _x265("keyint=48:slices=4"),
    "x265_pyramid": SRC + _x265("keyint=60:bframes=7:b-pyramid=1:b-adapt=0:rc-lookahead=10"),
    "x265_weighted_10bit": SRC + ["-vf", "fade=in:0:80,fade=out:120:80", "-pix_fmt", "yuv420p10le"]
    + _x265("keyint=48:weightp=1:weightb=1"),
    "x265_scenecut": ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:d=3", "-f", "lavfi",
                      "-i", "mandelbrot=size=160x120:rate=25", "-filter_complex",
                      "[0][1]concat=n=2:v=1,trim=duration=7"] + _x265("keyint=250:scenecut=40"),
    # TemporalId 0..2 with TSA pictures: prevTid0Pic skips the higher sub-layers
    "x265_temporal_layers": SRC + _x265("keyint=48:temporal-layers=3:bframes=4"),
    "kvazaar": SRC + ["-c:v", "libkvazaar", "-kvazaar-params", "period=32"],
    # wavefront parallel processing in a tall picture with 16x16 CTBs: over a hundred entry points, a slice
    # segment header longer than the first bytes the matcher looks at (as in Apple's MV-HEVC)
    "x265_wpp_tall": ["-f", "lavfi", "-i", "testsrc2=size=64x2160:rate=25", "-t", "2"]
    + _x265("keyint=24:wpp=1:ctu=16:min-cu-size=8"),
    # 2x2 tiles, one slice per tile: slice addresses out of raster order, entry points per tile
    "kvazaar_tiles": ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4", "-c:v", "libkvazaar",
                      "-kvazaar-params", "period=16,tiles=2x2,slices=tiles"],
}


@dataclass
class Stream:
    name: str
    hvcc: bytes
    data: bytes  # the packets' payloads back to back, decode order
    sizes: list[int]
    offsets: list[int]  # of each packet in ``data``
    dts: list[int]
    pts: list[int]
    keys: list[bool]
    frame_dur: int

    @property
    def positions(self) -> np.ndarray:
        """The oracle's presentation position of each packet, in frames."""
        pts = np.asarray(self.pts, dtype=np.int64)
        return (pts - pts[0]) // self.frame_dur


def _framecrc(path: Path, stream: str = "0:v") -> list[tuple[int, int, int, int, int]]:
    out = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path), "-map", stream, "-c", "copy", "-f", "framecrc",
                          "-"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        if line.startswith("#"):
            continue
        cols = [c.strip() for c in line.split(",")]
        flags = int(cols[6].split("=")[1], 16) if len(cols) > 6 and cols[6].startswith("F=") else 1
        rows.append((int(cols[1]), int(cols[2]), int(cols[3]), int(cols[4]), flags))
    return rows


def _payloads(path: Path, stream: str = "0:v") -> bytes:
    return subprocess.run([FFMPEG, "-hide_banner", "-i", str(path), "-map", stream, "-c", "copy", "-f", "data", "-"],
                          capture_output=True, check=True).stdout


def _box_payload(path: Path, fourcc: bytes) -> bytes:
    raw = path.read_bytes()
    i = raw.find(fourcc)
    assert i >= 4, f"no {fourcc!r} in {path}"
    size = int.from_bytes(raw[i - 4:i], "big")
    return raw[i + 4:i - 4 + size]


def _make(name: str, args: list[str], folder: Path) -> Stream | None:
    path = folder / f"{name}.mp4"
    if not path.exists():
        tmp = folder / f"{name}.tmp.mp4"
        tag = [] if "-tag:v" in args else ["-tag:v", "hvc1"]
        proc = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args, *tag, str(tmp)],
                              capture_output=True)
        if proc.returncode != 0 or not tmp.exists():
            return None
        tmp.rename(path)
    rows = _framecrc(path)
    data = _payloads(path)
    sizes = [r[3] for r in rows]
    assert sum(sizes) == len(data)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
    return Stream(name, _box_payload(path, b"hvcC"), data, sizes, offsets, [r[0] for r in rows],
                  [r[1] for r in rows], [bool(r[4] & 1) for r in rows], rows[0][2])


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    """Every stream of STREAMS (None for an encoder this ffmpeg cannot run), plus AAC frames as foreign bytes."""
    folder = tmp_path_factory.mktemp("hevc")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(_make, name, args, folder) for name, args in STREAMS.items()}
        aac_path = folder / "aac.mp4"
        subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "anoisesrc=d=8:a=0.3:r=44100", "-f", "lavfi", "-i", "sine=f=440:d=8:r=44100",
                        "-filter_complex", "[0][1]amerge=inputs=2", "-ac", "1", "-c:a", "aac", "-b:a", "64k",
                        str(aac_path)], check=True, capture_output=True)
        streams = {name: f.result() for name, f in futures.items()}
    aac_sizes = [r[3] for r in _framecrc(aac_path, "0:a")]
    aac = _payloads(aac_path, "0:a")
    frames, pos = [], 0
    for size in aac_sizes:
        frames.append(aac[pos:pos + size])
        pos += size
    return streams, frames


def _get(media, name: str) -> Stream:
    stream = media[0][name]
    if stream is None:
        assert not name.startswith("x265"), f"libx265 failed to encode {name}"
        pytest.skip(f"{name}: encoder not available in this ffmpeg")
    return stream


def _track(hvcc: bytes, offsets=None, sizes=None, keys=None, fourcc: str = "hvc1") -> TrackProfile:
    offsets = np.asarray(offsets if offsets is not None else [], dtype=np.uint64)
    sizes = np.asarray(sizes if sizes is not None else [], dtype=np.uint32)
    n = len(sizes)
    return TrackProfile(index=0, track_id=1, handler="vide", fourcc=fourcc, timescale=12800,
                        sample_entry=b"", config={"hvcC": hvcc}, trak=b"", sizes=sizes,
                        durations=np.full(n, 512, dtype=np.int64), ctts=None,
                        keyframes=None if keys is None else np.asarray(keys, dtype=bool), offsets=offsets,
                        chunk_sizes=np.ones(n, dtype=np.int64), width=160, height=120)


def _interleave(stream: Stream, aac: list[bytes], seed: int = 1) -> tuple[bytes, list[int]]:
    """The stream's packets with 0..3 AAC frames after each, as in an interleaved mdat; packet offsets."""
    rng = random.Random(seed)
    out, offsets, k = bytearray(), [], 0
    for off, size in zip(stream.offsets, stream.sizes):
        offsets.append(len(out))
        out += stream.data[off:off + size]
        for _ in range(rng.randrange(4)):
            out += aac[k % len(aac)]
            k += 1
    return bytes(out), offsets


def _walk(matcher: HevcMatcher, data, offsets, sizes, end=None) -> list[SampleMatch]:
    """Match every packet at its offset (accepting each, as the scanner does) and check its exact size."""
    end = len(data) if end is None else end
    matches = []
    for i, (off, size) in enumerate(zip(offsets, sizes)):
        m = matcher.match(data, off, end)
        assert m is not None, f"packet {i} at {off} not matched"
        assert m.size == size, f"packet {i} at {off}: matched {m.size} bytes, packet has {size}"
        matcher.accept(m)
        matches.append(m)
    return matches


def _nal_units(packet: bytes, length_size: int = 4) -> list[tuple[int, int, int]]:
    """(offset, total length with prefix, nal_unit_type) of each NAL unit of a packet."""
    out, pos = [], 0
    while pos < len(packet):
        n = int.from_bytes(packet[pos:pos + length_size], "big")
        out.append((pos, length_size + n, (packet[pos + length_size] >> 1) & 0x3F))
        pos += length_size + n
    return out


ALL = list(STREAMS)


# --- sizes and keyframes ------------------------------------------------------------------------------


def test_registered_for_hevc_fourccs():
    assert matcher_class("hvc1") is HevcMatcher
    assert matcher_class("hev1") is HevcMatcher


def test_streams_cover_what_they_claim(media):
    def nal_headers(name):
        stream = _get(media, name)
        out = set()
        for off, size in zip(stream.offsets, stream.sizes):
            for o, _, t in _nal_units(stream.data[off:off + size]):
                out.add((t, (stream.data[off + o + 5] & 7) - 1))
        return out

    wpp = _get(media, "x265_wpp_tall")
    assert wpp.sizes and all(s > 0 for s in wpp.sizes)
    tl = nal_headers("x265_temporal_layers")
    assert {tid for _, tid in tl} == {0, 1, 2} and any(t in (hevc_mod.TSA_N, hevc_mod.TSA_R) for t, _ in tl)
    assert {t for t, _ in nal_headers("x265_default")} >= {hevc_mod.CRA_NUT, hevc_mod.RASL_N}
    if media[0]["kvazaar_tiles"] is not None:
        stream = media[0]["kvazaar_tiles"]
        assert len(_nal_units(stream.data[:stream.sizes[0]])) >= 4


def test_in_band_stream_really_has_parameter_sets(media):
    stream = _get(media, "x265_repeat_headers")
    types = [t for _, _, t in _nal_units(stream.data[:stream.sizes[0]])]
    assert types[:4] == [35, 32, 33, 34]  # AUD, VPS, SPS, PPS


@pytest.mark.parametrize("name", ALL)
def test_every_packet_exact_size_and_keyframe(media, name):
    stream = _get(media, name)
    matcher = HevcMatcher(_track(stream.hvcc))
    matches = _walk(matcher, stream.data, stream.offsets, stream.sizes)
    assert [m.keyframe for m in matches] == stream.keys
    assert all(isinstance(m.info, HevcPicture) for m in matches)


@pytest.mark.parametrize("name", ALL)
def test_packets_followed_by_audio_bytes(media, name):
    """In an interleaved mdat an access unit ends where the AAC chunk after it begins."""
    stream = _get(media, name)
    blob, offsets = _interleave(stream, media[1])
    matcher = HevcMatcher(_track(stream.hvcc))
    matches = _walk(matcher, blob, offsets, stream.sizes)
    assert [m.keyframe for m in matches] == stream.keys


def test_hvcc_fields(media):
    stream = _get(media, "x265_weighted_10bit")
    matcher = HevcMatcher(_track(stream.hvcc))
    assert matcher.length_size == 4
    assert matcher.profile_idc == 2  # Main 10
    assert (matcher.bit_depth_luma, matcher.bit_depth_chroma, matcher.chroma_format) == (10, 10, 1)
    sps = matcher.sps
    assert (sps.width, sps.height, sps.bit_depth_luma, sps.chroma_format_idc) == (160, 128, 10, 1)
    assert sps.display_size == (160, 120)  # x265 codes whole 16x16 blocks and crops
    assert sps.pic_size_ctbs > 1 and sps.log2_max_poc_lsb >= 4


def test_bad_configuration_is_a_mismatch():
    with pytest.raises(MismatchError):
        HevcMatcher(TrackProfile(0, 1, "vide", "hvc1", 1, b"", {}, b"", *[np.zeros(0)] * 2, None, None,
                                 np.zeros(0), np.zeros(0)))
    with pytest.raises(MismatchError):
        HevcMatcher(_track(b"\x01\x02\x03"))


# --- what is not a sample -------------------------------------------------------------------------------


def test_audio_bytes_are_not_samples(media):
    stream = _get(media, "x265_default")
    matcher = HevcMatcher(_track(stream.hvcc))
    blob = b"".join(media[1])
    hits = [p for p in range(len(blob)) if matcher.match(blob, p, len(blob)) is not None]
    assert hits == []


@pytest.mark.parametrize("name", ["x265_default", "x265_slices", "x265_repeat_headers", "kvazaar"])
def test_positions_inside_packets(media, name):
    """Inside a packet only the start of a NAL unit that can open an access unit may match, and then
    exactly up to the packet's end (it is a valid access unit with fewer leading NAL units)."""
    stream = _get(media, name)
    matcher = HevcMatcher(_track(stream.hvcc))
    _walk(matcher, stream.data, stream.offsets, stream.sizes)  # adopt in-band parameter sets first
    rng = random.Random(7)
    for off, size in zip(stream.offsets, stream.sizes):
        packet = stream.data[off:off + size]
        starts = {o for o, _, _ in _nal_units(packet)}
        inside = range(1, size) if size < 1200 else sorted(rng.sample(range(1, size), 1200))
        for q in inside:
            m = matcher.match(stream.data, off + q, len(stream.data))
            if q in starts:
                assert m is None or m.size == size - q, (off, q)
            else:
                assert m is None, f"false match at packet offset {off} + {q}: {m}"


def test_damaged_header_bits_do_not_match(media):
    """A slice segment header with a flipped bit seldom still parses to its byte_alignment()."""
    stream = _get(media, "x265_default")
    matcher = HevcMatcher(_track(stream.hvcc))
    survived = tried = 0
    for off, size in list(zip(stream.offsets, stream.sizes))[:60]:
        packet = bytearray(stream.data[off:off + size])
        for bit in range(6 * 8, 10 * 8):  # the first slice header bytes after the NAL unit header
            damaged = bytearray(packet)
            damaged[bit // 8] ^= 0x80 >> (bit % 8)
            m = matcher.match(bytes(damaged), 0, len(damaged))
            tried += 1
            survived += m is not None
    assert survived < tried * 0.5


def test_truncated_data_ends_the_sample(media):
    stream = _get(media, "x265_slices")
    matcher = HevcMatcher(_track(stream.hvcc))
    off, size = stream.offsets[3], stream.sizes[3]
    nals = _nal_units(stream.data[off:off + size])
    assert len(nals) == 4
    # cut inside the third slice: the access unit is incomplete, never a shorter sample (it was, before)
    cut = off + nals[2][0] + 10
    assert matcher.match(stream.data, off, cut) is None
    # cut inside the NAL unit header of the third slice: a reference with multi-slice pictures says the
    # access unit goes on; with nothing learned the first two slices are all there is to go by
    cut = off + nals[2][0] + 5
    m = matcher.match(stream.data, off, cut)
    assert m is not None and m.size == nals[2][0]
    learned = HevcMatcher(_track(stream.hvcc))
    learned.check_reference(stream.data, np.asarray(stream.offsets[:8]), np.asarray(stream.sizes[:8]))
    assert learned.trailing_min == 3 and learned.match(stream.data, off, cut) is None
    # a cut that lands where the next access unit begins leaves this one whole
    nxt = stream.offsets[4]
    m = learned.match(stream.data, off, nxt + 3)
    assert m is not None and m.size == size
    # cut inside the first slice: nothing
    assert matcher.match(stream.data, off, off + nals[0][1] - 1) is None
    assert matcher.match(stream.data, off, off + 3) is None


# --- candidates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_candidates_contain_every_true_start(media, name, monkeypatch):
    stream = _get(media, name)
    blob, offsets = _interleave(stream, media[1], seed=3)
    arr = np.frombuffer(blob, dtype=np.uint8)
    matcher = HevcMatcher(_track(stream.hvcc))
    cands = matcher.candidates(arr, 0, len(arr))
    assert cands.dtype == np.int64 and np.all(np.diff(cands) > 0)
    assert set(offsets) <= set(cands.tolist())
    assert len(cands) < len(arr) // 20  # a real filter
    # small blocks and small windows (as the scanner asks, window end < NAL end) find the same
    monkeypatch.setattr(hevc_mod, "_CANDIDATE_BLOCK", 777)
    window = 4096
    pieces = [matcher.candidates(arr, a, min(a + window, len(arr))) for a in range(0, len(arr), window)]
    assert np.array_equal(np.concatenate(pieces), cands)
    # every candidate lies in the window asked for
    part = matcher.candidates(arr, 1000, 5000)
    assert part.size == 0 or (part.min() >= 1000 and part.max() < 5000)


# --- presentation order -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_presentation_order_complete_and_truncated(media, name):
    stream = _get(media, name)
    matcher = HevcMatcher(_track(stream.hvcc))
    matches = _walk(matcher, stream.data, stream.offsets, stream.sizes)
    expected = stream.positions
    n = len(matches)
    got = matcher.presentation_order(matches)
    if got is None:
        assert np.array_equal(expected, np.arange(n)), "reordered stream reported as in order"
    else:
        assert np.array_equal(got, expected)
    last_key = max(i for i, k in enumerate(stream.keys) if k)
    for cut in range(max(1, last_key - 1), n + 1):
        got = matcher.presentation_order(matches[:cut])
        want = (np.asarray(stream.pts[:cut]) - stream.pts[0]) // stream.frame_dur
        if got is None:
            assert np.array_equal(want, np.arange(cut)), cut
        else:
            assert np.array_equal(got, want), f"cut at {cut} of {n}"


def test_bframes_stream_has_reordering(media):
    stream = _get(media, "x265_default")
    matcher = HevcMatcher(_track(stream.hvcc))
    matches = _walk(matcher, stream.data, stream.offsets, stream.sizes)
    assert matcher.presentation_order(matches) is not None
    assert matcher.presentation_order([]) is None
    # unknown facts: those samples keep their decode position
    pos = matcher.presentation_order([SampleMatch(1), SampleMatch(1)])
    assert pos is None


def test_open_gop_cra_does_not_restart_poc(media):
    stream = _get(media, "x265_default")
    matcher = HevcMatcher(_track(stream.hvcc))
    matches = _walk(matcher, stream.data, stream.offsets, stream.sizes)
    types = [m.info.nal_type for m in matches]
    assert hevc_mod.CRA_NUT in types and types[0] in hevc_mod._IDR
    pocs, periods = hevc_mod.picture_order_counts([m.info for m in matches])
    assert max(periods) == 0  # one period: CRAs in mid stream keep counting
    assert pocs[types.index(hevc_mod.CRA_NUT)] > 0
    # RASL pictures follow their CRA in decode order and are shown before it
    i = types.index(hevc_mod.CRA_NUT)
    pos = matcher.presentation_order(matches)
    assert types[i + 1] in (hevc_mod.RASL_N, hevc_mod.RASL_R) and pos[i + 1] < pos[i]


def test_closed_gop_restarts_periods(media):
    stream = _get(media, "x265_closed_gop")
    matcher = HevcMatcher(_track(stream.hvcc))
    matches = _walk(matcher, stream.data, stream.offsets, stream.sizes)
    pocs, periods = hevc_mod.picture_order_counts([m.info for m in matches])
    idr = [i for i, m in enumerate(matches) if m.info.nal_type in hevc_mod._IDR]
    assert len(idr) >= 4 and all(pocs[i] == 0 for i in idr)
    assert max(periods) == len(idr) - 1


# --- learning from the reference --------------------------------------------------------------------------


def test_check_reference_learns_keyframe_rule(media):
    stream = _get(media, "x265_default")
    blob, offsets = _interleave(stream, media[1])
    # the muxer's own stss: every IRAP, CRA included
    matcher = HevcMatcher(_track(stream.hvcc, offsets, stream.sizes, stream.keys))
    assert matcher.check_reference(blob, np.asarray(offsets), np.asarray(stream.sizes)) == len(offsets)
    assert matcher.keyframe_rule == "irap"
    # a reference whose stss lists only IDR pictures
    only_idr = [k and i == 0 for i, k in enumerate(stream.keys)]
    matcher = HevcMatcher(_track(stream.hvcc, offsets, stream.sizes, only_idr))
    assert matcher.check_reference(blob, np.asarray(offsets), np.asarray(stream.sizes)) == len(offsets)
    assert matcher.keyframe_rule == "idr"
    keys = [matcher.match(blob, o, len(blob)).keyframe for o in offsets]
    assert keys == only_idr
    # the first samples alone teach it too, and a clone keeps it (the scanner works on fresh matchers)
    matcher = HevcMatcher(_track(stream.hvcc, offsets, stream.sizes, only_idr))
    n = 120
    assert matcher.check_reference(blob, np.asarray(offsets[:n]), np.asarray(stream.sizes[:n])) == n
    assert matcher.keyframe_rule == "idr"
    fresh = matcher.clone()
    assert fresh.keyframe_rule == "idr" and fresh is not matcher
    assert [fresh.match(blob, o, len(blob)).keyframe for o in offsets] == only_idr
    # a sample measured wrongly does not count
    sizes = list(stream.sizes)
    sizes[5] -= 1
    matcher = HevcMatcher(_track(stream.hvcc))
    assert matcher.check_reference(blob, np.asarray(offsets), np.asarray(sizes)) == len(offsets) - 1


def test_reference_samples_give_presentation_order(media):
    """What the reference stage does: match the reference's samples, then learn the delay from ctts."""
    stream = _get(media, "x265_pyramid")
    blob, offsets = _interleave(stream, media[1])
    matcher = HevcMatcher(_track(stream.hvcc, offsets, stream.sizes, stream.keys))
    matches = [matcher.match(blob, o, o + s) for o, s in zip(offsets, stream.sizes)]
    pos = matcher.presentation_order(matches)
    delay = (np.asarray(stream.pts) - np.asarray(stream.dts)) // stream.frame_dur - (pos - np.arange(len(pos)))
    assert len(set(delay.tolist())) == 1  # ctts = (pos - decode index + delay) * frame duration


# --- parameter sets in the stream -------------------------------------------------------------------------


def _strip_arrays(hvcc: bytes) -> bytes:
    """An hvcC record with no parameter-set arrays ('hev1' style)."""
    return hvcc[:22] + b"\x00"


def test_in_band_parameter_sets_only(media):
    stream = _get(media, "x265_repeat_headers")
    matcher = HevcMatcher(_track(_strip_arrays(stream.hvcc), fourcc="hev1"))
    data = stream.data
    p_frame = stream.offsets[1]
    assert matcher.match(data, p_frame, len(data)) is None  # no PPS known yet
    first = matcher.match(data, 0, len(data))
    assert first is not None and first.size == stream.sizes[0] and first.keyframe
    assert matcher.match(data, p_frame, len(data)) is None  # match() changed nothing
    assert matcher.accept(first) is True
    assert matcher.match(data, p_frame, len(data)).size == stream.sizes[1]
    # the rest of the stream, re-announcing the same sets at every keyframe
    _walk(matcher, data, stream.offsets, stream.sizes)


def test_in_band_sets_of_the_next_access_unit_stay_there(media):
    """VPS/SPS/PPS after a picture open the next access unit: they are not adopted with this one."""
    stream = _get(media, "x265_repeat_headers")
    keys = [i for i, k in enumerate(stream.keys) if k and i > 0]
    k = keys[0]
    matcher = HevcMatcher(_track(_strip_arrays(stream.hvcc), fourcc="hev1"))
    first = matcher.match(stream.data, 0, len(stream.data))
    assert len(first.info.params) == 3  # VPS, SPS, PPS
    before = matcher.match(stream.data, stream.offsets[k - 1], len(stream.data))
    assert before is None  # nothing known before accept
    matcher.accept(first)
    before = matcher.match(stream.data, stream.offsets[k - 1], len(stream.data))
    assert before.size == stream.sizes[k - 1] and before.info.params is None


# --- edited streams ------------------------------------------------------------------------------------------


def _packets(stream: Stream) -> list[bytes]:
    return [stream.data[o:o + s] for o, s in zip(stream.offsets, stream.sizes)]


def _join(packets: list[bytes]) -> tuple[bytes, list[int], list[int]]:
    sizes = [len(p) for p in packets]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
    return b"".join(packets), offsets, sizes


EOS = b"\x00\x00\x00\x02\x48\x01"
EOB = b"\x00\x00\x00\x02\x4a\x01"
# prefix SEI: user_data_unregistered (type 5), 16-byte UUID + 2 bytes
PREFIX_SEI = bytes([0, 0, 0, 23, 0x4E, 0x01, 5, 18]) + bytes(range(1, 19)) + b"\x80"


def test_end_of_sequence_restarts_poc_at_cra(media):
    """An EOS before a CRA gives that CRA NoRaslOutputFlag = 1: POC restarts, presentation times do not."""
    stream = _get(media, "kvazaar")
    packets = _packets(stream)
    cra = [i for i, p in enumerate(packets) if (p[4] >> 1) & 0x3F == hevc_mod.CRA_NUT
           or any(t == hevc_mod.CRA_NUT for _, _, t in _nal_units(p))]
    assert cra and cra[0] > 1
    i = cra[0]
    packets[i - 1] = packets[i - 1] + EOS
    packets[-1] = packets[-1] + EOS + EOB
    data, offsets, sizes = _join(packets)
    matcher = HevcMatcher(_track(stream.hvcc))
    matches = _walk(matcher, data, offsets, sizes)
    assert matches[i - 1].info.eos and not matches[i - 2].info.eos
    pocs, periods = hevc_mod.picture_order_counts([m.info for m in matches])
    assert periods[i] == periods[i - 1] + 1
    assert np.array_equal(matcher.presentation_order(matches), stream.positions)
    # after an EOS only an EOB may follow in the same access unit
    bad = packets[i - 1] + PREFIX_SEI[:0] + EOS
    assert matcher.match(bad, 0, len(bad)).size == len(packets[i - 1])


def test_prefix_sei_between_slices_and_before_next_picture(media):
    stream = _get(media, "x265_slices")
    packets = _packets(stream)
    p = packets[5]
    nals = _nal_units(p)
    assert len(nals) == 4
    # inside the picture (between its first and second slice segment): part of the access unit
    inside = p[:nals[1][0]] + PREFIX_SEI + p[nals[1][0]:]
    # after the last slice: opens the next access unit
    data = inside + PREFIX_SEI + packets[6] + packets[7]
    matcher = HevcMatcher(_track(stream.hvcc))
    m = matcher.match(data, 0, len(data))
    assert m is not None and m.size == len(inside)
    m = matcher.match(data, len(inside), len(data))
    assert m is not None and m.size == len(PREFIX_SEI) + len(packets[6])
    # a suffix SEI cannot open an access unit, a broken SEI is not a NAL unit of this stream
    suffix = bytes([0, 0, 0, 23, 0x50, 0x01]) + PREFIX_SEI[6:]
    assert matcher.match(suffix + packets[6], 0, len(suffix) + len(packets[6])) is None
    broken = PREFIX_SEI[:7] + b"\x40" + PREFIX_SEI[8:]
    data = packets[5] + broken + packets[6]
    assert matcher.match(data, 0, len(data)).size == len(packets[5])
    assert matcher.match(data, len(packets[5]), len(data)) is None


def test_two_byte_nal_lengths(media):
    stream = _get(media, "x265_slices")
    packets = []
    for p in _packets(stream):
        out = bytearray()
        for off, total, _ in _nal_units(p):
            body = p[off + 4:off + total]
            out += len(body).to_bytes(2, "big") + body
        packets.append(bytes(out))
    hvcc = bytearray(stream.hvcc)
    hvcc[21] = (hvcc[21] & 0xFC) | 1
    data, offsets, sizes = _join(packets)
    matcher = HevcMatcher(_track(bytes(hvcc)))
    assert matcher.length_size == 2
    matches = _walk(matcher, data, offsets, sizes)
    assert [m.keyframe for m in matches] == stream.keys
    cands = matcher.candidates(np.frombuffer(data, dtype=np.uint8), 0, len(data))
    assert set(offsets) <= set(cands.tolist())


def test_sps_fields_parse():
    """An SPS written bit by bit (no VUI): the slice-header fields come out as written."""
    bits = []

    def u(n, v):
        bits.extend((v >> (n - 1 - i)) & 1 for i in range(n))

    def ue(v):
        v += 1
        n = v.bit_length()
        u(n - 1, 0)
        u(n, v)

    u(4, 0)  # vps id
    u(3, 0)  # max_sub_layers_minus1
    u(1, 1)
    u(2, 0); u(1, 0); u(5, 1); u(32, 0x60000000); u(4, 0b1001); u(43, 0); u(1, 0); u(8, 60)  # PTL
    ue(3)  # sps id
    ue(1)  # 4:2:0
    ue(320); ue(240)
    u(1, 0)  # conformance window
    ue(0); ue(0)  # bit depths
    ue(4)  # log2_max_poc_lsb_minus4 -> 8
    u(1, 1); ue(4); ue(2); ue(0)  # ordering info: dec buffering 5, reorder 2
    ue(0); ue(3)  # min CB 8, CTB 64
    ue(0); ue(3)  # TB 4..32
    ue(1); ue(1)
    u(1, 0)  # scaling list
    u(1, 0); u(1, 1)  # amp, sao
    u(1, 0)  # pcm
    ue(2)  # two st RPS
    ue(1); ue(1); ue(0); u(1, 1); ue(1); u(1, 1)  # RPS0: {-1 used}, {+2 used}
    u(1, 1); u(1, 0); ue(0)  # RPS1: inter predicted from RPS0, deltaRps = +1
    for used in (1, 0, 1):
        u(1, used)
        if not used:
            u(1, 1)
    u(1, 0)  # long term
    u(1, 1); u(1, 1)  # tmvp, strong intra smoothing
    u(1, 0); u(1, 0)  # vui, extension
    u(1, 1)
    while len(bits) % 8:
        bits.append(0)
    rbsp = bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))
    sps = parse_sps(rbsp)
    assert (sps.sps_id, sps.width, sps.height, sps.log2_max_poc_lsb) == (3, 320, 240, 8)
    assert (sps.log2_ctb, sps.pic_width_ctbs, sps.pic_height_ctbs, sps.address_bits) == (6, 5, 4, 5)
    assert sps.max_dec_pic_buffering == 5 and sps.max_num_reorder == 2 and sps.sao and sps.temporal_mvp
    assert sps.st_rps[0].s0 == [(-1, 1)] and sps.st_rps[0].s1 == [(2, 1)]
    # RPS1 = RPS0 shifted by +1: -1 -> 0 (dropped), +2 -> +3 (not used), plus deltaRps itself (+1, used)
    assert sps.st_rps[1].s0 == [] and sps.st_rps[1].s1 == [(1, 1), (3, 0)]
    assert unescape_rbsp(rbsp) == rbsp


# --- speed ---------------------------------------------------------------------------------------------------------


def test_speed(media, capsys):
    stream = _get(media, "x265_default")
    blob, offsets = _interleave(stream, media[1])
    matcher = HevcMatcher(_track(stream.hvcc))
    t0 = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for o in offsets:
            matcher.match(blob, o, len(blob))
    rate = rounds * len(offsets) / (time.perf_counter() - t0)
    arr = np.frombuffer(blob * 20, dtype=np.uint8)
    t0 = time.perf_counter()
    matcher.candidates(arr, 0, len(arr))
    mbps = len(arr) / (time.perf_counter() - t0) / 1e6
    with capsys.disabled():
        print(f"\nhevc: {rate:.0f} access units/s, candidates {mbps:.0f} MB/s")
    assert rate > 200


def _nal(nal_type: int, payload: bytes, layer: int = 0, tid: int = 0) -> bytes:
    header = bytes([(nal_type << 1) | (layer >> 5), ((layer & 31) << 3) | (tid + 1)])
    return (len(payload) + 2).to_bytes(4, "big") + header + payload


def test_unspecified_suffix_types_only_when_the_reference_has_them(media):
    """Types 45..47 and 56..63 carry nothing to check: taken after a picture only once the reference showed
    them (e.g. Dolby Vision's RPU, type 62)."""
    stream = _get(media, "x265_default")
    packets = _packets(stream)
    rpu = _nal(62, bytes(range(1, 40)))
    data = packets[0] + rpu + packets[1]
    matcher = HevcMatcher(_track(stream.hvcc))
    assert matcher.match(data, 0, len(data)).size == len(packets[0])
    # a reference whose samples end with such a NAL unit teaches it
    ref = [p + rpu for p in packets[:10]]
    ref_data, offsets, sizes = _join(ref)
    assert matcher.check_reference(ref_data, np.asarray(offsets), np.asarray(sizes)) == 10
    assert matcher.match(data, 0, len(data)).size == len(packets[0]) + len(rpu)
    assert matcher.clone().match(data, 0, len(data)).size == len(packets[0]) + len(rpu)
    # but never before the picture, and never as the start of an access unit
    assert matcher.match(rpu + packets[1], 0, len(rpu) + len(packets[1])) is None
    # a Dolby Vision configuration box says so without looking at samples
    track = _track(stream.hvcc, fourcc="dvh1")
    track.config["dvvC"] = bytes(24)
    assert HevcMatcher(track).match(data, 0, len(data)).size == len(packets[0]) + len(rpu)


def test_other_layers_ride_along_only_in_layered_streams(media):
    stream = _get(media, "x265_default")
    packets = _packets(stream)
    nals = _nal_units(packets[1])
    slice_nal = packets[1][nals[0][0] + 6:nals[0][0] + nals[0][1]]
    layer1 = _nal(1, slice_nal, layer=1)
    data = packets[1] + layer1 + packets[2]
    plain = HevcMatcher(_track(stream.hvcc))
    assert plain.match(data, 0, len(data)).size == len(packets[1])
    track = _track(stream.hvcc)
    track.config["lhvC"] = b"\x01"  # an L-HEVC configuration beside hvcC: a second layer exists
    layered = HevcMatcher(track)
    assert layered.match(data, 0, len(data)).size == len(packets[1]) + len(layer1)
    # a picture of another layer never opens an access unit, and a layer-2 unit is foreign here
    assert layered.match(layer1 + packets[2], 0, len(layer1) + len(packets[2])) is None
    layer2 = _nal(1, slice_nal, layer=2)
    data = packets[1] + layer2
    assert layered.match(data, 0, len(data)).size == len(packets[1])


def test_layered_picture_after_a_base_layer_sei_stays_in_the_access_unit(media):
    stream = _get(media, "x265_default")
    packets = _packets(stream)
    nals = _nal_units(packets[1])
    slice_nal = packets[1][nals[0][0] + 6:nals[0][0] + nals[0][1]]
    track = _track(stream.hvcc)
    track.config["lhvC"] = b"\x01"
    matcher = HevcMatcher(track)
    au = packets[1] + PREFIX_SEI + _nal(1, slice_nal, layer=1)
    data = au + packets[2]
    assert matcher.match(data, 0, len(data)).size == len(au)


def test_trailing_zero_bytes_inside_nal_units_are_tolerated(media):
    """Some converters leave Annex B trailing_zero_8bits inside the NAL unit: slices and SEI still check out."""
    stream = _get(media, "kvazaar")
    out = bytearray()
    first = stream.data[:stream.sizes[0]]
    for off, total, _ in _nal_units(first):
        body = first[off + 4:off + total] + b"\x00\x00"
        out += len(body).to_bytes(4, "big") + body
    data = bytes(out) + stream.data[stream.sizes[0]:]
    matcher = HevcMatcher(_track(_strip_arrays(stream.hvcc)))
    matcher._known_sei.clear()
    assert matcher.match(data, 0, len(data)) is None  # no parameter sets at all
    matcher = HevcMatcher(_track(stream.hvcc))
    matcher._known_sei.clear()
    assert matcher.match(data, 0, len(data)).size == len(out)


def test_fast_exp_golomb_matches_the_shared_reader():
    from mp4fix.bitreader import BitReader
    from mp4fix.errors import BitstreamError

    rng = random.Random(5)
    for _ in range(5000):
        data = bytes(rng.choice([0, 0, 1, 2, 0x80, 0xFF, rng.randrange(256)]) for _ in range(rng.randrange(9)))
        a, b = BitReader(data), BitReader(data)
        a.pos = b.pos = rng.randrange(8 * len(data) + 1)
        try:
            want = a.ue()
        except BitstreamError:
            want = "error"
        try:
            got = hevc_mod._ue(b)
        except BitstreamError:
            got = "error"
        assert got == want and (want == "error" or a.pos == b.pos), (data, a.pos)


@pytest.mark.parametrize("name", ["x265_closed_gop", "x265_default", "x265_pyramid", "kvazaar"])
def test_frames_lost_inside_a_period_leave_a_gap(media, name):
    """Frames lost in mid stream (damage) must not pull later frames earlier: the kept ones keep their
    presentation position, whatever period they are in, as long as each period's last-shown frame is kept."""
    stream = _get(media, name)
    matcher = HevcMatcher(_track(stream.hvcc))
    matches = _walk(matcher, stream.data, stream.offsets, stream.sizes)
    expected = stream.positions
    pocs, periods = hevc_mod.picture_order_counts([m.info for m in matches])
    last_shown = {}
    for i, k in enumerate(periods):
        if k not in last_shown or expected[i] > expected[last_shown[k]]:
            last_shown[k] = i
    rng = random.Random(11)
    keep = [i for i, m in enumerate(matches)
            if m.info.irap or i in last_shown.values() or rng.random() > 0.15]
    assert len(keep) < len(matches)
    got = hevc_presentation_positions([matches[i].info for i in keep])
    assert np.array_equal(got, expected[keep])


def test_odd_vps_in_hvcc_is_tolerated_but_a_broken_sps_is_not(media):
    stream = _get(media, "x265_repeat_headers")
    hvcc = bytearray(stream.hvcc)
    pos = 23
    for _ in range(hvcc[22]):
        nal_type, count = hvcc[pos] & 0x3F, int.from_bytes(hvcc[pos + 1:pos + 3], "big")
        pos += 3
        for _ in range(count):
            size = int.from_bytes(hvcc[pos:pos + 2], "big")
            if nal_type == hevc_mod.VPS_NUT:
                vps_at = pos + 2
            if nal_type == hevc_mod.SPS_NUT:
                sps_at, sps_size = pos + 2, size
            pos += 2 + size
    odd = bytearray(hvcc)
    odd[vps_at + 2 + 2] ^= 0xFF  # inside vps_reserved_0xffff_16bits
    matcher = HevcMatcher(_track(bytes(odd)))
    assert matcher.match(stream.data, stream.offsets[1], len(stream.data)).size == stream.sizes[1]
    broken = bytearray(hvcc)
    broken[sps_at + 3:sps_at + sps_size] = b"\xff" * (sps_size - 3)
    with pytest.raises(MismatchError):
        HevcMatcher(_track(bytes(broken)))


@pytest.mark.parametrize("name", ["x265_default", "kvazaar", "x265_closed_gop"])
def test_stream_starting_at_a_later_random_access_point(media, name):
    """A recovery that starts at a CRA (its RASL pictures kept) or an IDR: positions from there on."""
    stream = _get(media, name)
    matcher = HevcMatcher(_track(stream.hvcc))
    matches = _walk(matcher, stream.data, stream.offsets, stream.sizes)
    expected = stream.positions
    starts = [i for i, m in enumerate(matches) if m.info.irap and i > 0]
    assert starts
    for k in starts:
        got = hevc_presentation_positions([m.info for m in matches[k:]])
        want = expected[k:] - expected[k:].min()
        assert np.array_equal(got, want), k


def test_huge_lengths_are_rejected_quickly(media):
    """Bytes claiming a NAL unit of many megabytes (possible in a big file) are dismissed without reading it."""
    stream = _get(media, "x265_default")
    packets = _packets(stream)
    big = 64 << 20
    body = bytearray(packets[1][4:])  # a real slice NAL unit's first bytes, then zeros
    data = bytearray(big + 4 + 64)
    data[0:4] = big.to_bytes(4, "big")
    data[4:4 + min(len(body), 60)] = body[:60]
    sps_like = bytearray(data)
    sps_like[4:6] = b"\x42\x01"
    sei_like = bytearray(data)
    sei_like[4:6] = b"\x4e\x01"
    matcher = HevcMatcher(_track(stream.hvcc))
    blobs = [bytes(b) for b in (data, sps_like, sei_like)]
    t0 = time.perf_counter()
    for blob in blobs:
        matcher.match(blob, 0, len(blob))
    assert time.perf_counter() - t0 < 3.0  # parsing 64 MiB as a header would take far longer
