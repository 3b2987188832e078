"""No probe copies more than a small bound, whatever length the data claims.

A matcher asked "does a sample start here?" at a position that merely looks like the start of a parameter set,
an SEI, a filler NAL unit, an OBU or a VOL header reads a length from what is really picture data, up to the
size of the file. Everything a probe copies, unescapes or caches must be bounded by what that structure can be
before it is copied (issue 10: 214 such probes copied 118 GB on a 1 GB recording and the repair ran out of
memory). Each probe below runs on a sparse file (no disk space, zero pages) whose first bytes claim a
structure hundreds of MiB long; the Python heap's peak during the probe (tracemalloc) must stay small.
"""

from __future__ import annotations

import mmap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import make_fixtures as MF
from mp4fix import codecs
from mp4fix.codecs.avc import AvcMatcher
from mp4fix.codecs.hevc import HevcMatcher
from mp4fix.codecs.nal import MEMO_BYTES, PARAMETER_SET_MAX, ParameterSetMemo
from mp4fix.reference import learn_profile
from mp4fix.scan import Scanner
from mp4fix.source import MediaFile

FILE_SIZE = 64 << 20  # sparse: costs no disk space
CLAIM = 48 << 20  # the length the crafted bytes claim (fits in the file: only a bound can stop the copy)
PEAK_LIMIT = 4 << 20  # what one probe may allocate at its peak (SEI_MAX copied and unescaped is 2 MiB)


def _sparse(tmp_path: Path, head: bytes, patches: dict[int, bytes] | None = None) -> Path:
    """A sparse file of FILE_SIZE bytes: ``head``, zeros, and ``patches`` (offset -> bytes)."""
    path = tmp_path / "crafted.bin"
    with open(path, "wb") as f:
        f.write(head)
        for offset, raw in (patches or {}).items():
            f.seek(offset)
            f.write(raw)
        f.truncate(FILE_SIZE)
    return path


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def _probe_all(matcher, path: Path, positions: list[int]) -> int:
    """The largest heap peak of ``match``, ``match_options`` and ``cut_start`` at each position."""
    worst = 0
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = len(data)
        for pos in positions:
            for call in (lambda: matcher.match(data, pos, end), lambda: matcher.match_options(data, pos, end),
                         lambda: matcher.cut_start(data, pos, end)):
                worst = max(worst, _peak(call))
    return worst


def _reference_matcher(name: str, handler: str = "vide"):
    ref = MF.build(name)
    profile = learn_profile(ref)
    track = next(t for t in profile.tracks if t.handler == handler)
    with MediaFile(ref, role="reference") as mf:
        m, why = codecs.make_matcher(track, mf.data)
        assert m is not None, why
        first = bytes(mf.data[int(track.offsets[0]):int(track.offsets[0]) + int(track.sizes[0])])
    return m.clone(), first


def _nal4(n: int, header: bytes, body: bytes = b"") -> bytes:
    return n.to_bytes(4, "big") + header + body


def _cases(units: list[bytes], step: int = 1 << 20) -> tuple[bytes, list[int]]:
    """The crafted units laid out ``step`` bytes apart (zeros between), and where each begins."""
    head = bytearray()
    positions = []
    for u in units:
        positions.append(len(head))
        head += u + bytes(step - len(u))
    return bytes(head), positions


# --- H.264 -----------------------------------------------------------------------------------------------------


def _avc_units(first_sample: bytes) -> list[bytes]:
    # an SPS, PPS, SEI and SPS extension each claiming CLAIM bytes; a real access unit followed by a filler NAL
    # unit of CLAIM bytes (inside the data: ``match`` checks it) and by one that runs past the end of the data
    # (the cut: ``_continues`` checks it)
    return [
        _nal4(CLAIM, b"\x67", b"\x64\x00\x1f\xac"),
        _nal4(CLAIM, b"\x68", b"\xee\x3c\x80"),
        _nal4(3 << 20, b"\x06", b"\x05\xff\xff\xff"),  # an SEI (3 MiB: its walk is slow without the bound)
        _nal4(CLAIM, b"\x6d", b"\x80"),
        first_sample + _nal4(CLAIM, b"\x0c", b"\xff" * 64),
        first_sample + _nal4(FILE_SIZE, b"\x0c", b"\xff" * 64),
        first_sample + _nal4(3 << 20, b"\x06", b"\x06\x01\xc4\x80"),
    ]


def test_avc_probes_copy_a_bounded_amount(tmp_path):
    m, first = _reference_matcher("tiny")
    assert isinstance(m, AvcMatcher) and m.length_size == 4
    units = _avc_units(first)
    head, positions = _cases(units)
    # the claimed end of each filler NAL unit (4 length bytes + CLAIM after the sample) holds its trailing bits
    ends = {p + len(first) + 4 + CLAIM - 1: b"\x80" for p, u in zip(positions, units) if u.startswith(first)
            and p + len(first) + 4 + CLAIM <= FILE_SIZE}
    path = _sparse(tmp_path, head, ends)
    assert _probe_all(m, path, positions) < PEAK_LIMIT


