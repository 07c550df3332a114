"""The mask wire format (DESIGN "Masks"): zlib of rows x columns booleans,
row-major, packed 8 to a byte with the first pixel in the highest bit."""

import zlib

import numpy as np

from segdicom.errors import BadInput


def packed_size(rows: int, columns: int) -> int:
    return (rows * columns + 7) // 8


def decode_mask(data: bytes, rows: int, columns: int) -> np.ndarray:
    """The (rows, columns) bool mask in `data`; BadInput names expected and received sizes."""
    expected = packed_size(rows, columns)
    inflater = zlib.decompressobj()
    try:
        # Never inflate more than one byte past the expected size: a small body
        # cannot expand into gigabytes.
        packed = inflater.decompress(data, expected + 1)
    except zlib.error as exc:
        raise BadInput(f"mask is not a zlib stream: {exc}") from None
    if len(packed) > expected or inflater.unconsumed_tail:
        raise BadInput(
            f"mask has the wrong size: expected {rows}x{columns} = {expected} packed bytes, "
            f"received more than {expected}"
        )
    if not inflater.eof:
        raise BadInput(
            f"mask has the wrong size or is truncated: expected {rows}x{columns} = "
            f"{expected} packed bytes, received {len(packed)}"
        )
    if len(packed) != expected:
        raise BadInput(
            f"mask has the wrong size: expected {rows}x{columns} = {expected} packed bytes, "
            f"received {len(packed)}"
        )
    bits = np.unpackbits(np.frombuffer(packed, dtype=np.uint8), count=rows * columns)
    return bits.reshape(rows, columns).astype(bool)


def encode_mask(mask: np.ndarray, level: int = 6) -> bytes:
    return zlib.compress(np.packbits(mask.astype(bool), axis=None).tobytes(), level)


def empty_mask(rows: int, columns: int) -> bytes:
    return zlib.compress(bytes(packed_size(rows, columns)), 9)


def is_empty(mask: np.ndarray) -> bool:
    return not bool(mask.any())
