"""Import a SEG that is in the PACS, in one step: a job pulls what the local store
lacks (the SEG instance, then the series it segments) and imports the SEG.

What can be checked before the job starts is checked by `start_pacs_import`, so
the caller gets a plain HTTP error: the SEG is not in the PACS (NotFound), the
series it segments is neither in the PACS nor held (NotFound), the PACS cannot
be reached (PacsUnavailable). The job pulls through `retrieve.Pull`, over
DICOMweb or DIMSE, and fetches only the instances that are not held.
"""

import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from segdicom.db import jobs
from segdicom.db.models import Instance
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
from segdicom.workflows.retrieve import Pull, failures_reported, pacs_for, stop_event

log = logging.getLogger("segdicom.import")

KIND = "import_seg"
_RUNNING = "seg_import_running"  # st.services key: SEG SOP Instance UID -> running job_id
_LOCK = "seg_import_lock"


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
    running: dict[str, str] = st.services.setdefault(_RUNNING, {})
    with st.services.setdefault(_LOCK, threading.Lock()):
        if seg.sop_instance_uid in running:
            return running[seg.sop_instance_uid]
        params: dict[str, object] = {
            "study_uid": seg.study_uid,
            "series_uid": seg.series_uid,
            "sop_instance_uid": seg.sop_instance_uid,
            "via": seg.via,
        }
        with st.sessions.begin() as session:
            job_id = jobs.create(session, KIND, params).id
        running[seg.sop_instance_uid] = job_id
    stop_event(st)
    job = PacsImport(st, pacs, job_id, seg, seg_series)
    threading.Thread(target=job.run, name=f"seg-import-{job_id[:8]}", daemon=True).start()
    return job_id


def _seg_series(st: AppState, pacs: Pacs, seg: SegInPacs) -> str | None:
    """The PACS series holding the SEG; None when the local store holds the SEG already."""
    with st.sessions() as session:
        row = session.get(Instance, seg.sop_instance_uid)
        sop_class = row.sop_class_uid if row else None
    if sop_class is not None and sop_class not in SEG_CLASSES:
        raise Unprocessable(f"instance {seg.sop_instance_uid} is not a SEG (SOP class {sop_class})")
    if sop_class is not None:
        return None
    for found in pacs.find_segs(seg.study_uid, seg.series_uid):
        if found["sop_instance_uid"] == seg.sop_instance_uid:
            return str(found["series_uid"])
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
        query = select(Instance.sop_instance_uid).where(Instance.series_uid == series_uid)
        return session.scalar(query.limit(1)) is not None


@dataclass
class PacsImport:
    """The job: pull the SEG (unless held), then its source series, then import."""

    st: AppState
    pacs: Pacs
    job_id: str
    seg: SegInPacs
    seg_series: str | None  # None: the SEG is held already

    def run(self) -> None:
        try:
            with failures_reported(self._report, f"SEG import job {self.job_id}", log):
                self._import()
        finally:
            with self.st.services[_LOCK]:
                self.st.services[_RUNNING].pop(self.seg.sop_instance_uid, None)

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
        self._report(state="done", done=done, error=source.refusals(), result=result)

    def _fetch_seg(self) -> int:
        """Pull the SEG instance alone (not the other instances of its series)."""
        if self.seg_series is None:
            self._report(state="running", total=1, done=1)
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
        with self.st.sessions.begin() as session:
            jobs.progress(session, self.job_id, **values)
