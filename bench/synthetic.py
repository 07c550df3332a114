"""A synthetic CT series for benchmarks: N slices of size x size, uncompressed."""

import io
from collections.abc import Iterator

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def ct_series(slices: int, size: int = 512) -> tuple[str, str, Iterator[bytes]]:
    """(study UID, series UID, Part 10 files one by one) of a 12-bit CT in HU."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    base = np.random.default_rng(0).integers(0, 2000, size=(size, size), dtype=np.uint16)

    def files() -> Iterator[bytes]:
        for i in range(slices):
            ds = ct_slice(study, series, frame, i, size)
            ds.PixelData = (base + i).astype(np.uint16).tobytes()
            buffer = io.BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            yield buffer.getvalue()

    return study, series, files()


def ct_slice(study: str, series: str, frame: str, i: int, size: int) -> Dataset:
    """The header of slice i (1 mm apart along z), without pixel data."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
    ds.PatientID, ds.PatientName, ds.StudyDate = "BENCH", "Bench^CT", "20240101"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", 1, i + 1
    ds.ImagePositionPatient = [0.0, 0.0, float(i)]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing, ds.SliceThickness = [0.7, 0.7], 1.0
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    return ds
