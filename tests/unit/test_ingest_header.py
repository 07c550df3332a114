"""The header-only check of what gets in judges every file as the full parse does."""

import pytest
from tests.helpers import dicom_files

from segdicom.errors import SegDicomError
from segdicom.store.ingest import InstanceInfo, check_part10, inspect_dataset, parse_part10

FOLDERS = (
    "pydicom_malformed",
    "ct_philips_phantom",
    "mr_transfer_syntaxes",
    "cornerstone_ct_transfer_syntaxes",
    "enhanced_multiframe",
    "dcmqi_seg",
    "highdicom_seg",
)


def _verdict(judge: object, data: bytes) -> InstanceInfo | str:
    try:
        info = judge(data)  # type: ignore[operator]
    except SegDicomError as exc:
        return f"refused: {exc.detail}"
    return info if isinstance(info, InstanceInfo) else info[0]


@pytest.mark.parametrize("folder", FOLDERS)
def test_header_only_check_accepts_and_refuses_what_the_full_parse_does(folder: str) -> None:
    for path in dicom_files(folder):
        data = path.read_bytes()
        full = _verdict(lambda d: inspect_dataset(parse_part10(d)), data)
        assert _verdict(check_part10, data) == full, path.name


def test_an_uncompressed_slice_cut_short_is_refused_without_reading_its_pixels() -> None:
    data = dicom_files("ct_philips_phantom")[0].read_bytes()
    info, header = check_part10(data)
    assert header is not None and "PixelData" not in header  # the header was enough
    assert info.is_image
    with pytest.raises(SegDicomError, match="truncated pixel data: 524188 of 524288 bytes"):
        check_part10(data[:-100])
