"""Other real layouts (issue 8, item 4): what old and new devices write that ffmpeg's defaults do not.

* Room reserved for the index in front of the media data: ffmpeg's ``-moov_size`` writes ftyp, N zero bytes
  (no box) and an mdat whose size stays 0 until the end; Android's MPEG4Writer writes a 'free' box of the
  reserved size and an mdat whose size is the placeholder "????" (or a 64-bit "????????"). Killed, such a file
  is diagnosed broken and repaired; the reserved zeros become a 'free' box of the output.
* Old phones' 3GPP files: H.263 video ('s263' with 'd263') and AMR-NB audio ('samr').
* An old camera's QuickTime file with no 'ftyp': Photo-JPEG video and 8-bit PCM ('raw ' unsigned, 'twos'
  signed) in chunks of one video frame and one audio run.
* iPhone Live Photo style LPCM: an 'lpcm' sound description of version 2 (QuickTime File Format), with its
  audio in chunks of several sizes between the video frames.
* Samsung slow motion: a vendor trailer after the index; high frame rate H.264 with temporal layers.

Every repair is compared with the untruncated original (its own index read by ``oracle``, ffmpeg's packets and
decoded frames, as ``test_repair.check_repair`` does; PCM, which ffmpeg reads chunk by chunk, by its sample
table and its decoded audio).
"""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import make_fixtures as MF
import numpy as np
import oracle
import pytest
from test_repair import _decoded_by_pts, check_repair

from mp4fix.codecs import make_matcher
from mp4fix.codecs.h263 import H263Matcher, parse_picture_header
from mp4fix.codecs.pcm import PcmMatcher
from mp4fix.diagnose import diagnose
from mp4fix.errors import BitstreamError, Mp4fixError
from mp4fix.profile import TrackProfile
from mp4fix.reference import ZERO_RUN, learn_profile, top_level
from mp4fix.repair import repair
from mp4fix.source import MediaFile
from mp4fix.write import zero_run_patches

# --- recipes -----------------------------------------------------------------------------------------------------


def _video(src: str, size: str, rate: str) -> list[str]:
    return ["-f", "lavfi", "-i", MF.VIDEO[src].format(s=size, r=rate)]


def _audio(kind: str, rate: int, channels: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"aevalsrc=exprs={MF.AUDIO[kind](channels)}:s={rate}"]


_MAP = ["-map", "0:v", "-map", "1:a"]
_X264 = MF._video_args("h264", "160x120", "25", 0, 25, 26)
_JPEG = ["-c:v", "mjpeg", "-vtag", "jpeg", "-q:v", "6", "-pix_fmt", "yuvj420p"]


def _pair(name: str, ext: str, main: tuple[str, str], ref: tuple[str, str], size: str, rate: str,
          tail: list[str], seconds: float, ref_seconds: float, audio: tuple[int, int] | None) -> dict[str, MF.Recipe]:
    """A recording and its reference (same settings, other picture and sound)."""
    out = {}
    for n, (v, a), secs in ((name, main, seconds), (name + "_ref", ref, ref_seconds)):
        args = _video(v, size, rate)
        if audio is not None:
            args += _audio(a, *audio) + _MAP
        args += ["-t", f"{secs:g}"] + tail
        out[n] = MF.Recipe(n, ext, tuple(args), f"{name} {'reference' if n != name else 'recording'}", secs,
                           name + "_ref" if n == name else name)
    return out


