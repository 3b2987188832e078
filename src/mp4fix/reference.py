"""Learn a ``Profile`` from the healthy reference file: tracks, codec configurations, sample tables, layout."""

from __future__ import annotations

import dataclasses
import os
import struct
import threading
from collections import OrderedDict

import numpy as np

from mp4fix import boxes
from mp4fix.boxes import Node
from mp4fix.errors import BoxError, InputError, ReferenceError_
from mp4fix import i18n  # i18n._ where a function uses _ as a name
from mp4fix.i18n import _
from mp4fix.profile import Profile, TrackProfile
from mp4fix.source import MediaFile

KNOWN_TOP_LEVEL = frozenset({"ftyp", "moov", "mdat", "free", "skip", "wide", "uuid", "pnot", "pdin", "meta",
                             "moof", "mfra", "sidx", "styp", "junk", "PICT", "prfl"})


#: pseudo box type of a run of zero bytes between top-level boxes (see ``top_level``); never a real fourcc
ZERO_RUN = "(zeros)"
#: mdat sizes written as placeholders until the recording stops: Android's MPEG4Writer writes "????" (or, with
#: 64-bit offsets, the largesize "????????")
PLACEHOLDER_SIZES = frozenset({0x3F3F3F3F, 0x3F3F3F3F3F3F3F3F})
#: the longest run of zeros looked through for a box after it (room reserved for an index is far smaller)
MAX_ZERO_RUN = 256 << 20


def top_level(data, size: int) -> list[boxes.BoxRef]:
    """The top-level boxes, or an empty list when the file does not start like an MP4/MOV.

    Recorders that reserve room for the index in front of the media data (ffmpeg's ``-moov_size``; camera
    apps that seek past the reserved room) leave zero bytes there until they finish: a box walker reads their
    size 0 as "the rest of the file". A run of zeros followed by a known top-level box is listed as one
    ``ZERO_RUN`` pseudo box (header size 0) and the walk goes on after it.
    """
    refs: list[boxes.BoxRef] = []
    pos = 0
    while pos < size:
        found = list(boxes.walk(data, pos, size))
        refs += found
        if found:
            pos = found[-1].end
            if found[-1].truncated or pos >= size:
                break
        after = _box_after_zeros(data, pos, size)
        if after is None:
            break
        refs.append(boxes.BoxRef(ZERO_RUN, pos, 0, after - pos, after - pos))
        pos = after
    first = next((r for r in refs if r.type != ZERO_RUN), None)
    if first is None or first.type not in KNOWN_TOP_LEVEL:
        return []
    for i, r in enumerate(refs):
        if r.type == "mdat" and r.declared_size in PLACEHOLDER_SIZES and r.end < size:
            # the recorder's placeholder, never fixed: the media data runs to the end of the file (what the
            # walk found after the placeholder's length lies inside it)
            return refs[:i] + [boxes.BoxRef("mdat", r.offset, r.header_size, size - r.offset, 0)]
    return refs


def _box_after_zeros(data, pos: int, size: int) -> int | None:
    """Where a known top-level box begins after a run of zero bytes starting at ``pos``, or None."""
    stop = min(size, pos + MAX_ZERO_RUN)
    first_nonzero = None
    block = 1 << 22
    for off in range(pos, stop, block):
        chunk = np.frombuffer(data, dtype=np.uint8, count=min(block, stop - off), offset=off)
        nz = np.flatnonzero(chunk)
        if nz.size:
            first_nonzero = off + int(nz[0])
            break
    if first_nonzero is None or first_nonzero == pos:
        return None
    # the box header's size field may begin with zero bytes (or be 0 itself): its start is up to 7 bytes back
    for start in range(max(pos + 1, first_nonzero - 7), first_nonzero + 1):
        ref = boxes.read_header(data, start, size, top_level=True)
        if ref is not None and ref.type in KNOWN_TOP_LEVEL:
            return start
    return None


#: profiles learned lately, by file identity: one repair (and the app's look at a reference, its fit check and
#: its repair) reads a reference's index once. A file that changed (size, time, inode) is read again.
_LEARNED: OrderedDict[tuple, Profile] = OrderedDict()
_LEARNED_LOCK = threading.Lock()
LEARNED_KEPT = 4