def test_avc_filler_is_still_checked_whole(tmp_path):
    """The bounded filler check reads every byte: 0xFF up to the trailing bits, and nothing else."""
    m, first = _reference_matcher("tiny")
    n = (3 << 16) + 5  # longer than one chunk of the check
    good = first + _nal4(n, b"\x0c", b"\xff" * (n - 2) + b"\x80")
    bad = bytearray(good)
    bad[len(first) + 5 + (1 << 16) + 7] = 0xFE  # one byte in the second chunk
    for blob, size in ((good, len(good)), (bytes(bad), len(first))):
        data = blob + bytes(64)
        got = m.match(data, 0, len(blob))
        assert got is not None and got.size == size


# --- HEVC --------------------------------------------------------------------------------------------------------


def test_hevc_probes_copy_a_bounded_amount(tmp_path):
    m, first = _reference_matcher("hevc_aac48s_ref")
    assert isinstance(m, HevcMatcher) and m.length_size == 4
    units = [_nal4(CLAIM, bytes((t << 1, 1)), b"\x01\x01\x60\x00") for t in (32, 33, 34, 39, 40)]
    units += [_nal4(3 << 20, b"\x4e\x01", b"\x05\xff\xff")]  # a prefix SEI of 3 MiB
    units += [first + _nal4(CLAIM, b"\x4c\x01", b"\xff" * 64),  # filler data (FD_NUT) after a picture
              first + _nal4(CLAIM, b"\x50\x01", b"\x05\xff\xff")]  # a suffix SEI
    head, positions = _cases(units)
    ends = {p + len(first) + 4 + CLAIM - 1: b"\x80" for p, u in zip(positions, units) if u.startswith(first)
            and p + len(first) + 4 + CLAIM <= FILE_SIZE}
    path = _sparse(tmp_path, head, ends)
    assert _probe_all(m, path, positions) < PEAK_LIMIT


# --- AV1, MPEG-4 Part 2 ------------------------------------------------------------------------------------------


