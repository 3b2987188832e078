"""Turn what the scan found into a new moov: sample tables, durations, composition offsets, edit lists.

The reference's trak boxes are the template: everything that describes the track (tkhd matrix and size,
mdhd language, hdlr name, the whole stsd byte for byte, udta, tref to tracks that are written) is kept, and
only what depends on the samples is rebuilt: stts, ctts, stss, stsc, stsz, stco/co64, the durations in
mvhd/tkhd/mdhd, and the edit list's segment durations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mp4fix import boxes
from mp4fix.boxes import Node
from mp4fix.profile import Profile, TrackProfile
from mp4fix.scan import TrackScan
from mp4fix.timeline import TrackTimes

# Per-sample boxes that cannot be carried over from the reference and are optional: dropped.
_DROP = {"sdtp", "stps", "cslg", "padb", "subs", "saiz", "saio", "stz2", "stdp", "sbgp", "sgpd"}


@dataclass
class TrackTables:
    """The rebuilt tables of one track in decode order, one entry per sample or per run of equal samples.

    An entry is one sample for every codec but uncompressed audio, where a chunk of ``counts[k]`` frames of
    ``sizes[k]`` bytes each lasting ``durations[k]`` is one entry: an hour of PCM holds over a hundred million
    frames, and its tables (one sample size, one duration, a row per chunk) never need a row per frame.
    """

    track: TrackProfile
    offsets: np.ndarray  # int64, final file offset of each entry's first sample
    sizes: np.ndarray  # bytes of each sample of the entry
    durations: np.ndarray  # ticks of each sample of the entry
    ctts: np.ndarray | None  # composition offset of each sample of the entry
    keyframes: np.ndarray  # bool, each sample of the entry
    trim: int = 0  # ticks at the end of the media the edit list leaves out (the recording stopped before them)
    counts: np.ndarray | None = None  # samples in each entry (None: one each)
    extra: np.ndarray | None = None  # ticks the last sample of each entry lasts longer (lost data after it)

    @property
    def rows(self) -> np.ndarray:
        """Samples in each entry."""
        return self.counts if self.counts is not None else np.ones(len(self.offsets), dtype=np.int64)

    @property
    def samples(self) -> int:
        return int(self.rows.sum())

    @property
    def bytes(self) -> int:
        return int((self.sizes * self.rows).sum())

    @property
    def keyframe_count(self) -> int:
        return int((self.keyframes * self.rows).sum())

    @property
    def media_duration(self) -> int:
        extra = int(self.extra.sum()) if self.extra is not None else 0
        return int((self.durations * self.rows).sum()) + extra


def track_tables(ts: TrackScan, times: TrackTimes, offset_shift: int = 0) -> TrackTables:
    """Tables for one scanned track, with the durations and composition offsets ``timeline`` gave it."""
    t = ts.track
    counts = np.asarray(ts.counts, dtype=np.int64)
    offs = np.asarray(ts.offsets, dtype=np.int64) + offset_shift
    sizes = np.asarray(ts.sizes, dtype=np.int64)
    keys = np.asarray(ts.keyframes, dtype=bool)
    runs = None
    if len(counts) and counts.max() > 1:
        runs = counts
        sizes = sizes // counts  # a run of fixed-size samples (PCM): its samples' size
    return TrackTables(t, offs, sizes, np.asarray(times.durations, dtype=np.int64), times.ctts, keys, times.trim,
                       runs, times.extra)


def reference_order(track: TrackProfile, matcher, data, limit: int = 3000) -> np.ndarray | None:
    """The presentation positions of the reference's first samples, measured with the track's matcher (None
    when the track has no composition offsets, presents in decode order, or cannot be measured)."""
    if track.ctts is None or len(track.sizes) == 0:
        return None
    n = min(len(track.sizes), limit)
    matches = []
    for off, size in zip(track.offsets[:n].tolist(), track.sizes[:n].tolist()):
        m = matcher.match(data, off, off + size)
        if m is None or m.size != size:
            break
        matches.append(m)
        matcher.accept(m)
    if not matches:
        return None
    return matcher.presentation_order(matches)


def _rle(values: np.ndarray) -> np.ndarray:
    """(count, value) rows of consecutive equal values."""
    if len(values) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    change = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate([[0], change])
    counts = np.diff(np.concatenate([starts, [len(values)]]))
    return np.stack([counts, values[starts]], axis=1)


def _chunks(offsets: np.ndarray, lengths: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Chunk offsets and samples per chunk: a chunk is a run of entries lying back to back in the file
    (``lengths``: bytes of each entry; ``rows``: samples in each entry, one by default)."""
    if len(offsets) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    breaks = np.flatnonzero(offsets[1:] != offsets[:-1] + lengths[:-1]) + 1
    starts = np.concatenate([[0], breaks])
    if rows is None:
        per_chunk = np.diff(np.concatenate([starts, [len(offsets)]]))
    else:
        per_chunk = np.add.reduceat(rows, starts)
    return offsets[starts], per_chunk


