"""Learn a ``Profile`` from the healthy reference file: tracks, codec configurations, sample tables, layout."""

from __future__ import annotations

import numpy as np

from mp4fix import boxes
from mp4fix.boxes import Node
from mp4fix.errors import BoxError, InputError, ReferenceError_
from mp4fix.profile import Profile, TrackProfile
from mp4fix.source import MediaFile

KNOWN_TOP_LEVEL = frozenset({"ftyp", "moov", "mdat", "free", "skip", "wide", "uuid", "pnot", "pdin", "meta",
                             "moof", "mfra", "sidx", "styp", "junk", "PICT", "prfl"})


def top_level(data, size: int) -> list[boxes.BoxRef]:
    """The top-level boxes, or an empty list when the file does not start like an MP4/MOV."""
    refs = list(boxes.walk(data, 0, size))
    if not refs or refs[0].type not in KNOWN_TOP_LEVEL:
        return []
    return refs


def learn_profile(path) -> Profile:
    """Read the reference at ``path``. Raises ``InputError``/``ReferenceError_`` with a sentence for a person."""
    with MediaFile(path, role="reference") as mf:
        refs = top_level(mf.data, mf.size)
        if not refs:
            raise InputError(f"The reference file {mf.path.name} is not an MP4 or MOV file.")
        moov = next((r for r in refs if r.type == "moov"), None)
        if moov is None or moov.truncated:
            raise ReferenceError_(
                f"The reference file {mf.path.name} is itself broken (it has no complete index); "
                "choose a recording from the same camera that plays.")
        try:
            return _learn(mf, refs, moov)
        except BoxError as exc:
            raise ReferenceError_(
                f"The reference file {mf.path.name} is damaged and cannot be read ({exc}).") from None


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
            raise ReferenceError_(f"The reference file {mf.path.name} is damaged: {why}, so a repair "
                                  "with it would have wrong timing.")
    if not tracks:
        raise ReferenceError_(f"The reference file {mf.path.name} has no tracks.")
    if not own and all(len(t.sizes) == 0 for t in tracks):
        if moov.find("mvex") is not None:
            raise ReferenceError_(
                f"The reference file {mf.path.name} is a fragmented MP4, which mp4fix cannot learn from yet; "
                "choose a regular recording.")
        raise ReferenceError_(f"The reference file {mf.path.name} holds no samples.")
    for t in tracks:
        if not own and len(t.sizes) and int((t.offsets + t.sizes).max()) > mf.size:
            raise ReferenceError_(
                f"The reference file {mf.path.name} is itself cut short (its index points past its end); "
                "choose a recording that plays to the end.")
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

    what = {"video": "video", "audio": "audio"}.get(t.kind)
    if what is None or not len(t.sizes):
        return ""
    seconds = t.sample_duration / t.timescale
    if t.sample_duration <= 0:
        return f"its {what} track gives its samples a duration of 0 (stts)"
    if what == "video" and not 1 / MAX_FRAME_RATE <= seconds <= MAX_FRAME_SECONDS:
        return f"its video track gives each frame {seconds:.6g} s (stts and mdhd timescale {t.timescale})"
    if what == "audio":
        short = 0.0 if t.fourcc in PCM_FOURCCS else MIN_CODED_AUDIO_SECONDS
        if not short <= seconds <= MAX_AUDIO_SAMPLE_SECONDS:
            return (f"its audio track gives each '{t.fourcc}' frame {seconds:.6g} s (stts and mdhd timescale "
                    f"{t.timescale})")
    total = float(t.durations.sum())
    if total / t.timescale > MAX_RECORDING_SECONDS:
        return f"its {what} track lasts {total / t.timescale / 86400:.0f} days"
    if every_sample and float(t.durations.max()) / t.timescale > MAX_SAMPLE_SECONDS:
        return f"a sample of its {what} track lasts {float(t.durations.max()) / t.timescale:.0f} s"
    if every_sample and t.durations.min() < 0:
        return f"a sample of its {what} track has a negative duration"
    if every_sample and t.ctts is not None and len(t.ctts) and \
            float(np.abs(t.ctts).max()) / t.timescale > MAX_SAMPLE_SECONDS:
        return f"a sample of its {what} track is shown {float(np.abs(t.ctts).max()) / t.timescale:.0f} s off its place"
    for duration, media_time, rate in t.edit_list:
        if media_time < -1 or media_time > total:
            return f"an edit of its {what} track starts at media time {media_time}, outside the track"
        if media_time != -1 and not 0 <= rate <= 64:
            return f"an edit of its {what} track plays at rate {rate:g}"
        if media_time == -1 and duration / movie_timescale > max(total / t.timescale, 60.0):
            return f"an edit of its {what} track delays it by {duration / movie_timescale:.6g} s"
    return ""


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
