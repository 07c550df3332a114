"""What an endpoint takes and answers, declared beside it with `@documented(...)`.

The request models named here are the ones the endpoint parses with (`parse_body`,
`parse_query`); /openapi.json is generated from these declarations and the route table.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

F = TypeVar("F", bound=Callable[..., Any])
JSON = "application/json"
BINARY = "application/octet-stream"


@dataclass(frozen=True)
class Answer:
    """One documented response: JSON of `model` (a list of them when `many`), or `media`."""

    description: str
    model: type[BaseModel] | None = None
    many: bool = False
    media: str | None = None
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Body:
    """A request body that is not JSON (a mask, a multipart upload)."""

    media: str
    schema: dict[str, Any]
    description: str


@dataclass(frozen=True)
class Operation:
    answers: dict[int, Answer]
    body: type[BaseModel] | Body | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    if_match: Literal["required", "optional"] | None = None
    errors: dict[int, str] = field(default_factory=dict)


def documented(
    answers: dict[int, Answer],
    *,
    body: type[BaseModel] | Body | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    if_match: Literal["required", "optional"] | None = None,
    errors: dict[int, str] | None = None,
) -> Callable[[F], F]:
    """Attach the endpoint's contract; `errors` lists the error statuses worth naming."""
    operation = Operation(answers, body, body_required, query, if_match, errors or {})

    def mark(endpoint: F) -> F:
        endpoint.__operation__ = operation  # type: ignore[attr-defined]
        return endpoint

    return mark


def operation_of(endpoint: Callable[..., Any]) -> Operation | None:
    found = getattr(endpoint, "__operation__", None)
    return found if isinstance(found, Operation) else None
