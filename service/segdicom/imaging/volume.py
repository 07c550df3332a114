"""A series as a volume: sorted frames, one output dtype, the modality LUT applied.

Slices are decoded on demand (`read_slice`), so the first slice of a long series
is served without decoding the rest.
"""

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixels.utils import pixel_array

from segdicom.errors import TooLarge, Unprocessable
from segdicom.imaging.geometry import FrameRef, Orientation, frames_of, slice_spacing, sort_frames
from segdicom.imaging.grid import ReformatGrid, reformat_grid
from segdicom.imaging.spacing import (
    SeriesGeometry,
    position_numbers,
    series_geometry,
    slice_thicknesses,
)
from segdicom.imaging.stacks import Stack, one_per_position
from segdicom.imaging.windows import Window, presets

DTYPES = ("uint8", "int16", "uint16", "int32", "float32")


class LeftOut(StrEnum):
    """Why an image of the series is not in its volume."""

    OTHER_SIZE = "other size"  # rows x columns differ from those of most of the series' frames
    OTHER_ORIENTATION = "other orientation"  # e.g. a localizer among axial slices
    SAME_POSITION = "another image at its position"  # a second echo, time point, type ...


@dataclass(frozen=True)
class ExcludedImage:
    sop_instance_uid: str
    reason: LeftOut
    detail: str = ""  # e.g. what sets its stack apart: "echo number 2, not 1"
    frames: tuple[int, ...] = ()  # 1-based, when other frames of the image are in the volume


@dataclass(frozen=True)
class Volume:
    series_uid: str
    study_uid: str
    modality: str
    rows: int
    columns: int
    dtype: str
    frames: tuple[FrameRef, ...]
    spacing: tuple[float, float, float]  # row spacing, column spacing, slice spacing (mm)
    orientation: Orientation | None
    invert: bool  # MONOCHROME1: higher values are darker (PS3.3 C.7.6.3.1.2)
    color: bool  # colour source, served as luminance
    header_windows: tuple[tuple[float, float, str], ...]
    frame_of_reference_uid: str
    geometry: SeriesGeometry  # tilt, spacing range, gaps along the normal
    grid: ReformatGrid  # where the sagittal and coronal reformats sample
    token: str = ""  # changes when the series' instances change (cache keys, ETags)
    excluded: tuple[ExcludedImage, ...] = ()  # the series' images the volume leaves out
    # False when no frame has a usable Pixel Spacing (nor Imager Pixel Spacing): 1 mm is
    # assumed, so distances, areas and volumes are in pixels, not millimetres.
    pixel_spacing_known: bool = True

    @property
    def num_slices(self) -> int:
        return len(self.frames)

    @property
    def slice_bytes(self) -> int:
        return self.rows * self.columns * np.dtype(self.dtype).itemsize

    def slice_thicknesses(self) -> np.ndarray:
        """Each slice's thickness along the normal (mm, Voronoi): the weight of its voxels
        in volumes and statistics (imaging/spacing.py)."""
        return slice_thicknesses(self.frames, self.orientation, self.spacing[2])

    def windows(self, sample: np.ndarray | None) -> list[Window]:
        return presets(self.modality, self.header_windows, sample)


def build_volume(
    series_uid: str,
    headers: Sequence[tuple[str, Dataset]],
    max_slices: int,
) -> Volume:
    """Lay out the frames of a series' files (path, header) as a volume."""
    headers = [(p, ds) for p, ds in headers if _is_image(ds)]
    if not headers:
        raise Unprocessable(f"series {series_uid} has no images to show")
    rows, columns = _common_size(headers)
    sized = [(p, ds) for p, ds in headers if _same_size(ds, rows, columns)]
    first = sized[0][1]
    frames = [f for p, ds in sized for f in frames_of(ds, p)]
    ordered, orientation = sort_frames(frames)
    excluded = _left_out(headers, frames, ordered, rows, columns)
    split = one_per_position(ordered, position_numbers(ordered, orientation).tolist(), _stack_of)
    ordered = split.kept
    excluded += _same_position(split.left_out, ordered)
    if len(ordered) > max_slices:
        raise TooLarge(f"series has {len(ordered)} slices, more than the limit of {max_slices}")
    pixel = ordered[0].pixel_spacing or (1.0, 1.0)
    spacing = (pixel[0], pixel[1], slice_spacing(ordered, orientation))
    geometry = series_geometry(ordered, orientation, spacing[2])
    return Volume(
        series_uid=series_uid,
        study_uid=str(first.StudyInstanceUID),
        modality=str(first.get("Modality", "")),
        rows=rows,
        columns=columns,
        dtype=_output_dtype(first, ordered),
        frames=tuple(ordered),
        spacing=spacing,
        orientation=orientation,
        invert=str(first.get("PhotometricInterpretation", "")) == "MONOCHROME1",
        color=int(first.get("SamplesPerPixel", 1)) > 1,
        header_windows=ordered[0].windows,
        frame_of_reference_uid=str(first.get("FrameOfReferenceUID", "")),
        geometry=geometry,
        grid=reformat_grid(ordered, orientation, (rows, columns), spacing, geometry),
        excluded=excluded,
        pixel_spacing_known=ordered[0].pixel_spacing is not None,
    )


