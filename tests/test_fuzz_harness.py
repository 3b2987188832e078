"""The fuzz harnesses of ``fuzzing/`` in CI: a bounded slice of each (about a minute), and a regression test for
every crash the long runs found (README "Fuzzing").

The slice runs the same targets as ``fuzzing/run.py``: Hypothesis drives the box walker with arbitrary bytes
and the parser cases with its own case numbers; the driver itself runs some parser cases in a worker under
its limits and a few whole repairs, each in its own process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mp4fix import codecs
from mp4fix.reference import learn_profile
from mp4fix.source import MediaFile

FUZZING = Path(__file__).resolve().parents[1] / "fuzzing"
sys.path.insert(0, str(FUZZING))

import run as driver  # noqa: E402
import targets  # noqa: E402

SLICE = settings(max_examples=int(os.environ.get("MP4FIX_FUZZ_EXAMPLES", "300")), deadline=None,
                 derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def seeds():
    return targets.load_seeds(targets.CI_REFERENCES)


@SLICE
@given(st.binary(max_size=600))
def test_box_walker_on_arbitrary_bytes(data):
    targets.target_boxes(data)


@SLICE
@given(st.binary(min_size=8, max_size=200), st.sampled_from([b"moov", b"trak", b"stbl", b"stsd", b"mdia"]))
def test_box_walker_on_boxes_with_arbitrary_payloads(payload, btype):
    targets.target_boxes(len(payload + b"12345678").to_bytes(4, "big") + btype + payload)


@SLICE
@given(st.integers(0, 10 ** 9))
def test_parser_cases(seeds, case):
    targets.run_parser_case(seeds, case, master=11)


def test_driver_parsers_slice(tmp_path):
    args = ["parsers", "--cases", "400", "--ci", "--master", "3", "--out", str(tmp_path / "findings"),
            "--case-seconds", "60"]
    assert driver.main(args) == 0, sorted(p.name for p in (tmp_path / "findings").iterdir())


def test_driver_repairs_slice(tmp_path, capsys):
    args = ["repairs", "--cases", "12", "--ci", "--master", "3", "--out", str(tmp_path / "findings"),
            "--scratch", str(tmp_path), "--case-seconds", "120"]
    code = driver.main(args)
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert code == 0, summary
    assert '"cases": 12' in summary
    assert [p.name for p in tmp_path.iterdir() if p.name != "findings"] == []


# --- regressions: each crash a long run found ------------------------------------------------------------


def test_hevc_access_unit_starting_with_a_later_slice(fixture_path):
    """parsers case 27157 (master 7): an access unit whose first slice segment is not its picture's first
    (first_slice_segment_in_pic_flag 0, a valid address) raised AttributeError in ``cut_start``."""
    path = fixture_path("hevc_aac48s_ref")
    profile = learn_profile(path)
    track = next(t for t in profile.tracks if t.fourcc in ("hvc1", "hev1"))
    with MediaFile(path, role="reference") as mf:
        matcher, _ = codecs.make_matcher(track, mf.data)
    # a 537-byte TRAIL_R NAL unit cut after 20 bytes: slice header 0x55 = first_slice 0, pps 0, address ...
    data = bytes.fromhex("0000021902015550b2d5d7d632a86c6c81042a6ffd3fe06a")
    assert matcher.clone().cut_start(data, 0, len(data)) is False
    assert matcher.clone().match(data, 0, len(data)) is None


def _box(btype: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + btype + payload


def test_fragment_with_a_base_offset_past_any_file():
    """fragments cases 92, 116, 367, 896, 934 (master 8): a tfhd base_data_offset near 2^64 overflowed numpy
    (OverflowError) instead of marking the fragment damaged."""
    from mp4fix import boxes, fragments
    from mp4fix.errors import BoxError

    tfhd = _box(b"tfhd", (0x1).to_bytes(4, "big") + (1).to_bytes(4, "big") + (2 ** 64 - 8).to_bytes(8, "big"))
    trun = _box(b"trun", (0x200).to_bytes(4, "big") + (2).to_bytes(4, "big") + (100).to_bytes(4, "big") * 2)
    moof = _box(b"moof", _box(b"mfhd", bytes(8)) + _box(b"traf", tfhd + trun))
    data = moof + _box(b"mdat", bytes(200))
    ref = next(boxes.walk(data))
    with pytest.raises(BoxError, match="outside the file"):
        fragments._read_moof(data, ref, {}, len(data))


def test_reference_whose_moov_ends_in_zero_padding(fixture_path, broken_file, tmp_path):
    """repairs case 5025 (master 7): a reference moov ending in zero bytes (a QuickTime terminator) kept them
    as a pseudo-box that the builder could not walk (StopIteration, "internal error")."""
    from mp4fix.repair import repair

    data = fixture_path("tiny").read_bytes()
    moov = data.rfind(b"moov") - 4
    assert moov + int.from_bytes(data[moov:moov + 4], "big") == len(data)  # the moov is last
    padded = data[:moov] + (len(data) - moov + 8).to_bytes(4, "big") + data[moov + 4:] + bytes(8)
    ref = tmp_path / "padded.mp4"
    ref.write_bytes(padded)
    broken, _ = broken_file("tiny", "mdat60")
    report = repair(broken, ref, verify=False)
    assert report.output and report.tracks
