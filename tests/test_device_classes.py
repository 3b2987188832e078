"""Classes of real devices' recordings (issue 8): every sample of every track exact, built for the class.

* H.264 access units that carry NAL units of an unspecified type after their picture (Dolby Vision 'dvav'
  writes its RPU as NAL unit type 28): learned from the reference and measured exactly, and an access unit
  whose data ends before that unit is incomplete.
* RTP hint tracks ('rtp ' samples of a 'hint' track, as QuickTime's and ffmpeg's hinted exports carry): a hint
  sample is measured from its packet table and the data its own constructors point into, so its bytes are never
  swallowed by the MPEG-4 Part 2 picture before them.
* MPEG-4 Part 2 / H.263 pictures, which carry no length: where other tracks' samples follow a picture, several
  chains of samples may end where the next picture starts (a look-alike of a few bytes inside the last real
  sample): the chain of the most samples is the run; a picture at the cut is closed only on strong evidence.
* Two HEVC tracks of one codec (a Google Pixel motion photo: the video, and its 'top shot' stills of another
  picture size written together after it): the main track's pictures never go to the stills track. A track
  keeps one picture size (an in-band SPS of another size is another track's), a track of stills holds only
  IRAP pictures, and a track written in one chunk is not interleaved by time.
* Data tracks whose samples are zero-filled placeholders (Android 12's recorder: three 'mett' tracks of 4-, 4- and
  2-byte samples of zeros between the audio chunks): only zeros can be their samples, and the runs between two
  audio chunks are split as the reference's layout shows (the tracks the reference holds one sample of first).
* A recording of PCM only, written one large sample per chunk (Media3's muxer: 'sowt' samples of 0.1 s): the
  last complete sample before the cut is kept; and whenever more than one sample's worth of bytes at the cut
  could not be measured, the report does not say "complete".

Fixtures are ffmpeg recordings rewritten sample by sample (``test_real_layouts.remux``); the public real
recordings these classes were found in are used as extra checks when ``$MP4FIX_RW_EXTRA`` (default:
``../scratch/rw-extra`` beside the project) holds them, and skipped otherwise.
"""

from __future__ import annotations

import dataclasses
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

from mp4fix.codecs import make_matcher
from mp4fix.codecs.data import learn_data_matcher
from mp4fix.profile import Profile
from mp4fix.reference import learn_profile
from mp4fix.repair import repair
from mp4fix.scan import Scanner
from mp4fix.source import MediaFile

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


# --- 4. RTP hint tracks ---------------------------------------------------------------------------------------------

def _hinted(name: str, video: str, audio: str, seconds: float) -> MF.Recipe:
    return MF.Recipe(name, "mp4", (
        "-f", "lavfi", "-i", MF.VIDEO[video].format(s="176x144", r="15"),
        "-f", "lavfi", "-i", f"aevalsrc=exprs={MF.AUDIO[audio](1)}:s=8000", "-map", "0:v", "-map", "1:a",
        "-t", f"{seconds:g}", "-c:v", "mpeg4", "-g", "15", "-c:a", "aac", "-b:a", "24k", "-ar", "8000", "-ac", "1",
        "-movflags", "rtphint"), f"mpeg4 + aac + 2 rtp hint tracks, {seconds:g} s", seconds)


_HINTED = _hinted("dc_hinted", "testsrc2", "music1", 8)
_HINTED_REF = _hinted("dc_hinted_ref", "mandelbrot", "noise", 4)


@pytest.mark.parametrize("cut_at", ["mdat30", "mid_sample", "mdat90"])
def test_rtp_hint_tracks_are_measured(cut_at, tmp_path):
    """Before: the hint samples could not be measured (or were taken for records of a fixed size by their first
    bytes) and MPEG-4 pictures ran over them to the next picture."""
    original, reference = MF.build_recipe(_HINTED), MF.build_recipe(_HINTED_REF)
    movie = oracle.read_movie(original)
    assert [t.handler for t in movie.tracks] == ["vide", "soun", "hint", "hint"]
    cut = MF.cut_points(original)[cut_at]
    broken = MF.cut(original, tmp_path / "hinted.mp4", cut)
    report = repair(broken, reference)
    fixed = oracle.read_movie(report.output)
    for t in movie.tracks:
        n = oracle.samples_before(t, cut)
        r = next(x for x in fixed.tracks if x.track_id == t.track_id)
        assert (r.offsets, r.sizes) == (t.offsets[:n], t.sizes[:n]), f"track {t.track_id} ({t.handler})"
    assert report.verify.ok and report.verify.decode_errors == 0, report.verify.log


