"""Timed metadata and other data tracks (GoPro 'gpmd', Apple 'mebx', Sony 'rtmd', 'mett', 'text'/'tx3g', ...).

No codec specification says how long such a sample is, so the structure is learned from the reference's own
samples, and only a structure that explains every one of them exactly is used:

* ``klv``: a sequence of GoPro-style KLV entries (4-character key, type, struct size, repeat count, data
  padded to 4 bytes) whose top-level keys the reference shows;
* ``boxes``: a sequence of ISO boxes (32-bit size, 4-character type) whose types the reference shows;
* ``text``: a 3GPP/QuickTime text sample: a 16-bit text length, the text, then optional modifier boxes;
* ``fixed``: every sample the same size (handled like PCM: confirmed by what follows).

A track whose samples fit none of these is not guessed at: the repair skips its bytes and says so.
"""

from __future__ import annotations

import numpy as np

from mp4fix.codecs.base import Matcher, SampleMatch
from mp4fix.codecs.pcm import _FixedRuns
from mp4fix.errors import UnsupportedCodecError
from mp4fix.profile import TrackProfile

LEARN_SAMPLES = 200


def _printable(raw: bytes) -> bool:
    return len(raw) == 4 and all(0x20 <= b <= 0x7E for b in raw)


def _walk_klv(data, pos: int, end: int, keys: frozenset[bytes] | None) -> list[tuple[bytes, int]]:
    """Top-level KLV entries from ``pos``: [(key, total length)], stopping at the first that does not fit."""
    out = []
    while pos + 8 <= end:
        head = bytes(data[pos:pos + 8])
        key = head[:4]
        if not _printable(key) or (keys is not None and key not in keys):
            break
        size, repeat = head[5], int.from_bytes(head[6:8], "big")
        length = 8 + ((size * repeat + 3) & ~3)
        if pos + length > end or (head[4] == 0 and size * repeat % 4):  # nested (type 0) data is 4-aligned
            break
        out.append((key, length))
        pos += length
    return out


def _walk_boxes(data, pos: int, end: int, types: frozenset[bytes] | None) -> list[tuple[bytes, int]]:
    out = []
    while pos + 8 <= end:
        size = int.from_bytes(data[pos:pos + 4], "big")
        btype = bytes(data[pos + 4:pos + 8])
        # types are not always printable: Apple's 'mebx' boxes are typed by local key ids 1, 2, ...
        if size < 8 or pos + size > end or (types is not None and btype not in types):
            break
        out.append((btype, size))
        pos += size
    return out


def _sample_units(entries: list[tuple[bytes, int]]) -> int:
    """How many leading entries make one sample: up to (not including) the first repeat of the first key."""
    if not entries:
        return 0
    first = entries[0][0]
    for i, (key, _) in enumerate(entries[1:], 1):
        if key == first:
            return i
    return len(entries)


class StructuredDataMatcher(Matcher):
    """A data track whose samples are KLV entries, boxes or text records, as learned from the reference.

    KLV and box samples carry their own lengths and learned keys: self-delimiting. A text record's length
    prefix says little on its own (``00 00`` is a valid empty record), so text samples are only believed
    where a recognised sample follows them (not self-delimiting).
    """

    fourccs = ()

    def __init__(self, track: TrackProfile, kind: str, keys: frozenset[bytes], first_keys: frozenset[bytes]):
        super().__init__(track)
        self.kind = kind
        self.keys = keys
        self.first_keys = first_keys
        self.self_delimiting = kind != "text"  # type: ignore[misc]  (per instance: learned)

    def clone(self) -> "StructuredDataMatcher":
        return type(self)(self.track, self.kind, self.keys, self.first_keys)

    def _entries(self, data, pos: int, end: int) -> list[tuple[bytes, int]]:
        walk = _walk_klv if self.kind == "klv" else _walk_boxes
        return walk(data, pos, end, self.keys)

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        if self.kind == "text":
            return self._match_text(data, pos, end)
        entries = self._entries(data, pos, end)
        if not entries or entries[0][0] not in self.first_keys:
            return None
        n = _sample_units(entries)
        return SampleMatch(sum(length for _, length in entries[:n]), True)

    def _match_text(self, data, pos: int, end: int) -> SampleMatch | None:
        if pos + 2 > end:
            return None
        length = int.from_bytes(data[pos:pos + 2], "big")
        body = pos + 2 + length
        if body > end:
            return None
        text = bytes(data[pos + 2:body])
        if b"\0" in text:
            return None
        try:
            text.decode("utf-8") if not text.startswith(b"\xfe\xff") else text[2:].decode("utf-16-be")
        except UnicodeDecodeError:
            return None
        boxes = _walk_boxes(data, body, end, self.keys or frozenset())
        return SampleMatch(body - pos + sum(size for _, size in boxes), True)

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        if self.kind == "text":
            return np.zeros(0, dtype=np.int64)  # text records are only taken where the walk meets them
        stop = min(end, len(arr) - 8)
        if stop <= start:
            return np.zeros(0, dtype=np.int64)
        off = 0 if self.kind == "klv" else 4  # where the 4-character key sits
        window = arr[start + off:stop + off]
        hits = np.zeros(len(window) - 3, dtype=bool)
        for key in self.first_keys:
            k = np.frombuffer(key, dtype=np.uint8)
            hits |= ((window[:-3] == k[0]) & (window[1:-2] == k[1]) & (window[2:-1] == k[2]) & (window[3:] == k[3]))
        return np.flatnonzero(hits).astype(np.int64) + start


def learn_data_matcher(track: TrackProfile, data) -> Matcher:
    """The matcher that explains every one of the reference's first samples, or ``UnsupportedCodecError``."""
    n = min(len(track.sizes), LEARN_SAMPLES)
    if n == 0:
        raise UnsupportedCodecError(f"the reference's '{track.fourcc}' {track.kind} track has no samples to learn from")
    samples = [(int(o), int(s)) for o, s in zip(track.offsets[:n].tolist(), track.sizes[:n].tolist())]
    for kind in ("klv", "boxes"):
        walk = _walk_klv if kind == "klv" else _walk_boxes
        keys: set[bytes] = set()
        firsts: set[bytes] = set()
        ok = True
        for off, size in samples:
            entries = walk(data, off, off + size, None)
            if not entries or sum(length for _, length in entries) != size or \
                    _sample_units(entries) != len(entries):
                ok = False
                break
            keys.update(k for k, _ in entries)
            firsts.add(entries[0][0])
        if ok:
            return StructuredDataMatcher(track, kind, frozenset(keys), frozenset(firsts))
    if track.fourcc in ("tx3g", "text", "sbtt", "wvtt", "c608") or track.handler in ("text", "sbtl", "subt"):
        boxes: set[bytes] = set()
        ok = True
        for off, size in samples:
            length = int.from_bytes(data[off:off + 2], "big")
            rest = _walk_boxes(data, off + 2 + length, off + size, None)
            if 2 + length + sum(s for _, s in rest) != size:
                ok = False
                break
            boxes.update(t for t, _ in rest)
        if ok:
            return StructuredDataMatcher(track, "text", frozenset(boxes), frozenset())
    sizes = track.sizes[:n]
    if int(sizes.min()) == int(sizes.max()):
        return _FixedRuns(track, int(sizes[0]))
    raise UnsupportedCodecError(
        f"the {track.kind} track '{track.fourcc}' has samples whose length mp4fix cannot measure")
