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
