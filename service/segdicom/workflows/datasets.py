"""Dataset export for model training: annotated series as NIfTI images and label maps.

`select_cases` (workflows/dataset_cases.py) is the one place that decides which
(series, annotation) pairs a dataset holds. Each case becomes an image (the series' values after the
modality LUT, in the volume's dtype) and a label map (segments by label name,
valued as `labels` says) with the affine of `imaging.nifti`, so a label voxel
sits on the image voxel it was painted on. The export runs as a job; its zip
is recorded as a dataset and each case as an event of the audit log.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from segdicom.auth.identity import Identity
from segdicom.db import annotations as repo
from segdicom.db import datasets as rows
from segdicom.db import events, jobs
from segdicom.db.models import DatasetExport
from segdicom.enums import DatasetFormat, JobKind, JobState
from segdicom.errors import BadInput, Forbidden
from segdicom.imaging import Volume, read_slice
from segdicom.imaging.nifti import NiftiGeometry, nifti_geometry, nifti_image, write_nifti_gz
from segdicom.masks import decode_mask
from segdicom.state import AppState
from segdicom.workflows.dataset_cases import Case, select_cases
from segdicom.workflows.dataset_files import (
    FolderSink,
    Sink,
    image_name,
    index_document,
    index_name,
    label_name,
    zip_file,
)
from segdicom.workflows.dataset_request import MAX_LABELS, DatasetRequest
from segdicom.workflows.reading_access import hidden_from
from segdicom.workflows.retrieve import Stopping, failures_reported
from segdicom.workflows.volumes import load_volume, slice_keys

PROGRESS_EVERY = 0.2  # seconds between progress writes to the jobs table
BACKGROUND = "background"


def label_values(st: AppState, cases: Sequence[Case], wanted: Sequence[str]) -> dict[str, int]:
    """{"background": 0, label: value, ...}: the wanted labels in the order given, else
    every segment label of the cases in order of first appearance."""
    with st.sessions() as session:
        names = list(dict.fromkeys(n for c in cases for n in _segment_labels(session, c).values()))
    if BACKGROUND in names:
        raise BadInput(f"a segment is labelled {BACKGROUND!r}, which is label 0 of the dataset")
    missing = [label for label in wanted if label not in names]
    if missing:
        raise BadInput(
            f"labels {missing} are in none of the selected annotations, which have {names}"
        )
    chosen = list(wanted) or names
    if not chosen:
        raise BadInput("the selected annotations have no segments")
    if len(chosen) > MAX_LABELS:
        raise BadInput(f"a dataset holds at most {MAX_LABELS} labels, got {len(chosen)}")
    return {BACKGROUND: 0} | {label: value for value, label in enumerate(chosen, start=1)}


def _segment_labels(session: Session, case: Case) -> dict[int, str]:
    return {s.number: s.label for s in repo.get(session, case.annotation_id).segments}


@dataclass
class Built:
    """What a dataset holds once written."""

    format: DatasetFormat
    labels: dict[str, int]
    cases: list[Case]
    notes: list[str] = field(default_factory=list)


def build_dataset(
    st: AppState,
    request: DatasetRequest,
    cases: Sequence[Case],
    sink: Sink,
    on_slice: Callable[[int], None] = lambda total: None,
) -> Built:
    """Write every case and the index (dataset.json or datalist.json) into `sink`.

    Geometry and channels of every case are checked before anything is written.
    `on_slice(total)` is called after each slice read, with the slices to read in all.
    """
    labels = label_values(st, cases, request.labels)
    volumes = [load_volume(st, case.series_uid) for case in cases]
    geometries = [nifti_geometry(volume) for volume in volumes]
    channel = _channel(request.format, volumes)
    total = sum(v.num_slices for v in volumes)
    built = Built(request.format, labels, list(cases))
    provenance = []
    # The next case's slices are read while this one is compressed (zlib and file
    # reads release the GIL), so reading DICOM costs little beyond nibabel's write.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataset-read") as reader:
        images = _prefetched(reader, st, volumes, lambda: on_slice(total))
        for case, volume, geometry in zip(cases, volumes, geometries, strict=True):
            image = next(images).result()
            _write_case(st, request.format, case, volume, geometry, labels, sink, image)
            del image
            provenance.append(_provenance(case, volume, geometry))
            built.notes += [geometry.note] if geometry.note else []
    sink.write_json(
        index_name(request.format),
        index_document(request.format, labels, channel, provenance, built.notes),
    )
    return built


def _channel(fmt: DatasetFormat, volumes: Sequence[Volume]) -> str:
    """nnU-Net's channel name: the modality ("CT" selects its CT normalisation)."""
    modalities = sorted({v.modality or "image" for v in volumes})
    if fmt is DatasetFormat.NNUNET and len(modalities) > 1:
        raise BadInput(
            f"an nnU-Net dataset has one image channel, but the series are {modalities}: "
            "export them as separate datasets"
        )
    return modalities[0]


