"""What a dataset export asks for, validated: the body of POST /api/datasets and the
`segdicom export-dataset` options, parsed into one `DatasetRequest`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from segdicom.enums import DatasetFormat
from segdicom.errors import BadInput
from segdicom.uids import validate_uid

MAX_SERIES = 1000
MAX_LABELS = 255


@dataclass(frozen=True)
class DatasetRequest:
    """What to export, validated: the body of POST /api/datasets (and the CLI's options)."""

    format: DatasetFormat
    series_uids: tuple[str, ...] = ()
    project_id: int | None = None
    states: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # empty: every label

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> DatasetRequest:
        unknown = sorted(set(body) - {"format", "series_uids", "project_id", "states", "labels"})
        if unknown:
            raise BadInput(
                f"unknown fields {unknown}; expected format, series_uids, "
                "project_id, states, labels"
            )
        project = body.get("project_id")
        if project is not None and (isinstance(project, bool) or not isinstance(project, int)):
            raise BadInput(f"project_id must be an integer, got {project!r:.80}")
        series = _strings("series_uids", body.get("series_uids"), MAX_SERIES)
        return cls(
            format=DatasetFormat.parse(body.get("format")),
            series_uids=tuple(dict.fromkeys(validate_uid(u, "series_uids") for u in series)),
            project_id=project,
            states=_strings("states", body.get("states"), 16),
            labels=tuple(dict.fromkeys(_strings("labels", body.get("labels"), MAX_LABELS))),
        )


def _strings(name: str, value: object, most: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BadInput(f"{name} must be a list of non-empty strings, got {value!r:.80}")
    if len(value) > most:
        raise BadInput(f"{name} may hold at most {most} entries, got {len(value)}")
    return tuple(value)
