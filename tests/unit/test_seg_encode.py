"""SEG encode on real scanner data: dciodvfy finds no error, highdicom reads back the same masks."""

import copy
import subprocess
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import highdicom as hd
import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from tests.helpers import data_dir, dicom_files, require_tool

from segdicom.errors import BadInput
from segdicom.seg import (
    Code,
    SegmentSpec,
    SourceFrame,
    codes_for_label,
    decode_seg,
    default_color,
    encode_seg,
    segment_number_map,
)

Masks = dict[int, npt.NDArray[np.bool_]]
SPECS = [
    SegmentSpec(1, "Tumor", "#e6194b", *codes_for_label("Tumor")),
    SegmentSpec(2, "My region", default_color(2), *codes_for_label("My region")),
]
CREATOR = "Doe^Jane"


@dataclass(frozen=True)
class Encoded:
    sources: list[Dataset]
    frames: list[SourceFrame]
    masks: Masks
    specs: list[SegmentSpec]
    seg: Dataset
    path: Path


def sorted_series(folder: str) -> list[Dataset]:
    """The series' slices sorted by position along the slice normal (not z, not file name)."""
    slices = [pydicom.dcmread(path) for path in dicom_files(folder)]
    row, col = np.asarray(slices[0].ImageOrientationPatient, dtype=float).reshape(2, 3)
    normal = np.cross(row, col)
    return sorted(slices, key=lambda ds: float(normal @ np.asarray(ds.ImagePositionPatient)))


