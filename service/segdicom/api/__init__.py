"""HTTP endpoints, one module per resource; `routes()` is the whole table."""

from starlette.routing import BaseRoute, Route

from segdicom.api import (
    annotations,
    auth,
    datasets,
    editor,
    exports,
    health,
    jobs,
    legacy,
    log,
    openapi,
    presets,
    projects,
    reformat,
    segs,
    series,
    studies,
    tasks,
    uploads,
)
from segdicom.api.errors import HANDLERS
from segdicom.api.operation import Answer, documented
from segdicom.observability import metrics_endpoint

metrics = documented(
    {200: Answer("Prometheus text format", media="text/plain")},
    errors={401: "an API token is needed once users exist", 404: "SEGDICOM_METRICS=false"},
)(metrics_endpoint)


def routes() -> list[BaseRoute]:
    a = annotations
    mask = "/api/annotations/{id}/segments/{number}/slices/{index}"
    return [
        Route("/healthz", health.healthz),
        Route("/openapi.json", openapi.openapi),
        Route("/metrics", metrics),
        Route("/api/uploads", uploads.upload, methods=["POST"]),
        Route("/api/studies", studies.list_studies),
        Route("/api/studies/{study_uid}/series", studies.list_series),
        Route("/api/series/{series_uid}", series.series_info),
        Route("/api/series/{series_uid}/slices/{index}", series.slice_data),
        Route("/api/series/{series_uid}/reformat/{axis}/{index}", reformat.reformat_data),
        Route("/api/presets", presets.list_presets),
        Route("/api/annotations", a.create_annotation, methods=["POST"]),
        Route("/api/annotations", a.list_annotations, methods=["GET"]),
        Route("/api/annotations/{id}", a.get_annotation, methods=["GET"]),
        Route("/api/annotations/{id}", a.delete_annotation, methods=["DELETE"]),
        Route("/api/annotations/{id}/segments/{number}", a.put_segment, methods=["PUT"]),
        Route("/api/annotations/{id}/segments/{number}", a.delete_segment, methods=["DELETE"]),
        Route("/api/annotations/{id}/statistics", editor.statistics),
        Route("/api/annotations/{id}/operations", editor.run_operation, methods=["POST"]),
        Route(mask, a.put_mask, methods=["PUT"]),
        Route(mask, a.get_mask, methods=["GET"]),
        Route("/api/annotations/{id}/exports", exports.create_export, methods=["POST"]),
        Route("/api/exports", exports.list_exports),
        Route("/api/exports/{id}", exports.get_export),
        Route("/api/exports/{id}/file", exports.export_file),
        Route("/api/exports/{id}/sr", exports.export_sr),
        Route("/api/log.csv", log.log_csv),
        Route("/api/datasets", datasets.create_dataset, methods=["POST"]),
        Route("/api/datasets/{id}", datasets.get_dataset),
        Route("/api/datasets/{id}/file", datasets.dataset_file),
        *pacs_routes(),
        *auth_routes(),
        *project_routes(),
        Route("/upload", legacy.upload, methods=["POST"], name="legacy_upload"),
        Route("/slice/{volume_id}/{index}", legacy.get_slice, name="legacy_slice"),
        Route(
            "/save_mask/{volume_id}/{index}",
            legacy.save_mask,
            methods=["POST"],
            name="legacy_save_mask",
        ),
    ]


def pacs_routes() -> list[BaseRoute]:
    return [
        Route("/api/series/{series_uid}/retrieve", jobs.retrieve_series, methods=["POST"]),
        Route("/api/series/{series_uid}/segs", segs.list_segs),
        Route(
            "/api/series/{series_uid}/segs/{sop_instance_uid}/import",
            segs.import_from_pacs,
            methods=["POST"],
        ),
        Route("/api/jobs/{job_id}", jobs.get_job),
        Route("/api/annotations/import", segs.import_annotation, methods=["POST"]),
        Route("/api/exports/{id}/retry", exports.retry_export, methods=["POST"]),
    ]


def project_routes() -> list[BaseRoute]:
    p, t = projects, tasks
    return [
        Route("/api/projects", p.create_project, methods=["POST"]),
        Route("/api/projects", p.list_projects, methods=["GET"]),
        Route("/api/projects/{id}", p.get_project, methods=["GET"]),
        Route("/api/projects/{id}", p.update_project, methods=["PATCH"]),
        Route("/api/projects/{id}/cases", p.add_cases, methods=["POST"]),
        Route("/api/projects/{id}/cases", p.list_cases, methods=["GET"]),
        Route("/api/projects/{id}/next", t.next_task, methods=["POST"]),
        Route("/api/projects/{id}/agreement.csv", p.agreement_csv, methods=["GET"]),
        Route("/api/cases/{id}/consensus", p.start_consensus, methods=["POST"]),
        Route("/api/tasks", t.list_tasks, methods=["GET"]),
        Route("/api/tasks", t.create_task, methods=["POST"]),
        Route("/api/tasks/{id}", t.get_task, methods=["GET"]),
        Route("/api/tasks/{id}", t.update_task, methods=["PATCH"]),
        Route("/api/tasks/{id}/submit", t.submit_task, methods=["POST"]),
        Route("/api/tasks/{id}/review", t.review_task, methods=["POST"]),
        Route("/api/annotations/{id}/comments", t.add_comment, methods=["POST"]),
        Route("/api/annotations/{id}/comments", t.list_comments, methods=["GET"]),
    ]


def auth_routes() -> list[BaseRoute]:
    return [
        Route("/api/auth/login", auth.login, methods=["POST"]),
        Route("/api/auth/logout", auth.logout, methods=["POST"]),
        Route("/api/auth/me", auth.me),
        Route("/api/auth/tokens", auth.create_token, methods=["POST"]),
        Route("/api/auth/tokens", auth.list_tokens, methods=["GET"]),
        Route("/api/auth/tokens/{id}", auth.revoke_token, methods=["DELETE"]),
        Route("/api/users", auth.list_users, methods=["GET"]),
        Route("/api/users", auth.create_user, methods=["POST"]),
        Route("/api/users/{username}", auth.update_user, methods=["PATCH"]),
    ]


__all__ = ["HANDLERS", "routes"]
