"""End to end: make a complete recording, cut it as a crash would, repair it, compare with the original.

The original's own sample tables (read by the independent reader in ``oracle.py``), ffmpeg's packet list and
ffmpeg's decoded-frame checksums are the reference points: a repair is right only when every sample that lay
wholly before the cut comes back with the same offset, size, duration, key flag and presentation time, and
decodes to the same frames.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import oracle
from mp4fix import fftools
from mp4fix.errors import CancelledError, MismatchError, NotBrokenError
from mp4fix.progress import CancelToken
from mp4fix.repair import plan, repair

AVC_RECIPES = ["avc_bf_aac48s", "avc_nobf_aac44m", "avc_bf_aac48s_mov", "avc_nobf_aac44s_mov"]
HEVC_RECIPES = ["hevc_aac48s", "hevc_nobf_aac44m_mov"]
CUTS = ["mdat30", "mid_sample", "sample_boundary", "mdat90"]


def _decoded_by_pts(path: Path, spec: str) -> dict[tuple[int, int], str]:
    """{(stream, pts): md5} of every decoded frame of one stream type ('v' or 'a')."""
    out: dict[tuple[int, int], str] = {}
    for line in oracle.ff_framemd5(path, spec):
        if line.startswith("#") or not line.strip():
            continue
        cols = [c.strip() for c in line.split(",")]
        out[(int(cols[0]), int(cols[2]))] = cols[-1]
    return out


def check_repair(original: Path, broken: Path, cut: int, fixed: Path, report) -> None:
    """Everything the repair must get right, against the untruncated original."""
    # 1. the sample tables: same offsets (mdat stays where the recorder put it), sizes, durations, keys, pts
    compared = oracle.assert_same_samples(original, fixed, cut, offset_shift=0, pts="exact")
    assert all(n > 0 for n in compared.values()), compared
    # 2. audio/video keep their relative start: the edit lists keep the original's media times
    orig, rep = oracle.read_movie(original), oracle.read_movie(fixed)
    for t, r in zip(orig.tracks, rep.tracks):
        assert [e[1] for e in r.edits] == [e[1] for e in t.edits], f"{t.handler}: edit list media times differ"
    # 3. ffmpeg's packets, with the edit lists applied as a player does
    oracle.assert_same_packets(original, fixed, cut, ignore_editlist=False)
    # 4. decoded frames equal the original's at the same presentation times
    for spec in ("v", "a"):
        if not any(t.handler == ("vide" if spec == "v" else "soun") for t in orig.tracks):
            continue
        want = _decoded_by_pts(original, spec)
        got = _decoded_by_pts(fixed, spec)
        assert got, f"no {spec} frames decoded from the repair"
        diff = [pts for pts, md5 in got.items() if want.get(pts) != md5]
        assert not diff, f"{spec}: {len(diff)} decoded frames differ from the original (first pts {min(diff)})"
    # 5. ffmpeg decodes it cleanly, and the report says what came back
    assert report.verify is not None and report.verify.ok and report.verify.decode_errors == 0, report.verify
    assert report.complete
    assert {t.track_id: t.samples for t in report.tracks if t.kind in ("video", "audio")} == compared
    assert report.bytes_skipped == 0
    assert report.bytes_used + report.truncated_tail == report.mdat_bytes


@pytest.mark.parametrize("cut_at", CUTS)
@pytest.mark.parametrize("name", AVC_RECIPES)
def test_cut_recording_is_repaired_exactly(name, cut_at, fixture_path, broken_file):
    original = fixture_path(name)
    reference = fixture_path(name + "_ref")
    broken, cut = broken_file(name, cut_at)
    before = oracle.file_md5(broken)
    report = repair(broken, reference)
    fixed = broken.with_name(broken.stem + "_fixed" + broken.suffix)
    assert Path(report.output) == fixed and fixed.exists()
    assert oracle.file_md5(broken) == before, "the broken input was modified"
    check_repair(original, broken, cut, fixed, report)


@pytest.mark.parametrize("name", HEVC_RECIPES)
def test_hevc_cut_recording_is_repaired_exactly(name, fixture_path, broken_file):
    original, reference = fixture_path(name), fixture_path(name + "_ref")
    broken, cut = broken_file(name, "mid_sample")
    report = repair(broken, reference)
    check_repair(original, broken, cut, Path(report.output), report)


def test_killed_recording_decodes_cleanly_with_its_duration(killed_recording, fixture_path, tmp_copy):
    path, seconds = killed_recording("live_avc_aac48s", 4.0)
    broken = tmp_copy(path)
    report = repair(broken, fixture_path("live_avc_aac48s_ref"))
    assert report.verify.ok, report.verify.log
    video = next(t for t in report.tracks if t.kind == "video")
    audio = next(t for t in report.tracks if t.kind == "audio")
    # ffmpeg's last progress line lags what it had written by a fraction of a second
    assert abs(video.duration - seconds) < 1.0, (video.duration, seconds)
    assert abs(audio.duration - video.duration) < 0.5
    info = fftools.probe(report.output)
    assert info.error is None and len(info.video) == 1 and len(info.audio) == 1


def test_reference_of_other_codec_is_refused_without_output(fixture_path, broken_file):
    broken, _ = broken_file("avc_bf_aac48s", "mdat60")
    with pytest.raises(MismatchError) as err:
        repair(broken, fixture_path("hevc_aac48s_ref"))
    assert "does not match" in str(err.value)
    assert err.value.exit_code == 3
    assert not list(broken.parent.glob("*_fixed*")) and not list(broken.parent.glob(".*part"))


def test_reference_with_other_audio_rate_is_refused(fixture_path, broken_file):
    # same video settings family, AAC at 44.1 kHz in the reference vs 48 kHz in the broken file: the AAC
    # frames parse either way (same band tables), only the clock tells them apart
    broken, _ = broken_file("avc_bf_aac48s_mov", "mdat90")
    with pytest.raises(MismatchError):
        repair(broken, fixture_path("avc_nobf_aac44s_mov_ref"))
    assert not list(broken.parent.glob("*_fixed*"))


def test_complete_file_is_not_broken(fixture_path, tmp_copy):
    good = tmp_copy(fixture_path("tiny"))
    with pytest.raises(NotBrokenError):
        repair(good, good)


def test_cancel_leaves_nothing(fixture_path, broken_file):
    broken, _ = broken_file("avc_bf_aac48s", "mdat90")
    token = CancelToken()

    def progress(p):
        if p.stage == "write":
            token.cancel()

    with pytest.raises(CancelledError):
        repair(broken, fixture_path("avc_bf_aac48s_ref"), progress=progress, cancel=token)
    assert sorted(os.listdir(broken.parent)) == [broken.name]


def test_plan_checks_without_writing(fixture_path, broken_file):
    broken, _ = broken_file("avc_nobf_aac44m", "mdat60")
    p = plan(broken, fixture_path("avc_nobf_aac44m_ref"))
    assert p.output.name == broken.stem + "_fixed.mp4" and not p.output.exists()
    assert [t.fourcc for t in p.profile.tracks] == ["avc1", "mp4a"]
    assert sorted(os.listdir(broken.parent)) == [broken.name]


def test_progress_is_monotonic_and_complete(fixture_path, broken_file):
    broken, _ = broken_file("avc_nobf_aac44m", "mdat90")
    seen = []
    repair(broken, fixture_path("avc_nobf_aac44m_ref"), progress=seen.append)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert {"scan", "write", "verify"} <= {p.stage for p in seen}


def test_trusting_the_reference_repairs_what_the_fit_check_refuses(fixture_path, broken_file):
    # the user knows better (the app's "Repair anyway", the CLI's --trust-reference): no fit check at all
    broken, _ = broken_file("avc_bf_aac48s_mov", "mdat90")
    report = repair(broken, fixture_path("avc_nobf_aac44s_mov_ref"), check_fit=False, verify=False)
    assert Path(report.output).exists()
    assert {t.kind for t in report.tracks if t.samples} == {"video", "audio"}


def test_a_plan_is_run_as_it_is_learning_the_reference_once(fixture_path, broken_file, monkeypatch):
    """The app plans when files are added (to warn early) and then repairs: the reference was learned and the
    trial decoded again for the repair. ``repair(plan)`` runs the plan; the whole path learns the reference
    once and decodes each trial once. (The real functions run; they are only counted.)"""
    from mp4fix import fit, reference
    from mp4fix import repair as repair_module

    reference_path = fixture_path("avc_bf_aac48s_ref")
    broken, cut = broken_file("avc_bf_aac48s", "mdat60")
    learned, trials = [], []
    real_learn, real_decode = reference.learn_profile, fit.decoder_errors

    def learn(path, *args, **kwargs):
        learned.append(Path(path).name)
        return real_learn(path, *args, **kwargs)

    def decode(path, *args, **kwargs):
        trials.append(Path(path).name)
        return real_decode(path, *args, **kwargs)

    monkeypatch.setattr(reference, "learn_profile", learn)
    monkeypatch.setattr(repair_module, "learn_profile", learn)
    monkeypatch.setattr(fit, "decoder_errors", decode)
    p = plan(broken, reference_path)
    assert learned.count(reference_path.name) == 1 and trials
    decoded = len(trials)
    report = repair(p)
    assert learned.count(reference_path.name) == 1 and len(trials) == decoded
    assert report.output == str(p.output)
    check_repair(fixture_path("avc_bf_aac48s"), broken, cut, Path(report.output), report)
    # a plan whose broken file changed since is made again (its samples are not the ones planned for)
    os.remove(report.output)
    with open(broken, "ab") as f:
        f.write(b"\0" * 1000)
    repair(p)
    assert learned.count(reference_path.name) == 2


def test_diagnosing_a_healthy_file_reads_its_index_once(fixture_path, monkeypatch):
    from mp4fix import reference
    from mp4fix.diagnose import diagnose

    learned = []
    real_learn = reference.learn_profile
    monkeypatch.setattr(reference, "learn_profile", lambda path, *a, **k: learned.append(path) or real_learn(path, *a, **k))
    d = diagnose(fixture_path("avc_bf_aac48s_ref"))
    assert not d.broken and [t.codec for t in d.tracks] == ["avc1", "mp4a"]
    assert len(learned) == 1  # (twice before: once for how much it indexes, once for its tracks)
