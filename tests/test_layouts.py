"""Other recorders' layouts and damage: several tracks of one codec, another muxer's chunks, audio- or
video-only files, padding between samples, 64-bit and never-fixed mdat headers."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

import make_fixtures
import oracle
from mp4fix.repair import repair
from test_repair import check_repair

needs_gst = pytest.mark.skipif(not make_fixtures.gst_available(),
                               reason="GStreamer (gst-launch-1.0) is not installed: tests/setup-system.sh installs it")


@pytest.mark.parametrize("cut_at", ["mdat30", "mid_sample", "mdat90"])
def test_three_aac_tracks_of_one_configuration(cut_at, fixture_path, broken_file):
    """OBS-style: the bytes of each AAC frame parse for every audio track; the muxer's time order decides."""
    original, reference = fixture_path("avc_3aac_obs"), fixture_path("avc_3aac_obs_ref")
    broken, cut = broken_file("avc_3aac_obs", cut_at)
    report = repair(broken, reference)
    assert [t.kind for t in report.tracks] == ["video", "audio", "audio", "audio"]
    check_repair(original, broken, cut, Path(report.output), report)


@pytest.mark.parametrize("cut_at", ["mdat30", "mid_sample"])
def test_two_video_tracks_and_timecodes(cut_at, fixture_path, broken_file):
    """Main and proxy H.264 tracks (one parameter-set id, so each parses the other's slices), AAC, and a
    timecode track per video whose single 4-byte sample must span what was recovered."""
    original, reference = fixture_path("avc2_tmcd_mov"), fixture_path("avc2_tmcd_mov_ref")
    broken, cut = broken_file("avc2_tmcd_mov", cut_at)
    report = repair(broken, reference)
    assert [t.kind for t in report.tracks] == ["video", "video", "audio", "timecode", "timecode"]
    check_repair(original, broken, cut, Path(report.output), report)
    orig, rep = oracle.read_movie(original), oracle.read_movie(report.output)
    video = rep.track("vide")
    for t, r in zip(orig.tracks[3:], rep.tracks[3:]):
        assert (r.handler, r.offsets, r.sizes) == ("tmcd", t.offsets, t.sizes)
        assert r.durations[0] / r.timescale == pytest.approx(sum(video.durations) / video.timescale, abs=0.01)


@pytest.mark.parametrize("cut_at", ["mdat30", "mdat90"])
def test_audio_only_voice_memo(cut_at, fixture_path, broken_file):
    original, reference = fixture_path("aac_voice_m4a"), fixture_path("aac_voice_m4a_ref")
    broken, cut = broken_file("aac_voice_m4a", cut_at)
    report = repair(broken, reference)
    assert Path(report.output).suffix == ".m4a"
    check_repair(original, broken, cut, Path(report.output), report)


def test_video_only(fixture_path, broken_file, tmp_copy):
    original = fixture_path("tiny_video_only")
    broken, cut = broken_file("tiny_video_only", "mdat60")
    report = repair(broken, tmp_copy(original, "reference.mp4"))  # a healthy recording of the same camera
    check_repair(original, broken, cut, Path(report.output), report)


@needs_gst
@pytest.mark.parametrize("name", ["gst_avc_bf_aac", "gst_avc_2aac_qt"])
@pytest.mark.parametrize("cut_at", ["mdat30", "mid_sample", "mdat90"])
def test_gstreamer_chunked_layout(name, cut_at, tmp_path):
    """qtmux/mp4mux write ~0.25 s chunks (runs of 8 video / 12 audio samples) and use another AAC encoder."""
    original = make_fixtures.gst_build(name)
    reference = make_fixtures.gst_build(name + "_ref")
    cut = make_fixtures.cut_points(original)[cut_at]
    broken = make_fixtures.cut(original, tmp_path / f"{name}{original.suffix}", cut)
    report = repair(broken, reference)
    check_repair(original, broken, cut, Path(report.output), report)


def _split(path: Path, cut: int) -> tuple[bytes, int, bytes]:
    data = path.read_bytes()[:cut]
    start, _ = oracle.mdat_span(path)
    return data[:start - 8], start, data


