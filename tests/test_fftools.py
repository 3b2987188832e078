"""mp4fix.fftools against the real ffmpeg binary and small generated media."""

from __future__ import annotations

import os
import random
import shutil
import stat
import struct
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

import oracle
from mp4fix import fftools
from mp4fix.errors import CancelledError, FFmpegError
from mp4fix.progress import CancelToken


@pytest.fixture(scope="module")
def tiny(fixture_path) -> Path:
    return fixture_path("tiny")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _corrupt(src: Path, dst: Path, n: int = 300, seed: int = 7) -> Path:
    data = bytearray(src.read_bytes())
    start, end = oracle.mdat_span(src)
    rnd = random.Random(seed)
    for _ in range(n):
        p = rnd.randrange(start + 64, end - 16)
        data[p:p + 8] = bytes(rnd.randrange(256) for _ in range(8))
    dst.write_bytes(bytes(data))
    return dst


# --- ffmpeg_exe ------------------------------------------------------------------------------------


def _fake_exe(folder: Path, name: str = "ffmpeg") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / (name + (".exe" if os.name == "nt" else ""))
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return exe


def test_ffmpeg_exe_default_is_runnable(monkeypatch):
    monkeypatch.delenv("MP4FIX_FFMPEG", raising=False)
    exe = fftools.ffmpeg_exe()
    assert os.path.isfile(exe)
    assert fftools.ffmpeg_version(exe).startswith("ffmpeg version")


def test_ffmpeg_exe_env_override(monkeypatch, tmp_path):
    fake = _fake_exe(tmp_path / "custom")
    monkeypatch.setenv("MP4FIX_FFMPEG", str(fake))
    assert fftools.ffmpeg_exe() == str(fake)
    monkeypatch.setenv("MP4FIX_FFMPEG", str(tmp_path / "nowhere" / "ffmpeg"))
    with pytest.raises(FFmpegError) as e:
        fftools.ffmpeg_exe()
    assert "MP4FIX_FFMPEG" in str(e.value)


@pytest.mark.skipif(os.name == "nt", reason="PATH shim is a shell script")
def test_ffmpeg_exe_prefer_system(monkeypatch, tmp_path):
    monkeypatch.delenv("MP4FIX_FFMPEG", raising=False)
    monkeypatch.delenv("MP4FIX_PREFER_SYSTEM_FFMPEG", raising=False)
    system = _fake_exe(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    wheel = fftools._imageio_exe()
    assert wheel is not None
    assert fftools.ffmpeg_exe() == wheel  # the wheel's binary wins by default
    assert fftools.ffmpeg_exe(prefer_system=True) == str(system)
    monkeypatch.setenv("MP4FIX_PREFER_SYSTEM_FFMPEG", "1")
    assert fftools.ffmpeg_exe() == str(system)
    assert fftools.ffmpeg_exe(prefer_system=False) == wheel
    # no wheel binary: the system one is the fallback; neither: one readable sentence
    monkeypatch.delenv("MP4FIX_PREFER_SYSTEM_FFMPEG")
    monkeypatch.setattr(fftools, "_imageio_exe", lambda: None)
    assert fftools.ffmpeg_exe() == str(system)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FFmpegError) as e:
        fftools.ffmpeg_exe()
    assert "ffmpeg was not found" in str(e.value)


def test_ffmpeg_exe_inside_a_bundle(monkeypatch, tmp_path):
    monkeypatch.delenv("MP4FIX_FFMPEG", raising=False)
    bundled = _fake_exe(tmp_path / "bundle")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    assert fftools.ffmpeg_exe() == str(bundled)


# --- run ---------------------------------------------------------------------------------------------


def test_run_failure_is_one_sentence():
    with pytest.raises(FFmpegError) as e:
        fftools.run(["-i", "file:/definitely/not/here.mp4", "-f", "null", "-"], what="opening here.mp4")
    msg = str(e.value)
    assert msg.startswith("ffmpeg failed while opening here.mp4")
    assert "No such file or directory" in msg
    assert "\n" not in msg and "Traceback" not in msg
    assert e.value.detail  # the log, for "details"


def test_run_missing_binary(tmp_path):
    with pytest.raises(FFmpegError) as e:
        fftools.run(["-version"], exe=str(tmp_path / "no-ffmpeg"))
    assert "could not be started" in str(e.value)


def test_run_timeout_kills():
    t0 = time.monotonic()
    with pytest.raises(FFmpegError) as e:
        fftools.run(["-f", "lavfi", "-i", "testsrc2=size=64x64", "-f", "null", "-"], timeout=0.5, what="testing")
    assert time.monotonic() - t0 < 3
    assert "longer than 0.5 s" in str(e.value)


