"""The floor of a request that changes the database: a bare Starlette app on uvicorn.

bench_projects runs it beside `segdicom serve`, on the same PostgreSQL, with the
same server stack (uvicorn with httptools and uvloop, one process; SQLAlchemy
with psycopg; a sync endpoint in Starlette's thread pool). `POST /floor` checks
the API token (one indexed read) and writes one row in one transaction. No
middleware, no ORM, nothing else: what any Python service built on these
libraries pays for an authenticated write, before doing anything of its own.

    FLOOR_DATABASE_URL=postgresql+psycopg://... FLOOR_TOKENS='{"name": "token"}' \
        python -m uvicorn bench.floor_app:app
"""

import contextlib
import json
import os
from collections.abc import AsyncIterator

from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ENGINE = create_engine(os.environ["FLOOR_DATABASE_URL"], pool_size=10, max_overflow=10)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS floor_tokens (token TEXT PRIMARY KEY, username TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS floor_rows (id SERIAL PRIMARY KEY, username TEXT NOT NULL)",
)
WHO = text("SELECT username FROM floor_tokens WHERE token = :token")
WRITE = text("INSERT INTO floor_rows (username) VALUES (:username) RETURNING id")


def floor(request: Request) -> JSONResponse:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    with ENGINE.connect() as connection:
        username = connection.execute(WHO, {"token": token}).scalar()
    if username is None:
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    with ENGINE.begin() as connection:
        row = connection.execute(WRITE, {"username": username}).scalar()
    return JSONResponse({"id": row})


def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def setup() -> None:
    """The tables and the callers' tokens (FLOOR_TOKENS: name -> token), before serving."""
    names = json.loads(os.environ.get("FLOOR_TOKENS", "{}"))
    with ENGINE.begin() as connection:
        for statement in SCHEMA:
            connection.execute(text(statement))
        if names:
            connection.execute(
                text("INSERT INTO floor_tokens VALUES (:token, :username) ON CONFLICT DO NOTHING"),
                [{"token": t, "username": n} for n, t in names.items()],
            )


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    setup()
    yield
    ENGINE.dispose()


app = Starlette(
    routes=[Route("/floor", floor, methods=["POST"]), Route("/healthz", health)],
    lifespan=lifespan,
)
