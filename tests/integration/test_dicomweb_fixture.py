"""The Orthanc fixture itself: real process, DICOMweb answering, restart keeps storage."""

from tests.helpers import dicom_files
from tests.orthanc import OrthancFactory


def test_orthanc_fixture_serves_dicomweb_and_survives_restart(
    orthanc_factory: OrthancFactory,
) -> None:
    server = orthanc_factory(modalities={"SEGDICOM": ["SEGDICOM", "127.0.0.1", 11112]})
    assert server.rest("GET", "/modalities") == ["SEGDICOM"]
    first = dicom_files("ct_philips_phantom")[0]
    assert server.upload(first)["Status"] == "Success"
    port = server.http_port
    server.restart()
    assert server.http_port == port
    assert len(server.rest("GET", "/instances")) == 1
    assert server.rest("GET", "/dicom-web/studies")
