"""LABELMAP SEG (Supplement 243) written by us: highdicom and dcmqi read the same masks,
dciodvfy finds nothing beyond what it finds in highdicom's own LABELMAP SEG, overlaps refused."""

import json
import subprocess
from pathlib import Path

import highdicom as hd
import numpy as np
import numpy.typing as npt
import pytest
import SimpleITK
from pydicom.dataset import Dataset
from tests.helpers import data_dir, require_tool
from tests.unit.seg_encode_cases import dcmqi_read
from tests.unit.test_seg_encode import encode, single_frames, sorted_series

from segdicom.errors import Unprocessable
from segdicom.seg import decode_seg
from segdicom.seg.labelmap import SegmentationType, SegmentsOverlap

pytestmark = pytest.mark.filterwarnings("ignore:The string .* is unlikely to represent")

LABEL_MAP_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.7"
Masks = dict[int, npt.NDArray[np.bool_]]


def disjoint_masks(frames: int, rows: int, columns: int) -> Masks:
    """Two segments side by side on shared slices, touching but never overlapping."""
    first = np.zeros((frames, rows, columns), dtype=np.bool_)
    second = np.zeros_like(first)
    first[1:4, 100:200, 100:256] = True
    second[2:5, 150:260, 256:300] = True
    return {1: first, 2: second}


@pytest.fixture(scope="module")
def ct_sources() -> list[Dataset]:
    return sorted_series("ct_philips_phantom")[8:14]


@pytest.fixture(scope="module")
def labelmap(tmp_path_factory: pytest.TempPathFactory, ct_sources: list[Dataset]) -> tuple:  # type: ignore[type-arg]
    masks = disjoint_masks(len(ct_sources), int(ct_sources[0].Rows), int(ct_sources[0].Columns))
    seg = encode(
        ct_sources,
        single_frames(ct_sources),
        masks,
        segmentation_type=SegmentationType.LABELMAP,
    )
    path = tmp_path_factory.mktemp("labelmap") / "seg.dcm"
    seg.save_as(path, enforce_file_format=True)
    return seg, path, masks


def test_labelmap_seg_has_the_label_map_sop_class_and_background(labelmap: tuple) -> None:  # type: ignore[type-arg]
    seg, _, _ = labelmap
    assert seg.SOPClassUID == LABEL_MAP_SOP_CLASS
    assert seg.SegmentationType == "LABELMAP"
    assert [int(item.SegmentNumber) for item in seg.SegmentSequence] == [0, 1, 2]
    assert int(seg.NumberOfFrames) == 4  # slices 1..4 hold pixels


def test_labelmap_reads_back_identically_with_highdicom(
    labelmap: tuple,  # type: ignore[type-arg]
    ct_sources: list[Dataset],
) -> None:
    _, path, masks = labelmap
    seg = hd.seg.segread(path)
    uids = [str(ds.SOPInstanceUID) for ds in ct_sources]
    pixels = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=uids[1:5], segment_numbers=[1, 2]
    )
    for number in (1, 2):
        assert np.array_equal(pixels[..., number - 1].astype(bool), masks[number][1:5])
    decoded = decode_seg(seg)
    for index, uid in enumerate(uids):
        for number in (1, 2):
            got = next(
                (
                    m[number]
                    for f, m in decoded.masks.items()
                    if f.sop_instance_uid == uid and number in m
                ),
                np.zeros_like(masks[number][0]),
            )
            assert np.array_equal(got, masks[number][index]), (index, number)


def test_labelmap_reads_back_identically_with_dcmqi(
    labelmap: tuple,  # type: ignore[type-arg]
    ct_sources: list[Dataset],
    tmp_path: Path,
) -> None:
    """dcmqi 1.5.7 reads LABELMAP SEGs: one label image, values are segment numbers."""
    _, path, masks = labelmap
    dcmqi_read(path, tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text())
    labels = {a["SegmentLabel"]: a["labelID"] for group in meta["segmentAttributes"] for a in group}
    assert labels == {"Tumor": 1, "My region": 2}
    image = SimpleITK.ReadImage(str(tmp_path / "1.nrrd"))
    array = SimpleITK.GetArrayFromImage(image)
    for index, ds in enumerate(ct_sources):
        # dcmqi writes the painted extent; find this source slice by its position (LPS).
        k = image.TransformPhysicalPointToIndex([float(v) for v in ds.ImagePositionPatient])
        plane = array[k[2]] if 0 <= k[2] < array.shape[0] else np.zeros_like(array[0])
        for number in (1, 2):
            assert np.array_equal(plane == number, masks[number][index]), (index, number)


def _dciodvfy_errors(path: Path) -> set[str]:
    done = subprocess.run(
        [require_tool("dciodvfy"), "-new", str(path)], capture_output=True, text=True, timeout=60
    )
    return {line for line in (done.stdout + done.stderr).splitlines() if line.startswith("Error")}


def test_dciodvfy_finds_nothing_beyond_what_it_finds_in_highdicoms_labelmap(
    labelmap: tuple,  # type: ignore[type-arg]
) -> None:
    """Debian's dicom3tools predates Supplement 243: it knows no Label Map IOD and
    expects segments from 1; that is all it may report, as on highdicom's own."""
    _, path, _ = labelmap
    reference = _dciodvfy_errors(
        data_dir("highdicom_seg", "seg", "seg_image_sm_control_labelmap.dcm")
    )
    ours = _dciodvfy_errors(path)
    assert ours <= reference, sorted(ours - reference)
    assert any("Information Object Not found" in line for line in reference)


def test_overlapping_segments_are_refused_naming_them_and_a_slice(
    ct_sources: list[Dataset],
) -> None:
    masks = disjoint_masks(len(ct_sources), int(ct_sources[0].Rows), int(ct_sources[0].Columns))
    masks[2][3, 150, 150] = True  # one pixel of segment 2 inside segment 1 on slice 3
    with pytest.raises(SegmentsOverlap) as caught:
        encode(ct_sources, single_frames(ct_sources), masks, segmentation_type="labelmap")
    assert isinstance(caught.value, Unprocessable)
    assert caught.value.slice_index == 3
    assert caught.value.pixels == 1
    assert "segments 1 (Tumor) and 2 (My region) overlap on slice 3" in caught.value.detail
    # The same masks still make a BINARY SEG.
    assert encode(ct_sources, single_frames(ct_sources), masks).SegmentationType == "BINARY"


def test_segmentation_type_is_parsed_with_a_clear_error() -> None:
    assert SegmentationType.parse("LABELMAP") is SegmentationType.LABELMAP
    with pytest.raises(Exception, match="segmentation_type must be one of 'binary', 'labelmap'"):
        SegmentationType.parse("fractional")
