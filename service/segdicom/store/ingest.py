"""What gets in: parse a DICOM object, check it is usable, extract its index fields.

ARCHITECTURE "Store", rule 1: an object that cannot be parsed, or whose pixel data is
truncated or cannot be decoded, is refused with a reason. Non-image objects are
recognised here; the caller decides whether to keep them (C-STORE) or not (upload).

`check_part10` reads an uncompressed object only up to its pixel data: the header
gives the index fields, and the pixel data element's header gives its length,
which is all the truncation check needs; the pixel bytes themselves are never
copied or parsed. A compressed object is parsed in full and every frame decoded
once, which is what proves it can be.
"""

import io
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pydicom
from pydicom.dataset import Dataset, FileDataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels.utils import iter_pixels
from pydicom.uid import UID

from segdicom.errors import BadInput, SopClassMismatch, TooLarge
from segdicom.store.complete import check_complete, check_readable
from segdicom.uids import is_uid

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
MAX_FRAME_PIXELS = 16384 * 16384  # refuse a header claiming more before decoding anything
MAX_DECODED_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class InstanceInfo:
    """The index fields of one checked instance."""

    sop_instance_uid: str
    sop_class_uid: str
    study_uid: str
    series_uid: str
    modality: str
    patient_id: str
    patient_name: str
    study_date: str
    study_description: str
    accession_number: str
    series_description: str
    series_number: int | None
    instance_number: int | None
    rows: int
    columns: int
    num_frames: int
    transfer_syntax_uid: str
    is_image: bool

    @property
    def is_seg(self) -> bool:
        return self.sop_class_uid == SEG_SOP_CLASS


def parse_part10(data: bytes) -> Dataset:
    """Parse a DICOM Part 10 file (preamble, 'DICM', file meta) or raise BadInput,
    also when it was cut short or holds no readable data set."""
    ds = _read(data, io.BytesIO(data), stop_before_pixels=False)
    check_readable(data, ds, lambda: _read(data, io.BytesIO(data), stop_before_pixels=True))
    check_complete(data, ds)
    return ds


def check_part10(data: bytes) -> tuple[InstanceInfo, Dataset | None]:
    """Check a Part 10 file as `inspect_dataset(parse_part10(data))` does, reading an
    uncompressed one only up to its pixel data. Answers the checked fields and the
    header read (the dataset without its pixel data), or None when the object had
    to be parsed in full (compressed: its dataset holds the pixels)."""
    stream = io.BytesIO(data)  # shares `data`'s buffer: nothing is copied
    header = _read(data, stream, stop_before_pixels=True)
    pixels = _pixel_length(data, stream.tell(), header)
    if pixels == _FULL_PARSE:
        return inspect_dataset(parse_part10(data)), None
    if pixels is None:  # reading stopped at the end of the file: was it cut there?
        check_readable(data, header, None)
        check_complete(data, header)
    info = inspect_header(header, pixels)
    if isinstance(header, FileDataset):
        header.buffer = None  # it kept the stream, which holds the pixels: let them go
    return info, header


def inspect_header(ds: Dataset, pixel_bytes: int | None) -> InstanceInfo:
    """`inspect_dataset` of a dataset read up to its (uncompressed) pixel data, whose
    value holds `pixel_bytes` bytes (None: no pixel data)."""
    info = _checked(lambda: _index_fields(ds, has_pixels=pixel_bytes is not None))
    _check_meta(ds, info)
    if (info.is_image or info.is_seg) and pixel_bytes is not None:
        _checked_pixels(lambda: _check_pixels(ds, info, pixel_bytes))
    return info


_PIXEL_TAG = struct.pack("<HH", 0x7FE0, 0x0010)
# Pixel data lengths: _FULL_PARSE means the header-only path does not apply.
_FULL_PARSE = -1
# PS3.5 7.1.2: explicit VRs whose length field is 4 bytes (after 2 reserved bytes).
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT"})


