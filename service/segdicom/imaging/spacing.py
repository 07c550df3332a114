"""True per-slice spacing and patient coordinates of voxels.

A series' slices need not be evenly spaced (a missing slice, a change of pitch):
each slice stands for its own extent along the normal, so volumes and distances
use the slice positions, never a single median spacing.
"""

import numpy as np

from segdicom.imaging.geometry import slice_normal
from segdicom.imaging.volume import Volume


def slice_depths(volume: Volume) -> np.ndarray:
    """Each slice's position along the slice normal (mm); evenly spaced without geometry."""
    positions = [f.position for f in volume.frames]
    if volume.orientation is None or any(p is None for p in positions):
        return np.arange(volume.num_slices, dtype=np.float64) * volume.spacing[2]
    normal = slice_normal(volume.orientation)
    depths: np.ndarray = np.asarray(positions, dtype=np.float64) @ normal
    return depths


def slice_thicknesses(volume: Volume) -> np.ndarray:
    """Each slice's extent along the normal (mm): half the distance to each neighbour;
    an end slice takes its one neighbour's full distance; a lone slice the volume spacing."""
    depths = slice_depths(volume)
    if depths.size < 2:
        return np.full(depths.size, volume.spacing[2], dtype=np.float64)
    gaps = np.abs(np.diff(depths))
    out = np.empty(depths.size, dtype=np.float64)
    out[0], out[-1] = gaps[0], gaps[-1]
    out[1:-1] = (gaps[:-1] + gaps[1:]) / 2
    return out


def patient_points(volume: Volume, indexes: np.ndarray) -> np.ndarray:
    """(n, 3) patient coordinates (mm) of voxel centres given as (n, 3) (slice, row, column).

    PS3.3 C.7.6.2.1.1: P = S + column * dc * X + row * dr * Y, where X is the row direction
    cosine (first three of Image Orientation), Y the column one, and S the slice's position.
    """
    k, r, c = (indexes[:, i].astype(np.int64) for i in range(3))
    dr, dc = volume.spacing[0], volume.spacing[1]
    positions = [f.position for f in volume.frames]
    if volume.orientation is None or any(p is None for p in positions):
        depth = slice_depths(volume)[k]
        return np.stack([c * dc, r * dr, depth], axis=1)
    x = np.asarray(volume.orientation[:3], dtype=np.float64)
    y = np.asarray(volume.orientation[3:], dtype=np.float64)
    origin = np.asarray(positions, dtype=np.float64)[k]
    return origin + np.outer(c * dc, x) + np.outer(r * dr, y)
