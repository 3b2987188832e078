"""Fragmented MP4 (cameras, OBS, ffmpeg ``-movflags frag_keyframe``): a complete one is not broken; one cut in
the middle of a fragment is repaired without a reference, as a regular MP4 every player opens.

The oracle is ffmpeg reading the original fragmented file: the repaired file's packets (timestamps, sizes,
checksums, key flags) are exactly the original's first packets of each stream. How many: at least every
packet of the fragments before the one the cut broke (ffmpeg's packets of the original cut at that fragment's
moof, a file ending on a fragment boundary), and more when the broken fragment's moof is whole and some of its
samples are complete. The repaired file's own index (``oracle.read_movie``) places every sample before the cut.
"""

from __future__ import annotations

import pytest

import make_fixtures as MF
import oracle
from mp4fix import verify
from mp4fix.diagnose import diagnose
from mp4fix.errors import NotBrokenError, NothingRecoveredError
from mp4fix.repair import repair
from test_cli import mp4fix, one_sentence_error

FRAGMENTED = ["frag_avc_aac", "frag_avc_aac_base_moof", "frag_avc_aac_separate", "frag_avc_aac_hybrid"]


def _boxes(path):
    return oracle.top_level_boxes(path)


def _packets(path) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for p in oracle.packets(path):
        out.setdefault(p.stream, []).append((p.dts, p.pts, p.duration, p.size, p.crc, p.keyframe))
    return out


def _check(original, repaired, cut: int, boundary: int, tmp_path, partial: bool):
    """``repaired`` holds exactly the original's first packets: all of the fragments before ``boundary``
    (the broken fragment's moof), and (``partial``) some of the broken fragment's."""
    want = _packets(original)
    got = _packets(repaired)
    whole = MF.cut(original, tmp_path / "boundary.mp4", boundary)
    floor = _packets(whole)
    assert set(got) == set(want)
    extra = 0
    for s, pk in got.items():
        assert pk == want[s][:len(pk)], f"stream {s}: not the original's packets"
        assert len(pk) >= len(floor.get(s, [])), f"stream {s}: a complete fragment was lost"
        extra += len(pk) - len(floor.get(s, []))
    assert (extra > 0) == partial
    movie = oracle.read_movie(repaired)
    for t in movie.tracks:
        assert all(o + n <= cut for o, n in zip(t.offsets, t.sizes))
    assert not any(b.type in ("moof", "mvex") for b in _boxes(repaired))
    assert verify.decode_check(repaired).ok


@pytest.mark.parametrize("name", FRAGMENTED)
def test_complete_fragmented_file_is_not_broken(fixture_path, name):
    """A healthy fragmented MP4 was diagnosed "incomplete index, can be recovered", then "does not match"."""
    path = fixture_path(name)
    d = diagnose(path)
    assert d.fragmented and not d.broken and d.fragments >= 4 and "complete fragmented" in d.problem
    with pytest.raises(NotBrokenError, match="complete fragmented MP4"):
        repair(path, None)
    proc = mp4fix("repair", path)
    assert proc.returncode == 2 and "not broken" in one_sentence_error(proc)


