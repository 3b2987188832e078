"""ISO BMFF / QuickTime boxes: declarative layouts (construct) and a walker that tolerates what a crash leaves.

Two layers:

* ``walk`` reads only box headers over a bytes-like object (an mmap of the whole file) and never copies a
  payload. It accepts size 0 ("to the end of the file"), 64-bit largesizes, a size running past the end (the
  box is reported ``truncated`` and clipped), and stops quietly at bytes that are no box header.
* ``Node`` is an in-memory box tree for the small boxes (moov and below): parse, edit, build. Leaf boxes the
  repair reads or writes have construct ``Struct`` layouts below; every other box is kept as raw bytes so it
  survives a round trip untouched. Per-sample tables are handled as numpy arrays, not construct arrays: a
  camera's hour-long stsz has ~10^5 rows and construct's per-element parsing would dominate the run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
from construct import (
    Bytes,
    Default,
    ExprAdapter,
    GreedyBytes,
    GreedyRange,
    If,
    Int8ub,
    Int16sb,
    Int32sb,
    Int32ub,
    Int64sb,
    Int64ub,
    Padding,
    Rebuild,
    Struct,
    Switch,
    len_,
    this,
)
from construct.core import ConstructError

from mp4fix.errors import BoxError

# Boxes whose payload is a sequence of boxes (QuickTime's 'wave' lives inside sound sample entries).
CONTAINERS = frozenset(
    {"moov", "trak", "mdia", "minf", "stbl", "edts", "dinf", "udta", "mvex", "moof", "traf", "mfra", "tref",
     "gmhd", "wave", "sinf", "schi", "ipro", "meco", "ilst", "tapt"}
)
# Top-level boxes a recorder may leave cut off at the end of a file.
CUT_TYPES = frozenset({"mdat", "moov", "free", "skip", "wide", "uuid", "moof", "meta", "mfra", "sidx", "junk"})
# Containers that start with version/flags (full boxes).
FULL_CONTAINERS = frozenset({"meta"})

# A four-character code, kept exactly (no NUL stripping: some fourccs end in spaces or zeros).
FourCC = ExprAdapter(Bytes(4), lambda obj, ctx: obj.decode("latin-1"), lambda obj, ctx: obj.encode("latin-1"))

# --- header ------------------------------------------------------------------------------------------

BoxHeader = Struct(
    "size32" / Int32ub,
    "type" / FourCC,
    "largesize" / If(this.size32 == 1, Int64ub),
)


@dataclass(frozen=True)
class BoxRef:
    """Where a box is in the file. ``end`` is clipped to the data; ``truncated`` when the header claims more."""

    type: str
    offset: int
    header_size: int
    size: int  # the size used (clipped)
    declared_size: int  # what the header says (0 = to end of file)
    truncated: bool = False

    @property
    def payload_start(self) -> int:
        return self.offset + self.header_size

    @property
    def end(self) -> int:
        return self.offset + self.size


def _fourcc_ok(raw: bytes) -> bool:
    # Box types are four printable Latin-1 characters (Apple's use '\xa9' for metadata atoms).
    return all(0x20 <= b <= 0x7E or b == 0xA9 for b in raw)


def read_header(data, offset: int, end: int, *, top_level: bool = False) -> BoxRef | None:
    """The box header at ``offset``, or None when the bytes there are not one (garbage, short read)."""
    if end - offset < 8:
        return None
    raw = bytes(data[offset:offset + 16 if end - offset >= 16 else offset + 8])
    size32 = int.from_bytes(raw[0:4], "big")
    if not _fourcc_ok(raw[4:8]):
        return None
    btype = raw[4:8].decode("latin-1")
    header = 8
    if size32 == 1:
        if len(raw) < 16:
            return None
        declared = int.from_bytes(raw[8:16], "big")
        header = 16
        # 0 at the top level is a 64-bit size never filled in: like size 0, the box runs to the end of file
        if declared < 16 and not (declared == 0 and top_level):
            return None
    elif size32 == 0:
        if not top_level:
            return None
        declared = 0
    elif size32 < 8:
        return None
    else:
        declared = size32
    if declared == 0:
        size, truncated = end - offset, False
    elif offset + declared > end:
        if top_level and btype not in CUT_TYPES:
            return None  # an unknown type whose size runs past the end is garbage, not a box
        size, truncated = end - offset, True
    else:
        size, truncated = declared, False
    return BoxRef(btype, offset, header, size, declared, truncated)


def walk(data, start: int = 0, end: int | None = None, *, top_level: bool = True) -> Iterator[BoxRef]:
    """Yield the boxes in ``data[start:end]`` in order, stopping at the first bytes that are no box header.

    A truncated box (its size runs past ``end``) is yielded clipped, and is the last one.
    """
    if end is None:
        end = len(data)
    pos = start
    while pos < end:
        ref = read_header(data, pos, end, top_level=top_level)
        if ref is None:
            return
        yield ref
        if ref.truncated or ref.size == 0:
            return
        pos = ref.end


# --- in-memory tree ------------------------------------------------------------------------------------

# Pseudo-type for zero bytes that end a container (QuickTime's 4-byte terminator): written back as they were.
PAD = "\0pad"


@dataclass
class Node:
    """A box in memory: a container (``children``) or a leaf (``payload`` bytes, header excluded)."""

    type: str
    payload: bytes = b""
    children: list["Node"] | None = None
    prefix: bytes = b""  # bytes a container carries before its children (version/flags of 'meta')

    def find(self, path: str) -> "Node | None":
        """The first descendant at ``path`` ('mdia/minf/stbl/stsd'), or None."""
        node: Node | None = self
        for part in path.split("/"):
            if node is None or node.children is None:
                return None
            node = next((c for c in node.children if c.type == part), None)
        return node

    def find_all(self, btype: str) -> list["Node"]:
        return [c for c in (self.children or []) if c.type == btype]

    def body(self) -> bytes:
        if self.children is None:
            return self.payload
        return self.prefix + b"".join(c.to_bytes() for c in self.children)

    def to_bytes(self) -> bytes:
        if self.type == PAD:
            return self.payload
        body = self.body()
        size = len(body) + 8
        tcode = self.type.encode("latin-1")
        if size <= 0xFFFFFFFF:
            return size.to_bytes(4, "big") + tcode + body
        return (1).to_bytes(4, "big") + tcode + (size + 8).to_bytes(8, "big") + body


MAX_DEPTH = 32  # real index boxes nest 8 deep at most (moov > udta > meta > ilst > ...); more is damage


def parse_tree(data, ref: BoxRef, path: str = "", depth: int = 0) -> Node:
    """Read the box at ``ref`` into a ``Node`` tree (containers recursively). Meant for moov-sized boxes.

    Containers nested deeper than ``MAX_DEPTH`` raise ``BoxError``: a hostile file cannot exhaust the stack.
    """
    here = f"{path} > {ref.type}" if path else ref.type
    if ref.truncated:
        raise BoxError("box runs past the end of the file", here)
    if depth >= MAX_DEPTH:
        raise BoxError(f"boxes are nested more than {MAX_DEPTH} levels deep", " > ".join(here.split(" > ")[:3]))
    start, end = ref.payload_start, ref.end
    if ref.type in CONTAINERS or ref.type in FULL_CONTAINERS:
        prefix = b""
        if ref.type in FULL_CONTAINERS:
            # QuickTime writes 'meta' without version/flags; ISO with. Tell them apart by what follows.
            if read_header(data, start, end) is None or read_header(data, start + 4, end) is not None:
                prefix = bytes(data[start:start + 4])
                start += 4
        children = []
        pos = start
        for child in walk(data, start, end, top_level=False):
            children.append(parse_tree(data, child, here, depth + 1))
            pos = child.end
        if pos < end and any(bytes(data[pos:end])):
            # QuickTime allows a 4-byte zero terminator in some containers ('udta', 'wave'); anything else
            # that is not a box is kept by turning the container into a raw leaf.
            return Node(ref.type, payload=bytes(data[ref.payload_start:end]))
        node = Node(ref.type, children=children, prefix=prefix)
        if pos < end:
            node.children.append(Node(PAD, payload=bytes(data[pos:end])))
        return node
    return Node(ref.type, payload=bytes(data[start:end]))


# --- leaf layouts ------------------------------------------------------------------------------------

Ftyp = Struct(
    "major_brand" / FourCC,
    "minor_version" / Int32ub,
    "compatible_brands" / GreedyRange(FourCC),
)

# creation/modification time, timescale and duration: 32-bit in version 0, 64-bit in version 1 (mvhd, mdhd)
_MovieTimes = Switch(this.version, {
    1: Struct("creation_time" / Int64ub, "modification_time" / Int64ub, "timescale" / Int32ub,
              "duration" / Int64ub),
}, default=Struct("creation_time" / Int32ub, "modification_time" / Int32ub, "timescale" / Int32ub,
                  "duration" / Int32ub))

Mvhd = Struct(
    "version" / Int8ub,
    "flags" / Bytes(3),
    "times" / _MovieTimes,
    "rest" / GreedyBytes,  # rate, volume, matrix, pre_defined, next_track_ID: kept as written
)

Tkhd = Struct(
    "version" / Int8ub,
    "flags" / Bytes(3),
    "times" / Switch(this.version, {
        1: Struct("creation_time" / Int64ub, "modification_time" / Int64ub, "track_id" / Int32ub,
                  Padding(4), "duration" / Int64ub),
    }, default=Struct("creation_time" / Int32ub, "modification_time" / Int32ub, "track_id" / Int32ub,
                      Padding(4), "duration" / Int32ub)),
    "reserved" / Bytes(8),
    "layer" / Int16sb,
    "alternate_group" / Int16sb,
    "volume" / Int16sb,
    Padding(2),
    "matrix" / Bytes(36),
    "width" / Int32ub,  # 16.16 fixed point
    "height" / Int32ub,
)

Mdhd = Struct(
    "version" / Int8ub,
    "flags" / Bytes(3),
    "times" / _MovieTimes,
    "rest" / GreedyBytes,  # language, quality
)

Hdlr = Struct(
    "version" / Int8ub,
    "flags" / Bytes(3),
    "component_type" / Bytes(4),  # QuickTime: 'mhlr'/'dhlr'; ISO: zero
    "handler_type" / FourCC,
    "rest" / GreedyBytes,
)

ElstEntry = Struct(
    "segment_duration" / Int64ub,
    "media_time" / Int64sb,
    "rate_integer" / Int16sb,
    "rate_fraction" / Int16sb,
)
Elst = Struct(
    "version" / Default(Int8ub, 0),
    "flags" / Default(Bytes(3), b"\0\0\0"),
    "entry_count" / Rebuild(Int32ub, len_(this.entries)),
    "entries" / Switch(this.version, {
        1: ElstEntry[this.entry_count],
    }, default=Struct(
        "segment_duration" / Int32ub, "media_time" / Int32sb, "rate_integer" / Int16sb,
        "rate_fraction" / Int16sb)[this.entry_count]),
)

# Sample tables: the fixed part is declared; the rows are a numpy view of the remaining bytes.
FullHeader = Struct("version" / Default(Int8ub, 0), "flags" / Default(Bytes(3), b"\0\0\0"))
CountedTable = Struct("version" / Default(Int8ub, 0), "flags" / Default(Bytes(3), b"\0\0\0"),
                      "entry_count" / Int32ub, "rows" / GreedyBytes)
Stsz = Struct("version" / Default(Int8ub, 0), "flags" / Default(Bytes(3), b"\0\0\0"),
              "sample_size" / Int32ub, "sample_count" / Int32ub, "rows" / GreedyBytes)
Stz2 = Struct("version" / Int8ub, "flags" / Bytes(3), Padding(3), "field_size" / Int8ub,
              "sample_count" / Int32ub, "rows" / GreedyBytes)
Stsd = Struct("version" / Default(Int8ub, 0), "flags" / Default(Bytes(3), b"\0\0\0"),
              "entry_count" / Int32ub, "entries" / GreedyBytes)


def parse(layout: Struct, node: Node, path: str = ""):
    """Parse a leaf with its layout; a malformed box becomes ``BoxError`` naming where it is."""
    try:
        return layout.parse(node.payload)
    except ConstructError as exc:
        raise BoxError(f"malformed {node.type} box ({exc.__class__.__name__})", path or node.type) from exc


def table_rows(node: Node, columns: int, dtype: str = ">u4", path: str = "") -> np.ndarray:
    """The rows of a counted table box (stts, ctts, stss, stsc, stco, co64) as an (entry_count, columns) array."""
    hdr = parse(CountedTable, node, path)
    width = np.dtype(dtype).itemsize * columns
    need = hdr.entry_count * width
    if need > len(hdr.rows):
        raise BoxError(f"{node.type} says {hdr.entry_count} entries but holds {len(hdr.rows) // width}",
                       path or node.type)
    rows = np.frombuffer(hdr.rows, dtype=dtype, count=hdr.entry_count * columns)
    return rows.reshape(hdr.entry_count, columns).astype(np.int64)


def sample_sizes(stbl: Node, path: str = "", max_bytes: int | None = None) -> np.ndarray:
    """Per-sample sizes from stsz or stz2. ``max_bytes``: what all samples together can at most hold (the
    file size), so a damaged constant-size stsz cannot claim billions of samples."""
    stsz = stbl.find("stsz")
    if stsz is not None:
        hdr = parse(Stsz, stsz, path)
        if hdr.sample_size:
            if max_bytes is not None and hdr.sample_size * hdr.sample_count > max_bytes:
                raise BoxError(f"stsz claims {hdr.sample_count} samples of {hdr.sample_size} bytes, more than "
                               "the file holds", path)
            return np.full(hdr.sample_count, hdr.sample_size, dtype=np.int64)
        if hdr.sample_count * 4 > len(hdr.rows):
            raise BoxError("stsz is shorter than its sample count", path)
        return np.frombuffer(hdr.rows, dtype=">u4", count=hdr.sample_count).astype(np.int64)
    stz2 = stbl.find("stz2")
    if stz2 is not None:
        hdr = parse(Stz2, stz2, path)
        n = hdr.sample_count
        if hdr.field_size in (4, 8, 16) and (n * hdr.field_size + 7) // 8 > len(hdr.rows):
            raise BoxError(f"stz2 says {n} samples but holds {len(hdr.rows) * 8 // hdr.field_size}", path)
        if hdr.field_size == 16:
            return np.frombuffer(hdr.rows, dtype=">u2", count=n).astype(np.int64)
        if hdr.field_size == 8:
            return np.frombuffer(hdr.rows, dtype="u1", count=n).astype(np.int64)
        if hdr.field_size == 4:
            packed = np.frombuffer(hdr.rows, dtype="u1", count=(n + 1) // 2)
            return np.stack([packed >> 4, packed & 15], axis=1).reshape(-1)[:n].astype(np.int64)
        raise BoxError(f"stz2 field size {hdr.field_size} is not allowed", path)
    raise BoxError("no stsz or stz2 box", path)


# --- building ------------------------------------------------------------------------------------------


def build_table(btype: str, rows: np.ndarray, dtype: str = ">u4", version: int = 0) -> Node:
    """A counted table box (stts, ctts, stss, stsc, stco, co64) from an (n, columns) or (n,) array."""
    rows = np.asarray(rows)
    count = rows.shape[0] if rows.ndim else 0
    payload = CountedTable.build(dict(version=version, entry_count=count,
                                      rows=rows.astype(dtype).tobytes()))
    return Node(btype, payload=payload)


def build_stsz_constant(size: int, count: int) -> Node:
    """An stsz box for ``count`` samples of ``size`` bytes each (no table)."""
    return Node("stsz", payload=Stsz.build(dict(sample_size=size, sample_count=count, rows=b"")))


def build_stsz(sizes: np.ndarray) -> Node:
    sizes = np.asarray(sizes, dtype=np.int64)
    if len(sizes) and np.all(sizes == sizes[0]):
        payload = Stsz.build(dict(sample_size=int(sizes[0]), sample_count=len(sizes), rows=b""))
    else:
        payload = Stsz.build(dict(sample_size=0, sample_count=len(sizes), rows=sizes.astype(">u4").tobytes()))
    return Node("stsz", payload=payload)


def build_elst(entries: list[tuple[int, int, float]], version: int = 0) -> Node:
    """An elst box from (segment duration [movie timescale], media time [media timescale], rate) rows."""
    if any(d > 0xFFFFFFFF or not -0x80000000 <= t <= 0x7FFFFFFF for d, t, _ in entries):
        version = 1
    rows = []
    for d, t, r in entries:
        integer, fraction = split_rate(r)
        rows.append(dict(segment_duration=int(d), media_time=int(t), rate_integer=integer, rate_fraction=fraction))
    return Node("elst", payload=Elst.build(dict(version=version, entries=rows)))


def elst_rate(rate_integer: int, rate_fraction: int) -> float:
    """An edit's media rate: a 16.16 fixed-point number stored as two 16-bit fields (the fraction unsigned)."""
    return rate_integer + (rate_fraction & 0xFFFF) / 65536


