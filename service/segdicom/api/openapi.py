"""GET /openapi.json, generated from the route table and the endpoints' docstrings."""

import inspect
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from segdicom import __version__

_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
ERROR = {"$ref": "#/components/schemas/Error"}
_UID = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)*$", "maxLength": 64}
_JSON = "application/json"


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": ERROR}}}


def _json_body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"required": bool(required), "content": {_JSON: {"schema": schema}}}


def _job_started(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            _JSON: {
                "schema": {
                    "type": "object",
                    "required": ["job_id"],
                    "properties": {"job_id": {"type": "string"}, "url": {"type": "string"}},
                }
            }
        },
    }


_STRINGS = {"type": "array", "items": {"type": "string"}}

# What an endpoint's docstring alone does not say: its body and its answers, by operationId.
DETAILS: dict[str, dict[str, Any]] = {
    "create_export": {
        "requestBody": _json_body(
            {
                "destination": {"enum": ["local", "pacs"], "default": "local"},
                "segmentation_type": {"enum": ["binary", "labelmap"], "default": "binary"},
                "measurements": {"type": "boolean", "default": False},
            }
        ),
        "responses": {
            "201": {"description": "the SEG (and with measurements the SR) written"},
            "422": _error("labelmap asked for, but two segments overlap (named, with a slice)"),
        },
    },
    "create_dataset": {
        "requestBody": _json_body(
            {
                "format": {"enum": ["nnunet", "nifti"]},
                "series_uids": {"type": "array", "items": _UID},
                "project_id": {"type": "integer"},
                "states": _STRINGS,
                "labels": _STRINGS,
            },
            ["format"],
        ),
        "responses": {
            "202": _job_started("the export job started; its result has dataset_id"),
            "400": _error("bad format, no series, a series without annotation, unknown labels"),
        },
    },
    "dataset_file": {
        "responses": {
            "200": {
                "description": "the dataset zip",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    "import_from_pacs": {
        "requestBody": {
            "required": False,
            "content": {
                _JSON: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "study_uid": _UID,
                            "via": {"enum": ["dicomweb", "dimse"], "default": "dicomweb"},
                        },
                    }
                }
            },
        },
        "responses": {
            "202": {
                "description": "the import job started (or the one already running for this SEG)",
                "content": {
                    _JSON: {
                        "schema": {
                            "type": "object",
                            "required": ["job_id"],
                            "properties": {"job_id": {"type": "string"}, "url": {"type": "string"}},
                        }
                    }
                },
            },
            "404": _error("the SEG, or the series it segments, is not in the PACS"),
            "502": _error("the PACS cannot be reached or refused"),
        },
    },
}


def build_spec(routes: list[BaseRoute]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route) or not route.include_in_schema:
            continue
        path = _PARAM.sub(r"{\1}", route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(path, {})[method.lower()] = _operation(route, path)
    return {
        "openapi": "3.1.0",
        "info": {"title": "SegDICOM", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                }
            }
        },
    }


def _operation(route: Route, path: str) -> dict[str, Any]:
    doc = inspect.getdoc(route.endpoint) or route.name
    summary, _, description = doc.partition("\n")
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(path)
    ]
    details = DETAILS.get(route.name, {})
    default = {"200": {"description": "success"}}
    responses = details.get("responses", default) | {"4XX": _error("error"), "5XX": _error("error")}
    operation = {
        "operationId": route.name,
        "summary": summary.strip(),
        "description": description.strip(),
        "parameters": params,
        "responses": responses,
    }
    return operation | {k: v for k, v in details.items() if k != "responses"}


def openapi(request: Request) -> JSONResponse:
    """This API, as OpenAPI 3.1."""
    return JSONResponse(build_spec(request.app.routes))
