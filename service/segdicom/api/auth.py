"""Login, logout, who am I, API tokens, and (admins) users."""

from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from segdicom.api.common import json_body, path_int, state
from segdicom.auth import identity, require_admin
from segdicom.auth.cookies import cleared, csrf_cookie, session_cookie
from segdicom.auth.identity import Identity, check_role, check_username
from segdicom.auth.passwords import MAX_LENGTH, hash_password
from segdicom.auth.secrets import digest, new_api_token
from segdicom.db import events
from segdicom.db import users as repo
from segdicom.db.models import ApiToken, User
from segdicom.errors import BadInput, Forbidden, Unauthorized
from segdicom.state import AppState


async def login(request: Request) -> JSONResponse:
    """Check a password and start a viewer session (cookies: session + CSRF)."""
    _same_origin_json(request)
    body = await json_body(request, limit=8192)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise Unauthorized("username and password are required")
    if len(username) > 64 or len(password) > MAX_LENGTH:
        raise Unauthorized("wrong username or password, or the user is disabled")
    st = state(request)
    try:
        who, secret = await run_in_threadpool(st.auth.login, username, password)
    except Unauthorized:
        detail = f"{username[:64]!r} {_peer(request)}"
        await run_in_threadpool(_event, st, "", "login_failed", detail)
        raise
    await run_in_threadpool(_event, st, who.username, "login", _peer(request))
    response = JSONResponse(_me(who.username, who.role, who.via, who.csrf_token))
    response.headers.append("set-cookie", session_cookie(secret, st.settings))
    response.headers.append("set-cookie", csrf_cookie(who.csrf_token, st.settings))
    response.headers["cache-control"] = "no-store"
    return response


def logout(request: Request) -> Response:
    st = state(request)
    who = identity(request)
    st.auth.logout(who)
    response = Response(status_code=204)
    for cookie in cleared():
        response.headers.append("set-cookie", cookie)
    return response


def me(request: Request) -> JSONResponse:
    who = identity(request)
    return JSONResponse(
        _me(who.username, who.role, who.via, who.csrf_token), headers={"cache-control": "no-store"}
    )


async def create_token(request: Request) -> JSONResponse:
    """A new API token for the caller; the secret is shown once, only its digest is kept."""
    st = state(request)
    who = identity(request)
    body = await json_body(request, limit=8192)
    name = body.get("name", "")
    if not isinstance(name, str) or len(name) > 64:
        raise BadInput("name must be a string of up to 64 characters")
    payload = await run_in_threadpool(_create_token, st, who.username, name)
    return JSONResponse(payload, status_code=201, headers={"cache-control": "no-store"})


def _create_token(st: AppState, username: str, name: str) -> dict[str, Any]:
    secret = new_api_token()
    with st.sessions.begin() as session:
        user = repo.get_by_name(session, username)
        row = repo.add_token(session, user, name, digest(secret))
        events.append(session, user=username, action="create_token", detail=name)
        return {**_token(row), "token": secret}


def list_tokens(request: Request) -> JSONResponse:
    st = state(request)
    with st.sessions() as session:
        user = repo.get_by_name(session, identity(request).username)
        return JSONResponse([_token(t) for t in repo.tokens_of(session, user)])


def revoke_token(request: Request) -> Response:
    st = state(request)
    who = identity(request)
    token_id = path_int(request, "id", 1)
    with st.sessions.begin() as session:
        owner = None if who.is_admin else repo.get_by_name(session, who.username)
        repo.revoke_token(session, token_id, owner)
        events.append(session, user=who.username, action="revoke_token", detail=str(token_id))
    return Response(status_code=204)


def list_users(request: Request) -> JSONResponse:
    require_admin(request)
    with state(request).sessions() as session:
        return JSONResponse([_user(u) for u in repo.list_all(session)])


async def create_user(request: Request) -> JSONResponse:
    who = require_admin(request)
    body = await json_body(request, limit=8192)
    username = check_username(body.get("username"))
    role = check_role(body.get("role", "annotator"))
    password = body.get("password", "")
    if not isinstance(password, str):
        raise BadInput("password must be a string")
    st = state(request)
    payload = await run_in_threadpool(_create_user, st, who.username, username, role, password)
    return JSONResponse(payload, status_code=201)


def _create_user(
    st: AppState, admin: str, username: str, role: str, password: str
) -> dict[str, Any]:
    hashed = hash_password(password) if password else ""
    with st.sessions.begin() as session:
        row = repo.add(session, username, hashed, role)
        events.append(session, user=admin, action="add_user", detail=f"{username} {role}")
        payload = _user(row)
    st.auth.users_changed()
    return payload


async def update_user(request: Request) -> JSONResponse:
    """Disable or enable a user, change their role or password."""
    who = require_admin(request)
    username = check_username(request.path_params["username"])
    body = await json_body(request, limit=8192)
    payload = await run_in_threadpool(_update_user, state(request), who, username, body)
    return JSONResponse(payload)


def _update_user(
    st: AppState, who: Identity, username: str, body: dict[str, Any]
) -> dict[str, Any]:
    password = body.get("password")
    hashed = hash_password(password) if isinstance(password, str) else None
    with st.sessions.begin() as session:
        row = repo.get_by_name(session, username)
        if "disabled" in body:
            if not isinstance(body["disabled"], bool):
                raise BadInput("disabled must be true or false")
            if body["disabled"] and username == who.username:
                raise Forbidden("an admin cannot disable themselves")
            repo.set_disabled(session, username, body["disabled"])
        if "role" in body:
            row.role = check_role(body["role"])
        if hashed is not None:
            row.password_hash = hashed
        changes = ",".join(k for k in ("disabled", "role", "password") if k in body)
        events.append(
            session, user=who.username, action="update_user", detail=f"{username} {changes}"
        )
        return _user(row)


def _event(st: AppState, user: str, action: str, detail: str) -> None:
    with st.sessions.begin() as session:
        events.append(session, user=user, action=action, detail=detail)


def _same_origin_json(request: Request) -> None:
    """Login takes JSON only: a cross-site HTML form cannot send it without CORS."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Forbidden("login takes a JSON body (Content-Type: application/json)")
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise Forbidden(f"login from another origin refused: {origin[:100]!r}")


def _peer(request: Request) -> str:
    return f"from {request.client.host}" if request.client else ""


def _me(username: str, role: str, via: str, csrf: str) -> dict[str, Any]:
    return {"username": username, "role": role, "via": via, "csrf_token": csrf or None}


def _token(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "revoked": row.revoked,
        "created_at": row.created_at.isoformat(),
    }


def _user(row: User) -> dict[str, Any]:
    return {
        "username": row.username,
        "role": row.role,
        "disabled": row.disabled,
        "has_password": bool(row.password_hash),
        "created_at": row.created_at.isoformat(),
    }
