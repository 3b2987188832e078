"""Does the reference fit? Never refused for damage, window edges or an unusual recording; always refused when
its settings differ.

Each refusal of a right reference that users met is a test that repairs here (zeros or random bytes in the
first megabytes, a cut at 95 % where a window ends inside a sample, media data of zeros, random data); each kind
of wrong reference is a test that refuses (other resolution, 4:4:4 for 4:2:0, another encoder's parameter
sets; HEVC for H.264 and another audio rate are in test_repair). A user who knows better overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import make_fixtures as MF
import oracle
from mp4fix import fit
from mp4fix.errors import MismatchError, NothingRecoveredError
from mp4fix.repair import repair

SETTINGS = dict(codec="h264", size="640x360", rate="30", bframes=2, gop=30, crf=14)
RECIPES = {
    # long enough for three evidence windows (over 12 MiB of media data)
    "fit_big": MF._recipe("fit_big", "mp4", video="testsrc2", audio="music1", seconds=14, **SETTINGS),
    "fit_big_ref": MF._recipe("fit_big_ref", "mp4", video="mandelbrot", audio="music2", seconds=3, **SETTINGS),
    # wrong references: the same camera family, other settings
    "fit_other_size_ref": MF._recipe("fit_other_size_ref", "mp4", video="mandelbrot", audio="music2", seconds=3,
                                     **{**SETTINGS, "size": "480x270"}),
    "fit_444_ref": MF._recipe("fit_444_ref", "mp4", video="mandelbrot", audio="music2", seconds=3,
                              extra=("-pix_fmt", "yuv444p"), **SETTINGS),
    "fit_baseline_ref": MF._recipe("fit_baseline_ref", "mp4", video="mandelbrot", audio="music2", seconds=3,
                                   extra=("-profile:v", "baseline"), **{**SETTINGS, "bframes": 0}),
}


def _build(name: str) -> Path:
    return MF.build_recipe(RECIPES[name])


def _broken(tmp_path: Path, frac: float = 0.9) -> tuple[Path, int, Path]:
    original = _build("fit_big")
    start, end = oracle.mdat_span(original)
    assert end - start > 3 * fit.WINDOW, "the recording must span three evidence windows"
    cut = start + int((end - start) * frac)
    return MF.cut(original, tmp_path / "fit_big.mp4", cut), cut, original


def _damage(path: Path, at: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(data)


def _exact_outside(original: Path, fixed: Path, cut: int, damaged: tuple[int, int]) -> None:
    """Every sample before the cut that the damage did not touch is back, at its offset, with its size."""
    orig, rep = oracle.read_movie(original), oracle.read_movie(fixed)
    for t, r in oracle._match_tracks(orig, rep):
        want = {(o, s) for o, s in zip(t.offsets, t.sizes)
                if o + s <= cut and (o + s <= damaged[0] or o >= damaged[1])}
        got = set(zip(r.offsets, r.sizes))
        assert want <= got, f"{t.handler}: {len(want - got)} undamaged samples lost"


@pytest.mark.parametrize("kind", ["zeros_4k", "random_64k"])
def test_damage_in_the_first_megabytes_does_not_refuse(kind, tmp_path):
    broken, cut, original = _broken(tmp_path)
    start = oracle.mdat_span(original)[0]
    at = start + 2_000_000
    size = 4096 if kind == "zeros_4k" else 65536
    data = bytes(size) if kind == "zeros_4k" else np.random.default_rng(3).bytes(size)
    _damage(broken, at, data)
    report = repair(broken, _build("fit_big_ref"), verify=False)
    _exact_outside(original, Path(report.output), cut, (at, at + size))


def test_cut_at_95_percent_with_its_own_original(tmp_path):
    broken, cut, original = _broken(tmp_path, 0.95)
    report = repair(broken, original, verify=False)
    counts = oracle.assert_same_samples(original, report.output, cut, offset_shift=0)
    assert all(counts.values())


def test_media_data_of_zeros_holds_no_recording(tmp_path):
    broken, cut, original = _broken(tmp_path, 0.5)
    start = oracle.mdat_span(original)[0]
    _damage(broken, start, bytes(cut - start))
    with pytest.raises(NothingRecoveredError, match="all zeros"):
        repair(broken, _build("fit_big_ref"))
    assert os.listdir(tmp_path) == [broken.name]


def test_random_media_data_is_no_recording_like_the_reference(tmp_path):
    broken, cut, original = _broken(tmp_path, 0.5)
    start = oracle.mdat_span(original)[0]
    _damage(broken, start, np.random.default_rng(1).bytes(cut - start))
    with pytest.raises(MismatchError, match="No audio or video like the reference's") as err:
        repair(broken, _build("fit_big_ref"))
    assert err.value.exit_code == 3
    assert os.listdir(tmp_path) == [broken.name]


@pytest.mark.parametrize("wrong", ["fit_other_size_ref", "fit_444_ref", "fit_baseline_ref"])
def test_reference_with_other_settings_is_refused(wrong, tmp_path):
    broken, _, _ = _broken(tmp_path)
    with pytest.raises(MismatchError, match="does not match"):
        repair(broken, _build(wrong))
    assert os.listdir(tmp_path) == [broken.name]


def test_a_user_who_knows_better_overrides_the_refusal(tmp_path):
    broken, _, _ = _broken(tmp_path)
    report = repair(broken, _build("fit_other_size_ref"), check_fit=False, verify=False)
    assert Path(report.output).exists()
