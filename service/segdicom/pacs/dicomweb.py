"""The PACS over DICOMweb: QIDO-RS search, WADO-RS retrieve, STOW-RS store (PS3.18).

Search and store go through dicomweb-client's public API with a requests
session built here (credentials, timeouts). A series is retrieved with one
streaming WADO-RS request read by `pacs.multipart`, so each instance is handed
over as Part 10 bytes as soon as it has arrived, without re-encoding.
"""

import contextlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pydicom
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from requests.exceptions import ChunkedEncodingError

from segdicom.config import Settings
from segdicom.enums import Destination
from segdicom.errors import PacsRefused, PacsStopped, PacsUnavailable
from segdicom.pacs.answers import series_info, study_info
from segdicom.pacs.multipart import boundary_of, iter_parts
from segdicom.pacs.protocol import OnInstance, SeriesInfo, StudyInfo, StudyQuery
from segdicom.seg.describe import SegDescription, describe_seg, referenced_series

log = logging.getLogger("segdicom.pacs")

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
# PS3.18 8.7.3.5.2: transfer-syntax=* asks for the stored syntax, no transcoding.
ACCEPT_DICOM = 'multipart/related; type="application/dicom"; transfer-syntax=*'
CHUNK = 1024 * 1024

# PS3.18 Table 10.6.3-3/-4: the attributes of a study and a series answer.
STUDY_FIELDS = (
    "StudyInstanceUID",
    "PatientID",
    "PatientName",
    "StudyDate",
    "ModalitiesInStudy",
    "StudyDescription",
    "AccessionNumber",
    "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
)
SERIES_FIELDS = (
    "SeriesInstanceUID",
    "StudyInstanceUID",
    "Modality",
    "SeriesDescription",
    "SeriesNumber",
    "NumberOfSeriesRelatedInstances",
)


def make_session(settings: Settings) -> requests.Session:
    """A requests session carrying the PACS credentials of the settings."""
    session = requests.Session()
    if settings.dicomweb_token:
        session.headers["Authorization"] = f"Bearer {settings.dicomweb_token}"
    elif settings.dicomweb_username:
        session.auth = (settings.dicomweb_username, settings.dicomweb_password)
    return session


