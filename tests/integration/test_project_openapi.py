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
