"""The media factory and the oracles: deterministic recipes, reference twins that share codec parameters,
an independent sample-table reader that agrees with ffmpeg, cut points, killed recordings."""

from __future__ import annotations

import os
import struct
import sys
import zlib
from pathlib import Path

import pytest

import make_fixtures as mf
import oracle
from mp4fix import fftools

# the standard pairs (one H.264/HEVC track + at most one AAC track); layout recipes (several audio tracks,
# audio only) are checked by the repair tests that use them
STANDARD = {n: r for n, r in mf.RECIPES.items() if not r.settings.get("layout")}
RECORDINGS = sorted(n for n, r in STANDARD.items() if r.twin and not n.endswith("_ref"))
ALL = sorted(STANDARD)


def _settings(name: str) -> dict:
    return mf.RECIPES[name].settings


# --- every recipe ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_recipe_makes_what_it_says(fixture_path, name):
    path = fixture_path(name)
    s = _settings(name)
    info = fftools.probe(path)
    assert info.ok, info.error
    assert path.suffix == "." + mf.RECIPES[name].ext
    assert info.duration == pytest.approx(mf.RECIPES[name].seconds, abs=0.15)
    v = info.video[0]
    assert v.codec == s["codec"] and v.codec_tag == ("avc1" if s["codec"] == "h264" else "hvc1")
    assert f"{v.width}x{v.height}" == s["size"]
    num, _, den = s["rate"].partition("/")
    assert v.fps == pytest.approx(float(num) / float(den or 1), abs=0.01)
    if "arate" in s:
        a = info.audio[0]
        assert (a.codec, a.profile, a.sample_rate, a.channels) == ("aac", "LC", s["arate"], s["channels"])
    else:
        assert not info.audio
    # moov at the end (ffmpeg's default), as a camera writes it: cutting the file loses the index
    types = [b.type for b in oracle.top_level_boxes(path)]
    assert types.index("mdat") < types.index("moov")


@pytest.mark.parametrize("name", ALL)
def test_independent_reader_agrees_with_ffmpeg(fixture_path, name):
    path = fixture_path(name)
    movie = oracle.read_movie(path)
    assert oracle.compare_with_ffmpeg(path, movie) == []
    v = movie.track("vide")
    assert v.count > 0 and v.keyframes[0]
    start, end = oracle.mdat_span(path)
    for t in movie.tracks:
        assert all(start <= o and o + s <= end for o, s in zip(t.offsets, t.sizes))
    # samples never overlap and cover the mdat: chunks of different tracks interleave
    spans = sorted((o, o + s) for t in movie.tracks for o, s in zip(t.offsets, t.sizes))
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert sum(e - s for s, e in spans) == end - start


@pytest.mark.parametrize("name", ALL)
def test_real_inter_frames(fixture_path, name):
    """x264/x265 made real P (and B) frames, AAC frames vary in size (real content, not silence)."""
    movie = oracle.read_movie(fixture_path(name))
    s = _settings(name)
    v = movie.track("vide")
    assert 1 <= sum(v.keyframes) < v.count // 5
    assert any(v.cts) == (s["bframes"] > 0)  # B-frames <=> composition offsets
    if s["bframes"]:
        assert sorted(v.pts) != v.pts  # presentation order differs from decode order
    if "arate" in s:
        a = movie.track("soun")
        assert len(set(a.sizes)) >= 20  # not a constant (silent) stream
        assert a.durations[1:-1] == [1024] * (a.count - 2)


# --- determinism and caching -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tiny", "hevc_nobf_aac44m_mov_ref"])
def test_factory_is_deterministic(fixture_path, tmp_path, monkeypatch, name):
    cached = fixture_path(name)
    monkeypatch.setenv("MP4FIX_FIXTURE_CACHE", str(tmp_path / "fresh"))
    again = mf.build(name)
    assert again != cached and again.parent.name == cached.parent.name  # same key, other root
    assert oracle.file_md5(again) == oracle.file_md5(cached)


def test_cache_key_covers_recipe_and_ffmpeg(monkeypatch):
    r = mf.RECIPES["tiny"]
    key = r.key
    other = mf.Recipe(r.name, r.ext, r.args + ("-metadata", "title=x"), r.description, r.seconds)
    assert other.key != key
    monkeypatch.setitem(mf._VERSION, mf.ffmpeg(), "ffmpeg version 0.0-test")
    assert r.key != key


def test_cli_list(capsys):
    assert mf.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in mf.RECIPES:
        assert name in out


# --- reference twins ---------------------------------------------------------------------------------


def _options_in(data: bytes) -> bytes | None:
    i = data.find(b"options: ")
    if i < 0:
        return None
    j = i
    while j < len(data) and 0x20 <= data[j] < 0x7F:
        j += 1
    return data[i:j]


