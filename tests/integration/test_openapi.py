"""/openapi.json is complete and typed enough to generate a client from, and true: real
answers validate against the schemas it documents. /healthz answers."""

import copy
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import numpy as np
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from starlette.routing import Route
from starlette.testclient import TestClient
from tests.helpers import data_dir, dicom_files
from tests.integration.support import (
    create_annotation,
    disc,
    put_mask,
    put_segment,
    upload,
    upload_series,
    wait_job,
)

from segdicom.api import routes
from segdicom.api.answers import DatasetResult
from segdicom.api.openapi import build_spec
from segdicom.api.operation import Answer, documented

Spec = dict[str, Any]
WRITES = ("post", "put", "patch")
BODILESS = {"logout", "retry_export", "next_task", "submit_task"}  # POSTs that take no body
INTEGER_PARAMS = {"id", "number", "index"}
UID = re.compile(r".*_uid$|^volume_id$")

_SCHEMA = {"type": "object"}
_CONTENT = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {
        "type": "object",
        "required": ["schema"],
        "properties": {"schema": _SCHEMA},
    },
}
# The parts of the OpenAPI 3.1 document structure (spec section 4.8) this API uses.
OPENAPI_31 = {
    "type": "object",
    "required": ["openapi", "info", "paths", "components"],
    "properties": {
        "openapi": {"pattern": r"^3\.1\.\d+$"},
        "info": {"type": "object", "required": ["title", "version"]},
        "paths": {
            "type": "object",
            "propertyNames": {"pattern": "^/"},
            "additionalProperties": {
                "type": "object",
                "propertyNames": {"enum": ["get", "put", "post", "delete", "patch"]},
                "additionalProperties": {"$ref": "#/$defs/operation"},
            },
        },
        "components": {
            "type": "object",
            "required": ["schemas"],
            "properties": {"schemas": {"additionalProperties": _SCHEMA}},
        },
    },
    "$defs": {
        "operation": {
            "type": "object",
            "required": ["operationId", "summary", "description", "parameters", "responses"],
            "properties": {
                "operationId": {"type": "string", "pattern": "^[a-z_]+$"},
                "summary": {"type": "string", "minLength": 5},
                "description": {"type": "string", "minLength": 5},
                "parameters": {"type": "array", "items": {"$ref": "#/$defs/parameter"}},
                "requestBody": {
                    "type": "object",
                    "required": ["content"],
                    "properties": {"required": {"type": "boolean"}, "content": _CONTENT},
                },
                "responses": {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"pattern": "^([1-5][0-9][0-9]|[1-5]XX)$"},
                    "additionalProperties": {
                        "type": "object",
                        "required": ["description"],
                        "properties": {"description": {"type": "string"}, "content": _CONTENT},
                    },
                },
            },
        },
        "parameter": {
            "type": "object",
            "required": ["name", "in", "schema"],
            "properties": {
                "name": {"type": "string"},
                "in": {"enum": ["path", "query", "header", "cookie"]},
                "required": {"type": "boolean"},
                "schema": _SCHEMA,
            },
            # OpenAPI 3.1 4.8.12.1: a path parameter must be required.
            "if": {"properties": {"in": {"const": "path"}}},
            "then": {"required": ["required"], "properties": {"required": {"const": True}}},
        },
    },
}


def problems(spec: Spec) -> list[str]:
    """What makes the document incomplete or untyped; empty when it is fine."""
    found = [f"structure: {e.json_path}: {e.message}" for e in _structure_errors(spec)]
    for path, method, op in _operations(spec):
        where = f"{method.upper()} {path}"
        if not op.get("description"):
            found.append(f"{where}: no description")
        if method in WRITES and op.get("operationId") not in BODILESS:
            content = op.get("requestBody", {}).get("content", {})
            if not any(c.get("schema") for c in content.values()):
                found.append(f"{where}: no request body schema")
        if not any(status.startswith("2") for status in op.get("responses", {})):
            found.append(f"{where}: no documented success response")
        found += _parameter_problems(where, path, op.get("parameters", []))
    found += _schema_problems(spec)
    return found


def _structure_errors(spec: Spec) -> Iterator[jsonschema.ValidationError]:
    return Draft202012Validator(OPENAPI_31).iter_errors(spec)


def _operations(spec: Spec) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            yield path, method, op


