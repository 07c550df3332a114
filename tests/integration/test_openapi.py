"""/openapi.json lists every endpoint; /healthz answers."""

import re

from starlette.routing import Route
from starlette.testclient import TestClient


def test_every_route_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    routes = [r for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
    assert len(routes) >= 20
    for route in routes:
        path = re.sub(r"{(\w+):\w+}", r"{\1}", route.path)
        assert path in paths, path
        for method in (route.methods or set()) - {"HEAD"}:
            assert method.lower() in paths[path], (method, path)
    for required in ("/api/uploads", "/api/series/{series_uid}/slices/{index}", "/api/log.csv"):
        assert required in paths
    others = [r for r in client.app.routes if not isinstance(r, Route)]  # type: ignore[attr-defined]
    assert [getattr(r, "name", None) for r in others] in ([], ["viewer"])  # the static mount


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"


def test_research_endpoints_document_their_bodies(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    dataset = paths["/api/datasets"]["post"]
    body = dataset["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["format"]["enum"] == ["nnunet", "nifti"]
    assert {"series_uids", "project_id", "states", "labels"} <= set(body["properties"])
    assert "202" in dataset["responses"]
    assert (
        "application/zip" in paths["/api/datasets/{id}/file"]["get"]["responses"]["200"]["content"]
    )
    export = paths["/api/annotations/{id}/exports"]["post"]
    options = export["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert options["segmentation_type"]["enum"] == ["binary", "labelmap"]
    assert options["measurements"]["type"] == "boolean"
