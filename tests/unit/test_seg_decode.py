"""SEG decode on SEGs written by dcmqi, highdicom and SegDICOM itself."""

import copy
import gzip
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from tests.helpers import data_dir, dicom_files

from segdicom.errors import BadInput
from segdicom.seg import (
    Code,
    DecodedSeg,
    SegmentSpec,
    SourceFrame,
    codes_for_label,
    decode_seg,
    default_color,
    encode_seg,
)


def read(*parts: str) -> Dataset:
    return pydicom.dcmread(data_dir(*parts))


def decode(*parts: str) -> DecodedSeg:
    return decode_seg(read(*parts))


def nrrd_labels(path: Path) -> npt.NDArray[np.int16]:
    """A gzip-encoded little-endian short NRRD label map, as (slices, rows, columns)."""
    header, _, body = path.read_bytes().partition(b"\n\n")
    fields = dict(line.split(": ", 1) for line in header.decode().splitlines()[1:] if ": " in line)
    assert (fields["type"], fields["encoding"], fields["endian"]) == ("short", "gzip", "little")
    sizes = [int(size) for size in fields["sizes"].split()]
    labels: npt.NDArray[np.int16] = np.frombuffer(gzip.decompress(body), dtype="<i2")
    return labels.reshape(sizes[::-1])


def slices_by_z(*parts: str) -> list[Dataset]:
    """Axial source slices in NRRD order (increasing z, as the NRRD space origin is the lowest)."""
    slices = [pydicom.dcmread(path) for path in dicom_files(*parts)]
    return sorted(slices, key=lambda ds: float(ds.ImagePositionPatient[2]))


def assert_matches_label_maps(decoded: DecodedSeg, label_maps: list[Path]) -> None:
    """Segment n of the SEG is label n of the dcmqi ground-truth label maps, slice by slice."""
    slices = slices_by_z("dcmqi_seg", "ct-3slice")
    volumes = [nrrd_labels(path) for path in label_maps]
    for spec in decoded.segments:
        truth = np.any([volume == spec.number for volume in volumes], axis=0)
        for index, ds in enumerate(slices):
            got = decoded.masks.get(SourceFrame(str(ds.SOPInstanceUID)), {})
            mask = got.get(spec.number, np.zeros_like(truth[index]))
            assert np.array_equal(mask, truth[index]), (spec.label, index)


def test_liver_matches_its_label_map() -> None:
    decoded = decode("dcmqi_seg", "liver.dcm")
    (liver,) = decoded.segments
    assert liver.label == "Liver"
    assert liver.type.meaning == "Liver"
    assert_matches_label_maps(decoded, [data_dir("dcmqi_seg", "liver_seg.nrrd")])
    source = slices_by_z("dcmqi_seg", "ct-3slice")[0]
    assert decoded.referenced_series_uid == source.SeriesInstanceUID
    assert decoded.frame_of_reference_uid == source.FrameOfReferenceUID
    assert decoded.study_uid == source.StudyInstanceUID


def test_partial_overlaps_match_their_label_maps() -> None:
    decoded = decode("dcmqi_seg", "partial_overlaps.dcm")
    assert [spec.label for spec in decoded.segments] == [
        "GREEN",
        "ORANGE",
        "PURPLE",
        "LIGHT_BLUE",
        "DARK_BLUE",
    ]
    assert decoded.segments[1].type == Code("51114001", "SCT", "Artery")
    maps = [data_dir("dcmqi_seg", f"partial_overlaps-{n}.nrrd") for n in (1, 2, 3)]
    assert_matches_label_maps(decoded, maps)
    overlapping = [m for m in decoded.masks.values() if len(m) > 1]
    assert overlapping, "the SEG's segments overlap on some slice"


def test_colours_come_back_from_cielab() -> None:
    decoded = decode("dcmqi_seg", "partial_overlaps.dcm")
    green = decoded.segments[0]
    red, green_value, blue = green.rgb
    assert green_value > red and green_value > blue


@pytest.mark.parametrize("name", ["sparse-labelmap-noppv.dcm", "sparse-labelmap-ppv5.dcm"])
def test_label_map_seg_decodes_without_background(name: str) -> None:
    decoded = decode("dcmqi_seg", name)
    assert [(s.number, s.label) for s in decoded.segments] == [(1, "Liver")]
    truth = nrrd_labels(data_dir("dcmqi_seg", name.replace("-", "_").replace(".dcm", "_seg.nrrd")))
    painted = sum(int(m[1].sum()) for m in decoded.masks.values())
    assert painted == int((truth == 1).sum()) > 0


def test_highdicom_label_map_with_palette_decodes_all_segments() -> None:
    decoded = decode("highdicom_seg", "seg", "seg_image_sm_control_labelmap_palette_color.dcm")
    assert [s.number for s in decoded.segments] == list(range(1, 21))
    found = {n for masks in decoded.masks.values() for n in masks}
    assert found and found <= set(range(1, 21))
    # No Recommended Display CIELab Value: the palette fills in.
    assert decoded.segments[0].color == default_color(1)


@pytest.mark.parametrize(
    "name",
    [
        "seg_image_ct_binary.dcm",
        "seg_image_ct_binary_overlap.dcm",
        "seg_image_ct_binary_single_frame.dcm",
        "seg_image_ct_binary_fractional.dcm",
        "seg_image_ct_true_fractional.dcm",
        "seg_image_cr_binary.dcm",
        "seg_image_sm_numbers.dcm",
        "seg_image_sm_control_labelmap.dcm",
    ],
)
def test_highdicom_segs_decode_to_non_empty_masks(name: str) -> None:
    ds = read("highdicom_seg", "seg", name)
    decoded = decode_seg(ds)
    described = [int(i.SegmentNumber) for i in ds.SegmentSequence if int(i.SegmentNumber) > 0]
    assert [s.number for s in decoded.segments] == described
    assert decoded.masks, "every highdicom test SEG references its source frames"
    assert all(
        mask.dtype == np.bool_ and mask.any() for m in decoded.masks.values() for mask in m.values()
    )


