"""What the main endpoints answer, as models: /openapi.json documents them, and the OpenAPI
test checks real answers against them (so the documentation cannot drift from the code)."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from segdicom.api.validation import Uid
from segdicom.enums import SegmentStatus
from segdicom.imaging.volume import LeftOut


class Error(BaseModel):
    """Every error: a short machine-readable kind and a sentence for people."""

    error: str = Field(examples=["bad_input"])
    detail: str = Field(examples=["`series_uid` is required"])


class Code(BaseModel):
    code: str
    scheme: str
    meaning: str


class Segment(BaseModel):
    number: int = Field(ge=1, le=255)
    label: str
    color: str = Field(pattern="^#[0-9a-f]{6}$")
    category: Code
    type: Code
    status: SegmentStatus = Field(description="where the annotator is with the segment")
    slices: list[int] | None = Field(
        None, description="slice indexes painted (in GET /api/annotations/{id} only)"
    )


class Reading(BaseModel):
    project_id: int
    case_id: int
    task_id: int | None = Field(description="null for the consensus of a case")
    reader: str | None
    state: str | None = Field(description="the task's state (todo ... approved, released)")


class Annotation(BaseModel):
    id: int
    series_uid: Uid
    study_uid: Uid
    version: int = Field(description="send it back in If-Match on every write")
    created_by: str
    created_at: str
    updated_at: str
    seg_series_uid: Uid
    segments: list[Segment]
    reading: Reading | None = Field(
        None,
        description="the project reading (or case consensus) it is, null outside projects "
        "(in GET /api/annotations and GET /api/annotations/{id})",
    )


class ImportedAnnotation(Annotation):
    imported_from: Uid
    unmatched_frames: int
    notes: list[str] = Field(
        description="how the SEG was read, e.g. a FRACTIONAL SEG made binary (empty if as is)"
    )


class SegmentAnswer(Segment):
    version: int


class Version(BaseModel):
    version: int


class Export(BaseModel):
    id: int
    annotation_id: int
    annotation_version: int
    sop_instance_uid: Uid
    series_instance_uid: Uid
    study_uid: Uid
    instance_number: int
    destination: Literal["local", "pacs"]
    status: Literal["local", "pending", "sent", "failed"]
    attempts: int
    error: str | None
    path: str = Field(description="relative to SEGDICOM_DATA_DIR")
    created_by: str = Field(description="who wrote the SEG (for an approval: the approver)")
    content_creator: str | None = Field(description="the SEG's Content Creator: who painted")
    approved_by: str | None = Field(description="the reviewer who approved the reading")
    created_at: str
    sent_at: str | None
    next_attempt_at: str | None
    segmentation_type: Literal["binary", "labelmap"]
    file_url: str
    sr_sop_instance_uid: Uid | None = Field(description="the measurement report, if any")
    sr_series_instance_uid: Uid | None
    sr_url: str | None = Field(description="GET it for the SR (DICOM Part 10)")


class Dataset(BaseModel):
    """A training dataset export (its zip)."""

    dataset_id: int
    format: Literal["nnunet", "nifti"]
    num_cases: int
    labels: dict[str, int] = Field(description='{"background": 0, label: value, ...}')
    size: int = Field(description="bytes of the zip")
    path: str = Field(description="relative to SEGDICOM_DATA_DIR")
    created_by: str
    created_at: str
    file_url: str


class DatasetResult(Dataset):
    """A dataset job's `result` once done."""

    notes: list[str] = Field(description="e.g. an irregular series and what its affine does")


class Accepted(BaseModel):
    job_id: str = Field(pattern="^[0-9a-f]{32}$")
    url: str


class Job(BaseModel):
    id: str
    kind: str
    state: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    error: str | None
    params: dict[str, Any]
    result: dict[str, Any] = Field(description="what the job made, e.g. `annotation_id`")


class Study(BaseModel):
    study_uid: Uid
    patient_id: str | None = None
    patient_name: str | None = None
    study_date: str | None = None
    modalities: list[str] | None = None
    description: str | None = None
    accession: str | None = None
    num_series: int | None = None
    num_instances: int | None = None


class SeriesSummary(BaseModel):
    series_uid: Uid
    study_uid: Uid | None = None
    modality: str | None = None
    description: str | None = None
    series_number: int | None = None
    num_instances: int | None = None
    is_image: bool | None = None


class SliceInfo(BaseModel):
    sop_instance_uid: Uid
    frame: int = Field(ge=1, description="1-based frame of a multi-frame instance")
    position: list[float] | None


class Window(BaseModel):
    name: str
    center: float
    width: float


class Geometry(BaseModel):
    """What makes a series irregular: gantry tilt, uneven spacing, gaps."""

    regular: bool
    tilt_degrees: float
    spacing_min: float = Field(description="smallest step between slices along the normal, mm")
    spacing_max: float = Field(description="largest step between slices along the normal, mm")
    missing_slices: int
    shared_positions: int = Field(
        description="frames of the volume at the position of another: 0, since the volume keeps "
        "one image per position and leaves the others out (`excluded`)"
    )
    pixel_spacing_known: bool = Field(
        description="false when no image has a usable Pixel Spacing: 1 mm is assumed, so "
        "distances, areas and volumes are in pixels"
    )


