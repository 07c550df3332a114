"""Project, case, task and comment bodies and answers: the handlers of api/projects.py and
api/tasks.py parse with the request models, /openapi.json shows both."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictBool, Tag, field_validator

from segdicom.api.answers import Code
from segdicom.api.schemas import CodeIn, Color, Username
from segdicom.api.validation import (
    MAX_ID,
    MEMBER,
    NO_MEMBER,
    Id,
    Index,
    Line,
    Text,
    Uid,
    without_null,
)
from segdicom.enums import TaskState, Via

MAX_LABELS = 255
MAX_RULES = 100
MAX_CASES_PER_CALL = 1000
MAX_TEXT = 10_000


def _not_nullable(schema: dict[str, Any]) -> None:
    """/openapi.json: a field left out keeps its value (or takes the project default); null,
    its Python default, is no value a client may send."""
    for name, prop in schema.get("properties", {}).items():
        schema["properties"][name] = without_null(prop)


Pattern = Annotated[str, Line(64)]


class LabelIn(BaseModel):
    """One label of the project's fixed set; codes come from the label's preset unless given."""

    model_config = ConfigDict(extra="forbid")  # "colour" must not pass for an absent colour

    label: Annotated[str, Line(64)]
    color: Color | None = None
    category: CodeIn | None = None
    type: CodeIn | None = None
    number: Annotated[int, Field(ge=1, le=MAX_LABELS)] | None = Field(
        None,
        description="as a project answer gives it, so its labels can be sent back as they "
        "came; labels are numbered by their order, so it must be that position (from 1)",
    )


class RuleIn(BaseModel):
    """Every field given must match (case ignored): AE title and modality as whole values,
    descriptions as substrings; a pattern with `*`, `?` or `[` is a glob over the whole value."""

    model_config = ConfigDict(extra="forbid")

    calling_ae: Pattern | None = None
    modality: Pattern | None = None
    study_description: Pattern | None = None
    series_description: Pattern | None = None


class ProjectChange(BaseModel):
    """A project's fields; in a PATCH only the fields given change. None of them may be null:
    None stands for "left out" only."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_not_nullable)

    name: Annotated[str, Line(128)] | None = None
    description: Annotated[str, Text(MAX_TEXT)] | None = None
    labels: Annotated[list[LabelIn], Field(min_length=1, max_length=MAX_LABELS)] | None = None
    readers_per_case: Annotated[int, Field(ge=1, le=3, strict=True)] | None = Field(
        None, description="1-3; with more than one the readers are blinded to each other"
    )
    review_required: StrictBool | None = None
    export_on_approval: StrictBool | None = Field(
        None, description="approval sends the SEG to the PACS"
    )
    rules: Annotated[list[RuleIn], Field(max_length=MAX_RULES)] | None = Field(
        None, description="series pushed by C-STORE that match one become cases"
    )

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null (leave it out to keep its value)")
        return value

    @field_validator("labels")
    @classmethod
    def _distinct(cls, labels: list[LabelIn] | None) -> list[LabelIn] | None:
        seen: dict[str, str] = {}
        for n, label in enumerate(labels or [], 1):
            if label.number is not None and label.number != n:
                raise ValueError(
                    f"[{n - 1}] has number {label.number}, but labels are numbered by their "
                    f"order: it is {n} (leave `number` out)"
                )
            key = label.label.casefold()
            if key in seen:
                raise ValueError(f"must have distinct names: {label.label!r} repeats {seen[key]!r}")
            seen[key] = label.label
        return labels

    @field_validator("rules")
    @classmethod
    def _not_empty(cls, rules: list[RuleIn] | None) -> list[RuleIn] | None:
        for n, rule in enumerate(rules or []):
            if not rule.model_dump(exclude_none=True):
                raise ValueError(f"[{n}] must name at least one field")
        return rules


class ProjectIn(ProjectChange):
    name: Annotated[str, Line(128)]
    labels: Annotated[list[LabelIn], Field(min_length=1, max_length=MAX_LABELS)]


class CaseItem(BaseModel):
    series_uid: Uid
    study_uid: Uid


def _case_kind(value: object) -> str | None:
    if isinstance(value, str):
        return f"{MEMBER}uid"
    return f"{MEMBER}item" if isinstance(value, dict) else None


