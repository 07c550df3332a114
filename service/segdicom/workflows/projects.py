"""Cases of projects: added by hand (local series, or pulled from the PACS) or by rules.

A project's rules name what a series received by C-STORE must look like to
become one of its cases. A rule is an object of up to four fields; a series
matches a rule when every field given matches, and a project when any of its
rules does. Matching ignores case and surrounding spaces:

- `calling_ae`, `modality`: the whole value (`CT` is not `CTA`);
- `study_description`, `series_description`: a substring (`thorax` matches
  `CT THORAX W/O`);
- any field holding `*`, `?` or `[`: a shell-style glob over the whole value
  (`CT*`, `*head*`).
"""

import fnmatch
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from segdicom.db import events
from segdicom.db import projects as repo
from segdicom.db.models import Case, Project
from segdicom.errors import Conflict
from segdicom.state import AppState
from segdicom.store.ingest import InstanceInfo
from segdicom.workflows.retrieve import start_retrieve

log = logging.getLogger("segdicom.projects")
RULE_FIELDS = ("calling_ae", "modality", "study_description", "series_description")
_WHOLE = ("calling_ae", "modality")
_GLOB = frozenset("*?[")
SEEN_SERIES = 100_000
# A series sent again by the same sender within this time is not matched again; after
# it, or from another sender, or once rules changed (`forget`), it is (cases are unique
# per project, so a match that makes nothing new is harmless).
SEEN_SECONDS = 60.0


@dataclass(frozen=True)
class Arrival:
    """What the rules look at: one series received by C-STORE."""

    calling_ae: str
    series_uid: str
    study_uid: str
    modality: str
    study_description: str
    series_description: str

    @classmethod
    def of(cls, calling_ae: str, info: InstanceInfo) -> "Arrival":
        return cls(
            calling_ae=calling_ae.strip(),
            series_uid=info.series_uid,
            study_uid=info.study_uid,
            modality=info.modality,
            study_description=info.study_description,
            series_description=info.series_description,
        )


def field_matches(name: str, pattern: str, value: str) -> bool:
    pattern, value = pattern.strip().casefold(), value.strip().casefold()
    if _GLOB & set(pattern):
        return fnmatch.fnmatchcase(value, pattern)
    return value == pattern if name in _WHOLE else pattern in value


def rule_matches(rule: dict[str, str], arrival: Arrival) -> bool:
    return bool(rule) and all(
        field_matches(name, pattern, getattr(arrival, name)) for name, pattern in rule.items()
    )


def project_matches(project: Project, arrival: Arrival) -> bool:
    return any(rule_matches(rule, arrival) for rule in project.rules)


# -- cases added by hand ---------------------------------------------------------------


