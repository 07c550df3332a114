"""What gets in: objects cut short, missing frames, meta that contradicts its data
set and unreadable data sets are refused, each for what is actually wrong."""

import gzip
import io

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import RLELossless
from tests.helpers import data_dir
from tests.synthetic_ct import ct_header, new_uids, part10

from segdicom.errors import BadInput, SopClassMismatch
from segdicom.store.ingest import check_part10

PIXEL_TAG = b"\xe0\x7f\x10\x00"


def _refusal(data: bytes) -> str:
    with pytest.raises(BadInput) as caught:
        check_part10(data)
    return caught.value.detail


def _ct(shape: tuple[int, int] = (64, 64), frames: int = 1) -> pydicom.Dataset:
    ds = ct_header(
        new_uids(), 0, patient=("P", "P^P"), position=(0, 0, 0), spacing=(1, 1), thickness=1,
        shape=shape,
    )  # fmt: skip
    if frames > 1:
        ds.NumberOfFrames = frames
    values = np.arange(frames * shape[0] * shape[1], dtype=np.int16) % 300
    ds.PixelData = values.tobytes()
    return ds


def _rtplan() -> pydicom.Dataset:
    ds = pydicom.dcmread(data_dir("pydicom_malformed", "rtplan.dcm"))
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID  # its own meta disagrees
    return ds


def test_a_1_bit_seg_cut_short_is_refused_as_truncated_pixel_data() -> None:
    data = data_dir("dcmqi_seg", "liver.dcm").read_bytes()
    assert check_part10(data)[0].is_seg
    assert _refusal(data[:-60000]) == "truncated pixel data: 38304 of 98304 bytes"


def test_a_non_image_whose_last_element_runs_past_the_end_is_refused() -> None:
    data = part10(_rtplan())
    assert not check_part10(data)[0].is_image  # whole, it is kept (C-STORE)
    assert _refusal(data[:-40]) == "truncated data set: element (300C,0060) needs 82 bytes, 60 left"
    assert "truncated data set: an element header cut" in _refusal(data[:-13])


@pytest.mark.parametrize("after_tag", [0, 2, 6, 10])
def test_an_image_cut_inside_its_pixel_data_header_is_refused_not_kept_as_non_image(
    after_tag: int,
) -> None:
    data = part10(_ct())
    at = data.rindex(PIXEL_TAG)
    reason = _refusal(data[: at + 4 + after_tag] if after_tag else data[: at + 2])
    assert reason.startswith("truncated pixel data"), reason


def test_a_compressed_multiframe_missing_frames_or_cut_inside_them_is_refused() -> None:
    ds = _ct(shape=(16, 16), frames=4)
    ds.compress(RLELossless)
    data = part10(ds)
    assert check_part10(data)[0].num_frames == 4
    fragments = list(generate_frames(ds.PixelData, number_of_frames=4))
    ds.PixelData = encapsulate(fragments[:3])  # one frame gone, the delimiter kept
    assert _refusal(part10(ds)).startswith("truncated pixel data: 3 of 4 frames")
    assert _refusal(data[:-30]).startswith("truncated pixel data: the file ends inside")


def _as_filed(ds: pydicom.Dataset) -> bytes:
    """A Part 10 file with the File Meta as it is (pydicom would correct it)."""
    buffer = io.BytesIO()
    ds.preamble = b"\x00" * 128
    ds.save_as(buffer, enforce_file_format=False)
    return buffer.getvalue()


def test_file_meta_that_contradicts_its_data_set_is_refused_naming_both() -> None:
    ds = _ct()
    sop = ds.SOPInstanceUID
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.999"
    assert (
        _refusal(_as_filed(ds)) == f"SOP Instance UID mismatch: data set {sop}, file meta 1.2.3.999"
    )
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"  # MR
    with pytest.raises(SopClassMismatch, match=r"data set 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2,"):
        check_part10(_as_filed(ds))


def test_unreadable_data_sets_are_named_for_what_they_are() -> None:
    whole = part10(_ct())
    meta_end = whole.index(b"\x08\x00")  # the data set's first element, group 0008
    meta = whole[:meta_end]
    assert _refusal(meta).startswith("empty data set")
    assert _refusal(meta + b"\xff" * 64 + whole[meta_end:]).startswith("corrupt data set")
    assert _refusal(meta + gzip.compress(whole[meta_end:])).startswith("corrupt data set: gzip")