# Told apart by their JSON type, so that an error names the item and what is wrong with it
# rather than why it fits neither kind.
CaseRef = Annotated[
    Annotated[Uid, Tag(f"{MEMBER}uid")] | Annotated[CaseItem, Tag(f"{MEMBER}item")],
    Discriminator(
        _case_kind,
        custom_error_type=NO_MEMBER,
        custom_error_message="must be a series UID or an object {series_uid, study_uid}",
    ),
]


class CasesIn(BaseModel):
    """Series to add as cases: a UID, or {series_uid, study_uid} for one to pull."""

    series_uids: Annotated[list[CaseRef], Field(min_length=1, max_length=1000)]
    via: Via | None = Field(None, description="pull series not held locally from this PACS")


class TaskIn(BaseModel):
    case_id: Id
    assignee: Username


class TaskChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: Username


class ReviewIn(BaseModel):
    decision: Literal["approve", "request_changes"]
    comment: Annotated[str, Text(MAX_TEXT)] = Field(
        "", description="required to request changes: what to change"
    )
    version: Annotated[int, Field(ge=1, le=MAX_ID, strict=True)] | None = Field(
        None,
        description="the version of the reading's annotation the reviewer looked at: 409 when "
        "it has changed since (the decision is about what was seen)",
    )


class CommentIn(BaseModel):
    text: Annotated[str, Text(MAX_TEXT, least=1)]
    slice: Index | None = Field(None, description="the slice the comment is pinned to")
    point: (
        Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=2, max_length=2)] | None
    ) = Field(None, description="[row, column] on `slice`")


class ConsensusIn(BaseModel):
    method: Literal["staple", "majority"] = "staple"


class TasksQuery(BaseModel):
    project: Id | None = None
    assignee: str | None = Field(None, description="annotators see their own only")
    state: TaskState | None = None


class AgreementQuery(BaseModel):
    states: str | None = Field(
        None, description="comma-separated task states compared (default submitted,approved)"
    )


# -- answers ---------------------------------------------------------------------------


class Label(BaseModel):
    number: int
    label: str
    color: str
    category: Code
    type: Code


class Project(BaseModel):
    id: int
    name: str
    description: str
    labels: list[Label]
    readers_per_case: int
    blinded: bool
    review_required: bool
    export_on_approval: bool
    rules: list[dict[str, str]]
    created_by: str
    created_at: str


class ProjectDetail(Project):
    num_cases: int
    progress: dict[str, dict[str, int]] = Field(
        description="readings by reader and state (annotators see their own)"
    )


class CaseTask(BaseModel):
    id: int
    reader: str
    state: TaskState


class Case(BaseModel):
    id: int
    project_id: int
    series_uid: Uid
    study_uid: Uid
    readings: int
    source: str
    created_by: str
    created_at: str
    tasks: list[CaseTask] | None = None
    num_instances: int | None = Field(
        None, description="instances held locally (the case list; 0: its pull brought none)"
    )
    patient_name: str | None = Field(None, description="the case list; empty while none is held")
    patient_id: str | None = None
    study_date: str | None = Field(None, description="YYYYMMDD")
    modality: str | None = None
    series_description: str | None = None
    series_number: int | None = None


class Pull(BaseModel):
    series_uid: Uid
    study_uid: Uid
    job_id: str = Field(description="GET /api/jobs/{job_id} follows it")


class CasesAdded(BaseModel):
    added: list[Case]
    existing: list[str] = Field(description="series already cases of the project")
    pulling: list[Pull] = Field(description="cases whose series is being pulled")
    missing: list[str] = Field(description="series neither held nor pullable")


class Task(BaseModel):
    id: int
    project_id: int
    case_id: int
    series_uid: Uid
    study_uid: Uid
    annotation_id: int | None
    assignee: str
    slot: int
    state: TaskState
    lease_expires: str | None
    reviewed_by: str | None
    export_id: int | None
    export_error: str | None = Field(
        description="why the approved SEG was not sent to the PACS (null: it was, or the "
        "project does not send)"
    )
    created_at: str
    updated_at: str


class Comment(BaseModel):
    id: int
    annotation_id: int
    author: str
    text: str
    slice: int | None
    point: list[float] | None
    created_at: str
