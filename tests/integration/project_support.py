"""Helpers of the project tests: users with API tokens, projects, cases, readings."""

from datetime import timedelta
from typing import Any

import httpx
from pydicom.uid import generate_uid
from sqlalchemy import update
from tests.integration.auth_support import add_users
from tests.integration.support import disc, put_mask, upload_series

from segdicom.auth.secrets import digest, new_api_token
from segdicom.config import Settings
from segdicom.db import make_engine, make_sessionmaker, users
from segdicom.db import projects as project_rows
from segdicom.db.models import Instance, Task
from segdicom.db.types import utcnow

CT = "1.2.840.10008.5.1.4.1.1.2"
LABELS = [
    {"label": "Liver"},
    {"label": "Tumor", "color": "#00ff00"},
    {
        "label": "Lesion X",
        "category": {"code": "49755003", "scheme": "SCT", "meaning": "Morphologically Abnormal"},
        "type": {"code": "4147007", "scheme": "SCT", "meaning": "Mass"},
    },
]


def users_with_tokens(settings: Settings, **roles: str) -> dict[str, str]:
    """Users (name=role) in the database before the app starts; name -> API token."""
    add_users(settings, **roles)
    engine = make_engine(settings.resolved_database_url)
    tokens = {}
    try:
        with make_sessionmaker(engine).begin() as session:
            for name in roles:
                token = new_api_token()
                users.add_token(session, users.get_by_name(session, name), "tests", digest(token))
                tokens[name] = token
    finally:
        engine.dispose()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def http_clients(url: str, tokens: dict[str, str]) -> dict[str, httpx.Client]:
    return {
        name: httpx.Client(base_url=url, headers=bearer(token), timeout=60)
        for name, token in tokens.items()
    }


def create_project(admin: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    response = admin.post("/api/projects", json={"name": name, "labels": LABELS, **fields})
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()
    return project


def set_lease(settings: Settings, task_id: int, minutes_from_now: float) -> None:
    """Move a reading's lease (instead of waiting for it)."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            when = utcnow() + timedelta(minutes=minutes_from_now)
            session.execute(update(Task).where(Task.id == task_id).values(lease_expires=when))
    finally:
        engine.dispose()


def add_cases_directly(
    settings: Settings, project_id: int, count: int, with_images: bool = True
) -> list[int]:
    """Cases of made-up series, written through the db layer: each with one index row
    (`next` hands out cases with images) and no file (assignment reads none), or none."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            study = generate_uid()
            cases = []
            for _ in range(count):
                series, sop = generate_uid(), generate_uid()
                if with_images:
                    session.add(made_up_instance(study, series, sop))
                cases.append(
                    project_rows.add_case(session, project_id, series, study, "test", "api")
                )
            return [c.id for c in cases if c is not None]
    finally:
        engine.dispose()


def made_up_instance(study: str, series: str, sop: str) -> Instance:
    """An index row with no file behind it."""
    return Instance(
        sop_instance_uid=sop,
        sop_class_uid=CT,
        study_uid=study,
        series_uid=series,
        is_image=True,
        path=f"made-up/{sop}",
    )


def next_task(client: httpx.Client, project_id: int) -> dict[str, Any] | None:
    """The caller's next reading, None when nothing is left (404)."""
    response = client.post(f"/api/projects/{project_id}/next")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def submit(client: httpx.Client, task_id: int) -> dict[str, Any]:
    response = client.post(f"/api/tasks/{task_id}/submit")
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def review(client: httpx.Client, task_id: int, decision: str, comment: str = "") -> dict[str, Any]:
    response = client.post(
        f"/api/tasks/{task_id}/review", json={"decision": decision, "comment": comment}
    )
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def painted_reading(
    admin: httpx.Client, reader: httpx.Client, name: str, **fields: Any
) -> tuple[dict[str, Any], int]:
    """A one-case project `name` on the CT phantom whose reading `reader` took and painted
    (a disc on slice 4): the task and the annotation's version after the stroke."""
    series_uid = upload_series(admin, "ct_philips_phantom")
    project = create_project(admin, name, **fields)
    admin.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
    task = next_task(reader, project["id"])
    assert task is not None
    aid = task["annotation_id"]
    version = reader.get(f"/api/annotations/{aid}").json()["version"]
    return task, put_mask(reader, aid, 1, 4, disc(512, 512, 250, 250, 40), version)
