"""The timeline: every frame presented when the recorder presented it, audio and video never drifting apart.

A variable-frame-rate recording (frame durations swinging between 25 and 41 ms, as phones and screen
recorders write) is cut and repaired: every frame lands within one frame duration of its original
presentation time, over the whole recording, and audio is exact. Constant-rate recordings keep exact
times (tests/test_repair.py). The report says which times are exact and which are rebuilt, and how well.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import make_fixtures as MF
import oracle
from mp4fix.repair import repair

# presentation time of frame N: N/30 s plus a slow swing of 0.3 s (durations 25.8 .. 40.8 ms)
VFR = "settb=1/90000,setpts=(N/30+0.3*sin(N/40))/TB"
VFR_REF = "settb=1/90000,setpts=(N/30+0.3*sin(N/40+2))/TB"  # the same camera, another moment


def _vfr(name: str, video: str, audio: str, seconds: float, expr: str) -> MF.Recipe:
    args = ["-f", "lavfi", "-i", MF.VIDEO[video].format(s="320x240", r="30") + "," + expr,
            "-f", "lavfi", "-i", f"aevalsrc=exprs={MF.AUDIO[audio](2)}:s=48000",
            "-map", "0:v", "-map", "1:a", "-t", f"{seconds:g}", "-fps_mode", "passthrough",
            "-enc_time_base:v", "1/90000",  # else the encoder rounds every time to 1/30 s
            *MF._video_args("h264", "320x240", "30", 2, 60, 26), "-video_track_timescale", "90000",
            *MF._audio_args(48000, 2, 128)]
    return MF.Recipe(name, "mp4", tuple(args), f"h264 VFR 25-41 ms + aac, {seconds:g} s", seconds)


RECIPES = {"vfr": _vfr("vfr", "testsrc2", "music1", 24, VFR),
           "vfr_ref": _vfr("vfr_ref", "mandelbrot", "music2", 8, VFR_REF)}


def _build(name: str) -> Path:
    return MF.build_recipe(RECIPES[name])


def presentation_seconds(track: oracle.TrackTable) -> np.ndarray:
    """Each sample's presentation time (s) as a player shows it: media time less the edit list's start."""
    start = next((e[1] for e in track.edits if e[1] >= 0), 0)
    return (np.asarray(track.pts, dtype=np.float64) - start) / track.timescale


def test_generated_recording_really_varies():
    video = oracle.read_movie(_build("vfr")).track("vide")
    d = np.diff(np.sort(video.pts)) / video.timescale
    assert d.min() < 0.027 and d.max() > 0.039


@pytest.mark.parametrize("frac", [0.3, 0.6, 0.9])
def test_variable_frame_rate_every_frame_within_one_frame(frac, tmp_path):
    original, reference = _build("vfr"), _build("vfr_ref")
    start, end = oracle.mdat_span(original)
    cut = start + int((end - start) * frac)
    broken = MF.cut(original, tmp_path / "vfr.mp4", cut)
    report = repair(broken, reference)
    oracle.assert_same_samples(original, report.output, cut, offset_shift=0, pts="exact",
                               handlers=("soun",))  # audio: every sample and time exact
    orig, rep = oracle.read_movie(original).track("vide"), oracle.read_movie(report.output).track("vide")
    n = oracle.samples_before(orig, cut)
    assert rep.count == n and rep.sizes == orig.sizes[:n]
    want, got = presentation_seconds(orig)[:n], presentation_seconds(rep)
    shown = np.sort(presentation_seconds(orig))
    frame = np.interp(want, shown[:-1], np.diff(shown))  # how long each frame is shown
    err = np.abs(got - want)
    assert np.all(err <= frame), f"worst frame {int(err.argmax())}: {err.max() * 1000:.1f} ms off"
    # no drift: the last second is as good as the first
    late = want > want[-1] - 1.0
    assert np.all(err[late] <= frame[late])
    video = next(t for t in report.tracks if t.kind == "video")
    assert video.timing == "rebuilt" and video.timing_accuracy is not None and video.timing_accuracy < 0.05
    assert any("rebuilt from the audio clock" in w for w in report.warnings)
    assert report.verify.ok


def test_constant_rate_recording_says_its_times_are_exact(fixture_path, broken_file):
    broken, _ = broken_file("avc_bf_aac48s", "mdat60")
    report = repair(broken, fixture_path("avc_bf_aac48s_ref"), verify=False)
    assert {t.timing for t in report.tracks} == {"exact"}
    assert not any("rebuilt" in w or "approximate" in w for w in report.warnings)


def test_a_variable_frame_rate_file_is_checked_without_false_errors():
    # ffmpeg's null output rounded close frames to one time at its default frame rate and logged "non
    # monotonically increasing dts" errors for a file that is fine (the original itself)
    from mp4fix import verify

    result = verify.decode_check(_build("vfr"), full=True)
    assert result.ok and result.decode_errors == 0, result.log


# --- across lost data: every track keeps its clock ------------------------------------------------------


def _damage(path: Path, start: int, cut: int, kind: str, original: Path) -> list[tuple[int, int]]:
    """Damage a cut copy as a flaky card or a crash does; returns the damaged byte ranges."""
    ranges = []
    with open(path, "r+b") as f:
        if kind == "zero_runs":  # three runs of 4 KiB of zeros
            for frac in (0.25, 0.5, 0.75):
                at = start + int((cut - start) * frac)
                f.seek(at)
                f.write(bytes(4096))
                ranges.append((at, at + 4096))
        elif kind == "random_block":  # 64 KiB of garbage
            at = start + int((cut - start) * 0.5)
            f.seek(at)
            f.write(np.random.default_rng(7).bytes(65536))
            ranges.append((at, at + 65536))
        else:  # one whole video frame lost
            video = oracle.read_movie(original).track("vide")
            k = len(video.offsets) // 2
            f.seek(video.offsets[k])
            f.write(bytes(video.sizes[k]))
            ranges.append((video.offsets[k], video.offsets[k] + video.sizes[k]))
    return ranges


@pytest.mark.parametrize("kind", ["zero_runs", "random_block", "lost_frame"])
@pytest.mark.parametrize("name", ["avc_bf_aac48s", "avc_nobf_aac44s_mov"])
def test_damage_keeps_every_track_on_its_clock(name, kind, fixture_path, tmp_path):
    """After lost bytes each track's samples keep their original presentation times: the frames and audio
    frames lost are counted (a lost frame does not pull the later ones earlier, audio never drifts from video),
    and no undamaged sample next to the damage is lost."""
    original = fixture_path(name)
    start, end = oracle.mdat_span(original)
    cut = start + int((end - start) * 0.9)
    broken = MF.cut(original, tmp_path / f"{name}{original.suffix}", cut)
    damaged = _damage(broken, start, cut, kind, original)
    report = repair(broken, fixture_path(name + "_ref"), verify=False)
    orig, rep = oracle.read_movie(original), oracle.read_movie(report.output)
    for t, r in oracle._match_tracks(orig, rep):
        want = dict(zip(t.offsets, presentation_seconds(t)))
        sizes = dict(zip(t.offsets, t.sizes))
        intact = {o for o in t.offsets if o + sizes[o] <= cut and not any(a < o + sizes[o] and o < b for a, b in damaged)}
        assert intact <= set(r.offsets), f"{t.handler}: {len(intact - set(r.offsets))} undamaged samples lost"
        got = presentation_seconds(r)
        delta = np.array([g - want[o] for o, g in zip(r.offsets, got)])
        if t.handler == "soun":
            assert np.abs(delta).max() < 1e-6, f"audio {np.abs(delta).max() * 1000:.1f} ms off after the damage"
        else:
            # a B-frame right next to the damage may lose the frames it was shown between (its presentation
            # place is measured among the frames that are left): those few, by a frame or two; every other
            # frame exact
            frame = t.durations[0] / t.timescale
            first_after = [next(i for i, o in enumerate(r.offsets) if o >= b) for _a, b in damaged]
            near = {i + k for i in first_after for k in range(-2, 3)}
            off = set(np.flatnonzero(np.abs(delta) > 1e-6).tolist())
            assert off <= near, f"video: frames {sorted(off - near)[:5]} off, away from the damage"
            assert np.abs(delta).max() <= 2 * frame + 1e-6
    video = next(t for t in report.tracks if t.kind == "video")
    lost = sum(1 for o, s in zip(orig.track("vide").offsets, orig.track("vide").sizes)
               if o + s <= cut and o not in set(rep.track("vide").offsets))
    assert f"{lost} frame" in video.note and "counted" in video.note


@pytest.mark.parametrize("kind", ["zero_runs", "random_block"])
def test_no_undamaged_sample_is_lost_next_to_damage(kind, fixture_path, tmp_path):
    # an AAC frame parsed from garbage ran into the real frame after the damage and ended where it ends: the
    # real one was lost (the shorter of two samples ending at one place is the real one)
    name = "hevc_aac48s"
    original = fixture_path(name)
    start, end = oracle.mdat_span(original)
    cut = start + int((end - start) * 0.9)
    broken = MF.cut(original, tmp_path / f"{name}.mp4", cut)
    damaged = _damage(broken, start, cut, kind, original)
    report = repair(broken, fixture_path(name + "_ref"), verify=False)
    orig, rep = oracle.read_movie(original), oracle.read_movie(report.output)
    for t, r in oracle._match_tracks(orig, rep):
        intact = {o for o, s in zip(t.offsets, t.sizes)
                  if o + s <= cut and not any(a < o + s and o < b for a, b in damaged)}
        assert intact <= set(r.offsets), f"{t.handler}: {sorted(intact - set(r.offsets))[:5]} lost"
        ends = sorted(zip(r.offsets, r.sizes))
        assert all(o1 + s1 <= o2 for (o1, s1), (o2, _) in zip(ends, ends[1:])), "samples overlap"


def test_chunks_nothing_dates_follow_the_frame_counts():
    # a trial window whose last chunks come after the clock's last sample: no equation dates them (it divided
    # 0 by 0, and the times came out as NaN)
    from mp4fix import timeline

    with np.errstate(all="raise"):
        s = timeline._robust_chain(np.array([0.0, 1.001]), np.zeros(2), np.array([1.001]), np.array([4e6]))
        assert np.allclose(s, [0.0, 1.001])
        s = timeline._robust_chain(np.array([0.0, 1.0, 2.0]), np.array([100.0, 0.0, 0.0]), np.array([1.0, 1.0]),
                                   np.array([4e6, 4e6]))
        assert np.all(np.isfinite(s)) and np.allclose(np.diff(s), 1.0, atol=1e-3)


def test_a_block_written_twice_is_left_out_and_said(fixture_path, tmp_path):
    # a flaky card wrote a block of the recording a second time over later data: the repeat read as valid
    # samples with times from the past, and the report said nothing
    name = "avc_bf_aac48s"
    original = fixture_path(name)
    start, end = oracle.mdat_span(original)
    cut = start + int((end - start) * 0.9)
    broken = MF.cut(original, tmp_path / f"{name}.mp4", cut)
    src, dst, size = start + (cut - start) // 4, start + (cut - start) // 2, 200_000
    raw = bytearray(broken.read_bytes())
    raw[dst:dst + size] = raw[src:src + size]
    broken.write_bytes(bytes(raw))
    report = repair(broken, fixture_path(name + "_ref"), verify=False)
    orig, rep = oracle.read_movie(original), oracle.read_movie(report.output)
    for t, r in oracle._match_tracks(orig, rep):
        sizes = dict(zip(t.offsets, t.sizes))
        # nothing from the repeated block is indexed, nothing outside it is lost
        assert not [o for o in r.offsets if dst + 4096 <= o < dst + size - 4096]
        intact = {o for o in t.offsets if o + sizes[o] <= cut and not (o < dst + size and o + sizes[o] > dst)}
        assert intact <= set(r.offsets), f"{t.handler}: {len(intact - set(r.offsets))} samples lost"
    assert any("repeat data written earlier" in w for w in report.warnings)
    # the samples after the repeat keep their times: what the repeat overwrote is counted as lost
    audio_o, audio_r = orig.track("soun"), rep.track("soun")
    want = dict(zip(audio_o.offsets, presentation_seconds(audio_o)))
    late = [(o, g) for o, g in zip(audio_r.offsets, presentation_seconds(audio_r)) if o > dst + size]
    assert late and max(abs(g - want[o]) for o, g in late) < 1e-6


def test_slow_motion_decode_bursts_and_even_presentation_are_learned_and_kept():
    # Samsung's slow motion: four frames decoded within 27 ticks, then 11,973 ticks of nothing; presented every
    # 3,000 ticks. Counting one duration put the whole recording into a few milliseconds
    from mp4fix import timeline
    from mp4fix.codecs.base import Matcher
    from mp4fix.profile import Profile, TrackProfile
    from mp4fix.scan import TrackScan

    n = 64
    durations = np.resize(np.array([11973, 9, 9, 9]), n)
    durations[0] = 12000
    pos = np.arange(n)
    pos[1:] = np.resize(np.array([3, 1, 0, 2]), n - 1) + 4 * ((np.arange(1, n) - 1) // 4) + 1  # a cycle of B-frames
    dts = np.concatenate([[0], np.cumsum(durations)[:-1]])
    ctts = pos * 3000 + 9018 - dts
    track = TrackProfile(index=0, track_id=1, handler="vide", fourcc="avc1", timescale=90000, sample_entry=b"",
                         config={}, trak=b"", sizes=np.full(n, 100), durations=durations, ctts=ctts, keyframes=None,
                         offsets=np.arange(n) * 100, chunk_sizes=np.ones(n, dtype=np.int64))
    model = timeline.learn(Profile("", b"", b"", 1000, [track]), {0: pos})
    rh = model.rhythms[0]
    assert rh.constant and rh.present == 3000 and len(rh.cycle) == 4
    from array import array

    ts = TrackScan(track, Matcher(track), array("q", range(0, 100 * n, 100)), array("q", [100] * n),
                   array("b", [1] * n), array("q", [1] * n))
    times = timeline._counted(ts, rh, pos - np.arange(n))
    got_dts = np.concatenate([[0], np.cumsum(times.durations)[:-1]])
    assert np.array_equal(got_dts + times.ctts, dts + ctts)  # every frame presented where the recorder did


STILL_SCENES = {
    # not-coded MPEG-4 frames: the same bytes a second later (the time increment came round), audio between
    "mpeg4_still": ("mov", ["-f", "lavfi", "-i", "color=c=gray:size=320x240:rate=25", "-f", "lavfi", "-i",
                            "sine=frequency=440:sample_rate=48000", "-t", "8", "-c:v", "mpeg4", "-g", "300",
                            "-q:v", "5", "-c:a", "aac", "-b:a", "64k"]),
    # skipped H.264 pictures at the same place of each group of pictures, digital silence between them
    "avc_still_silent": ("mp4", ["-f", "lavfi", "-i", "color=c=gray:size=320x240:rate=30", "-f", "lavfi", "-i",
                                 "anullsrc=r=48000:cl=stereo", "-t", "8", "-c:v", "libx264", "-preset", "veryfast",
                                 "-g", "30", "-bf", "0", "-x264-params", "sliced-threads=0:lookahead-threads=1",
                                 "-c:a", "aac", "-b:a", "64k"]),
}


@pytest.mark.parametrize("name", sorted(STILL_SCENES))
def test_a_still_scene_repeating_itself_is_no_repeated_block(name, tmp_path):
    # a still scene codes the same frames again (and silence the same audio frames): they were taken for a block
    # the card wrote twice, and up to a quarter of a real recording's frames were left out
    ext, args = STILL_SCENES[name]
    original = MF.build_recipe(MF.Recipe(f"timeline_{name}", ext, tuple(args), name, 8))
    cut = oracle.read_movie(original).track("vide").offsets[-1]  # at a frame: no frame's end is in question
    broken = MF.cut(original, tmp_path / f"{name}.{ext}", cut)
    report = repair(broken, original, verify=False)
    assert not any("repeat data" in w for w in report.warnings), report.warnings
    counts = oracle.assert_same_samples(original, report.output, cut, offset_shift=0)
    assert counts and all(counts.values())
