"""Hostile and damaged files end in one sentence and exit code 2, never a traceback or a silently wrong file.

Each case is a real fixture with one field of its index changed (or boxes built from byte literals), run
through the real ``mp4fix`` command.
"""

from __future__ import annotations

import dataclasses
import struct

import numpy as np
import pytest

from mp4fix import boxes
from mp4fix.errors import BoxError, ReferenceError_
from mp4fix.reference import learn_profile
from test_cli import mp4fix, one_sentence_error


def _box(btype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + btype + payload


@pytest.fixture(scope="module")
def tiny(fixture_path):
    data = fixture_path("tiny").read_bytes()
    return data, data.rfind(b"moov") - 4


@pytest.fixture
def broken(tiny, tmp_path):
    data, moov = tiny
    path = tmp_path / "broken.mp4"
    path.write_bytes(data[:moov - 20000])
    return path


def _patched(tiny, tmp_path, btype: bytes, edit, name: str = "ref.mp4"):
    """The tiny fixture with ``edit(buffer, offset of the box's payload)`` applied to its first ``btype`` box."""
    data, moov = tiny
    b = bytearray(data)
    i = b.find(btype, moov) + 4
    edit(b, i)
    path = tmp_path / name
    path.write_bytes(bytes(b))
    return path


def _refused(broken, ref, *words):
    proc = mp4fix("repair", broken, "--ref", ref, "--no-verify")
    line = one_sentence_error(proc)
    assert proc.returncode == 2, proc.stderr
    assert line.count(ref.name) == 1 and all(w in line for w in words), line
    assert not broken.with_name("broken_fixed.mp4").exists()
    return line


def test_deeply_nested_boxes_in_reference_and_probe(tiny, tmp_path, broken):
    """10,000 nested boxes were a RecursionError (exit 3, 'internal error'), in repair and in probe."""
    data, moov = tiny
    n = 10000
    nest = b"".join(struct.pack(">I", 8 * (n - i)) + b"trak" for i in range(n))
    ref = tmp_path / "nested.mp4"
    ref.write_bytes(data[:moov] + _box(b"moov", data[moov + 8:] + nest))
    _refused(broken, ref, "nested more than")
    proc = mp4fix("probe", ref)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    # the same nesting in a broken file's leftover index
    bad = tmp_path / "nested_broken.mp4"
    bad.write_bytes(data[:moov - 20000] + _box(b"moov", nest))
    proc = mp4fix("probe", bad)
    assert proc.returncode == 0 and "internal error" not in proc.stderr, proc.stderr


def test_nesting_limit_is_a_box_error():
    n = 200
    blob = b"".join(struct.pack(">I", 8 * (n - i)) + b"moov" for i in range(n))
    with pytest.raises(BoxError, match="nested"):
        boxes.parse_tree(blob, next(boxes.walk(blob)))


def test_mdhd_timescale_zero(tiny, tmp_path, broken):
    ref = _patched(tiny, tmp_path, b"mdhd", lambda b, i: b.__setitem__(slice(i + 12, i + 16), bytes(4)))
    _refused(broken, ref, "timescale is 0")


def test_mvhd_timescale_zero(tiny, tmp_path, broken):
    ref = _patched(tiny, tmp_path, b"mvhd", lambda b, i: b.__setitem__(slice(i + 12, i + 16), bytes(4)))
    _refused(broken, ref, "timescale is 0")


def test_stz2_with_a_huge_count(tiny, tmp_path, broken):
    """An stz2 claiming 2^31 samples was a ValueError from numpy (exit 3)."""
    def edit(b, i):
        b[i - 4:i] = b"stz2"
        b[i + 4:i + 8] = b"\0\0\0\x10"  # reserved + field_size 16
        b[i + 8:i + 12] = b"\x7f\xff\xff\xff"
    _refused(broken, _patched(tiny, tmp_path, b"stsz", edit), "stz2")


def test_video_stts_delta_zero_is_refused(tiny, tmp_path, broken):
    """Issue 8 item 6: a video stts delta of 0 gave exit 0, 'complete', and the video squeezed into 23 ms."""
    def edit(b, i):
        b[i + 12:i + 16] = bytes(4)  # first row's sample_delta
    line = _refused(broken, _patched(tiny, tmp_path, b"stts", edit), "duration of 0", "video")
    assert "damaged" in line


def test_absurd_video_frame_duration_is_refused(tiny, tmp_path, broken):
    """A delta of 1 at a 12,800 timescale (12,800 frames a second) is no recording's timing."""
    def edit(b, i):
        rows = int.from_bytes(b[i + 4:i + 8], "big")
        for r in range(rows):
            b[i + 12 + 8 * r:i + 16 + 8 * r] = (1).to_bytes(4, "big")
    _refused(broken, _patched(tiny, tmp_path, b"stts", edit), "video", "each frame")


def test_absurd_audio_frame_duration_is_refused(tiny, tmp_path, broken):
    data, moov = tiny
    b = bytearray(data)
    i = b.find(b"stts", b.find(b"soun", moov)) + 4
    for r in range(int.from_bytes(b[i + 4:i + 8], "big")):
        b[i + 12 + 8 * r:i + 16 + 8 * r] = (1).to_bytes(4, "big")  # AAC frames of 1/48000 s
    ref = tmp_path / "ref.mp4"
    ref.write_bytes(bytes(b))
    _refused(broken, ref, "audio", "'mp4a'")


def test_elst_rate_round_trips_exactly():
    """A media rate whose fraction field has its top bit set was a FormatFieldError when the edit was built."""
    for integer, fraction in [(1, 0), (1, -1), (0, 0), (2, -32768), (1, 0x7FFF), (-1, 0)]:
        rate = boxes.elst_rate(integer, fraction)
        assert boxes.split_rate(rate) == (integer, fraction)
        node = boxes.build_elst([(100, 0, rate)])
        parsed = boxes.Elst.parse(node.payload).entries[0]
        assert (parsed.rate_integer, parsed.rate_fraction) == (integer, fraction)


def test_elst_rate_with_fraction_bits_repairs(tiny, tmp_path, broken):
    def edit(b, i):
        count = int.from_bytes(b[i + 4:i + 8], "big")
        assert count >= 1 and b[i] == 0
        b[i + 18:i + 20] = b"\xff\xff"  # media_rate_fraction of the first entry: rate 1.99998
    ref = _patched(tiny, tmp_path, b"elst", edit)
    proc = mp4fix("repair", broken, "--ref", ref, "--no-verify")
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr


def test_elst_absurd_media_time_is_refused(tiny, tmp_path, broken):
    def edit(b, i):
        b[i + 12:i + 16] = b"\x7f\xff\xff\x00"  # media_time far past the track's end
    _refused(broken, _patched(tiny, tmp_path, b"elst", edit), "edit")


def test_sense_checks_accept_every_fixture_reference(fixture_path):
    for name in ("tiny", "avc_pcm_mov_ref", "avc2_tmcd_mov_ref", "aac_voice_m4a_ref", "hevc_aac48s_ref"):
        profile = learn_profile(fixture_path(name))
        assert all(t.timescale > 0 for t in profile.tracks)


def test_reference_error_is_an_input_error():
    assert issubclass(ReferenceError_, ValueError) and ReferenceError_("x").exit_code == 2


# --- the output is never an input; each sentence names its file once --------------------------------------


@pytest.mark.parametrize("how", ["same path", "hard link"])
def test_output_may_never_be_the_reference(tiny, tmp_path, broken, how):
    """`-o good.mp4 --force` silently overwrote the reference."""
    data, _ = tiny
    ref = tmp_path / "good.mp4"
    ref.write_bytes(data)
    target = ref
    if how == "hard link":
        target = tmp_path / "alias.mp4"
        target.hardlink_to(ref)
    proc = mp4fix("repair", broken, "--ref", ref, "-o", target, "--force", "--no-verify")
    line = one_sentence_error(proc)
    assert proc.returncode == 2 and "reference" in line and line.count("good.mp4") == 1, line
    assert ref.read_bytes() == data


def test_output_may_never_be_the_broken_file_through_a_link(tmp_path, broken, fixture_path):
    alias = tmp_path / "alias.mp4"
    alias.hardlink_to(broken)
    before = broken.read_bytes()
    proc = mp4fix("repair", broken, "--ref", fixture_path("tiny"), "-o", alias, "--force", "--no-verify")
    assert proc.returncode == 2 and "broken file itself" in one_sentence_error(proc)
    assert broken.read_bytes() == before


def test_error_sentences_name_the_file_once(tmp_path, fixture_path):
    """"mp4fix: x.mp4: x.mp4 is not an MP4 or MOV file" printed the name twice."""
    bad = tmp_path / "notavideo.mp4"
    bad.write_bytes(b"hello, this is text and no video at all" * 10)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for path in (bad, empty):
        proc = mp4fix("repair", path, "--ref", fixture_path("tiny"))
        line = one_sentence_error(proc)
        assert proc.returncode == 2 and line.count(path.name) == 1, line


def test_real_timings_that_look_odd_are_not_refused(tiny, tmp_path):
    """A slow-motion recording decodes its frames a few ticks apart and presents them a frame apart (Samsung);
    a motion photo's still has a duration of 0: their references are no damage."""
    from mp4fix.reference import learn_profile, timing_problem

    profile = learn_profile(_patched(tiny, tmp_path, b"stts", lambda b, i: None))
    video = next(t for t in profile.tracks if t.kind == "video")
    n = len(video.sizes)
    slow = dataclasses.replace(video, durations=np.full(n, 9, dtype=np.int64),
                               ctts=np.arange(n, dtype=np.int64) * 3000 - np.arange(n) * 9)
    assert timing_problem(slow, profile.movie_timescale) == ""
    still = dataclasses.replace(video, sizes=video.sizes[:1], durations=np.zeros(1, dtype=np.int64), ctts=None)
    assert timing_problem(still, profile.movie_timescale) == ""
