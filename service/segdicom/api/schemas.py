"""Request bodies and query strings: the handlers parse with these, /openapi.json shows them.

Unknown body fields are ignored (as they always were); empty query parameters count as absent.
"""

import re
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
)
from pydantic import WithJsonSchema as Schema

from segdicom.api.validation import Id, Line, Uid
from segdicom.auth.identity import ROLES, check_username
from segdicom.enums import Destination, SegmentStatus, Via
from segdicom.errors import BadInput
from segdicom.workflows.annotations import COLOR

Role = Literal["annotator", "reviewer", "admin"]
assert set(get_args(Role)) == set(ROLES)


def _color(value: str) -> str:
    if not COLOR.fullmatch(value):
        raise ValueError("must be '#rrggbb'")
    return value


def _date(value: str) -> str:
    """A study date as DICOM writes it (DA, PS3.5 6.2): YYYYMMDD; YYYY-MM-DD is accepted."""
    text = value.strip()
    digits = text.replace("-", "") if _ISO_DATE.fullmatch(text) else text
    if text and not (digits.isdigit() and len(digits) == 8 and _is_date(digits)):
        raise ValueError("must be a date YYYYMMDD or YYYY-MM-DD")
    return digits


def _is_date(digits: str) -> bool:
    try:
        datetime.strptime(digits, "%Y%m%d")
    except ValueError:
        return False
    return True


def _username(value: str) -> str:
    try:
        return check_username(value)
    except BadInput as exc:  # the same words, as a ValueError pydantic reports
        raise ValueError(exc.detail.removeprefix("username ").rsplit(", got ", 1)[0]) from None


Color = Annotated[
    str,
    AfterValidator(_color),
    Schema({"type": "string", "pattern": "^#[0-9a-fA-F]{6}$", "examples": ["#e6194b"]}),
]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
StudyDate = Annotated[
    str,
    AfterValidator(_date),
    Schema({"type": "string", "pattern": r"^(\d{8}|\d{4}-\d{2}-\d{2})?$"}),
]
Username = Annotated[
    str,
    AfterValidator(_username),
    Schema({"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"}),
]


class CodeIn(BaseModel):
    """A coded concept (PS3.3 8.8): e.g. SCT 10200004 "Liver"."""

    code: Annotated[str, Line(16)]
    scheme: Annotated[str, Line(16)]
    meaning: Annotated[str, Line(64)]


class CreateAnnotation(BaseModel):
    series_uid: Uid = Field(description="a series held in the local store")


class SegmentIn(BaseModel):
    """A segment to create or change; a field left out keeps its value (codes follow a new
    label from its preset unless given). `label` is required for a new segment."""

    label: Annotated[str, Line(64)] | None = None
    color: Color | None = None
    category: CodeIn | None = None
    type: CodeIn | None = None
    status: SegmentStatus | None = Field(None, description="where the annotator is with it")

    @field_validator("color", mode="before")
    @classmethod
    def _empty_color_is_absent(cls, value: object) -> object:
        return None if value == "" else value  # as before: "" keeps the colour


class ExportIn(BaseModel):
    destination: Destination = Field(Destination.LOCAL, description="pacs also queues delivery")
    segmentation_type: Literal["binary", "labelmap"] = Field(
        "binary",
        description="labelmap writes a Label Map SEG (Supplement 243): segments must not overlap",
    )
    measurements: StrictBool = Field(
        False, description="also write a TID 1500 measurement report (SR) beside the SEG"
    )


class DatasetIn(BaseModel):
    """A training dataset to export: for each series, its latest annotation."""

    model_config = ConfigDict(extra="forbid")  # a misspelt filter must not widen the export

    format: Literal["nnunet", "nifti"] = Field(
        description="nnunet: nnU-Net v2 layout; nifti: MONAI-style pairs and datalist.json"
    )
    series_uids: list[Uid] = Field(default_factory=list, max_length=1000)
    project_id: Id | None = Field(
        None,
        description="each case of the project: its latest reading in `states`",
    )
    states: list[Annotated[str, Line(32)]] = Field(
        default_factory=list,
        max_length=16,
        description="task states of the readings taken, with project_id (default approved)",
    )
    labels: list[Annotated[str, Line(64)]] = Field(
        default_factory=list,
        max_length=255,
        description="only these labels, valued 1, 2, ... in this order (default: every label)",
    )


class RetrieveIn(BaseModel):
    study_uid: Uid
    via: Via = Via.DICOMWEB


class ImportSegIn(BaseModel):
    sop_instance_uid: Uid = Field(description="a SEG of the local store")


class PacsImportIn(BaseModel):
    study_uid: Uid | None = Field(None, description="may be left out when the series is held")
    via: Via = Via.DICOMWEB


class LoginIn(BaseModel):
    username: str
    password: str


class TokenIn(BaseModel):
    name: Annotated[str, Field(max_length=64)] = ""


class UserIn(BaseModel):
    username: Username
    role: Role = "annotator"
    password: str = Field("", description="empty: the user logs in through the proxy only")


class UserChange(BaseModel):
    """Only the fields given change."""

    disabled: bool | None = None
    role: Role | None = None
    password: str | None = None


class LegacySaveIn(BaseModel):
    """The original /save_mask body."""

    mask: list[Any] = Field(description="rows x columns integers (0 or a segment number)")
    labels: list[Any] | dict[str, Any] | None = Field(
        None, description="segment labels: a list (segment 1 first) or {number: label}"
    )


class SourceQuery(BaseModel):
    source: Destination = Field(Destination.LOCAL, description="where to look")


class StudyQuery(SourceQuery):
    patient_id: str = ""
    patient_name: str = ""
    modality: str = ""
    date_from: StudyDate = Field("", description="YYYYMMDD or YYYY-MM-DD")
    date_to: StudyDate = Field("", description="YYYYMMDD or YYYY-MM-DD")
    accession: str = ""
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10**9)


class SegsQuery(SourceQuery):
    study_uid: Uid | None = Field(None, description="with source=pacs, when not held locally")


class SeriesQuery(BaseModel):
    series_uid: Uid | None = None


class ExportsQuery(BaseModel):
    annotation_id: Id | None = None


class LogQuery(SeriesQuery):
    since: str | None = Field(None, description="ISO 8601 date or time; naive is UTC")
