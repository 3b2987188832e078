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
