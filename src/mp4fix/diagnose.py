"""Diagnose a file: what is in it, what is wrong, what can be recovered. Never modifies the file."""

from __future__ import annotations

from dataclasses import dataclass, field

from mp4fix.errors import InputError
from mp4fix.fragments import is_fragmented
from mp4fix.i18n import _, human_size
from mp4fix.reference import ZERO_RUN, top_level
from mp4fix.source import MediaFile


@dataclass
class BoxInfo:
    type: str
    offset: int
    size: int  # as it will be used: clipped to the end of the file when the header claims more
    header_size: int
    truncated: bool = False  # the header claims more bytes than the file has


@dataclass
class TrackInfo:
    track_id: int
    kind: str  # 'video', 'audio', ...
    codec: str  # sample-entry fourcc
    samples: int
    duration: float  # seconds
    width: int = 0
    height: int = 0
    sample_rate: int = 0
    channels: int = 0
    supported: bool = False  # mp4fix can rebuild this track
    why_not: str = ""  # when it cannot: why, for a person


@dataclass
class Diagnosis:
    path: str
    size: int
    is_mp4: bool
    brand: str = ""
    boxes: list[BoxInfo] = field(default_factory=list)
    has_moov: bool = False
    mdat_start: int | None = None  # first payload byte of the (first) mdat
    mdat_end: int | None = None  # end of its payload as present in the file
    tracks: list[TrackInfo] = field(default_factory=list)
    broken: bool = False  # True when the index is missing and mdat holds data to recover
    mdat_placeholder: bool = False  # the mdat size was never written: its data runs to the end of the file
    fragmented: bool = False  # a fragmented MP4 (moof + mdat pairs): it indexes itself, no reference needed
    fragments: int = 0  # fragments whose index (moof) could be read
    complete_fragments: int = 0  # of them, those whose every sample is in the file
    problem: str = ""  # one plain sentence for a person

    @property
    def recoverable_bytes(self) -> int:
        if self.mdat_start is None or self.mdat_end is None:
            return 0
        return self.mdat_end - self.mdat_start


def diagnose(path) -> Diagnosis:
    """Inspect ``path`` (read-only). Raises ``InputError`` for a missing/unreadable/empty/non-MP4 file."""
    with MediaFile(path) as mf:
        refs = top_level(mf.data, mf.size)
        if not refs:
            raise InputError(_("{name} is not an MP4 or MOV file (it does not start with MP4 boxes).",
                               name=mf.path.name))
        d = Diagnosis(path=str(mf.path), size=mf.size, is_mp4=True)
        d.boxes = [BoxInfo(r.type, r.offset, r.size, r.header_size, r.truncated) for r in refs]
        ftyp = next((r for r in refs if r.type == "ftyp"), None)
        if ftyp is not None and ftyp.size >= 12:
            d.brand = bytes(mf.data[ftyp.payload_start:ftyp.payload_start + 4]).decode("latin-1").strip()
        mdats = [r for r in refs if r.type == "mdat"]
        if mdats:
            d.mdat_start, d.mdat_end = mdats[0].payload_start, mdats[0].end
            if mdats[0] is refs[-1] and refs[-1].end < mf.size:
                # the header's size is a placeholder the recorder never fixed (it stops short and what
                # follows is no box): the media data runs to the end of the file
                d.mdat_end = mf.size
                d.mdat_placeholder = True
        moov = next((r for r in refs if r.type == "moov" and not r.truncated), None)
        d.has_moov = moov is not None
        last = refs[-1]
        if moov is not None and is_fragmented(refs, mf.data):
            _fragmented(d, mf, refs)
        elif moov is not None:
            profile = _own_index(path)
            indexed = sum(int(t.sizes.sum()) for t in profile.tracks) if profile is not None else 0
            d.tracks = _tracks(path, profile) if indexed else []
            if d.recoverable_bytes and indexed < INCOMPLETE_INDEX * d.recoverable_bytes:
                # some recorders write an index early (a placeholder, or only the first part) and complete
                # it when they stop; one that lists little of the media data, or cannot be read, never was
                d.broken = True
                d.problem = _("The index (moov) is incomplete or damaged: it lists {indexed} of the {total} of "
                              "audio/video data. The data can be recovered.", indexed=human_size(indexed),
                              total=human_size(d.recoverable_bytes))
            else:
                d.problem = _("This file has a complete index (moov); it does not need repair.")
        elif not mdats:
            d.problem = _("The file has neither an index (moov) nor media data (mdat): there is nothing to recover.")
        elif d.recoverable_bytes == 0:
            d.problem = _("The index (moov) is missing and the media data (mdat) is empty: nothing was recorded.")
        else:
            d.broken = True
            how = (_("the file was cut off while recording") if last.truncated or last.declared_size == 0
                   or last.type == "mdat" else _("the recording was not finished"))
            if any(r.type in (ZERO_RUN, "free", "skip") and r.size >= RESERVED_ROOM and r.offset < mdats[0].offset
                   for r in refs):
                how += " " + _("(the room the recorder kept for the index in front of the media data is still "
                               "empty)")
            d.problem = _("The index (moov) is missing: {how}. {size} of audio/video data can be recovered.",
                          how=how, size=human_size(d.recoverable_bytes))
        end = mf.size if d.mdat_placeholder else last.end
        if end < mf.size and not last.truncated:
            d.problem += " " + _("{size} after the last box are not part of any box.", size=human_size(mf.size - end))
        return d


