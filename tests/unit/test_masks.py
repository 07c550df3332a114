"""The mask wire format: zlib of numpy.packbits, first pixel in the highest bit."""

import zlib

import numpy as np
import pytest

from segdicom.errors import BadInput
from segdicom.masks import decode_mask, empty_mask, encode_mask, is_empty, packed_size


def _disc(rows: int, columns: int, cy: int, cx: int, r: int) -> np.ndarray:
    yy, xx = np.mgrid[:rows, :columns]
    return np.asarray((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r)


@pytest.mark.parametrize(("rows", "columns"), [(512, 512), (7, 13), (1, 1), (64, 3)])
def test_round_trip(rows: int, columns: int) -> None:
    rng = np.random.default_rng(rows * 1000 + columns)
    mask = rng.random((rows, columns)) < 0.3
    decoded = decode_mask(encode_mask(mask), rows, columns)
    assert decoded.dtype == bool
    assert decoded.shape == (rows, columns)
    assert np.array_equal(decoded, mask)


def test_first_pixel_is_the_highest_bit_row_major() -> None:
    mask = np.zeros((2, 8), dtype=bool)
    mask[0, 0] = True  # first pixel -> 0x80 of byte 0
    mask[1, 7] = True  # last pixel -> 0x01 of byte 1
    assert zlib.decompress(encode_mask(mask)) == bytes([0x80, 0x01])
    decoded = decode_mask(zlib.compress(bytes([0x80, 0x01])), 2, 8)
    assert np.array_equal(decoded, mask)
    # Same order as numpy.packbits / the browser's codec.
    assert zlib.decompress(encode_mask(mask)) == np.packbits(mask, axis=None).tobytes()


def test_size_not_multiple_of_eight_pads_the_last_byte() -> None:
    mask = np.ones((3, 3), dtype=bool)
    packed = zlib.decompress(encode_mask(mask))
    assert packed == bytes([0xFF, 0x80])
    assert packed_size(3, 3) == 2


@pytest.mark.parametrize("size", [0, 100, 32767, 32769, 40000])
def test_wrong_size_names_expected_and_received(size: int) -> None:
    with pytest.raises(BadInput) as caught:
        decode_mask(zlib.compress(bytes(size)), 512, 512)
    detail = caught.value.detail
    assert "32768" in detail  # expected packed bytes for 512x512
    assert "512x512" in detail
    assert str(size) in detail  # received


@pytest.mark.parametrize(
    "body",
    [b"", b"not zlib at all", b"\x78\x9c\x00\x00garbage", zlib.compress(bytes(32768))[:20]],
)
def test_garbage_is_bad_input(body: bytes) -> None:
    with pytest.raises(BadInput, match="mask"):
        decode_mask(body, 512, 512)


def test_trailing_bytes_after_the_stream_are_refused() -> None:
    body = zlib.compress(bytes(packed_size(16, 16))) + b"trailing"
    with pytest.raises(BadInput):
        decode_mask(body, 16, 16)


def test_zlib_bomb_is_bounded() -> None:
    # 256 MiB of zeros compresses to about 250 KB; decoding must stop early, not inflate it.
    bomb = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    body = b"".join(bomb.compress(chunk) for _ in range(256)) + bomb.flush()
    assert len(body) < 1024 * 1024
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(BadInput) as caught:
            decode_mask(body, 512, 512)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "32768" in caught.value.detail
    assert peak < 64 * 1024 * 1024


def test_empty_mask() -> None:
    data = empty_mask(512, 512)
    decoded = decode_mask(data, 512, 512)
    assert is_empty(decoded)
    assert not decoded.any()
    assert len(data) < 100
    assert not is_empty(_disc(32, 32, 16, 16, 4))


def test_disc_stroke_is_compact() -> None:
    # A 10 mm brush disc on a 512x512 CT slice (about 0.5 mm pixels): ~20 px radius.
    mask = _disc(512, 512, 256, 256, 20)
    body = encode_mask(mask)
    assert len(body) < 1024
    assert np.array_equal(decode_mask(body, 512, 512), mask)
