"""Does the reference fit? Never refused for damage, window edges or an unusual recording; always refused when
its settings differ.

Each refusal of a right reference that users met is a test that repairs here (zeros or random bytes in the
first megabytes, a cut at 95 % where a window ends inside a sample, media data of zeros, random data); each kind
of wrong reference is a test that refuses (other resolution, 4:4:4 for 4:2:0, another encoder's parameter
sets; HEVC for H.264 and another audio rate are in test_repair). A user who knows better overrides it.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

import make_fixtures as MF
import oracle
from engine_helpers import count_error_events
from test_real_layouts import _edit_boxes, _nal_units, remux

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


# --- measured on real recordings (issue 8): each class of wrong verdict, made with ffmpeg ------------------------

REAL = Path(os.environ.get("MP4FIX_REALWORLD") or Path(__file__).resolve().parents[2] / "shared" / "realworld")
# more real recordings (public projects' test data), outside the repository like the ones above
EXTRA = Path(os.environ.get("MP4FIX_REALWORLD_EXTRA")
             or Path(__file__).resolve().parents[2] / "scratch" / "rw-extra")


def _encode(name: str, ext: str, args: list[str], seconds: float) -> Path:
    """A cached ffmpeg recording of this test module (``args`` between the global options and the output)."""
    return MF.build_recipe(MF.Recipe(name, ext, tuple(args), name, seconds))


def _av(video: str, audio: str | None, *, size: str, rate: str = "30", seconds: float, vcodec: list[str],
        audio_args: tuple[str, ...] = (), video_in: tuple[str, ...] = (), audio_in: tuple[str, ...] = ()) -> list[str]:
    args = [*video_in, "-f", "lavfi", "-i", f"{video}=size={size}:rate={rate}"]
    if audio is not None:
        args += [*audio_in, "-f", "lavfi", "-i", f"sine=frequency={audio}:sample_rate=48000"]
    args += ["-map", "0:v"] + (["-map", "1:a"] if audio is not None else [])
    if seconds:
        args += ["-t", f"{seconds:g}"]
    args += [*vcodec, "-pix_fmt", "yuv420p"]
    if audio is not None:
        args += ["-c:a", "aac", "-b:a", "96k", "-ac", "2", *audio_args]
    return args


def _x264(*params: str, gop: int = 30, bframes: int = 0, crf: int = 20) -> list[str]:
    return ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-g", str(gop), "-bf", str(bframes),
            "-x264-params", ":".join(("sliced-threads=0", "lookahead-threads=1", *params))]


def _x265(gop: int = 30, crf: int = 28) -> list[str]:
    return ["-c:v", "libx265", "-preset", "veryfast", "-crf", str(crf), "-tag:v", "hvc1", "-x265-params",
            f"pools=none:frame-threads=1:log-level=error:keyint={gop}:min-keyint={gop}"]


def _cut_copy(src: Path, folder: Path, frac: float, name: str | None = None) -> tuple[Path, int]:
    start, end = oracle.mdat_span(src)
    cut = start + int((end - start) * frac)
    return MF.cut(src, folder / (name or src.name), cut), cut


def _refused(broken: Path, reference: Path, *phrases: str) -> str:
    """Repairing ``broken`` with ``reference`` is refused (exit code 3, nothing written); the sentence."""
    with pytest.raises(MismatchError) as err:
        repair(broken, reference)
    assert err.value.exit_code == 3
    assert os.listdir(broken.parent) == [broken.name]
    sentence = str(err.value)
    assert "does not match" in sentence
    for phrase in phrases:
        assert phrase in sentence, sentence
    return sentence


def test_a_video_of_which_only_the_keyframes_parse_is_refused(tmp_path):
    """A GoPro HERO5 recording with the HERO7 reference: the other camera's parameter sets parse the keyframes,
    not the frames between them; the audio fits. Almost every video frame is lost while the audio runs on, so
    the video clock falls far behind the audio's (and the first megabytes decode without an error)."""
    recording = _encode("fit_keys_only", "mp4", _av("smptebars", "440", size="640x360", seconds=8,
                                                    vcodec=_x264("weightp=2", gop=15, crf=14)), 8)
    reference = _encode("fit_keys_only_ref", "mp4", _av("smptebars", "660", size="640x360", seconds=3,
                                                        vcodec=_x264("weightp=0", gop=15, crf=14)), 3)
    broken, _ = _cut_copy(recording, tmp_path, 0.9)
    _refused(broken, reference, "video", "were recognised", "other settings")