def _x264_options(path: Path, track: oracle.TrackTable) -> bytes | None:
    """The settings string x264 writes in an SEI of the first sample ('options: cabac=1 ref=...')."""
    return _options_in(next(oracle.sample_bytes(path, track, [0])))


@pytest.mark.parametrize("name", RECORDINGS)
def test_reference_twin_shares_codec_parameters(fixture_path, name):
    ref_name = mf.RECIPES[name].twin
    a_path, b_path = fixture_path(name), fixture_path(ref_name)
    a, b = oracle.read_movie(a_path), oracle.read_movie(b_path)
    assert [(t.handler, t.fourcc, t.timescale) for t in a.tracks] == [(t.handler, t.fourcc, t.timescale) for t in b.tracks]
    va, vb = a.track("vide"), b.track("vide")
    cfg = "avcC" if va.fourcc == "avc1" else "hvcC"
    # same settings and resolution -> byte-identical avcC/hvcC (SPS, PPS, and for x265 VPS + its SEI)
    assert va.config[cfg] == vb.config[cfg]
    sets = oracle.parameter_sets(cfg, va.config[cfg])
    assert sets["sps"] and sets["pps"]
    assert (va.width, va.height) == (vb.width, vb.height)
    if cfg == "avcC":
        assert _x264_options(a_path, va) == _x264_options(b_path, vb) is not None
    if "arate" in _settings(name):
        sa, sb = a.track("soun"), b.track("soun")
        # the esds differ only in the bitrate fields; the AudioSpecificConfig is the same
        assert oracle.audio_specific_config(sa.config["esds"]) == oracle.audio_specific_config(sb.config["esds"])
        assert (sa.sample_rate, sa.channels) == (sb.sample_rate, sb.channels)
        assert sa.durations[:50] == sb.durations[:50]
    # ... but different content
    assert va.sizes[:30] != vb.sizes[:30]
    first = lambda p, t: zlib.crc32(next(oracle.sample_bytes(p, t, [1])))  # noqa: E731
    assert first(a_path, va) != first(b_path, vb)


# --- cut points --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["avc_bf_aac48s", "hevc_nobf_aac44m_mov"])
def test_cut_points(fixture_path, tmp_path, name):
    path = fixture_path(name)
    start, end = oracle.mdat_span(path)
    pts = mf.cut_points(path)
    assert start == pts["mdat_start"] < pts["first_sample_partial"] < pts["mdat30"] < pts["mdat60"] < pts["mdat90"] < end
    movie = oracle.read_movie(path)
    v = movie.track("vide")
    i = v.offsets.index(pts["sample_boundary"])
    assert v.offsets[i] < pts["mid_sample"] < v.offsets[i] + v.sizes[i]
    assert oracle.samples_before(v, pts["sample_boundary"]) == i
    assert oracle.samples_before(v, pts["mid_sample"]) == i
    assert oracle.samples_before(v, end) == v.count
    assert oracle.samples_before(v, pts["mdat_start"]) == 0
    for label, at in pts.items():
        cut = mf.cut(path, tmp_path / f"{label}.mp4", at)
        assert cut.stat().st_size == at
        assert cut.read_bytes() == path.read_bytes()[:at]
        assert fftools.probe(cut).moov_missing, label
    broken, at = mf.broken_copy(name, "mdat30", tmp_path)
    assert broken.stat().st_size == at == pts["mdat30"]


# --- the comparison helpers --------------------------------------------------------------------------


def test_assert_same_samples_on_a_remux(fixture_path, tmp_path):
    """A stream-copy remux (other layout, same samples) passes; a doctored table fails."""
    src = fixture_path("avc_bf_aac48s")
    remux = tmp_path / "remux.mp4"
    fftools.run(["-i", f"file:{src}", "-map", "0", "-c", "copy", "-movflags", "+faststart", "-y", str(remux)])
    cut_at = mf.cut_points(src)["mdat60"]
    counts = oracle.assert_same_samples(src, remux, cut_at, exact_count=False)
    assert all(n > 0 for n in counts.values())
    full = oracle.assert_same_samples(src, remux, oracle.mdat_span(src)[1], check_last_duration=True)
    assert full == {t.track_id: t.count for t in oracle.read_movie(src).tracks}
    oracle.assert_same_packets(src, remux, cut_at)
    with pytest.raises(AssertionError, match="samples"):
        oracle.assert_same_samples(src, remux, cut_at)  # exact_count: the remux has more samples
    with pytest.raises(AssertionError, match="offsets"):
        oracle.assert_same_samples(src, remux, cut_at, exact_count=False, offset_shift=0)
    doctored = oracle.read_movie(remux)
    doctored.track("vide").keyframes[1] = True
    with pytest.raises(AssertionError, match="key flags"):
        oracle.assert_same_samples(src, doctored, cut_at, exact_count=False)
    doctored = oracle.read_movie(remux)
    doctored.track("soun").offsets[5] += 1
    with pytest.raises(AssertionError, match="bytes of sample 5"):
        oracle.assert_same_samples(src, doctored, cut_at, exact_count=False)


