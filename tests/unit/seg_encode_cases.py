"""What the SEG encode tests share: the segments, masks and encoder call, the source series."""

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from tests.helpers import dicom_files, require_tool

from segdicom.seg import (
    SegmentSpec,
    SourceFrame,
    codes_for_label,
    default_color,
    encode_seg,
)

Masks = dict[int, npt.NDArray[np.bool_]]
SPECS = [
    SegmentSpec(1, "Tumor", "#e6194b", *codes_for_label("Tumor")),
    SegmentSpec(2, "My region", default_color(2), *codes_for_label("My region")),
]
CREATOR = "Doe^Jane"


@dataclass(frozen=True)
class Encoded:
    sources: list[Dataset]
    frames: list[SourceFrame]
    masks: Masks
    specs: list[SegmentSpec]
    seg: Dataset
    path: Path


def sorted_series(folder: str) -> list[Dataset]:
    """The series' slices sorted by position along the slice normal (not z, not file name)."""
    slices = [pydicom.dcmread(path) for path in dicom_files(folder)]
    row, col = np.asarray(slices[0].ImageOrientationPatient, dtype=float).reshape(2, 3)
    normal = np.cross(row, col)
    return sorted(slices, key=lambda ds: float(normal @ np.asarray(ds.ImagePositionPatient)))


def overlapping_masks(frames: int, rows: int, columns: int) -> Masks:
    """Two rectangles that overlap on some slices; slice 0 and the last slices stay empty."""
    first = np.zeros((frames, rows, columns), dtype=np.bool_)
    second = np.zeros_like(first)
    first[1:4, rows // 4 : rows // 2, columns // 4 : columns // 2] = True
    second[2:5, rows // 3 : rows * 2 // 3, columns // 3 : columns * 2 // 3] = True
    second[2, 0, 0] = True  # a single pixel at the frame's first position
    return {1: first, 2: second}


def encode(
    sources: Sequence[Dataset],
    frames: Sequence[SourceFrame],
    masks: Mapping[int, npt.NDArray[np.generic]],
    specs: Sequence[SegmentSpec] = SPECS,
    **options: object,
) -> Dataset:
    arguments: dict[str, object] = {
        "series_instance_uid": generate_uid(),
        "sop_instance_uid": generate_uid(),
        "instance_number": 1,
        "content_creator": CREATOR,
    }
    arguments.update(options)
    return encode_seg(sources, frames, masks, specs, **arguments)  # type: ignore[arg-type]


def encoded(
    tmp: Path, sources: list[Dataset], frames: list[SourceFrame], specs: list[SegmentSpec] = SPECS
) -> Encoded:
    masks = overlapping_masks(len(frames), int(sources[0].Rows), int(sources[0].Columns))
    seg = encode(sources, frames, masks, specs)
    path = tmp / "seg.dcm"
    seg.save_as(path, enforce_file_format=True)
    return Encoded(sources, frames, masks, specs, seg, path)


def single_frames(sources: Sequence[Dataset]) -> list[SourceFrame]:
    return [SourceFrame(str(ds.SOPInstanceUID)) for ds in sources]


@pytest.fixture(scope="module")
def ct_slices() -> list[Dataset]:
    return sorted_series("ct_philips_phantom")


@pytest.fixture(scope="module")
def xa_files() -> list[Dataset]:
    """Siemens XA10: one series in 4 enhanced files of 6 frames at the same 6 positions."""
    return [pydicom.dcmread(path) for path in dicom_files("enhanced_multiframe", "mr_siemens_xa10")]


def dcmqi_read(path: Path, out: Path) -> Path:
    """dcmqi's segimage2itkimage on a SEG, writing NRRD label images (and meta.json) to `out`."""
    tool = require_tool(str(Path(__file__).parents[2] / ".venv" / "bin" / "segimage2itkimage"))
    done = subprocess.run(
        [tool, "--inputDICOM", str(path), "--outputDirectory", str(out), "-t", "nrrd"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def dciodvfy_errors(path: Path) -> tuple[list[str], str]:
    result = subprocess.run(
        [require_tool("dciodvfy"), str(path)], capture_output=True, text=True, timeout=60
    )
    output = result.stdout + result.stderr
    return [line for line in output.splitlines() if line.startswith("Error")], output
