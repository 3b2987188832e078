"""Classes of real devices' recordings (issue 8): every sample of every track exact, built for the class.

* H.264 access units that carry NAL units of an unspecified type after their picture (Dolby Vision 'dvav'
  writes its RPU as NAL unit type 28): learned from the reference and measured exactly, and an access unit
  whose data ends before that unit is incomplete.

Fixtures are ffmpeg recordings rewritten sample by sample (``test_real_layouts.remux``); the public real
recordings these classes were found in are used as extra checks when ``$MP4FIX_RW_EXTRA`` (default:
``../scratch/rw-extra`` beside the project) holds them, and skipped otherwise.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import make_fixtures as MF
import oracle
import pytest
from test_real_layouts import remux
from test_repair import check_repair

from mp4fix.repair import repair

EXTRA = Path(os.environ.get("MP4FIX_RW_EXTRA") or Path(__file__).resolve().parents[2] / "scratch" / "rw-extra")


# --- 1. H.264 with NAL units of an unspecified type after the picture (Dolby Vision RPU) -----------------------------


def with_rpu(sample: bytes) -> bytes:
    """An H.264 access unit with a Dolby-Vision-like RPU after its picture: a length-prefixed NAL unit of type 28
    (nal_ref_idc 3, as Dolby writes it) whose payload never holds a zero byte."""
    payload = bytes(b | 1 for b in hashlib.sha256(sample).digest()) * 2
    nal = bytes([0x7C]) + payload[:40 + sample[-1] % 24]
    return sample + len(nal).to_bytes(4, "big") + nal


def _rpu_files(folder: Path) -> tuple[Path, Path]:
    original = remux(MF.build("avc_bf_aac48s"), folder / "dvav.mp4", "vide", with_rpu)
    reference = remux(MF.build("avc_bf_aac48s_ref"), folder / "dvav_ref.mp4", "vide", with_rpu)
    return original, reference


def _video_sample_past_half(path: Path) -> tuple[int, int]:
    video = oracle.read_movie(path).track("vide")
    start, end = oracle.mdat_span(path)
    i = next(i for i, o in enumerate(video.offsets) if o >= (start + end) // 2)
    return video.offsets[i], video.sizes[i]


@pytest.mark.parametrize("cut_at", ["mid_sample", "before_rpu", "inside_rpu", "mdat90"])
def test_unspecified_nal_units_after_the_picture_are_measured(cut_at, tmp_path):
    """Before: "the reference's own video samples ('avc1') could not be measured (0 of N)" and no video at all."""
    original, reference = _rpu_files(tmp_path)
    offset, size = _video_sample_past_half(original)
    data = original.read_bytes()
    # the RPU is the sample's last NAL unit: walk the sample's units to find where it starts
    p, units = offset, []
    while p < offset + size:
        units.append(p)
        p += 4 + int.from_bytes(data[p:p + 4], "big")
    rpu_start = units[-1]
    assert data[rpu_start + 4] & 0x1F == 28
    cut = {"before_rpu": rpu_start, "inside_rpu": rpu_start + 20}.get(cut_at) or MF.cut_points(original)[cut_at]
    broken = MF.cut(original, tmp_path / "broken.mp4", cut)
    report = repair(broken, reference)
    check_repair(original, broken, cut, Path(report.output), report)
    if cut_at in ("before_rpu", "inside_rpu"):  # the picture whose RPU the cut broke is not indexed
        assert offset not in oracle.read_movie(report.output).track("vide").offsets
