"""A synthetic GE-style gantry-tilted CT with two slice spacings and a gap, holding a sphere.

Image Orientation stays axial while each slice's position slides along +y (the column
direction) by tan(tilt) per mm of z: the stack is sheared. Slices are 4 mm apart, with one
slice missing (an 8 mm step), then 7 mm apart. A sphere of known centre and radius is drawn
at each slice's true pixel positions, so a correct reformat shows it round and in place.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from tests.synthetic_ct import Uids, ct_header, new_uids

TILT_DEGREES = 18.5
ROWS, COLUMNS = 96, 112  # not square, so a swapped axis shows
ROW_SPACING, COLUMN_SPACING = 1.1, 0.9  # PixelSpacing = [between rows, between columns]
DEPTHS = (0, 4, 8, 12, 16, 20, 28, 32, 36, 40, 44, 51, 58, 65, 72, 79, 86, 93, 100)
ORIGIN = (-50.0, -60.0, -20.0)  # slice 0's first pixel
CENTRE = (0.0, 2.0, 30.0)
RADIUS = 25.0
INSIDE, OUTSIDE = 1000, -1000  # HU
PADDING = -3024  # one pixel of each slice (last row and column): the volume's minimum


@dataclass(frozen=True)
class Slice:
    position: tuple[float, float, float]
    pixels: np.ndarray  # (ROWS, COLUMNS) int16, HU


def shear() -> float:
    """mm along y per mm along z."""
    return math.tan(math.radians(TILT_DEGREES))


def slices() -> list[Slice]:
    """The slices in acquisition order, the sphere drawn with a 1 mm soft edge."""
    out = []
    rows, columns = np.mgrid[:ROWS, :COLUMNS]
    for depth in DEPTHS:
        x0, y0, z0 = ORIGIN
        position = (x0, y0 + depth * shear(), z0 + depth)
        x = position[0] + columns * COLUMN_SPACING
        y = position[1] + rows * ROW_SPACING
        z = position[2]
        distance = np.sqrt((x - CENTRE[0]) ** 2 + (y - CENTRE[1]) ** 2 + (z - CENTRE[2]) ** 2)
        inside = np.clip(RADIUS + 0.5 - distance, 0.0, 1.0)
        pixels = np.rint(OUTSIDE + (INSIDE - OUTSIDE) * inside).astype(np.int16)
        pixels[-1, -1] = PADDING
        out.append(Slice(position, pixels))
    return out


def write_series(folder: Path) -> list[Path]:
    """The slices as CT Image Storage files in `folder` (in reverse order: names are no order)."""
    folder.mkdir(parents=True, exist_ok=True)
    uids = new_uids()
    paths = []
    for i, item in enumerate(reversed(slices())):
        ds = _dataset(uids, i, item)
        path = folder / f"tilted{i:03d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def _dataset(uids: Uids, i: int, item: Slice) -> Dataset:
    ds = ct_header(
        uids,
        i,
        patient=("TILT", "Tilted^Sphere"),
        position=[f"{v:.6f}" for v in item.position],
        spacing=(ROW_SPACING, COLUMN_SPACING),
        thickness=4.0,
        shape=(ROWS, COLUMNS),
    )
    ds.GantryDetectorTilt = TILT_DEGREES
    ds.PixelData = item.pixels.astype("<i2").tobytes()
    return ds
