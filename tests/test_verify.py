"""mp4fix.verify: the decode check of a repaired file, whole or proportionate, against the real ffmpeg.

The proportionate check decodes every audio sample and video GOPs at spread keyframes (the first, the last and
some between), each stretch an input of one ffmpeg process seeking to its keyframe. These tests check the plan
against the file's own index read by the independent reader (tests/oracle.py), that damage inside a checked
GOP (or in any audio sample) is found, that the report says what was covered, and that cancelling stops it.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

import oracle
from mp4fix import fftools, verify
from mp4fix.errors import CancelledError
from mp4fix.progress import CancelToken
from mp4fix.report import VerifyResult


@pytest.fixture(scope="module")
def tiny(fixture_path) -> Path:
    return fixture_path("tiny")


def _corrupt(src: Path, dst: Path, n: int = 300, seed: int = 7) -> Path:
    data = bytearray(src.read_bytes())
    start, end = oracle.mdat_span(src)
    rnd = random.Random(seed)
    for _ in range(n):
        p = rnd.randrange(start + 64, end - 16)
        data[p:p + 8] = bytes(rnd.randrange(256) for _ in range(8))
    dst.write_bytes(bytes(data))
    return dst


def _damage_sample(src: Path, dst: Path, handler: str, index: int) -> Path:
    """A copy with one sample overwritten by random bytes (for video, NAL unit lengths included: damaged slice
    data alone is concealed by the decoder with a warning, a broken NAL unit stream is an error)."""
    track = oracle.read_movie(src).track(handler)
    off, size = track.offsets[index], track.sizes[index]
    data = bytearray(src.read_bytes())
    rnd = random.Random(index)
    data[off:off + size] = bytes(rnd.randrange(256) for _ in range(size))
    dst.write_bytes(bytes(data))
    return dst


def _gops(path: Path) -> list[tuple[int, int]]:
    """(first sample, end) of each GOP of the video track, from the independent reader."""
    v = oracle.read_movie(path).track("vide")
    keys = [i for i, k in enumerate(v.keyframes) if k]
    return list(zip(keys, keys[1:] + [v.count]))


# --- the whole decode ------------------------------------------------------------------------------------


def test_full_check_good(fixture_path):
    path = fixture_path("avc_bf_aac48s_mov")
    seen: list[float] = []
    res = verify.decode_check(path, full=True, progress=seen.append)
    assert isinstance(res, VerifyResult)
    assert res.ok and res.decode_errors == 0 and res.mode == "full"
    assert res.coverage == "every audio and video sample" and res.frames_checked == res.frames_total == 899
    assert res.duration == pytest.approx(30.0, abs=0.2)
    assert seen and seen[-1] == 1.0
    assert seen == sorted(seen) and all(0.0 <= f <= 1.0 for f in seen)


def test_full_check_corrupted(tiny, tmp_path):
    bad = _corrupt(tiny, tmp_path / "bad.mp4")
    res = verify.decode_check(bad, full=True)
    assert not res.ok
    assert res.decode_errors > 0
    assert "[error]" in res.log
    assert res.duration and res.duration > 1.0  # it decodes through the damage


def test_check_of_truncated_and_missing_files(tiny, tmp_path):
    import make_fixtures

    cut = make_fixtures.cut(tiny, tmp_path / "cut.mp4", make_fixtures.cut_points(tiny)["mdat90"])
    for full in (True, False):
        res = verify.decode_check(cut, full=full)
        assert not res.ok and res.decode_errors >= 1 and res.duration is None
        assert "moov atom not found" in res.log
        res = verify.decode_check(tmp_path / "missing.mp4", full=full)
        assert not res.ok and res.decode_errors >= 1


def test_check_log_is_trimmed(tiny, tmp_path):
    bad = _corrupt(tiny, tmp_path / "bad.mp4", n=3000, seed=1)
    res = verify.decode_check(bad, full=True)
    assert res.decode_errors > 0
    assert res.log.count("\n") <= fftools._LOG_HEAD + fftools._LOG_TAIL + 2


# --- the proportionate check -------------------------------------------------------------------------------


def test_plan_seeks_inside_the_chosen_gops(fixture_path):
    """Each stretch's seek target lies inside its GOP (so ffmpeg lands on that GOP's keyframe) and its end
    reaches the GOP's last frame; the first and the last GOP are always among them."""
    path = fixture_path("avc_bf_aac48s_mov")
    movie = oracle.read_movie(path)
    v = movie.track("vide")
    plan = verify.plan_check(path)
    assert not plan.full and plan.has_audio and plan.gops == len(_gops(path)) == 30
    gops = _gops(path)
    # the reader's presentation times, with the edit list's media start taken off
    shift = next((m for _d, m, _r in v.edits if m >= 0), 0)
    pts = [(p - shift) / v.timescale for p in v.pts]
    starts = [min(pts[a:b]) for a, b in gops]
    chosen = []
    for s in plan.stretches:
        g = max(i for i, t in enumerate(starts) if t <= s.start + 1e-6) if s.start > 0 else 0
        a, b = gops[g]
        assert s.frames == b - a
        if s.duration is not None:
            assert s.start + s.duration >= max(pts[a:b]) - 1e-6
            assert g + 1 == len(gops) or s.start + s.duration < starts[g + 1] + 1.0 / 29.97
        chosen.append(g)
    assert chosen[0] == 0 and chosen[-1] == len(gops) - 1 and len(set(chosen)) == len(chosen) >= 4
    assert plan.checked_frames == sum(b - a for g, (a, b) in enumerate(gops) if g in chosen) < v.count