def _runs(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(count, value) rows of runs given as counts and values, consecutive equal values merged."""
    keep = counts > 0
    counts, values = counts[keep], values[keep]
    if len(values) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    change = np.concatenate([[True], values[1:] != values[:-1]])
    group = np.cumsum(change) - 1
    return np.stack([np.bincount(group, weights=counts).astype(np.int64), values[change]], axis=1)


def stbl_boxes(tt: TrackTables, force_co64: bool = False) -> dict[str, Node]:
    """The rebuilt sample-table boxes of one track, by type."""
    out: dict[str, Node] = {}
    rows = tt.rows
    if tt.counts is None and tt.extra is None:
        out["stts"] = boxes.build_table("stts", _rle(tt.durations))
    else:  # each entry: its samples but the last at the duration, then the last one with what it gains
        extra = tt.extra if tt.extra is not None else np.zeros(len(rows), dtype=np.int64)
        counts = np.stack([rows - 1, np.ones_like(rows)], axis=1).ravel()
        values = np.stack([tt.durations, tt.durations + extra], axis=1).ravel()
        out["stts"] = boxes.build_table("stts", _runs(counts, values))
    if tt.ctts is not None:
        version = 1 if (tt.ctts < 0).any() else 0
        rle = _rle(tt.ctts) if tt.counts is None else _runs(rows, tt.ctts)
        out["ctts"] = boxes.build_table("ctts", rle, ">i4" if version else ">u4", version=version)
    had_stss = tt.track.keyframes is not None
    if (had_stss or not tt.keyframes.all()) and not (tt.counts is not None and tt.keyframes.all()):
        # (runs of uncompressed audio are all sync samples: their table would list every frame, so it is left
        # out, which means the same)
        keys = np.flatnonzero(np.repeat(tt.keyframes, rows) if tt.counts is not None else tt.keyframes)
        out["stss"] = boxes.build_table("stss", keys + 1)
    chunk_offsets, per_chunk = _chunks(tt.offsets, tt.sizes * rows, rows)
    spc = _rle(per_chunk)  # (chunks, samples per chunk)
    first_chunk = np.concatenate([[1], 1 + np.cumsum(spc[:, 0])[:-1]]) if len(spc) else np.zeros(0, np.int64)
    stsc = np.stack([first_chunk, spc[:, 1], np.ones(len(spc), np.int64)], axis=1) if len(spc) else \
        np.zeros((0, 3), np.int64)
    out["stsc"] = boxes.build_table("stsc", stsc)
    if len(tt.sizes) and np.all(tt.sizes == tt.sizes[0]):
        out["stsz"] = boxes.build_stsz_constant(int(tt.sizes[0]), int(rows.sum()))
    else:
        out["stsz"] = boxes.build_stsz(np.repeat(tt.sizes, rows) if tt.counts is not None else tt.sizes)
    if force_co64 or (len(chunk_offsets) and int(chunk_offsets.max()) > 0xFFFFFFFF):
        out["co64"] = boxes.build_table("co64", chunk_offsets, ">u8")
    else:
        out["stco"] = boxes.build_table("stco", chunk_offsets)
    return out


def _to_movie(value: int, media_ts: int, movie_ts: int) -> int:
    return (int(value) * movie_ts + media_ts // 2) // media_ts if media_ts else 0


def edit_list(tt: TrackTables, movie_ts: int) -> list[tuple[int, int, float]]:
    """The reference's edit list adapted to the recovered media.

    Empty edits (media_time -1: the track starts later) and each edit's media_time (AAC priming, the B-frame
    delay) are kept as the reference has them, so audio and video keep their relative start; the last edit's
    duration is set to cover the recovered presentation span, less what the timeline says the recording's end
    leaves out (``TrackTables.trim``).
    """
    ref = tt.track.edit_list
    if not ref:
        return []
    ts = tt.track.timescale
    if tt.counts is None and tt.extra is None:
        dts = np.concatenate([[0], np.cumsum(tt.durations)[:-1]]) if len(tt.durations) else np.zeros(0, np.int64)
        comp = dts + (tt.ctts if tt.ctts is not None else 0)
        end = int((comp + tt.durations).max()) - tt.trim if len(comp) else 0
        first = int(comp.min()) if len(comp) else 0
    else:  # runs of uncompressed audio: presented in decode order
        first = int(tt.ctts.min()) if tt.ctts is not None and len(tt.ctts) else 0
        end = tt.media_duration + first - tt.trim
    out: list[tuple[int, int, float]] = []
    normal = [e for e in ref if e[1] != -1]
    for e in ref:
        if e[1] == -1:
            out.append(e)
            continue
        media_time = e[1]
        if len(normal) == 1 and e[1] == _first_presented(tt.track) and first != e[1]:
            # the reference's edit starts at its first presented frame (the B-frame delay): so does this one,
            # whose frames the timeline may have dated otherwise (a variable frame rate)
            media_time = first
        if e is normal[-1]:
            out.append((_to_movie(max(end - media_time, 0), ts, movie_ts), media_time, e[2]))
        else:
            out.append((e[0], media_time, e[2]))
    return out


def _first_presented(track: TrackProfile) -> int | None:
    """The reference track's earliest composition time (media ticks), or None without composition offsets."""
    if track.ctts is None or len(track.ctts) == 0:
        return None
    n = min(len(track.ctts), len(track.durations))
    dts = np.concatenate([[0], np.cumsum(track.durations[:n - 1])])
    return int((dts + track.ctts[:n]).min())