@pytest.mark.parametrize("name", FRAGMENTED)
def test_cut_inside_a_fragments_media_data_keeps_its_whole_samples(fixture_path, tmp_path, name):
    original = fixture_path(name)
    moofs = [b for b in _boxes(original) if b.type == "moof"]
    mdat = next(b for b in _boxes(original) if b.type == "mdat" and b.offset > moofs[len(moofs) // 2].offset)
    cut = mdat.payload_start + (mdat.end - mdat.payload_start) * 2 // 3
    broken = MF.cut(original, tmp_path / "cut.mp4", cut)
    proc = mp4fix("repair", broken)  # no reference
    assert proc.returncode == 0, proc.stderr
    assert "fragmented MP4" in proc.stdout and "result: complete" in proc.stdout
    repaired = tmp_path / "cut_fixed.mp4"
    boundary = max(b.offset for b in moofs if b.offset < cut)
    _check(original, repaired, cut, boundary, tmp_path, partial=True)


@pytest.mark.parametrize("name", ["frag_avc_aac", "frag_avc_aac_hybrid"])
def test_cut_inside_a_moof_drops_that_fragment(fixture_path, tmp_path, name):
    original = fixture_path(name)
    moofs = [b for b in _boxes(original) if b.type == "moof"]
    moof = moofs[len(moofs) // 2]
    broken = MF.cut(original, tmp_path / "cut.mp4", moof.offset + moof.size // 2)
    report = repair(broken, None)
    assert report.complete and report.output
    _check(original, tmp_path / "cut_fixed.mp4", moof.offset, moof.offset, tmp_path, partial=False)


def test_a_reference_is_not_needed_and_says_so(fixture_path, tmp_path):
    original = fixture_path("frag_avc_aac")
    broken = MF.cut(original, tmp_path / "cut.mp4", original.stat().st_size * 6 // 10)
    proc = mp4fix("repair", broken, "--ref", fixture_path("tiny"), "--no-verify")
    assert proc.returncode == 0, proc.stderr
    assert "The reference tiny.mp4 was not needed" in proc.stdout


def test_hybrid_cut_inside_its_first_fragment(fixture_path, tmp_path):
    """The hybrid layout's moov indexes the first fragment: a cut inside it keeps that index's whole samples."""
    original = fixture_path("frag_avc_aac_hybrid")
    first = next(b for b in _boxes(original) if b.type == "mdat")
    cut = first.payload_start + (first.end - first.payload_start) // 2
    broken = MF.cut(original, tmp_path / "cut.mp4", cut)
    report = repair(broken, None, verify=False)
    assert report.output and any(t.samples for t in report.tracks)
    assert all(t.samples > 0 or t.status == "skipped" for t in report.tracks)  # the audio run may be after the cut
    got, want = _packets(report.output), _packets(original)
    assert all(pk == want[s][:len(pk)] for s, pk in got.items())


def test_cut_before_the_first_fragment_is_complete(fixture_path, tmp_path):
    original = fixture_path("frag_avc_aac")
    moof = next(b for b in _boxes(original) if b.type == "moof")
    broken = MF.cut(original, tmp_path / "cut.mp4", moof.offset + 20)
    with pytest.raises(NothingRecoveredError):
        repair(broken, None)
    proc = mp4fix("repair", broken)
    assert proc.returncode == 3 and one_sentence_error(proc).count("cut.mp4") == 1
    assert not (tmp_path / "cut_fixed.mp4").exists()


def test_probe_describes_a_cut_fragmented_file(fixture_path, tmp_path):
    original = fixture_path("frag_avc_aac_base_moof")
    broken = MF.cut(original, tmp_path / "cut.mp4", original.stat().st_size * 7 // 10)
    proc = mp4fix("probe", broken)
    assert proc.returncode == 0 and "fragmented MP4 is cut off" in proc.stdout and "without a reference" in proc.stdout


def test_damaged_fragment_index_ends_the_recovery_there(fixture_path, tmp_path):
    """A trun claiming more samples than it holds: the fragments before it are kept, one sentence, no crash."""
    original = fixture_path("frag_avc_aac")
    data = bytearray(original.read_bytes())
    moofs = [b for b in _boxes(original) if b.type == "moof"]
    moof = moofs[2]
    i = data.find(b"trun", moof.offset, moof.end)
    data[i + 8:i + 12] = (0x7FFFFFFF).to_bytes(4, "big")  # sample_count
    cut = len(data) * 9 // 10
    broken = tmp_path / "cut.mp4"
    broken.write_bytes(bytes(data[:cut]))
    report = repair(broken, None, verify=False)
    assert report.output
    _check(original, tmp_path / "cut_fixed.mp4", moof.offset, moof.offset, tmp_path, partial=False)


def test_a_fragment_whose_sample_lasts_a_day_is_refused(fixture_path, tmp_path):
    """A trun sample duration of 2^32-1 (parsers case 338911, master 9: the movie's duration overflowed 64 bits
    when built, FormatFieldError) gave a track a day long; timing copied from fragments is checked per sample."""
    original = fixture_path("frag_avc_aac")
    data = bytearray(original.read_bytes())
    moof = next(b for b in _boxes(original) if b.type == "moof")
    i = data.find(b"trun", moof.offset, moof.end)
    i = data.find(b"trun", i + 4, moof.end)  # the audio run: data offset, then per-sample duration and size
    assert int.from_bytes(data[i + 4:i + 8], "big") & 0x100
    data[i + 16:i + 20] = b"\xff\xff\xff\xff"
    broken = tmp_path / "cut.mp4"
    broken.write_bytes(bytes(data[: len(data) * 8 // 10]))
    proc = mp4fix("repair", broken)
    line = one_sentence_error(proc)
    assert proc.returncode == 2 and "cut.mp4" in line and "lasts" in line, line
    assert not (tmp_path / "cut_fixed.mp4").exists()


def test_a_fragment_decode_time_far_off_is_ignored(fixture_path, tmp_path):
    """A tfdt near 2^64 (parsers cases 250101 master 10, 339948 master 9) overflowed int64 (OverflowError): a
    decode time more than an hour off is damage, and the fragment's samples follow the ones before it."""
    original = fixture_path("frag_avc_aac")
    data = bytearray(original.read_bytes())
    moof = [b for b in _boxes(original) if b.type == "moof"][1]
    i = data.find(b"tfdt", moof.offset, moof.end)
    assert data[i + 4] == 1  # version 1: 64-bit baseMediaDecodeTime
    data[i + 8:i + 16] = b"\xff" * 8
    broken = tmp_path / "cut.mp4"
    cut = len(data) * 8 // 10
    broken.write_bytes(bytes(data[:cut]))
    report = repair(broken, None)
    assert report.complete and report.output
    got, want = _packets(report.output), _packets(original)
    assert all(pk == want[s][:len(pk)] for s, pk in got.items())  # the same timestamps as the original's
