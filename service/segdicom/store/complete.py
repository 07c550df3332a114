"""Is a parsed data set whole? What pydicom does not say about a file cut short.

pydicom reads a data set that ends early without an error: a value cut short is
kept short, an element header cut short ends the data set, and a file ending
inside encapsulated pixel data (no sequence delimiter) loses every element
(a warning only). Garbage after a valid File Meta parses into an element or
two with odd tags. These checks look only at the last element read and at the
bytes after it, so they cost nothing per element.
"""

import struct
from collections.abc import Callable

from pydicom.datadict import dictionary_has_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pydicom.uid import UID

from segdicom.errors import BadInput

# SOP Class, SOP Instance, Study and Series Instance UIDs: a data set with none of
# them is not one that was read wrong in a detail, but one not read at all.
_IDENTIFYING = (0x00080016, 0x00080018, 0x0020000D, 0x0020000E)
_PIXEL_DATA_TAG = struct.pack("<HH", 0x7FE0, 0x0010)
_ELEMENT_HEADER = 8  # the shortest (PS3.5 7.1.1-7.1.3); long explicit VRs take 12
_PREAMBLE_AND_GROUP_LENGTH = 128 + 4 + 12  # preamble, 'DICM', (0002,0000) UL


def check_readable(data: bytes, ds: Dataset, header: Callable[[], Dataset] | None) -> None:
    """Refuse a data set holding none of the UIDs every object has and no element
    of the DICOM dictionary: empty, corrupt, or cut inside its encapsulated pixel
    data (`header` reads the file up to its pixel data, which then has them)."""
    if any(tag in ds for tag in _IDENTIFYING):
        return
    if header is not None and any(tag in header() for tag in _IDENTIFYING):
        raise BadInput("truncated pixel data: the file ends inside its encapsulated pixel data")
    rest = _data_set_bytes(data, ds)
    if rest == 0:
        raise BadInput("empty data set: the file holds only its File Meta Information")
    start = len(data) - rest if rest is not None else None
    if start is not None and data[start : start + 2] == b"\x1f\x8b":
        raise BadInput("corrupt data set: gzip data after the File Meta Information")
    # Tags, not `for element in ds`, which would convert every raw element.
    if any(dictionary_has_tag(tag) or Tag(tag).is_private for tag in ds.keys()):  # noqa: SIM118
        return  # read, but without its UIDs: the caller names the one missing
    size = f" ({rest} bytes)" if rest is not None else ""
    raise BadInput(f"corrupt data set: no DICOM element readable after the File Meta{size}")


def check_complete(data: bytes, ds: Dataset) -> None:
    """Refuse a data set whose last element runs past the end of the file, or after
    which the file ends inside an element header (PS3.5 7.1: a data set is a run
    of whole elements). A file cut exactly between two elements cannot be told."""
    meta = getattr(ds, "file_meta", None)
    ts = UID(str(meta.get("TransferSyntaxUID", ""))) if meta is not None else UID("")
    if not len(ds) or not ts.is_transfer_syntax or ts.is_deflated:
        return  # deflated: the offsets pydicom keeps are in the inflated data
    tag = list(ds.keys())[-1]  # the last read: dict order is file order
    element = ds.get_item(tag)
    if element is None or _undefined_length(element):
        _check_delimited(data, Tag(tag), ts)
        return
    end = _end(element)
    if end is None:
        return
    if end > len(data):
        length = end - _value_at(element)
        left = len(data) - _value_at(element)
        if Tag(tag) == 0x7FE00010:
            raise BadInput(f"truncated pixel data: {left} of {length} bytes")
        raise BadInput(f"truncated data set: element {Tag(tag)} needs {length} bytes, {left} left")
    left = len(data) - end
    if 0 < left < _ELEMENT_HEADER:
        tail = bytes(data[end:])
        if _PIXEL_DATA_TAG.startswith(tail[:4]) and ts.is_little_endian:
            raise BadInput(f"truncated pixel data: its element header is cut after {left} bytes")
        raise BadInput(f"truncated data set: an element header cut after {left} bytes")


def _check_delimited(data: bytes, tag: object, ts: UID) -> None:
    """An undefined-length last element (a sequence, encapsulated pixel data) that
    pydicom read to its end: the file ends with its Sequence Delimitation Item."""
    order = "<" if ts.is_little_endian else ">"
    delimiter = struct.pack(f"{order}HHI", 0xFFFE, 0xE0DD, 0)
    if not bytes(data[-len(delimiter) :]) == delimiter:
        raise BadInput(f"truncated data set: element {tag} ends without its sequence delimiter")


def _undefined_length(element: RawDataElement | DataElement) -> bool:
    if isinstance(element, RawDataElement):
        return bool(element.length == 0xFFFFFFFF)
    return bool(element.is_undefined_length)


def _value_at(element: RawDataElement | DataElement) -> int:
    if isinstance(element, RawDataElement):
        return int(element.value_tell)
    return int(element.file_tell or 0)


def _end(element: RawDataElement | DataElement) -> int | None:
    """Where the element's value ends in the file; None when that is not known (an
    element pydicom already converted, other than an empty one)."""
    if isinstance(element, RawDataElement):
        return int(element.value_tell) + int(element.length)
    if element.file_tell is not None and element.is_empty:
        return int(element.file_tell)
    return None


def _data_set_bytes(data: bytes, ds: Dataset) -> int | None:
    """How many bytes follow the File Meta Information (None: its length is unknown)."""
    meta = getattr(ds, "file_meta", None)
    group_length = meta.get("FileMetaInformationGroupLength") if meta is not None else None
    if not isinstance(group_length, int) or data[128:132] != b"DICM":
        return None
    return max(0, len(data) - _PREAMBLE_AND_GROUP_LENGTH - group_length)