class ExcludedImage(BaseModel):
    """An image of the series that is not in its volume, and why."""

    sop_instance_uid: Uid
    reason: LeftOut
    detail: str = Field(
        description="for another image at its position: what sets its stack apart from the "
        "one in the volume, e.g. 'echo number 2, not 1'; else empty"
    )
    frames: list[int] = Field(
        description="the frames left out (1-based) of a multi-frame image whose other frames "
        "are in the volume; empty: the whole image"
    )


class Planes(BaseModel):
    """A reformat's regular grid: pixel (r, c) of plane i lies at origin + i * plane_spacing *
    plane_normal + r * pixel_spacing[0] * column_direction + c * pixel_spacing[1] *
    row_direction."""

    planes: int
    rows: int
    columns: int
    pixel_spacing: list[float]
    plane_spacing: float
    origin: list[float]
    row_direction: list[float]
    column_direction: list[float]
    plane_normal: list[float]


class Reformats(BaseModel):
    sagittal: Planes
    coronal: Planes


class Series(BaseModel):
    series_uid: Uid
    study_uid: Uid
    modality: str
    rows: int
    columns: int
    dtype: str = Field(description="numpy dtype of the slice values, e.g. int16")
    num_slices: int
    spacing: list[float]
    orientation: list[float] | None
    frame_of_reference_uid: str | None
    invert: bool = Field(description="MONOCHROME1: draw inverted")
    slices: list[SliceInfo]
    windows: list[Window]
    geometry: Geometry
    reformat: Reformats
    excluded: list[ExcludedImage] = Field(
        description="images of the series left out of the volume: another size or orientation, "
        "or another image at their position (a series with two echoes, time points or image "
        "types at each position: the volume keeps one stack, the most images, the first on a tie)"
    )


class UploadedSeries(BaseModel):
    series_uid: Uid
    study_uid: Uid
    modality: str
    num_instances: int
    received: int


class Rejected(BaseModel):
    name: str
    reason: str


class Upload(BaseModel):
    series: list[UploadedSeries]
    rejected: list[Rejected]


class UploadRefused(Error, Upload):
    """No file could be stored: the error (naming the first refused file) and the lists."""


class SegSummary(BaseModel):
    sop_instance_uid: Uid
    series_uid: Uid
    study_uid: Uid
    description: str
    content_label: str
    content_creator: str
    instance_number: int | None
    segments: list[str]
    source: Literal["local", "pacs"]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: str
    data_dir: str
    pacs: str | None
    pacs_vias: list[str]
    scp: bool


class Me(BaseModel):
    username: str
    role: str
    via: str
    csrf_token: str | None


class Token(BaseModel):
    id: int
    name: str
    revoked: bool
    created_at: str


class NewToken(Token):
    token: str = Field(description="the secret, shown once")


class User(BaseModel):
    username: str
    role: str
    disabled: bool
    has_password: bool
    created_at: str


class Preset(BaseModel):
    label: str
    color: str
    category: Code
    type: Code
    synonyms: list[str]


class BoundingBox(BaseModel):
    """Inclusive [first, last] index ranges of the painted voxels."""

    slices: tuple[int, int]
    rows: tuple[int, int]
    columns: tuple[int, int]


class SegmentStatistics(BaseModel):
    """One segment's figures; the image figures are null for an empty segment."""

    number: int
    label: str
    voxels: int
    volume_mm3: float = Field(description="each slice counts its own thickness")
    volume_ml: float
    mean: float | None = Field(description="modality units (HU for CT)")
    sd: float | None = Field(description="population standard deviation")
    min: float | None
    max: float | None
    median: float | None
    bbox: BoundingBox | None
    slices: list[int] = Field(description="the painted slice indexes, ascending")
    max_diameter_mm: float = Field(description="between voxel centres, patient coordinates")


class Statistics(BaseModel):
    annotation_id: int
    segments: list[SegmentStatistics]
    pixel_spacing_known: bool = Field(
        description="false when the images carry no usable Pixel Spacing: 1 mm is assumed, "
        "so mm, mm³ and mL are in pixels"
    )


class ChangedSlices(BaseModel):
    segment: int = Field(description="in a split's preview, new islands are -1, -2, ...")
    slices: list[int]


class PreviewMask(BaseModel):
    segment: int
    slice: int
    mask: str = Field(description="base64 of the mask format (zlib of packed bits)")


class OperationDone(BaseModel):
    operation: str
    preview: bool
    version: int | None = Field(description="the new version; null for a preview")
    changed: list[ChangedSlices]
    created: list[int] = Field(description="segments a split made")
    masks: list[PreviewMask] | None = Field(None, description="with preview only")
