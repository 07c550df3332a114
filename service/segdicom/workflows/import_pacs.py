"""Import a SEG that is in the PACS, in one step: a job pulls what the local store
lacks (the SEG instance, then the series it segments) and imports the SEG.

What can be checked before the job starts is checked by `start_pacs_import`, so
the caller gets a plain HTTP error: the SEG is not in the PACS (NotFound), the
series it segments is neither in the PACS nor held (NotFound), the PACS cannot
be reached (PacsUnavailable). The job pulls through `retrieve.Pull`, over
DICOMweb or DIMSE, and fetches only the instances that are not held.
"""

import logging
from dataclasses import dataclass
from typing import Any

from segdicom.db import instances as index
from segdicom.db import jobs
from segdicom.enums import JobKind, JobState
from segdicom.errors import NotFound, Unprocessable
from segdicom.pacs.protocol import Pacs
from segdicom.seg.decode import decode_seg
from segdicom.state import AppState
from segdicom.workflows.import_seg import (
    SEG_CLASSES,
    import_decoded,
    read_seg,
    source_series_uid,
)
from segdicom.workflows.retrieve import Pull, failures_reported, pacs_for

log = logging.getLogger("segdicom.import")


@dataclass(frozen=True)
class SegInPacs:
    """Which SEG to import: it segments `series_uid` of `study_uid`; fetched `via`."""

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    via: str
    user: str


def start_pacs_import(st: AppState, seg: SegInPacs) -> str:
    """Check that the SEG and its source series can be had, then start the job.

    Answers the job id; an import of the same SEG already running is reused.
    """
    pacs = pacs_for(st, seg.via)
    seg_series = _seg_series(st, pacs, seg)
    require_series(st, pacs, seg.study_uid, seg.series_uid, seg.sop_instance_uid)
    params: dict[str, object] = {
        "study_uid": seg.study_uid,
        "series_uid": seg.series_uid,
        "sop_instance_uid": seg.sop_instance_uid,
        "via": seg.via,
    }

    def create() -> str:
        with st.sessions.begin() as session:
            return jobs.create(session, JobKind.IMPORT_SEG, params).id

    def work(job_id: str) -> None:
        PacsImport(st, pacs, job_id, seg, seg_series).run()

    return st.jobs.start(JobKind.IMPORT_SEG, seg.sop_instance_uid, create, work)


def _seg_series(st: AppState, pacs: Pacs, seg: SegInPacs) -> str | None:
    """The PACS series holding the SEG; None when the local store holds the SEG already."""
    with st.sessions() as session:
        row = index.get(session, seg.sop_instance_uid)
        sop_class = row.sop_class_uid if row else None
    if sop_class is not None and sop_class not in SEG_CLASSES:
        raise Unprocessable(f"instance {seg.sop_instance_uid} is not a SEG (SOP class {sop_class})")
    if sop_class is not None:
        return None
    for found in pacs.find_segs(seg.study_uid, seg.series_uid):
        if found.sop_instance_uid == seg.sop_instance_uid:
            return found.series_uid
    raise NotFound(
        f"SEG {seg.sop_instance_uid} is not in the PACS {pacs.name}: no SEG of study "
        f"{seg.study_uid} that segments series {seg.series_uid} has this SOP Instance UID"
    )


def require_series(
    st: AppState, pacs: Pacs, study_uid: str, series_uid: str, sop_uid: str
) -> list[str]:
    """The SOP Instance UIDs the PACS holds for a SEG's source series; NotFound when
    neither the PACS nor the local store has any of it."""
    remote = pacs.series_instances(study_uid, series_uid)
    if remote or _held(st, series_uid):
        return remote
    raise NotFound(
        f"the source series {series_uid} of SEG {sop_uid} is not in the PACS {pacs.name} "
        f"(study {study_uid}) nor in the local store"
    )


def _held(st: AppState, series_uid: str) -> bool:
    with st.sessions() as session:
        return index.study_of_series(session, series_uid) is not None


@dataclass
class PacsImport:
    """The job: pull the SEG (unless held), then its source series, then import."""

    st: AppState
    pacs: Pacs
    job_id: str
    seg: SegInPacs
    seg_series: str | None  # None: the SEG is held already

    def run(self) -> None:
        with failures_reported(self._report, f"SEG import job {self.job_id}", log):
            self._import()

    def _import(self) -> None:
        seg_fetched = self._fetch_seg()
        decoded = decode_seg(read_seg(self.st, self.seg.sop_instance_uid))
        # The file says which series the SEG segments (Referenced Series Sequence,
        # PS3.3 C.12.2); over DIMSE the SEG was found without it (C-FIND cannot match it).
        source = self._pull(source_series_uid(decoded), offset=1)
        remote = require_series(
            self.st, self.pacs, self.seg.study_uid, source.series_uid, self.seg.sop_instance_uid
        )
        source.fetch(remote, set(remote))
        imported = import_decoded(self.st, decoded, self.seg.user)
        result: dict[str, Any] = {
            "annotation_id": imported.annotation_id,
            "series_uid": source.series_uid,
            "study_uid": self.seg.study_uid,
            "sop_instance_uid": self.seg.sop_instance_uid,
            "unmatched_frames": imported.unmatched_frames,
            "notes": list(imported.notes),
            "fetched": {"seg": seg_fetched, "source": source.fetched},
        }
        done = source.offset + source.done
        self._report(state=JobState.DONE, done=done, error=source.refusals(), result=result)

    def _fetch_seg(self) -> int:
        """Pull the SEG instance alone (not the other instances of its series)."""
        if self.seg_series is None:
            self._report(state=JobState.RUNNING, total=1, done=1)
            return 0
        pull = self._pull(self.seg_series, offset=0)
        remote = self.pacs.series_instances(self.seg.study_uid, self.seg_series)
        if self.seg.sop_instance_uid not in remote:
            raise NotFound(
                f"SEG {self.seg.sop_instance_uid} is no longer in the PACS {self.pacs.name}"
            )
        pull.fetch(remote, {self.seg.sop_instance_uid})
        if pull.refused:
            raise Unprocessable(
                f"the local store refused SEG {self.seg.sop_instance_uid}: {pull.refused[0]}"
            )
        return pull.fetched

    def _pull(self, series_uid: str, offset: int) -> Pull:
        # The source series is asked for within the SEG's study: a SEG whose source is
        # in another study (PS3.3 C.12.2, Studies Containing Other Referenced Instances
        # Sequence) fails with "not in the PACS" naming that series.
        study = self.seg.study_uid
        return Pull(self.st, self.pacs, self.job_id, study, series_uid, self.seg.via, offset)

    def _report(self, **values: Any) -> None:
        jobs.report(self.st.sessions, self.job_id, **values)
