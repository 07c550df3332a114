"""Liveness and readiness."""

from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom import __version__
from segdicom.api.answers import Health
from segdicom.api.common import state
from segdicom.api.operation import Answer, documented
from segdicom.db.engine import ping
from segdicom.enums import Via


@documented({200: Answer("healthy", Health)})
def healthz(request: Request) -> JSONResponse:
    """Service health: database reachable, data folder present, optional parts."""
    st = state(request)
    ping(st.sessions)
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "database": st.engine.dialect.name,
            "data_dir": str(st.settings.data_dir),
            "pacs": st.settings.dicomweb_url or None,
            "pacs_vias": [v for v in Via if st.pacs(v) is not None],
            "scp": st.scp is not None,
        }
    )