def _fragmented(d: Diagnosis, mf: MediaFile, refs) -> None:
    """A fragmented MP4: complete (plays as it is), or cut inside a fragment (its own index repairs it)."""
    from mp4fix.errors import BoxError
    from mp4fix.fragments import read_fragments
    from mp4fix.reference import own_index

    d.fragmented = True
    try:
        profile = own_index(mf, refs)
        frag = read_fragments(mf.data, mf.size, refs, profile)
    except BoxError as exc:
        d.problem = _("This fragmented MP4's index (moov) is damaged ({detail}); it cannot be read.", detail=exc)
        return
    d.fragments, d.complete_fragments = frag.fragments, frag.complete
    d.mdat_start = d.mdat_end = None
    kept = sum(int(s.sum()) for r in frag.runs.values() for s in r.sizes)
    d.tracks = []
    for t in profile.tracks:
        r = frag.runs[t.track_id]
        n = sum(len(s) for s in r.sizes)
        dur = sum(int(x.sum()) for x in r.durations) / t.timescale if t.timescale else 0.0
        d.tracks.append(TrackInfo(t.track_id, t.kind, t.fourcc, n, dur, t.width, t.height, t.sample_rate,
                                  t.channels, True, ""))
    if not frag.broken:
        d.problem = _("This is a complete fragmented MP4 ({n} fragments); it does not need repair and should play "
                      "as it is.", n=frag.fragments)
        return
    d.broken = True
    d.problem = _("This fragmented MP4 is cut off: {why}. Its {n} complete fragment(s) and {k} whole sample(s) of "
                  "the fragment the cut broke can be recovered ({size}) from its own index, without a reference.",
                  why=frag.note, n=frag.complete, k=frag.kept_partial, size=human_size(kept))


INCOMPLETE_INDEX = 0.5  # an index listing less than this share of the media data was never completed
RESERVED_ROOM = 1024  # a free box or zero run this large before the media data is room kept for an index


def _own_index(path):
    """The file's own index as a profile (None when it cannot be read): learned once, for both questions
    diagnose asks of it (how much media data it lists, and its tracks)."""
    from mp4fix.errors import Mp4fixError
    from mp4fix.reference import learn_profile

    try:
        return learn_profile(path)
    except Mp4fixError:
        return None


def _tracks(path, profile) -> list[TrackInfo]:
    from mp4fix.codecs import make_matcher

    out = []
    with MediaFile(path, role="reference") as mf:
        for t in profile.tracks:
            matcher, why = make_matcher(t, mf.data)
            dur = float(t.durations.sum()) / t.timescale if t.timescale else 0.0
            channels = (_aac_channels(t) or t.channels) if t.fourcc == "mp4a" else t.channels
            out.append(TrackInfo(t.track_id, t.kind, t.fourcc, len(t.sizes), dur, t.width, t.height,
                                 t.sample_rate, channels, matcher is not None, why))
    return out


def _aac_channels(track) -> int:
    """The channels an AAC track plays, from its AudioSpecificConfig (14496-3 1.6.3.4 channelConfiguration or
    its program_config_element; parametric stereo makes a mono core stereo). The sample entry's own
    channelcount is often a fixed 2 (14496-14 left it a template field), so this wins. 0 when unknown."""
    from mp4fix.codecs import aac
    from mp4fix.errors import BitstreamError, Mp4fixError

    try:
        if aac.mp4a_kind(track) != "aac":
            return 0
        config = aac.aac_config(track)
    except (Mp4fixError, BitstreamError):
        return 0
    return 2 if config.ps_present and config.channels == 1 else config.channels
