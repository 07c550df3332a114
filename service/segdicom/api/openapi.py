"""GET /openapi.json: OpenAPI 3.1 generated from the route table, each endpoint's docstring and
its `@documented` contract, whose pydantic models are the ones the endpoint validates with."""

import inspect
import re
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from segdicom import __version__
from segdicom.api.answers import Error
from segdicom.api.common import PATH_PARAMS
from segdicom.api.operation import JSON, Answer, Body, Operation, documented, operation_of
from segdicom.api.validation import without_null

_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
REF = "#/components/schemas/{model}"
OTHER_4XX = (
    "401 without a login or token once users exist, 403 when the role or the CSRF token "
    "forbids it, 413 over a configured limit (SECURITY.md, Configuration)"
)
IF_MATCH = 'the annotation version last seen: `3`, `"3"` or `W/"3"`; 409 when stale'


class Spec:
    """The document being built; models are collected into components.schemas once each."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: str = "serialization") -> dict[str, Any]:
        if model.__name__ not in self.schemas:
            schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
            self.schemas.update(schema.pop("$defs", {}))
            self.schemas[model.__name__] = schema
        return {"$ref": REF.format(model=model.__name__)}

    def operation(self, route: Route, method: str) -> dict[str, Any]:
        op = operation_of(route.endpoint)
        if op is None:
            raise TypeError(f"{route.name} ({method} {route.path}) has no @documented contract")
        doc = inspect.getdoc(route.endpoint) or ""
        summary, _, description = doc.partition("\n")
        found: dict[str, Any] = {
            "operationId": route.name,
            "summary": summary.strip(),
            "description": (description.strip() or summary.strip()),
            "tags": [_tag(route.path)],
            "parameters": self.parameters(route.path, op),
            "responses": self.responses(op),
        }
        if op.body is not None:
            found["requestBody"] = self.body(op)
        return found

    def parameters(self, path: str, op: Operation) -> list[dict[str, Any]]:
        params = [
            {"name": name, "in": "path", "required": True, "schema": _path_schema(name, kind)}
            for name, kind in _PARAM.findall(path)
        ]
        if op.query is not None:
            schema = op.query.model_json_schema(ref_template=REF)
            required = set(schema.get("required", []))
            for name, prop in schema["properties"].items():
                entry = {"name": name, "in": "query", "required": name in required}
                params.append(entry | {"schema": without_null(prop)})
        if op.if_match is not None:
            params.append(
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": op.if_match == "required",
                    "description": IF_MATCH,
                    "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]+"?$'},
                }
            )
        return params

    def body(self, op: Operation) -> dict[str, Any]:
        if isinstance(op.body, Body):
            content = {op.body.media: {"schema": op.body.schema}}
            return {"required": True, "description": op.body.description, "content": content}
        assert op.body is not None
        schema = self.ref(op.body, mode="validation")
        return {"required": op.body_required, "content": {JSON: {"schema": schema}}}

    def responses(self, op: Operation) -> dict[str, Any]:
        found = {str(status): self.answer(answer) for status, answer in op.answers.items()}
        errors = {400: "bad input: the detail names the field and the value"} | op.errors
        for status, description in errors.items():
            found[str(status)] = self.answer(Answer(description, Error))
        found["4XX"] = self.answer(Answer(OTHER_4XX, Error))
        found["5XX"] = self.answer(Answer("the service or the PACS failed", Error))
        return found

    def answer(self, answer: Answer) -> dict[str, Any]:
        found: dict[str, Any] = {"description": answer.description}
        if answer.model is not None:
            schema = self.ref(answer.model)
            schema = {"type": "array", "items": schema} if answer.many else schema
            found["content"] = {JSON: {"schema": schema}}
        elif answer.media is not None:
            found["content"] = {answer.media: {"schema": _media_schema(answer.media)}}
        if answer.headers:
            found["headers"] = {h: {"schema": {"type": "string"}} for h in answer.headers}
        return found


def build_spec(routes: list[BaseRoute]) -> dict[str, Any]:
    spec = Spec()
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route) or not route.include_in_schema:
            continue
        path = _PARAM.sub(r"{\1}", route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(path, {})[method.lower()] = spec.operation(route, method)
    spec.ref(Error)
    return {
        "openapi": "3.1.0",
        "info": {"title": "SegDICOM", "version": __version__},
        "paths": paths,
        "components": {"schemas": dict(sorted(spec.schemas.items()))},
    }


def _path_schema(name: str, convertor: str) -> dict[str, Any]:
    schema = dict(PATH_PARAMS.get(name) or PATH_PARAMS["uid" if name.endswith("uid") else "*"])
    if convertor == "int":
        assert schema.get("type") == "integer", name  # the route and the table agree
    return schema


def _media_schema(media: str) -> dict[str, Any]:
    if media == JSON:
        return {"type": "object"}
    return (
        {"type": "string"} if media.startswith("text/") else {"type": "string", "format": "binary"}
    )


def _tag(path: str) -> str:
    parts = [p for p in path.split("/") if p and not p.startswith("{")]
    return parts[1] if len(parts) > 1 and parts[0] == "api" else (parts or ["root"])[0]


@documented({200: Answer("the OpenAPI 3.1 document", media=JSON)})
def openapi(request: Request) -> JSONResponse:
    """This API, as OpenAPI 3.1."""
    return JSONResponse(build_spec(request.app.routes))
