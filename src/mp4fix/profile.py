"""What a healthy reference file teaches about a recording: one ``TrackProfile`` per track.

Built by ``mp4fix.reference.learn_profile``; read by codec matchers (codec configuration), the scanner
(interleave and chunk pattern) and the builder (the reference's trak boxes are the template of the new moov).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class TrackProfile:
    """One track of the reference, with its sample tables expanded to one row per sample."""

    index: int  # position among the reference's tracks (0-based)
    track_id: int
    handler: str  # 'vide', 'soun', 'tmcd', 'meta', 'text', ...
    fourcc: str  # sample-entry type, e.g. 'avc1', 'mp4a'
    timescale: int  # mdhd timescale
    sample_entry: bytes  # the whole first sample-entry box of stsd (header included), byte-exact
    config: dict[str, bytes]  # child boxes of the sample entry by type ('avcC', 'esds', ...): payloads only
    trak: bytes  # the whole trak box, the template the builder edits
    sizes: np.ndarray  # uint32 per sample
    durations: np.ndarray  # int64 per sample (stts expanded)
    ctts: np.ndarray | None  # int64 composition offsets per sample, None when the track has no ctts
    keyframes: np.ndarray | None  # bool per sample; None when every sample is a sync sample (no stss)
    offsets: np.ndarray  # uint64 file offset per sample
    chunk_sizes: np.ndarray  # samples per chunk, one row per chunk (stsc expanded)
    edit_list: list[tuple[int, int, float]] = field(default_factory=list)  # (segment duration, media time, rate)
    width: int = 0
    height: int = 0
    channels: int = 0
    sample_rate: int = 0

    @property
    def kind(self) -> str:
        return {"vide": "video", "soun": "audio", "tmcd": "timecode", "text": "text", "sbtl": "subtitle",
                "subt": "subtitle", "meta": "metadata"}.get(self.handler, "data")

    @property
    def sample_duration(self) -> int:
        """The most common sample duration: what a recovered sample is given when the bitstream has no clock."""
        if len(self.durations) == 0:
            return 0
        values, counts = np.unique(self.durations, return_counts=True)
        return int(values[np.argmax(counts)])


@dataclass
class Profile:
    """The reference file as a whole."""

    path: str
    ftyp: bytes  # whole ftyp box, copied to the output
    mvhd: bytes  # whole mvhd box (template)
    movie_timescale: int
    tracks: list[TrackProfile]
    moov_extra: list[bytes] = field(default_factory=list)  # other moov children (udta, meta, ...) kept raw
    # the reference's file layout in order: (track index, samples in the chunk), one row per chunk
    layout: list[tuple[int, int]] = field(default_factory=list)
    is_quicktime: bool = False
