"""A volume's geometry as a NIfTI affine, and NIfTI images written with nibabel.

DICOM places pixel (row r, column c) of slice k at (PS3.3 C.7.6.2.1.1)

    P = S_k + c * dc * X + r * dr * Y        (LPS, mm)

where X and Y are the row and column direction cosines of Image Orientation
(Patient), dc and dr the column and row spacing (Pixel Spacing is row spacing
first), and S_k the slice's Image Position (Patient). The NIfTI voxel (i, j, k)
is here (column, row, slice), so the affine's columns are dc * X, dr * Y, the
slice step and S_0; NIfTI world space is RAS, so x and y are negated.

A series whose slices are not evenly spaced along one line has no exact
affine: the affine then uses slice 0 and the mean step (so every voxel keeps
the index it was painted at) and the geometry says how far it is off.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from typing import IO

import nibabel as nib
import numpy as np
import numpy.typing as npt

from segdicom.errors import Unprocessable
from segdicom.imaging.spacing import TILT_TOLERANCE_DEGREES
from segdicom.imaging.volume import Volume

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
REGULAR_TOLERANCE_MM = 0.01  # positions within this of the line count as evenly spaced
NIFTI_GZIP_LEVEL = 1  # nibabel's own default for .nii.gz: most of the gain, fast
_SCANNER = 1  # NIfTI xform code "scanner anatomical"

Step = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class NiftiGeometry:
    """The RAS affine of a volume and, for an irregular series, what it approximates."""

    affine: npt.NDArray[np.float64]
    max_deviation_mm: float  # largest distance of a slice from where the affine puts it
    note: str  # "" for a regular series


def nifti_geometry(volume: Volume) -> NiftiGeometry:
    """The affine mapping (column, row, slice) voxel indices of `volume` to RAS mm.

    Unprocessable when the series has no patient geometry (no Image Position or
    Orientation (Patient) on its slices).
    """
    frames = volume.frames
    if volume.orientation is None or any(f.position is None for f in frames):
        raise Unprocessable(
            f"series {volume.series_uid} has no patient geometry (Image Position/Orientation "
            "(Patient)): its voxels cannot be placed in NIfTI world coordinates"
        )
    positions = np.array([f.position for f in frames], dtype=np.float64)
    row_dir, col_dir = np.asarray(volume.orientation[:3]), np.asarray(volume.orientation[3:])
    row_spacing, col_spacing, slice_spacing = volume.spacing
    step = _mean_step(positions, np.cross(row_dir, col_dir) * slice_spacing)
    lps = np.eye(4)
    lps[:3, 0] = row_dir * col_spacing  # i: along a row, the column index grows
    lps[:3, 1] = col_dir * row_spacing  # j: down a column, the row index grows
    lps[:3, 2] = step
    lps[:3, 3] = positions[0]
    expected = positions[0] + np.outer(np.arange(len(positions)), step)
    deviation = float(np.max(np.linalg.norm(positions - expected, axis=1)))
    return NiftiGeometry(LPS_TO_RAS @ lps, deviation, _note(volume, deviation, step))


def _mean_step(positions: npt.NDArray[np.float64], fallback: npt.NDArray[np.float64]) -> Step:
    if len(positions) < 2:
        return fallback
    step: Step = (positions[-1] - positions[0]) / (len(positions) - 1)
    return step


def _note(volume: Volume, deviation: float, step: Step) -> str:
    """ "" for a regular series; else what is irregular (Volume.geometry) and what the
    affine does about it, for dataset.json."""
    geometry = volume.geometry
    if geometry.regular and deviation <= REGULAR_TOLERANCE_MM:
        return ""
    found = []
    if geometry.tilt_degrees >= TILT_TOLERANCE_DEGREES:
        found.append(f"gantry tilt {geometry.tilt_degrees:.1f} degrees")
    if geometry.spacing_max - geometry.spacing_min > REGULAR_TOLERANCE_MM:
        found.append(f"slice spacing {geometry.spacing_min:.2f} to {geometry.spacing_max:.2f} mm")
    if geometry.missing_slices:
        found.append(f"{geometry.missing_slices} missing slice(s)")
    what = f" ({', '.join(found)})" if found else ""
    if deviation <= REGULAR_TOLERANCE_MM:
        return (
            f"series {volume.series_uid}: irregular geometry{what}; the slices are evenly "
            "spaced along one line, so the sheared affine places every slice exactly"
        )
    return (
        f"series {volume.series_uid}: irregular geometry{what}: slices are not evenly spaced "
        f"(a slice lies up to {deviation:.3f} mm from where the affine puts it); the affine "
        f"uses slice 0 and the mean step of {float(np.linalg.norm(step)):.4f} mm, voxel "
        "indices are the source slices in order (resample for exact geometry)"
    )


def to_nifti_axes(stack: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    """(slices, rows, columns) as NIfTI's (column, row, slice) axes, without copying."""
    return np.transpose(stack, (2, 1, 0))


def nifti_image(
    stack: npt.NDArray[np.generic], affine: npt.NDArray[np.float64], *, label: bool = False
) -> nib.Nifti1Image:
    """A NIfTI-1 image of a (slices, rows, columns) array, stored as its own dtype.

    sform and qform are both "scanner" with `affine` (nibabel fits the qform's
    rotation when the affine is sheared, e.g. gantry tilt; readers use the sform).
    """
    image = nib.Nifti1Image(to_nifti_axes(stack), affine)
    image.set_data_dtype(stack.dtype)
    image.header.set_xyzt_units(xyz="mm")
    image.set_sform(affine, code=_SCANNER)
    image.set_qform(affine, code=_SCANNER)
    if label:
        image.header.set_intent("label")
    return image


def write_nifti_gz(image: nib.Nifti1Image, stream: IO[bytes]) -> None:
    """Write `image` as .nii.gz into a writable binary stream (a file, a zip member)."""
    with gzip.GzipFile(fileobj=stream, mode="wb", compresslevel=NIFTI_GZIP_LEVEL, mtime=0) as gz:
        image.to_stream(gz)
