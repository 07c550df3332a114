"""SEG encode on real scanner data: dciodvfy finds no error, highdicom reads back the same masks."""

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from tests.helpers import data_dir
from tests.unit.seg_encode_cases import (
    CREATOR,
    SPECS,
    Encoded,
    dciodvfy_errors,
    encode,
    encoded,
    overlapping_masks,
    single_frames,
    sorted_series,
)
from tests.unit.seg_encode_cases import ct_slices as ct_slices  # fixture
from tests.unit.seg_encode_cases import xa_files as xa_files  # fixture

from segdicom.seg import (
    Code,
    SegmentSpec,
    SourceFrame,
    codes_for_label,
    decode_seg,
    segment_number_map,
)


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
