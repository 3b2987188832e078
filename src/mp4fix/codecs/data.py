"""Timed metadata and other data tracks (GoPro 'gpmd' and 'fdsc', Apple 'mebx', Android 'mett', Sony 'rtmd',
'text'/'tx3g', ...).

No codec specification says how long such a sample is, so the structure is learned from the reference's own
samples, and only a structure that explains every one of them exactly is used. In order of preference:

* ``hint``: RTP hint samples of a 'hint' track ('rtp ', 'srtp'; ISO/IEC 14496-12 "RTP hint track format", the
  QuickTime File Format's "hint media"): a packet table of RTP packet entries, each with its constructors, and
  the data the sample's own constructors point into;
* ``klv``: a sequence of GoPro-style KLV entries (4-character key, type, struct size, repeat count, data
  padded to 4 bytes; GPMF);
* ``boxes``: a sequence of ISO boxes (32-bit size, 4-byte type; Apple's 'mebx' types them by local key id);
* ``text``: a 3GPP/QuickTime text sample: a 16-bit text length, the text, then optional modifier boxes;
* ``tagged``: the sample's first bytes (a record type) say how long it is: every reference sample with the
  same first ``k`` bytes has the same size, or holds its size in a length field (GoPro's 'fdsc' records);
* ``delimited``: every sample begins with the same signature of several bytes while sizes vary (Android's
  'mett' records): a sample ends where the next sample of any track begins;
* ``fixed``: every sample the same size (handled like PCM: confirmed by what follows); when every one of them is
  zeros (Android's 'mett' placeholders), only zeros.

For ``klv`` and ``boxes`` the reference also shows which keys make up one sample (the sequences of top-level
keys, e.g. one 'DEVC' per GPMF sample, one box per 'mebx' sample) and the sizes each key's entries have, so
back-to-back samples are never merged and another track's entries with the same key are not taken.

A track whose samples fit none of these is not guessed at: the repair skips its bytes and says so.
"""

from __future__ import annotations

import numpy as np

from mp4fix.codecs.base import Matcher, SampleMatch, find_bytes
from mp4fix.codecs.pcm import FixedRuns
from mp4fix.errors import UnsupportedCodecError
from mp4fix.i18n import _, kind_name
from mp4fix.profile import TrackProfile

LEARN_SAMPLES = 200
MAX_ENTRIES = 64  # top-level entries walked for one sample
TAG_BYTES = range(2, 9)  # lengths of a record-type tag tried, shortest first
SIGNATURE_MIN = 4  # bytes every sample must begin with to be delimited by what follows it
SIZE_SLACK = 2  # an entry or sample may be this many times smaller or larger than the reference's
LENGTH_FIELD_REACH = 16  # a record's own length is looked for in its first bytes
RECORD_MAX = 16 << 20  # no record of a data track is longer
HINT_FOURCCS = ("rtp ", "srtp")
HINT_CONSTRUCTOR = 16  # bytes of one data-table entry of an RTP packet
HINT_SELF = 0xFF  # trackrefindex -1: a sample constructor that points into the hint track's own sample


def _printable(raw: bytes) -> bool:
    return len(raw) == 4 and all(0x20 <= b <= 0x7E for b in raw)


def _walk_klv(data, pos: int, end: int, keys: frozenset[bytes] | None) -> list[tuple[bytes, int]]:
    """Top-level KLV entries from ``pos``: [(key, total length)], stopping at the first that does not fit."""
    out = []
    while pos + 8 <= end and len(out) < MAX_ENTRIES:
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
    while pos + 8 <= end and len(out) < MAX_ENTRIES:
        size = int.from_bytes(data[pos:pos + 4], "big")
        btype = bytes(data[pos + 4:pos + 8])
        # types are not always printable: Apple's 'mebx' boxes are typed by local key ids 1, 2, ...
        if size < 8 or pos + size > end or (types is not None and btype not in types):
            break
        out.append((btype, size))
        pos += size
    return out


def _common_prefix(samples: list[bytes]) -> bytes:
    first = samples[0]
    n = len(first)
    for s in samples[1:]:
        n = min(n, len(s))
        k = 0
        while k < n and s[k] == first[k]:
            k += 1
        n = k
    return first[:n]


