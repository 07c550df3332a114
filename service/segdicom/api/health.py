"""Liveness and readiness."""

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom import __version__
from segdicom.api.answers import Health
from segdicom.api.common import state
from segdicom.api.operation import Answer, documented


@documented({200: Answer("healthy", Health)})
def healthz(request: Request) -> JSONResponse:
    """Service health: database reachable, data folder present, optional parts."""
    st = state(request)
    with st.sessions() as session:
        session.execute(text("SELECT 1"))
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "database": st.engine.dialect.name,
            "data_dir": str(st.settings.data_dir),
            "pacs": st.settings.dicomweb_url or None,
            "pacs_vias": [v for v in ("dicomweb", "dimse") if v in st.services],
            "scp": "scp" in st.services,
        }
    )