# --- 5. two HEVC tracks of one codec: a motion photo's video and its still shots -------------------------------

_MOTION = MF.Recipe("dc_motion_photo", "mp4", (
    "-f", "lavfi", "-i", MF.VIDEO["testsrc2"].format(s="256x144", r="30"),
    "-f", "lavfi", "-i", f"aevalsrc=exprs={MF.AUDIO['music1'](2)}:s=48000",
    "-itsoffset", "3.9", "-f", "lavfi", "-i", MF.VIDEO["smptebars"].format(s="320x240", r="30"),
    "-map", "0:v", "-map", "1:a", "-map", "2:v", "-t", "4", "-c:v", "libx265", "-tag:v", "hvc1",
    "-x265-params:v:0", "keyint=15:min-keyint=15:bframes=0:log-level=error:info=0",
    # (the stills: the video's encoder settings, each picture forced to be an IDR picture)
    "-x265-params:v:1", "keyint=15:min-keyint=15:bframes=0:log-level=error:info=0", "-force_key_frames:v:1",
    "expr:1", "-frames:v:1", "2", "-c:a", "aac", "-b:a", "64k"),
    "hevc 256x144 + aac + 2 hevc stills 320x240 (IDR), 4 s", 4)


def _parameter_sets(hvcc: bytes) -> bytes:
    """The VPS, SPS and PPS of an hvcC record as 4-byte length-prefixed NAL units."""
    out, pos = b"", 23
    for _ in range(hvcc[22]):
        count = int.from_bytes(hvcc[pos + 1:pos + 3], "big")
        pos += 3
        for _ in range(count):
            size = int.from_bytes(hvcc[pos:pos + 2], "big")
            out += size.to_bytes(4, "big") + hvcc[pos + 2:pos + 2 + size]
            pos += 2 + size
    return out


def motion_photo(dst: Path, last_duration: int | None = 0) -> Path:
    """The recording laid out as a Pixel writes a motion photo: the video and audio interleaved, then the still
    shots in one chunk at the end, the first with its parameter sets in band, their durations (D, 0) (or
    (D, ``last_duration``))."""
    src = MF.build_recipe(_MOTION)
    data = src.read_bytes()
    movie = oracle.read_movie(src)
    stills = 2
    t = movie.tracks[stills]
    assert t.count == 2 and t.handler == "vide"
    hvcc = []

    def find(typ: bytes, box: bytes) -> bytes:
        if typ == b"stsd":
            hvcc.append(box[box.index(b"hvcC") + 4:] if b"hvcC" in box else b"")
        return box

    top = oracle.top_level_boxes(src)
    moov, mdat = top[-1], next(b for b in top if b.type == "mdat")
    _edit_boxes(data, moov.offset, moov.end, find)
    prefix = _parameter_sets(hvcc[stills])
    order = sorted((o, ti, i) for ti, tr in enumerate(movie.tracks) for i, o in enumerate(tr.offsets) if ti != stills)
    payload, new = bytearray(), {}
    for o, ti, i in order:
        new[(ti, i)] = mdat.payload_start + len(payload)
        payload += data[o:o + movie.tracks[ti].sizes[i]]
    sizes = []
    for i, o in enumerate(t.offsets):
        raw = (prefix if i == 0 else b"") + data[o:o + t.sizes[i]]
        new[(stills, i)] = mdat.payload_start + len(payload)
        payload += raw
        sizes.append(len(raw))
    traks = iter(range(len(movie.tracks)))
    current = [0]

    def edit(typ: bytes, box: bytes) -> bytes:
        if typ == b"tkhd":
            current[0] = next(traks)
        ti, tr = current[0], movie.tracks[current[0]]
        if typ == b"stco":
            firsts = [tr.offsets.index(c) for c in tr.chunk_offsets] if ti != stills else [0]
            chunks = [new[(ti, i)] for i in firsts]
            return struct.pack(">I4sII", 16 + 4 * len(chunks), b"stco", 0, len(chunks)) + \
                np.asarray(chunks, ">u4").tobytes()
        if ti == stills and typ == b"stsc":
            return struct.pack(">I4sIIIII", 28, b"stsc", 0, 1, 1, 2, 1)
        if ti == stills and typ == b"stsz":
            return struct.pack(">I4sIII", 28, b"stsz", 0, 0, 2) + np.asarray(sizes, ">u4").tobytes()
        if ti == stills and typ == b"stts":
            return struct.pack(">I4sIIIIII", 32, b"stts", 0, 2, 1, sum(tr.durations), 1, last_duration)
        return box

    new_moov = _edit_boxes(data, moov.offset, moov.end, edit)
    dst.write_bytes(data[:mdat.offset] + struct.pack(">I", 8 + len(payload)) + b"mdat" + bytes(payload) + new_moov)
    return dst


