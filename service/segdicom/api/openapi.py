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
    error = {"description": "error", "content": {"application/json": {"schema": ERROR}}}
    return {
        "operationId": route.name,
        "summary": summary.strip(),
        "description": description.strip(),
        "parameters": params,
        "responses": {"200": {"description": "success"}, "4XX": error, "5XX": error},
    }


def openapi(request: Request) -> JSONResponse:
    """This API, as OpenAPI 3.1."""
    return JSONResponse(build_spec(request.app.routes))