def split_rate(rate: float) -> tuple[int, int]:
    """The two 16-bit fields of ``rate`` as ``Elst`` builds them (the inverse of ``elst_rate``, exactly)."""
    fixed = int(round(rate * 65536))
    integer, fraction = fixed >> 16, fixed & 0xFFFF
    if not -0x8000 <= integer <= 0x7FFF:
        raise BoxError(f"an edit's media rate {rate:g} does not fit 16.16 bits", "elst")
    return integer, fraction - 0x10000 if fraction >= 0x8000 else fraction


# --- sample entries -------------------------------------------------------------------------------------

# Fixed bytes of a sample entry before its child boxes (after the 8-byte box header).
_VISUAL_FIXED = 78
_AUDIO_FIXED = {0: 28, 1: 28 + 16, 2: 28 + 36}


def sample_entry_children(entry: bytes, handler: str) -> dict[str, bytes]:
    """Child boxes of a sample entry (``entry`` includes its 8-byte header) by type, payloads only.

    Visual entries carry 78 fixed bytes, sound entries 28/44/64 (QuickTime versions 0/1/2); for other
    handlers the children are found by trying to walk from the fixed part onward.
    """
    if handler == "vide":
        starts = [8 + _VISUAL_FIXED]
    elif handler == "soun" and len(entry) >= 18:
        version = int.from_bytes(entry[16:18], "big")
        starts = [8 + _AUDIO_FIXED.get(version, 28)]
    else:
        starts = list(range(16, min(len(entry) - 7, 96)))
    for start in starts:
        found: dict[str, bytes] = {}
        pos = start
        for ref in walk(entry, start, len(entry), top_level=False):
            if ref.truncated:
                break
            found.setdefault(ref.type, bytes(entry[ref.payload_start:ref.end]))
            pos = ref.end
        if found and (pos == len(entry) or not any(entry[pos:])  # trailing zero terminator is fine
                      or handler in ("vide", "soun")):
            return found
    return {}
