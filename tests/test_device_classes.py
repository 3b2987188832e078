"""Classes of real devices' recordings (issue 8): every sample of every track exact, built for the class.

* H.264 access units that carry NAL units of an unspecified type after their picture (Dolby Vision 'dvav'
  writes its RPU as NAL unit type 28): learned from the reference and measured exactly, and an access unit
  whose data ends before that unit is incomplete.
* A recording of PCM only, written one large sample per chunk (Media3's muxer: 'sowt' samples of 0.1 s): the
  last complete sample before the cut is kept; and whenever more than one sample's worth of bytes at the cut
  could not be measured, the report does not say "complete".

Fixtures are ffmpeg recordings rewritten sample by sample (``test_real_layouts.remux``); the public real
recordings these classes were found in are used as extra checks when ``$MP4FIX_RW_EXTRA`` (default:
``../scratch/rw-extra`` beside the project) holds them, and skipped otherwise.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import make_fixtures as MF
import numpy as np
import oracle
import pytest
from test_real_layouts import _boxes, _edit_boxes, remux
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


# --- 7. PCM only, one large sample per chunk -------------------------------------------------------------------------

_PCM = MF.Recipe("dc_pcm_s16", "mov", ("-f", "lavfi", "-i", f"aevalsrc=exprs={MF.AUDIO['music1'](2)}:s=44100",
                                       "-t", "2", "-c:a", "pcm_s16le"), "pcm s16le stereo 44.1 kHz, 2 s, .mov", 2)


def media3_pcm(dst: Path, frames: int = 4410) -> Path:
    """ffmpeg's 16-bit stereo PCM recording ('sowt') indexed as Media3's muxer does it: one sample of ``frames``
    audio frames (17,640 bytes for 0.1 s) per chunk, back to back."""
    src = MF.build_recipe(_PCM)
    data = src.read_bytes()
    t = oracle.read_movie(src).track("soun")
    start, total = t.offsets[0], sum(t.sizes)
    assert t.offsets[-1] + t.sizes[-1] - start == total  # one run of bytes
    size = frames * 4
    n = total // size

    def edit(typ: bytes, box: bytes) -> bytes:
        if typ == b"stts":
            return struct.pack(">I4sIIII", 24, b"stts", 0, 1, n, frames)
        if typ == b"stsc":
            return struct.pack(">I4sIIIII", 28, b"stsc", 0, 1, 1, 1, 1)
        if typ == b"stsz":
            return struct.pack(">I4sIII", 20, b"stsz", 0, size, n)
        if typ == b"stco":
            offsets = np.arange(n, dtype=np.int64) * size + start
            return struct.pack(">I4sII", 16 + 4 * n, b"stco", 0, n) + offsets.astype(">u4").tobytes()
        return box

    out = b""
    for typ, pos, sz, _h in _boxes(data, 0, len(data)):
        out += _edit_boxes(data, pos, pos + sz, edit) if typ == b"moov" else data[pos:pos + sz]
    dst.write_bytes(out)
    return dst


@pytest.mark.parametrize("rest", [1, 8820, 17639])
def test_pcm_only_recording_keeps_its_last_complete_sample(rest, tmp_path):
    """Before: the last complete sample was dropped with the bytes after it, and the report said complete."""
    original = media3_pcm(tmp_path / "pcm.mov")
    t = oracle.read_movie(original).track("soun")
    assert t.count == 20 and set(t.sizes) == {17640}
    cut = t.offsets[12] + t.sizes[12] + rest  # 13 whole samples, then part of the next
    broken = MF.cut(original, tmp_path / "broken.mov", cut)
    report = repair(broken, original)
    fixed = oracle.read_movie(report.output).track("soun")
    assert (fixed.offsets, fixed.sizes) == (t.offsets[:13], t.sizes[:13])
    assert report.truncated_tail == rest and report.complete
    assert report.verify.ok, report.verify.log


def test_bytes_at_the_cut_longer_than_a_sample_are_not_called_complete(tmp_path):
    """An AAC recording whose last frames before the cut are unreadable: the frames before them come back, and
    the report does not say complete (before: exit 0, "complete", five frames silently gone). Zeros there are
    room the recorder never wrote: not a loss."""
    original, reference = MF.build("aac_voice_m4a"), MF.build("aac_voice_m4a_ref")
    t = oracle.read_movie(original).track("soun")
    cut = MF.cut_points(original)["mdat90"]
    last = max(k for k, o in enumerate(t.offsets) if o + t.sizes[k] <= cut)
    start = t.offsets[last - 4]
    for fill, lost in ((b"\x55", True), (b"\0", False)):
        data = bytearray(original.read_bytes()[:cut])
        data[start:cut] = fill * (cut - start)
        broken = tmp_path / "broken.m4a"
        broken.write_bytes(bytes(data))
        report = repair(broken, reference, overwrite=True)
        fixed = oracle.read_movie(report.output).track("soun")
        assert (fixed.offsets, fixed.sizes) == (t.offsets[:last - 4], t.sizes[:last - 4])
        assert report.truncated_tail == cut - start
        assert report.complete is not lost, report.warnings
        assert any("could be measured" in w for w in report.warnings) is lost
