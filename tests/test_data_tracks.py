"""Timed metadata and data tracks: structure learned from the reference, exact offsets and sizes, and a track
that cannot be measured is skipped without stopping the others."""

from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest

import make_fixtures
import oracle
from mp4fix import codecs
from mp4fix.codecs.data import StructuredDataMatcher, learn_data_matcher
from mp4fix.errors import UnsupportedCodecError
from mp4fix.fftools import ffmpeg_exe
from mp4fix.profile import Profile, TrackProfile
from mp4fix.reference import learn_profile
from mp4fix.repair import repair
from mp4fix.scan import Scanner


def klv(key: bytes, type_: bytes, size: int, values: bytes) -> bytes:
    repeat = len(values) // size
    pad = (-len(values)) % 4
    return key + type_ + bytes([size]) + struct.pack(">H", repeat) + values + bytes(pad)


def gpmd_sample(seed: int) -> bytes:
    """A GoPro-style telemetry sample: DEVC holding DVID, STRM(ACCL ...), with seed-dependent content."""
    rng = np.random.default_rng(seed)
    accl = klv(b"ACCL", b"s", 6, rng.integers(0, 255, 6 * int(rng.integers(10, 30)), dtype=np.uint8).tobytes())
    strm = klv(b"STRM", b"\0", 1, klv(b"SIUN", b"c", 4, b"m/s2") + accl)
    body = klv(b"DVID", b"L", 4, b"\0\0\0\1") + strm
    return klv(b"DEVC", b"\0", 1, body)


def mebx_sample(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    one = struct.pack(">I", 12) + b"\0\0\0\1" + struct.pack(">f", float(rng.random()))
    two = struct.pack(">I", 16) + b"\0\0\0\2" + rng.integers(0, 255, 8, dtype=np.uint8).tobytes()
    return one + two


def data_track(fourcc: str, handler: str, samples: list[bytes], index: int) -> tuple[TrackProfile, bytes]:
    buf = b"".join(samples)
    sizes = np.array([len(s) for s in samples], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    t = TrackProfile(index=index, track_id=index + 1, handler=handler, fourcc=fourcc, timescale=1000,
                     sample_entry=b"", config={}, trak=b"", sizes=sizes, durations=np.full(len(sizes), 1001),
                     ctts=None, keyframes=None, offsets=offsets, chunk_sizes=np.ones(len(sizes), np.int64))
    return t, buf


@pytest.mark.parametrize("fourcc,handler,make,kind", [("gpmd", "meta", gpmd_sample, "klv"),
                                                      ("mebx", "meta", mebx_sample, "boxes")])
def test_metadata_track_found_between_video_samples(fourcc, handler, make, kind, fixture_path):
    """A camera's telemetry sample after every few video samples: the scan measures both tracks exactly."""
    ref_video = learn_profile(fixture_path("avc_nobf_aac44m_ref")).tracks[0]
    original = fixture_path("avc_nobf_aac44m")
    movie = oracle.read_movie(original)
    video = movie.track("vide")
    frames = list(oracle.sample_bytes(original, video, range(60)))
    meta, ref_buf = data_track(fourcc, handler, [make(i) for i in range(20)], 1)
    matcher = learn_data_matcher(meta, ref_buf)
    assert isinstance(matcher, StructuredDataMatcher) and matcher.kind == kind

    stream, want = b"", {0: [], 1: []}
    for i, frame in enumerate(frames):
        want[0].append((len(stream), len(frame)))
        stream += frame
        if i % 5 == 4:
            sample = make(1000 + i)  # other content than the reference's, same structure
            want[1].append((len(stream), len(sample)))
            stream += sample
    profile = Profile(path="", ftyp=b"", mvhd=b"", movie_timescale=1000, tracks=[ref_video, meta],
                      layout=[(0, 5), (1, 1)] * 4)
    ref_file = fixture_path("avc_nobf_aac44m_ref").read_bytes()
    avc = codecs.matcher_class("avc1")(ref_video)
    avc.check_reference(ref_file, ref_video.offsets[:50], ref_video.sizes[:50])
    arr = np.frombuffer(stream, dtype=np.uint8)
    result = Scanner(stream, arr, profile, [avc.clone(), matcher.clone()]).run(0, len(stream))
    for ti in (0, 1):
        got = list(zip(result.tracks[ti].offsets, result.tracks[ti].sizes))
        assert got == want[ti]
    assert result.bytes_skipped == 0 and result.tail == 0


def test_unmeasurable_data_track_is_refused_by_name():
    rng = np.random.default_rng(1)
    samples = [rng.integers(0, 255, int(n), dtype=np.uint8).tobytes() for n in rng.integers(20, 90, 30)]
    track, buf = data_track("djmd", "meta", samples, 0)
    with pytest.raises(UnsupportedCodecError, match="'djmd'"):
        learn_data_matcher(track, buf)


def test_fixed_size_data_track_learned():
    track, buf = data_track("rtmd", "meta", [bytes([i]) * 48 for i in range(10)], 0)
    m = learn_data_matcher(track, buf)
    # one sample per chunk in the reference: exactly one 48-byte sample is proposed, never a run
    assert not m.self_delimiting and m.stride == 0
    assert [o.size for o in m.match_options(buf, 0, len(buf))] == [48]
    track.chunk_sizes = np.array([4, 4, 2])  # runs of four in the reference: runs are proposed
    m = learn_data_matcher(track, buf)
    assert m.stride == 48 and [o.size for o in m.match_options(buf, 0, len(buf))] == [192]


@pytest.fixture(scope="session")
def subtitled(tmp_path_factory):
    """H.264 + AAC + a mov_text (tx3g) subtitle track, and a reference with the same settings."""
    folder = tmp_path_factory.mktemp("subs")
    srt = folder / "s.srt"
    cues = []
    for i in range(40):
        a, b = i * 0.5, i * 0.5 + 0.4
        cues.append(f"{i + 1}\n00:00:{int(a):02d},{int(a * 1000) % 1000:03d} --> "
                    f"00:00:{int(b):02d},{int(round(b * 1000)) % 1000:03d}\nLine {i} héllo\n")
    srt.write_text("\n".join(cues), encoding="utf-8")
    out = {}
    for name, src, seconds in (("sub", "testsrc2", 18), ("sub_ref", "mandelbrot", 8)):
        path = folder / f"{name}.mp4"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"{src}=size=256x144:rate=25",
                        "-f", "lavfi", "-i", "sine=sample_rate=48000", "-i", str(srt), "-map", "0", "-map", "1",
                        "-map", "2", "-t", str(seconds), "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset",
                        "veryfast", "-threads", "1", "-c:a", "aac", "-c:s", "mov_text", str(path)], check=True)
        out[name] = path
    return out


