"""create_app(settings) -> Starlette. The lifespan owns the engine, store and clients."""

import contextlib
from collections.abc import AsyncIterator

from anyio import CapacityLimiter, to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from segdicom.api import HANDLERS, routes
from segdicom.api.common import PACS_THREADS
from segdicom.api.errors import render
from segdicom.auth import Authenticator, AuthMiddleware
from segdicom.bundled import bundled_dir
from segdicom.config import Settings
from segdicom.db import jobs, make_engine, make_sessionmaker, upgrade
from segdicom.db.engine import CONNECTIONS
from segdicom.imaging import VolumeCache
from segdicom.jobs import Jobs
from segdicom.middleware import BodyLimit, SecurityHeaders
from segdicom.observability import Observe
from segdicom.process import is_gone
from segdicom.services import start_services
from segdicom.state import AppState
from segdicom.store import FileStore, Store

VIEWER_DIR = bundled_dir("viewer")


def build_state(settings: Settings) -> AppState:
    """Everything the handlers use, built from settings (also used by tests and the CLI)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    files = FileStore(settings.data_dir)
    cache = VolumeCache(settings.volume_cache_bytes)
    store = Store(files, sessions, on_stored=cache.forget, on_header=cache.remember_header)
    # Files a crash left without a row, and its partial files, where the
    # journals of writers that are gone say (it logs what it repaired).
    store.recover()
    with sessions.begin() as session:  # jobs a killed process of ours left running
        jobs.fail_abandoned(session, is_gone)
    auth = Authenticator(settings, sessions)

    def ended(job_id: str) -> bool:
        with sessions() as session:
            return jobs.ended(session, job_id)

    state = AppState(settings, engine, sessions, store, cache, auth, Jobs(ended))
    state.on_stop.append(store.close)
    return state


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Request threads (plain `def` endpoints, run_in_threadpool): as many as database
        # connections. More only wait on the pool while fighting over the GIL: with 50
        # annotators at once the p95 of `next` was 342 ms with 20 threads against 834 ms
        # with anyio's 40 in back-to-back runs (bench_projects; 8 and 16 did as well).
        to_thread.current_default_thread_limiter().total_tokens = CONNECTIONS
        # PACS searches run on threads of their own (api/common.py on_pacs_thread).
        app.state.pacs_limiter = CapacityLimiter(PACS_THREADS)
        st = build_state(settings)
        app.state.segdicom = st
        start_services(st)
        # Last in, first out: running jobs stop before the PACS clients, SCP and store.
        st.on_stop.append(st.jobs.stop)
        try:
            yield
        finally:
            for stop in reversed(st.on_stop):
                stop()
            st.engine.dispose()

    all_routes = routes()
    if VIEWER_DIR.is_dir():
        all_routes.append(Mount("/", StaticFiles(directory=VIEWER_DIR, html=True), name="viewer"))
    return Starlette(
        routes=all_routes,
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        middleware=[
            Middleware(Observe),  # outermost: request id and latency for every request
            Middleware(BodyLimit, limit=settings.max_upload_bytes),
            Middleware(SecurityHeaders),
            Middleware(AuthMiddleware, render=render),  # who is calling: 401/403 before any handler
            Middleware(GZipMiddleware, minimum_size=2048, compresslevel=5),
        ],
        lifespan=lifespan,
    )
