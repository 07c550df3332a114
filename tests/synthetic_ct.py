"""Synthetic CT slices: the one header the tests' and benchmarks' generated series share.

Each generator (tests/tilted_series.py, the e2e geometry phantom, bench/synthetic.py) chooses
its geometry and pixels; the file meta, UIDs, modality and pixel format are written here once.
"""

import io
from collections.abc import Sequence

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

Uids = tuple[str, str, str]  # study, series, frame of reference


def new_uids() -> Uids:
    """Fresh study, series and frame of reference UIDs."""
    return generate_uid(), generate_uid(), generate_uid()


def ct_header(
    uids: Uids,
    index: int,
    *,
    patient: tuple[str, str],
    position: Sequence[float | str],
    spacing: tuple[float, float],
    thickness: float,
    shape: tuple[int, int],
    signed: bool = True,
) -> Dataset:
    """Slice `index` of an axial CT (no pixel data): `patient` is (ID, name), `spacing` the
    PixelSpacing (between rows, between columns), `shape` (rows, columns). Signed: 16-bit HU,
    intercept 0; else 12 bits stored unsigned, intercept -1024."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = uids
    ds.PatientID, ds.PatientName = patient
    ds.StudyDate = "20240101"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", 1, index + 1
    ds.ImagePositionPatient = list(position)
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing, ds.SliceThickness = list(spacing), thickness
    ds.Rows, ds.Columns = shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    bits = (16, 16, 15, 1) if signed else (16, 12, 11, 0)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits
    ds.RescaleIntercept, ds.RescaleSlope = (0 if signed else -1024), 1
    return ds


def part10(ds: Dataset) -> bytes:
    """The dataset as a DICOM Part 10 file."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