def _positions_of(arr: np.ndarray, start: int, end: int, patterns, at: int = 0) -> np.ndarray:
    """Sorted positions p in [start, end) where ``arr[p + at:]`` begins with one of ``patterns``."""
    if not patterns:
        return np.zeros(0, dtype=np.int64)
    width = max(len(p) for p in patterns)
    stop = min(end, len(arr) - at - width + 1)
    if stop <= start:
        return np.zeros(0, dtype=np.int64)
    hits = np.zeros(stop - start, dtype=bool)
    for pattern in patterns:
        k = np.frombuffer(pattern, dtype=np.uint8)
        ok = arr[start + at:stop + at] == k[0]
        for j in range(1, len(k)):
            ok &= arr[start + at + j:stop + at + j] == k[j]
        hits |= ok
    return np.flatnonzero(hits).astype(np.int64) + start


class StructuredDataMatcher(Matcher):
    """A data track whose samples are KLV entries, boxes or text records, as learned from the reference.

    KLV and box samples carry their own lengths: self-delimiting. A sample is the longest run of leading
    entries whose keys form a sequence the reference's samples show, each entry within the sizes the
    reference shows for its key. A text record's length prefix says little on its own (``00 00`` is a
    valid empty record), so text samples are only believed where a recognised sample follows them.
    """

    fourccs = ()

    def __init__(self, track: TrackProfile, kind: str, keys: frozenset[bytes], first_keys: frozenset[bytes],
                 sequences: frozenset[tuple[bytes, ...]] = frozenset(),
                 sizes: dict[bytes, tuple[int, int]] | None = None):
        super().__init__(track)
        self.kind = kind
        self.keys = keys
        self.first_keys = first_keys
        self.sequences = sequences
        self.sizes = dict(sizes or {})  # key -> (smallest, largest) entry the reference shows
        self._longest = max((len(s) for s in sequences), default=MAX_ENTRIES)
        self.self_delimiting = kind != "text"  # type: ignore[misc]  (per instance: learned)

    def clone(self) -> "StructuredDataMatcher":
        return type(self)(self.track, self.kind, self.keys, self.first_keys, self.sequences, self.sizes)

    def _entries(self, data, pos: int, end: int) -> list[tuple[bytes, int]]:
        walk = _walk_klv if self.kind == "klv" else _walk_boxes
        out = walk(data, pos, end, self.keys)[:self._longest]
        if self.kind != "boxes":
            return out
        for i, (key, length) in enumerate(out):
            lo, hi = self.sizes.get(key, (0, 1 << 62))
            if length * SIZE_SLACK < lo or length > hi * SIZE_SLACK:
                return out[:i]
        return out

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        if self.kind == "text":
            return self._match_text(data, pos, end)
        entries = self._entries(data, pos, end)
        if not entries or entries[0][0] not in self.first_keys:
            return None
        keys = tuple(k for k, _ in entries)
        n = next((k for k in range(len(keys), 0, -1) if keys[:k] in self.sequences), 0)
        if n == 0:
            return None
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
        at = 0 if self.kind == "klv" else 4  # where the key sits
        found = _positions_of(arr, start, end, sorted(self.first_keys), at)
        if self.kind == "boxes" and found.size:
            # the 32-bit size of the first box must be one the reference's first boxes could have
            size = np.zeros(found.size, dtype=np.int64)
            for k in range(4):
                size = (size << 8) | arr[found + k].astype(np.int64)
            lo = min(self.sizes[k][0] for k in self.first_keys) if self.sizes else 8
            hi = max(self.sizes[k][1] for k in self.first_keys) if self.sizes else 1 << 31
            found = found[(size * SIZE_SLACK >= lo) & (size <= hi * SIZE_SLACK) & (size >= 8)]
        return found


class TaggedRecordMatcher(Matcher):
    """Records whose first bytes (a type tag) say how long they are, as the reference's samples show (GoPro
    'fdsc'): every sample with the same first ``k`` bytes has the same size, or holds its own size in a field
    at the same place (``rules``: tag -> ``("size", n)`` or ``("field", offset, width, byteorder)``)."""

    fourccs = ()

    def __init__(self, track: TrackProfile, k: int, rules: dict[bytes, tuple]):
        super().__init__(track)
        self.k = k
        self.rules = dict(rules)

    def clone(self) -> "TaggedRecordMatcher":
        return type(self)(self.track, self.k, self.rules)

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        rule = self.rules.get(bytes(data[pos:pos + self.k]))
        if rule is None:
            return None
        if rule[0] == "size":
            size = rule[1]
        else:
            _, at, width, order = rule
            if pos + at + width > end:
                return None
            size = int.from_bytes(data[pos + at:pos + at + width], order)
            if size < at + width or size > RECORD_MAX:
                return None
        if pos + size > end:
            return None
        return SampleMatch(size, True)

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        return _positions_of(arr, start, end, sorted(self.rules))