def learn_profile(path) -> Profile:
    """Read the reference at ``path``. Raises ``InputError``/``ReferenceError_`` with a sentence for a person.

    The profile is shared (the same object for the same unchanged file): its arrays are read-only."""
    key = _identity(path)
    if key is not None:
        with _LEARNED_LOCK:
            hit = _LEARNED.get(key)
            if hit is not None:
                _LEARNED.move_to_end(key)
                return hit
    profile = _read_profile(path)
    _freeze(profile)
    if key is not None:
        with _LEARNED_LOCK:
            _LEARNED[key] = profile
            while len(_LEARNED) > LEARNED_KEPT:
                _LEARNED.popitem(last=False)
    return profile


def _identity(path) -> tuple | None:
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None  # (MediaFile says what is wrong with it)
    return (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _freeze(profile: Profile) -> None:
    for t in profile.tracks:
        for f in dataclasses.fields(t):
            value = getattr(t, f.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False


def _read_profile(path) -> Profile:
    with MediaFile(path, role="reference") as mf:
        refs = top_level(mf.data, mf.size)
        if not refs:
            raise InputError(_("The reference file {name} is not an MP4 or MOV file.", name=mf.path.name))
        moov = next((r for r in refs if r.type == "moov"), None)
        if moov is None or moov.truncated:
            raise ReferenceError_(
                _("The reference file {name} is itself broken (it has no complete index); "
                  "choose a recording from the same camera that plays.", name=mf.path.name))
        try:
            return _learn(mf, refs, moov)
        except BoxError as exc:
            raise ReferenceError_(
                _("The reference file {name} is damaged and cannot be read ({reason}).", name=mf.path.name,
                  reason=exc)) from None


def own_index(mf: MediaFile, refs: list[boxes.BoxRef]) -> Profile:
    """The index a fragmented file carries in its own moov (track templates, and the samples of a hybrid
    file's first fragment, which may point past a cut): raises ``BoxError`` when it cannot be read."""
    moov = next((r for r in refs if r.type == "moov" and not r.truncated), None)
    if moov is None:
        raise BoxError("no complete moov", "moov")
    return _learn(mf, refs, moov, own=True)


def _learn(mf: MediaFile, refs: list[boxes.BoxRef], moov_ref: boxes.BoxRef, own: bool = False) -> Profile:
    data = mf.data
    moov = boxes.parse_tree(data, moov_ref)
    ftyp_ref = next((r for r in refs if r.type == "ftyp"), None)
    ftyp = bytes(data[ftyp_ref.offset:ftyp_ref.end]) if ftyp_ref else b""
    is_qt = bool(ftyp) and ftyp[8:12] == b"qt  " or not ftyp
    mvhd_node = moov.find("mvhd")
    if mvhd_node is None:
        raise BoxError("no mvhd", "moov")
    mvhd = boxes.parse(boxes.Mvhd, mvhd_node, "moov > mvhd")
    if mvhd.times.timescale == 0:
        raise BoxError("the movie timescale is 0", "moov > mvhd")
    tracks: list[TrackProfile] = []
    for i, trak in enumerate(moov.find_all("trak")):
        tracks.append(_learn_track(trak, len(tracks), f"moov > trak[{i}]", mf.size))
    for i, t in enumerate(tracks):
        why = "" if own else timing_problem(t, mvhd.times.timescale)
        if why:
            raise ReferenceError_(i18n._("The reference file {name} is damaged: {why}, so a repair with it would "
                                         "have wrong timing.", name=mf.path.name, why=why))
    if not tracks:
        raise ReferenceError_(i18n._("The reference file {name} has no tracks.", name=mf.path.name))
    if not own and all(len(t.sizes) == 0 for t in tracks):
        if moov.find("mvex") is not None:
            raise ReferenceError_(
                i18n._("The reference file {name} is a fragmented MP4, which mp4fix cannot learn from yet; "
                       "choose a regular recording.", name=mf.path.name))
        raise ReferenceError_(i18n._("The reference file {name} holds no samples.", name=mf.path.name))
    for t in tracks:
        if not own and len(t.sizes) and int((t.offsets + t.sizes).max()) > mf.size:
            raise ReferenceError_(
                i18n._("The reference file {name} is itself cut short (its index points past its end); "
                       "choose a recording that plays to the end.", name=mf.path.name))
    layout = []
    for t in tracks:
        starts = np.concatenate([[0], np.cumsum(t.chunk_sizes)[:-1]]).astype(np.int64)
        for first, n in zip(starts.tolist(), t.chunk_sizes.tolist()):
            if n and first < len(t.offsets):
                layout.append((int(t.offsets[first]), t.index, int(min(n, len(t.offsets) - first))))
    layout.sort()
    # other boxes of the moov are kept as they are; zero padding at its end (a QuickTime terminator) is no box
    extra = [c.to_bytes() for c in moov.children if c.type not in ("mvhd", "trak", boxes.PAD)]
    return Profile(path=str(mf.path), ftyp=ftyp, mvhd=mvhd_node.to_bytes(), movie_timescale=mvhd.times.timescale,
                   tracks=tracks, moov_extra=extra, layout=[(ti, n) for _, ti, n in layout], is_quicktime=is_qt)


def _expand_runs(rows: np.ndarray, n: int, name: str, path: str) -> np.ndarray:
    """(count, value) rows to one value per sample; a damaged count may not claim more samples than stsz."""
    if not len(rows):
        return np.zeros(0, np.int64)
    counts = np.maximum(rows[:, 0], 0)
    if int(counts.sum()) > n + len(rows):  # QuickTime may round up by a row; billions means damage
        raise BoxError(f"{name} counts {int(counts.sum())} samples, the track has {n}", path)
    return np.repeat(rows[:, 1], counts)


def _learn_track(trak: Node, index: int, path: str, file_size: int) -> TrackProfile:
    tkhd_node = trak.find("tkhd")
    mdhd_node = trak.find("mdia/mdhd")
    hdlr_node = trak.find("mdia/hdlr")
    stbl = trak.find("mdia/minf/stbl")
    if tkhd_node is None or mdhd_node is None or hdlr_node is None or stbl is None:
        raise BoxError("track without tkhd/mdhd/hdlr/stbl", path)
    tkhd = boxes.parse(boxes.Tkhd, tkhd_node, f"{path} > tkhd")
    mdhd = boxes.parse(boxes.Mdhd, mdhd_node, f"{path} > mdia > mdhd")
    if mdhd.times.timescale == 0:
        raise BoxError("the track's timescale is 0", f"{path} > mdia > mdhd")
    handler = boxes.parse(boxes.Hdlr, hdlr_node, f"{path} > mdia > hdlr").handler_type
    stsd_node = stbl.find("stsd")
    if stsd_node is None:
        raise BoxError("no stsd", f"{path} > stbl")
    stsd = boxes.parse(boxes.Stsd, stsd_node, f"{path} > stsd")
    entries = list(boxes.walk(stsd.entries, 0, len(stsd.entries), top_level=False))
    if not entries:
        raise BoxError("stsd holds no sample entry", f"{path} > stsd")
    first = entries[0]
    entry = bytes(stsd.entries[first.offset:first.end])
    config = boxes.sample_entry_children(entry, handler)
    if "wave" in config:  # QuickTime sound: codec boxes nested in 'wave'
        for ref in boxes.walk(config["wave"], 0, len(config["wave"]), top_level=False):
            config.setdefault(ref.type, config["wave"][ref.payload_start:ref.end])

    sp = f"{path} > stbl"
    sizes = boxes.sample_sizes(stbl, sp, max_bytes=file_size)
    n = len(sizes)
    stts = boxes.table_rows(stbl.find("stts"), 2, path=sp) if stbl.find("stts") else np.zeros((0, 2), np.int64)
    durations = _expand_runs(stts, n, "stts", sp)
    ctts = None
    if stbl.find("ctts") is not None:
        ctts = _expand_runs(boxes.table_rows(stbl.find("ctts"), 2, ">i4", sp), n, "ctts", sp)
    keyframes = None
    if stbl.find("stss") is not None:
        idx = boxes.table_rows(stbl.find("stss"), 1, path=sp)[:, 0] - 1
        keyframes = np.zeros(n, dtype=bool)
        keyframes[idx[(idx >= 0) & (idx < n)]] = True
    if stbl.find("stco") is not None:
        chunk_offsets = boxes.table_rows(stbl.find("stco"), 1, path=sp)[:, 0]
    elif stbl.find("co64") is not None:
        chunk_offsets = boxes.table_rows(stbl.find("co64"), 1, ">u8", sp)[:, 0]
    else:
        raise BoxError("no stco or co64", sp)
    stsc = boxes.table_rows(stbl.find("stsc"), 3, path=sp) if stbl.find("stsc") else np.zeros((0, 3), np.int64)
    chunk_sizes = _expand_stsc(stsc, len(chunk_offsets), n)
    if n and (len(durations) != n or int(chunk_sizes.sum()) != n):
        # QuickTime PCM: stsz counts audio frames while stts may count too; trust stsz and clip/pad the rest
        if int(chunk_sizes.sum()) < n:
            raise BoxError(f"chunks hold {int(chunk_sizes.sum())} samples, stsz has {n}", sp)
        durations = np.resize(durations, n) if len(durations) else np.ones(n, np.int64)
    if ctts is not None and len(ctts) != n:
        ctts = np.resize(ctts, n)
    offsets = _sample_offsets(sizes, chunk_offsets, chunk_sizes)

    edit_list: list[tuple[int, int, float]] = []
    elst_node = trak.find("edts/elst")
    if elst_node is not None:
        elst = boxes.parse(boxes.Elst, elst_node, f"{path} > edts > elst")
        edit_list = [(e.segment_duration, e.media_time, boxes.elst_rate(e.rate_integer, e.rate_fraction))
                     for e in elst.entries]

    channels = sample_rate = 0
    if handler == "soun" and len(entry) >= 36:
        channels = int.from_bytes(entry[24:26], "big")
        sample_rate = int.from_bytes(entry[32:34], "big")
        if int.from_bytes(entry[16:18], "big") == 2 and len(entry) >= 52:
            # QuickTime sound description version 2: the rate as a float64, the channels as 32 bits
            rate = struct.unpack(">d", entry[40:48])[0]
            sample_rate = int(rate) if 0 < rate < 1e7 else 0
            channels = int.from_bytes(entry[48:52], "big")
    return TrackProfile(
        index=index, track_id=tkhd.times.track_id, handler=handler, fourcc=first.type,
        timescale=mdhd.times.timescale, sample_entry=entry, config=config, trak=trak.to_bytes(),
        sizes=sizes, durations=durations.astype(np.int64), ctts=ctts, keyframes=keyframes,
        offsets=offsets, chunk_sizes=chunk_sizes, edit_list=edit_list,
        width=tkhd.width >> 16, height=tkhd.height >> 16, channels=channels, sample_rate=sample_rate)


# What a recording's timing can sensibly be. Outside these bounds a reference's tables are damaged, and a
# repair that copied them would look complete while playing at the wrong speed.
MAX_FRAME_RATE = 2000.0  # frames per second (phones film slow motion at 960)
MAX_FRAME_SECONDS = 60.0  # the usual frame's duration (still-image slideshows hold a frame a few seconds)
MIN_CODED_AUDIO_SECONDS = 0.002  # the shortest compressed audio frame (Opus: 2.5 ms; AAC, AMR, AC-3 longer)
MAX_AUDIO_SAMPLE_SECONDS = 10.0
MAX_SAMPLE_SECONDS = 3600.0  # any one sample (a pause in a fragmented recording lengthens the one before it)
MAX_RECORDING_SECONDS = 366 * 86400.0  # a track's whole length


def timing_problem(t: TrackProfile, movie_timescale: int, every_sample: bool = False) -> str:
    """Why the timing ``t`` declares cannot be a real recording's (a phrase), or "" when it can.

    The usual sample duration is checked (what a repair gives recovered samples), and the whole length;
    ``every_sample`` also checks each sample's (timing that is copied as it is, from a fragmented file).
    """
    from mp4fix.codecs.pcm import PCM_FOURCCS

    if t.kind not in ("video", "audio") or not len(t.sizes):
        return ""
    what = i18n.kind_name(t.kind)
    ts = t.timescale
    if t.kind == "video" and len(t.sizes) < 2:
        return ""  # a still (a motion photo's picture): a duration of 0 is no damage
    seconds = _frame_period(t) / ts
    if seconds <= 0:
        return i18n._("its {kind} track gives its samples a duration of 0 (stts)", kind=what)
    if t.kind == "video" and not 1 / MAX_FRAME_RATE <= seconds <= MAX_FRAME_SECONDS:
        return i18n._("its video track gives each frame {seconds} s (stts and mdhd timescale {timescale})",
                      seconds=f"{seconds:.6g}", timescale=ts)
    if t.kind == "audio":
        short = 0.0 if t.fourcc in PCM_FOURCCS else MIN_CODED_AUDIO_SECONDS
        if not short <= seconds <= MAX_AUDIO_SAMPLE_SECONDS:
            return i18n._("its audio track gives each '{fourcc}' frame {seconds} s (stts and mdhd timescale "
                          "{timescale})", fourcc=t.fourcc, seconds=f"{seconds:.6g}", timescale=ts)
    total = float(t.durations.sum())
    if t.ctts is not None and len(t.ctts) == len(t.durations) and len(t.durations):
        # presentation can outlast decoding (a slow-motion recording's frames decode ticks apart)
        dts = np.concatenate([[0], np.cumsum(t.durations[:-1])])
        total = max(total, float((dts + t.ctts).max()) + _frame_period(t))
    if total / ts > MAX_RECORDING_SECONDS:
        return i18n._("its {kind} track lasts {days} days", kind=what, days=f"{total / ts / 86400:.0f}")
    if every_sample and float(t.durations.max()) / ts > MAX_SAMPLE_SECONDS:
        return i18n._("a sample of its {kind} track lasts {seconds} s", kind=what,
                      seconds=f"{float(t.durations.max()) / ts:.0f}")
    if every_sample and t.durations.min() < 0:
        return i18n._("a sample of its {kind} track has a negative duration", kind=what)
    if every_sample and t.ctts is not None and len(t.ctts) and float(np.abs(t.ctts).max()) / ts > MAX_SAMPLE_SECONDS:
        return i18n._("a sample of its {kind} track is shown {seconds} s off its place", kind=what,
                      seconds=f"{float(np.abs(t.ctts).max()) / ts:.0f}")
    for duration, media_time, rate in t.edit_list:
        if media_time < -1 or media_time > total:
            return i18n._("an edit of its {kind} track starts at media time {time}, outside the track", kind=what,
                          time=media_time)
        if media_time != -1 and not 0 <= rate <= 64:
            return i18n._("an edit of its {kind} track plays at rate {rate}", kind=what, rate=f"{rate:g}")
        if media_time == -1 and duration / movie_timescale > max(total / ts, 60.0):
            return i18n._("an edit of its {kind} track delays it by {seconds} s", kind=what,
                          seconds=f"{duration / movie_timescale:.6g}")
    return ""


def _frame_period(t: TrackProfile) -> float:
    """The usual time between samples (ticks): between presentation times where composition offsets give them
    (a slow-motion recording decodes its frames a few ticks apart and presents them a frame apart), else the
    usual sample duration; samples that share a time (duration 0) are not a period."""
    if t.kind == "video" and t.ctts is not None and len(t.ctts) == len(t.durations) and len(t.durations) > 1:
        dts = np.concatenate([[0], np.cumsum(t.durations[:-1])])
        pts = np.sort(dts + t.ctts)
        gaps = np.diff(pts)
        # only a presentation timeline where every frame has its own time counts (a damaged stts of zeros
        # leaves the composition offsets' few values, repeated)
        if len(gaps) and np.count_nonzero(gaps > 0) >= 0.9 * len(gaps):
            return float(np.median(gaps[gaps > 0]))
    if t.sample_duration > 0:
        return float(t.sample_duration)
    positive = t.durations[t.durations > 0]
    return float(np.median(positive)) if len(positive) else 0.0


def _expand_stsc(stsc: np.ndarray, nchunks: int, nsamples: int) -> np.ndarray:
    """Samples per chunk, one row per chunk, from stsc's run-length rows (first_chunk is 1-based)."""
    out = np.zeros(nchunks, dtype=np.int64)
    for i, (first, per_chunk, _desc) in enumerate(stsc.tolist()):
        stop = stsc[i + 1, 0] - 1 if i + 1 < len(stsc) else nchunks
        out[max(first - 1, 0):max(stop, 0)] = min(max(per_chunk, 0), nsamples)  # damage can't claim more
    return out


def _sample_offsets(sizes: np.ndarray, chunk_offsets: np.ndarray, chunk_sizes: np.ndarray) -> np.ndarray:
    n = len(sizes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(chunk_sizes)
    chunk_of_sample = np.searchsorted(ends, np.arange(n), side="right")  # O(samples), whatever stsc claims
    first_of_chunk = np.concatenate([[0], ends[:-1]])
    cum = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    within = cum - cum[first_of_chunk[chunk_of_sample]]
    return chunk_offsets[chunk_of_sample].astype(np.int64) + within