def test_codec_config_parsers(fixture_path):
    movie = oracle.read_movie(fixture_path("avc_bf_aac48s"))
    sps = oracle.parameter_sets("avcC", movie.track("vide").config["avcC"])["sps"][0]
    assert sps[0] & 0x1F == 7 and sps[1] == 100  # NAL type SPS, profile_idc High
    asc = oracle.audio_specific_config(movie.track("soun").config["esds"])
    assert asc[0] >> 3 == 2  # AAC LC
    assert ((asc[0] & 7) << 1 | asc[1] >> 7) == 3  # 48000 Hz
    assert (asc[1] >> 3) & 0xF == 2  # stereo
    hv = oracle.parameter_sets("hvcC", oracle.read_movie(fixture_path("hevc_aac48s_ref")).track("vide").config["hvcC"])
    assert [(n[0] >> 1) & 0x3F for n in hv["vps"] + hv["sps"] + hv["pps"]] == [32, 33, 34]


# --- killed recordings -------------------------------------------------------------------------------


def _first_nals(data: bytes, n: int = 4) -> list[int]:
    types, pos = [], 0
    while pos + 4 <= len(data) and len(types) < n:
        ln = struct.unpack_from(">I", data, pos)[0]
        types.append(data[pos + 4] & 0x1F)
        pos += 4 + ln
    return types


@pytest.mark.parametrize("name", sorted(mf.LIVE))
def test_killed_recording(killed_recording, fixture_path, name):
    path, seconds = killed_recording(name, 4.0)
    assert 2.0 < seconds < 6.0
    boxes = oracle.top_level_boxes(path)
    assert [b.type for b in boxes] == ["ftyp", "free", "mdat"]
    assert boxes[-1].declared_size == 0  # "to the end of the file": the size was never patched
    assert boxes[-1].size > 50_000
    assert fftools.probe(path).moov_missing
    ref = fixture_path(name + "_ref")
    assert fftools.probe(ref).ok
    if mf.LIVE[name]["codec"] == "h264":
        # the mdat starts with the first access unit: x264's SEI, then the IDR slice; the SEI's settings
        # string equals the reference's (same encoder settings)
        start = boxes[-1].payload_start
        head = path.read_bytes()[start:start + 65536]
        assert _first_nals(head)[:2] == [6, 5]
        v = oracle.read_movie(ref).track("vide")
        assert _options_in(head) == _x264_options(ref, v) is not None
    again, secs = killed_recording(name, 4.0)  # cached: the same file
    assert (again, secs) == (path, seconds)


def test_every_cache_of_the_suite_is_in_one_folder_that_can_be_cleared(tmp_path, monkeypatch):
    """Fixtures and builds go under one folder (tests/suite_cache.py), which ``--clear`` deletes, together
    with the folders older versions filled."""
    import subprocess

    import suite_cache
    import test_packaging

    for var in ("MP4FIX_TEST_CACHE", "MP4FIX_FIXTURE_CACHE", "MP4FIX_BUILD_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = tmp_path / "xdg" / "mp4fix-tests"
    assert suite_cache.root() == root
    assert mf.cache_root() == root / "fixtures"
    assert test_packaging._cache_root() == root / "build"
    monkeypatch.setenv("MP4FIX_TEST_CACHE", str(tmp_path / "elsewhere"))
    assert mf.cache_root() == tmp_path / "elsewhere" / "fixtures"

    for folder in (tmp_path / "elsewhere" / "fixtures" / "k", tmp_path / "elsewhere" / "build" / "frozen-1",
                   tmp_path / "xdg" / "mp4fix-fixtures", tmp_path / "xdg" / "mp4fix-build"):
        folder.mkdir(parents=True)
        (folder / "f.bin").write_bytes(b"x" * 1000)
    env = {**os.environ, "MP4FIX_TEST_CACHE": str(tmp_path / "elsewhere"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    script = Path(suite_cache.__file__)
    listing = subprocess.run([sys.executable, script], capture_output=True, text=True, env=env, timeout=60)
    assert str(tmp_path / "elsewhere") in listing.stdout and "mp4fix-build" in listing.stdout
    cleared = subprocess.run([sys.executable, script, "--clear"], capture_output=True, text=True, env=env,
                             timeout=60)
    assert cleared.returncode == 0, cleared.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xdg"] and list((tmp_path / "xdg").iterdir()) == []
