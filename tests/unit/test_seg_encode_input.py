"""SEG encode on awkward input: sloppy or repeated sources are handled, bad arguments refused with
an error naming the problem, the caller's datasets left as they were."""

import copy
import warnings
from pathlib import Path

import highdicom as hd
import numpy as np
import pytest
from pydicom.dataset import Dataset
from tests.unit.seg_encode_cases import (
    SPECS,
    Masks,
    dciodvfy_errors,
    encode,
    overlapping_masks,
    single_frames,
    sorted_series,
)
from tests.unit.seg_encode_cases import ct_slices as ct_slices  # fixture
from tests.unit.seg_encode_cases import xa_files as xa_files  # fixture

from segdicom.errors import BadInput
from segdicom.seg import SourceFrame, decode_seg


@pytest.mark.filterwarnings("ignore:Invalid value for VR")
def test_sloppy_source_headers_still_give_a_valid_seg(tmp_path: Path) -> None:
    sources = [copy.deepcopy(ds) for ds in sorted_series("mr_siemens_t1_sag")[10:14]]
    for ds in sources:
        for keyword in ("PatientSex", "StudyID", "AccessionNumber", "ReferringPhysicianName"):
            del ds[keyword]
        ds.PatientBirthDate = "19700231"  # no such day
        ds.PatientAge = "51"  # AS needs a unit
        ds.StudyTime = "25"
    iop = [float(v) for v in sources[1].ImageOrientationPatient]
    sources[1].ImageOrientationPatient = [iop[0] + 2e-6, *iop[1:]]
    before = [copy.deepcopy(ds) for ds in sources]
    masks = overlapping_masks(4, int(sources[0].Rows), int(sources[0].Columns))
    seg = encode(sources, single_frames(sources), masks)
    assert sources == before  # the caller's datasets are untouched
    seg.save_as(tmp_path / "seg.dcm", enforce_file_format=True)
    errors, output = dciodvfy_errors(tmp_path / "seg.dcm")
    assert errors == [], output
    assert seg.PatientSex == "" and "PatientAge" not in seg


def test_encode_leaves_real_sources_unchanged(ct_slices: list[Dataset]) -> None:
    sources = ct_slices[:5]
    before = [copy.deepcopy(ds) for ds in sources]
    encode(sources, single_frames(sources), overlapping_masks(5, 512, 512))
    assert sources == before


def test_repeated_positions_across_files_are_refused(xa_files: list[Dataset]) -> None:
    frames = [SourceFrame(str(ds.SOPInstanceUID), n) for ds in xa_files[:2] for n in range(1, 7)]
    masks = {1: np.ones((12, 64, 64), dtype=np.bool_)}
    with pytest.raises(BadInput, match="painted at the same position"):
        encode(xa_files, frames, masks)


class TestBadInput:
    @pytest.fixture
    def slices(self, ct_slices: list[Dataset]) -> list[Dataset]:
        return ct_slices[:3]

    @pytest.fixture
    def masks(self) -> Masks:
        return overlapping_masks(3, 512, 512)

    def test_mask_shape_mismatch_names_both_shapes(
        self, slices: list[Dataset], masks: Masks
    ) -> None:
        masks[2] = masks[2][:, :256]
        with pytest.raises(BadInput) as caught:
            encode(slices, single_frames(slices), masks)
        assert "(3, 256, 512)" in caught.value.detail
        assert "(3, 512, 512)" in caught.value.detail

    def test_unknown_segment_number(self, slices: list[Dataset], masks: Masks) -> None:
        masks[5] = masks[1]
        with pytest.raises(BadInput, match=r"unknown segment numbers \[5\]"):
            encode(slices, single_frames(slices), masks)

    @pytest.mark.parametrize("empty", ["sources", "frames", "segments"])
    def test_empty_inputs(self, slices: list[Dataset], masks: Masks, empty: str) -> None:
        inputs: dict[str, object] = {
            "sources": slices,
            "frames": single_frames(slices),
            "segments": SPECS,
        }
        inputs[empty] = []
        words = {"sources": "source image", "frames": "source frame", "segments": "segment"}
        with pytest.raises(BadInput, match=f"at least one {words[empty]} is required"):
            encode(inputs["sources"], inputs["frames"], masks, inputs["segments"])  # type: ignore[arg-type]

    def test_nothing_painted(self, slices: list[Dataset], masks: Masks) -> None:
        blank = {number: np.zeros_like(mask) for number, mask in masks.items()}
        with pytest.raises(BadInput, match="no segment has any painted pixel"):
            encode(slices, single_frames(slices), blank)

    def test_frame_not_among_sources(self, slices: list[Dataset], masks: Masks) -> None:
        frames = [*single_frames(slices[:2]), SourceFrame("1.2.3.4")]
        with pytest.raises(BadInput, match=r"1\.2\.3\.4 names an instance that is not"):
            encode(slices, frames, masks)

    def test_repeated_frame(self, slices: list[Dataset], masks: Masks) -> None:
        frames = single_frames(slices[:2]) + single_frames(slices[:1])
        with pytest.raises(BadInput, match="repeats"):
            encode(slices, frames, masks)

    def test_frame_number_beyond_single_frame(self, slices: list[Dataset], masks: Masks) -> None:
        frames = [*single_frames(slices[:2]), SourceFrame(str(slices[2].SOPInstanceUID), 2)]
        with pytest.raises(BadInput, match="beyond the 1 frame"):
            encode(slices, frames, masks)

    def test_float_mask(self, slices: list[Dataset], masks: Masks) -> None:
        floats = {1: masks[1].astype(np.float32)}
        with pytest.raises(BadInput, match="must be boolean, got dtype float32"):
            encode(slices, single_frames(slices), floats)

    @pytest.mark.parametrize(
        ("option", "value", "words"),
        [
            ("series_instance_uid", "1.2.x", "series instance UID"),
            ("instance_number", 0, "instance number must be in 1"),
            ("content_creator", "", "content creator"),
            ("content_creator", "x" * 65 + "^Jane", "content creator is not a valid person"),
            ("series_description", "x" * 65, "series description"),
        ],
    )
    def test_bad_header_values(
        self, slices: list[Dataset], masks: Masks, option: str, value: object, words: str
    ) -> None:
        with pytest.raises(BadInput, match=words):
            encode(slices, single_frames(slices), masks, SPECS, **{option: value})

    def test_integer_masks_count_nonzero_as_painted(
        self, slices: list[Dataset], masks: Masks
    ) -> None:
        as_bytes = {number: mask.astype(np.uint8) for number, mask in masks.items()}
        seg = encode(slices, single_frames(slices), as_bytes)
        decoded = decode_seg(seg)
        frame = single_frames(slices)[1]
        assert np.array_equal(decoded.masks[frame][1], masks[1][1])


def test_a_patient_name_without_a_caret_is_copied_as_it_is_without_a_warning(
    ct_slices: list[Dataset],
) -> None:
    sources = [copy.deepcopy(ds) for ds in ct_slices[:2]]
    for ds in sources:
        ds.PatientName = "PHANTOM"  # one component: the PACS matches on it as it is
    masks = {1: np.ones((2, int(sources[0].Rows), int(sources[0].Columns)), dtype=np.bool_)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seg = encode(sources, single_frames(sources), masks, SPECS[:1])
    assert seg.PatientName == "PHANTOM"
    assert not [w for w in caught if "person name" in str(w.message)], caught
    with warnings.catch_warnings(record=True) as after:  # the filter ends with the build
        warnings.simplefilter("always")
        hd.valuerep.check_person_name("PHANTOM")
    assert len(after) == 1
