"""/openapi.json says what the project endpoints do: which fields may be null, and the
statuses their code answers."""

from typing import Any

import pytest

from segdicom.api import routes
from segdicom.api.openapi import build_spec

SPEC = build_spec(routes())
SCHEMAS = SPEC["components"]["schemas"]


def _nullable(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "null" or ("default" in schema and schema["default"] is None):
        return True
    return any(_nullable(option) for option in schema.get("anyOf", []) + schema.get("oneOf", []))


@pytest.mark.parametrize("model", ["ProjectIn", "ProjectChange"])
def test_project_bodies_declare_no_field_nullable(model: str) -> None:
    # Before: every field was `anyOf [X, null]`, and a PATCH with null answered 409.
    nullable = [name for name, prop in SCHEMAS[model]["properties"].items() if _nullable(prop)]
    assert nullable == []


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/api/projects", "post", "409"),  # a project of that name exists
        ("/api/projects/{id}", "patch", "409"),
        ("/api/tasks", "get", "403"),  # an annotator asking for another's tasks
        ("/api/projects/{id}/next", "post", "409"),  # too many concurrent callers
        ("/api/tasks", "post", "404"),  # no such user
        ("/api/tasks/{id}", "patch", "404"),
        ("/api/tasks/{id}", "patch", "409"),  # a disabled user
        ("/api/annotations/{id}/comments", "post", "409"),  # a pin on a series not held
    ],
)
def test_project_endpoints_document_the_statuses_their_code_answers(
    path: str, method: str, status: str
) -> None:
    assert status in SPEC["paths"][path][method]["responses"]