@pytest.mark.parametrize("rates", [("25", "30"), ("30", "25")])
def test_a_short_recording_at_another_frame_rate_is_refused(rates, tmp_path):
    """The same encoder settings at another frame rate (Media3's 15 and 12.5 fps files share avcC and esds):
    nothing in the frames says so, only how audio and video time advance together. A recording of a second or
    two is enough when the interleave is fine."""
    own, other = rates
    recording = _encode(f"fit_rate{own}", "mp4", _av("testsrc2", "440", size="320x240", rate=own, seconds=2,
                                                     vcodec=_x264(gop=int(own), bframes=2)), 2)
    reference = _encode(f"fit_rate{other}", "mp4", _av("testsrc2", "660", size="320x240", rate=other, seconds=2,
                                                       vcodec=_x264(gop=int(other), bframes=2)), 2)
    broken, _ = _cut_copy(recording, tmp_path, 0.6)
    _refused(broken, reference, "audio and video time run", f"{other} frames per second")
    # the right reference (itself) repairs it
    (tmp_path / "right").mkdir()
    broken, cut = _cut_copy(recording, tmp_path / "right", 0.6)
    report = repair(broken, recording, verify=False)
    assert all(oracle.assert_same_samples(recording, report.output, cut, offset_shift=0).values())


# --- file surgery for layouts and streams ffmpeg does not write (plain struct, independent of mp4fix) ------------


def _nal_lengths_of_two_bytes(src: Path, dst: Path) -> Path:
    """``src`` with every H.264 NAL unit behind a 2-byte length (avcC lengthSizeMinusOne = 1), as Media3's muxer
    may write it; the NAL units themselves are unchanged."""
    def two(sample: bytes) -> bytes:
        return b"".join(len(n).to_bytes(2, "big") + n for n in _nal_units(sample))

    remux(src, dst, "vide", two)
    data = bytearray(dst.read_bytes())
    at = data.find(b"avcC") + 8  # avcC payload byte 4: 6 reserved bits, lengthSizeMinusOne
    data[at] = (data[at] & 0xFC) | 1
    dst.write_bytes(bytes(data))
    return dst


def _hevc_parameter_sets_in_band(src: Path, dst: Path) -> Path:
    """``src`` (HEVC) with the hvcC's parameter sets repeated in front of every IRAP picture, as Pixel phones
    write their motion photos."""
    data = src.read_bytes()
    at = data.find(b"hvcC")
    record = data[at + 4:at - 4 + int.from_bytes(data[at - 4:at], "big")]
    units, pos = [], 23
    for _ in range(record[22]):
        count, pos = int.from_bytes(record[pos + 1:pos + 3], "big"), pos + 3
        for _ in range(count):
            n = int.from_bytes(record[pos:pos + 2], "big")
            units.append(record[pos + 2:pos + 2 + n])
            pos += 2 + n
    head = b"".join(len(u).to_bytes(4, "big") + u for u in units)

    def in_band(sample: bytes) -> bytes:
        first_vcl = next((u[0] >> 1) & 0x3F for u in _nal_units(sample) if (u[0] >> 1) & 0x3F < 32)
        return head + sample if 16 <= first_vcl <= 23 else sample

    return remux(src, dst, "vide", in_band)


def _relayout(src: Path, dst: Path, chunks: list[tuple[str, int]]) -> Path:
    """``src`` (ftyp, ..., mdat, moov) with its samples written in the chunks given, in file order: each
    (handler, count) the next ``count`` samples of that track (what is left is appended, a chunk a track).
    Only the interleave changes: sample sizes, times and bytes stay."""
    data = src.read_bytes()
    movie = oracle.read_movie(src)
    top = oracle.top_level_boxes(src)
    mdat = next(b for b in top if b.type == "mdat")
    assert top[-1].type == "moov" and mdat.header_size == 8
    track_of = {t.handler: ti for ti, t in enumerate(movie.tracks)}
    taken = [0] * len(movie.tracks)
    payload = bytearray()
    offsets: dict[int, list[int]] = {ti: [] for ti in range(len(movie.tracks))}
    counts: dict[int, list[int]] = {ti: [] for ti in range(len(movie.tracks))}
    for handler, count in list(chunks) + [(t.handler, len(t.sizes)) for t in movie.tracks]:
        ti = track_of[handler]
        t = movie.tracks[ti]
        count = min(count, len(t.sizes) - taken[ti])
        if count <= 0:
            continue
        offsets[ti].append(mdat.payload_start + len(payload))
        counts[ti].append(count)
        for i in range(taken[ti], taken[ti] + count):
            payload += data[t.offsets[i]:t.offsets[i] + t.sizes[i]]
        taken[ti] += count
    traks = iter(range(len(movie.tracks)))
    current = [0]

    def edit(typ: bytes, box: bytes) -> bytes:
        if typ == b"tkhd":
            current[0] = next(traks)
        ti = current[0]
        if typ == b"stco":
            table = np.asarray(offsets[ti], ">u4")
            return struct.pack(">I4sII", 16 + 4 * len(table), b"stco", 0, len(table)) + table.tobytes()
        if typ == b"stsc":
            table = np.asarray([(c + 1, n, 1) for c, n in enumerate(counts[ti])], ">u4")
            return struct.pack(">I4sII", 16 + 4 * table.size, b"stsc", 0, len(table)) + table.tobytes()
        return box

    moov = _edit_boxes(data, top[-1].offset, top[-1].end, edit)
    dst.write_bytes(data[:mdat.offset] + struct.pack(">I", 8 + len(payload)) + b"mdat" + bytes(payload) + moov)
    return dst