def _leb128(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _video_recipe(name: str) -> Path:
    import test_codecs_video as V

    return MF.build_recipe(V.RECIPES[name])


def test_av1_probes_copy_a_bounded_amount(tmp_path):
    ref = _video_recipe("vid_aom_aac_ref")
    track = next(t for t in learn_profile(ref).tracks if t.handler == "vide")
    m = codecs.matcher_class(track.fourcc)(track)
    assert m.seq is not None
    units = [
        b"\x0a" + _leb128(CLAIM) + b"\x00\x00\x00",  # a sequence header
        b"\x12\x00" + b"\x0a" + _leb128(CLAIM) + b"\x00\x00",  # a temporal delimiter, then one
        b"\x1a" + _leb128(CLAIM) + b"\x10\x00\x00",  # a frame header
    ]
    head, positions = _cases(units)
    assert _probe_all(m, _sparse(tmp_path, head), positions) < PEAK_LIMIT


def test_mpeg4_vol_probe_copies_a_bounded_amount(tmp_path):
    ref = _video_recipe("vid_mpeg4_aac_ref")
    track = next(t for t in learn_profile(ref).tracks if t.handler == "vide")
    m = codecs.matcher_class(track.fourcc)(track)  # not taught: every start code may begin a sample
    units = [b"\x00\x00\x01\x20" + b"\x88" * 32, b"\x00\x00\x01\xb0\x01\x00\x00\x01\x20" + b"\x88" * 32]
    head, positions = _cases(units, step=20 << 20)  # no start code for 20 MiB after each
    assert _probe_all(m, _sparse(tmp_path, head), positions) < PEAK_LIMIT


# --- the caches, and a whole scan over look-alikes -----------------------------------------------------------------


def test_parameter_set_memo_is_bounded_in_bytes():
    memo = ParameterSetMemo()
    memo.pin(b"pinned", 1)
    for i in range(4 * MEMO_BYTES // PARAMETER_SET_MAX):
        memo[i.to_bytes(4, "big") * (PARAMETER_SET_MAX // 4)] = i
        assert memo.bytes_held <= MEMO_BYTES + len(b"pinned")
    assert memo[b"pinned"] == 1  # the sample entry's own sets survive
    memo[b"\0" * (2 * MEMO_BYTES)] = 0  # larger than the whole budget: not kept
    assert b"\0" * (2 * MEMO_BYTES) not in memo


def test_scan_over_parameter_set_look_alikes_stays_flat(tmp_path):
    """A scan whose data is full of positions that look like huge SPS/PPS/SEI NAL units allocates little."""
    m, first = _reference_matcher("tiny")
    rng = np.random.default_rng(7)
    junk = bytearray(rng.integers(0, 256, 2 << 20, dtype=np.uint8).tobytes())
    for k, off in enumerate(range(1000, len(junk) - 16, 64 << 10)):
        junk[off:off + 5] = _nal4((64 << 20) + k, bytes((0x67, 0x68, 0x06)[k % 3:k % 3 + 1]))
    head = first + bytes(junk) + first
    path = _sparse(tmp_path, head)
    profile = learn_profile(MF.build("tiny"))
    video = next(i for i, t in enumerate(profile.tracks) if t.handler == "vide")
    matchers = [m if i == video else None for i in range(len(profile.tracks))]
    with MediaFile(path) as mf:
        scanner = Scanner(mf.data, mf.arr, profile, matchers)
        result = {}
        peak = _peak(lambda: result.setdefault("r", scanner.run(0, len(head))))
    found = result["r"].tracks[video]
    assert list(found.offsets[:1]) == [0] and len(head) - len(first) in found.offsets
    assert peak < 16 << 20


# --- the input's pages: released behind the scan ---------------------------------------------------------------


def _rss_file() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssFile:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def test_pages_behind_the_scan_are_released(tmp_path):
    """Reading a mapped file from start to end keeps only a window of it resident when ``release_behind`` is
    called as the position advances (file-backed pages count in what a task manager shows)."""
    from mp4fix import source

    if _rss_file() is None or source._DONTNEED is None:
        pytest.skip("needs /proc and madvise")
    size = 160 << 20
    path = tmp_path / "long.bin"
    with open(path, "wb") as f:
        block = bytes(range(256)) * 4096  # 1 MiB, not zero: real page-cache pages
        for _ in range(size >> 20):
            f.write(block)
    window = source.RELEASE_KEEP + source.RELEASE_STEP + (8 << 20)

    def scan(release: bool) -> int:
        worst = 0
        with MediaFile(path) as mf:
            base = _rss_file()
            for pos in range(0, size, 1 << 20):
                int(mf.arr[pos:pos + (1 << 20):4096].sum())  # touch every page of this MiB
                if release:
                    mf.release_behind(pos)
                worst = max(worst, _rss_file() - base)
        return worst

    assert scan(release=True) < window
    assert scan(release=False) > size - (16 << 20)  # without it the whole file stays resident


def test_a_nal_unit_longer_than_any_picture_is_not_believed(tmp_path):
    """A slice whose length field claims 100 MiB (its header parses: only the length is wrong) is not walked
    over: believing it would send the walk, and the pages it maps, 100 MiB ahead, and would make all of it one
    sample (a damaged 60-minute recording lost a quarter of its samples to two such look-alikes: issue 10).
    The bound is what the stream's level allows an access unit to hold."""
    from mp4fix.codecs.nal import level_limit, nal_limit

    m, first = _reference_matcher("tiny")
    # 160x120 at level 1.1: a coded picture buffer of 500 kbit, 300 kB with any profile's NAL factor
    assert m.config.level == 11 and m.max_nal == nal_limit(m.track, level_limit("avc", 11)) == 300_000
    # the sample's NAL units; the last one is its picture's slice
    p, units = 0, []
    while p < len(first):
        n = int.from_bytes(first[p:p + 4], "big")
        units.append((p, n))
        p += 4 + n
    last, n = units[-1]
    claim = 100 << 20
    crafted = first[:last] + claim.to_bytes(4, "big") + first[last + 4:]
    path = tmp_path / "claim.bin"
    with open(path, "wb") as f:
        f.write(crafted)
        f.truncate(128 << 20)
    with MediaFile(path) as mf:
        got = m.match(mf.data, 0, mf.size)
        assert got is None or got.size <= last


def test_uncompressed_audio_tables_hold_runs_not_frames(fixture_path, broken_file):
    """An hour of 48 kHz PCM is 173 million frames: the rebuilt tables keep one entry per chunk (one sample size,
    run-length durations), never a row per frame (5 million frames took 440 MiB before)."""
    from mp4fix import repair as R
    from mp4fix.scan import Scanner
    from mp4fix.source import MediaFile

    broken, cut = broken_file("avc_pcm_mov", "mdat90")
    p = R.plan(broken, fixture_path("avc_pcm_mov_ref"), check_fit=False)
    with MediaFile(broken) as mf:
        result = Scanner(mf.data, mf.arr, p.profile, R._fresh(p)).run(p.diagnosis.mdat_start, p.diagnosis.mdat_end)
        peak = _peak(lambda: R._assemble(mf, p, result))
        _layout, moov, built, _times = R._assemble(mf, p, result)
    pcm = next(tt for tt in built if tt.track.kind == "audio")
    assert pcm.samples > 100_000 and len(pcm.offsets) < 1_000
    assert peak < 16 << 20
    stsz = moov.find(b"stsz", moov.find(b"sowt"))
    assert int.from_bytes(moov[stsz + 8:stsz + 12], "big") == 4  # one sample size for every frame, no table