def test_overlapping_highdicom_seg_keeps_both_segments_on_shared_frames() -> None:
    decoded = decode("highdicom_seg", "seg", "seg_image_ct_binary_overlap.dcm")
    both = [m for m in decoded.masks.values() if set(m) == {1, 2}]
    assert both and any((m[1] & m[2]).any() for m in both)


def test_fractional_seg_is_thresholded_at_half() -> None:
    ds = read("highdicom_seg", "seg", "seg_image_ct_true_fractional.dcm")
    decoded = decode_seg(ds)
    maximum = int(ds.MaximumFractionalValue)
    stored = ds.pixel_array.reshape(-1, ds.Rows, ds.Columns).astype(np.int64)
    expected = sum(int((frame * 2 >= maximum).sum()) for frame in stored)
    assert sum(int(m[1].sum()) for m in decoded.masks.values()) == expected
    assert expected < sum(int((frame > 0).sum()) for frame in stored)
    assert len(decoded.notes) == 1 and "FRACTIONAL SEG imported as binary" in decoded.notes[0]


def test_binary_and_labelmap_segs_carry_no_note() -> None:
    assert decode("highdicom_seg", "seg", "seg_image_ct_binary.dcm").notes == ()
    assert decode("dcmqi_seg", "sparse-labelmap-ppv5.dcm").notes == ()


def test_orphan_seg_still_decodes() -> None:
    ds = read("dcmqi_seg", "orphan_seg_no_source", "seg_refs_13_missing_instances.dcm")
    decoded = decode_seg(ds)
    assert decoded.segments[0].label == "Neoplasm, Primary"
    assert decoded.content_creator == "User2"
    referenced = {
        item.ReferencedSOPInstanceUID
        for item in ds.ReferencedSeriesSequence[0].ReferencedInstanceSequence
    }
    assert {frame.sop_instance_uid for frame in decoded.masks} <= referenced
    assert decoded.masks


def test_seg_without_source_references_is_keyed_by_position() -> None:
    ds = read("dcmqi_seg", "liver.dcm")
    stripped = copy.deepcopy(ds)
    for item in stripped.PerFrameFunctionalGroupsSequence:
        del item.DerivationImageSequence
    decoded = decode_seg(stripped)
    assert decoded.masks == {}
    assert len(decoded.plane_positions) == 3
    z_values = sorted(position[2] for position in decoded.plane_positions)
    expected = sorted(
        round(float(ds_.ImagePositionPatient[2]), 4)
        for ds_ in slices_by_z("dcmqi_seg", "ct-3slice")
    )
    assert np.allclose(z_values, expected)


def test_decode_leaves_the_dataset_unchanged() -> None:
    ds = read("dcmqi_seg", "partial_overlaps.dcm")
    before = copy.deepcopy(ds)
    decode_seg(ds)
    assert ds == before
    assert type(ds) is type(before)


def test_round_trip_through_our_encoder() -> None:
    slices = slices_by_z("dcmqi_seg", "ct-3slice")
    frames = [SourceFrame(str(ds.SOPInstanceUID)) for ds in slices]
    specs = [
        SegmentSpec(1, "Liver", "#dd8265", *codes_for_label("liver")),
        SegmentSpec(2, "Cyst", "#42d4f4", *codes_for_label("cyst")),
    ]
    liver = np.zeros((3, 512, 512), dtype=np.bool_)
    liver[:, 100:300, 100:300] = True
    cyst = np.zeros_like(liver)
    cyst[1, 150:200, 150:200] = True
    seg = encode_seg(
        slices,
        frames,
        {1: liver, 2: cyst},
        specs,
        series_instance_uid=generate_uid(),
        sop_instance_uid=generate_uid(),
        instance_number=1,
        content_creator="Doe^Jane",
    )
    decoded = decode_seg(seg)
    assert decoded.segments == specs
    assert decoded.content_creator == "Doe^Jane"
    for index, frame in enumerate(frames):
        assert np.array_equal(decoded.masks[frame][1], liver[index])
    assert set(decoded.masks[frames[1]]) == {1, 2}
    assert np.array_equal(decoded.masks[frames[1]][2], cyst[1])


def test_not_a_seg_is_refused() -> None:
    ct = read("dcmqi_seg", "ct-3slice", "01.dcm")
    with pytest.raises(
        BadInput, match=r"not a segmentation: SOP Class UID is 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2$"
    ):
        decode_seg(ct)


def test_seg_without_segments_is_refused() -> None:
    ds = read("dcmqi_seg", "liver.dcm")
    ds.SegmentSequence = []
    with pytest.raises(BadInput, match="no segments"):
        decode_seg(ds)


def test_truncated_pixel_data_is_refused() -> None:
    ds = read("dcmqi_seg", "partial_overlaps.dcm")
    ds.PixelData = ds.PixelData[: len(ds.PixelData) // 2]
    with pytest.raises(BadInput, match="cannot be decoded"):
        decode_seg(ds)


def test_label_map_with_only_background_is_refused() -> None:
    ds = read("dcmqi_seg", "sparse-labelmap-noppv.dcm")
    ds.SegmentSequence = [ds.SegmentSequence[0]]
    with pytest.raises(BadInput, match="no segment besides the background"):
        decode_seg(ds)
