"""Every operation of /openapi.json, probed with bad input: the answer is a 4xx
{"error", "detail"} naming the field or the thing, never a 500 or a validator's dump."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from tests.conftest import LiveServer
from tests.integration.support import create_annotation, put_segment, upload_series

from segdicom.api import routes
from segdicom.api.openapi import build_spec
from segdicom.app import create_app
from segdicom.config import Settings

SPEC = build_spec(routes())
OPERATIONS = [
    (path, method, op) for path, item in SPEC["paths"].items() for method, op in item.items()
]
INTEGER_PARAMS = {"id", "number", "index"}
# Not integers, below the minimum, beyond 32 bits (PostgreSQL's INTEGER) and 64 (SQLite's).
INT32_MAX = 2**31 - 1
BAD_INTEGERS = ["abc", "1.5", "-1", str(INT32_MAX + 1), str(2**63), "99999999999999999999999"]
VALIDATOR_WORDS = ("None is not", "validation error", "Input should", "type=", "pydantic")


class Fixture:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.series_uid = upload_series(client, "ct_philips_phantom")
        self.annotation_id = create_annotation(client, self.series_uid)["id"]
        self.version = put_segment(client, self.annotation_id, 1, label="Liver")

    def good(self, name: str) -> str:
        values = {
            "id": str(self.annotation_id),
            "number": "1",
            "index": "0",
            "axis": "sagittal",
            "job_id": "0" * 32,
            "username": "nobody",
        }
        return values.get(name, self.series_uid)  # every other parameter is a UID


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fixture]:
    data = Path(tmp_path_factory.mktemp("probes")) / "data"
    with TestClient(create_app(Settings(data_dir=data, dicom_port=0))) as client:
        yield Fixture(client)


def _url(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def _send(probe: Fixture, method: str, url: str, **kwargs: Any) -> Any:
    headers = {"If-Match": str(probe.version), **kwargs.pop("headers", {})}
    return probe.client.request(method, url, headers=headers, **kwargs)


def _assert_named_error(response: Any, *names: str) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert set(body) >= {"error", "detail"} and isinstance(body["detail"], str), body
    assert not any(word in body["detail"] for word in VALIDATOR_WORDS), body
    assert any(name in body["detail"] for name in names), (names, body)
    return str(body["detail"])


INTEGER_CASES = [
    (path, method, name, bad)
    for path, method, op in OPERATIONS
    # sorted: a set's order changes with the process, and pytest-xdist workers must collect alike
    for name in sorted(INTEGER_PARAMS & {p["name"] for p in op["parameters"] if p["in"] == "path"})
    for bad in BAD_INTEGERS
]


@pytest.mark.parametrize("path, method, name, bad", INTEGER_CASES)
def test_integer_path_parameters_out_of_type_or_range_are_400_naming_them(
    probe: Fixture, path: str, method: str, name: str, bad: str
) -> None:
    # Before: "abc" and "-1" fell through to the viewer's static files (404 "Not Found", or
    # 405 for writes) and 2**63 overflowed SQLite's INTEGER (500).
    names = [p["name"] for p in SPEC["paths"][path][method]["parameters"] if p["in"] == "path"]
    url = _url(path, {n: probe.good(n) for n in names} | {name: bad})
    response = _send(probe, method, url, json={})
    assert response.status_code == 400, (url, response.text)
    detail = _assert_named_error(response, f"{name} must be")
    assert bad in detail


def _integers(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every integer schema under `schema` ($refs followed), with where it is."""
    if isinstance(schema, list):
        for n, item in enumerate(schema):
            yield from _integers(item, f"{where}[{n}]")
        return
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        yield from _integers(SPEC["components"]["schemas"][name], f"{where}->{name}")
    if schema.get("type") == "integer":
        yield where, schema
    for key, value in schema.items():
        if key not in ("$ref", "default", "examples"):
            yield from _integers(value, f"{where}.{key}")


REQUEST_INTEGERS = [
    (f"{method.upper()} {path} {found}", schema)
    for path, method, op in OPERATIONS
    for part in (op["parameters"], op.get("requestBody", {}))
    for found, schema in _integers(part, "")
]