def test_sampled_check_says_what_it_covered(fixture_path):
    path = fixture_path("avc_bf_aac48s_mov")
    res = verify.decode_check(path, full=False)
    assert res.ok and res.mode == "sampled"
    assert res.coverage.startswith("every audio sample; video from 4 of 30 keyframes, the first, the last and 2 ")
    assert 0 < res.frames_checked < res.frames_total == 899


@pytest.mark.parametrize("where", ["first", "last", "spread"])
def test_sampled_check_finds_damage_in_a_checked_gop(fixture_path, tmp_path, where):
    path = fixture_path("avc_bf_aac48s_mov")
    plan = verify.plan_check(path)
    gops = _gops(path)
    frames = [s.frames for s in plan.stretches]
    g = {"first": 0, "last": len(gops) - 1,
         "spread": next(i for i, (a, b) in enumerate(gops) if 0 < i < len(gops) - 1 and
                        any(abs(s.start - 0) > 0 and s.frames == b - a for s in plan.stretches[1:-1]))}[where]
    assert gops[g][1] - gops[g][0] in frames
    if where == "spread":  # the keyframe of the first spread stretch's GOP
        target = plan.stretches[1].start
        movie = oracle.read_movie(path)
        v = movie.track("vide")
        shift = next((m for _d, m, _r in v.edits if m >= 0), 0)
        pts = [(p - shift) / v.timescale for p in v.pts]
        g = max(i for i, (a, _b) in enumerate(gops) if pts[a] <= target + 1e-6)
    bad = _damage_sample(path, tmp_path / "bad.mov", "vide", gops[g][0])
    res = verify.decode_check(bad, full=False)
    assert not res.ok and res.decode_errors > 0, res.log


def test_sampled_check_decodes_every_audio_sample(fixture_path, tmp_path):
    path = fixture_path("avc_bf_aac48s_mov")
    a = oracle.read_movie(path).track("soun")
    bad = _damage_sample(path, tmp_path / "bad.mov", "soun", a.count // 2)
    assert not verify.decode_check(bad, full=False).ok


def test_sampled_check_skips_what_it_says_it_skips(fixture_path, tmp_path):
    """Damage in a GOP the plan leaves out is not seen by the proportionate check, and is by the whole one:
    the check is really proportionate, and ``--full-check`` is what finds everything."""
    path = fixture_path("avc_bf_aac48s_mov")
    plan = verify.plan_check(path)
    gops = _gops(path)
    checked = {s.frames for s in plan.stretches}
    assert checked  # (GOPs have equal lengths here: pick one by position instead)
    v = oracle.read_movie(path).track("vide")
    shift = next((m for _d, m, _r in v.edits if m >= 0), 0)
    pts = [(p - shift) / v.timescale for p in v.pts]
    chosen = {max(i for i, (a, _b) in enumerate(gops) if pts[a] <= s.start + 1e-6) for s in plan.stretches}
    g = next(i for i in range(len(gops)) if i not in chosen and i - 1 not in chosen and i + 1 not in chosen)
    bad = _damage_sample(path, tmp_path / "bad.mov", "vide", gops[g][0])
    assert verify.decode_check(bad, full=False).ok
    assert not verify.decode_check(bad, full=True).ok


def test_short_files_and_files_without_video_are_checked_whole(tiny, fixture_path):
    assert verify.plan_check(tiny).full  # 3 GOPs
    m4a = verify.plan_check(fixture_path("aac_voice_m4a"))
    assert m4a.full and m4a.has_audio and not m4a.has_video
    res = verify.decode_check(fixture_path("aac_voice_m4a"), full=False)
    assert res.ok and res.mode == "full"


@pytest.mark.parametrize("full", [True, False])
def test_check_cancel_stops_quickly(fixture_path, full):
    path = fixture_path("avc_bf_aac48s_mov")
    token = CancelToken()
    t0 = time.monotonic()
    with pytest.raises(CancelledError):
        verify.decode_check(path, full=full, cancel=token, progress=lambda f: token.cancel())
    assert time.monotonic() - t0 < 2.0
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        verify.decode_check(path, full=full, cancel=token)


def test_verify_stage_removes_the_output_when_cancelled(fixture_path, tmp_copy):
    out = tmp_copy(fixture_path("avc_bf_aac48s_mov"))
    token = CancelToken()
    with pytest.raises(CancelledError):
        verify.verify(out, cancel=token, progress=lambda f: token.cancel())
    assert not out.exists()


def test_cancel_as_the_decode_finishes_is_still_a_cancel(fixture_path, tmp_copy):
    # a cancel that arrives with the last progress line (ffmpeg already done) was lost: the output stayed
    out = tmp_copy(fixture_path("avc_bf_aac48s_mov"))
    token = CancelToken()
    with pytest.raises(CancelledError):
        verify.verify(out, cancel=token, progress=lambda f: f >= 1.0 and token.cancel())
    assert not out.exists()