def test_padding_between_chunks_is_layout_not_loss(fixture_path, tmp_path):
    """A free box and a run of zeros between two chunks: skipped as padding, every sample still found."""
    original = fixture_path("avc_nobf_aac44m")
    movie = oracle.read_movie(original)
    cut = make_fixtures.cut_points(original)["mdat90"]
    video = movie.track("vide")
    at = video.offsets[len(video.offsets) // 2]  # a sample boundary in the middle
    data = original.read_bytes()[:cut]
    junk = struct.pack(">I", 64) + b"free" + bytes(56) + bytes(37)
    broken = tmp_path / "padded.mp4"
    broken.write_bytes(data[:at] + junk + data[at:])
    report = repair(broken, fixture_path("avc_nobf_aac44m_ref"))
    assert report.bytes_padding == len(junk) and report.bytes_skipped == 0 and report.complete
    # offsets move past the junk, so compare the samples' bytes and times instead of offsets
    counts = oracle.assert_same_samples(original, report.output, cut, offset_shift=None, compare_bytes=True)
    assert all(counts.values())
    assert report.bytes_used + report.bytes_padding + report.truncated_tail == report.mdat_bytes


def test_64_bit_mdat_header(fixture_path, tmp_path):
    original = fixture_path("avc_bf_aac48s")
    cut = make_fixtures.cut_points(original)["mdat60"]
    data = original.read_bytes()[:cut]
    start, _ = oracle.mdat_span(original)
    # ftyp, free(8), mdat(8)  ->  ftyp, mdat(16): the free box becomes room for the largesize
    head = data[:start - 16] + struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 0)
    broken = tmp_path / "large.mp4"
    broken.write_bytes(head + data[start:])
    report = repair(broken, fixture_path("avc_bf_aac48s_ref"))
    check_repair(original, broken, cut, Path(report.output), report)
    assert Path(report.output).read_bytes()[start - 16:start - 8] == struct.pack(">I", 1) + b"mdat"


def test_mdat_size_placeholder_never_fixed(fixture_path, tmp_path):
    """The recorder wrote a placeholder size (here: an empty mdat) and died before fixing it."""
    original = fixture_path("avc_nobf_aac44m")
    cut = make_fixtures.cut_points(original)["mdat60"]
    data = bytearray(original.read_bytes()[:cut])
    start, _ = oracle.mdat_span(original)
    data[start - 8:start - 4] = struct.pack(">I", 8)
    broken = tmp_path / "placeholder.mp4"
    broken.write_bytes(bytes(data))
    report = repair(broken, fixture_path("avc_nobf_aac44m_ref"))
    check_repair(original, broken, cut, Path(report.output), report)


def test_incomplete_index_written_early_is_replaced(fixture_path, tmp_path):
    """Some recorders write an index near the start and complete it at the end. Here the early index lists
    another recording's samples (an incomplete, wrong index): the file counts as broken, the repair indexes
    the real data, and the old index is turned into a 'free' box so no player reads it."""
    original = fixture_path("avc_nobf_aac44m")
    cut = make_fixtures.cut_points(original)["mdat60"]
    data = original.read_bytes()[:cut]
    ref = fixture_path("avc_nobf_aac44m_ref").read_bytes()
    moov_at = ref.rfind(b"moov") - 4
    old_index = ref[moov_at:moov_at + int.from_bytes(ref[moov_at:moov_at + 4], "big")]
    ftyp_end = int.from_bytes(data[:4], "big")
    broken = tmp_path / "early_index.mp4"
    broken.write_bytes(data[:ftyp_end] + old_index + data[ftyp_end:])
    report = repair(broken, fixture_path("avc_nobf_aac44m_ref"))
    oracle.assert_same_samples(original, report.output, cut, offset_shift=len(old_index))
    types = [b.type for b in oracle.top_level_boxes(report.output)]
    assert types.count("moov") == 1 and types[1] == "free" and types[-1] == "moov"
    assert report.verify.ok and report.complete


def _pcm_cut_points(path: Path) -> dict[str, int]:
    movie = oracle.read_movie(path)
    audio, video = movie.track("soun"), movie.track("vide")
    ends = {o + s for o, s in zip(audio.offsets, audio.sizes)}
    after_pcm = next(i for i, o in enumerate(video.offsets) if i > len(video.offsets) // 2 and o in ends)
    middle = audio.offsets[len(audio.offsets) // 2]
    return {"inside_pcm_chunk": middle + 1002,  # not on a frame boundary either
            "video_after_pcm": video.offsets[after_pcm] + video.sizes[after_pcm] // 2}


@pytest.mark.parametrize("cut_at", ["inside_pcm_chunk", "video_after_pcm"])
def test_pcm_up_to_the_cut(cut_at, fixture_path, tmp_path):
    """Camcorder .mov with PCM: every whole PCM frame before the cut comes back, also from the chunk the cut
    broke, and a PCM run ends where the video sample the cut broke begins (none of its bytes become audio)."""
    original = fixture_path("avc_pcm_mov")
    cut = _pcm_cut_points(original)[cut_at]
    broken = make_fixtures.cut(original, tmp_path / f"pcm_{cut_at}.mov", cut)
    report = repair(broken, fixture_path("avc_pcm_mov_ref"))
    counts = oracle.assert_same_samples(original, report.output, cut, offset_shift=0)
    assert all(counts.values())
    assert report.verify.ok and report.bytes_skipped == 0
    # video decodes to the original's frames (PCM is compared sample by sample above)
    orig = oracle.ff_framemd5(original, "v")
    got = oracle.ff_framemd5(report.output, "v")
    assert got and set(got) <= set(orig)
