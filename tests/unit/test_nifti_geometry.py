"""NIfTI affine from DICOM geometry: LPS -> RAS, per-slice positions, irregular series noted."""

import numpy as np
import pytest

from segdicom.errors import Unprocessable
from segdicom.imaging.geometry import FrameRef
from segdicom.imaging.grid import reformat_grid
from segdicom.imaging.nifti import nifti_geometry
from segdicom.imaging.spacing import series_geometry
from segdicom.imaging.volume import Volume

SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)  # rows run anterior->posterior, columns head->foot


def volume(positions: list[tuple[float, float, float]], orientation=SAGITTAL) -> Volume:  # type: ignore[no-untyped-def]
    frames = tuple(
        FrameRef(f"f{i}", f"1.2.{i + 1}", 0, i + 1, p, orientation, (0.5, 0.8), 1.0)
        for i, p in enumerate(positions)
    )
    ordered = list(frames)
    geometry = series_geometry(ordered, orientation, 2.0)
    return Volume(
        series_uid="1.2.3",
        study_uid="1.2",
        modality="MR",
        rows=4,
        columns=6,
        dtype="int16",
        frames=frames,
        spacing=(0.5, 0.8, 2.0),
        orientation=orientation,
        invert=False,
        color=False,
        header_windows=(),
        frame_of_reference_uid="1.2.4",
        geometry=geometry,
        grid=reformat_grid(ordered, orientation, (4, 6), (0.5, 0.8, 2.0), geometry),
    )


def lps_of(affine: np.ndarray, i: float, j: float, k: float) -> np.ndarray:
    return (affine @ np.array([i, j, k, 1.0]))[:3] * np.array([-1.0, -1.0, 1.0])


def test_affine_maps_column_row_slice_to_the_dicom_position() -> None:
    positions = [(float(x), -10.0, 30.0) for x in (-4.0, -2.0, 0.0)]
    geometry = nifti_geometry(volume(positions))
    assert geometry.note == "" and geometry.max_deviation_mm == 0
    # column 5, row 3 of slice 2: S_2 + 5 * 0.8 * X + 3 * 0.5 * Y (PS3.3 C.7.6.2.1.1)
    expected = np.array([0.0, -10.0 + 5 * 0.8, 30.0 - 3 * 0.5])
    assert np.allclose(lps_of(geometry.affine, 5, 3, 2), expected)


def test_irregular_series_uses_the_mean_step_and_says_so() -> None:
    # Along the normal (-x for this sagittal orientation), as the volume sorts them.
    positions = [(0.0, 0, 0), (-2.0, 0, 0), (-5.0, 0, 0), (-6.0, 0, 0)]
    geometry = nifti_geometry(volume(positions))
    assert np.allclose(lps_of(geometry.affine, 0, 0, 3), positions[3])
    assert np.allclose(lps_of(geometry.affine, 0, 0, 1), (-2.0, 0, 0))
    assert geometry.max_deviation_mm == pytest.approx(1.0)
    assert "not evenly spaced" in geometry.note and "mean step of 2.0000 mm" in geometry.note
    assert "slice spacing 1.00 to 3.00 mm" in geometry.note


def test_tilted_even_series_is_placed_exactly_by_a_sheared_affine_and_noted() -> None:
    # Each slice 2 mm along the normal (-x) and 0.7 mm along y: a gantry tilt of ~19 degrees.
    positions = [(-2.0 * k, 0.7 * k, 0.0) for k in range(4)]
    geometry = nifti_geometry(volume(positions))
    assert geometry.max_deviation_mm == pytest.approx(0.0)
    for k, position in enumerate(positions):
        assert np.allclose(lps_of(geometry.affine, 0, 0, k), position)
    assert "gantry tilt 19.3 degrees" in geometry.note and "exactly" in geometry.note


def test_single_slice_steps_along_the_normal_by_the_slice_spacing() -> None:
    geometry = nifti_geometry(volume([(1.0, 2.0, 3.0)]))
    normal = np.cross(SAGITTAL[:3], SAGITTAL[3:])
    assert np.allclose(lps_of(geometry.affine, 0, 0, 1), np.array([1.0, 2.0, 3.0]) + 2.0 * normal)


def test_series_without_patient_geometry_is_refused() -> None:
    plain = volume([(0.0, 0, 0)])
    with pytest.raises(Unprocessable, match="no patient geometry"):
        nifti_geometry(Volume(**{**plain.__dict__, "orientation": None}))
