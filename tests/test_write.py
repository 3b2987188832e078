"""The writer and the table builder on the shapes real files take: 64-bit mdat headers, offsets past 4 GiB,
atomic output, cancellation, and never touching the input."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

from mp4fix import boxes, build
from mp4fix.errors import CancelledError, OutputError
from mp4fix.profile import TrackProfile
from mp4fix.source import MediaFile
from mp4fix.write import plan_layout, write_file

FTYP = struct.pack(">I", 20) + b"ftypisom\0\0\2\0isom"


def make_file(path, head: bytes, payload: bytes) -> None:
    path.write_bytes(head + payload)


def test_layout_keeps_offsets_with_32_bit_header(tmp_path):
    f = tmp_path / "a.mp4"
    make_file(f, FTYP + struct.pack(">I", 0) + b"mdat", b"x" * 100)
    with MediaFile(f) as mf:
        lay = plan_layout(mf, 20, 8, 128, None)
    assert lay.shift == 0 and lay.header == struct.pack(">I", 108) + b"mdat" and lay.head_end == 20


def test_layout_over_4_gib_grows_into_ffmpegs_wide_box(tmp_path):
    f = tmp_path / "a.mp4"
    make_file(f, FTYP + struct.pack(">I", 8) + b"wide" + struct.pack(">I", 0) + b"mdat", b"x" * 10)
    payload_end = 36 + (5 << 30)  # as if the recording held 5 GiB
    with MediaFile(f) as mf:
        lay = plan_layout(mf, 28, 8, payload_end, None)
    assert lay.shift == 0 and lay.head_end == 20
    assert lay.header == struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", (5 << 30) + 16)


def test_layout_over_4_gib_without_room_shifts_by_8(tmp_path):
    f = tmp_path / "a.mp4"
    make_file(f, FTYP + struct.pack(">I", 0) + b"mdat", b"x" * 10)
    with MediaFile(f) as mf:
        lay = plan_layout(mf, 20, 8, 28 + (5 << 30), None)
    assert lay.shift == 8 and len(lay.header) == 16


def test_layout_with_largesize_header_and_missing_ftyp(tmp_path):
    f = tmp_path / "a.mp4"
    make_file(f, struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 0), b"x" * 10)
    with MediaFile(f) as mf:
        lay = plan_layout(mf, 0, 16, 26, FTYP)
    assert lay.prefix == FTYP and lay.shift == len(FTYP) and lay.header[8:] == struct.pack(">Q", 26)


def test_write_is_byte_exact_and_atomic(tmp_path):
    f = tmp_path / "in.mp4"
    payload = os.urandom(300_000)
    make_file(f, FTYP + struct.pack(">I", 0) + b"mdat", payload)
    before = f.read_bytes()
    out = tmp_path / "out.mp4"
    with MediaFile(f) as mf:
        lay = plan_layout(mf, 20, 8, len(before), None)
        write_file(mf, lay, b"MOOV", out, overwrite=False)
    data = out.read_bytes()
    assert data == FTYP + struct.pack(">I", 8 + len(payload)) + b"mdat" + payload + b"MOOV"
    assert f.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["in.mp4", "out.mp4"]


def test_write_refuses_existing_output_and_the_input_itself(tmp_path):
    f = tmp_path / "in.mp4"
    make_file(f, FTYP + struct.pack(">I", 0) + b"mdat", b"x" * 100)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"precious")
    with MediaFile(f) as mf:
        lay = plan_layout(mf, 20, 8, 128, None)
        with pytest.raises(OutputError, match="already exists"):
            write_file(mf, lay, b"", out, overwrite=False)
        with pytest.raises(OutputError, match="broken file itself"):
            write_file(mf, lay, b"", f, overwrite=True)
    assert out.read_bytes() == b"precious"


def test_cancelled_write_leaves_nothing(tmp_path, monkeypatch):
    import mp4fix.write as w

    monkeypatch.setattr(w, "COPY_BLOCK", 4096)
    f = tmp_path / "in.mp4"
    make_file(f, FTYP + struct.pack(">I", 0) + b"mdat", os.urandom(100_000))
    calls = []
    with MediaFile(f) as mf:
        lay = plan_layout(mf, 20, 8, 100_028, None)
        with pytest.raises(CancelledError):
            write_file(mf, lay, b"MOOV", tmp_path / "out.mp4", overwrite=False,
                       cancelled=lambda: len(calls) > 3 or calls.append(1) is not None and False)
    assert sorted(os.listdir(tmp_path)) == ["in.mp4"]


def _track(**kw) -> TrackProfile:
    base = dict(index=0, track_id=1, handler="vide", fourcc="avc1", timescale=12800, sample_entry=b"", config={},
                trak=b"", sizes=np.zeros(0, np.int64), durations=np.full(3, 512), ctts=None, keyframes=None,
                offsets=np.zeros(0, np.int64), chunk_sizes=np.zeros(0, np.int64))
    base.update(kw)
    return TrackProfile(**base)


def test_tables_past_4_gib_use_co64_and_chunk_runs():
    offsets = np.array([100, 150, 2**32 + 10, 2**32 + 20, 2**33], dtype=np.int64)
    sizes = np.array([50, 30, 10, 5, 7], dtype=np.int64)
    tt = build.TrackTables(_track(), offsets, sizes, np.full(5, 512), None, np.array([1, 0, 0, 0, 1], bool))
    out = build.stbl_boxes(tt)
    assert "co64" in out and "stco" not in out
    assert boxes.table_rows(out["co64"], 1, ">u8")[:, 0].tolist() == [100, 2**32 + 10, 2**33]
    assert boxes.table_rows(out["stsc"], 3).tolist() == [[1, 2, 1], [3, 1, 1]]  # chunks of 2, 2, 1 samples
    assert boxes.table_rows(out["stss"], 1)[:, 0].tolist() == [1, 5]
    assert boxes.table_rows(out["stts"], 2).tolist() == [[5, 512]]


def test_edit_list_keeps_media_times_and_covers_the_recovered_span():
    t = _track(edit_list=[(1000, -1, 1.0), (90000, 1024, 1.0)], timescale=48000)
    tt = build.TrackTables(t, np.arange(10), np.ones(10, np.int64), np.full(10, 1024), None, np.ones(10, bool))
    elst = build.edit_list(tt, movie_ts=1000)
    assert elst[0] == (1000, -1, 1.0)
    assert elst[1][1] == 1024 and elst[1][0] == round((10 * 1024 - 1024) * 1000 / 48000)


def test_duration_widens_header_to_version_1():
    mdhd = boxes.Node("mdhd", payload=bytes(4) + struct.pack(">IIII", 1, 2, 90000, 5) + b"\x55\xc4\0\0")
    build._set_duration(mdhd, boxes.Mdhd, 2**33)
    parsed = boxes.Mdhd.parse(mdhd.payload)
    assert parsed.version == 1 and parsed.times.duration == 2**33 and parsed.times.timescale == 90000
