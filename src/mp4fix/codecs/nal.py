"""What H.264 and HEVC share in MP4: length-prefixed NAL units and emulation-prevention removal."""

from __future__ import annotations

import re

_EPB = re.compile(rb"\x00\x00\x03(?=[\x00-\x03])")


def unescape_rbsp(payload: bytes) -> bytes:
    """Remove emulation_prevention_three_byte (00 00 03 -> 00 00) from a NAL unit payload."""
    if b"\x00\x00\x03" not in payload:
        return payload
    return _EPB.sub(b"\x00\x00", payload)


def read_length(data, pos: int, length_size: int) -> int:
    """The big-endian NAL length field of ``length_size`` bytes (1, 2 or 4) at ``pos``."""
    return int.from_bytes(data[pos:pos + length_size], "big")
