"""Prometheus metrics of one app: request latency, jobs, outbox, SCP, volume cache.

Each app has its own registry (several apps in one test process must not
collide). Counters and the latency histogram are fed as things happen; the
database figures (outbox depth and age, job progress) and the cache size are
read at scrape time by `StateCollector`, so every process reports the shared
database's state.
"""

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from segdicom.db import exports as exports_db
from segdicom.db import jobs as jobs_db
from segdicom.db.types import utcnow
from segdicom.errors import NotFound
from segdicom.imaging import VolumeCache
from segdicom.process import is_gone

# Slices answer in ~1 ms, exports and pulls take seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """The registry and the instruments the service feeds."""

    def __init__(self, sessions: sessionmaker[Session], cache: VolumeCache) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "segdicom_http_request_duration_seconds",
            "HTTP request latency by route template, method and status class.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.scp_associations = Counter(
            "segdicom_scp_associations",
            "Associations accepted by the C-STORE SCP.",
            registry=self.registry,
        )
        self.scp_instances = Counter(
            "segdicom_scp_instances",
            "Instances received by the C-STORE SCP, by outcome (stored or refused).",
            ["outcome"],
            registry=self.registry,
        )
        self.registry.register(StateCollector(sessions, cache))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, f"{status // 100}xx").observe(seconds)

    def scp_event(self, kind: str) -> None:
        """SCP hook: "association", "stored" or "refused"."""
        if kind == "association":
            self.scp_associations.inc()
        else:
            self.scp_instances.labels(kind).inc()


class StateCollector(Collector):
    """Gauges read when scraped: outbox depth/age, jobs, volume cache bytes."""

    def __init__(self, sessions: sessionmaker[Session], cache: VolumeCache) -> None:
        self.sessions = sessions
        self.cache = cache

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        with self.sessions.begin() as session:
            jobs_db.fail_abandoned(session, is_gone)  # not counted as running for ever
            depth, oldest = exports_db.pending_depth(session)
            by_status = exports_db.count_by_status(session)
            jobs = jobs_db.running_progress(session)
            job_states = jobs_db.count_by_state(session)
        yield _gauge("segdicom_outbox_pending", "Exports waiting for delivery.", depth)
        yield _gauge(
            "segdicom_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending export (0 when none).",
            _age(now, oldest),
        )
        exports = GaugeMetricFamily("segdicom_exports", "Exports by status.", labels=["status"])
        for status, count in by_status:
            exports.add_metric([status], count)
        yield exports
        states = GaugeMetricFamily("segdicom_jobs", "Jobs by state.", labels=["state"])
        for state, count in job_states:
            states.add_metric([state], count)
        yield states
        progress = GaugeMetricFamily(
            "segdicom_job_progress_ratio", "Done / total of running jobs.", labels=["job", "kind"]
        )
        for job_id, kind, done, total in jobs:
            progress.add_metric([job_id, kind], done / total if total else 0.0)
        yield progress
        yield _gauge(
            "segdicom_volume_cache_bytes",
            "Bytes of encoded slices held by the volume cache.",
            self.cache.slices.used,
        )
        yield _gauge(
            "segdicom_volume_cache_budget_bytes",
            "The cache budget (SEGDICOM_VOLUME_CACHE_BYTES).",
            self.cache.slices.budget,
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(now: datetime, oldest: datetime | None) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite's MIN() bypasses the column type's conversion
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: the Prometheus text format; 404 when SEGDICOM_METRICS is off."""
    metrics = request.app.state.segdicom.metrics
    if not isinstance(metrics, Metrics):
        raise NotFound("metrics are off (SEGDICOM_METRICS=false)")
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