def _keep_references(root: Node, written: set[int] | None) -> None:
    """Track references ('tref': chapters, hints, timecode, ...) only to tracks the output has: a reference to a
    track that was not rebuilt points at nothing (players and ffmpeg report the file broken). A reference type
    left with no track is dropped, and 'tref' when none is left."""
    tref = root.find("tref")
    if tref is None or written is None or tref.children is None:
        return
    kept = []
    for ref in tref.children:
        if ref.children is not None or len(ref.payload) % 4:
            kept.append(ref)  # not a list of track IDs: kept as the reference has it
            continue
        ids = [int.from_bytes(ref.payload[i:i + 4], "big") for i in range(0, len(ref.payload), 4)]
        ids = [i for i in ids if i in written]
        if ids:
            ref.payload = b"".join(i.to_bytes(4, "big") for i in ids)
            kept.append(ref)
    if kept:
        tref.children = kept
    else:
        root.children.remove(tref)


def build_trak(tt: TrackTables, movie_ts: int, force_co64: bool = False, written: set[int] | None = None) -> Node:
    """The reference's trak with the rebuilt tables and durations; ``written`` (the IDs of the tracks the output
    holds) limits its track references to those."""
    trak_bytes = tt.track.trak
    root = boxes.parse_tree(trak_bytes, next(boxes.walk(trak_bytes, 0, len(trak_bytes))))
    _keep_references(root, written)
    stbl = root.find("mdia/minf/stbl")
    new = stbl_boxes(tt, force_co64)
    kept = []
    for child in stbl.children:
        if child.type in ("stts", "ctts", "stss", "stsc", "stsz", "stco", "co64") or child.type in _DROP:
            continue
        kept.append(child)
    order = ["stsd", "stts", "ctts", "stss", "stsc", "stsz", "stco", "co64"]
    head = [c for c in kept if c.type == "stsd"]
    stbl.children = head + [new[k] for k in order[1:] if k in new] + [c for c in kept if c.type != "stsd"]

    elst = edit_list(tt, movie_ts)
    edts = root.find("edts")
    if elst:
        node = boxes.build_elst(elst)
        if edts is None:
            edts = Node("edts", children=[])
            root.children.insert(1, edts)
        edts.children = [node]
        track_duration = sum(int(d) for d, _, _ in elst)
    else:
        if edts is not None:
            root.children.remove(edts)
        track_duration = _to_movie(tt.media_duration, tt.track.timescale, movie_ts)

    tkhd = root.find("tkhd")
    _set_duration(tkhd, boxes.Tkhd, track_duration)
    _set_duration(root.find("mdia/mdhd"), boxes.Mdhd, tt.media_duration)
    return root


def _set_duration(node: Node, layout, duration: int) -> None:
    parsed = layout.parse(node.payload)
    if parsed.version == 0 and duration > 0xFFFFFFFF:
        # version 0 cannot hold it: widen to version 1 (64-bit times)
        t = parsed.times
        parsed.version = 1
        parsed.times = dict(creation_time=t.creation_time, modification_time=t.modification_time,
                            duration=duration, **({"track_id": t.track_id} if "track_id" in t else
                                                  {"timescale": t.timescale}))
    else:
        parsed.times.duration = duration
    node.payload = layout.build(parsed)


def build_moov(profile: Profile, tables: list[TrackTables], force_co64: bool = False) -> Node:
    """The whole new moov."""
    movie_ts = profile.movie_timescale
    written = {tt.track.track_id for tt in tables}
    traks = [build_trak(tt, movie_ts, force_co64, written) for tt in tables]
    durations = []
    for trak in traks:
        durations.append(boxes.parse(boxes.Tkhd, trak.find("tkhd")).times.duration)
    mvhd_bytes = profile.mvhd
    mvhd = boxes.parse_tree(mvhd_bytes, next(boxes.walk(mvhd_bytes, 0, len(mvhd_bytes))))
    _set_duration(mvhd, boxes.Mvhd, max(durations, default=0))
    extra = [boxes.parse_tree(b, next(boxes.walk(b, 0, len(b)))) for b in profile.moov_extra]
    extra = [e for e in extra if e.type != "mvex"]  # the output is not fragmented
    return Node("moov", children=[mvhd, *traks, *extra])
