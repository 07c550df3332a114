"""Errors carry data: retries are decided from statuses, HTTP statuses from the class tree."""

from http import HTTPStatus

from segdicom.api.errors import render, status_of
from segdicom.errors import (
    NotFound,
    PacsRefused,
    PacsStopped,
    PacsUnavailable,
    SegDicomError,
    TooLarge,
    Unauthorized,
)
from segdicom.pacs.outbox import is_permanent


def test_refusals_that_no_retry_can_heal_are_permanent_by_their_status_not_their_words() -> None:
    assert is_permanent(PacsRefused("x", http_status=HTTPStatus.CONFLICT))
    assert is_permanent(PacsRefused("x", dimse_status=0xA900))  # wrong SOP class
    assert is_permanent(PacsRefused("x", dimse_status=0xC123))  # cannot understand
    assert not is_permanent(PacsRefused("x", http_status=HTTPStatus.SERVICE_UNAVAILABLE))
    assert not is_permanent(PacsRefused("x", http_status=HTTPStatus.UNAUTHORIZED))
    assert not is_permanent(PacsRefused("x", dimse_status=0xA700))  # out of resources
    assert not is_permanent(PacsRefused("PACS answered HTTP 400 to: store"))  # words alone


class NoSuchSlice(NotFound):
    """A subclass with no entry of its own."""


def test_the_status_is_the_nearest_ancestors_in_the_class_tree() -> None:
    assert status_of(NoSuchSlice("x")) == HTTPStatus.NOT_FOUND
    assert status_of(TooLarge("x")) == HTTPStatus.REQUEST_ENTITY_TOO_LARGE  # not BadInput's 400
    assert status_of(PacsStopped("x", received=3)) == HTTPStatus.BAD_GATEWAY
    assert status_of(SegDicomError("x")) == HTTPStatus.INTERNAL_SERVER_ERROR
    assert isinstance(PacsStopped("x", received=3), PacsUnavailable)


def test_one_renderer_answers_error_detail_extra_fields_and_a_challenge_for_401() -> None:
    response = render(NotFound("no series 1.2"), rejected=[])
    assert response.status_code == 404
    assert response.body == b'{"error":"not_found","detail":"no series 1.2","rejected":[]}'
    challenged = render(Unauthorized("log in"), {"Cache-Control": "no-store"})
    assert challenged.headers["www-authenticate"].startswith("Bearer")
    assert challenged.headers["cache-control"] == "no-store"
