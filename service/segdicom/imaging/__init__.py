"""Series -> volume: frame geometry, sorting along the normal, modality LUT, windows."""

from segdicom.imaging.cache import VolumeCache
from segdicom.imaging.geometry import FrameRef, sort_frames
from segdicom.imaging.spacing import SeriesGeometry, series_geometry, slice_thicknesses
from segdicom.imaging.volume import Volume, build_volume, read_header, read_slice
from segdicom.imaging.windows import Window

__all__ = [
    "FrameRef",
    "SeriesGeometry",
    "Volume",
    "VolumeCache",
    "Window",
    "build_volume",
    "read_header",
    "read_slice",
    "series_geometry",
    "slice_thicknesses",
    "sort_frames",
]
