"""OpenAPI details of the segment editor's endpoints (statistics, operations)."""

from typing import Any

_JSON = "application/json"
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_RANGE = {"type": "array", "items": _INT, "minItems": 2, "maxItems": 2}
_SEGMENT = {"type": "integer", "minimum": 1, "maximum": 255}

STATISTICS = {
    "type": "object",
    "properties": {
        "annotation_id": _INT,
        "segments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "number": _INT,
                    "label": {"type": "string"},
                    "voxels": _INT,
                    "volume_mm3": _NUM,
                    "volume_ml": _NUM,
                    "mean": {"type": ["number", "null"]},
                    "sd": {"type": ["number", "null"], "description": "population SD"},
                    "min": {"type": ["number", "null"]},
                    "max": {"type": ["number", "null"]},
                    "median": {"type": ["number", "null"]},
                    "bbox": {
                        "type": ["object", "null"],
                        "description": "inclusive [first, last] indexes",
                        "properties": {"slices": _RANGE, "rows": _RANGE, "columns": _RANGE},
                    },
                    "slices": {"type": "array", "items": _INT, "description": "painted slices"},
                    "max_diameter_mm": _NUM,
                },
            },
        },
    },
}

OPERATION = {
    "type": "object",
    "required": ["operation"],
    "description": (
        "margin: segment, mm (> 0 grows, < 0 shrinks, 3D, anisotropic spacing). "
        "smoothing: segment, method median|opening|closing, kernel_mm (ball diameter). "
        "islands: segment, action keep_largest|remove_small|split, min_voxels (remove_small). "
        "logic: op copy|union|intersect|subtract|invert|clear, segment (the target), source. "
        "grow_from_seeds: segments (two or more; their masks are the seeds), region_mm "
        "(the seeds' bounding box grown by this, default 20; null: the whole volume). "
        "scissors: segment, polygon [[row, column], ...], mode fill|erase, where "
        "inside|outside, slices [first, last] (default: every slice). "
        "preview: true answers the new masks and writes nothing."
    ),
    "properties": {
        "operation": {
            "enum": ["margin", "smoothing", "islands", "logic", "grow_from_seeds", "scissors"]
        },
        "preview": {"type": "boolean", "default": False},
        "segment": _SEGMENT,
        "source": _SEGMENT,
        "segments": {"type": "array", "items": _SEGMENT, "minItems": 2},
        "mm": _NUM,
        "kernel_mm": _NUM,
        "method": {"enum": ["median", "opening", "closing"]},
        "action": {"enum": ["keep_largest", "remove_small", "split"]},
        "min_voxels": _INT,
        "op": {"enum": ["copy", "union", "intersect", "subtract", "invert", "clear"]},
        "region_mm": {"type": ["number", "null"]},
        "polygon": {"type": "array", "items": {"type": "array", "items": _NUM}},
        "mode": {"enum": ["fill", "erase"]},
        "where": {"enum": ["inside", "outside"]},
        "slices": _RANGE,
    },
}

RESULT = {
    "type": "object",
    "properties": {
        "operation": {"type": "string"},
        "preview": {"type": "boolean"},
        "version": {"type": ["integer", "null"], "description": "null for a preview"},
        "changed": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"segment": _INT, "slices": {"type": "array", "items": _INT}},
            },
        },
        "created": {"type": "array", "items": _INT, "description": "segments made by split"},
        "masks": {
            "type": "array",
            "description": "preview only: each changed slice's new mask (base64 mask format)",
            "items": {
                "type": "object",
                "properties": {"segment": _INT, "slice": _INT, "mask": {"type": "string"}},
            },
        },
    },
}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


EDITOR_DETAILS: dict[str, dict[str, Any]] = {
    "statistics": {"responses": {"200": _answer("statistics per segment", STATISTICS)}},
    "run_operation": {
        "parameters_extra": [
            {"name": "If-Match", "in": "header", "required": True, "schema": _INT}
        ],
        "requestBody": {"required": True, "content": {_JSON: {"schema": OPERATION}}},
        "responses": {
            "200": _answer("what changed (and, for a preview, the new masks)", RESULT),
            "400": {"description": "a bad body (the message names the field) or no If-Match"},
            "409": {"description": "the annotation's version is not If-Match's"},
        },
    },
}
