"""Fragmented MP4 (a moov with ``mvex``, then ``moof`` + ``mdat`` pairs): read every fragment's sample tables,
tell a complete file from one cut inside a fragment, and repair a cut one without any reference.

Cameras, OBS ("fragmented" and "hybrid" MP4) and ffmpeg's ``-movflags frag_keyframe`` write these: each
fragment carries its own index (``traf``/``trun``), so a crash loses only the fragment being written. The file
itself says where every sample of every complete fragment is, and the fragment the cut broke still lists its
samples in its ``moof`` when that box is whole: its samples whose bytes are all there are kept too.

The repaired file is a regular MP4, not a fragmented one. The samples stay exactly where the recorder wrote
them (inside the fragments' ``mdat`` boxes); the ``moof`` boxes and the old ``moov`` become ``free`` boxes,
the last ``mdat`` is closed where its last whole sample ends, and a new ``moov`` built from the fragments'
tables by the usual build stage (``build.build_moov``) is appended. Why not a clean fragmented file: a cut
fragmented file has no ``mfra``/``sidx`` and its ``mvhd`` duration is 0 (``empty_moov``), so many players show
no length and cannot seek; editors and older players do not read fragments at all. A regular index gives a
duration, seeking and keyframes to every player, and it is the same kind of file every other repair writes.

Every value a fragment declares (counts, sizes, offsets, durations) is checked before use: samples must lie
inside the file's media data, and a damaged fragment ends the recovery there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from mp4fix import boxes
from mp4fix.errors import BoxError
from mp4fix.i18n import _
from mp4fix.profile import Profile

# tfhd flags (ISO 14496-12 8.8.7)
_BASE_DATA_OFFSET = 0x1
_SAMPLE_DESCRIPTION = 0x2
_DEFAULT_DURATION = 0x8
_DEFAULT_SIZE = 0x10
_DEFAULT_FLAGS = 0x20
_BASE_IS_MOOF = 0x20000
# trun flags (8.8.8)
_DATA_OFFSET = 0x1
_FIRST_FLAGS = 0x4
_DURATION = 0x100
_SIZE = 0x200
_FLAGS = 0x400
_CTO = 0x800
_NON_SYNC = 0x10000  # sample_is_non_sync_sample in sample flags
MAX_GAP_SECONDS = 3600.0  # a pause in a recording; a decode time further on is damage


@dataclass
class TrackRun:
    """One track's samples in decode order, from its own moov (hybrid files) and every fragment."""

    track_id: int
    offsets: list[np.ndarray] = field(default_factory=list)
    sizes: list[np.ndarray] = field(default_factory=list)
    durations: list[np.ndarray] = field(default_factory=list)
    ctts: list[np.ndarray] = field(default_factory=list)
    keyframes: list[np.ndarray] = field(default_factory=list)
    has_ctts: bool = False
    start: int | None = None  # the first fragment's baseMediaDecodeTime (tfdt)
    end_time: int = 0  # decode time after the last sample so far


@dataclass
class Fragments:
    """What the fragments of a file hold."""

    runs: dict[int, TrackRun]
    fragments: int = 0  # moof boxes whose index could be read
    complete: int = 0  # of them, those whose every sample is in the file
    broken: bool = False  # a fragment (or its moof) was cut or is damaged
    kept_partial: int = 0  # whole samples kept from the fragment the cut broke
    lost: int = 0  # samples that fragment lists whose bytes are not (all) there
    mdat_bytes: int = 0  # media data present in the file (every mdat payload, clipped at the cut)
    note: str = ""  # why reading stopped early, for a person


def is_fragmented(refs: list[boxes.BoxRef], data) -> bool:
    """Whether the file is fragmented: a top-level ``moof``, or a moov that announces fragments (``mvex``)."""
    if any(r.type == "moof" for r in refs):
        return True
    moov = next((r for r in refs if r.type == "moov" and not r.truncated), None)
    if moov is None:
        return False
    return any(c.type == "mvex" for c in boxes.walk(data, moov.payload_start, moov.end, top_level=False))


def _u32(b: bytes, pos: int, what: str) -> int:
    if pos + 4 > len(b):
        raise BoxError(f"{what} is cut short", what)
    return int.from_bytes(b[pos:pos + 4], "big")


def _trex(moov: boxes.Node) -> dict[int, tuple[int, int, int]]:
    """track_ID -> (default duration, size, flags) from mvex/trex."""
    out = {}
    mvex = moov.find("mvex")
    for trex in (mvex.find_all("trex") if mvex is not None else []):
        p = trex.payload
        if len(p) >= 24:
            out[_u32(p, 4, "trex")] = (_u32(p, 12, "trex"), _u32(p, 16, "trex"), _u32(p, 20, "trex"))
    return out


