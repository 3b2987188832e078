"""Uncompressed audio (QuickTime and ISO PCM forms) and fixed-size sample tracks (timecode, some data tracks).

Neither is self-delimiting: a PCM chunk is just bytes. Their samples are found from the reference's chunk
sizes and, failing that, by where the next self-delimiting sample (video, AAC, ...) begins; the scanner
believes an option only when a recognised sample follows it. Sizes are always whole frames.
"""

from __future__ import annotations

import copy

import numpy as np

from mp4fix.codecs.base import Matcher, SampleMatch, register
from mp4fix.codecs.nal import all_bytes
from mp4fix.errors import MismatchError
from mp4fix.i18n import _
from mp4fix.profile import TrackProfile

PCM_FOURCCS = ("twos", "sowt", "lpcm", "in24", "in32", "fl32", "fl64", "ipcm", "fpcm", "raw ", "alaw",
               "ulaw", "NONE", "in16")


class FixedRuns(Matcher):
    """Runs of fixed-size samples, sized from the reference's chunks."""

    self_delimiting = False
    max_options = 4
    #: every sample is this byte repeated (a data track whose reference samples are all zeros: Android's
    #: 'mett' placeholders); None when the content is free
    fill: int | None = None

    def __init__(self, track: TrackProfile, frame_bytes: int):
        super().__init__(track)
        if frame_bytes <= 0:
            raise MismatchError(_("The reference's '{fourcc}' track has no usable sample size.", fourcc=track.fourcc))
        self.stride = frame_bytes
        chunk_samples = track.chunk_sizes[track.chunk_sizes > 0]
        if len(chunk_samples) > 1:
            chunk_samples = chunk_samples[:-1]  # the last chunk of a recording is cut short: not a pattern
        if len(chunk_samples):
            values, counts = np.unique(chunk_samples, return_counts=True)
            likely = values[np.argsort(-counts, kind="stable")][: self.max_options]
            self._run_bytes = [int(v) * frame_bytes for v in likely]
            longest = int(values.max()) * frame_bytes
        else:
            self._run_bytes, longest = [], frame_bytes
        self.max_run_bytes = max(4 * longest, 1 << 20)
        self.longest_run = longest
        self.shortest_run = min(self._run_bytes, default=frame_bytes)
        if len(chunk_samples) and int(chunk_samples.max()) == 1:
            # the reference never writes two of these samples in a row (a timecode track's single sample):
            # no run "up to the next recognised sample" is offered
            self.stride = 0

    def clone(self) -> "FixedRuns":
        return copy.copy(self)  # no stream state: the learned sizes are all there is

    def match_options(self, data, pos: int, end: int) -> list[SampleMatch]:
        return [self.sample_of(n) for n in self._run_bytes if pos + n <= end and self.fits(data, pos, n)]

    def fits(self, data, pos: int, size: int) -> bool:
        return self.fill is None or all_bytes(data, pos, pos + size, self.fill)

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        options = self.match_options(data, pos, end)
        return options[0] if options else None

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        return np.zeros(0, dtype=np.int64)  # never used to resynchronise: any bytes could be PCM


@register
class PcmMatcher(FixedRuns):
    fourccs = PCM_FOURCCS

    def __init__(self, track: TrackProfile):
        super().__init__(track, _frame_bytes(track))


@register
class TimecodeMatcher(FixedRuns):
    """QuickTime timecode ('tmcd'): 4-byte frame numbers (8 with the 64-bit flag)."""

    fourccs = ("tmcd",)

    def __init__(self, track: TrackProfile):
        sizes = track.sizes
        super().__init__(track, int(sizes[0]) if len(sizes) else 4)


def _frame_bytes(track: TrackProfile) -> int:
    """Bytes per audio frame (all channels): the reference's constant sample size, else the description."""
    sizes = track.sizes
    if len(sizes) and int(sizes.min()) == int(sizes.max()) and int(sizes[0]) > 1:
        return int(sizes[0])
    e = track.sample_entry
    if len(e) >= 36:
        channels = int.from_bytes(e[24:26], "big")
        bits = int.from_bytes(e[26:28], "big")
        version = int.from_bytes(e[16:18], "big")
        if version == 1 and len(e) >= 52:
            per_frame = int.from_bytes(e[44:48], "big")
            if per_frame:
                return per_frame
        if version == 2 and len(e) >= 72:
            # QuickTime sound description version 2: after the 28 bytes of version 0 (their fields fixed
            # values), sizeOfStructOnly, audioSampleRate (float64), numAudioChannels, always7F000000,
            # constBitsPerChannel, formatSpecificFlags, constBytesPerAudioPacket, constLPCMFramesPerAudioPacket
            per_packet = int.from_bytes(e[8 + 28 + 28:8 + 28 + 32], "big")
            frames = int.from_bytes(e[8 + 28 + 32:8 + 28 + 36], "big")
            if per_packet and frames == 1:
                return per_packet
            bits = int.from_bytes(e[8 + 28 + 20:8 + 28 + 24], "big")
            channels = int.from_bytes(e[8 + 28 + 12:8 + 28 + 16], "big")
        if track.fourcc in ("alaw", "ulaw"):
            bits = 8
        if channels and bits:
            return channels * bits // 8
    return 0