def _pixel_length(data: bytes, at: int, header: Dataset) -> int | None:
    """The bytes present of the pixel data element at offset `at` (where reading
    stopped): None when there is none, _FULL_PARSE when this path cannot tell
    (compressed, deflated, big endian, undefined length, an odd element)."""
    ts = UID(str(header.file_meta.get("TransferSyntaxUID", "")))
    if not ts.is_transfer_syntax or ts.is_compressed or ts.is_deflated or not ts.is_little_endian:
        return _FULL_PARSE
    if at >= len(data):
        return None
    if at + 4 > len(data) or struct.unpack_from("<HH", data, at) != (0x7FE0, 0x0010):
        return _FULL_PARSE  # Float/DoubleFloat pixel data, or a cut element header
    header_length = 8 if ts.is_implicit_VR or bytes(data[at + 4 : at + 6]) not in _LONG_VRS else 12
    if at + header_length > len(data):
        raise BadInput(
            f"truncated pixel data: its element header is cut after {len(data) - at} bytes"
        )
    if ts.is_implicit_VR:
        length, value_at = int(struct.unpack_from("<I", data, at + 4)[0]), at + 8
    elif header_length == 12:
        length, value_at = int(struct.unpack_from("<I", data, at + 8)[0]), at + 12
    else:
        return _FULL_PARSE
    if length == 0xFFFFFFFF:
        return _FULL_PARSE  # encapsulated in a native syntax: let the full parse judge
    return min(length, len(data) - value_at)