def test_a_track_none_of_whose_samples_is_found_is_refused(tmp_path):
    """Android's 4-byte NAL lengths for Media3's 2-byte ones (or an iPhone 12 recording with the iPhone 14's
    reference): the audio fits, not one video frame is found. In a recording that writes its audio first, all
    the video is at the end, where it used to be taken for a sample the cut broke and ignored; the reference
    was accepted and the "repair" held the audio alone."""
    source = _encode("fit_audio_first", "mp4", _av("testsrc2", "440", size="320x240", seconds=0,
                                                   vcodec=_x264(), video_in=("-itsoffset", "1.5", "-t", "2"),
                                                   audio_in=("-t", "1.5")), 2)
    recording = _nal_lengths_of_two_bytes(source, tmp_path / "two_byte_nal.mp4")
    reference = _encode("fit_four_byte_ref", "mp4", _av("mandelbrot", "660", size="320x240", seconds=2,
                                                        vcodec=_x264()), 2)
    (tmp_path / "cut").mkdir()
    broken, cut = _cut_copy(recording, tmp_path / "cut", 0.6)
    _refused(broken, reference, "no video like the reference's ('avc1')", "audio frames", "other settings")
    # with its own settings it repairs
    report = repair(broken, recording, verify=False)
    assert all(oracle.assert_same_samples(recording, report.output, cut, offset_shift=0).values())


@pytest.mark.parametrize("codec", ["h264", "hevc"])
def test_a_recording_that_names_its_own_picture_size_is_refused_another(codec, tmp_path):
    """A Pixel motion photo (1440x1080) with another Pixel's reference (1024x768): the stream carries its own
    parameter sets, so every frame parses and decodes with them, and nothing failed; the output claimed the
    reference's size. What the recording says of itself decides."""
    if codec == "h264":
        recording = _encode("fit_inband_h264", "mp4", _av("testsrc2", "440", size="640x360", seconds=3,
                                                          vcodec=_x264("repeat-headers=1", bframes=2)), 3)
        reference = _encode("fit_inband_h264_ref", "mp4", _av("mandelbrot", "660", size="480x270", seconds=2,
                                                              vcodec=_x264(bframes=2)), 2)
    else:
        source = _encode("fit_inband_hevc", "mp4", _av("testsrc2", "440", size="640x360", seconds=3,
                                                       vcodec=_x265()), 3)
        recording = _hevc_parameter_sets_in_band(source, tmp_path / "in_band.mp4")
        reference = _encode("fit_inband_hevc_ref", "mp4", _av("mandelbrot", "660", size="480x270", seconds=2,
                                                              vcodec=_x265()), 2)
    (tmp_path / "cut").mkdir()
    broken, cut = _cut_copy(recording, tmp_path / "cut", 0.7)
    _refused(broken, reference, "pictures are 640x360, the reference's are 480x270")
    report = repair(broken, recording, verify=False)  # its own settings fit
    assert all(oracle.assert_same_samples(recording, report.output, cut, offset_shift=0).values())


