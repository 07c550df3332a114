"""A series with several images at each position (echoes, time points, magnitude and field
map) becomes a volume of one image per position; the others are left out, saying why."""

import pydicom
from pydicom.dataset import Dataset
from tests.helpers import dicom_files
from tests.synthetic_ct import ct_header, new_uids

from segdicom.imaging.volume import LeftOut, Volume, build_volume

POSITIONS = 6


def _echo_series(echoes: int = 2, *, numbered: bool = True) -> list[tuple[str, Dataset]]:
    """`echoes` images at each of 6 positions 2 mm apart, Instance Numbers interleaving the
    echoes in an order that a sort by position alone would mix (2 before 1 at some)."""
    uids = new_uids()
    headers = []
    for k in range(POSITIONS):
        for echo in range(1, echoes + 1):
            number = k * echoes + (echoes - echo if k % 2 else echo - 1)
            ds = ct_header(
                uids, number, patient=("P", "P^P"), position=(0, 0, 2.0 * k), spacing=(1, 1),
                thickness=2, shape=(8, 8),
            )  # fmt: skip
            if numbered:
                ds.EchoNumbers, ds.EchoTime = echo, 10.0 * echo
            headers.append((f"{k}-{echo}.dcm", ds))
    return headers


def _echo_of(volume: Volume, headers: list[tuple[str, Dataset]]) -> list[int]:
    by_uid = {str(ds.SOPInstanceUID): ds for _, ds in headers}
    return [int(by_uid[f.sop_instance_uid].EchoNumbers) for f in volume.frames]


def test_two_echoes_at_each_position_make_a_volume_of_echo_1_and_leave_echo_2_out() -> None:
    headers = _echo_series()
    volume = build_volume("1.2.3", headers, 100)
    assert volume.num_slices == POSITIONS
    assert _echo_of(volume, headers) == [1] * POSITIONS
    assert volume.geometry.regular and volume.spacing[2] == 2.0
    assert volume.geometry.shared_positions == 0
    assert len(volume.excluded) == POSITIONS
    assert {e.reason for e in volume.excluded} == {LeftOut.SAME_POSITION}
    assert {e.detail for e in volume.excluded} == {"echo number 2, not 1; echo time 20.0, not 10.0"}
    assert all(e.frames == () for e in volume.excluded)


def test_an_echo_missing_at_one_position_still_keeps_the_fuller_echo() -> None:
    headers = _echo_series(3)
    headers = [(p, ds) for p, ds in headers if not (ds.EchoNumbers == 1 and p.startswith("2-"))]
    volume = build_volume("1.2.3", headers, 100)
    assert volume.num_slices == POSITIONS
    assert _echo_of(volume, headers) == [2] * POSITIONS  # echo 1 lacks a position
    assert len(volume.excluded) == 2 * POSITIONS - 1


def test_images_at_one_position_told_apart_by_nothing_are_kept_by_order() -> None:
    headers = _echo_series(numbered=False)
    volume = build_volume("1.2.3", headers, 100)
    assert volume.num_slices == POSITIONS
    kept = {f.sop_instance_uid for f in volume.frames}
    first = {
        str(ds.SOPInstanceUID)
        for k in range(POSITIONS)
        for ds in [min((d for p, d in headers if p.startswith(f"{k}-")), key=_number)]
    }
    assert kept == first  # the lower Instance Number at each position
    assert {e.detail for e in volume.excluded} == {"order at its position 2, not 1"}


def _number(ds: Dataset) -> int:
    return int(ds.InstanceNumber)


def test_a_cine_loop_at_one_position_keeps_every_frame() -> None:
    headers = _echo_series()[:2]  # both echoes of one position: nothing to order by position
    volume = build_volume("1.2.3", headers, 100)
    assert volume.num_slices == 2 and volume.excluded == ()


def test_philips_magnitude_and_field_map_frames_become_the_magnitude_volume() -> None:
    [path] = dicom_files("enhanced_multiframe", "mr_philips_achieva")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    volume = build_volume("1.2.3", [(str(path), ds)], 1000)
    assert volume.num_slices == 32
    frame_type = [
        ds.PerFrameFunctionalGroupsSequence[f.frame].MRImageFrameTypeSequence[0].FrameType[3]
        for f in volume.frames
    ]
    assert frame_type == ["M"] * 32
    [left_out] = volume.excluded
    assert left_out.frames == tuple(range(33, 65))
    assert "FIELD_MAP, not ORIGINAL\\PRIMARY\\T1\\M" in left_out.detail


def test_siemens_time_points_in_four_files_become_the_first_time_point() -> None:
    paths = dicom_files("enhanced_multiframe", "mr_siemens_xa10")
    headers = [(str(p), pydicom.dcmread(p, stop_before_pixels=True)) for p in paths]
    volume = build_volume("1.2.3", headers, 1000)
    first = next(ds for _, ds in headers if int(ds.InstanceNumber) == 1)
    assert volume.num_slices == 6
    assert {f.sop_instance_uid for f in volume.frames} == {str(first.SOPInstanceUID)}
    assert len(volume.excluded) == 3 and all(e.frames == () for e in volume.excluded)
    assert any("temporal position 4, not 1" in e.detail for e in volume.excluded)


def test_a_second_station_overlapping_the_first_by_two_slices_keeps_the_whole_length() -> None:
    """Acquisition 1 covers positions 0-5, acquisition 2 positions 4-11: one volume of 12
    slices, acquisition 1's two images where acquisition 2 is too left out."""
    uids = new_uids()
    headers = []
    for acquisition, positions in ((1, range(0, 6)), (2, range(4, 12))):
        for k in positions:
            ds = ct_header(
                uids, 100 * acquisition + k, patient=("P", "P^P"), position=(0, 0, 2.0 * k),
                spacing=(1, 1), thickness=2, shape=(8, 8),
            )  # fmt: skip
            ds.AcquisitionNumber = acquisition
            headers.append((f"{acquisition}-{k}.dcm", ds))
    volume = build_volume("1.2.3", headers, 100)
    by_uid = {str(ds.SOPInstanceUID): ds for _, ds in headers}
    kept = [(int(by_uid[f.sop_instance_uid].AcquisitionNumber), f.position) for f in volume.frames]
    assert [a for a, _ in kept] == [1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]
    assert volume.geometry.regular and volume.num_slices == 12
    assert [e.detail for e in volume.excluded] == ["acquisition 1, not 2"] * 2
