"""The Part 10 file the SCP stores: the data set as received behind a File Meta header."""

import io

import pydicom
import pytest
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import evt
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.presentation import build_context

from segdicom.pacs.dimse_scp import part10

DATA_SET = b"\x08\x00\x18\x00UI\x08\x001.2.3.4\x00"  # (0008,0018) in explicit VR LE


def store_event(sop_instance: str, transfer_syntax: str) -> evt.Event:
    request = C_STORE()
    request.MessageID = 1
    request.AffectedSOPClassUID = CTImageStorage
    request.AffectedSOPInstanceUID = sop_instance
    request.DataSet = io.BytesIO(DATA_SET)
    context = build_context(CTImageStorage, transfer_syntax)
    context.context_id = 1
    entry = {"request": request, "context": context.as_tuple, "_is_cancelled": None}
    return evt.Event(None, evt.EVT_C_STORE, entry)  # type: ignore[arg-type]


@pytest.mark.parametrize("sop_instance", ["1.2.3.4", "1.2.3.45"])  # odd and even lengths
@pytest.mark.parametrize("transfer_syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
def test_part10_is_byte_for_byte_what_pynetdicom_encodes(
    sop_instance: str, transfer_syntax: str
) -> None:
    event = store_event(sop_instance, transfer_syntax)
    assert part10(event) == event.encoded_dataset()


def test_part10_reads_back_with_the_request_uids() -> None:
    event = store_event("1.2.3.45", ExplicitVRLittleEndian)
    ds = pydicom.dcmread(io.BytesIO(part10(event)))
    assert ds.file_meta.MediaStorageSOPClassUID == CTImageStorage
    assert ds.file_meta.MediaStorageSOPInstanceUID == "1.2.3.45"
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert ds.SOPInstanceUID == "1.2.3.4"