def test_every_integer_a_request_takes_fits_the_databases_integer() -> None:
    # Before: ids up to 2**63 were let through; PostgreSQL's INTEGER holds 32 bits (500).
    assert REQUEST_INTEGERS  # the walk finds them
    unbounded = [where for where, s in REQUEST_INTEGERS if s.get("maximum", 2**63) > INT32_MAX]
    assert unbounded == []


@pytest.mark.parametrize(
    "url, field",
    [
        (f"/api/exports?annotation_id={INT32_MAX + 1}", "`annotation_id` must be <="),
        (f"/api/tasks?project={INT32_MAX + 1}", "`project` must be <="),
        (f"/api/exports?annotation_id={2**63}", "`annotation_id` must be <="),
        ("/api/exports?annotation_id=99999999999999999999999", "`annotation_id` must be <="),
    ],
)
def test_huge_ids_in_queries_are_400(probe: Fixture, url: str, field: str) -> None:
    _assert_named_error(probe.client.get(url), field)


def test_huge_project_id_in_a_body_is_400(probe: Fixture) -> None:
    body = {"format": "nifti", "series_uids": [probe.series_uid], "project_id": 2**63}
    _assert_named_error(probe.client.post("/api/datasets", json=body), "`project_id` must be <=")


JSON_BODIES = [
    (path, method)
    for path, method, op in OPERATIONS
    if "application/json" in op.get("requestBody", {}).get("content", {})
]
JUNK = [
    ("[" * 4000 + "]" * 4000, "nested too deeply"),  # was a RecursionError: 500
    ("[]", "body must be a JSON object, got a list"),
    ("null", "body must be a JSON object, got null"),
    ("{'a': 1}", "body is not valid JSON"),
]


@pytest.mark.parametrize("path, method", JSON_BODIES)
@pytest.mark.parametrize("junk, words", JUNK)
def test_every_json_body_refuses_junk_naming_the_problem(
    probe: Fixture, path: str, method: str, junk: str, words: str
) -> None:
    names = [p["name"] for p in SPEC["paths"][path][method]["parameters"] if p["in"] == "path"]
    url = _url(path, {n: probe.good(n) for n in names})
    headers = {"Content-Type": "application/json"}
    response = _send(probe, method, url, content=junk.encode(), headers=headers)
    _assert_named_error(response, words)


def test_if_match_that_is_not_ascii_digits_is_400(live_server: LiveServer) -> None:
    # '²' passed str.isdigit() and then failed int(): a 500. Over real HTTP: the test
    # client's transport re-encodes header bytes, so it never delivers a latin-1 '²'.
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        annotation_id = create_annotation(client, upload_series(client, "ct_philips_phantom"))["id"]
        url = f"/api/annotations/{annotation_id}/segments/1"
        for value in (b"\xb2", b'"1\xb9"', b'W/"\xb3"', b"x"):
            response = client.put(url, json={"label": "Liver"}, headers={"If-Match": value})
            assert response.status_code == 400, (value, response.text)
            _assert_named_error(response, "If-Match must be the annotation version")


@pytest.mark.parametrize("value", ["%C2%B2", "%D9%A3", "+1", "%201"])
def test_integer_path_parameters_take_ascii_digits_only(probe: Fixture, value: str) -> None:
    response = probe.client.get(f"/api/annotations/{value}")
    assert response.status_code == 400, response.text
    _assert_named_error(response, "id must be an integer")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "GET"])
def test_an_unknown_api_path_is_404_naming_it_whatever_the_method(
    probe: Fixture, method: str
) -> None:
    # Before: a write to an unknown /api path reached the viewer's static files: 405.
    response = probe.client.request(method, "/api/no-such-thing/1")
    assert response.status_code == 404, response.text
    _assert_named_error(response, f"no endpoint {method} /api/no-such-thing/1")


def test_a_method_an_endpoint_lacks_is_405_listing_the_ones_it_has(probe: Fixture) -> None:
    response = probe.client.delete("/api/projects")
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "GET, HEAD, POST"
    _assert_named_error(response, "DELETE is not allowed on /api/projects; allowed: GET, HEAD")
    viewer = probe.client.post("/index.html")
    assert viewer.status_code == 405 and viewer.headers["allow"] == "GET, HEAD"
