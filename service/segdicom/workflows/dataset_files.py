"""Where a training dataset's files go and how they are laid out.

nnU-Net v2 (`imagesTr/{case}_0000.nii.gz`, `labelsTr/{case}.nii.gz`,
`dataset.json` with `channel_names`, `labels`, `numTraining`, `file_ending`),
or MONAI style (`images/{case}.nii.gz`, `labels/{case}.nii.gz` and a
`datalist.json` whose `training` list pairs them). A sink is a zip (members
stored, since .nii.gz is compressed already) or a folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from segdicom.enums import DatasetFormat

FILE_ENDING = ".nii.gz"


def image_name(fmt: DatasetFormat, case: str) -> str:
    if fmt is DatasetFormat.NNUNET:
        return f"imagesTr/{case}_0000{FILE_ENDING}"  # channel 0000: the one image channel
    return f"images/{case}{FILE_ENDING}"


def label_name(fmt: DatasetFormat, case: str) -> str:
    folder = "labelsTr" if fmt is DatasetFormat.NNUNET else "labels"
    return f"{folder}/{case}{FILE_ENDING}"


def index_name(fmt: DatasetFormat) -> str:
    return "dataset.json" if fmt is DatasetFormat.NNUNET else "datalist.json"


def index_document(
    fmt: DatasetFormat,
    labels: dict[str, int],
    channel: str,
    cases: list[dict[str, Any]],
    notes: list[str],
) -> dict[str, Any]:
    """dataset.json (nnU-Net v2) or datalist.json (MONAI), with where each case came from."""
    provenance = {
        "cases": cases,
        "overlaps": "where segments overlap, the label with the higher value wins",
        "geometry_notes": notes,
    }
    if fmt is DatasetFormat.NNUNET:
        return {
            "channel_names": {"0": channel},
            "labels": labels,
            "numTraining": len(cases),
            "file_ending": FILE_ENDING,
            "name": "SegDICOM export",
            "segdicom": provenance,
        }
    training = [
        {"image": image_name(fmt, c["case"]), "label": label_name(fmt, c["case"])} | c
        for c in cases
    ]
    return {"labels": labels, "numTraining": len(cases), "training": training} | {
        "segdicom": provenance
    }


class Sink(Protocol):
    """Somewhere to write the dataset's files by relative name."""

    def open(self, name: str) -> contextlib.AbstractContextManager[IO[bytes]]: ...

    def write_json(self, name: str, document: dict[str, Any]) -> None: ...


class ZipSink:
    """A zip being written (ZIP64, members stored)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def open(self, name: str) -> contextlib.AbstractContextManager[IO[bytes]]:
        return self.archive.open(name, "w", force_zip64=True)

    def write_json(self, name: str, document: dict[str, Any]) -> None:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        self.archive.writestr(info, json.dumps(document, indent=2))


class FolderSink:
    """A folder: files appear under their relative names."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as stream:
            yield stream

    def write_json(self, name: str, document: dict[str, Any]) -> None:
        with self.open(name) as stream:
            stream.write(json.dumps(document, indent=2).encode())


@contextlib.contextmanager
def zip_file(path: Path) -> Iterator[ZipSink]:
    """A zip written to `path` atomically: a partial file never has the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
            yield ZipSink(archive)
        with partial.open("rb") as done:
            os.fsync(done.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
