"""Login, logout, who am I, API tokens, and (admins) users."""

from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from segdicom.api import answers as out
from segdicom.api.common import path_int, state
from segdicom.api.operation import Answer, documented
from segdicom.api.schemas import LoginIn, TokenIn, UserChange, UserIn
from segdicom.api.validation import parse_body
from segdicom.auth import identity, require_admin
from segdicom.auth.cookies import cleared, csrf_cookie, session_cookie
from segdicom.auth.identity import Identity, check_username
from segdicom.auth.passwords import MAX_LENGTH, hash_password
from segdicom.auth.secrets import digest, new_api_token
from segdicom.db import events
from segdicom.db import users as repo
from segdicom.db.models import ApiToken, User
from segdicom.errors import BadInput, Forbidden, Unauthorized
from segdicom.state import AppState

ADMIN = {403: "not an admin"}


@documented(
    {200: Answer("logged in; the session and CSRF cookies are set", out.Me)},
    body=LoginIn,
    errors={401: "wrong username or password, or the user is disabled", 403: "not JSON"},
)
async def login(request: Request) -> JSONResponse:
    """Check a password and start a viewer session (cookies: session + CSRF)."""
    _same_origin_json(request)
    try:
        body = await parse_body(request, LoginIn, limit=8192)
    except BadInput as exc:
        raise Unauthorized(f"username and password are required: {exc.detail}") from None
    username, password = body.username, body.password
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


@documented({204: Answer("logged out; the cookies are cleared")})
def logout(request: Request) -> Response:
    """End the caller's session."""
    st = state(request)
    who = identity(request)
    st.auth.logout(who)
    response = Response(status_code=204)
    for cookie in cleared():
        response.headers.append("set-cookie", cookie)
    return response


@documented({200: Answer("the caller", out.Me)})
def me(request: Request) -> JSONResponse:
    """Who the caller is, their role, how they authenticated, and the CSRF token."""
    who = identity(request)
    return JSONResponse(
        _me(who.username, who.role, who.via, who.csrf_token), headers={"cache-control": "no-store"}
    )


@documented(
    {201: Answer("the token; its secret is shown only now", out.NewToken)},
    body=TokenIn,
    body_required=False,
)
async def create_token(request: Request) -> JSONResponse:
    """A new API token for the caller; the secret is shown once, only its digest is kept."""
    st = state(request)
    who = identity(request)
    name = (await parse_body(request, TokenIn, limit=8192)).name
    payload = await run_in_threadpool(_create_token, st, who.username, name)
    return JSONResponse(payload, status_code=201, headers={"cache-control": "no-store"})


def _create_token(st: AppState, username: str, name: str) -> dict[str, Any]:
    secret = new_api_token()
    with st.sessions.begin() as session:
        user = repo.get_by_name(session, username)
        row = repo.add_token(session, user, name, digest(secret))
        events.append(session, user=username, action="create_token", detail=name)
        return {**_token(row), "token": secret}


@documented({200: Answer("the caller's tokens (no secrets)", out.Token, many=True)})
def list_tokens(request: Request) -> JSONResponse:
    """The caller's API tokens."""
    st = state(request)
    with st.sessions() as session:
        user = repo.get_by_name(session, identity(request).username)
        return JSONResponse([_token(t) for t in repo.tokens_of(session, user)])


@documented({204: Answer("revoked")}, errors={404: "no such token of the caller"})
def revoke_token(request: Request) -> Response:
    """Revoke an API token (the caller's own; an admin's any)."""
    st = state(request)
    who = identity(request)
    token_id = path_int(request, "id")
    with st.sessions.begin() as session:
        owner = None if who.is_admin else repo.get_by_name(session, who.username)
        repo.revoke_token(session, token_id, owner)
        events.append(session, user=who.username, action="revoke_token", detail=str(token_id))
    return Response(status_code=204)


@documented({200: Answer("every user", out.User, many=True)}, errors=ADMIN)
def list_users(request: Request) -> JSONResponse:
    """Every user (admins only)."""
    require_admin(request)
    with state(request).sessions() as session:
        return JSONResponse([_user(u) for u in repo.list_all(session)])


@documented(
    {201: Answer("the new user", out.User)},
    body=UserIn,
    errors={**ADMIN, 409: "the user exists"},
)
async def create_user(request: Request) -> JSONResponse:
    """Add a user (admins only); without a password they log in through the proxy only."""
    who = require_admin(request)
    body = await parse_body(request, UserIn, limit=8192)
    st = state(request)
    payload = await run_in_threadpool(
        _create_user, st, who.username, body.username, body.role, body.password
    )
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


@documented(
    {200: Answer("the user after the change", out.User)},
    body=UserChange,
    errors={**ADMIN, 404: "no such user"},
)
async def update_user(request: Request) -> JSONResponse:
    """Disable or enable a user, change their role or password (admins only)."""
    who = require_admin(request)
    username = check_username(request.path_params["username"])
    body = await parse_body(request, UserChange, limit=8192)
    payload = await run_in_threadpool(_update_user, state(request), who, username, body)
    return JSONResponse(payload)


def _update_user(st: AppState, who: Identity, username: str, body: UserChange) -> dict[str, Any]:
    hashed = hash_password(body.password) if body.password is not None else None
    with st.sessions.begin() as session:
        row = repo.get_by_name(session, username)
        if body.disabled is not None:
            if body.disabled and username == who.username:
                raise Forbidden("an admin cannot disable themselves")
            repo.set_disabled(session, username, body.disabled)
        if body.role is not None:
            row.role = body.role
        if hashed is not None:
            row.password_hash = hashed
        changes = ",".join(
            k for k in ("disabled", "role", "password") if k in body.model_fields_set
        )
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