def test_run_cancel_kills_promptly():
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    t0 = time.monotonic()
    with pytest.raises(CancelledError):
        fftools.run(["-f", "lavfi", "-i", "testsrc2=size=64x64", "-f", "null", "-"], cancel=token, what="testing")
    assert time.monotonic() - t0 < 1.5


# --- probe -------------------------------------------------------------------------------------------


def test_probe_good_file(tiny):
    info = fftools.probe(tiny)
    assert info.ok and info.error is None and not info.moov_missing
    assert "mp4" in info.format
    assert info.duration == pytest.approx(3.0, abs=0.1)
    assert info.bitrate and info.bitrate > 0
    v, a = info.streams
    assert (v.index, v.kind, v.codec, v.codec_tag, v.profile, v.id) == (0, "video", "h264", "avc1", "High", 1)
    assert (v.width, v.height, v.fps, v.pix_fmt) == (160, 120, 25.0, "yuv420p")
    assert (a.index, a.kind, a.codec, a.codec_tag, a.profile, a.id) == (1, "audio", "aac", "mp4a", "LC", 2)
    assert (a.sample_rate, a.channels, a.channel_layout) == (48000, 2, "stereo")
    assert v.metadata.get("handler_name") == "VideoHandler"
    assert info.metadata.get("major_brand") == "isom"
    assert info.video == [v] and info.audio == [a]


def test_probe_mov_hevc_mono(fixture_path):
    info = fftools.probe(fixture_path("hevc_nobf_aac44m_mov_ref"))
    assert info.ok
    assert info.metadata.get("major_brand") == "qt"
    v, a = info.streams
    assert (v.codec, v.codec_tag, v.profile, v.width, v.height, v.fps) == ("hevc", "hvc1", "Main", 256, 144, 25.0)
    assert (a.codec, a.sample_rate, a.channels, a.channel_layout) == ("aac", 44100, 1, "mono")


def test_probe_truncated_file_reports_missing_moov(fixture_path, tmp_path):
    import make_fixtures

    src = fixture_path("tiny")
    cut = make_fixtures.cut(src, tmp_path / "cut.mp4", make_fixtures.cut_points(src)["mdat60"])
    info = fftools.probe(cut)
    assert not info.ok
    assert info.moov_missing
    assert info.error == "moov atom not found"
    assert info.streams == []


@pytest.mark.parametrize("content", [b"hello, this is not a video\n", b"", bytes(range(256)) * 64,
                                     b"\x00\x00\x00\x18ftypisom" + b"\xff" * 100])
def test_probe_non_media(tmp_path, content):
    p = tmp_path / "weird.mp4"
    p.write_bytes(content)
    info = fftools.probe(p)
    assert not info.ok
    assert info.error and "\n" not in info.error


def test_probe_missing_and_directory(tmp_path):
    assert "No such file" in fftools.probe(tmp_path / "missing.mp4").error
    assert fftools.probe(tmp_path).error  # a directory


def test_probe_odd_names(tiny, tmp_path):
    for name in ("-starts-with-dash.mp4", "with:colon.mp4", "spaces and ünïcode.mp4", "pipe|name.mp4"):
        p = tmp_path / name
        shutil.copyfile(tiny, p)
        assert fftools.probe(p).ok, name


def test_parse_probe_output_never_raises():
    rnd = random.Random(3)
    samples = [
        "", "\n\n", "Input #0, mov, from 'x':\n  Stream #0:0: Video: \n  Stream #0:1: Audio: aac, Hz, ,,,",
        "Input #0, mov,mp4, from 'x':\n  Duration: N/A, bitrate: N/A\n  Stream #0:0[0xzz](eng): Video: h264 ((((",
        "Input #0, mov,mp4, from 'x':\n  Duration: 99:99:99.99, start: abc\n",
        "  Stream #0:0: Video: h264, 320x240\n",  # a stream line without an Input header
    ]
    alphabet = "Input #0:Stream Video Audio Data Duration (),[]0x1 kb/s Hz fps\n: mono stereo 320x240 "
    samples += ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(400))) for _ in range(300)]
    for s in samples:
        info = fftools.parse_probe_output(s)
        assert isinstance(info, fftools.MediaInfo)


def test_parse_probe_output_stream_groups_and_layouts():
    text = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mov':
  Metadata:
    major_brand     : qt
  Duration: 00:01:02.50, start: 0.000000, bitrate: 1234 kb/s
  Stream group #0:0[0x3]: Track Reference:
    Stream #0:0[0x1]: Video: hevc (Main 10) (hvc1 / 0x31637668), yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67), 3840x2160, 50000 kb/s, 59.94 fps, 59.94 tbr, 600 tbn (default)
      Metadata:
        handler_name    : Core Media Video
    Stream #0:2[0x3](und): Data: none (tmcd / 0x64636D74), 0 kb/s
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp, 384 kb/s (default)
      Metadata:
        handler_name    : Core Media Audio
  Stream #0:3[0x4]: Audio: pcm_s16le (sowt / 0x74776F73), 44100 Hz, 3 channels, s16, 2116 kb/s
