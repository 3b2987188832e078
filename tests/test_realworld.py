"""Recordings made by real cameras and phones, cut as a crash leaves them and repaired.

The recordings live outside the repository, in ``../shared/realworld`` beside the project (or where
``$MP4FIX_REALWORLD`` points); these tests are skipped when the folder is absent. Each is cut at 30, 60 and
90 % of its size and repaired with itself as the reference (the GoPro pair also with its sibling from another
model of the same family). The original's own index is the truth: every sample of every track (video, audio,
timecode, telemetry, metadata) that ends before the cut comes back with the original's offset and size,
nothing is added, and no track lasts longer than the original's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import numpy as np

import oracle
from mp4fix.repair import repair

FOLDER = Path(os.environ.get("MP4FIX_REALWORLD") or Path(__file__).resolve().parents[2] / "shared" / "realworld")
FILES = sorted(p.name for p in FOLDER.glob("*.mp4")) + sorted(p.name for p in FOLDER.glob("*.mov")) \
    if FOLDER.is_dir() else []
CUTS = (0.3, 0.6, 0.9)
SIBLINGS = {"gopro_hero7.mp4": "gopro_max-heromode.mp4", "gopro_max-heromode.mp4": "gopro_hero7.mp4"}

pytestmark = pytest.mark.skipif(not FILES, reason=f"no real recordings in {FOLDER}")


def _cut(original: Path, frac: float, folder: Path) -> tuple[Path, int]:
    data = original.read_bytes()
    cut = int(len(data) * frac)
    broken = folder / ("broken" + original.suffix)
    broken.write_bytes(data[:cut])
    return broken, cut


def presented(track: oracle.TrackTable, movie_timescale: int) -> np.ndarray:
    """Each sample's presentation time (s) as a player shows it, edit list applied."""
    empty = sum(e[0] for e in track.edits if e[1] == -1) / movie_timescale
    start = next((e[1] for e in track.edits if e[1] >= 0), 0)
    return (np.asarray(track.pts, dtype=np.float64) - start) / track.timescale + empty


def check_video_times(original: Path, fixed: Path, report) -> None:
    """Every video frame within one frame duration (at least 50 ms) of its original presentation time, unless
    the report says the times are approximate (nothing in the file to rebuild them from)."""
    orig, rep = oracle.read_movie(original), oracle.read_movie(fixed)
    for t, r in oracle._match_tracks(orig, rep):
        if t.handler != "vide" or r is None or r.count < 2:
            continue
        claim = next(x.timing for x in report.tracks if x.track_id == t.track_id)
        want = presented(t, orig.timescale)[:r.count]
        got = presented(r, rep.timescale)
        frame = max(0.05, float(sum(t.durations)) / t.timescale / t.count)
        err = float(np.abs(got - want).max())
        if claim == "approximate":
            continue  # said, not hidden (a variable frame rate with no audio track)
        assert err <= frame, f"track {t.track_id}: a frame {err * 1000:.0f} ms off ({claim})"
        if claim == "exact":
            assert err < 0.002, f"track {t.track_id}: 'exact' times {err * 1000:.1f} ms off"


def check_every_sample(original: Path, fixed: Path, cut: int) -> dict[str, int]:
    """Every track's samples wholly before ``cut``: same offsets and sizes, nothing more; no longer than the
    original. Returns {handler/fourcc: samples compared}."""
    orig, rep = oracle.read_movie(original), oracle.read_movie(fixed)
    pairs = oracle._match_tracks(orig, rep)
    compared = {}
    for t, r in pairs:
        n = oracle.samples_before(t, cut)
        tag = f"track {t.track_id} ({t.handler}/{t.fourcc})"
        if n == 0:
            assert r is None or r.count == 0, f"{tag}: {r.count} samples where the original has none before the cut"
            continue
        assert r is not None, f"{tag}: missing from the repaired file ({n} samples expected)"
        assert r.count == n, f"{tag}: {r.count} samples, expected {n}"
        assert r.offsets == t.offsets[:n], f"{tag}: offsets differ at {oracle._first_diff(r.offsets, t.offsets, n)}"
        assert r.sizes == t.sizes[:n], f"{tag}: sizes differ at {oracle._first_diff(r.sizes, t.sizes, n)}"
        assert r.keyframes == t.keyframes[:n], f"{tag}: key flags differ"
        assert sum(r.durations) / r.timescale <= sum(t.durations) / t.timescale + 0.5, f"{tag}: lasts too long"
        compared[f"{t.handler}/{t.fourcc}"] = n
    return compared


@pytest.mark.parametrize("frac", CUTS)
@pytest.mark.parametrize("name", FILES)
def test_real_recording_cut_and_repaired_with_itself(name, frac, tmp_path):
    original = FOLDER / name
    broken, cut = _cut(original, frac, tmp_path)
    expected = {t.track_id: oracle.samples_before(t, cut) for t in oracle.read_movie(original).tracks}
    if not any(expected.values()):
        pytest.skip("the cut lies inside the first sample: nothing complete to recover")
    report = repair(broken, original, verify=False)
    check_every_sample(original, Path(report.output), cut)
    check_video_times(original, Path(report.output), report)
    found = {t.track_id: t.samples for t in report.tracks}
    for tid, n in expected.items():
        assert found.get(tid, 0) == n, f"the report says {found.get(tid, 0)} samples for track {tid}, not {n}"
        status = next(t.status for t in report.tracks if t.track_id == tid)
        assert status == ("ok" if n else "skipped") or n == 0


@pytest.mark.parametrize("name", sorted(SIBLINGS))
def test_gopro_repaired_with_its_sibling(name, tmp_path):
    if name not in FILES or SIBLINGS[name] not in FILES:
        pytest.skip("the GoPro pair is not there")
    original = FOLDER / name
    broken, cut = _cut(original, 0.6, tmp_path)
    report = repair(broken, FOLDER / SIBLINGS[name], verify=False)
    counts = check_every_sample(original, Path(report.output), cut)
    assert {"vide/avc1", "soun/mp4a", "tmcd/tmcd", "meta/gpmd", "meta/fdsc"} <= set(counts)


def test_audio_that_ended_before_the_cut_ends_where_the_recording_stopped(tmp_path):
    # Apple's writer stops the recording, writes the audio's last chunk, then its last two seconds of video; the
    # edit list leaves out the audio the encoder ran on after the stop. A copy cut inside that last video keeps
    # all of the audio, and must end it where the recorder did (ffmpeg showed two audio packets too many)
    name = "iphone6_with-gps.mov"
    if name not in FILES:
        pytest.skip("the iPhone recording is not there")
    original = FOLDER / name
    broken, cut = _cut(original, 0.9, tmp_path)
    report = repair(broken, original, verify=False)
    orig, rep = oracle.read_movie(original), oracle.read_movie(report.output)
    assert rep.track("soun").edits == orig.track("soun").edits
    # a cut where the audio was still being written keeps all of it
    broken, cut = _cut(original, 0.3, tmp_path)
    report = repair(broken, original, verify=False, overwrite=True)
    movie = oracle.read_movie(report.output)
    audio = movie.track("soun")
    assert (audio.edits[-1][0] + 1) / movie.timescale >= sum(audio.durations) / audio.timescale
