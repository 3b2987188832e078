"""Bit reading, in one place, for every codec parser (H.264/HEVC exp-Golomb headers, AAC raw_data_block).

The window being read is held as one Python int, so reading n bits is a shift and a mask done in C.
Reading past the window raises ``BitstreamEnd`` (a ``BitstreamError``): a parser that runs off its data has found that the
data is not what it hoped, which the scanner treats as "no sample here".
"""

from __future__ import annotations

import struct

from mp4fix.errors import BitstreamEnd, BitstreamError


class BitReader:
    """MSB-first reader over ``data[start:end]`` (bytes-like). ``pos`` is the bit position from ``start``."""

    __slots__ = ("_value", "_nbits", "pos")

    def __init__(self, data, start: int = 0, end: int | None = None):
        if end is None:
            end = len(data)
        chunk = bytes(data[start:end])
        self._value = int.from_bytes(chunk, "big")
        self._nbits = len(chunk) * 8
        self.pos = 0

    @property
    def bits_left(self) -> int:
        return self._nbits - self.pos

    @property
    def size_bits(self) -> int:
        return self._nbits

    def read(self, n: int) -> int:
        """Read ``n`` bits (n >= 0) as an unsigned integer."""
        p = self.pos + n
        if p > self._nbits:
            raise BitstreamEnd(f"read of {n} bits past the end ({self.bits_left} left)")
        self.pos = p
        return (self._value >> (self._nbits - p)) & ((1 << n) - 1)

    def peek(self, n: int) -> int:
        """The next ``n`` bits without consuming them; past the end, the missing bits read as zero."""
        shift = self._nbits - self.pos - n
        if shift >= 0:
            return (self._value >> shift) & ((1 << n) - 1)
        return (self._value << -shift) & ((1 << n) - 1)

    def read_bit(self) -> int:
        p = self.pos
        if p >= self._nbits:
            raise BitstreamEnd("read past the end")
        self.pos = p + 1
        return (self._value >> (self._nbits - 1 - p)) & 1

    def read_flag(self) -> bool:
        return bool(self.read_bit())

    def skip(self, n: int) -> None:
        p = self.pos + n
        if p > self._nbits:
            raise BitstreamEnd(f"skip of {n} bits past the end")
        self.pos = p

    def byte_align(self) -> None:
        self.pos = (self.pos + 7) & ~7
        if self.pos > self._nbits:
            raise BitstreamEnd("byte alignment past the end")

    def ue(self) -> int:
        """Unsigned exp-Golomb code ue(v) (H.264 9.1, H.265 9.2)."""
        zeros = 0
        while not self.read_bit():
            zeros += 1
            if zeros > 31:
                raise BitstreamError("exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.read(zeros)

    def se(self) -> int:
        """Signed exp-Golomb code se(v)."""
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)

    def more_rbsp_data(self) -> bool:
        """True while bits other than the rbsp_stop_one_bit and its trailing zeros remain (H.264 7.2)."""
        left = self.bits_left
        if left <= 0:
            return False
        rest = self._value & ((1 << left) - 1)
        if rest == 0:
            return False
        # the last set bit is the stop bit; more data iff something precedes it
        return rest != (rest & -rest)


def word_list(data, start: int = 0, end: int | None = None, pad_words: int = 2) -> list[int]:
    """``data[start:end]`` as a list of 64-bit big-endian words taken every 4 bytes, for hot table-driven loops.

    ``w[i]`` holds the bytes ``4*i .. 4*i+7`` of the window (zero past its end), so the ``n`` bits at bit
    position ``p`` (``n <= 32``) are ``(w[p >> 5] >> (64 - (p & 31) - n)) & ((1 << n) - 1)``: one list index
    and two small shifts, with no per-read method call and no big-int shift. The list has
    ``ceil(len/4) + pad_words`` entries; reading further raises ``IndexError``, which the caller treats like
    ``BitstreamError``. Bits after the window's end read as zero: a caller that needs exact bounds compares
    its final bit position with ``8 * (end - start)`` itself.
    """
    if end is None:
        end = len(data)
    nbytes = max(end - start, 0)
    n = (nbytes + 3) // 4 + pad_words
    chunk = bytes(data[start:start + nbytes]) + bytes(4 * n + 8 - nbytes)
    words = [0] * n
    words[0::2] = struct.unpack_from(">%dQ" % ((n + 1) // 2), chunk, 0)
    words[1::2] = struct.unpack_from(">%dQ" % (n // 2), chunk, 4)
    return words