def test_a_lone_audio_frame_is_no_evidence(tmp_path):
    """Samsung's super slow motion (no audio) with the slow motion reference (audio): an audio frame or two in
    front of video the reference cannot parse. Those frames were "found", the video behind them taken for
    one sample the cut broke, and the reference accepted for a file of two audio frames."""
    recording = _encode("fit_lone_audio", "mp4", _av("testsrc2", "440", size="320x240", seconds=0, vcodec=_x265(),
                                                     video_in=("-itsoffset", "0.1", "-t", "3"),
                                                     audio_in=("-t", "0.02")), 3)
    reference = _encode("fit_four_byte_ref", "mp4", _av("mandelbrot", "660", size="320x240", seconds=2,
                                                        vcodec=_x264()), 2)
    assert len(next(t for t in oracle.read_movie(recording).tracks if t.handler == "soun").sizes) <= 2
    for frac in (0.3, 0.9):
        folder = tmp_path / str(frac)
        folder.mkdir()
        broken, _ = _cut_copy(recording, folder, frac)
        _refused(broken, reference)


@pytest.mark.parametrize("frac", [0.6, 0.9])
def test_a_writer_that_spreads_audio_unevenly_is_not_refused(frac, tmp_path):
    """An mp4v2-made file cut at 90 % with itself as the reference was refused: "its audio runs 8% off the video
    clock". Its writer puts the audio two seconds ahead, alternates 4 video frames with 7 audio frames (an 8-frame
    run every fifth time), and at the end writes a hundred video frames before the last audio. A straight-line
    fit of the whole reference leans on that last stretch; the cut file has none of it."""
    source = _encode("fit_mp4v2_src", "mp4", _av("testsrc2", "440", size="128x72", rate="30000/1001", seconds=0,
                                                 vcodec=_x264(crf=30), video_in=("-t", "11.1"),
                                                 audio_in=("-t", "9.87")), 11.1)
    movie = oracle.read_movie(source)
    frames = len(next(t for t in movie.tracks if t.handler == "vide").sizes)
    audio = len(next(t for t in movie.tracks if t.handler == "soun").sizes)
    chunks = [("soun", 7)] * 14  # two seconds of audio first
    video, written, cycle = 0, 98, 0
    while video < frames - 105:
        n = 8 if cycle % 5 == 4 else 4
        chunks += [("vide", 4)] * (n // 4) + [("soun", 7)]
        video, written, cycle = video + n, written + 7, cycle + 1
    rest = frames - video - 5
    chunks += [("vide", 4)] * (rest // 4) + [("vide", rest % 4)] + [("soun", 7)] * ((audio - written) // 7)
    chunks += [("vide", 5), ("soun", (audio - written) % 7)]
    recording = _relayout(source, tmp_path / "mp4v2_like.mp4", chunks)
    (tmp_path / "cut").mkdir()
    broken, cut = _cut_copy(recording, tmp_path / "cut", frac)
    report = repair(broken, recording, verify=False)
    assert all(oracle.assert_same_samples(recording, report.output, cut, offset_shift=0).values())


def test_a_track_that_is_not_rebuilt_is_not_referenced(tmp_path):
    """An enhanced podcast: audio and its cover picture refer to a chapter text track ('tref' 'chap') whose
    samples the cut left out (or mp4fix cannot find). The output kept the reference, so ffmpeg found the file
    broken ("Referenced QT chapter track not found") and the trial decode refused the right reference."""
    chapters = tmp_path / "chapters.txt"
    chapters.write_text(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=400\ntitle=Intro\n"
                        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=400\nEND=1000\ntitle=Main\n")
    source = MF.build_recipe(MF.Recipe("fit_chapters", "m4a", (
        "-t", "1", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-f", "lavfi", "-i",
        "testsrc=size=160x120:rate=1", "-f", "ffmetadata", "-i", str(chapters), "-map", "0:a", "-map", "1:v",
        "-map_chapters", "2", "-c:a", "aac", "-b:a", "96k", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p",
        "-frames:v", "1", "-f", "mp4"), "podcast with chapters", 1))
    tracks = oracle.read_movie(source).tracks
    assert [t.handler for t in tracks] == ["soun", "vide", "text"]
    # the picture, the audio, then the chapter texts at the end (after the cut)
    recording = _relayout(source, tmp_path / "podcast.m4a", [("vide", 1)] + [("soun", 4)] * 11 + [("text", 2)])
    (tmp_path / "cut").mkdir()
    broken, cut = _cut_copy(recording, tmp_path / "cut", 0.6)
    report = repair(broken, recording, full_check=True)
    assert report.verify.ok and report.verify.decode_errors == 0, report.verify.log
    fixed = Path(report.output).read_bytes()
    assert b"tref" not in fixed and b"chap" not in fixed
    counts = oracle.assert_same_samples(recording, report.output, cut, offset_shift=0)
    assert all(counts.values())


def test_only_decoders_errors_count_as_evidence():
    """About one event a bad frame: a decoder's lines for one frame are one event, a line like the one that began
    it (or a repeat ffmpeg folded) is the next frame's; the demuxer's words on the file's structure, filters' and
    ffmpeg's own lines are none."""
    log = [
        "[in#0 @ 0x55f0] [error] Referenced QT chapter track not found",
        "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55f1] [error] stream 1, offset 0x30: partial file",
        "[h264 @ 0x5600a0] [error] left block unavailable for requested intra mode",  # 1
        "[h264 @ 0x5600a0] [error] error while decoding MB 0 1, bytestream 54543",
        "[h264 @ 0x5600a0] [error] left block unavailable for requested intra mode",  # 2: the next frame
        "[h264 @ 0x5600a0] [error] error while decoding MB 0 2, bytestream 48040",
        "[vist#0:0/h264 @ 0x5600b0] [dec:h264 @ 0x5600c0] [warning] corrupt decoded frame",
        "[h264 @ 0x5600f0] [error] left block unavailable for requested intra mode",  # 3: another thread
        "[hevc @ 0x5600d0] [error] The cu_qp_delta -77 is outside the valid range [-26, 25].",  # 4
        "[hevc @ 0x5600d0] [warning] Skipping invalid undecodable NALU: 20",
        "[hevc @ 0x5600d0] [error] CABAC_MAX_BIN : 7",  # 5
        "[auto_aresample_0 @ 0x7f00] [SWR @ 0x7f01] [error] Rematrix is needed between 44 channels and stereo",
        "[af#0:1 @ 0x55f2] [error] Error reinitializing filters!",
        "[aac @ 0x5600e0] [error] channel element 1.0 is not allocated",  # 6
        "[aac @ 0x5600e0] [error] channel element 1.0 is not allocated",  # 7
        "    Last message repeated 3 times",  # 8, 9, 10
    ]
    assert count_error_events(log) == 10


# --- the real recordings these classes were met in (skipped where the folders are absent) --------------------------


def _real(name: str) -> Path:
    for folder in (REAL, EXTRA):
        if (folder / name).is_file():
            return folder / name
    pytest.skip(f"{name} is in neither {REAL} nor {EXTRA}")


def _cut_real(original: Path, frac: float, folder: Path) -> tuple[Path, int]:
    """A crashed copy of a real recording: cut at ``frac`` of its size (of its media data when that starts late:
    a leading index and a recorder's reserved room); an index in front of the media data is overwritten by a
    'free' box of the same size, as a recorder that reserves room leaves it."""
    data = bytearray(original.read_bytes())
    boxes = oracle.top_level_boxes(original)
    mdat = next(b for b in boxes if b.type == "mdat")
    cut = int(len(data) * frac)
    if mdat.payload_start > len(data) / 4:
        cut = mdat.payload_start + int((min(mdat.end, len(data)) - mdat.payload_start) * frac)
    for b in boxes:
        if b.type == "moov" and b.end <= cut:
            data[b.offset + 4:b.offset + 8] = b"free"
    broken = folder / ("broken" + original.suffix)
    broken.write_bytes(bytes(data[:cut]))
    return broken, cut


WRONG_REAL = [  # (recording, reference): same device family or writer, other settings
    ("gopro_hero5_karma.mp4", "gopro_hero7.mp4"),  # another camera: only keyframes parse
    ("gopro_hero7.mp4", "gopro_hero5_karma.mp4"),
    ("pixel_motionphoto_topshots.mp4", "pixel_motionphoto_a.mp4"),  # 1440x1080 in its own parameter sets
    ("pixel_motionphoto_a.mp4", "pixel_motionphoto_topshots.mp4"),  # 1024x768 decoded as 1440x1080
    ("iphone12promax_hevc.mp4", "iphone14pro_dolbyvision.mov"),  # not one video frame found
    ("media3muxer_2byte_nal.mp4", "android13_nobframes.mp4"),  # 2-byte NAL lengths for 4-byte ones
    ("android13_nobframes.mp4", "media3muxer_2byte_nal.mp4"),
    ("samsung_sef_superslowmo.mp4", "samsung_sef_slowmo.mp4"),  # no audio, other size
    ("samsung_sef_slowmo.mp4", "samsung_sef_superslowmo.mp4"),
]


@pytest.mark.parametrize("recording, reference", WRONG_REAL, ids=[f"{a}-with-{b}" for a, b in WRONG_REAL])
def test_real_references_of_other_settings_are_refused(recording, reference, tmp_path):
    broken, _ = _cut_real(_real(recording), 0.6, tmp_path)
    _refused(broken, _real(reference))


@pytest.mark.parametrize("name, frac", [("mp4v2_tiny_sample.mp4", 0.9), ("quicktime_podcast_chapters.m4a", 0.3),
                                        ("quicktime_podcast_chapters.m4a", 0.6),
                                        ("quicktime_podcast_chapters.m4a", 0.9)])
def test_real_recordings_refused_with_themselves_now_repair(name, frac, tmp_path):
    original = _real(name)
    broken, cut = _cut_real(original, frac, tmp_path)
    report = repair(broken, original)
    assert report.verify.ok, report.verify.log
    counts = oracle.assert_same_samples(original, report.output, cut, handlers=("soun", "vide"),
                                        offset_shift=0)
    assert counts and all(counts.values())


def test_a_recording_without_the_references_audio_and_with_damage_repairs(tmp_path):
    """The same camera with its microphone off: the reference's audio track finds nothing, rightly, and a damaged
    stretch leaves data nothing recognises. Damage in one place is no sign that the audio has other settings."""
    recording = _encode("fit_no_audio", "mp4", _av("testsrc2", None, size="320x240", seconds=10,
                                                   vcodec=_x264()), 10)
    reference = _encode("fit_four_byte_ref", "mp4", _av("mandelbrot", "660", size="320x240", seconds=2,
                                                        vcodec=_x264()), 2)
    broken, cut = _cut_copy(recording, tmp_path, 0.9)
    start, end = oracle.mdat_span(recording)
    at = start + (end - start) // 3
    _damage(broken, at, np.random.default_rng(11).bytes(96 << 10))
    report = repair(broken, reference, verify=False)
    _exact_outside(recording, Path(report.output), cut, (at, at + (96 << 10)))


def test_a_recording_whose_audio_the_reference_does_not_describe_is_refused(tmp_path):
    """The video fits, the audio is another codec than the reference's (here AC-3 for AAC) and a minority of the
    data: not one audio frame is found, while its chunks lie between the video's all along. The reference was
    accepted and the "repair" kept the video alone."""
    source = _encode("fit_ac3_audio", "mp4", _av("testsrc2", "440", size="320x240", seconds=6,
                                                 vcodec=_x264(crf=14),
                                                 audio_args=("-c:a", "ac3", "-b:a", "96k")), 6)
    reference = _encode("fit_ac3_audio_ref", "mp4", _av("mandelbrot", "660", size="320x240", seconds=2,
                                                        vcodec=_x264(crf=14)), 2)
    assert next(t for t in oracle.read_movie(source).tracks if t.handler == "soun").fourcc == "ac-3"
    # half-second chunks, as cameras write them
    recording = _relayout(source, tmp_path / "chunked.mp4", [("vide", 15), ("soun", 16)] * 12)
    (tmp_path / "cut").mkdir()
    broken, _ = _cut_copy(recording, tmp_path / "cut", 0.6)
    _refused(broken, reference, "no audio like the reference's ('mp4a')", "video frames")


def test_windows_inside_one_big_picture_are_no_evidence(tmp_path):
    """A Dolby Vision recording cut inside its second picture: a 781 kB first picture and part of the next.
    The evidence windows (a third of the data each) lay inside the pictures, recognised nothing, and the right
    reference was refused as "nothing like the reference". A window holds a few of the largest samples."""
    noise = "nullsrc=size=1920x1080:rate=25:d=4,geq=lum='if(lt(N\\,2)\\,random(1)*255\\,128)':cb=128:cr=128"
    recording = _encode("fit_big_pictures", "mp4", ["-f", "lavfi", "-i", noise, *_x264(gop=250, crf=10),
                                                     "-pix_fmt", "yuv420p"], 4)
    video = oracle.read_movie(recording).track("vide")
    first, second = video.sizes[:2]
    assert first > 1_000_000 and second > 1_000_000 and max(video.sizes[2:]) < 10_000
    cut = video.offsets[1] + second // 2  # inside the second picture; windows of a third fall inside pictures
    assert (cut - video.offsets[0]) / 3 < first
    broken = MF.cut(recording, tmp_path / "broken.mp4", cut)
    report = repair(broken, recording, verify=False)
    fixed = oracle.read_movie(report.output).track("vide")
    assert (fixed.offsets, fixed.sizes) == (video.offsets[:1], video.sizes[:1])