def _provenance(case: Case, volume: Volume, geometry: NiftiGeometry) -> dict[str, Any]:
    return {
        "case": case.case_id,
        "series_uid": case.series_uid,
        "study_uid": volume.study_uid,
        "annotation_id": case.annotation_id,
        "modality": volume.modality,
        "shape": [volume.columns, volume.rows, volume.num_slices],
        "max_slice_deviation_mm": round(geometry.max_deviation_mm, 4),
    }


def _prefetched(
    reader: ThreadPoolExecutor,
    st: AppState,
    volumes: Sequence[Volume],
    on_slice: Callable[[], None],
) -> Iterator[Future[npt.NDArray[Any]]]:
    """The image of each volume in turn; the next one is being read while one is used."""
    queued: deque[Future[npt.NDArray[Any]]] = deque()
    for volume in volumes:
        queued.append(reader.submit(read_image, st, volume, on_slice))
        if len(queued) == 2:
            yield queued.popleft()
    yield from queued


def _write_case(
    st: AppState,
    fmt: DatasetFormat,
    case: Case,
    volume: Volume,
    geometry: NiftiGeometry,
    labels: Mapping[str, int],
    sink: Sink,
    image: npt.NDArray[Any],
) -> None:
    with sink.open(image_name(fmt, case.case_id)) as stream:
        write_nifti_gz(nifti_image(image, geometry.affine), stream)
    label = label_map(st, case, volume, labels)
    with sink.open(label_name(fmt, case.case_id)) as stream:
        write_nifti_gz(nifti_image(label, geometry.affine, label=True), stream)


def read_image(st: AppState, volume: Volume, on_slice: Callable[[], None]) -> npt.NDArray[Any]:
    """The series as (slices, rows, columns) values after the modality LUT."""
    shape = (volume.num_slices, volume.rows, volume.columns)
    image = np.empty(shape, dtype=volume.dtype)
    for index in range(volume.num_slices):
        image[index] = read_slice(volume, index, st.store.files.absolute)
        on_slice()
    return image


def label_map(
    st: AppState, case: Case, volume: Volume, labels: Mapping[str, int]
) -> npt.NDArray[np.uint8]:
    """The annotation's segments as one (slices, rows, columns) label array; a segment whose
    label is not in `labels` is left out; where segments overlap the higher value wins."""
    with st.sessions() as session:
        names = _segment_labels(session, case)
        masks = repo.masks_of(session, case.annotation_id, slice_keys(volume))
    out = np.zeros((volume.num_slices, volume.rows, volume.columns), dtype=np.uint8)
    kept = [n for n in names if names[n] in labels]
    for number in sorted(kept, key=lambda n: labels[names[n]]):
        for index, data in masks.get(number, {}).items():
            out[index][decode_mask(data, volume.rows, volume.columns)] = labels[names[number]]
    return out


# -- as a job (the API), or at once into a folder or zip (the CLI) ---------------------