#: a Pixel's two still shots last (D, 0): a tie that the most common value breaks to 0 (the reference check once
#: refused it as "a duration of 0")
@pytest.mark.parametrize("last_duration", [0, 3000])
@pytest.mark.parametrize("frac", [0.5, 0.8, 0.95, 1.0])
def test_video_and_still_shots_of_one_codec_stay_apart(frac, last_duration, tmp_path):
    """Before: pictures of the video after an audio frame went to the stills track (its clock never advanced),
    or the stills to the video track."""
    original = motion_photo(tmp_path / "motion.mp4", last_duration)
    movie = oracle.read_movie(original)
    assert [t.handler for t in movie.tracks] == ["vide", "soun", "vide"]
    start, end = oracle.mdat_span(original)
    cut = end if frac == 1.0 else start + int((end - start) * frac)
    broken = MF.cut(original, tmp_path / "broken.mp4", cut)
    report = repair(broken, original, verify=False)
    fixed = oracle.read_movie(report.output)
    for t in movie.tracks:
        n = oracle.samples_before(t, cut)
        r = next((x for x in fixed.tracks if x.track_id == t.track_id), None)
        got = (r.offsets, r.sizes) if r is not None else ([], [])
        assert got == (t.offsets[:n], t.sizes[:n]), f"track {t.track_id}"


@pytest.mark.parametrize("name", ["avc_nobf_aac44m_ref", "hevc_nobf_aac44m_mov_ref"])
def test_a_track_of_stills_takes_only_pictures_that_stand_alone(name):
    """A track whose reference samples are all IDR (H.264) / IRAP (HEVC) pictures takes no picture that depends
    on others: the video's pictures are not still shots."""
    path = MF.build(name)
    video = next(t for t in learn_profile(path).tracks if t.kind == "video")
    keys = np.flatnonzero(video.keyframes)
    assert len(keys) >= 2 and len(keys) < len(video.sizes)
    stills = dataclasses.replace(video, sizes=video.sizes[keys], offsets=video.offsets[keys],
                                 durations=video.durations[keys], keyframes=None, ctts=None,
                                 chunk_sizes=np.array([len(keys)]))
    other = keys[0] + 1  # a picture that depends on the keyframe before it
    with MediaFile(path, role="reference") as ref:
        for track, taken in ((video, True), (stills, False)):
            m, why = make_matcher(track, ref.data)
            assert m is not None, why
            m = m.clone()
            got = m.match(ref.data, int(video.offsets[other]), int(video.offsets[other]) + int(video.sizes[other]))
            assert (got is not None and got.size == int(video.sizes[other])) is taken
            assert m.match(ref.data, int(video.offsets[keys[1]]), len(ref.data)) is not None


# --- 3. zero-filled placeholder samples of several data tracks -------------------------------------------------------


def _placeholder_track(index: int, size: int, chunks: list[int]):
    from test_data_tracks import data_track

    track, buf = data_track("mett", "meta", [bytes(size)] * sum(chunks), index)
    track.chunk_sizes = np.array(chunks)
    return track, buf