RECIPES: dict[str, MF.Recipe] = {
    # a recorder that reserves 200 kB for the index in front of the media data (its complete files have the
    # index there, followed by a 'free' box for the rest of the room)
    **_pair("rl_moovsize", "mp4", ("testsrc2", "music1"), ("mandelbrot", "music2"), "320x240", "30",
            MF._video_args("h264", "320x240", "30", 2, 30, 26) + MF._audio_args(48000, 2, 96)
            + ["-moov_size", "200000"], 6, 3, (48000, 2)),
    # an old phone's 3GPP: H.263 QCIF at 15 fps, AMR-NB 12.2 kbit/s
    **_pair("rl_h263_amr", "3gp", ("testsrc2", "music1"), ("mandelbrot", "noise"), "176x144", "15",
            ["-c:v", "h263", "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "libopencore_amrnb", "-b:a", "12.2k",
             "-ar", "8000", "-ac", "1"], 6, 3, (8000, 1)),
    # the same camera at CIF, video only (another picture size: the wrong reference)
    "rl_h263_cif": MF.Recipe("rl_h263_cif", "3gp", tuple(_video("life", "352x288", "15") + [
        "-t", "2", "-c:v", "h263", "-g", "30", "-pix_fmt", "yuv420p"]), "H.263 CIF", 2),
    # an old camera's QuickTime: Photo-JPEG and 8-bit PCM, unsigned ('raw ') and signed (ffmpeg writes 'sowt'
    # for it, the camera 'twos': the same bytes for 8 bits; renamed by ``strip_ftyp``)
    **_pair("rl_qt_jpeg_raw", "mov", ("testsrc2", "music1"), ("smptebars", "noise"), "320x240", "15",
            _JPEG + ["-c:a", "pcm_u8", "-ar", "11025", "-ac", "1"], 5, 3, (11025, 1)),
    **_pair("rl_qt_jpeg_twos", "mov", ("life", "music3"), ("cellauto", "music2"), "320x240", "15",
            _JPEG + ["-c:a", "pcm_s8", "-ar", "22050", "-ac", "2"], 4, 2, (22050, 2)),
    # LPCM in a version 2 sound description: ffmpeg writes one for rates above 65535 Hz; its audio chunks
    # come in two sizes (3072 and 4096 frames) between the video frames
    **_pair("rl_lpcm96", "mov", ("testsrc2", "music2"), ("smptebars", "music1"), "320x240", "30",
            MF._video_args("h264", "320x240", "30", 0, 30, 23) + ["-c:a", "pcm_s16le", "-ar", "96000", "-ac", "2"],
            3, 2, (96000, 2)),
    # ... and the Live Photo's 44.1 kHz mono 16-bit (written as 'sowt' version 0; made 'lpcm' version 2 below)
    **_pair("rl_lpcm44", "mov", ("cellauto", "music3"), ("life", "noise"), "160x120", "25",
            _X264 + ["-c:a", "pcm_s16le", "-ar", "44100", "-ac", "1"], 4, 2, (44100, 1)),
    # a Samsung-style slow motion: 120 fps H.264 with B-frames, AAC (made SEF-like below)
    **_pair("rl_hfr", "mp4", ("testsrc2", "music1"), ("mandelbrot", "music2"), "320x240", "120",
            MF._video_args("h264", "320x240", "120", 2, 120, 28) + MF._audio_args(48000, 2, 96), 3, 2,
            (48000, 2)),
}


def _build(name: str) -> Path:
    return MF.build_recipe(RECIPES[name])


def _cut_points(path: Path) -> dict[str, int]:
    return MF.cut_points(path)


# --- file surgery (plain struct, independent of mp4fix) ------------------------------------------------------------


def _boxes(data: bytes, start: int, end: int):
    pos = start
    while pos + 8 <= end:
        size, typ = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            return
        yield typ, pos, size, header
        pos += size


def _edit_boxes(data: bytes, start: int, end: int, edit) -> bytes:
    """Rebuild the boxes in data[start:end], containers recursively; ``edit(type, box bytes)`` may replace a leaf."""
    out = b""
    for typ, pos, size, header in _boxes(data, start, end):
        if typ in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
            body = _edit_boxes(data, pos + header, pos + size, edit)
            out += struct.pack(">I", len(body) + 8) + typ + body
        else:
            box = data[pos:pos + size]
            out += edit(typ, box)
    return out


def strip_ftyp(src: Path, dst: Path) -> Path:
    """The same recording as an old QuickTime camera writes it: no 'ftyp' (every chunk offset moves back), and
    8-bit signed PCM called 'twos'."""
    data = src.read_bytes()
    size, typ = struct.unpack_from(">I4s", data, 0)
    assert typ == b"ftyp"

    def edit(t: bytes, box: bytes) -> bytes:
        if t == b"stsd" and box[20:24] == b"sowt" and struct.unpack_from(">H", box, 16 + 26)[0] == 8:
            return box[:20] + b"twos" + box[24:]
        if t == b"stco":
            n = struct.unpack_from(">I", box, 12)[0]
            offs = np.frombuffer(box, ">u4", n, 16).astype(np.int64) - size
            return box[:16] + offs.astype(">u4").tobytes() + box[16 + 4 * n:]
        return box

    rest = data[size:]
    out = b""
    for t, pos, sz, _h in _boxes(rest, 0, len(rest)):
        out += _edit_boxes(rest, pos, pos + sz, edit) if t == b"moov" else rest[pos:pos + sz]
    dst.write_bytes(out)
    return dst


