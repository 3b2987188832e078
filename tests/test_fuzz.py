"""Damaged input never escapes as a traceback: only mp4fix's own errors, each a sentence, and never a hang.

Hypothesis mutates small real files (flipped bytes, cuts, inserted garbage, corrupted index boxes) and runs
the public entry points on them.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mp4fix.diagnose import diagnose
from mp4fix.errors import Mp4fixError
from mp4fix.reference import learn_profile
from mp4fix.repair import repair

FUZZ = settings(max_examples=int(__import__("os").environ.get("MP4FIX_FUZZ_EXAMPLES", "25")), deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def media(fixture_path):
    original = fixture_path("tiny")
    data = original.read_bytes()
    moov = data.rfind(b"moov") - 4
    return {"data": data, "moov": moov, "reference": fixture_path("tiny")}


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: float, insert: bytes, at: float) -> bytes:
    b = bytearray(data)
    for pos, value in edits:
        b[pos % len(b)] = value
    b = b[:max(1, int(len(b) * cut))]
    i = int(len(b) * at)
    return bytes(b[:i] + insert + b[i:])


edits = st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 255)), max_size=40)


@FUZZ
@given(edits=edits, cut=st.floats(0.05, 0.95), insert=st.binary(max_size=300), at=st.floats(0, 1))
def test_damaged_broken_file(media, tmp_path_factory, edits, cut, insert, at):
    folder = tmp_path_factory.mktemp("fuzz")
    broken = folder / "broken.mp4"
    broken.write_bytes(_mutate(media["data"][:media["moov"]], edits, cut, insert, at))
    try:
        diagnose(broken)
        report = repair(broken, media["reference"], verify=False)
    except Mp4fixError as exc:
        assert str(exc) and "\n" not in str(exc).strip()
    else:
        assert report.output and (folder / "broken_fixed.mp4").exists()


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 255)), min_size=1, max_size=20))
def test_damaged_index_in_reference(media, tmp_path_factory, edits):
    """Corrupt bytes inside the reference's moov (sizes, counts, offsets)."""
    data = bytearray(media["data"])
    moov, span = media["moov"], len(data) - media["moov"]
    for pos, value in edits:
        data[moov + pos % span] = value
    ref = tmp_path_factory.mktemp("fuzzref") / "ref.mp4"
    ref.write_bytes(bytes(data))
    try:
        learn_profile(ref)
    except Mp4fixError as exc:
        assert str(exc)


@pytest.mark.parametrize("content", [b"", b"\0" * 100, b"ftyp" * 10, b"\x00\x00\x00\x08mdat",
                                     b"\x00\x00\x00\x00mdat" + bytes(1000), b"\x00\x00\x00\x01mdat" + bytes(8)])
def test_degenerate_files(tmp_path, fixture_path, content):
    broken = tmp_path / "x.mp4"
    broken.write_bytes(content)
    with pytest.raises(Mp4fixError):
        repair(broken, fixture_path("tiny"), verify=False)