def _common_size(headers: Sequence[tuple[str, Dataset]]) -> tuple[int, int]:
    """The rows x columns most frames have: a localizer of another size that happens to come
    first must not push the series' own slices out."""
    counts: Counter[tuple[int, int]] = Counter()
    for _, ds in headers:
        counts[(int(ds.Rows), int(ds.Columns))] += int(ds.get("NumberOfFrames") or 1)
    return counts.most_common(1)[0][0]


def _left_out(
    headers: Sequence[tuple[str, Dataset]],
    frames: Sequence[FrameRef],
    ordered: Sequence[FrameRef],
    rows: int,
    columns: int,
) -> tuple[ExcludedImage, ...]:
    """The images of another size, then those whose frames all lie in another orientation."""
    kept = {f.sop_instance_uid for f in ordered}
    other_size = [
        ExcludedImage(str(ds.SOPInstanceUID), LeftOut.OTHER_SIZE)
        for _, ds in headers
        if not _same_size(ds, rows, columns)
    ]
    other_orientation = [
        ExcludedImage(uid, LeftOut.OTHER_ORIENTATION)
        for uid in dict.fromkeys(f.sop_instance_uid for f in frames)
        if uid not in kept
    ]
    return tuple(other_size + other_orientation)


def _stack_of(frame: FrameRef) -> Stack:
    return frame.stack


def _same_position(
    left_out: Sequence[tuple[FrameRef, str]], kept: Sequence[FrameRef]
) -> tuple[ExcludedImage, ...]:
    """One entry per image and reason; the frame numbers when the image is also in the volume."""
    in_volume = {f.sop_instance_uid for f in kept}
    grouped: dict[tuple[str, str], list[int]] = {}
    for frame, why in left_out:
        grouped.setdefault((frame.sop_instance_uid, why), []).append(frame.frame + 1)
    return tuple(
        ExcludedImage(
            uid, LeftOut.SAME_POSITION, why, tuple(sorted(numbers)) if uid in in_volume else ()
        )
        for (uid, why), numbers in grouped.items()
    )


def read_slice(volume: Volume, index: int, resolve: Callable[[str], Path]) -> np.ndarray:
    """Slice `index` after the modality LUT, as a (rows, columns) array of volume.dtype."""
    ref = volume.frames[index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            raw = _decode_frame(resolve(ref.path), ref.frame)
        except FileNotFoundError:
            raise  # not the file's content: it is gone (api/errors.py names it)
        except Exception as exc:
            raise Unprocessable(f"slice {index} cannot be decoded: {exc}") from None
    if volume.color:
        raw = _luminance(raw)
    return apply_modality_lut(raw, ref.slope, ref.intercept, volume.dtype)


def _decode_frame(path: Path, frame: int) -> np.ndarray:
    """One frame, read from the file without loading the others."""
    try:
        return pixel_array(str(path), index=frame)
    except AttributeError:
        # pydicom's frame reader does not inflate Deflated Explicit VR Little
        # Endian (PS3.5 A.5) and finds no Pixel Data: read the whole dataset.
        return pixel_array(pydicom.dcmread(path), index=frame)


def apply_modality_lut(raw: np.ndarray, slope: float, intercept: float, dtype: str) -> np.ndarray:
    """Rescale slope/intercept (PS3.3 C.11.1), cast to the volume's dtype."""
    if slope == 1.0 and intercept == 0.0:
        return raw.astype(dtype, copy=False)
    if np.dtype(dtype).kind == "f":
        return (raw.astype(np.float32) * np.float32(slope) + np.float32(intercept)).astype(dtype)
    values = raw.astype(np.int64) * int(slope) + int(intercept)
    return values.astype(dtype)


def _output_dtype(first: Dataset, frames: Sequence[FrameRef]) -> str:
    """The smallest dtype that holds every stored value after every frame's rescale."""
    if int(first.get("SamplesPerPixel", 1)) > 1:
        return "uint8"
    bits = int(first.get("BitsStored", first.get("BitsAllocated", 16)))
    signed = int(first.get("PixelRepresentation", 0)) == 1
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    if int(first.get("BitsAllocated", 16)) == 32 and "FloatPixelData" in first:
        return "float32"
    lows, highs = [], []
    for frame in frames:
        if not (float(frame.slope).is_integer() and float(frame.intercept).is_integer()):
            return "float32"
        ends = (low * frame.slope + frame.intercept, high * frame.slope + frame.intercept)
        lows.append(min(ends))
        highs.append(max(ends))
    lo, hi = min(lows), max(highs)
    for name in ("uint8", "int16", "uint16", "int32"):
        info = np.iinfo(name)
        if info.min <= lo and hi <= info.max:
            return name
    return "float32"


def _luminance(rgb: np.ndarray) -> np.ndarray:
    # ITU-R BT.601 luma; pydicom has already converted YBR to RGB.
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    luma: np.ndarray = np.clip(rgb[..., :3].astype(np.float32) @ weights, 0, 255)
    return luma.astype(np.uint8)


def read_header(path: Path) -> Dataset:
    """The header of a stored file, without its pixel data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds: Dataset = pydicom.dcmread(path, stop_before_pixels=True)
        return ds


def _is_image(ds: Dataset) -> bool:
    return str(ds.get("Modality", "")) != "SEG" and int(ds.get("Rows", 0) or 0) > 0


def _same_size(ds: Dataset, rows: int, columns: int) -> bool:
    return int(ds.Rows) == rows and int(ds.Columns) == columns
