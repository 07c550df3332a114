"""The event log as CSV, streamed, with spreadsheet formula injection neutralised."""

import csv
import io
import math
from collections.abc import Iterator
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import StreamingResponse

from segdicom.api.common import state
from segdicom.api.operation import Answer, documented
from segdicom.api.schemas import LogQuery
from segdicom.api.validation import parse_query
from segdicom.auth.identity import identity
from segdicom.db import events
from segdicom.errors import BadInput
from segdicom.state import AppState

# OWASP CSV injection: a cell starting with one of these is read as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A CSV cell: numbers as numbers (floats to 6 significant digits, NaN empty), text that
    a spreadsheet would read as a formula with a leading quote (text only: '-25.6 would
    turn a number into text)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def parse_since(raw: str | None) -> datetime | None:
    """An ISO 8601 date or time; naive values are taken as UTC."""
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"`since` must be an ISO 8601 date or time, got {raw[:40]!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@documented({200: Answer("one row an event; a header row first", media="text/csv")}, query=LogQuery)
def log_csv(request: Request) -> StreamingResponse:
    """Every save and export: who, what, when, which series, slices, labels and SEG.

    Annotators get their own events only: another reader's saves (which slices, which
    labels) would tell them where a blinded reading is painted. Reviewers and admins
    get everyone's."""
    st = state(request)
    query = parse_query(request, LogQuery)
    since = parse_since(query.since)
    who = identity(request)
    user = who.username if who.role == "annotator" else None
    return StreamingResponse(
        _lines(st, query.series_uid, since, user),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="segdicom-log.csv"'},
    )


def _lines(
    st: AppState, series_uid: str | None, since: datetime | None, user: str | None
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(events.COLUMNS)
    with st.sessions() as session:
        for count, row in enumerate(events.rows(session, series_uid, since, user=user), 1):
            writer.writerow([neutralise(v) for v in row])
            if count % 500 == 0:
                yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
