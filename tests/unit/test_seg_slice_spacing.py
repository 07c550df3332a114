"""The SEG states the series' true Spacing Between Slices, whatever the sources say: readers
such as dcmqi build their grid from it, so a copied wrong value moves their masks."""

import copy
from pathlib import Path

import numpy as np
import pytest
import SimpleITK
from pydicom.dataset import Dataset
from tests.unit.seg_encode_cases import SPECS, dcmqi_read, encode, single_frames
from tests.unit.seg_encode_cases import ct_slices as ct_slices  # fixture

STEP = 5.0  # the Philips phantom's slices are 5 mm apart


def _spacing(seg: Dataset) -> object:
    measures = seg.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
    return measures.get("SpacingBetweenSlices")


def _with_stated_spacing(slices: list[Dataset], stated: float) -> list[Dataset]:
    """Copies whose Spacing Between Slices says `stated` (some scanners store the gap there)."""
    copies = [copy.deepcopy(ds) for ds in slices]
    for ds in copies:
        ds.SpacingBetweenSlices = stated
    return copies


def _masks(frames: int, shape: tuple[int, int], painted: list[int]) -> dict[int, np.ndarray]:
    first = np.zeros((frames, *shape), dtype=np.bool_)
    for k in painted:
        first[k, 100:140, 200:260] = True
    return {1: first, 2: np.zeros_like(first)}


def test_a_wrong_stated_spacing_is_replaced_by_the_step_of_the_positions(
    ct_slices: list[Dataset],
) -> None:
    sources = _with_stated_spacing(ct_slices[8:16], 12.0)
    shape = (int(sources[0].Rows), int(sources[0].Columns))
    seg = encode(sources, single_frames(sources), _masks(8, shape, [2, 3, 4]), SPECS[:2])
    assert float(_spacing(seg)) == STEP  # type: ignore[arg-type]


def test_one_painted_slice_still_states_the_series_step_not_one_mm(
    ct_slices: list[Dataset],
) -> None:
    sources = [copy.deepcopy(ds) for ds in ct_slices[8:16]]
    for ds in sources:  # nothing stated: highdicom reckons from the painted planes alone
        ds.pop("SpacingBetweenSlices", None)
    shape = (int(sources[0].Rows), int(sources[0].Columns))
    seg = encode(sources, single_frames(sources), _masks(8, shape, [5]), SPECS[:2])
    assert float(_spacing(seg)) == STEP  # type: ignore[arg-type]


def test_a_series_with_a_missing_slice_states_no_spacing(ct_slices: list[Dataset]) -> None:
    sources = _with_stated_spacing([*ct_slices[8:11], *ct_slices[12:16]], STEP)
    shape = (int(sources[0].Rows), int(sources[0].Columns))
    seg = encode(sources, single_frames(sources), _masks(7, shape, [1, 2, 3]), SPECS[:2])
    assert _spacing(seg) is None


def test_dcmqi_reads_the_masks_on_their_slices_despite_a_wrong_stated_spacing(
    ct_slices: list[Dataset], tmp_path: Path
) -> None:
    sources = _with_stated_spacing(ct_slices[8:16], 12.0)
    shape = (int(sources[0].Rows), int(sources[0].Columns))
    masks = _masks(8, shape, [1, 2, 3, 4, 6])
    path = tmp_path / "seg.dcm"
    encode(sources, single_frames(sources), masks, SPECS[:2]).save_as(path)
    dcmqi_read(path, tmp_path)
    image = SimpleITK.ReadImage(str(tmp_path / "1.nrrd"))
    array = SimpleITK.GetArrayFromImage(image)
    assert image.GetSpacing()[2] == pytest.approx(STEP)
    assert int(array.sum()) == int(masks[1].sum())
    for index, ds in enumerate(sources):
        k = image.TransformPhysicalPointToIndex([float(v) for v in ds.ImagePositionPatient])
        plane = array[k[2]] if 0 <= k[2] < array.shape[0] else np.zeros_like(array[0])
        assert np.array_equal(plane == 1, masks[1][index]), index