class DelimitedRecordMatcher(Matcher):
    """Records that all begin with one signature but whose length nothing in them says (Android 'mett').

    A record reaches to where the next record of this track begins (its signature), and where other tracks'
    samples follow it, the scanner ends it before them (``open_ended``, as for start-code video). A record is
    no shorter than half, and no longer than twice, what the reference shows.
    """

    fourccs = ()
    open_ended = True
    reach_is_bound = True

    def __init__(self, track: TrackProfile, signature: bytes, smallest: int, largest: int):
        super().__init__(track)
        self.signature = signature
        self.smallest = smallest
        self.largest = largest

    def clone(self) -> "DelimitedRecordMatcher":
        return type(self)(self.track, self.signature, self.smallest, self.largest)

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        sig = self.signature
        if pos + len(sig) > end or bytes(data[pos:pos + len(sig)]) != sig:
            return None
        lo = pos + max(len(sig), self.smallest // SIZE_SLACK)
        reach = min(end, pos + self.largest * SIZE_SLACK)
        nxt = find_bytes(data, sig, lo, reach)
        if nxt >= 0:
            return SampleMatch(nxt - pos, True, open_end=False)
        if reach - pos < max(len(sig), self.smallest // SIZE_SLACK):
            return None
        return SampleMatch(reach - pos, True, open_end=True)

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        return _positions_of(arr, start, end, [self.signature])


class HintSampleMatcher(Matcher):
    """RTP hint samples (ISO/IEC 14496-12, RTP hint track format; QuickTime File Format, hint media).

    A sample is ``packetcount`` (16 bits), 16 reserved bits, then for each packet: relative_time (32), the RTP
    header's first two bytes (version bits, P, X, CSRC count; M, payload type), a sequence seed (16), 13 reserved
    bits with the extra, B-frame and repeat flags, an entry count (16), when the extra flag says so a 32-bit
    length and that many bytes of TLV boxes (the length counts itself), then one 16-byte constructor per entry
    (0 no-op, 1 immediate data, 2 sample data, 3 sample-description data). After the table comes the data that the
    sample's own sample constructors (trackrefindex -1) point into: the sample ends where the last of them ends,
    or with its table. What the reference shows (the first two RTP header bytes, payload types, constructor
    kinds, the tracks referred to, the block fields, empty samples) is all a sample may have.
    """

    fourccs = ()

    def __init__(self, track: TrackProfile, heads: frozenset[int], payloads: frozenset[int],
                 kinds: frozenset[int], refs: frozenset[int], blocks: frozenset[tuple[int, int]], empty: bool,
                 max_packets: int, max_entries: int):
        super().__init__(track)
        self.heads, self.payloads, self.kinds, self.refs, self.blocks = heads, payloads, kinds, refs, blocks
        self.empty = empty
        self.max_packets = max(1, max_packets) * SIZE_SLACK
        self.max_entries = max(1, max_entries) * SIZE_SLACK
        e = track.sample_entry
        # RTPHintSampleEntry: 8 header bytes, 6 reserved, data reference index, hinttrackversion,
        # highestcompatibleversion (16 bits each), maxpacketsize (32)
        self.max_packet = int.from_bytes(e[20:24], "big") if len(e) >= 24 else 0
        self._table = np.zeros(256, dtype=bool)  # possible first bytes of a packet entry's RTP header
        self._table[list(heads)] = True
        self._payload = np.zeros(256, dtype=bool)
        for b in range(256):
            self._payload[b] = (b & 0x7F) in payloads

    @classmethod
    def learn(cls, track: TrackProfile, data, samples: list[tuple[int, int]]) -> "HintSampleMatcher | None":
        """The structure the reference's samples show, when it explains every one of them exactly."""
        heads: set[int] = set()
        payloads: set[int] = set()
        kinds: set[int] = set()
        refs: set[int] = set()
        blocks: set[tuple[int, int]] = set()
        empty, packets, entries = False, 0, 0
        for off, size in samples:
            parsed = _hint_walk(data, off, off + size, None)
            if parsed is None or parsed[0] != size:
                return None
            _size, facts = parsed
            if not facts:
                empty = True
            for head, payload, n, sample_kinds, sample_refs, sample_blocks in facts:
                heads.add(head)
                payloads.add(payload)
                kinds.update(sample_kinds)
                refs.update(sample_refs)
                blocks.update(sample_blocks)
                entries = max(entries, n)
            packets = max(packets, len(facts))
        if not heads:
            return None
        return cls(track, frozenset(heads), frozenset(payloads), frozenset(kinds), frozenset(refs),
                   frozenset(blocks), empty, packets, entries)

    def clone(self) -> "HintSampleMatcher":
        return type(self)(self.track, self.heads, self.payloads, self.kinds, self.refs, self.blocks, self.empty,
                          self.max_packets // SIZE_SLACK, self.max_entries // SIZE_SLACK)

    def match(self, data, pos: int, end: int) -> SampleMatch | None:
        parsed = _hint_walk(data, pos, end, self)
        if parsed is None:
            return None
        size, facts = parsed
        if not facts and not self.empty:
            return None
        return SampleMatch(size, True, confirm=not facts)

    def candidates(self, arr: np.ndarray, start: int, end: int) -> np.ndarray:
        """Positions whose packet count is 1..255 (high byte 0), reserved bits 0, and whose first packet entry
        has an RTP header start and payload type the reference shows; and, when the reference has empty samples
        (four zero bytes), four zero bytes that four zero bytes do not follow."""
        stop = min(end, len(arr) - 12)
        if stop <= start:
            return np.zeros(0, dtype=np.int64)
        a = arr
        ok = (a[start:stop] == 0) & (a[start + 1:stop + 1] != 0) & (a[start + 2:stop + 2] == 0) \
            & (a[start + 3:stop + 3] == 0)
        idx = np.flatnonzero(ok).astype(np.int64) + start
        if idx.size:
            idx = idx[self._table[a[idx + 8]] & self._payload[a[idx + 9]]]
        if self.empty:  # an empty sample (four zero bytes) where a run of zeros ends: before another sample
            zero = (a[start:stop] == 0) & (a[start + 1:stop + 1] == 0) & (a[start + 2:stop + 2] == 0) \
                & (a[start + 3:stop + 3] == 0) & ((a[start + 4:stop + 4] != 0) | (a[start + 5:stop + 5] != 0)
                                                  | (a[start + 6:stop + 6] != 0) | (a[start + 7:stop + 7] != 0))
            idx = np.union1d(idx, np.flatnonzero(zero).astype(np.int64) + start)
        return idx


def _hint_walk(data, pos: int, end: int, m: HintSampleMatcher | None):
    """Walk one RTP hint sample from ``pos``: ``(size, facts)`` with one ``(first RTP header byte, payload type,
    entries, constructor kinds, track references, block fields)`` per packet, or None. With a matcher, only what
    its reference showed is accepted."""
    if pos + 4 > end:
        return None
    count = int.from_bytes(data[pos:pos + 2], "big")
    if data[pos + 2] or data[pos + 3] or (m is not None and count > m.max_packets):
        return None
    p = pos + 4
    reach = p  # where the data the sample's own constructors point into ends
    facts = []
    for _packet in range(count):
        if p + 12 > end:
            return None
        head, second = data[p + 4], data[p + 5]
        flags = int.from_bytes(data[p + 8:p + 10], "big")
        n = int.from_bytes(data[p + 10:p + 12], "big")
        if flags >> 3 or head & 0x0F:  # reserved bits, and the CSRC count (no CSRC list in a hint)
            return None
        if m is not None and (head not in m.heads or second & 0x7F not in m.payloads or n > m.max_entries):
            return None
        p += 12
        if flags & 4:  # extra_flag: a length (counting itself) and TLV boxes
            if p + 4 > end:
                return None
            length = int.from_bytes(data[p:p + 4], "big")
            if length < 4 or p + length > end:
                return None
            q = p + 4
            while q < p + length:
                box = int.from_bytes(data[q:q + 4], "big") if q + 8 <= p + length else 0
                if box < 8 or q + box > p + length:
                    return None
                q += box
            p += length
        if p + n * HINT_CONSTRUCTOR > end:
            return None
        kinds, refs, blocks = set(), set(), set()
        for _entry in range(n):
            c = bytes(data[p:p + HINT_CONSTRUCTOR])
            kind = c[0]
            kinds.add(kind)
            if kind == 1:
                if c[1] > 14:
                    return None
            elif kind in (2, 3):
                ref, length = c[1], int.from_bytes(c[2:4], "big")
                refs.add(ref)
                if m is not None and (ref not in m.refs or (m.max_packet and length > m.max_packet)):
                    return None
                if kind == 2:
                    block = (int.from_bytes(c[12:14], "big"), int.from_bytes(c[14:16], "big"))
                    blocks.add(block)
                    if m is not None and block not in m.blocks:
                        return None
                    if ref == HINT_SELF:
                        reach = max(reach, pos + int.from_bytes(c[8:12], "big") + length)
                elif c[12:16].strip(b"\0"):
                    return None  # reserved
            elif kind != 0:
                return None
            if m is not None and kind not in m.kinds:
                return None
            p += HINT_CONSTRUCTOR
        facts.append((head, second & 0x7F, n, kinds, refs, blocks))
    size = max(p, reach) - pos
    if pos + size > end or size > RECORD_MAX:
        return None
    return size, facts


def _learn_entries(kind: str, data, samples: list[tuple[int, int]]) -> StructuredDataMatcher | None:
    walk = _walk_klv if kind == "klv" else _walk_boxes
    keys: set[bytes] = set()
    firsts: set[bytes] = set()
    sequences: set[tuple[bytes, ...]] = set()
    sizes: dict[bytes, tuple[int, int]] = {}  # boxes typed by a number say little: their sizes say more
    for off, size in samples:
        entries = walk(data, off, off + size, None)
        if not entries or sum(length for _, length in entries) != size:
            return None
        keys.update(k for k, _ in entries)
        firsts.add(entries[0][0])
        sequences.add(tuple(k for k, _ in entries))
        for k, length in entries:
            lo, hi = sizes.get(k, (length, length))
            sizes[k] = (min(lo, length), max(hi, length))
    return StructuredDataMatcher(None, kind, frozenset(keys), frozenset(firsts), frozenset(sequences), sizes)


def _length_field(records: list[bytes]) -> tuple | None:
    """Where these records (of one tag) hold their own length: ``("field", offset, width, byteorder)``."""
    shortest = min(len(r) for r in records)
    for at in range(0, min(LENGTH_FIELD_REACH, shortest)):
        for width in (2, 4):
            if at + width > shortest:
                continue
            for order in ("big", "little"):
                if all(int.from_bytes(r[at:at + width], order) == len(r) for r in records):
                    return ("field", at, width, order)
    return None


def _learn_tagged(track: TrackProfile, raw: list[bytes]) -> TaggedRecordMatcher | None:
    """The shortest tag that gives every reference sample's size (a constant per tag, or a length field the
    records of that tag carry), when the samples show a real structure: few tags for many samples (a single
    sample needs a 4-byte tag), and no tag of zeros."""
    shortest = min(len(r) for r in raw)
    for k in TAG_BYTES:
        if k > shortest or (len(raw) == 1 and k < 4):
            continue
        groups: dict[bytes, list[bytes]] = {}
        for r in raw:
            groups.setdefault(r[:k], []).append(r)
        if len(raw) > 1 and len(groups) > max(1, len(raw) // 4):
            continue  # as many tags as samples: the first bytes are content, not a record type
        rules: dict[bytes, tuple] = {}
        for tag, records in groups.items():
            rule = _length_field(records)
            if rule is None and len({len(r) for r in records}) == 1:
                rule = ("size", len(records[0]))
            if rule is None:
                break
            rules[tag] = rule
        else:
            if any(not tag.strip(b"\0") for tag in rules):
                return None
            return TaggedRecordMatcher(track, k, rules)
    return None


def learn_data_matcher(track: TrackProfile, data) -> Matcher:
    """The matcher that explains every one of the reference's first samples, or ``UnsupportedCodecError``."""
    n = min(len(track.sizes), LEARN_SAMPLES)
    if n == 0:
        raise UnsupportedCodecError(_("the reference's '{fourcc}' {kind} track has no samples to learn from",
                                      fourcc=track.fourcc, kind=kind_name(track.kind)))
    samples = [(int(o), int(s)) for o, s in zip(track.offsets[:n].tolist(), track.sizes[:n].tolist())]
    if track.fourcc in HINT_FOURCCS or track.handler == "hint":
        hint = HintSampleMatcher.learn(track, data, samples)
        if hint is not None:
            return hint
    for kind in ("klv", "boxes"):
        learned = _learn_entries(kind, data, samples)
        if learned is not None:
            learned.track = track
            return learned
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
    raw = [bytes(data[off:off + size]) for off, size in samples if size > 0]
    if raw:
        tagged = _learn_tagged(track, raw)
        if tagged is not None:
            return tagged
        signature = _common_prefix(raw) if len(raw) > 1 else b""
        sizes = track.sizes[:n]
        if len(signature) >= SIGNATURE_MIN and signature.strip(b"\0") and int(sizes.min()) != int(sizes.max()):
            return DelimitedRecordMatcher(track, signature, int(sizes.min()), int(sizes.max()))
    sizes = track.sizes[:n]
    if int(sizes.min()) == int(sizes.max()):
        fixed = FixedRuns(track, int(sizes[0]))
        if raw and not any(r.strip(b"\0") for r in raw):
            fixed.fill = 0  # samples of zeros: only zeros can be one
        return fixed
    raise UnsupportedCodecError(
        _("the {kind} track '{fourcc}' has samples whose length mp4fix cannot measure",
          kind=kind_name(track.kind), fourcc=track.fourcc))