@dataclass
class Added:
    """The answer to adding series: new cases, those already there, pulls, what is missing."""

    added: list[Case] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    pulling: list[dict[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def add_series(
    st: AppState,
    project_id: int,
    series: Sequence[tuple[str, str | None]],
    who: str,
    via: str | None,
) -> Added:
    """Make cases of (series UID, study UID or None) pairs.

    A series in the local store becomes a case at once. One that is not, given
    with its study UID and `via`, is pulled from the PACS as a job and becomes a
    case now (its images follow); any other is reported missing.
    """
    st.store.flush()
    result = Added()
    with st.sessions.begin() as session:
        repo.get_project(session, project_id)
        known = repo.case_series(session, project_id)
        local = repo.local_studies(session, [uid for uid, _ in series])
        for series_uid, study_uid in series:
            if series_uid in known:
                result.existing.append(series_uid)
                continue
            study = local.get(series_uid) or (study_uid if via else None)
            if study is None:
                result.missing.append(series_uid)
                continue
            case = repo.add_case(session, project_id, series_uid, study, who, "api")
            if case is None:
                result.existing.append(series_uid)
                continue
            known.add(series_uid)
            result.added.append(case)
            _case_event(session, who, case, "api")
            if series_uid not in local:
                result.pulling.append({"series_uid": series_uid, "study_uid": study})
    for pull in result.pulling:
        assert via is not None
        pull["job_id"] = start_retrieve(st, pull["study_uid"], pull["series_uid"], via)
    return result


def check_change(session: Session, project: Project, fields: dict[str, Any]) -> None:
    """Conflict when a change would break readings already taken: fewer readers per case
    than a case has (it would also lift the blinding of readers in progress), or labels
    that rename, recode, reorder or drop the ones readings were made with (their
    segments would be compared under other names). Labels may be added at the end, and
    colours changed."""
    readers = fields.get("readers_per_case")
    if readers is not None and readers < project.readers_per_case:
        most = repo.most_readings(session, project.id)
        if most > readers:
            raise Conflict(
                f"project {project.id} has a case with {most} readings: readers_per_case "
                f"cannot go below {most}"
            )
    labels = fields.get("labels")
    if labels is not None and repo.has_readings(session, project.id):
        before = [_identity(label) for label in project.labels]
        after = [_identity(label) for label in labels[: len(before)]]
        if after != before:
            changed = next(
                (n for n, (b, a) in enumerate(zip(before, after, strict=False)) if a != b),
                len(after),
            )
            raise Conflict(
                f"project {project.id} has readings made with its labels: labels[{changed}] "
                f"({project.labels[changed]['label']!r}) cannot change; labels may only be "
                "added after the existing ones (colours may change)"
            )


def _identity(label: dict[str, Any]) -> tuple[object, ...]:
    """What a label means to the readings made with it: all but its colour."""
    return tuple(sorted((k, repr(v)) for k, v in label.items() if k != "color"))


def _case_event(session: Session, who: str, case: Case, source: str) -> None:
    events.append(
        session,
        user=who,
        action="case_add",
        study_uid=case.study_uid,
        series_uid=case.series_uid,
        detail=f"project {case.project_id} case {case.id} ({source})",
    )


# -- cases added by rules ---------------------------------------------------------------


class RuleIntake:
    """Turns series received by C-STORE into cases of the projects whose rules match.

    `offer` is called by the SCP for every stored instance and only remembers the
    first one of each series per sender (a dict lookup), so the SCP's answer waits for
    nothing; a thread waits until that instance is indexed, then matches the rules once.
    """

    def __init__(self, st: AppState) -> None:
        self.st = st
        # (series, calling AE) -> when offered, oldest first; bounded.
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Arrival | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="segdicom-rules", daemon=True)
        self._thread.start()

    def offer(self, calling_ae: str, info: InstanceInfo) -> None:
        arrival = Arrival.of(calling_ae, info)
        key, now = (arrival.series_uid, arrival.calling_ae), time.monotonic()
        with self._lock:
            offered = self._seen.get(key)
            if offered is not None and now - offered < SEEN_SECONDS:
                return
            self._seen[key] = now
            self._seen.move_to_end(key)
            if len(self._seen) > SEEN_SERIES:
                self._seen.popitem(last=False)
        self._queue.put(arrival)

    def forget(self) -> None:
        """Rules changed: the next instance of any series is matched again."""
        with self._lock:
            self._seen.clear()

    def drain(self) -> None:
        """Block until every series offered so far is handled (tests, shutdown)."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            arrival = self._queue.get()
            try:
                if arrival is None:
                    return
                self.handle(arrival)
            except Exception:  # a bad rule must not stop the intake of later series
                log.exception("matching project rules failed for %s", arrival)
            finally:
                self._queue.task_done()

    def handle(self, arrival: Arrival) -> list[Case]:
        self.st.store.flush()  # the case follows the index row of its first instance
        made: list[Case] = []
        with self.st.sessions.begin() as session:
            for project in repo.list_projects(session):
                if not project.rules or not project_matches(project, arrival):
                    continue
                case = repo.add_case(
                    session, project.id, arrival.series_uid, arrival.study_uid, "dimse", "rule"
                )
                if case is not None:
                    made.append(case)
                    _case_event(session, f"AE {arrival.calling_ae}", case, "rule")
        for case in made:
            log.info(
                "series %s from %s is case %d", arrival.series_uid, arrival.calling_ae, case.id
            )
        return made