def start_dataset_export(st: AppState, request: DatasetRequest, who: Identity) -> str:
    """Check the request and queue the job (202 at once; 400 for a bad selection; 403
    when it would hand an annotator masks they may not see)."""
    cases = select_cases(st, request)
    with st.sessions() as session:
        hidden = hidden_from(session, who, [c.annotation_id for c in cases])
    if hidden:
        raise Forbidden(
            f"the dataset would include {len(hidden)} annotation(s) {who.username!r} may not "
            "see (other readers' readings, or the consensus, of blinded project cases): "
            "reviewers and admins export those"
        )
    user = who.username
    label_values(st, cases, request.labels)
    params: dict[str, object] = {
        "format": request.format.value,
        "series_uids": list(request.series_uids),
        "labels": list(request.labels),
    }

    def create() -> str:
        with st.sessions.begin() as session:
            return jobs.create(session, JobKind.DATASET, params).id

    def work(job_id: str) -> None:
        DatasetJob(st, job_id, request, cases, user).run()

    return st.jobs.start(JobKind.DATASET, job_key(params, cases), create, work)


def job_key(params: Mapping[str, object], cases: Sequence[Case]) -> str:
    """One job per selection: the same request again while it runs gets the running job,
    unless an annotation changed since (that job may have read the masks before the edit)."""
    versions = [[c.annotation_id, c.version] for c in cases]
    return json.dumps({**params, "versions": versions}, sort_keys=True)


@dataclass
class DatasetJob:
    st: AppState
    job_id: str
    request: DatasetRequest
    cases: list[Case]
    user: str
    done: int = 0
    last_write: float = 0.0

    def run(self) -> None:
        with failures_reported(self._report, f"dataset job {self.job_id}"):
            self._report(state=JobState.RUNNING)
            relative = f"datasets/{self.job_id}.zip"
            path = self.st.settings.data_dir / relative
            with zip_file(path) as sink:
                built = build_dataset(self.st, self.request, self.cases, sink, self._slice)
            size = path.stat().st_size
            result = record(self.st, built, relative, size, self.user, self.job_id)
            result["notes"] = built.notes  # e.g. an irregular series and what its affine does
            self._report(state=JobState.DONE, done=self.done, result=result)

    def _slice(self, total: int) -> None:
        if self.st.jobs.stopping.is_set():
            raise Stopping("the service is stopping; export the dataset again")
        self.done += 1
        now = time.monotonic()
        if now - self.last_write >= PROGRESS_EVERY or self.done == total:
            self.last_write = now
            self._report(done=self.done, total=total)

    def _report(self, **fields: Any) -> None:
        with self.st.sessions.begin() as session:
            jobs.progress(session, self.job_id, **fields)


def export_dataset_to(st: AppState, request: DatasetRequest, out: Path, user: str) -> Built:
    """Write the dataset at once into `out`: a zip when it ends in .zip, else a folder."""
    cases = select_cases(st, request)
    if out.suffix.lower() == ".zip":
        with zip_file(out) as sink:
            built = build_dataset(st, request, cases, sink)
    else:
        built = build_dataset(st, request, cases, FolderSink(out))
    with st.sessions.begin() as session:
        _events(session, built, str(out), user, "")
    return built


def record(
    st: AppState, built: Built, path: str, size: int, user: str, job_id: str
) -> dict[str, Any]:
    """The dataset's row, and one audit event per case; answers the row as JSON."""
    with st.sessions.begin() as session:
        row = rows.add(
            session,
            job_id=job_id,
            format=built.format,
            path=path,
            size=size,
            num_cases=len(built.cases),
            labels=built.labels,
            created_by=user,
        )
        _events(session, built, path, user, f"dataset {row.id} ")
        session.flush()
        return dataset_json(row)


def _events(session: Session, built: Built, path: str, user: str, name: str) -> None:
    for case in built.cases:
        row = repo.get(session, case.annotation_id)
        events.append(
            session,
            user=user,
            action="export_dataset",
            study_uid=row.study_uid,
            series_uid=case.series_uid,
            annotation_id=case.annotation_id,
            labels="; ".join(label for label in built.labels if label != BACKGROUND),
            seg_path=path,
            detail=f"{name}({built.format.value}) {case.case_id}",
        )


def dataset_json(row: DatasetExport) -> dict[str, Any]:
    return {
        "dataset_id": row.id,
        "format": row.format,
        "num_cases": row.num_cases,
        "labels": json.loads(row.labels),
        "size": row.size,
        "path": row.path,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "file_url": f"/api/datasets/{row.id}/file",
    }