"""
    info = fftools.parse_probe_output(text)
    assert info.duration == pytest.approx(62.5) and info.bitrate == 1234000
    assert [s.index for s in info.streams] == [0, 1, 2, 3]
    v, a, d, pcm = info.streams
    assert (v.profile, v.width, v.height, v.fps, v.pix_fmt) == ("Main 10", 3840, 2160, 59.94, "yuv420p10le")
    assert v.metadata == {"handler_name": "Core Media Video"}
    assert (a.channels, a.channel_layout, a.sample_fmt) == (6, "5.1(side)", "fltp")
    assert a.metadata == {"handler_name": "Core Media Audio"}
    assert (d.kind, d.codec_tag, d.id) == ("data", "tmcd", 3)
    assert (pcm.channels, pcm.codec_tag, pcm.profile) == (3, "sowt", "")


# --- thumbnail ---------------------------------------------------------------------------------------


def test_thumbnail_png(tiny):
    first = fftools.thumbnail(tiny, "first")
    assert _png_size(first) == (320, 240)
    small = fftools.thumbnail(tiny, 1.5, width=80)
    assert _png_size(small) == (80, 60)
    last = fftools.thumbnail(tiny, "last", width=160)
    assert _png_size(last) == (160, 120)
    assert last != fftools.thumbnail(tiny, "first", width=160)


def test_thumbnail_errors(tiny, tmp_path):
    with pytest.raises(FFmpegError):
        fftools.thumbnail(tiny, 60.0)  # past the end
    with pytest.raises(FFmpegError):
        fftools.thumbnail(tiny, "middle")
    audio = tmp_path / "audio.m4a"
    fftools.run(["-f", "lavfi", "-i", "sine=r=48000", "-t", "1", "-c:a", "aac", "-y", str(audio)])
    with pytest.raises(FFmpegError) as e:
        fftools.thumbnail(audio)
    assert "no video" in str(e.value)


# --- the tests' ffmpeg oracles (tests/oracle.py): framemd5 / packets ---------------------------------


def test_framemd5_shape(tiny):
    lines = oracle.framemd5(tiny)
    video = [ln for ln in lines if ln.startswith("0,")]
    audio = [ln for ln in lines if ln.startswith("1,")]
    assert len(video) == 75  # 3 s at 25 fps
    assert len(audio) > 100
    cols = [c.strip() for c in video[0].split(",")]
    assert len(cols) == 6 and len(cols[5]) == 32 and int(cols[4]) == 160 * 120 * 3 // 2
    assert oracle.framemd5(tiny, "v") == video
    assert oracle.framemd5(tiny) == lines  # deterministic
    assert any(ln.startswith("#tb") for ln in oracle.framemd5(tiny, "v", header=True))


def test_packets_shape(tiny):
    movie = oracle.read_movie(tiny)
    pk = oracle.packets(tiny)
    v = [p for p in pk if p.stream == 0]
    a = [p for p in pk if p.stream == 1]
    assert len(v) == movie.tracks[0].count and len(a) == movie.tracks[1].count
    assert v[0].keyframe and not all(p.keyframe for p in v)
    assert all(p.keyframe for p in a)
    assert v[0].time_base == Fraction(1, movie.tracks[0].timescale)
    assert a[0].time_base == Fraction(1, 48000)
    assert a[0].discard  # the AAC priming packet the edit list hides
    assert [p.size for p in v] == movie.tracks[0].sizes
    raw = oracle.packets(tiny, ignore_editlist=True)
    rv = [p for p in raw if p.stream == 0]
    assert rv[0].dts == 0 and [p.pts for p in rv] == movie.tracks[0].pts
    assert not any(p.discard for p in raw)
    assert v[1].pts_time is not None and v[1].dts_time is not None


def test_parse_framecrc_flags():
    text = """#tb 0: 1/15360
#tb 1: 1/48000
0,      -1024,          0,      512,     4557, 0xc43d5fb0
0,       -512,       1536,      512,     1759, 0xa8006231, F=0x0
1,      -1024,      -1024,     1024,      451, 0x88e5ddaa, F=0x5, S=1, Skip Samples,       10, 0x00240004
1, -9223372036854775808, -9223372036854775808, 1024, 12, 0x00000001
garbage line
"""
    p = oracle.parse_framecrc(text)
    assert [x.keyframe for x in p] == [True, False, True, True]
    assert [x.discard for x in p] == [False, False, True, False]
    assert p[0].time_base == Fraction(1, 15360) and p[2].time_base == Fraction(1, 48000)
    assert p[2].crc == 0x88E5DDAA
    assert p[3].dts is None and p[3].pts is None and p[3].pts_time is None