class DicomWebPacs:
    """A DICOMweb archive at `url`, reached with `session`; satisfies `Pacs`."""

    def __init__(self, url: str, session: requests.Session, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.session = session
        self.timeout = timeout
        self.client = DICOMwebClient(self.url, session=session, timeout=timeout)
        # The outbox owns retries and backoff; a search should fail fast.
        self.client.set_http_retry_params(retry=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> "DicomWebPacs":
        return cls(settings.dicomweb_url, make_session(settings), settings.pacs_timeout)

    @property
    def name(self) -> str:
        return self.url

    def close(self) -> None:
        self.session.close()

    # -- QIDO-RS ---------------------------------------------------------------------

    def search_studies(self, flt: StudyQuery, limit: int, offset: int) -> list[StudyInfo]:
        params = {**qido_filters(flt), "limit": str(limit), "offset": str(offset)}
        found = self._qido("/studies", params, STUDY_FIELDS, "search studies")
        return [study_from_json(item) for item in found]

    def search_series(self, study_uid: str) -> list[SeriesInfo]:
        what = f"search the series of study {study_uid}"
        found = self._qido(f"/studies/{study_uid}/series", {}, SERIES_FIELDS, what)
        rows = [series_from_json(item) for item in found]
        return sorted(rows, key=lambda r: (r.series_number is None, r.series_number or 0))

    def series_instances(self, study_uid: str, series_uid: str) -> list[str]:
        path = f"/studies/{study_uid}/series/{series_uid}/instances"
        found = self._qido(path, {}, ("SOPInstanceUID",), f"list the instances of {series_uid}")
        return [value(item, "00080018") for item in found]

    def _qido(
        self, path: str, params: dict[str, str], fields: Sequence[str], what: str
    ) -> list[dict[str, Any]]:
        """A QIDO-RS search. The query string is built here, not by dicomweb-client,
        because it percent-encodes `*` and `?`, and Orthanc then matches them literally."""
        query = [*params.items(), *(("includefield", f) for f in fields)]
        url = f"{self.url}{path}?{urlencode(query, quote_via=quote, safe='*?,')}"
        with self._errors(what):
            response = self.session.get(
                url, headers={"Accept": "application/dicom+json"}, timeout=self.timeout
            )
            response.raise_for_status()
            found = response.json() if response.content else []
        if not isinstance(found, list):
            raise PacsRefused(f"PACS {self.url} answered {what} with {type(found).__name__}")
        return found

    # -- WADO-RS ---------------------------------------------------------------------

    def retrieve_series(
        self, study_uid: str, series_uid: str, on_instance: OnInstance, skip: set[str]
    ) -> int:
        """The whole series in one request, or, when some are held, only the missing ones."""
        base = f"{self.url}/studies/{study_uid}/series/{series_uid}"
        if not skip:
            return self._retrieve(base, on_instance)
        missing = [u for u in self.series_instances(study_uid, series_uid) if u not in skip]
        return sum(self._retrieve(f"{base}/instances/{uid}", on_instance) for uid in missing)

    def _retrieve(self, url: str, on_instance: OnInstance) -> int:
        count = 0
        with self._errors(f"retrieve {url}"), self._get_stream(url) as response:
            boundary = boundary_of(response.headers.get("Content-Type", ""))
            try:
                for part in iter_parts(response.iter_content(CHUNK), boundary):
                    on_instance(part)
                    count += 1
            except (PacsStopped, requests.ConnectionError, ChunkedEncodingError) as exc:
                # The connection closed or timed out mid-answer: say how far it got.
                raise PacsStopped(
                    f"PACS {self.url} stopped answering after {count} instances of {url}",
                    received=count,
                ) from exc
        return count

    @contextlib.contextmanager
    def _get_stream(self, url: str) -> Iterator[requests.Response]:
        response = self.session.get(
            url, headers={"Accept": ACCEPT_DICOM}, stream=True, timeout=self.timeout
        )
        try:
            response.raise_for_status()
            yield response
        finally:
            response.close()

    # -- STOW-RS ---------------------------------------------------------------------

    def store(self, data: Path | bytes) -> None:
        """STOW-RS one object; PacsRefused unless the PACS lists it as stored."""
        ds = _read(data)
        uid = str(ds.SOPInstanceUID)
        with self._errors(f"store instance {uid}"):
            answer = self.client.store_instances([ds], study_instance_uid=ds.StudyInstanceUID)
        # PS3.18 10.5.3: a refused instance is listed in FailedSOPSequence (0008,1198).
        failed = {
            str(i.get("ReferencedSOPInstanceUID", "")): i.get("FailureReason")
            for i in answer.get("FailedSOPSequence", [])
        }
        if uid in failed:
            reason = failed[uid]
            raise PacsRefused(
                f"PACS {self.url} refused to store instance {uid}"
                + (f" (failure reason 0x{int(reason):04X})" if reason is not None else ""),
                dimse_status=int(reason) if reason is not None else None,
            )

    # -- SEGs that reference a series ------------------------------------------------

    def find_segs(self, study_uid: str, series_uid: str) -> list[SegDescription]:
        segs = self._qido(
            f"/studies/{study_uid}/instances",
            {"SOPClassUID": SEG_SOP_CLASS},
            ("SeriesInstanceUID",),
            f"search the SEGs of study {study_uid}",
        )
        found = []
        for item in segs:
            meta = self._instance_metadata(
                study_uid, value(item, "0020000E"), value(item, "00080018")
            )
            if series_uid in referenced_series(meta):
                found.append(describe_seg(meta, Destination.PACS))
        return found

    def _instance_metadata(self, study_uid: str, series_uid: str, sop_uid: str) -> Dataset:
        with self._errors(f"read the metadata of instance {sop_uid}"):
            meta = self.client.retrieve_instance_metadata(study_uid, series_uid, sop_uid)
        return Dataset.from_json(meta)

    # -- errors ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """requests' exceptions as PacsUnavailable / PacsRefused naming the PACS."""
        try:
            yield
        except requests.HTTPError as exc:
            status = _status(exc.response)
            body = exc.response.text[:200] if exc.response is not None else ""
            raise PacsRefused(
                f"PACS {self.url} answered HTTP {status or '?'} to: {what} {body}".strip(),
                http_status=status,
            ) from None
        except requests.Timeout:
            raise PacsUnavailable(
                f"PACS {self.url} did not answer within {self.timeout:g}s: {what}"
            ) from None
        except requests.ConnectionError as exc:
            raise PacsUnavailable(
                f"PACS {self.url} is unreachable ({_reason(exc)}): {what}"
            ) from None
        except (ValueError, KeyError) as exc:
            raise PacsRefused(
                f"PACS {self.url} gave an unreadable answer to: {what} ({exc})"
            ) from None


def _status(response: requests.Response | None) -> HTTPStatus | None:
    if response is None:
        return None
    try:
        return HTTPStatus(response.status_code)
    except ValueError:  # a code outside the registry: keep the number in the message only
        return None


def _reason(exc: requests.ConnectionError) -> str:
    text = str(exc)
    for reason in ("Connection refused", "Name or service not known", "Connection reset"):
        if reason in text:
            return reason.lower()
    return type(exc).__name__


def _read(data: Path | bytes) -> Dataset:
    source = BytesIO(data) if isinstance(data, bytes) else data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(source)


# -- QIDO-RS JSON (PS3.18 F.2) <-> the service's fields -----------------------------


def qido_filters(flt: StudyQuery) -> dict[str, str]:
    """QIDO-RS match parameters: wildcard matching (PS3.4 C.2.2.2.4), date range."""
    filters: dict[str, str] = {}
    for key, text in (
        ("PatientName", flt.patient_name),
        ("PatientID", flt.patient_id),
        ("AccessionNumber", flt.accession),
    ):
        if text:
            filters[key] = text if ("*" in text or "?" in text) else f"*{text}*"
    if flt.modality:
        filters["ModalitiesInStudy"] = flt.modality
    if flt.date_from or flt.date_to:
        # PS3.4 C.2.2.2.5: range matching "from-to", either side may be empty.
        filters["StudyDate"] = f"{flt.date_from}-{flt.date_to}"
    return filters


def value(item: dict[str, Any], tag: str) -> str:
    """The first value of an attribute in DICOM JSON, as text ("" when absent)."""
    values = item.get(tag, {}).get("Value") or []
    if not values:
        return ""
    first = values[0]
    if isinstance(first, dict):  # PN: {"Alphabetic": ...}
        return str(first.get("Alphabetic", ""))
    return str(first)


def values(item: dict[str, Any], tag: str) -> list[str]:
    return [str(v) for v in item.get(tag, {}).get("Value") or []]


def _int(item: dict[str, Any], tag: str) -> int | None:
    text = value(item, tag)
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


class _JsonAttributes:
    """A DICOM JSON answer (PS3.18 F.2: attributes by tag) read by keyword."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item

    def text(self, keyword: str) -> str:
        return value(self.item, _tag(keyword))

    def texts(self, keyword: str) -> list[str]:
        return values(self.item, _tag(keyword))

    def number(self, keyword: str) -> int | None:
        return _int(self.item, _tag(keyword))


def _tag(keyword: str) -> str:
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(f"no DICOM keyword {keyword!r}")
    return f"{tag:08X}"


def study_from_json(item: dict[str, Any]) -> StudyInfo:
    return study_info(_JsonAttributes(item))


def series_from_json(item: dict[str, Any]) -> SeriesInfo:
    return series_info(_JsonAttributes(item))
