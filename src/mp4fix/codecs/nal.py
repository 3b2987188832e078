"""What H.264 and HEVC share in MP4: length-prefixed NAL units and emulation-prevention removal."""

from __future__ import annotations

#: the longest parameter set (VPS/SPS/PPS) believed. The sample entry stores them with 16-bit lengths (avcC,
#: hvcC), and the largest the syntax allows in practice (an H.264 PPS with an explicit slice group map of an
#: 8K picture) is about 52 KB; real ones are a few hundred bytes. Checked before anything is copied: a length
#: read from bytes that merely look like a parameter set can be anything up to the size of the file.
PARAMETER_SET_MAX = 1 << 16
#: the longest SEI NAL unit believed (real ones: a few bytes to a few KiB of user data)
SEI_MAX = 1 << 20
#: the longest NAL unit believed when the stream's level is unknown. A length read where bytes merely look like
#: a NAL unit can be anything; believing it sends the walk that far (mapping the pages there), and a slice
#: look-alike whose header parses would swallow everything up to it as one sample.
NAL_MAX = 64 << 20

# The largest coded picture buffer of each level (H.264 Table A-1 MaxCPB, H.265 Table A.8 MaxCPB of the high
# tier where there is one), in 1000 bits. An access unit must fit in the buffer, so no NAL unit is longer; read
# in bytes with the largest NAL factor of any profile (4.8) to spare every profile.
_AVC_MAX_CPB = {9: 350, 10: 175, 11: 500, 12: 1000, 13: 2000, 20: 2000, 21: 4000, 22: 4000, 30: 10000, 31: 14000,
                32: 20000, 40: 25000, 41: 62500, 42: 62500, 50: 135000, 51: 240000, 52: 240000, 60: 240000,
                61: 240000, 62: 240000}
_HEVC_MAX_CPB = {30: 350, 60: 1500, 63: 3000, 90: 6000, 93: 10000, 120: 30000, 123: 50000, 150: 100000,
                 153: 160000, 156: 240000, 180: 240000, 183: 480000, 186: 800000}


def level_limit(codec: str, level_idc: int) -> int | None:
    """The most bytes one access unit of this level can hold (see above), or None for an unknown level."""
    table = _AVC_MAX_CPB if codec == "avc" else _HEVC_MAX_CPB
    cpb = table.get(level_idc)
    return None if cpb is None else cpb * 1000 * 48 // 80


def nal_limit(track, level_bytes: int | None = None) -> int:
    """The longest NAL unit believed for a track: what its level allows (``NAL_MAX`` when unknown), or four
    times its reference's largest sample when that is more (a stream that does not keep to its level)."""
    sizes = getattr(track, "sizes", None)
    largest = int(sizes.max()) if sizes is not None and len(sizes) else 0
    return max(level_bytes if level_bytes else NAL_MAX, 4 * largest)


#: bytes a parsed-parameter-set memo may hold in keys (its values are small)
MEMO_BYTES = 1 << 20
_CHUNK = 1 << 16  # bytes looked at at once by ``all_bytes``


def all_bytes(data, start: int, stop: int, value: int) -> bool:
    """Whether every byte of ``data[start:stop]`` is ``value``, reading at most 64 KiB at a time (a filler NAL
    unit's length comes from the data: copying it whole could mean copying most of the file)."""
    fill = bytes((value,))
    for a in range(start, stop, _CHUNK):
        if bytes(data[a:min(stop, a + _CHUNK)]).strip(fill):
            return False
    return True


class ParameterSetMemo:
    """Parsed parameter sets remembered by their bytes, bounded by the bytes of the keys it holds.

    ``pinned`` entries (those of the sample entry) are never forgotten; the rest is cleared when the budget
    is spent: scanning junk can meet many parameter-set look-alikes. A pure memo: what it answers never
    depends on what it still holds.
    """

    __slots__ = ("_pinned", "_items", "_bytes", "budget")

    def __init__(self, budget: int = MEMO_BYTES):
        self._pinned: dict[bytes, object] = {}
        self._items: dict[bytes, object] = {}
        self._bytes = 0
        self.budget = budget

    def pin(self, raw: bytes, value) -> None:
        self._pinned[bytes(raw)] = value

    def __contains__(self, raw: bytes) -> bool:
        return raw in self._pinned or raw in self._items

    def get(self, raw: bytes, default=None):
        hit = self._pinned.get(raw, default)
        if hit is default:
            hit = self._items.get(raw, default)
        return hit

    def __getitem__(self, raw: bytes):
        if raw in self._pinned:
            return self._pinned[raw]
        return self._items[raw]

    def __setitem__(self, raw: bytes, value) -> None:
        if raw in self._pinned or len(raw) > self.budget:
            return
        if raw not in self._items:
            if self._bytes + len(raw) > self.budget:
                self._items.clear()
                self._bytes = 0
            self._bytes += len(raw)
        self._items[raw] = value

    def __len__(self) -> int:
        return len(self._pinned) + len(self._items)

    @property
    def bytes_held(self) -> int:
        return self._bytes + sum(len(k) for k in self._pinned)


def unescape_rbsp(payload: bytes) -> bytes:
    """Remove emulation_prevention_three_byte (00 00 03 -> 00 00) from a NAL unit payload."""
    # bytes.replace scans left to right without overlap, which is exactly the decoder's rule: the zero
    # count restarts after each removed 0x03.
    return payload.replace(b"\x00\x00\x03", b"\x00\x00")


def read_length(data, pos: int, length_size: int) -> int:
    """The big-endian NAL length field of ``length_size`` bytes (1, 2 or 4) at ``pos``."""
    return int.from_bytes(data[pos:pos + length_size], "big")


def sei_messages(rbsp: bytes):
    """Yield ``(payloadType, payload start, payloadSize)`` for each sei_message() of an SEI RBSP, in order.

    The syntax is the same in H.264 (7.3.2.3.1) and H.265 (7.3.5): type and size each coded as 0xFF bytes
    plus a last byte. Stops after the message that the rbsp_trailing_bits follow (zero bytes after them are
    tolerated); raises ``ValueError`` when a message runs past the end of the RBSP.
    """
    i, size = 0, len(rbsp)
    while True:
        values = []
        for _ in range(2):  # payloadType, then payloadSize
            value = 0
            while i < size and rbsp[i] == 0xFF:
                value += 255
                i += 1
            if i >= size:
                raise ValueError("sei_message runs past the end")
            values.append(value + rbsp[i])
            i += 1
        yield values[0], i, values[1]
        i += values[1]
        if i >= size:
            raise ValueError("sei_message payload runs past the end")
        if rbsp[i] == 0x80 and not rbsp[i + 1:].strip(b"\x00"):
            return


def poc_msb(lsb: int, prev_lsb: int, prev_msb: int, max_lsb: int) -> int:
    """PicOrderCntMsb from the lsb and the previous reference's lsb/msb: the wrap rule that H.264 (8-3) and
    H.265 (8-1) share."""
    if lsb < prev_lsb and prev_lsb - lsb >= max_lsb // 2:
        return prev_msb + max_lsb
    if lsb > prev_lsb and lsb - prev_lsb > max_lsb // 2:
        return prev_msb - max_lsb
    return prev_msb
