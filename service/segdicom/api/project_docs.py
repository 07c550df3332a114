"""OpenAPI details of the project endpoints (bodies and answers), merged by api/openapi.py."""

from typing import Any

_JSON = "application/json"
_CODE = {
    "type": "object",
    "properties": {k: {"type": "string"} for k in ("code", "scheme", "meaning")},
}
_LABEL = {
    "type": "object",
    "required": ["label"],
    "properties": {
        "label": {"type": "string", "maxLength": 64},
        "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
        "category": _CODE,
        "type": _CODE,
    },
}
_RULE = {
    "type": "object",
    "properties": {
        k: {"type": "string", "maxLength": 64}
        for k in ("calling_ae", "modality", "study_description", "series_description")
    },
}
_PROJECT = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 128},
        "description": {"type": "string"},
        "labels": {"type": "array", "items": _LABEL, "minItems": 1},
        "readers_per_case": {"type": "integer", "minimum": 1, "maximum": 3},
        "review_required": {"type": "boolean"},
        "export_on_approval": {"type": "boolean"},
        "rules": {"type": "array", "items": _RULE},
    },
}
_STATE = {"enum": ["todo", "in_progress", "submitted", "changes_requested", "approved"]}
_TASK = {
    "type": "object",
    "required": ["id", "case_id", "series_uid", "annotation_id", "state", "lease_expires"],
    "properties": {
        "id": {"type": "integer"},
        "case_id": {"type": "integer"},
        "project_id": {"type": "integer"},
        "series_uid": {"type": "string"},
        "annotation_id": {"type": ["integer", "null"]},
        "assignee": {"type": "string"},
        "state": _STATE,
        "lease_expires": {"type": ["string", "null"], "format": "date-time"},
        "reviewed_by": {"type": ["string", "null"]},
        "export_id": {"type": ["integer", "null"]},
    },
}


def _body(schema: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    full = schema | ({"required": required} if required else {})
    return {"required": True, "content": {_JSON: {"schema": full}}}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


PROJECT_DETAILS: dict[str, dict[str, Any]] = {
    "create_project": {
        "requestBody": _body(_PROJECT, ["name", "labels"]),
        "responses": {"201": {"description": "the project"}},
    },
    "update_project": {"requestBody": _body(_PROJECT)},
    "next_task": {
        "responses": {
            "200": _answer("the caller's reading, leased", _TASK),
            "404": {"description": "no case is left for the caller"},
        }
    },
    "review_task": {
        "requestBody": _body(
            {
                "type": "object",
                "properties": {
                    "decision": {"enum": ["approve", "request_changes"]},
                    "comment": {"type": "string"},
                },
            },
            ["decision"],
        ),
        "responses": {"200": _answer("the task after review", _TASK)},
    },
    "add_comment": {
        "requestBody": _body(
            {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "slice": {"type": "integer", "minimum": 0},
                    "point": {"type": "array", "items": {"type": "number"}, "minItems": 2},
                },
            },
            ["text"],
        )
    },
    "start_consensus": {
        "requestBody": _body(
            {"type": "object", "properties": {"method": {"enum": ["staple", "majority"]}}}
        ),
        "responses": {"202": {"description": "the consensus job: {job_id}"}},
    },
}