def read_fragments(data, size: int, refs: list[boxes.BoxRef], profile: Profile) -> Fragments:
    """Every sample the file indexes (its moov's, then each fragment's), in decode order per track.

    Samples whose bytes are not all inside the file's media data are left out; reading stops at the first
    fragment that is cut or damaged (``Fragments.broken``, ``note``).
    """
    moov_ref = next(r for r in refs if r.type == "moov" and not r.truncated)
    moov = boxes.parse_tree(data, moov_ref)
    trex = _trex(moov)
    runs = {t.track_id: TrackRun(t.track_id) for t in profile.tracks}
    # the longest gap (or start) a fragment's decode time may open, in each track's timescale; beyond it the
    # time is damage and the samples simply follow the ones before
    reach = {t.track_id: int(MAX_GAP_SECONDS * t.timescale) for t in profile.tracks}
    mdats = [(r.payload_start, min(r.end, size)) for r in refs if r.type == "mdat"]
    frag = Fragments(runs, mdat_bytes=sum(b - a for a, b in mdats))
    starts = np.array([a for a, _ in mdats], dtype=np.int64)
    ends = np.array([b for _, b in mdats], dtype=np.int64)

    def inside(offs: np.ndarray, sz: np.ndarray) -> np.ndarray:
        """Which samples lie wholly inside one mdat's present payload."""
        if not len(starts):
            return np.zeros(len(offs), bool)
        i = np.searchsorted(starts, offs, side="right") - 1
        ok = i >= 0
        j = np.maximum(i, 0)
        return ok & (offs >= starts[j]) & (offs + sz <= ends[j]) & (sz > 0)

    for t in profile.tracks:  # a hybrid file's first fragment is indexed in the moov itself
        r = runs[t.track_id]
        if len(t.sizes):
            keep = inside(t.offsets, t.sizes)
            n = int(np.argmin(keep)) if not keep.all() else len(keep)  # up to the first sample not there
            _append(r, t.offsets[:n], t.sizes[:n], t.durations[:n],
                    t.ctts[:n] if t.ctts is not None else None,
                    t.keyframes[:n] if t.keyframes is not None else np.ones(n, bool))
            if n < len(keep):
                frag.broken, frag.lost, frag.fragments = True, len(keep) - n, 1
                frag.kept_partial += n
                frag.note = _("the cut fell inside the first fragment, which the index (moov) lists")
                return frag
    if any(len(t.sizes) for t in profile.tracks):  # a hybrid file: the moov's samples are the first fragment
        frag.fragments = frag.complete = 1

    for ref in (r for r in refs if r.type == "moof"):
        if ref.truncated:
            frag.broken, frag.note = True, _("the cut fell inside a fragment's index (moof)")
            break
        try:
            parsed = _read_moof(data, ref, trex, size)
        except BoxError as exc:
            frag.broken, frag.note = True, _("a fragment's index (moof at byte {offset}) is damaged ({detail})",
                                              offset=ref.offset, detail=exc)
            break
        frag.fragments += 1
        whole = True
        for track_id, tfdt, offs, sz, dur, cto, keys in parsed:
            r = runs.get(track_id)
            if r is None:
                continue
            keep = inside(offs, sz)
            n = int(np.argmin(keep)) if not keep.all() else len(keep)
            if n < len(keep):
                whole = False
                frag.lost += len(keep) - n
                frag.kept_partial += n
            if tfdt is not None and not 0 <= tfdt - r.end_time <= reach[track_id]:
                tfdt = None
            if tfdt is not None:
                if r.start is None and not r.sizes:
                    r.start = tfdt
                elif r.durations and tfdt > r.end_time:  # a gap: the sample before it lasts until it
                    r.durations[-1][-1] += tfdt - r.end_time
                    r.end_time = tfdt
            if cto is not None:
                r.has_ctts = True
            _append(r, offs[:n], sz[:n], dur[:n], cto[:n] if cto is not None else None, keys[:n])
        if whole:
            frag.complete += 1
        else:
            frag.broken = True
            frag.note = _("the cut fell inside a fragment's media data")
            break
    return frag


def _append(r: TrackRun, offs, sz, dur, cto, keys) -> None:
    if not len(sz):
        return
    r.offsets.append(np.asarray(offs, np.int64))
    r.sizes.append(np.asarray(sz, np.int64))
    r.durations.append(np.array(dur, np.int64))
    r.ctts.append(np.asarray(cto, np.int64) if cto is not None else np.zeros(len(sz), np.int64))
    r.keyframes.append(np.asarray(keys, bool))
    r.end_time += int(np.sum(dur))
    if cto is not None:
        r.has_ctts = True