def _read(data: bytes, stream: io.BytesIO, *, stop_before_pixels: bool) -> Dataset:
    """`stream` (over `data`) parsed as a Part 10 file, or BadInput."""
    if data[:2] == b"\x1f\x8b":
        raise BadInput("not DICOM: a gzip archive (unpack it first)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(stream, stop_before_pixels=stop_before_pixels)
    except InvalidDicomError:
        raise BadInput("not a DICOM file (no 'DICM' preamble and file meta header)") from None
    except struct.error:  # pydicom unpacking the short read of a cut element header
        what = "pixel data" if data.rfind(_PIXEL_TAG) >= len(data) - 12 else "data set"
        raise BadInput(f"truncated {what}: the file ends inside an element header") from None
    except Exception as exc:  # pydicom raises many kinds on corrupt input
        raise BadInput(f"cannot parse DICOM: {_short(exc)}") from None
    if "TransferSyntaxUID" not in ds.file_meta:
        raise BadInput("file meta has no Transfer Syntax UID (0002,0010)")
    return ds


def inspect_dataset(ds: Dataset) -> InstanceInfo:
    """Check identifiers and, for images and SEGs, that every frame decodes."""
    has_pixels = any(tag in ds for tag in PIXEL_TAGS)
    info = _checked(lambda: _index_fields(ds, has_pixels))
    _check_meta(ds, info)
    if info.is_image or info.is_seg:
        _checked_pixels(lambda: _check_pixels(ds, info, _pixel_bytes(ds)))
    return info


def _pixel_bytes(ds: Dataset) -> int | None:
    return len(ds.PixelData) if "PixelData" in ds else None


def _checked(read: Callable[[], InstanceInfo]) -> InstanceInfo:
    try:
        return read()
    except BadInput:
        raise
    except Exception as exc:  # a value pydicom could not convert (bad VR, odd text)
        raise BadInput(f"invalid header value: {_short(exc)}") from None


def _checked_pixels(check: Callable[[], None]) -> None:
    try:
        check()
    except BadInput:
        raise
    except Exception as exc:  # a header value that breaks the pixel checks
        raise BadInput(f"pixel data cannot be checked: {_short(exc)}") from None


def _check_meta(ds: Dataset, info: InstanceInfo) -> None:
    """PS3.10 7.1: the File Meta's Media Storage SOP Class and Instance UIDs are the
    data set's (for C-STORE, the meta holds the request's Affected SOP UIDs)."""
    meta = getattr(ds, "file_meta", None)
    if meta is None:
        return
    meta_class = str(meta.get("MediaStorageSOPClassUID", "") or "").strip("\x00 ")
    if meta_class and meta_class != info.sop_class_uid:
        raise SopClassMismatch(
            f"SOP Class UID mismatch: data set {info.sop_class_uid}, file meta {meta_class[:64]}"
        )
    meta_sop = str(meta.get("MediaStorageSOPInstanceUID", "") or "").strip("\x00 ")
    if meta_sop and meta_sop != info.sop_instance_uid:
        raise BadInput(
            f"SOP Instance UID mismatch: data set {info.sop_instance_uid}, "
            f"file meta {meta_sop[:64]}"
        )


def _index_fields(ds: Dataset, has_pixels: bool) -> InstanceInfo:
    ts = ds.file_meta.get("TransferSyntaxUID", "") if hasattr(ds, "file_meta") else ""
    frames = _strict_int(ds, "NumberOfFrames") or (1 if has_pixels else 0)
    return InstanceInfo(
        sop_instance_uid=_uid(ds, "SOPInstanceUID"),
        sop_class_uid=_uid(ds, "SOPClassUID"),
        study_uid=_uid(ds, "StudyInstanceUID"),
        series_uid=_uid(ds, "SeriesInstanceUID"),
        modality=_text(ds, "Modality", 16),
        patient_id=_text(ds, "PatientID", 64),
        patient_name=_text(ds, "PatientName", 324),
        study_date=_text(ds, "StudyDate", 8),
        study_description=_text(ds, "StudyDescription", 64),
        accession_number=_text(ds, "AccessionNumber", 16),
        series_description=_text(ds, "SeriesDescription", 64),
        series_number=_int(ds.get("SeriesNumber")),
        instance_number=_int(ds.get("InstanceNumber")),
        rows=_strict_int(ds, "Rows") or 0,
        columns=_strict_int(ds, "Columns") or 0,
        num_frames=frames,
        transfer_syntax_uid=str(ts),
        is_image=has_pixels and str(ds.get("SOPClassUID", "")) != SEG_SOP_CLASS,
    )


def _check_pixels(ds: Dataset, info: InstanceInfo, pixel_bytes: int | None) -> None:
    """`pixel_bytes`: the length of an uncompressed PixelData value (None: absent)."""
    if info.rows <= 0 or info.columns <= 0:
        raise BadInput(f"image has no usable Rows/Columns ({info.rows}x{info.columns})")
    if info.rows * info.columns > MAX_FRAME_PIXELS:
        raise TooLarge(
            f"too large: frame of {info.rows}x{info.columns} pixels, over the limit of "
            f"{MAX_FRAME_PIXELS} pixels per frame"
        )
    bits = _int(ds.get("BitsAllocated")) or 0
    samples = _int(ds.get("SamplesPerPixel")) or 1
    if bits not in (1, 8, 16, 32, 64):
        raise BadInput(f"unsupported Bits Allocated {bits}")
    # PS3.5 8.1.1: 1-bit pixels are packed, frame after frame with no padding between.
    expected = (info.rows * info.columns * samples * info.num_frames * bits + 7) // 8
    if expected > MAX_DECODED_BYTES:
        raise TooLarge(
            f"too large: pixel data would decode to {expected} bytes (limit {MAX_DECODED_BYTES})"
        )
    ts = UID(info.transfer_syntax_uid)
    if not ts.is_transfer_syntax:
        raise BadInput(f"unsupported transfer syntax: {_ts_name(ts)}")
    if ts.is_compressed:
        _decode_all_frames(ds, ts, info.num_frames)
    elif pixel_bytes is not None:
        if samples == 3 and ds.get("PhotometricInterpretation") == "YBR_FULL_422":
            # PS3.3 C.7.6.3.1.2: native YBR_FULL_422 stores one Cb and one Cr per two pixels.
            expected = expected * 2 // 3
        if pixel_bytes < expected:
            raise BadInput(f"truncated pixel data: {pixel_bytes} of {expected} bytes")


def _decode_all_frames(ds: Dataset, ts: UID, frames: int) -> None:
    """Decode every frame once; as many must decode as Number of Frames says."""
    decoded = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in iter_pixels(ds):
                decoded += 1
    except NotImplementedError:
        raise BadInput(f"unsupported compression: {_ts_name(ts)}") from None
    except Exception as exc:  # the cause first: a DIMSE Error Comment keeps 64 characters
        raise BadInput(f"undecodable pixel data: {ts.name}: {_short(exc)} ({ts})") from None
    if decoded < frames:  # fragments missing: pydicom decodes those present
        raise BadInput(f"truncated pixel data: {decoded} of {frames} frames ({_ts_name(ts)})")


def _ts_name(ts: UID) -> str:
    return f"{ts.name} ({ts})" if ts.name != str(ts) else str(ts)


def _uid(ds: Dataset, keyword: str) -> str:
    value = str(ds.get(keyword, "") or "").strip().rstrip("\x00")
    if not value:
        raise BadInput(f"missing {keyword}")
    if not is_uid(value):
        raise BadInput(f"invalid {keyword}: {value[:70]!r}")
    return value


def _text(ds: Dataset, keyword: str, limit: int) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).replace("\x00", "").strip()[:limit]


def _int(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None


def _strict_int(ds: Dataset, keyword: str) -> int | None:
    """An integer attribute that must be a number when present."""
    raw = ds.get(keyword)
    if raw is None or raw == "":
        return None
    value = _int(raw)
    if value is None or value < 0:
        raise BadInput(f"invalid {keyword}: {str(raw)[:40]!r}")
    return value


def _short(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return (" ".join(lines) or type(exc).__name__)[:300]
