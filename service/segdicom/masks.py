"""The mask wire format (ARCHITECTURE "Contracts", Masks): zlib of rows x columns booleans,
row-major, packed 8 to a byte with the first pixel in the highest bit."""

import zlib

import numpy as np

from segdicom.errors import BadInput

MAX_COUNTED = 16 * 1024**2  # inflate at most this much to report an oversize mask


def packed_size(rows: int, columns: int) -> int:
    return (rows * columns + 7) // 8


def decode_mask(data: bytes, rows: int, columns: int) -> np.ndarray:
    """The (rows, columns) bool mask in `data`; BadInput names expected and received sizes."""
    expected = packed_size(rows, columns)
    inflater = zlib.decompressobj()
    try:
        # Never inflate more than one byte past the expected size at once: a small
        # body cannot expand into gigabytes.
        packed = inflater.decompress(data, expected + 1)
        if len(packed) > expected:
            received = _oversize(inflater, len(packed))
            raise BadInput(_wrong_size(rows, columns, expected, received))
    except zlib.error as exc:
        raise BadInput(f"mask is not a zlib stream: {exc}") from None
    if not inflater.eof:
        raise BadInput(_wrong_size(rows, columns, expected, f"{len(packed)} (truncated)"))
    if inflater.unused_data:
        raise BadInput(f"mask has {len(inflater.unused_data)} bytes after its zlib stream")
    if len(packed) != expected:
        raise BadInput(_wrong_size(rows, columns, expected, str(len(packed))))
    bits = np.unpackbits(np.frombuffer(packed, dtype=np.uint8), count=rows * columns)
    return bits.reshape(rows, columns).astype(bool)


def _wrong_size(rows: int, columns: int, expected: int, received: str) -> str:
    return (
        f"mask has the wrong size: expected {rows}x{columns} = {expected} packed bytes, "
        f"received {received}"
    )


def _oversize(inflater: "zlib._Decompress", seen: int) -> str:
    """How many bytes an oversize mask inflates to, counted in bounded chunks."""
    while not inflater.eof and seen <= MAX_COUNTED:
        chunk = inflater.decompress(inflater.unconsumed_tail, 64 * 1024)
        if not chunk:
            break
        seen += len(chunk)
    return str(seen) if inflater.eof else f"more than {min(seen, MAX_COUNTED)}"


def encode_mask(mask: np.ndarray, level: int = 6) -> bytes:
    return zlib.compress(np.packbits(mask.astype(bool), axis=None).tobytes(), level)


def empty_mask(rows: int, columns: int) -> bytes:
    return zlib.compress(bytes(packed_size(rows, columns)), 9)


def is_empty(mask: np.ndarray) -> bool:
    return not bool(mask.any())


def unpack_stored(data: bytes, rows: int, columns: int) -> np.ndarray:
    """A mask read back from the store, which only holds masks `decode_mask` accepted:
    the checks are skipped, since statistics and operations unpack hundreds at a time."""
    bits = np.unpackbits(np.frombuffer(zlib.decompress(data), dtype=np.uint8), count=rows * columns)
    return bits.reshape(rows, columns).view(bool)