def _read_moof(data, ref: boxes.BoxRef, trex: dict, size: int) -> list:
    """(track_ID, tfdt or None, offsets, sizes, durations, composition offsets or None, keyframes) per trun."""
    moof = boxes.parse_tree(data, ref)
    out = []
    data_end = ref.offset  # where the previous track fragment's data ended
    for i, traf in enumerate(moof.find_all("traf")):
        tfhd = traf.find("tfhd")
        if tfhd is None:
            raise BoxError("a track fragment has no tfhd", "moof > traf")
        p = tfhd.payload
        flags = _u32(p, 0, "tfhd") & 0xFFFFFF
        track_id = _u32(p, 4, "tfhd")
        pos = 8
        base = None
        if flags & _BASE_DATA_OFFSET:
            base = (_u32(p, pos, "tfhd") << 32) | _u32(p, pos + 4, "tfhd")
            pos += 8
        if flags & _SAMPLE_DESCRIPTION:
            pos += 4
        d_dur, d_size, d_flags = trex.get(track_id, (0, 0, 0))
        if flags & _DEFAULT_DURATION:
            d_dur = _u32(p, pos, "tfhd")
            pos += 4
        if flags & _DEFAULT_SIZE:
            d_size = _u32(p, pos, "tfhd")
            pos += 4
        if flags & _DEFAULT_FLAGS:
            d_flags = _u32(p, pos, "tfhd")
            pos += 4
        if base is None:
            base = ref.offset if (flags & _BASE_IS_MOOF or i == 0) else data_end
        tfdt = None
        node = traf.find("tfdt")
        if node is not None:
            q = node.payload
            tfdt = ((_u32(q, 4, "tfdt") << 32) | _u32(q, 8, "tfdt")) if q[:1] == b"\x01" else _u32(q, 4, "tfdt")
        cursor = base
        for trun in traf.find_all("trun"):
            q = trun.payload
            head = _u32(q, 0, "trun")
            version, tflags = head >> 24, head & 0xFFFFFF
            count = _u32(q, 4, "trun")
            pos = 8
            start = cursor
            if tflags & _DATA_OFFSET:
                rel = _u32(q, pos, "trun")
                start = base + (rel - (1 << 32) if rel >> 31 else rel)
                pos += 4
            first_flags = None
            if tflags & _FIRST_FLAGS:
                first_flags = _u32(q, pos, "trun")
                pos += 4
            cols = [f for f in (_DURATION, _SIZE, _FLAGS, _CTO) if tflags & f]
            if count * 4 * len(cols) > len(q) - pos:
                raise BoxError(f"trun says {count} samples but holds fewer", "moof > traf > trun")
            if not cols and count > (1 << 24):
                raise BoxError(f"trun says {count} samples", "moof > traf > trun")
            table = np.frombuffer(q, dtype=">u4", count=count * len(cols), offset=pos).reshape(count, len(cols))
            column = {f: table[:, k].astype(np.int64) for k, f in enumerate(cols)}
            dur = column.get(_DURATION, np.full(count, d_dur, np.int64))
            sz = column.get(_SIZE, np.full(count, d_size, np.int64))
            sflags = column.get(_FLAGS, np.full(count, d_flags, np.int64))
            if first_flags is not None and count and _FLAGS not in column:
                sflags[0] = first_flags
            cto = None
            if _CTO in column:
                cto = column[_CTO]
                if version >= 1:
                    cto = np.where(cto >= 1 << 31, cto - (1 << 32), cto)
            if not 0 <= start <= size or int(sz.sum()) > size:
                raise BoxError(f"a run's data ({start}, {int(sz.sum())} bytes) lies outside the file",
                               "moof > traf > trun")
            offs = start + np.concatenate([[0], np.cumsum(sz)[:-1]]) if count else np.zeros(0, np.int64)
            cursor = start + int(sz.sum())
            out.append((track_id, tfdt, offs.astype(np.int64), sz, dur, cto, (sflags & _NON_SYNC) == 0))
            tfdt = None  # only the first run of a track fragment starts at tfdt
        data_end = cursor
    return out


def tables(frag: Fragments, profile: Profile):
    """``build.TrackTables`` for every track with samples (the profile's tracks, edits adjusted)."""
    from mp4fix.build import TrackTables

    out = []
    for t in profile.tracks:
        r = frag.runs[t.track_id]
        if not r.sizes:
            continue
        track = t
        if r.start and not len(t.sizes):
            # the first fragment starts later than 0: an empty edit keeps it there (no edit list said so)
            delay = (r.start * profile.movie_timescale + t.timescale // 2) // t.timescale
            track = dataclasses.replace(t, edit_list=[(delay, -1, 1.0)] + (t.edit_list or [(0, 0, 1.0)]))
        ctts = np.concatenate(r.ctts) if r.has_ctts or t.ctts is not None else None
        out.append(TrackTables(track, np.concatenate(r.offsets), np.concatenate(r.sizes),
                               np.concatenate(r.durations), ctts, np.concatenate(r.keyframes)))
    return out
