"""Coded label presets for the viewer's segment menu."""

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api.answers import Preset
from segdicom.api.operation import Answer, documented
from segdicom.seg.codes import presets


def _code(code: Any) -> dict[str, str]:
    return {"code": code.value, "scheme": code.scheme, "meaning": code.meaning}


@documented({200: Answer("the presets", Preset, many=True)})
def list_presets(request: Request) -> JSONResponse:
    """Label presets with their SNOMED CT category and type and a default colour."""
    return JSONResponse(
        [
            {
                "label": p.label,
                "color": p.color,
                "category": _code(p.category),
                "type": _code(p.type),
                "synonyms": list(getattr(p, "synonyms", ())),
            }
            for p in presets()
        ]
    )


__all__ = ["asdict", "list_presets"]