def _parameter_problems(where: str, path: str, params: list[dict[str, Any]]) -> list[str]:
    found = []
    in_path = {p["name"] for p in params if p.get("in") == "path"}
    if in_path != set(re.findall(r"{(\w+)}", path)):
        found.append(f"{where}: path parameters {sorted(in_path)} do not match the path")
    for param in params:
        name, schema = param.get("name", ""), param.get("schema", {})
        if name in INTEGER_PARAMS and schema.get("type") != "integer":
            found.append(f"{where}: parameter {name} is not an integer: {schema}")
        if UID.match(name) and "pattern" not in schema:
            found.append(f"{where}: UID parameter {name} has no pattern")
    return found


def _schema_problems(spec: Spec) -> list[str]:
    found = []
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            found.append(f"schema {name}: {exc.message}")
    text = repr(spec)
    for ref in set(re.findall(r"#/components/schemas/(\w+)", text)):
        if ref not in spec.get("components", {}).get("schemas", {}):
            found.append(f"dangling $ref {ref}")
    return found


@pytest.fixture(scope="module")
def spec() -> Spec:
    return build_spec(routes())


def test_served_document_is_the_generated_one(client: TestClient, spec: Spec) -> None:
    assert client.get("/openapi.json").json() == spec


def test_every_route_is_documented(client: TestClient, spec: Spec) -> None:
    paths = spec["paths"]
    api_routes = [r for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
    assert len(api_routes) >= 30
    for route in api_routes:
        path = re.sub(r"{(\w+):\w+}", r"{\1}", route.path)
        assert path in paths, path
        for method in (route.methods or set()) - {"HEAD"}:
            assert method.lower() in paths[path], (method, path)
    others = [r for r in client.app.routes if not isinstance(r, Route)]  # type: ignore[attr-defined]
    assert [getattr(r, "name", None) for r in others] in ([], ["viewer"])  # the static mount


def test_document_is_complete_and_typed(spec: Spec) -> None:
    assert problems(spec) == []
    ops = list(_operations(spec))
    assert len({op["operationId"] for _, _, op in ops}) == len(ops)  # unique, for generators
    segment = spec["paths"]["/api/annotations/{id}/segments/{number}"]["put"]
    assert segment["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/SegmentIn"
    )
    assert {p["name"]: p["required"] for p in segment["parameters"]}["If-Match"] is True
    create = spec["components"]["schemas"]["CreateAnnotation"]
    assert create["required"] == ["series_uid"]
    assert create["properties"]["series_uid"]["pattern"] == r"^[0-9]+(\.[0-9]+)*$"
    operations = spec["paths"]["/api/annotations/{id}/operations"]["post"]
    body = operations["requestBody"]["content"]["application/json"]["schema"]
    union = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert union["discriminator"]["propertyName"] == "operation"
    assert len(union["oneOf"]) == 6
    studies = spec["paths"]["/api/studies"]["get"]["parameters"]
    assert {p["name"]: p["schema"].get("type") for p in studies}["limit"] == "integer"


def test_document_passes_an_openapi_validator(spec: Spec) -> None:
    # openapi-spec-validator checks the whole OpenAPI 3.1 meta-schema and its rules (unique
    # operation ids, path parameters declared and required), beyond what problems() reads.
    validate_openapi(spec)
    broken = copy.deepcopy(spec)
    broken["paths"]["/api/exports/{id}"]["get"]["operationId"] = "get_annotation"
    with pytest.raises(OpenAPIValidationError, match="get_annotation"):
        validate_openapi(broken)


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda s: s["paths"]["/api/annotations"]["post"].pop("description"), "no description"),
        (
            lambda s: s["paths"]["/api/annotations"]["post"].pop("requestBody"),
            "no request body schema",
        ),
        (
            lambda s: s["paths"]["/api/exports/{id}"]["get"]["responses"].pop("200"),
            "no documented success response",
        ),
        (
            lambda s: s["paths"]["/api/exports/{id}"]["get"]["parameters"][0].update(
                schema={"type": "string"}
            ),
            "is not an integer",
        ),
        (lambda s: s["components"]["schemas"].pop("Annotation"), "dangling $ref Annotation"),
        (lambda s: s["paths"]["/healthz"]["get"].pop("responses"), "structure"),
    ],
)
def test_the_checks_catch_a_damaged_document(spec: Spec, damage: Any, expected: str) -> None:
    broken = copy.deepcopy(spec)
    damage(broken)
    assert any(expected in p for p in problems(broken)), problems(broken)


