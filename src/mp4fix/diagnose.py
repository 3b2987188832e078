"""Diagnose a file: what is in it, what is wrong, what can be recovered. Never modifies the file."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    problem: str = ""  # one plain sentence for a person

    @property
    def recoverable_bytes(self) -> int:
        if self.mdat_start is None or self.mdat_end is None:
            return 0
        return self.mdat_end - self.mdat_start


def diagnose(path) -> Diagnosis:
    """Inspect ``path`` (read-only). Raises ``InputError`` for a missing/unreadable/empty/non-MP4 file."""
    raise NotImplementedError  # being written
