"""A PACS that stays silent is told apart from one that aborts, over real sockets.

pynetdicom hands an empty status to the caller in both cases; Orthanc's abort of
an unknown caller is tested in test_dimse_end_to_end.py, the silent PACS here
with a pynetdicom SCP whose C-FIND handler outlasts our DIMSE timeout.
"""

import threading
from collections.abc import Iterator

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind  # type: ignore[attr-defined]
from tests.helpers import free_port

from segdicom.db.instances import StudyFilter
from segdicom.errors import PacsUnavailable
from segdicom.pacs.dimse import DimsePacs, DimsePeer

TIMEOUT = 1.0


@pytest.fixture
def silent_pacs() -> Iterator[int]:
    """A C-FIND SCP that answers nothing until the test ends; its port."""
    done = threading.Event()

    def stall(event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
        done.wait(5 * TIMEOUT)
        yield 0x0000, None

    ae = AE(ae_title="SILENT")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    port = free_port()
    server = ae.start_server(
        ("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_FIND, stall)]
    )
    assert server is not None  # block=False answers the running server
    try:
        yield port
    finally:
        done.set()
        server.shutdown()


def test_silent_pacs_is_a_timeout_not_an_unknown_aet(silent_pacs: int) -> None:
    peer = DimsePeer("SILENT", "127.0.0.1", silent_pacs, "SEGDICOM", timeout=TIMEOUT)
    with pytest.raises(PacsUnavailable) as raised:
        DimsePacs(peer).search_studies(StudyFilter(), 10, 0)
    assert raised.value.detail == (
        f"C-FIND: no answer from SILENT@127.0.0.1:{silent_pacs} within {TIMEOUT:g}s"
    )