def test_an_endpoint_without_a_contract_is_refused() -> None:
    def undocumented(request: Any) -> None:
        """Something."""

    with pytest.raises(TypeError, match="undocumented"):
        build_spec([Route("/x", undocumented)])
    documented({200: Answer("fine")})(undocumented)
    assert "/x" in build_spec([Route("/x", undocumented)])["paths"]


class Checker:
    """Validates real answers against the document's schemas for one operation."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def check(self, path: str, method: str, response: Any) -> Any:
        op = self.spec["paths"][path][method]
        status = str(response.status_code)
        documented_answer = op["responses"].get(status) or op["responses"].get(f"{status[0]}XX")
        assert documented_answer is not None, (method, path, status, response.text)
        schema = documented_answer["content"]["application/json"]["schema"]
        body = response.json()
        # The answer's schema, rooted beside the components its $refs point into.
        Draft202012Validator({"components": self.spec["components"], **schema}).validate(body)
        return body


def test_real_answers_match_their_schemas(client: TestClient, spec: Spec) -> None:
    check = Checker(spec).check
    series_uid = upload_series(client, "ct_philips_phantom")
    check("/healthz", "get", client.get("/healthz"))
    check("/api/studies", "get", client.get("/api/studies"))
    info = check("/api/series/{series_uid}", "get", client.get(f"/api/series/{series_uid}"))
    study = f"/api/studies/{info['study_uid']}/series"
    check("/api/studies/{study_uid}/series", "get", client.get(study))
    check("/api/presets", "get", client.get("/api/presets"))
    annotation = create_annotation(client, series_uid)
    aid = annotation["id"]
    check("/api/annotations", "get", client.get("/api/annotations"))
    segment = f"/api/annotations/{aid}/segments/1"
    answer = client.put(segment, json={"label": "Liver"}, headers={"If-Match": "1"})
    check("/api/annotations/{id}/segments/{number}", "put", answer)
    put_segment(client, aid, 2, label="Tumor")
    put_mask(client, aid, 1, 3, disc(info["rows"], info["columns"], 50, 50, 20), 3)
    check("/api/annotations/{id}", "get", client.get(f"/api/annotations/{aid}"))
    stats = f"/api/annotations/{aid}/statistics"
    check("/api/annotations/{id}/statistics", "get", client.get(stats))  # segment 2 is empty
    margin = {"operation": "margin", "segment": 1, "mm": 2.0, "preview": True}
    preview = client.post(
        f"/api/annotations/{aid}/operations", json=margin, headers={"If-Match": "4"}
    )
    assert check("/api/annotations/{id}/operations", "post", preview)["masks"]
    export = client.post(f"/api/annotations/{aid}/exports", json={})
    exported = check("/api/annotations/{id}/exports", "post", export)
    check("/api/exports/{id}", "get", client.get(f"/api/exports/{exported['id']}"))
    check("/api/exports", "get", client.get("/api/exports", params={"annotation_id": aid}))
    gone = client.delete(f"/api/annotations/{aid}/segments/2", headers={"If-Match": "4"})
    check("/api/annotations/{id}/segments/{number}", "delete", gone)
    check("/api/series/{series_uid}/segs", "get", client.get(f"/api/series/{series_uid}/segs"))
    assert np.frombuffer(client.get(f"/api/series/{series_uid}/slices/0").content, np.uint8).size


@pytest.mark.parametrize(
    "method, url, body, names",
    [
        ("post", "/api/annotations", {}, ["`series_uid` is required"]),
        ("post", "/api/annotations", {"series_uid": 7}, ["`series_uid` must be a string, got 7"]),
        (
            "post",
            "/api/annotations",
            {"series_uid": "1.2.x"},
            ["`series_uid` is not a valid DICOM UID, got '1.2.x'"],
        ),
        (
            "post",
            "/api/series/1.2.3/retrieve",
            {"via": "ftp"},
            ["`study_uid` is required", "`via` must be one of dicomweb, dimse, got 'ftp'"],
        ),
        ("post", "/api/annotations/import", [], ["body must be a JSON object, got a list"]),
        ("get", "/api/studies?limit=x", None, ["`limit` must be an integer, got 'x'"]),
        ("get", "/api/studies?source=mars", None, ["`source` must be one of local, pacs"]),
        ("get", "/api/exports?annotation_id=0", None, ["`annotation_id` must be >= 1, got '0'"]),
    ],
)
def test_bad_bodies_and_queries_name_the_field(
    client: TestClient, spec: Spec, method: str, url: str, body: Any, names: list[str]
) -> None:
    response = client.request(method, url, json=body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["error"] == "bad_input"
    for name in names:
        assert name in answer["detail"], answer["detail"]


def test_bad_export_destination_names_the_choices(client: TestClient) -> None:
    annotation = create_annotation(client, upload_series(client, "ct_philips_phantom"))
    url = f"/api/annotations/{annotation['id']}/exports"
    response = client.post(url, json={"destination": "x"})
    assert response.status_code == 400
    assert response.json()["detail"] == "`destination` must be one of local, pacs, got 'x'"


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"


def test_project_answers_match_their_schemas(client: TestClient, spec: Spec) -> None:
    check = Checker(spec).check
    series_uid = upload_series(client, "ct_philips_phantom")
    body = {"name": "openapi", "labels": [{"label": "Liver"}], "rules": [{"modality": "CT"}]}
    project = check("/api/projects", "post", client.post("/api/projects", json=body))
    pid = project["id"]
    check("/api/projects", "get", client.get("/api/projects"))
    cases = client.post(f"/api/projects/{pid}/cases", json={"series_uids": [series_uid]})
    case = check("/api/projects/{id}/cases", "post", cases)["added"][0]
    task = check("/api/projects/{id}/next", "post", client.post(f"/api/projects/{pid}/next"))
    assert task["case_id"] == case["id"]
    check("/api/projects/{id}", "get", client.get(f"/api/projects/{pid}"))
    check("/api/projects/{id}/cases", "get", client.get(f"/api/projects/{pid}/cases"))
    check("/api/tasks", "get", client.get("/api/tasks", params={"project": pid}))
    check("/api/tasks/{id}", "get", client.get(f"/api/tasks/{task['id']}"))
    comments = f"/api/annotations/{task['annotation_id']}/comments"
    pinned = {"text": "look here", "slice": 2, "point": [10, 20.5]}
    check("/api/annotations/{id}/comments", "post", client.post(comments, json=pinned))
    check("/api/annotations/{id}/comments", "get", client.get(comments))
    submitted = client.post(f"/api/tasks/{task['id']}/submit")
    assert check("/api/tasks/{id}/submit", "post", submitted)["state"] == "submitted"
    review = client.post(f"/api/tasks/{task['id']}/review", json={"decision": "approve"})
    assert check("/api/tasks/{id}/review", "post", review)["state"] == "approved"


def test_research_endpoints_document_their_bodies(spec: Spec) -> None:
    schemas = spec["components"]["schemas"]

    def body_of(path: str) -> dict[str, Any]:
        ref = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        return dict(schemas[ref["$ref"].rsplit("/", 1)[1]]["properties"])

    dataset = body_of("/api/datasets")
    assert dataset["format"]["enum"] == ["nnunet", "nifti"]
    assert {"series_uids", "project_id", "states", "labels"} <= set(dataset)
    assert "202" in spec["paths"]["/api/datasets"]["post"]["responses"]
    zipped = spec["paths"]["/api/datasets/{id}/file"]["get"]["responses"]["200"]["content"]
    assert "application/zip" in zipped
    options = body_of("/api/annotations/{id}/exports")
    assert options["segmentation_type"]["enum"] == ["binary", "labelmap"]
    assert options["measurements"]["type"] == "boolean"
    assert "422" in spec["paths"]["/api/annotations/{id}/exports"]["post"]["responses"]
    sr = spec["paths"]["/api/exports/{id}/sr"]["get"]["responses"]["200"]["content"]
    assert "application/dicom" in sr


def test_research_answers_match_their_schemas(client: TestClient, spec: Spec) -> None:
    check = Checker(spec).check
    series_uid = upload_series(client, "ct_philips_phantom")
    info = client.get(f"/api/series/{series_uid}").json()
    aid = create_annotation(client, series_uid)["id"]
    put_segment(client, aid, 1, label="Liver")
    put_mask(client, aid, 1, 3, disc(info["rows"], info["columns"], 50, 50, 20), 2)
    body = {"segmentation_type": "labelmap", "measurements": True}
    export = check(
        "/api/annotations/{id}/exports",
        "post",
        client.post(f"/api/annotations/{aid}/exports", json=body),
    )
    assert export["segmentation_type"] == "labelmap" and export["sr_url"]
    check("/api/exports/{id}", "get", client.get(f"/api/exports/{export['id']}"))
    started = client.post("/api/datasets", json={"format": "nifti", "series_uids": [series_uid]})
    job = wait_job(client, check("/api/datasets", "post", started)["job_id"])
    assert job["state"] == "done", job
    result = DatasetResult.model_validate(job["result"])
    dataset = f"/api/datasets/{result.dataset_id}"
    check("/api/datasets/{id}", "get", client.get(dataset))


@pytest.mark.parametrize(
    "body, names",
    [
        ({"segmentation_type": "rle"}, ["`segmentation_type` must be one of binary, labelmap"]),
        ({"measurements": "yes"}, ["`measurements` must be true or false, got 'yes'"]),
    ],
)
def test_bad_export_options_name_the_field(
    client: TestClient, body: dict[str, Any], names: list[str]
) -> None:
    annotation = create_annotation(client, upload_series(client, "ct_philips_phantom"))
    response = client.post(f"/api/annotations/{annotation['id']}/exports", json=body)
    assert response.status_code == 400, response.text
    for name in names:
        assert name in response.json()["detail"]


def test_bad_dataset_bodies_name_the_field(client: TestClient) -> None:
    cases = [
        ({}, "`format` is required"),
        ({"format": "nnunet", "series_uids": "1.2.3"}, "`series_uids` must be a list"),
        ({"format": "nnunet", "series_uids": ["1.2.x"]}, "`series_uids[0]` is not a valid"),
        ({"format": "nnunet", "labels": [""]}, "`labels[0]` must have at least 1 character"),
    ]
    for body, name in cases:
        response = client.post("/api/datasets", json=body)
        assert response.status_code == 400, (body, response.text)
        assert name in response.json()["detail"], (body, response.json())


def test_refused_upload_documents_its_error_fields(client: TestClient, spec: Spec) -> None:
    # The 422 answer is an error with the lists: a generated client must see error and detail.
    refused = client.post("/api/uploads", files=[("files", ("x.dcm", b"junk"))])
    assert refused.status_code == 422, refused.text
    body = Checker(spec).check("/api/uploads", "post", refused)
    assert body["rejected"][0]["name"] == "x.dcm" and body["series"] == []
    ref = spec["paths"]["/api/uploads"]["post"]["responses"]["422"]["content"]
    name = ref["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(spec["components"]["schemas"][name]["required"]) >= {"error", "detail", "rejected"}


def test_the_other_answers_match_their_schemas(client: TestClient, spec: Spec) -> None:
    """The answers the tests above leave out: uploads, SEG import, jobs, legacy, auth."""
    check = Checker(spec).check
    liver = data_dir("dcmqi_seg") / "liver.dcm"
    stored = upload(client, [*dicom_files("dcmqi_seg", "ct-3slice"), liver])
    series = check("/api/uploads", "post", stored)["series"]
    image = next(s["series_uid"] for s in series if s["modality"] == "CT")
    segs = check("/api/series/{series_uid}/segs", "get", client.get(f"/api/series/{image}/segs"))
    body = {"sop_instance_uid": segs[0]["sop_instance_uid"]}
    check("/api/annotations/import", "post", client.post("/api/annotations/import", json=body))
    started = client.post("/api/datasets", json={"format": "nifti", "series_uids": [image]})
    job_id = check("/api/datasets", "post", started)["job_id"]
    wait_job(client, job_id)
    check("/api/jobs/{job_id}", "get", client.get(f"/api/jobs/{job_id}"))
    legacy = upload(client, dicom_files("ct_philips_phantom"), field="files[]")
    volume = check("/upload", "post", legacy)["volume_id"]
    check("/slice/{volume_id}/{index}", "get", client.get(f"/slice/{volume}/2"))
    saved = client.post(f"/save_mask/{volume}/2", json={"mask": [[0] * 512] * 512})
    check("/save_mask/{volume_id}/{index}", "post", saved)
    check("/api/auth/me", "get", client.get("/api/auth/me"))
    check("/api/users", "get", client.get("/api/users"))
    admin = {"username": "root", "role": "admin", "password": "a-long-password"}
    check("/api/users", "post", client.post("/api/users", json=admin))
    login = client.post("/api/auth/login", json={"username": "root", "password": admin["password"]})
    csrf = {"X-CSRF-Token": check("/api/auth/login", "post", login)["csrf_token"]}
    token = client.post("/api/auth/tokens", json={"name": "ci"}, headers=csrf)
    check("/api/auth/tokens", "post", token)
    check("/api/auth/tokens", "get", client.get("/api/auth/tokens"))
    change = client.patch("/api/users/root", json={"role": "admin"}, headers=csrf)
    check("/api/users/{username}", "patch", change)