def lpcm_v2(src: Path, dst: Path) -> Path:
    """The recording's 16-bit little-endian PCM ('sowt', sound description version 0) described as an iPhone
    does: 'lpcm' with a version 2 sound description (QuickTime File Format, "Sound Sample Description (Version
    2)"). The moov follows the mdat, so no chunk offset moves."""
    data = src.read_bytes()

    def edit(t: bytes, box: bytes) -> bytes:
        if t != b"stsd":
            return box
        entry = box[16:]
        esize, etype = struct.unpack_from(">I4s", entry, 0)
        if etype != b"sowt":
            return box
        channels, bits = struct.unpack_from(">HH", entry, 24)
        rate = struct.unpack_from(">I", entry, 32)[0] >> 16
        children = entry[36:esize]
        body = (bytes(6) + struct.pack(">H", 1)  # reserved, data reference index
                + struct.pack(">HHI", 2, 0, 0)  # version 2, revision, vendor
                + struct.pack(">HHhHI", 3, 16, -2, 0, 0x10000)  # always3, always16, alwaysMinus2, always0, 65536
                + struct.pack(">Id", 72, float(rate))  # sizeOfStructOnly, audioSampleRate
                + struct.pack(">III", channels, 0x7F000000, bits)  # channels, always7F000000, bits per channel
                + struct.pack(">III", 0x0C, channels * bits // 8, 1)  # signed | packed (little-endian), bytes, 1
                + children)
        new = struct.pack(">I", len(body) + 8) + b"lpcm" + body
        return struct.pack(">I", 16 + len(new)) + b"stsd" + box[8:16] + new

    out = b""
    for t, pos, sz, _h in _boxes(data, 0, len(data)):
        out += _edit_boxes(data, pos, pos + sz, edit) if t == b"moov" else data[pos:pos + sz]
    dst.write_bytes(out)
    return dst


def _nal_units(sample: bytes, ls: int = 4) -> list[bytes]:
    out, p = [], 0
    while p < len(sample):
        n = int.from_bytes(sample[p:p + ls], "big")
        out.append(sample[p + ls:p + ls + n])
        p += ls + n
    return out


def wrap_like_android(sample: bytes) -> bytes:
    """An H.264 access unit as older Android writers store a temporal-SVC encoder's output (Samsung slow motion):
    one length prefix in front of the whole buffer, which holds a prefix NAL unit (type 14, with its SVC
    extension header) and then the picture's NAL units each after a 4-byte start code."""
    nals = _nal_units(sample)
    vcl = next(n for n in nals if n[0] & 0x1F in (1, 5))
    prefix = bytes([(vcl[0] & 0x60) | 14]) + (b"\xc0\x80\x0f" if vcl[0] & 0x1F == 5 else b"\x80\x80\x0f")
    body = prefix + b"".join(b"\0\0\0\1" + n for n in nals)
    return len(body).to_bytes(4, "big") + body


def remux(src: Path, dst: Path, handler: str, transform, trailer: bytes = b"") -> Path:
    """``src`` (ftyp, ..., mdat, moov) with every sample of the ``handler`` track replaced by
    ``transform(sample)``: the samples keep their order and chunks, the mdat is rewritten and the sample sizes and
    chunk offsets follow. ``trailer`` is appended after the moov (a vendor's data)."""
    data = src.read_bytes()
    movie = oracle.read_movie(src)
    top = oracle.top_level_boxes(src)
    mdat = next(b for b in top if b.type == "mdat")
    assert top[-1].type == "moov" and mdat.header_size == 8
    samples = sorted((o, ti, i) for ti, t in enumerate(movie.tracks) for i, o in enumerate(t.offsets))
    new_offset: dict[tuple[int, int], int] = {}
    new_sizes: dict[int, list[int]] = {ti: list(t.sizes) for ti, t in enumerate(movie.tracks)}
    payload = bytearray()
    for o, ti, i in samples:
        t = movie.tracks[ti]
        raw = data[o:o + t.sizes[i]]
        if t.handler == handler:
            raw = transform(raw)
            new_sizes[ti][i] = len(raw)
        new_offset[(ti, i)] = mdat.payload_start + len(payload)
        payload += raw
    first_of_chunk = {ti: {t.chunk_offsets.index(o): i for i, o in enumerate(t.offsets) if o in t.chunk_offsets}
                      for ti, t in enumerate(movie.tracks)}
    traks = iter(range(len(movie.tracks)))
    current = [None]

    def edit(typ: bytes, box: bytes) -> bytes:
        if typ == b"tkhd":
            current[0] = next(traks)
        ti = current[0]
        if typ == b"stsz" and movie.tracks[ti].handler == handler:
            sizes = new_sizes[ti]
            return struct.pack(">I4sIII", 20 + 4 * len(sizes), b"stsz", 0, 0, len(sizes)) + \
                np.asarray(sizes, ">u4").tobytes()
        if typ == b"stco":
            chunks = [new_offset[(ti, first_of_chunk[ti][c])] for c in range(len(movie.tracks[ti].chunk_offsets))]
            return box[:16] + np.asarray(chunks, ">u4").tobytes()
        return box

    moov = _edit_boxes(data, top[-1].offset, top[-1].end, edit)
    head = data[:mdat.offset]
    dst.write_bytes(head + struct.pack(">I", 8 + len(payload)) + b"mdat" + bytes(payload) + moov + trailer)
    return dst


def sef_trailer(boxed: bool) -> bytes:
    """Samsung's SEF data after the moov: records, then a 'SEFH' directory, its length and 'SEFT' (the layout
    of the slow-motion files in public test data); Samsung wraps it in a 'sefd' box, other writers do not."""
    record = struct.pack("<HHI", 0, 0x0890, 19) + b"SlowMotion_Data" + b"0:120:30*1:1"
    directory = b"SEFH" + struct.pack("<III", 106, 1, 0) + struct.pack("<HHII", 0, 0x0890, len(record) + 8, len(record))
    body = record + directory + struct.pack("<I", len(directory)) + b"SEFT"
    return struct.pack(">I", 8 + len(body)) + b"sefd" + body if boxed else body


# --- checks --------------------------------------------------------------------------------------------------------


def _decoded_audio(path: Path) -> bytes:
    """The first audio stream decoded to 32-bit PCM by ffmpeg (edit lists applied)."""
    res = subprocess.run([MF.ffmpeg(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-c:a", "pcm_s32le",
                          "-f", "s32le", "-"], check=False, capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    return res.stdout


def check_pcm_repair(original: Path, cut: int, fixed: Path, report) -> dict[int, int]:
    """``check_repair`` for files with PCM audio, which ffmpeg reads a chunk at a time (a packet is a chunk, so
    the packet list of a file cut inside a chunk differs): the sample tables exactly, the video's packets and
    decoded frames, and the decoded audio up to the cut."""
    compared = oracle.assert_same_samples(original, fixed, cut, offset_shift=0, pts="exact")
    assert all(n > 0 for n in compared.values()), compared
    orig, rep = oracle.read_movie(original), oracle.read_movie(fixed)
    for t, r in zip(orig.tracks, rep.tracks):
        assert [e[1] for e in r.edits] == [e[1] for e in t.edits], f"{t.handler}: edit list media times differ"
    fo, fr = oracle.ff_packets(original), oracle.ff_packets(fixed)
    for i, t in enumerate(orig.tracks):
        if t.handler != "vide":
            continue
        n = oracle.samples_before(t, cut)
        a, b = fo[i][:n], fr[i]
        assert [(p.size, p.crc, p.keyframe, p.dts, p.pts) for p in a] == \
            [(p.size, p.crc, p.keyframe, p.dts, p.pts) for p in b], f"stream {i}: video packets differ"
        want, got = _decoded_by_pts(original, "v"), _decoded_by_pts(fixed, "v")
        assert got and all(want.get(k) == v for k, v in got.items()), "decoded video frames differ"
    audio = orig.track("soun")
    pcm_a, pcm_b = _decoded_audio(original), _decoded_audio(fixed)
    n = oracle.samples_before(audio, cut)
    channels = len(pcm_a) // (4 * audio.count)
    assert len(pcm_b) == n * channels * 4, (len(pcm_b), n, channels)
    assert pcm_b == pcm_a[:len(pcm_b)], "decoded audio differs from the original's"
    assert report.verify is not None and report.verify.ok and report.verify.decode_errors == 0, report.verify
    assert report.complete and report.bytes_skipped == 0
    assert report.bytes_used + report.truncated_tail == report.mdat_bytes
    return compared


# --- 1. room reserved for the index ---------------------------------------------------------------------------------


def _reserved_layout(original: Path, cut: int, kind: str, dst: Path) -> tuple[Path, int, int]:
    """The original cut at ``cut`` as the recorder left it while recording: the room kept for the index (its
    moov and the 'free' box after it) still as reserved, the mdat size never written.

    ``ffmpeg``: zeros, then ffmpeg's own 8-byte 'free' box and an mdat of size 0; ``android``: one 'free' box
    of the reserved size (its payload zeros) and an mdat whose size is "????"; ``android64``: the same with
    the 64-bit header "\\0\\0\\0\\1mdat????????". Returns (path, room start, room end)."""
    data = bytearray(original.read_bytes()[:cut])
    top = oracle.top_level_boxes(original)
    assert [b.type for b in top] == ["ftyp", "moov", "free", "free", "mdat"], [b.type for b in top]
    room, mdat = top[0].end, top[-1].offset
    if kind == "ffmpeg":
        data[room:mdat - 8] = bytes(mdat - 8 - room)
        data[mdat:mdat + 4] = bytes(4)
        end = mdat - 8
    elif kind == "android":
        data[room:mdat] = struct.pack(">I", mdat - room) + b"free" + bytes(mdat - room - 8)
        data[mdat:mdat + 4] = b"????"
        end = mdat
    else:
        data[room:mdat - 8] = struct.pack(">I", mdat - 8 - room) + b"free" + bytes(mdat - 16 - room)
        data[mdat - 8:mdat + 8] = b"\0\0\0\x01mdat????????"
        end = mdat - 8
    dst.write_bytes(bytes(data))
    return dst, room, end


@pytest.mark.parametrize("kind", ["ffmpeg", "android", "android64"])
@pytest.mark.parametrize("cut_at", ["mdat30", "mid_sample"])
def test_room_reserved_for_the_index_is_repaired(kind, cut_at, tmp_path):
    original, reference = _build("rl_moovsize"), _build("rl_moovsize_ref")
    cut = _cut_points(original)[cut_at]
    broken, room, end = _reserved_layout(original, cut, kind, tmp_path / f"reserved_{kind}.mp4")
    d = diagnose(broken)
    assert d.broken and not d.has_moov and d.recoverable_bytes > 0, d.problem
    assert "room" in d.problem
    report = repair(broken, reference)
    check_repair(original, broken, cut, Path(report.output), report)
    boxes = oracle.top_level_boxes(report.output)
    # every byte stays where it was; the room is one 'free' box, so a box walker reaches the mdat and the index
    assert [(b.type, b.offset, b.size) for b in boxes[:2]] == [("ftyp", 0, room), ("free", room, end - room)]
    assert [b.type for b in boxes[2:]] in (["free", "mdat", "moov"], ["mdat", "moov"])
    assert all(b.declared_size for b in boxes)


def test_killed_recording_with_room_reserved(tmp_path):
    """ffmpeg recording with ``-moov_size``, killed after 3 s: ftyp, 200,000 zero bytes, an 8-byte 'free' box
    and an mdat of size 0. Before, mp4fix said "neither an index nor media data"."""
    path, seconds = MF.killed_recording("live_avc_aac48s", 3.0, extra=("-moov_size", "200000"))
    broken = tmp_path / "killed.mp4"
    broken.write_bytes(path.read_bytes())
    data = broken.read_bytes()
    assert not any(data[32:200032]) and data[200032:200048] == b"\0\0\0\x08free\0\0\0\0mdat"
    d = diagnose(broken)
    assert d.broken and d.mdat_start == 200048 and d.mdat_end == len(data), d.problem
    report = repair(broken, MF.build("live_avc_aac48s_ref"))
    assert report.verify.ok and report.verify.decode_errors == 0, report.verify.log
    assert report.bytes_skipped == 0
    video = next(t for t in report.tracks if t.kind == "video")
    assert abs(video.duration - seconds) < 1.0, (video.duration, seconds)
    boxes = oracle.top_level_boxes(report.output)
    assert [(b.type, b.offset, b.size) for b in boxes[:4]] == [
        ("ftyp", 0, 32), ("free", 32, 200000), ("free", 200032, 8), ("mdat", 200040, len(data) - 200040)]
    assert boxes[4].type == "moov" and boxes[4].end == Path(report.output).stat().st_size


@pytest.mark.parametrize("header", [b"????mdat", b"\0\0\0\x01mdat????????"], ids=["32bit", "64bit"])
def test_android_placeholder_in_a_long_recording(header, tmp_path):
    """Past 1 GiB the placeholder "????" (0x3F3F3F3F bytes) ends inside the media data, where bytes may look
    like a box header: the media data still runs to the end of the file. (A sparse file: nothing is written.)"""
    path = tmp_path / "long.mp4"
    ftyp = struct.pack(">I", 24) + b"ftyp3gp4" + bytes(4) + b"isom3gp4"
    with open(path, "wb") as f:
        f.write(ftyp + struct.pack(">I", 4096) + b"free" + bytes(4088) + header + b"\1" * 64)
        f.seek(len(ftyp) + 4096 + 0x3F3F3F3F)
        f.write(struct.pack(">I", 16) + b"skip" + bytes(8) + b"\2" * 1000)  # bytes that look like a box
    size = path.stat().st_size
    d = diagnose(path)
    assert d.broken and d.mdat_start == len(ftyp) + 4096 + len(header) and d.mdat_end == size, d.problem
    assert [b.type for b in d.boxes] == ["ftyp", "free", "mdat"]
    assert "after the last box" not in d.problem


def test_zero_runs_between_boxes():
    """A run of zeros is listed as a pseudo box only when a known box follows it; a run shorter than a box
    header is added to the box before it in the output."""
    ftyp = struct.pack(">I", 20) + b"ftypqt  " + bytes(4) + b"qt  "
    mdat = struct.pack(">I", 24) + b"mdat" + bytes(range(1, 17))
    refs = top_level(ftyp + bytes(4) + mdat, 48)
    assert [(r.type, r.offset, r.size) for r in refs] == [("ftyp", 0, 20), (ZERO_RUN, 20, 4), ("mdat", 24, 24)]
    assert zero_run_patches(refs) == ((0, struct.pack(">I", 24)),)
    refs = top_level(bytes(12) + struct.pack(">I", 8) + b"wide" + struct.pack(">I", 0) + b"mdat" + b"\1" * 8, 36)
    assert [(r.type, r.offset) for r in refs] == [(ZERO_RUN, 0), ("wide", 12), ("mdat", 20)]
    assert zero_run_patches(refs) == ((0, struct.pack(">I", 12) + b"free"),)
    assert top_level(bytes(64), 64) == []  # zeros and nothing after them: not an MP4
    assert top_level(ftyp + bytes(40) + b"\x12\x34" * 8, 76)[-1].type == "ftyp"  # zeros, then no box


# --- 2. H.263 + AMR (3GPP) ------------------------------------------------------------------------------------------


def test_h263_matcher_measures_every_picture():
    original = _build("rl_h263_amr")
    movie = oracle.read_movie(original)
    video = movie.track("vide")
    assert video.fourcc == "s263"
    reference = _build("rl_h263_amr_ref")
    track = next(t for t in learn_profile(reference).tracks if t.kind == "video")
    with MediaFile(reference, role="reference") as ref:
        m, why = make_matcher(track, ref.data)
    assert isinstance(m, H263Matcher) and not why, why
    assert m.sizes == {(176, 144)}
    with MediaFile(original) as mf:
        start, end = oracle.mdat_span(original)
        cands = set(m.candidates(mf.arr, start, end).tolist())
        for i, (off, size, key) in enumerate(zip(video.offsets, video.sizes, video.keyframes)):
            got = m.match(mf.data, off, off + size)
            assert got is not None and got.size == size and got.keyframe == key, (i, got)
            assert off in cands
            assert m.match(mf.data, off + 1, end) is None
            reach = m.match(mf.data, off, end)  # audio after it: reaches the next picture, or the end of the data
            nxt = video.offsets[i + 1] if i + 1 < video.count else end
            assert reach.size == nxt - off and reach.open_end == (i + 1 == video.count)
        audio = movie.track("soun")
        assert not any(m.match(mf.data, o, end) for o in audio.offsets[:50])


def _bits(*fields: tuple[int, int]) -> bytes:
    value, n = 0, 0
    for v, w in fields:
        value = value << w | v
        n += w
    pad = -n % 8
    return (value << pad).to_bytes((n + pad) // 8, "big")


def test_h263_plusptype_headers():
    """PLUSPTYPE (H.263 version 2): a custom picture format in OPPTYPE/CPFMT, and a picture that keeps it."""
    psc = (0b0000000000000000100000, 22)
    intra = _bits(psc, (7, 8), (0b10, 2), (0, 3), (0b111, 3), (0b001, 3),  # TR, PTYPE, UFEP
                  (0b110, 3), (0, 11), (0b1000, 4),  # OPPTYPE: custom source format
                  (0b000, 3), (0, 3), (0b001, 3), (0, 1),  # MPPTYPE: I picture; CPM
                  (0b0010, 4), (320 // 4 - 1, 9), (1, 1), (240 // 4, 9),  # CPFMT 12:11, 320x240
                  (10, 5), (0, 1)) + b"\x5a" * 8
    h = parse_picture_header(intra, 0, len(intra))
    assert (h.temporal_reference, h.intra, h.plus, h.size) == (7, True, True, (320, 240))
    inter = _bits(psc, (8, 8), (0b10, 2), (0, 3), (0b111, 3), (0b000, 3),
                  (0b001, 3), (0, 3), (0b001, 3), (0, 1), (10, 5), (0, 1)) + b"\x5a" * 8
    h = parse_picture_header(inter, 0, len(inter))
    assert (h.intra, h.plus, h.size) == (False, True, None)
    for bad in (_bits(psc, (7, 8), (0b11, 2), (0, 3), (0b010, 3), (0, 5), (10, 5), (0, 1)),  # PTYPE bit 2 set
                _bits(psc, (7, 8), (0b10, 2), (0, 3), (0b000, 3), (0, 5), (10, 5), (0, 1)),  # forbidden format
                _bits(psc, (7, 8), (0b10, 2), (0, 3), (0b010, 3), (0, 5), (0, 5), (0, 1))):  # PQUANT 0
        with pytest.raises(BitstreamError):
            parse_picture_header(bad + bytes(8), 0, len(bad) + 8)


@pytest.mark.parametrize("cut_at", ["mdat30", "mid_sample", "mdat90"])
def test_h263_amr_3gpp_repaired_exactly(cut_at, tmp_path):
    original, reference = _build("rl_h263_amr"), _build("rl_h263_amr_ref")
    cut = _cut_points(original)[cut_at]
    broken = MF.cut(original, tmp_path / "phone.3gp", cut)
    report = repair(broken, reference)
    assert [(t.kind, t.codec) for t in report.tracks] == [("video", "s263"), ("audio", "samr")]
    check_repair(original, broken, cut, Path(report.output), report)


def test_h263_reference_of_another_picture_size_is_refused(tmp_path):
    original = _build("rl_h263_amr")
    broken = MF.cut(original, tmp_path / "phone.3gp", _cut_points(original)["mdat60"])
    with pytest.raises(Mp4fixError) as err:
        repair(broken, _build("rl_h263_cif"))
    assert err.value.exit_code == 3
    assert not list(tmp_path.glob("*_fixed*"))


# --- 3. QuickTime without ftyp: Photo-JPEG with 8-bit PCM ------------------------------------------------------------


@pytest.mark.parametrize("name", ["rl_qt_jpeg_raw", "rl_qt_jpeg_twos"])
@pytest.mark.parametrize("cut_at", ["mdat60", "mid_sample"])
def test_quicktime_without_ftyp_photo_jpeg_and_8bit_pcm(name, cut_at, tmp_path):
    original = strip_ftyp(_build(name), tmp_path / "original.mov")
    reference = strip_ftyp(_build(name + "_ref"), tmp_path / "reference.mov")
    assert [b.type for b in oracle.top_level_boxes(original)] == ["wide", "mdat", "moov"]
    movie = oracle.read_movie(original)
    assert [t.fourcc for t in movie.tracks] == ["jpeg", "raw " if name.endswith("raw") else "twos"]
    assert set(movie.track("soun").sizes) == {1 if name.endswith("raw") else 2}
    cut = _cut_points(original)[cut_at]
    broken = MF.cut(original, tmp_path / "camera.mov", cut)
    report = repair(broken, reference)
    check_pcm_repair(original, cut, Path(report.output), report)
    assert oracle.top_level_boxes(report.output)[0].type == "wide"  # no ftyp added in front: offsets kept


# --- 4. LPCM (sound description version 2) ------------------------------------------------------------------------------


def _lpcm_files(name: str, folder: Path) -> tuple[Path, Path]:
    if name == "rl_lpcm96":
        return _build(name), _build(name + "_ref")
    return lpcm_v2(_build(name), folder / "original.mov"), lpcm_v2(_build(name + "_ref"), folder / "reference.mov")


@pytest.mark.parametrize("name", ["rl_lpcm96", "rl_lpcm44"])
@pytest.mark.parametrize("cut_at", ["mdat30", "mid_sample", "mdat90"])
def test_lpcm_version_2_comes_back_exact(name, cut_at, tmp_path):
    original, reference = _lpcm_files(name, tmp_path)
    audio = oracle.read_movie(original).track("soun")
    assert audio.fourcc == "lpcm" and struct.unpack_from(">H", audio.sample_entry, 16)[0] == 2
    runs = {n for n in np.diff(np.flatnonzero(np.diff(audio.offsets) != np.asarray(audio.sizes[:-1])))}
    assert len(runs) > 1, "the audio comes in chunks of several sizes"
    cut = _cut_points(original)[cut_at]
    broken = MF.cut(original, tmp_path / "live.mov", cut)
    report = repair(broken, reference)
    check_pcm_repair(original, cut, Path(report.output), report)


def test_lpcm_version_2_frame_size_from_its_description(tmp_path):
    """A version 2 description whose stsz does not give the frame size (sample size 1): the frame is
    constBytesPerAudioPacket, not the format flags (which sit 4 bytes before it)."""
    original = lpcm_v2(_build("rl_lpcm44_ref"), tmp_path / "lpcm.mov")
    track = next(t for t in learn_profile(original).tracks if t.kind == "audio")
    assert (track.sample_rate, track.channels) == (44100, 1)
    ones = TrackProfile(**{**track.__dict__, "sizes": np.ones(len(track.sizes), np.int64)})
    assert PcmMatcher(ones).stride == 2


# --- 5. Samsung slow motion: a trailer after the index, temporal-SVC H.264 in one unit per access unit ------------


def _sef_files(folder: Path, boxed: bool) -> tuple[Path, Path]:
    original = remux(_build("rl_hfr"), folder / "original.mp4", "vide", wrap_like_android)
    reference = remux(_build("rl_hfr_ref"), folder / "reference.mp4", "vide", wrap_like_android, sef_trailer(boxed))
    return original, reference


def test_wrapped_access_units_are_measured(tmp_path):
    """Each sample is one length-prefixed unit holding a prefix NAL unit and start-code delimited NAL units:
    the matcher learns that from the reference and measures every sample of the recording."""
    original, reference = _sef_files(tmp_path, boxed=True)
    video = oracle.read_movie(original).track("vide")
    data = original.read_bytes()
    assert all(int.from_bytes(data[o:o + 4], "big") == s - 4 for o, s in zip(video.offsets, video.sizes))
    track = next(t for t in learn_profile(reference).tracks if t.kind == "video")
    with MediaFile(reference, role="reference") as ref:
        m, why = make_matcher(track, ref.data)
    assert m is not None and m.wrapped, why
    m = m.clone()
    start, end = oracle.mdat_span(original)
    cands = set(m.candidates(np.frombuffer(data, np.uint8), start, end).tolist())
    for i, (off, size, key) in enumerate(zip(video.offsets, video.sizes, video.keyframes)):
        got = m.match(data, off, end)
        assert got is not None and (got.size, got.keyframe) == (size, key), (i, got, size, key)
        m.accept(got)
        assert off in cands
    assert m.cut_start(data, video.offsets[5], video.offsets[5] + 40)
    assert not m.cut_start(data, video.offsets[5] + 1, video.offsets[5] + 40)


@pytest.mark.parametrize("boxed", [True, False], ids=["sefd_box", "raw_trailer"])
@pytest.mark.parametrize("cut_at", ["mdat30", "mid_sample", "mdat90"])
def test_slow_motion_with_vendor_trailer_repaired_exactly(boxed, cut_at, tmp_path):
    original, reference = _sef_files(tmp_path, boxed)
    assert reference.read_bytes().endswith(b"SEFT")
    assert diagnose(reference).has_moov and not diagnose(reference).broken
    cut = _cut_points(original)[cut_at]
    broken = MF.cut(original, tmp_path / "slowmo.mp4", cut)
    report = repair(broken, reference)
    check_repair(original, broken, cut, Path(report.output), report)


REALWORLD = Path(os.environ.get("MP4FIX_REALWORLD") or Path(__file__).resolve().parents[2] / "shared" / "realworld")
#: public real recordings of Samsung's slow motion (androidx/media and google/ExoPlayer test data), when the
#: shared folder holds them
SEF_FILES = [n for n in ("samsung_sef_slow_motion.mp4", "samsung_sef_super_slow_motion.mp4")
             if (REALWORLD / n).is_file()]


@pytest.mark.skipif(not SEF_FILES, reason=f"no Samsung slow-motion recordings in {REALWORLD}")
@pytest.mark.parametrize("name", SEF_FILES)
@pytest.mark.parametrize("frac", [0.3, 0.6, 0.9])
def test_real_samsung_slow_motion(name, frac, tmp_path):
    """The reference ends in Samsung's 'sefd' trailer; each video sample is one unit holding a prefix NAL unit
    and start-code delimited NAL units. Every sample before the cut comes back at its offset and size."""
    from test_realworld import check_every_sample

    original = REALWORLD / name
    data = original.read_bytes()
    cut = int(len(data) * frac)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[:cut])
    report = repair(broken, original, verify=False)
    counts = check_every_sample(original, Path(report.output), cut)
    assert "vide/avc1" in counts
