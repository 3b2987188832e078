"""The result of a repair: what came back per track, what was skipped, and ffmpeg's verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class TrackResult:
    track_id: int
    kind: str  # 'video', 'audio', 'timecode', 'data', ...
    codec: str  # sample-entry fourcc
    samples: int
    duration: float  # seconds
    bytes: int
    keyframes: int = 0
    status: str = "ok"  # 'ok' or 'skipped'
    note: str = ""
    timing: str = "exact"  # 'exact', 'rebuilt' (from the audio clock) or 'approximate'
    timing_accuracy: float | None = None  # seconds, when rebuilt


@dataclass
class VerifyResult:
    ok: bool
    decode_errors: int
    duration: float | None  # seconds, as ffmpeg reads the output
    log: str = ""
    mode: str = "full"  # 'full': every sample decoded; 'sampled': every audio sample and video stretches
    coverage: str = ""  # what was decoded, in words ("every audio sample; video from 6 keyframes of 160 ...")
    frames_checked: int = 0  # video frames (samples of the main video track) the check decoded
    frames_total: int = 0  # ... of these


@dataclass
class RepairReport:
    input: str
    reference: str
    output: str | None
    tracks: list[TrackResult] = field(default_factory=list)
    mdat_bytes: int = 0  # payload bytes present in the broken file's mdat
    bytes_used: int = 0  # of those, bytes now indexed as samples
    bytes_skipped: int = 0  # bytes no track claimed (garbage, damage, an unrecognised track)
    bytes_padding: int = 0  # free/skip boxes and zero padding between samples (layout, not lost data)
    truncated_tail: int = 0  # bytes at the cut that held an incomplete sample
    #: the bytes at the cut are more than one incomplete sample can be: samples among them were lost
    tail_lost: bool = False
    verify: VerifyResult | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return max((t.duration for t in self.tracks if t.status == "ok"), default=0.0)

    @property
    def complete(self) -> bool:
        """True when nothing that could be recovered was lost: exit code 0 rather than 1."""
        if any(t.status != "ok" for t in self.tracks):
            return False
        if self.verify is not None and not self.verify.ok:
            return False
        return self.bytes_skipped == 0 and not self.tail_lost

    def to_dict(self) -> dict:
        d = asdict(self)
        d["duration"] = self.duration
        d["complete"] = self.complete
        return d