def overlapping_masks(frames: int, rows: int, columns: int) -> Masks:
    """Two rectangles that overlap on some slices; slice 0 and the last slices stay empty."""
    first = np.zeros((frames, rows, columns), dtype=np.bool_)
    second = np.zeros_like(first)
    first[1:4, rows // 4 : rows // 2, columns // 4 : columns // 2] = True
    second[2:5, rows // 3 : rows * 2 // 3, columns // 3 : columns * 2 // 3] = True
    second[2, 0, 0] = True  # a single pixel at the frame's first position
    return {1: first, 2: second}


def encode(
    sources: Sequence[Dataset],
    frames: Sequence[SourceFrame],
    masks: Mapping[int, npt.NDArray[np.generic]],
    specs: Sequence[SegmentSpec] = SPECS,
    **options: object,
) -> Dataset:
    arguments: dict[str, object] = {
        "series_instance_uid": generate_uid(),
        "sop_instance_uid": generate_uid(),
        "instance_number": 1,
        "content_creator": CREATOR,
    }
    arguments.update(options)
    return encode_seg(sources, frames, masks, specs, **arguments)  # type: ignore[arg-type]


def encoded(
    tmp: Path, sources: list[Dataset], frames: list[SourceFrame], specs: list[SegmentSpec] = SPECS
) -> Encoded:
    masks = overlapping_masks(len(frames), int(sources[0].Rows), int(sources[0].Columns))
    seg = encode(sources, frames, masks, specs)
    path = tmp / "seg.dcm"
    seg.save_as(path, enforce_file_format=True)
    return Encoded(sources, frames, masks, specs, seg, path)


def single_frames(sources: Sequence[Dataset]) -> list[SourceFrame]:
    return [SourceFrame(str(ds.SOPInstanceUID)) for ds in sources]


@pytest.fixture(scope="module")
def ct_slices() -> list[Dataset]:
    return sorted_series("ct_philips_phantom")


@pytest.fixture(scope="module")
def ct(tmp_path_factory: pytest.TempPathFactory, ct_slices: list[Dataset]) -> Encoded:
    sources = ct_slices[8:16]
    return encoded(tmp_path_factory.mktemp("ct"), sources, single_frames(sources))


@pytest.fixture(scope="module")
def mr(tmp_path_factory: pytest.TempPathFactory) -> Encoded:
    sources = sorted_series("mr_siemens_t1_sag")
    return encoded(tmp_path_factory.mktemp("mr"), sources, single_frames(sources))


@pytest.fixture(scope="module")
def dcmqi_ct(tmp_path_factory: pytest.TempPathFactory) -> Encoded:
    """Three CT slices whose Specific Character Set is present but empty."""
    sources = sorted_series("dcmqi_seg/ct-3slice")
    return encoded(tmp_path_factory.mktemp("dcmqi"), sources, single_frames(sources))


@pytest.fixture(scope="module")
def cr(tmp_path_factory: pytest.TempPathFactory) -> Encoded:
    """A radiograph: no patient frame of reference, so no plane position or orientation."""
    source = pydicom.dcmread(data_dir("highdicom_seg", "source_cr1", "6154"))
    shape = (1, int(source.Rows), int(source.Columns))
    masks = {1: np.zeros(shape, dtype=np.bool_), 2: np.zeros(shape, dtype=np.bool_)}
    masks[1][0, 2:10, 2:10] = True
    masks[2][0, 6:14, 6:14] = True
    frames = single_frames([source])
    seg = encode([source], frames, masks)
    path = tmp_path_factory.mktemp("cr") / "seg.dcm"
    seg.save_as(path, enforce_file_format=True)
    return Encoded([source], frames, masks, SPECS, seg, path)


@pytest.fixture(scope="module")
def enhanced_ct(tmp_path_factory: pytest.TempPathFactory) -> Encoded:
    source = pydicom.dcmread(
        data_dir("enhanced_multiframe", "ct_nema_supplemental", "eCT_Supplemental.dcm")
    )
    frames = [SourceFrame(str(source.SOPInstanceUID), n) for n in (1, 2)]
    tmp = tmp_path_factory.mktemp("ect")
    volume = overlapping_masks(5, int(source.Rows), int(source.Columns))
    masks = {1: volume[1][1:3], 2: volume[2][2:4]}  # both frames painted
    seg = encode([source], frames, masks)
    seg.save_as(tmp / "seg.dcm", enforce_file_format=True)
    return Encoded([source], frames, masks, SPECS, seg, tmp / "seg.dcm")


@pytest.fixture(scope="module")
def xa_files() -> list[Dataset]:
    """Siemens XA10: one series in 4 enhanced files of 6 frames at the same 6 positions."""
    return [pydicom.dcmread(path) for path in dicom_files("enhanced_multiframe", "mr_siemens_xa10")]


@pytest.fixture(scope="module")
def xa_multi(tmp_path_factory: pytest.TempPathFactory, xa_files: list[Dataset]) -> Encoded:
    """A volume whose lower slices come from file 1 and upper slices from file 3."""
    frames = [SourceFrame(str(xa_files[0].SOPInstanceUID), n) for n in (1, 2, 3)]
    frames += [SourceFrame(str(xa_files[2].SOPInstanceUID), n) for n in (4, 5, 6)]
    return encoded(tmp_path_factory.mktemp("xa"), xa_files, frames)


@pytest.fixture(scope="module")
def philips_half(tmp_path_factory: pytest.TempPathFactory) -> Encoded:
    """Philips fMAP: 64 frames, two images at each of 32 positions; the volume takes 1..32."""
    source = pydicom.dcmread(
        data_dir("enhanced_multiframe", "mr_philips_achieva", "IM_0027_fMAP.dcm")
    )
    frames = [SourceFrame(str(source.SOPInstanceUID), n) for n in range(1, 33)]
    return encoded(tmp_path_factory.mktemp("philips"), [source], frames)


@pytest.fixture(scope="module")
def renumbered(tmp_path_factory: pytest.TempPathFactory, ct_slices: list[Dataset]) -> Encoded:
    """Segments 3 and 7 painted, segment 9 declared but empty."""
    sources = ct_slices[:6]
    specs = [
        SegmentSpec(3, "Liver", "#dd8265", *codes_for_label("liver")),
        SegmentSpec(7, "Lesion", "#f58231", *codes_for_label("lesion")),
        SegmentSpec(9, "Kidney", "#b96653", *codes_for_label("kidney")),
    ]
    base = overlapping_masks(len(sources), int(sources[0].Rows), int(sources[0].Columns))
    masks = {3: base[1], 7: base[2], 9: np.zeros_like(base[1])}
    seg = encode(sources, single_frames(sources), masks, specs)
    path = tmp_path_factory.mktemp("renumbered") / "seg.dcm"
    seg.save_as(path, enforce_file_format=True)
    return Encoded(sources, single_frames(sources), masks, specs, seg, path)


def dciodvfy_errors(path: Path) -> tuple[list[str], str]:
    result = subprocess.run(
        [require_tool("dciodvfy"), str(path)], capture_output=True, text=True, timeout=60
    )
    output = result.stdout + result.stderr
    return [line for line in output.splitlines() if line.startswith("Error")], output


@pytest.mark.parametrize("case", ["ct", "mr", "dcmqi_ct", "enhanced_ct", "xa_multi", "renumbered"])
def test_seg_passes_dciodvfy(case: str, request: pytest.FixtureRequest) -> None:
    made: Encoded = request.getfixturevalue(case)
    errors, output = dciodvfy_errors(made.path)
    assert errors == [], output


@pytest.mark.parametrize("case", ["ct", "mr", "dcmqi_ct", "cr"])
def test_masks_read_back_identical_on_same_source_instances(
    case: str, request: pytest.FixtureRequest
) -> None:
    made: Encoded = request.getfixturevalue(case)
    seg = hd.seg.segread(made.path)
    uids = [frame.sop_instance_uid for frame in made.frames]
    pixels = seg.get_pixels_by_source_instance(uids, segment_numbers=[1, 2])
    for index, number in enumerate((1, 2)):
        assert np.array_equal(pixels[..., index].astype(bool), made.masks[number])


def test_enhanced_multiframe_masks_read_back_by_source_frame(enhanced_ct: Encoded) -> None:
    seg = hd.seg.segread(enhanced_ct.path)
    uid = enhanced_ct.frames[0].sop_instance_uid
    pixels = seg.get_pixels_by_source_frame(uid, [1, 2], segment_numbers=[1, 2])
    for index, number in enumerate((1, 2)):
        assert np.array_equal(pixels[..., index].astype(bool), enhanced_ct.masks[number])


@pytest.mark.parametrize("case", ["ct", "mr", "enhanced_ct", "xa_multi"])
def test_segments_read_back_with_labels_codes_colours_and_creator(
    case: str, request: pytest.FixtureRequest
) -> None:
    made: Encoded = request.getfixturevalue(case)
    seg = hd.seg.segread(made.path)
    assert seg.SegmentationType == "BINARY"
    assert seg.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.4"
    assert str(seg.ContentCreatorName) == CREATOR
    assert seg.SegmentsOverlap == "YES"
    for spec in made.specs:
        description = seg.get_segment_description(spec.number)
        assert description.segment_label == spec.label
        assert description.algorithm_type == hd.seg.SegmentAlgorithmTypeValues.MANUAL
        assert Code.from_item(description.segmented_property_category) == spec.category
        assert Code.from_item(description.segmented_property_type) == spec.type
        lab = hd.color.CIELabColor.from_dicom_value(description.RecommendedDisplayCIELabValue)
        assert lab.to_rgb() == spec.rgb


@pytest.mark.parametrize("case", ["ct", "mr", "xa_multi"])
def test_seg_references_source_series_and_every_source_image(
    case: str, request: pytest.FixtureRequest
) -> None:
    made: Encoded = request.getfixturevalue(case)
    (series,) = made.seg.ReferencedSeriesSequence
    assert series.SeriesInstanceUID == made.sources[0].SeriesInstanceUID
    referenced = {item.ReferencedSOPInstanceUID for item in series.ReferencedInstanceSequence}
    assert referenced == {frame.sop_instance_uid for frame in made.frames}


def test_patient_and_study_attributes_are_copied_from_the_source(mr: Encoded) -> None:
    source = mr.sources[0]
    for keyword in ("PatientName", "PatientID", "PatientAge", "PatientWeight", "StudyDate"):
        assert mr.seg[keyword].value == source[keyword].value, keyword
    assert mr.seg.StudyInstanceUID == source.StudyInstanceUID
    assert mr.seg.FrameOfReferenceUID == source.FrameOfReferenceUID


def test_only_painted_frames_are_stored(ct: Encoded) -> None:
    painted_pairs = sum(int(mask.any(axis=(1, 2)).sum()) for mask in ct.masks.values())
    assert ct.seg.NumberOfFrames == painted_pairs


@pytest.mark.parametrize("case", ["xa_multi", "philips_half"])
def test_each_seg_frame_references_the_frame_it_was_painted_on(
    case: str, request: pytest.FixtureRequest
) -> None:
    made: Encoded = request.getfixturevalue(case)
    positions = {
        frame: tuple(
            float(v)
            for v in source.PerFrameFunctionalGroupsSequence[frame.frame_number - 1]
            .PlanePositionSequence[0]
            .ImagePositionPatient
        )
        for frame in made.frames
        for source in made.sources
        if source.SOPInstanceUID == frame.sop_instance_uid
    }
    for item in made.seg.PerFrameFunctionalGroupsSequence:
        (reference,) = item.DerivationImageSequence[0].SourceImageSequence
        frame = SourceFrame(reference.ReferencedSOPInstanceUID, reference.ReferencedFrameNumber)
        position = item.PlanePositionSequence[0].ImagePositionPatient
        assert np.allclose(positions[frame], position)


@pytest.mark.parametrize("case", ["ct", "cr", "enhanced_ct", "xa_multi", "philips_half"])
def test_decode_seg_round_trips_our_seg(case: str, request: pytest.FixtureRequest) -> None:
    made: Encoded = request.getfixturevalue(case)
    decoded = decode_seg(pydicom.dcmread(made.path))
    assert decoded.segments == made.specs
    assert decoded.referenced_series_uid == made.sources[0].SeriesInstanceUID
    assert decoded.plane_positions == {}
    for index, frame in enumerate(made.frames):
        got = decoded.masks.get(frame, {})
        for number, mask in made.masks.items():
            expected = mask[index]
            assert np.array_equal(got.get(number, np.zeros_like(expected)), expected)


def test_segments_are_renumbered_and_an_empty_one_is_kept(renumbered: Encoded) -> None:
    assert segment_number_map(renumbered.specs) == {3: 1, 7: 2, 9: 3}
    seg = hd.seg.segread(renumbered.path)
    assert seg.segment_numbers == [1, 2, 3]
    assert [seg.get_segment_description(n).segment_label for n in (1, 2, 3)] == [
        "Liver",
        "Lesion",
        "Kidney",
    ]
    held = {
        int(i.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        for i in seg.PerFrameFunctionalGroupsSequence
    }
    assert held == {1, 2}


def test_later_save_goes_into_the_same_series(ct: Encoded) -> None:
    later = encode(
        ct.sources,
        ct.frames,
        ct.masks,
        series_instance_uid=ct.seg.SeriesInstanceUID,
        instance_number=2,
    )
    assert later.SeriesInstanceUID == ct.seg.SeriesInstanceUID
    assert later.InstanceNumber == 2
    assert later.SOPInstanceUID != ct.seg.SOPInstanceUID


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
