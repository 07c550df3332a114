"""SegDICOM: a DICOM segmentation annotator that lives next to a PACS."""

from segdicom.config import Settings
from segdicom.errors import (
    BadInput,
    Conflict,
    NotFound,
    PacsRefused,
    PacsUnavailable,
    SegDicomError,
    TooLarge,
)

__version__ = "0.1.0"

__all__ = [
    "BadInput",
    "Conflict",
    "NotFound",
    "PacsRefused",
    "PacsUnavailable",
    "SegDicomError",
    "Settings",
    "TooLarge",
    "__version__",
]