def test_subtitle_track_comes_back_with_exact_offsets(subtitled, tmp_path):
    original, reference = subtitled["sub"], subtitled["sub_ref"]
    cut = make_fixtures.cut_points(original)["mdat60"]
    broken = make_fixtures.cut(original, tmp_path / "sub.mp4", cut)
    report = repair(broken, reference)
    assert [t.kind for t in report.tracks] == ["video", "audio", "subtitle"]
    assert report.verify.ok
    oracle.assert_same_samples(original, report.output, cut, offset_shift=0, handlers=("vide", "soun"))
    o = oracle.read_movie(original).tracks[2]
    r = oracle.read_movie(report.output).tracks[2]
    n = oracle.samples_before(o, cut)
    assert n > 10 and r.offsets == o.offsets[:n] and r.sizes == o.sizes[:n]
    sub = report.tracks[2]
    assert "approximate" in sub.note  # a subtitle's display time is not in its bytes: said, not hidden


# --- structures of real devices' metadata: each failed before it was learned ----------------------------


def _scan(fixture_path, metas: list[tuple[TrackProfile, bytes]], make_samples, every: int = 5):
    """Video frames of a fixture with each metadata track's next sample after every ``every``-th frame (or
    where ``make_samples`` says); returns (scan result, {track index: [(offset, size)]} expected)."""
    ref_video = learn_profile(fixture_path("avc_nobf_aac44m_ref")).tracks[0]
    original = fixture_path("avc_nobf_aac44m")
    video = oracle.read_movie(original).track("vide")
    frames = list(oracle.sample_bytes(original, video, range(40)))
    matchers = []
    for meta, ref_buf in metas:
        matchers.append(learn_data_matcher(meta, ref_buf))
    stream, want = b"", {i: [] for i in range(len(metas) + 1)}
    for i, frame in enumerate(frames):
        want[0].append((len(stream), len(frame)))
        stream += frame
        for ti, sample in make_samples(i):
            want[ti].append((len(stream), len(sample)))
            stream += sample
    tracks = [ref_video] + [m for m, _ in metas]
    profile = Profile(path="", ftyp=b"", mvhd=b"", movie_timescale=1000, tracks=tracks, layout=[])
    ref_file = fixture_path("avc_nobf_aac44m_ref").read_bytes()
    avc = codecs.matcher_class("avc1")(ref_video)
    avc.check_reference(ref_file, ref_video.offsets[:50], ref_video.sizes[:50])
    arr = np.frombuffer(stream, dtype=np.uint8)
    result = Scanner(stream, arr, profile, [avc.clone()] + [m.clone() for m in matchers]).run(0, len(stream))
    return result, want, matchers


def _box(key: int, payload: bytes) -> bytes:
    return struct.pack(">II", 8 + len(payload), key) + payload