@pytest.mark.parametrize("cut", ["whole", "first_audio_run", "after_placeholders"])
def test_zero_filled_placeholders_of_several_tracks_split_as_the_reference_lays_them_out(cut):
    """Android 12's recorder: AAC, then three 'mett' tracks of zeros (one 4-byte sample, one 4-byte sample, 2-byte
    samples) between audio chunks. Before: the 2-byte track took every zero (27 samples for 23), the others none,
    and zeros inside the cut audio frame became 2-byte samples."""
    audio = next(t for t in learn_profile(MF.build("aac_voice_m4a_ref")).tracks if t.kind == "audio")
    original = MF.build("aac_voice_m4a")
    frames = list(oracle.sample_bytes(original, oracle.read_movie(original).track("soun"), range(60)))
    metas = [_placeholder_track(1, 4, [1]), _placeholder_track(2, 4, [1]), _placeholder_track(3, 2, [23, 9])]
    layout = [(0, 34), (1, 1), (2, 1), (3, 23), (0, 16), (3, 9)]
    stream, want = b"", {i: [] for i in range(4)}
    k = 0
    for ti, n in layout:
        for _ in range(n):
            sample = frames[k] if ti == 0 else bytes(int(metas[ti - 1][0].sizes[0]))
            k += ti == 0
            want[ti].append((len(stream), len(sample)))
            stream += sample
    end = {"whole": len(stream), "first_audio_run": want[0][20][0] + 3,
           "after_placeholders": want[0][40][0] + 5}[cut]
    data = stream[:end]
    profile = Profile(path="", ftyp=b"", mvhd=b"", movie_timescale=1000,
                      tracks=[audio] + [t for t, _ in metas], layout=layout)
    with MediaFile(MF.build("aac_voice_m4a_ref"), role="reference") as ref:
        aac, why = make_matcher(audio, ref.data)
    assert aac is not None, why
    matchers = [aac.clone()] + [learn_data_matcher(t, buf) for t, buf in metas]
    arr = np.frombuffer(data, dtype=np.uint8)
    result = Scanner(data, arr, profile, matchers).run(0, len(data))
    for ti in range(4):
        ts = result.tracks[ti]
        got = [(o + k * (n // c), n // c) for o, n, c in zip(ts.offsets, ts.sizes, ts.counts) for k in range(c)]
        assert got == [(o, n) for o, n in want[ti] if o + n <= end], ti


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


# --- the public real recordings these classes were found in (skipped where the folder is absent) -------------------

#: (file, moov first: turned into 'free' before cutting, as run.sh's "free" mode; cut fractions; of the whole file
#: rather than of the media data)
REAL = [("dolby_dvav.mp4", True, (0.3, 0.6, 0.9), False),  # at 0.3 only its first picture (781 kB) is whole
        ("samsung_sef_superslowmo.mp4", False, (0.3, 0.6, 0.9), False),
        ("android12_recorder.m4a", True, (0.3, 0.6, 0.9), False),
        ("quicktime_hinted_3gpp.3gp", True, (0.3, 0.6, 0.9), False),
        ("quicktime_export_3gpp.3gp", True, (0.3, 0.6, 0.9), False),  # AMR samples of five frames after MPEG-4
        ("pixel_motionphoto_topshots.mp4", False, (0.6, 0.9, 0.99), False),
        ("quicktime7_mp4v.mov", False, (0.9,), False),
        ("media3muxer_sowt.mp4", True, (0.3, 0.6, 0.9), False),
        ("media3muxer_sowt.mp4", True, (0.9,), True),
        ("exo_video_desks.3gp", False, (0.9,), False)]
_FOLDERS = (EXTRA, EXTRA.parent / "layouts-rec")


def _real(name: str) -> Path | None:
    return next((f / name for f in _FOLDERS if (f / name).is_file()), None)


def _name(r) -> str:
    return (r.values if hasattr(r, "values") else r)[0]


@pytest.mark.parametrize("name,free,fracs,whole", [r for r in REAL if _real(_name(r))] or [
    pytest.param(*REAL[0], marks=pytest.mark.skip(reason=f"no real recordings in {EXTRA}"))])
def test_real_recordings_of_these_classes(name, free, fracs, whole, tmp_path):
    """Cut as run.sh cuts them (at a share of the media data when it starts late, behind reserved room) and
    repaired with themselves: every sample of every track before the cut back at its offset and size, no track
    longer than the original's."""
    original = _real(name)
    data = bytearray(original.read_bytes())
    top = oracle.top_level_boxes(original)
    mdat = next(b for b in top if b.type == "mdat")
    for frac in fracs:
        if not whole and mdat.payload_start > len(data) / 4:
            cut = int(mdat.payload_start + frac * (min(len(data), mdat.end) - mdat.payload_start))
        else:
            cut = int(len(data) * frac)
        cut_data = bytearray(data[:cut])
        if free:
            moov = next(b for b in top if b.type == "moov")
            cut_data[moov.offset + 4:moov.offset + 8] = b"free"
        broken = tmp_path / f"broken{original.suffix}"
        broken.write_bytes(bytes(cut_data))
        report = repair(broken, original, verify=False, overwrite=True)
        movie, fixed = oracle.read_movie(original), oracle.read_movie(report.output)
        for t in movie.tracks:
            n = oracle.samples_before(t, cut)
            r = next((x for x in fixed.tracks if x.track_id == t.track_id), None)
            got = (r.offsets, r.sizes) if r is not None else ([], [])
            assert got == (t.offsets[:n], t.sizes[:n]), f"{name} at {frac}: track {t.track_id} ({t.handler})"
            if r is not None:  # (a placeholder sample without duration is not stretched over the recording)
                assert sum(r.durations) / r.timescale <= sum(t.durations) / t.timescale + 0.5, \
                    f"{name} at {frac}: track {t.track_id} lasts too long"
