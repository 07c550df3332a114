"""A synthetic CT series for benchmarks: N slices of size x size, uncompressed."""

from collections.abc import Iterator

import numpy as np
from pydicom.dataset import Dataset
from tests.synthetic_ct import ct_header, new_uids, part10


def ct_series(slices: int, size: int = 512) -> tuple[str, str, Iterator[bytes]]:
    """(study UID, series UID, Part 10 files one by one) of a 12-bit CT in HU."""
    study, series, frame = new_uids()
    base = np.random.default_rng(0).integers(0, 2000, size=(size, size), dtype=np.uint16)

    def files() -> Iterator[bytes]:
        for i in range(slices):
            ds = ct_slice(study, series, frame, i, size)
            ds.PixelData = (base + i).astype(np.uint16).tobytes()
            yield part10(ds)

    return study, series, files()


def ct_slice(study: str, series: str, frame: str, i: int, size: int) -> Dataset:
    """The header of slice i (1 mm apart along z), without pixel data."""
    return ct_header(
        (study, series, frame),
        i,
        patient=("BENCH", "Bench^CT"),
        position=[0.0, 0.0, float(i)],
        spacing=(0.7, 0.7),
        thickness=1.0,
        shape=(size, size),
        signed=False,
    )
