"""What H.264 and HEVC share in MP4: length-prefixed NAL units and emulation-prevention removal."""

from __future__ import annotations

def unescape_rbsp(payload: bytes) -> bytes:
    """Remove emulation_prevention_three_byte (00 00 03 -> 00 00) from a NAL unit payload."""
    # bytes.replace scans left to right without overlap, which is exactly the decoder's rule: the zero
    # count restarts after each removed 0x03.
    return payload.replace(b"\x00\x00\x03", b"\x00\x00")


def read_length(data, pos: int, length_size: int) -> int:
    """The big-endian NAL length field of ``length_size`` bytes (1, 2 or 4) at ``pos``."""
    return int.from_bytes(data[pos:pos + length_size], "big")
