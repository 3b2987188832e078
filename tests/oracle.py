"""Test oracles: an independent MP4/MOV sample-table reader and ffmpeg's own view of a file.

The reader below is deliberately *not* mp4fix code (plain ``struct``, no construct, no shared helpers):
when the product and this reader agree on a repaired file, two independent implementations agree. It
reads only what the tests need: per track the handler, sample-entry fourcc and codec config, timescale,
and for every sample its byte offset, size, duration, composition offset and sync flag, plus the edit list.

ffmpeg is the second oracle (``packets`` / ``framemd5`` below): it has no byte offsets, but gives
sizes, CRCs, timestamps and key flags per packet.

Main API::

    movie = read_movie(path)                 # Movie(tracks=[TrackTable...], timescale, path)
    movie.track('vide').offsets / .sizes / .durations / .cts / .keyframes / .edits / .config
    top_level_boxes(path)                    # [(type, offset, size, header_size)]
    mdat_span(path)                          # (first payload byte, end of payload) of the first mdat
    samples_before(track, offset)            # samples lying wholly before a byte offset
    assert_same_samples(original, repaired, upto_offset)
    assert_same_packets(original_path, repaired_path, upto_offset)
    compare_with_ffmpeg(path)                # [] when this reader and ffmpeg agree
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import struct
import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator, Sequence

__all__ = [
    "Box", "Movie", "TrackTable", "read_movie", "top_level_boxes", "mdat_span", "samples_before", "sample_bytes",
    "parameter_sets", "audio_specific_config", "assert_same_samples", "assert_same_packets", "compare_with_ffmpeg",
    "ff_packets", "ff_framemd5", "file_md5", "original_samples", "framemd5", "packets", "parse_framecrc", "Packet",
]

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta", b"mvex", b"tref"}


@dataclass
class Box:
    type: str
    offset: int  # of the header
    size: int  # whole box, as present in the file (clipped at EOF)
    header_size: int
    declared_size: int  # as written; 0 = "to the end of the file"

    @property
    def payload_start(self) -> int:
        return self.offset + self.header_size

    @property
    def end(self) -> int:
        return self.offset + self.size


def _iter_boxes(data: bytes | memoryview, start: int, end: int, base: int = 0) -> Iterator[Box]:
    """Boxes in ``data[start:end]``; ``base`` is added to offsets (for nested reads from a slice)."""
    pos = start
    while pos + 8 <= end:
        size, typ = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        declared = size
        if size == 0:
            size = end - pos
        if size < header:
            return  # garbage: stop rather than loop
        clipped = min(size, end - pos)
        yield Box(typ.decode("latin-1"), base + pos, clipped, header, declared)
        pos += size


def top_level_boxes(path: str | os.PathLike) -> list[Box]:
    """The top-level boxes of a file, reading only their headers."""
    out = []
    with open(path, "rb") as f:
        f.seek(0, 2)
        file_size = f.tell()
        pos = 0
        while pos + 8 <= file_size:
            f.seek(pos)
            head = f.read(16)
            size, typ = struct.unpack_from(">I4s", head, 0)
            header = 8
            if size == 1:
                if len(head) < 16:
                    break
                size = struct.unpack_from(">Q", head, 8)[0]
                header = 16
            declared = size
            if size == 0:
                size = file_size - pos
            if size < header:
                break
            out.append(Box(typ.decode("latin-1"), pos, min(size, file_size - pos), header, declared))
            pos += size
    return out


def mdat_span(path: str | os.PathLike) -> tuple[int, int]:
    """(first payload byte, end of payload present in the file) of the first mdat."""
    for b in top_level_boxes(path):
        if b.type == "mdat":
            return b.payload_start, b.end
    raise ValueError(f"{path}: no mdat box")


# --- sample tables ----------------------------------------------------------------------------------


@dataclass
class TrackTable:
    track_id: int
    handler: str  # 'vide', 'soun', 'tmcd', ...
    fourcc: str  # sample entry type: 'avc1', 'hvc1', 'mp4a', ...
    timescale: int
    media_duration: int
    offsets: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)
    cts: list[int] = field(default_factory=list)  # composition offsets (ctts), 0 when absent
    keyframes: list[bool] = field(default_factory=list)
    edits: list[tuple[int, int, float]] = field(default_factory=list)  # (segment duration [movie ts], media_time, rate)
    sample_entry: bytes = b""  # the whole first stsd entry, header included
    config: dict[str, bytes] = field(default_factory=dict)  # 'avcC'/'hvcC'/'esds' payloads from the entry
    chunk_offsets: list[int] = field(default_factory=list)
    has_stss: bool = False
    width: int = 0
    height: int = 0
    channels: int = 0
    sample_rate: int = 0

    @property
    def count(self) -> int:
        return len(self.sizes)

    @property
    def dts(self) -> list[int]:
        out, t = [], 0
        for d in self.durations:
            out.append(t)
            t += d
        return out

    @property
    def pts(self) -> list[int]:
        return [d + c for d, c in zip(self.dts, self.cts)]

    @property
    def kind(self) -> str:
        return {"vide": "video", "soun": "audio"}.get(self.handler, "data")


@dataclass
class Movie:
    path: str
    timescale: int
    tracks: list[TrackTable]

    def track(self, handler_or_fourcc: str, n: int = 0) -> TrackTable:
        hits = [t for t in self.tracks if handler_or_fourcc in (t.handler, t.fourcc, t.kind)]
        if len(hits) <= n:
            raise KeyError(f"{self.path}: no track {handler_or_fourcc!r} #{n}")
        return hits[n]


def _full(payload: memoryview) -> tuple[int, int, memoryview]:
    vf = struct.unpack_from(">I", payload, 0)[0]
    return vf >> 24, vf & 0xFFFFFF, payload[4:]


def _children(data: memoryview, box: Box, base: int) -> dict[str, list[Box]]:
    out: dict[str, list[Box]] = {}
    for b in _iter_boxes(data, box.payload_start - base, box.end - base, base):
        out.setdefault(b.type, []).append(b)
    return out


def _payload(data: memoryview, box: Box, base: int) -> memoryview:
    return data[box.payload_start - base:box.end - base]


def _parse_sample_entry(entry: memoryview, handler: str, t: TrackTable) -> None:
    """Codec config boxes of the first stsd entry (avcC/hvcC/esds, also inside a QuickTime 'wave')."""
    t.sample_entry = bytes(entry)
    if len(entry) < 16:
        return
    if handler == "vide" and len(entry) >= 86:
        t.width, t.height = struct.unpack_from(">HH", entry, 32)
        child_start = 86
    elif handler == "soun" and len(entry) >= 36:
        version = struct.unpack_from(">H", entry, 16)[0]
        t.channels = struct.unpack_from(">H", entry, 24)[0]
        t.sample_rate = struct.unpack_from(">I", entry, 32)[0] >> 16
        child_start = 36 + {1: 16, 2: 36}.get(version, 0)
        if version == 2 and len(entry) >= 72:
            t.sample_rate = int(struct.unpack_from(">d", entry, 40)[0])
            t.channels = struct.unpack_from(">I", entry, 48)[0]
    else:
        return

    def walk(start: int, end: int) -> None:
        for b in _iter_boxes(entry, start, end):
            if b.type in ("avcC", "hvcC", "esds", "dOps", "dac3", "btrt", "colr", "pasp", "chan"):
                t.config.setdefault(b.type, bytes(entry[b.payload_start:b.end]))
            elif b.type == "wave":
                walk(b.payload_start, b.end)

    walk(child_start, len(entry))


def _read_trak(data: memoryview, trak: Box, base: int) -> TrackTable | None:
    kids = _children(data, trak, base)
    if "mdia" not in kids:
        return None
    track_id = 0
    if "tkhd" in kids:
        version, _, p = _full(_payload(data, kids["tkhd"][0], base))
        track_id = struct.unpack_from(">I", p, 16 if version == 1 else 8)[0]
    mdia = _children(data, kids["mdia"][0], base)
    version, _, p = _full(_payload(data, mdia["mdhd"][0], base))
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", p, 16)
    else:
        timescale, duration = struct.unpack_from(">II", p, 8)
    _, _, p = _full(_payload(data, mdia["hdlr"][0], base))
    handler = bytes(p[4:8]).decode("latin-1")
    t = TrackTable(track_id=track_id, handler=handler, fourcc="", timescale=timescale, media_duration=duration)

    if "edts" in kids:
        edts = _children(data, kids["edts"][0], base)
        if "elst" in edts:
            version, _, p = _full(_payload(data, edts["elst"][0], base))
            n = struct.unpack_from(">I", p, 0)[0]
            pos = 4
            for _ in range(n):
                if version == 1:
                    seg, mt = struct.unpack_from(">Qq", p, pos)
                    pos += 16
                else:
                    seg, mt = struct.unpack_from(">Ii", p, pos)
                    pos += 8
                ri, rf = struct.unpack_from(">hH", p, pos)
                pos += 4
                t.edits.append((seg, mt, ri + rf / 65536))

    minf = _children(data, mdia["minf"][0], base)
    stbl = _children(data, minf["stbl"][0], base)

    _, _, p = _full(_payload(data, stbl["stsd"][0], base))
    if struct.unpack_from(">I", p, 0)[0] >= 1:
        first = next(_iter_boxes(p, 4, len(p)), None)
        if first is not None:
            t.fourcc = first.type
            _parse_sample_entry(p[first.offset:first.end], handler, t)

    # sizes
    if "stsz" in stbl:
        _, _, p = _full(_payload(data, stbl["stsz"][0], base))
        const, n = struct.unpack_from(">II", p, 0)
        t.sizes = [const] * n if const else list(struct.unpack_from(f">{n}I", p, 8))
    elif "stz2" in stbl:
        _, _, p = _full(_payload(data, stbl["stz2"][0], base))
        field_size = p[3]
        n = struct.unpack_from(">I", p, 4)[0]
        if field_size == 16:
            t.sizes = list(struct.unpack_from(f">{n}H", p, 8))
        elif field_size == 8:
            t.sizes = list(p[8:8 + n])
        else:  # 4 bits
            t.sizes = [(p[8 + i // 2] >> (4 if i % 2 == 0 else 0)) & 0xF for i in range(n)]
    n_samples = len(t.sizes)

    # chunk offsets
    if "stco" in stbl:
        _, _, p = _full(_payload(data, stbl["stco"][0], base))
        n = struct.unpack_from(">I", p, 0)[0]
        t.chunk_offsets = list(struct.unpack_from(f">{n}I", p, 4))
    elif "co64" in stbl:
        _, _, p = _full(_payload(data, stbl["co64"][0], base))
        n = struct.unpack_from(">I", p, 0)[0]
        t.chunk_offsets = list(struct.unpack_from(f">{n}Q", p, 4))

    # sample-to-chunk -> per-sample offsets
    _, _, p = _full(_payload(data, stbl["stsc"][0], base))
    n = struct.unpack_from(">I", p, 0)[0]
    runs = [struct.unpack_from(">III", p, 4 + 12 * i) for i in range(n)]
    offsets: list[int] = []
    s = 0
    n_chunks = len(t.chunk_offsets)
    for i, (first_chunk, per_chunk, _desc) in enumerate(runs):
        last_chunk = runs[i + 1][0] - 1 if i + 1 < len(runs) else n_chunks
        for chunk in range(first_chunk, last_chunk + 1):
            if chunk - 1 >= n_chunks:
                break
            pos = t.chunk_offsets[chunk - 1]
            for _ in range(per_chunk):
                if s >= n_samples:
                    break
                offsets.append(pos)
                pos += t.sizes[s]
                s += 1
    t.offsets = offsets

    # durations
    _, _, p = _full(_payload(data, stbl["stts"][0], base))
    n = struct.unpack_from(">I", p, 0)[0]
    for i in range(n):
        count, delta = struct.unpack_from(">II", p, 4 + 8 * i)
        t.durations.extend([delta] * count)
    # composition offsets (version 1 allows negative values; read signed either way, as players do)
    t.cts = [0] * len(t.durations)
    if "ctts" in stbl:
        _, _, p = _full(_payload(data, stbl["ctts"][0], base))
        n = struct.unpack_from(">I", p, 0)[0]
        out = []
        for i in range(n):
            count, off = struct.unpack_from(">Ii", p, 4 + 8 * i)
            out.extend([off] * count)
        t.cts = out
    # sync samples
    if "stss" in stbl:
        t.has_stss = True
        _, _, p = _full(_payload(data, stbl["stss"][0], base))
        n = struct.unpack_from(">I", p, 0)[0]
        t.keyframes = [False] * n_samples
        for k in struct.unpack_from(f">{n}I", p, 4):
            if 1 <= k <= n_samples:
                t.keyframes[k - 1] = True
    else:
        t.keyframes = [True] * n_samples
    return t


def read_movie(path: str | os.PathLike) -> Movie:
    """Sample tables of every track of a complete (moov-bearing) file."""
    moov = next((b for b in top_level_boxes(path) if b.type == "moov"), None)
    if moov is None:
        raise ValueError(f"{path}: no moov box")
    with open(path, "rb") as f:
        f.seek(moov.offset)
        data = memoryview(f.read(moov.size))
    base = moov.offset
    kids = _children(data, moov, base)
    mv_version, _, p = _full(_payload(data, kids["mvhd"][0], base))
    timescale = struct.unpack_from(">I", p, 16 if mv_version == 1 else 8)[0]
    tracks = [t for t in (_read_trak(data, b, base) for b in kids.get("trak", [])) if t is not None]
    return Movie(os.fspath(path), timescale, tracks)


original_samples = read_movie  # the name the test plan uses: per-track tables of a complete original


def samples_before(track: TrackTable, offset: int) -> int:
    """How many samples (from the first, in decode order) lie wholly before byte ``offset``."""
    n = 0
    for o, s in zip(track.offsets, track.sizes):
        if o + s > offset:
            break
        n += 1
    return n


def sample_bytes(path: str | os.PathLike, track: TrackTable, indices: Sequence[int] | None = None) -> Iterator[bytes]:
    with open(path, "rb") as f:
        for i in (range(track.count) if indices is None else indices):
            f.seek(track.offsets[i])
            yield f.read(track.sizes[i])


# --- codec configs --------------------------------------------------------------------------------


def parameter_sets(config_type: str, payload: bytes) -> dict[str, list[bytes]]:
    """NAL units of an avcC ('sps', 'pps', 'sps_ext') or hvcC (by NAL type name: 'vps', 'sps', 'pps', 'sei')."""
    out: dict[str, list[bytes]] = {}
    if config_type == "avcC":
        pos = 5
        n = payload[pos] & 0x1F
        pos += 1
        for _ in range(n):
            ln = struct.unpack_from(">H", payload, pos)[0]
            out.setdefault("sps", []).append(bytes(payload[pos + 2:pos + 2 + ln]))
            pos += 2 + ln
        n = payload[pos]
        pos += 1
        for _ in range(n):
            ln = struct.unpack_from(">H", payload, pos)[0]
            out.setdefault("pps", []).append(bytes(payload[pos + 2:pos + 2 + ln]))
            pos += 2 + ln
        return out
    if config_type == "hvcC":
        names = {32: "vps", 33: "sps", 34: "pps", 39: "sei", 40: "sei_suffix"}
        pos = 22
        n_arrays = payload[pos]
        pos += 1
        for _ in range(n_arrays):
            nal_type = payload[pos] & 0x3F
            count = struct.unpack_from(">H", payload, pos + 1)[0]
            pos += 3
            for _ in range(count):
                ln = struct.unpack_from(">H", payload, pos)[0]
                out.setdefault(names.get(nal_type, f"nal{nal_type}"), []).append(bytes(payload[pos + 2:pos + 2 + ln]))
                pos += 2 + ln
        return out
    raise ValueError(f"not a video config box: {config_type}")


def audio_specific_config(esds_payload: bytes) -> bytes:
    """The DecoderSpecificInfo (AudioSpecificConfig) inside an esds full-box payload."""
    p = esds_payload[4:]  # version/flags

    def read_len(pos: int) -> tuple[int, int]:
        n = 0
        for _ in range(4):
            b = p[pos]
            pos += 1
            n = (n << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        return n, pos

    pos = 0
    while pos < len(p):
        tag = p[pos]
        ln, body = read_len(pos + 1)
        if tag == 0x03:
            flags = p[body + 2]
            pos = body + 3 + (2 if flags & 0x80 else 0)
            if flags & 0x40:
                pos += 1 + p[pos]
            if flags & 0x20:
                pos += 2
            continue
        if tag == 0x04:
            pos = body + 13
            continue
        if tag == 0x05:
            return bytes(p[body:body + ln])
        pos = body + ln
    raise ValueError("no DecoderSpecificInfo in esds")


# --- ffmpeg's own view: frame hashes and packet lists (test-only) -----------------------------------------

LIST_TIMEOUT = 600.0  # seconds for framemd5 / packets


def framemd5(path: str | os.PathLike, stream_spec: str | None = None, *, timeout: float = LIST_TIMEOUT,
             exe: str | None = None, header: bool = False) -> list[str]:
    """The lines of ``-f framemd5`` for the decoded frames (``stream_index, dts, pts, duration, size, md5``).

    ``stream_spec`` selects streams (``'v'``, ``'a:0'``, ``'1'``); default: all audio and video.
    ``header=True`` also returns the ``#`` lines (time bases, codecs).
    """
    from mp4fix import fftools

    name = os.path.basename(os.fspath(path))
    maps = ["-map", f"0:{stream_spec}"] if stream_spec is not None else ["-map", "0:v?", "-map", "0:a?"]
    args = ["-v", "error", "-i", "file:" + os.fspath(path), *maps, "-f", "framemd5", "-"]
    res = fftools.run(args, exe=exe, timeout=timeout, what=f"hashing the frames of {name}")
    lines = [ln.strip() for ln in res.stdout.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines if header else [ln for ln in lines if not ln.startswith("#")]


AV_PKT_FLAG_KEY = 0x1
AV_PKT_FLAG_CORRUPT = 0x2
AV_PKT_FLAG_DISCARD = 0x4
_NOPTS = -0x8000000000000000


@dataclass
class Packet:
    stream: int
    dts: int | None
    pts: int | None
    duration: int
    size: int
    crc: int  # adler32 as framecrc prints it
    flags: int  # AV_PKT_FLAG_*: 1 key, 2 corrupt, 4 discard
    time_base: Fraction = Fraction(1, 1)

    @property
    def keyframe(self) -> bool:
        return bool(self.flags & AV_PKT_FLAG_KEY)

    @property
    def discard(self) -> bool:
        return bool(self.flags & AV_PKT_FLAG_DISCARD)

    @property
    def pts_time(self) -> float | None:
        return None if self.pts is None else float(self.pts * self.time_base)

    @property
    def dts_time(self) -> float | None:
        return None if self.dts is None else float(self.dts * self.time_base)


def parse_framecrc(text: str) -> list[Packet]:
    """Parse ``-f framecrc`` output. Data lines: ``stream, dts, pts, duration, size, 0xcrc[, F=0x..][, S=..]``.

    The ``F=`` column is omitted when the flags are exactly ``key`` (0x1); ``F=0x0`` is a non-key packet.
    """
    tbs: dict[int, Fraction] = {}
    out: list[Packet] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"^#tb (\d+): (\d+)/(\d+)", line)
            if m and int(m.group(3)):
                tbs[int(m.group(1))] = Fraction(int(m.group(2)), int(m.group(3)))
            continue
        cols = [c.strip() for c in line.split(",")]
        if len(cols) < 6:
            continue
        try:
            stream, dts, pts, dur, size = (int(c) for c in cols[:5])
            crc = int(cols[5], 16)
        except ValueError:
            continue
        flags = AV_PKT_FLAG_KEY
        for c in cols[6:]:
            if c.startswith("F="):
                try:
                    flags = int(c[2:], 16)
                except ValueError:
                    pass
        out.append(Packet(stream, None if dts == _NOPTS else dts, None if pts == _NOPTS else pts, dur, size, crc,
                          flags, tbs.get(stream, Fraction(1, 1))))
    return out


def packets(path: str | os.PathLike, *, ignore_editlist: bool = False, parse: bool = True,
            timeout: float = LIST_TIMEOUT, exe: str | None = None) -> list[Packet]:
    """Every packet of every stream, without decoding, in the order ffmpeg's muxer interleaves them.

    Timestamps are the demuxer's in each stream's time base (``-copyts``: not shifted). With
    ``ignore_editlist`` the mov demuxer ignores ``elst``, so dts/pts are the raw sample-table times
    (dts from 0, pts = dts + ctts) and no packet is marked discard. ``parse=False`` turns ffmpeg's codec
    parsers off (``-fflags +noparse+nofillin``): key flags are then exactly the container's (stss); with
    parsers on, the H.264 parser also flags non-IDR I-frames as key.
    """
    name = os.path.basename(os.fspath(path))
    pre = ["-ignore_editlist", "1"] if ignore_editlist else []
    if not parse:
        pre += ["-fflags", "+noparse+nofillin"]
    from mp4fix import fftools

    res = fftools.run(["-v", "error"] + pre + ["-i", "file:" + os.fspath(path), "-map", "0", "-c", "copy", "-copyts", "-f", "framecrc",
                                        "-"], exe=exe, timeout=timeout, what=f"listing the packets of {name}")
    return parse_framecrc(res.stdout.decode("utf-8", "replace"))


# --- ffmpeg as an oracle --------------------------------------------------------------------------


def ff_packets(path: str | os.PathLike, *, ignore_editlist: bool = True, parse: bool = False) -> dict[int, list]:
    """ffmpeg's packets per stream index (``packets``). By default the pure container view:
    raw sample-table times (no edit list) and key flags from stss (no codec parser)."""
    return _ff_packets(*_file_key(path), ignore_editlist, parse)


def ff_framemd5(path: str | os.PathLike, stream_spec: str | None = None) -> list[str]:
    return list(_ff_framemd5(*_file_key(path), stream_spec))


def _file_key(path) -> tuple[str, int, int]:
    # the cached originals are read by many tests: remember ffmpeg's answers per (path, size, mtime)
    st = os.stat(path)
    return str(path), st.st_size, st.st_mtime_ns


@functools.lru_cache(maxsize=64)
def _ff_packets(path: str, _size: int, _mtime: int, ignore_editlist: bool, parse: bool) -> dict[int, list]:
    out: dict[int, list] = {}
    for pkt in packets(path, ignore_editlist=ignore_editlist, parse=parse):
        out.setdefault(pkt.stream, []).append(pkt)
    return out


@functools.lru_cache(maxsize=64)
def _ff_framemd5(path: str, _size: int, _mtime: int, stream_spec: str | None) -> tuple[str, ...]:
    return tuple(framemd5(path, stream_spec))


def compare_with_ffmpeg(path: str | os.PathLike, movie: Movie | None = None) -> list[str]:
    """Differences between this reader and ffmpeg's packet list (ignoring edit lists); [] when they agree.

    Compared per track: sample count, sizes, CRC of the bytes at the reader's offsets (adler32, as framecrc),
    key flags, dts and pts.
    """
    movie = movie or read_movie(path)
    ff = ff_packets(path, ignore_editlist=True)
    problems: list[str] = []
    if len(ff) != len(movie.tracks):
        problems.append(f"ffmpeg has {len(ff)} streams, the reader {len(movie.tracks)} tracks")
    for i, t in enumerate(movie.tracks):
        pk = ff.get(i, [])
        tag = f"track {t.track_id} ({t.handler}/{t.fourcc})"
        if len(pk) != t.count:
            problems.append(f"{tag}: ffmpeg {len(pk)} packets, reader {t.count} samples")
            continue
        if [p.size for p in pk] != t.sizes:
            problems.append(f"{tag}: sizes differ")
        crcs = [zlib.adler32(b, 0) for b in sample_bytes(path, t)]  # framecrc: adler32 seeded with 0
        if [p.crc for p in pk] != crcs:
            bad = next(j for j, (a, b) in enumerate(zip(crcs, (p.crc for p in pk))) if a != b)
            problems.append(f"{tag}: data at the reader's offsets differs from ffmpeg's packets from sample {bad}")
        if [p.keyframe for p in pk] != t.keyframes:
            problems.append(f"{tag}: key flags differ")
        if [p.dts for p in pk] != t.dts:
            problems.append(f"{tag}: dts differ")
        if [p.pts for p in pk] != t.pts:
            problems.append(f"{tag}: pts differ")
    return problems


# --- comparing an original with a repaired file ---------------------------------------------------


def _as_movie(m: Movie | str | os.PathLike) -> Movie:
    return m if isinstance(m, Movie) else read_movie(m)


def _match_tracks(orig: Movie, rep: Movie) -> list[tuple[TrackTable, TrackTable | None]]:
    used: set[int] = set()
    pairs = []
    for t in orig.tracks:
        match = None
        for j, r in enumerate(rep.tracks):
            if j not in used and r.handler == t.handler and r.fourcc == t.fourcc:
                match = r
                used.add(j)
                break
        pairs.append((t, match))
    return pairs


def assert_same_samples(original: Movie | str | os.PathLike, repaired: Movie | str | os.PathLike,
                        upto_offset: int, *, handlers: Sequence[str] = ("vide", "soun"), exact_count: bool = True,
                        compare_bytes: bool = True, offset_shift: int | str | None = None,
                        pts: str = "exact", check_last_duration: bool = False) -> dict[int, int]:
    """Every sample of the original lying wholly before ``upto_offset`` must be in the repaired file, same order.

    Per track (matched by handler + fourcc) compares sizes, durations (the last one only with
    ``check_last_duration``: a repair has to guess it), key flags, composition times and, with
    ``compare_bytes``, the sample bytes themselves (so a different mdat layout is fine).
    ``exact_count``: the repaired track has exactly those samples (no more). ``offset_shift``: None = don't
    compare offsets, an int = repaired offset == original + shift, ``'constant'`` = any single shift.
    ``pts``: ``'exact'`` compares dts+ctts as is, ``'shift'`` allows one constant difference per track.
    Returns {track_id: samples compared}.
    """
    orig, rep = _as_movie(original), _as_movie(repaired)
    compared: dict[int, int] = {}
    for t, r in _match_tracks(orig, rep):
        if t.handler not in handlers:
            continue
        n = samples_before(t, upto_offset)
        tag = f"track {t.track_id} ({t.handler}/{t.fourcc})"
        assert r is not None, f"{tag}: no matching track in the repaired file"
        if exact_count:
            assert r.count == n, f"{tag}: repaired has {r.count} samples, expected {n} (wholly before {upto_offset})"
        else:
            assert r.count >= n, f"{tag}: repaired has {r.count} samples, expected at least {n}"
        assert r.sizes[:n] == t.sizes[:n], f"{tag}: sizes differ at sample {_first_diff(r.sizes, t.sizes, n)}"
        m = n if check_last_duration else max(n - 1, 0)
        assert r.durations[:m] == t.durations[:m], f"{tag}: durations differ at {_first_diff(r.durations, t.durations, m)}"
        assert r.keyframes[:n] == t.keyframes[:n], f"{tag}: key flags differ at {_first_diff(r.keyframes, t.keyframes, n)}"
        tp, rp = t.pts[:n], r.pts[:n]
        if pts == "shift" and n:
            d = rp[0] - tp[0]
            rp = [x - d for x in rp]
        assert rp == tp, f"{tag}: composition times differ at sample {_first_diff(rp, tp, n)}"
        if offset_shift is not None and n:
            shift = r.offsets[0] - t.offsets[0] if offset_shift == "constant" else int(offset_shift)
            want = [o + shift for o in t.offsets[:n]]
            assert r.offsets[:n] == want, f"{tag}: offsets differ at sample {_first_diff(r.offsets, want, n)}"
        if compare_bytes and n:
            for i, (a, b) in enumerate(zip(sample_bytes(orig.path, t, range(n)), sample_bytes(rep.path, r, range(n)))):
                if a != b:
                    raise AssertionError(f"{tag}: bytes of sample {i} differ")
        compared[t.track_id] = n
    return compared


def assert_same_packets(original_path: str | os.PathLike, repaired_path: str | os.PathLike, upto_offset: int, *,
                        ignore_editlist: bool = True, pts: str = "exact") -> dict[int, int]:
    """ffmpeg's view: for each audio/video stream, the packets of the samples wholly before ``upto_offset``
    (counted with the independent reader on the original) have the same size, CRC, key flag, dts and pts in
    the repaired file. ``pts='shift'`` allows one constant timestamp difference per stream."""
    orig = read_movie(original_path)
    rep_movie = read_movie(repaired_path)
    fo, fr = ff_packets(original_path, ignore_editlist=ignore_editlist), ff_packets(repaired_path,
                                                                                    ignore_editlist=ignore_editlist)
    index_of = {id(t): i for i, t in enumerate(rep_movie.tracks)}
    compared: dict[int, int] = {}
    for i, (t, r) in enumerate(_match_tracks(orig, rep_movie)):
        if t.handler not in ("vide", "soun"):
            continue
        tag = f"stream {i} ({t.handler}/{t.fourcc})"
        assert r is not None, f"{tag}: no matching track in the repaired file"
        n = samples_before(t, upto_offset)
        a, b = fo.get(i, [])[:n], fr.get(index_of[id(r)], [])[:n]
        assert len(b) == n, f"{tag}: ffmpeg reads {len(b)} packets from the repaired file, expected {n}"
        assert [p.size for p in a] == [p.size for p in b], f"{tag}: packet sizes differ"
        assert [p.crc for p in a] == [p.crc for p in b], f"{tag}: packet CRCs differ"
        assert [p.keyframe for p in a] == [p.keyframe for p in b], f"{tag}: key flags differ"
        ta = [(p.dts, p.pts) for p in a]
        tb = [(p.dts, p.pts) for p in b]
        if pts == "shift" and n:
            dd, dp = tb[0][0] - ta[0][0], tb[0][1] - ta[0][1]
            tb = [(x - dd, y - dp) for x, y in tb]
        assert ta == tb, f"{tag}: timestamps differ at packet {_first_diff(tb, ta, n)}"
        compared[i] = n
    return compared


def _first_diff(a: Sequence, b: Sequence, n: int) -> int | str:
    for i in range(min(n, len(a), len(b))):
        if a[i] != b[i]:
            return i
    return "end"


def file_md5(path: str | os.PathLike) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