def test_mebx_samples_of_one_box_each_are_not_merged(fixture_path):
    # Apple's timed metadata: an empty 8-byte box of key 0, then 100-byte boxes of key 1, back to back in a
    # chunk; a second mebx track whose one sample is a 10-byte box of key 1 (its own key namespace)
    faces = lambda i: _box(1, bytes([i % 251]) * 92)  # noqa: E731
    first, ref_a = data_track("mebx", "meta", [_box(0, b"")] + [faces(i) for i in range(30)], 1)
    still, ref_b = data_track("mebx", "meta", [_box(1, b"\0\6")], 2)

    def samples(i):
        out = []
        if i == 3:
            out.append((1, _box(0, b"")))
        if i % 10 == 9:
            out.extend((1, faces(100 + i + k)) for k in range(3))
        if i == 12:
            out.append((2, _box(1, b"\0\7")))
        return out

    result, want, matchers = _scan(fixture_path, [(first, ref_a), (still, ref_b)], samples)
    assert matchers[0].sequences == {(b"\0\0\0\0",), (b"\0\0\0\1",)}
    for ti in (0, 1, 2):
        assert list(zip(result.tracks[ti].offsets, result.tracks[ti].sizes)) == want[ti], ti
    assert result.bytes_skipped == 0


def test_records_tagged_by_type_with_their_own_length(fixture_path):
    # GoPro's 'fdsc': "GP" + a type byte; a header record holds its length (16 bits, little-endian) and is
    # longer in another camera model; 16-byte records of other types between every sample
    def header(n):
        return b"GPRO" + n.to_bytes(2, "little") + bytes(n - 6)

    def record(kind, i):
        return b"GP" + bytes([kind]) + bytes(5) + i.to_bytes(4, "big") + bytes(4)

    ref = [header(576), b"GP\x03\x01" + bytes(148)] + [record(4 if i % 3 else 0, i) for i in range(40)]
    track, buf = data_track("fdsc", "meta", ref, 1)

    def samples(i):
        out = [(1, header(620))] if i == 0 else []
        return out + [(1, record(4 if i % 3 else 0, 1000 + i))]

    result, want, matchers = _scan(fixture_path, [(track, buf)], samples)
    assert matchers[0].rules[b"GPR"] == ("field", 4, 2, "little")
    assert list(zip(result.tracks[1].offsets, result.tracks[1].sizes)) == want[1]
    assert list(zip(result.tracks[0].offsets, result.tracks[0].sizes)) == want[0]


def test_records_delimited_by_their_signature(fixture_path):
    # Android's 'mett': every record begins with the same bytes, their length is nowhere: a record ends where
    # the next record, or another track's sample, begins
    sig = bytes.fromhex("01363510011801200128023801480152")
    rng = np.random.default_rng(5)
    make = lambda: sig + rng.integers(1, 255, int(rng.integers(100, 130)), dtype=np.uint8).tobytes()  # noqa: E731
    track, buf = data_track("mett", "meta", [make() for _ in range(12)], 1)

    def samples(i):
        return [(1, make()) for _ in range(3)] if i % 8 == 0 else []

    result, want, matchers = _scan(fixture_path, [(track, buf)], samples)
    assert matchers[0].signature == sig and matchers[0].open_ended
    assert list(zip(result.tracks[1].offsets, result.tracks[1].sizes)) == want[1]
    assert list(zip(result.tracks[0].offsets, result.tracks[0].sizes)) == want[0]


def test_a_track_with_one_sample_takes_one_sample(fixture_path):
    # a QuickTime timecode track holds one 4-byte sample for the whole recording: it used to take thousands of
    # 4-byte pieces of other tracks' data (a GoPro file claimed to last 56 hours)
    tc, _ = data_track("tmcd", "tmcd", [b"\0\x12\x7a\x98"], 2)
    tc.handler = "tmcd"
    tagged = [b"GP\x04" + bytes(5) + i.to_bytes(4, "big") + bytes(4) for i in range(30)]
    track, buf = data_track("fdsc", "meta", tagged, 1)
    timecode = codecs.matcher_class("tmcd")(tc)

    ref_video = learn_profile(fixture_path("avc_nobf_aac44m_ref")).tracks[0]
    original = fixture_path("avc_nobf_aac44m")
    video = oracle.read_movie(original).track("vide")
    stream, want_tc = b"", []
    for i, frame in enumerate(oracle.sample_bytes(original, video, range(30))):
        stream += frame + tagged[i]
        if i == 0:
            want_tc.append((len(stream), 4))
            stream += b"\0\x12\x7a\x98" + tagged[1]
    profile = Profile(path="", ftyp=b"", mvhd=b"", movie_timescale=1000, tracks=[ref_video, track, tc], layout=[])
    ref_file = fixture_path("avc_nobf_aac44m_ref").read_bytes()
    avc = codecs.matcher_class("avc1")(ref_video)
    avc.check_reference(ref_file, ref_video.offsets[:50], ref_video.sizes[:50])
    arr = np.frombuffer(stream, dtype=np.uint8)
    result = Scanner(stream, arr, profile, [avc.clone(), learn_data_matcher(track, buf), timecode]).run(0, len(stream))
    assert list(zip(result.tracks[2].offsets, result.tracks[2].sizes)) == want_tc
    assert len(result.tracks[0].sizes) == 30 and len(result.tracks[1].sizes) == 31
