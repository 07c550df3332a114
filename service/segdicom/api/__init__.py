"""HTTP endpoints, one module per resource; `routes()` is the whole table."""

from starlette.routing import BaseRoute, Route

from segdicom.api import (
    annotations,
    auth,
    datasets,
    exports,
    health,
    log,
    openapi,
    pacs,
    presets,
    reformat,
    seed,
    series,
    studies,
    uploads,
)
from segdicom.api.errors import HANDLERS
from segdicom.observability import metrics_endpoint


def routes() -> list[BaseRoute]:
    a = annotations
    mask = "/api/annotations/{id:int}/segments/{number:int}/slices/{index:int}"
    return [
        Route("/healthz", health.healthz),
        Route("/openapi.json", openapi.openapi),
        Route("/metrics", metrics_endpoint),
        Route("/api/uploads", uploads.upload, methods=["POST"]),
        Route("/api/studies", studies.list_studies),
        Route("/api/studies/{study_uid}/series", studies.list_series),
        Route("/api/series/{series_uid}", series.series_info),
        Route("/api/series/{series_uid}/slices/{index:int}", series.slice_data),
        Route("/api/series/{series_uid}/reformat/{axis}/{index:int}", reformat.reformat_data),
        Route("/api/presets", presets.list_presets),
        Route("/api/annotations", a.create_annotation, methods=["POST"]),
        Route("/api/annotations", a.list_annotations, methods=["GET"]),
        Route("/api/annotations/{id:int}", a.get_annotation, methods=["GET"]),
        Route("/api/annotations/{id:int}", a.delete_annotation, methods=["DELETE"]),
        Route("/api/annotations/{id:int}/segments/{number:int}", a.put_segment, methods=["PUT"]),
        Route(
            "/api/annotations/{id:int}/segments/{number:int}", a.delete_segment, methods=["DELETE"]
        ),
        Route(mask, a.put_mask, methods=["PUT"]),
        Route(mask, a.get_mask, methods=["GET"]),
        Route("/api/annotations/{id:int}/exports", exports.create_export, methods=["POST"]),
        Route("/api/exports", exports.list_exports),
        Route("/api/exports/{id:int}", exports.get_export),
        Route("/api/exports/{id:int}/file", exports.export_file),
        Route("/api/exports/{id:int}/sr", exports.export_sr),
        Route("/api/log.csv", log.log_csv),
        Route("/api/datasets", datasets.create_dataset, methods=["POST"]),
        Route("/api/datasets/{id:int}", datasets.get_dataset),
        Route("/api/datasets/{id:int}/file", datasets.dataset_file),
        *pacs_routes(),
        *auth_routes(),
        Route("/upload", seed.upload, methods=["POST"]),
        Route("/slice/{volume_id}/{index:int}", seed.get_slice),
        Route("/save_mask/{volume_id}/{index:int}", seed.save_mask, methods=["POST"]),
    ]


def pacs_routes() -> list[BaseRoute]:
    return [
        Route("/api/series/{series_uid}/retrieve", pacs.retrieve_series, methods=["POST"]),
        Route("/api/series/{series_uid}/segs", pacs.list_segs),
        Route(
            "/api/series/{series_uid}/segs/{sop_instance_uid}/import",
            pacs.import_from_pacs,
            methods=["POST"],
        ),
        Route("/api/jobs/{job_id}", pacs.get_job),
        Route("/api/annotations/import", pacs.import_annotation, methods=["POST"]),
        Route("/api/exports/{id:int}/retry", pacs.retry_export, methods=["POST"]),
    ]


def auth_routes() -> list[BaseRoute]:
    return [
        Route("/api/auth/login", auth.login, methods=["POST"]),
        Route("/api/auth/logout", auth.logout, methods=["POST"]),
        Route("/api/auth/me", auth.me),
        Route("/api/auth/tokens", auth.create_token, methods=["POST"]),
        Route("/api/auth/tokens", auth.list_tokens, methods=["GET"]),
        Route("/api/auth/tokens/{id:int}", auth.revoke_token, methods=["DELETE"]),
        Route("/api/users", auth.list_users, methods=["GET"]),
        Route("/api/users", auth.create_user, methods=["POST"]),
        Route("/api/users/{username}", auth.update_user, methods=["PATCH"]),
    ]


__all__ = ["HANDLERS", "routes"]
