"""What the original SegDICOM API (/upload, /slice, /save_mask) answers, as models."""

from pydantic import BaseModel, Field

from segdicom.api.answers import Upload
from segdicom.api.validation import Uid


class LegacyUpload(Upload):
    volume_id: Uid = Field(description="the largest series' UID")
    num_slices: int


class LegacySlice(BaseModel):
    pixel_data: list[int] = Field(description="rows x columns 8-bit windowed values")
    rows: int
    columns: int
    num_frames: int
    mask: list[int] | None = Field(description="rows x columns segment numbers, or null")
    labels: dict[str, str]


class LegacySeg(BaseModel):
    export_id: int
    sop_instance_uid: Uid
    path: str
    file_url: str


class LegacySaved(BaseModel):
    message: str
    annotation_id: int
    seg: LegacySeg | None
