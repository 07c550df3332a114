"""Per-frame geometry and slice order.

Slices are sorted by their position projected on the slice normal
(normal = row direction x column direction, PS3.3 C.7.6.2.1.1), never by z
alone, file name or Instance Number: a sagittal series has constant z order
meaningless, and file names are arbitrary.
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from pydicom.dataset import Dataset

from segdicom.imaging.stacks import Stack, frame_stack, image_stack

Vector3 = tuple[float, float, float]
Orientation = tuple[float, float, float, float, float, float]
ORIENTATION_TOLERANCE = 1e-3


@dataclass(frozen=True)
class FrameRef:
    """Where one 2D frame lives and how to read it."""

    path: str
    sop_instance_uid: str
    frame: int  # 0-based index within the file
    instance_number: int | None
    position: Vector3 | None
    orientation: Orientation | None
    pixel_spacing: tuple[float, float] | None
    slice_thickness: float | None
    slope: float = 1.0
    intercept: float = 0.0
    windows: tuple[tuple[float, float, str], ...] = field(default=())
    slice_location: float | None = None  # (0020,1041), informative only (PS3.3 C.7.6.2.1)
    stack: Stack = ()  # what tells its stack apart from others at its position (imaging/stacks.py)


def frames_of(ds: Dataset, path: str) -> list[FrameRef]:
    """Every frame of a (header-only) dataset with its own geometry."""
    uid = str(ds.SOPInstanceUID)
    number = _int(ds.get("InstanceNumber"))
    count = _int(ds.get("NumberOfFrames")) or 1
    image = image_stack(ds)
    if "PerFrameFunctionalGroupsSequence" in ds or "SharedFunctionalGroupsSequence" in ds:
        return [_enhanced_frame(ds, path, uid, number, i, image) for i in range(count)]
    base = FrameRef(
        path=path,
        sop_instance_uid=uid,
        frame=0,
        instance_number=number,
        position=_vector(ds.get("ImagePositionPatient"), 3),  # type: ignore[arg-type]
        orientation=_vector(ds.get("ImageOrientationPatient"), 6),  # type: ignore[arg-type]
        pixel_spacing=_spacing(ds),
        slice_thickness=_float(ds.get("SliceThickness")),
        slice_location=_float(ds.get("SliceLocation")),
        slope=_float(ds.get("RescaleSlope")) or 1.0,
        intercept=_float(ds.get("RescaleIntercept")) or 0.0,
        windows=_windows(ds),
        stack=image,
    )
    # A legacy multi-frame object without functional groups (e.g. NM, US cine)
    # has one geometry for all frames; keep them in stored order.
    return [_replace_frame(base, i) for i in range(count)]


def _replace_frame(ref: FrameRef, index: int) -> FrameRef:
    from dataclasses import replace

    return replace(ref, frame=index)


def _enhanced_frame(
    ds: Dataset, path: str, uid: str, number: int | None, i: int, image: Stack
) -> FrameRef:
    """PS3.3 C.7.6.16: per-frame groups override the shared ones."""
    groups = _groups(ds, i)
    position = _from_groups(groups, "PlanePositionSequence", "ImagePositionPatient")
    orientation = _from_groups(groups, "PlaneOrientationSequence", "ImageOrientationPatient")
    spacing = _from_groups(groups, "PixelMeasuresSequence", "PixelSpacing")
    thickness = _from_groups(groups, "PixelMeasuresSequence", "SliceThickness")
    slope = _from_groups(groups, "PixelValueTransformationSequence", "RescaleSlope")
    intercept = _from_groups(groups, "PixelValueTransformationSequence", "RescaleIntercept")
    voi = [g.FrameVOILUTSequence[0] for g in groups if g.get("FrameVOILUTSequence")]
    pair = _vector(spacing, 2)
    return FrameRef(
        path=path,
        sop_instance_uid=uid,
        frame=i,
        instance_number=number,
        position=_vector(position, 3),  # type: ignore[arg-type]
        orientation=_vector(orientation, 6),  # type: ignore[arg-type]
        pixel_spacing=(pair[0], pair[1]) if pair else _spacing(ds),
        slice_thickness=_float(thickness),
        slope=_float(slope) or _float(ds.get("RescaleSlope")) or 1.0,
        intercept=_float(intercept) or _float(ds.get("RescaleIntercept")) or 0.0,
        windows=_windows(voi[0]) if voi else _windows(ds),
        stack=frame_stack(groups, image),
    )


def _groups(ds: Dataset, i: int) -> list[Dataset]:
    groups: list[Dataset] = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame is not None and i < len(per_frame):
        groups.append(per_frame[i])
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        groups.append(shared[0])
    return groups


def _from_groups(groups: list[Dataset], sequence: str, keyword: str) -> object:
    for group in groups:
        items = group.get(sequence)
        if items and keyword in items[0]:
            return items[0].get(keyword)
    return None


def sort_frames(frames: list[FrameRef]) -> tuple[list[FrameRef], Orientation | None]:
    """Keep the frames of the dominant orientation and sort them along its normal.

    Frames without geometry fall back to (Instance Number, frame) order.
    Returns the sorted frames and the orientation they share.
    """
    oriented = [f for f in frames if f.orientation is not None and f.position is not None]
    if not oriented or len(oriented) < len(frames):
        key = lambda f: (f.instance_number or 0, f.frame, f.sop_instance_uid)  # noqa: E731
        return sorted(frames, key=key), None
    dominant = _dominant_orientation(oriented)
    normal = slice_normal(dominant)
    same = [f for f in oriented if _close(f.orientation, dominant)]

    def along_normal(f: FrameRef) -> tuple[float, int, int, str]:
        depth = float(np.dot(np.asarray(f.position), normal))
        return (round(depth, 4), f.instance_number or 0, f.frame, f.sop_instance_uid)

    return sorted(same, key=along_normal), dominant


def slice_normal(orientation: Orientation) -> np.ndarray:
    row, col = np.asarray(orientation[:3]), np.asarray(orientation[3:])
    normal = np.cross(row, col)
    norm = float(np.linalg.norm(normal))
    return normal / norm if norm > 0 else np.array([0.0, 0.0, 1.0])


def slice_spacing(frames: list[FrameRef], orientation: Orientation | None) -> float:
    """Median distance between neighbouring slices along the normal (or the thickness)."""
    if orientation is not None and len(frames) > 1:
        normal = slice_normal(orientation)
        depths = np.array([np.dot(np.asarray(f.position), normal) for f in frames])
        gaps = np.diff(depths)
        gaps = gaps[np.abs(gaps) > 1e-4]
        if gaps.size:
            return float(np.median(np.abs(gaps)))
    thickness = frames[0].slice_thickness if frames else None
    return float(thickness) if thickness else 1.0


def _dominant_orientation(frames: list[FrameRef]) -> Orientation:
    counts = Counter(tuple(round(v, 3) for v in f.orientation or ()) for f in frames)
    rounded = counts.most_common(1)[0][0]
    for f in frames:
        if f.orientation and _close(f.orientation, rounded):  # type: ignore[arg-type]
            return f.orientation
    return frames[0].orientation  # type: ignore[return-value]


def _close(a: Orientation | None, b: Orientation) -> bool:
    return a is not None and bool(np.allclose(a, b, atol=ORIENTATION_TOLERANCE * 10))


def _spacing(ds: Dataset) -> tuple[float, float] | None:
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        pair = _vector(ds.get(keyword), 2)
        if pair and pair[0] > 0 and pair[1] > 0:
            return (pair[0], pair[1])
    return None


def _windows(ds: Dataset) -> tuple[tuple[float, float, str], ...]:
    centers = _floats(ds.get("WindowCenter"))
    widths = _floats(ds.get("WindowWidth"))
    names = ds.get("WindowCenterWidthExplanation") or []
    names = [names] if isinstance(names, str) else list(names)
    found = []
    for i, (center, width) in enumerate(zip(centers, widths, strict=False)):
        if width > 0:
            name = str(names[i]) if i < len(names) and names[i] else f"Header {i + 1}"
            found.append((center, width, name))
    return tuple(found)


def _floats(value: object) -> list[float]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) or hasattr(value, "__iter__") else [value]
    if isinstance(value, str | bytes):
        items = [value]
    out = []
    for item in items:  # type: ignore[union-attr]
        number = _float(item)
        if number is not None:
            out.append(number)
    return out


def _vector(value: object, size: int) -> tuple[float, ...] | None:
    numbers = _floats(value)
    return tuple(numbers) if len(numbers) == size else None


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None
