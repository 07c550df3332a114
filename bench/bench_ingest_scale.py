"""Benchmark: ingest as the study grows, 2,000 slices against 300, C-STORE and pull.

Not a test: prints the figures. For each size, a synthetic 512x512 CT series
(uncompressed, bench/synthetic.py) is

- sent by one dcmtk `storescu` to a fresh `segdicom serve` (subprocess, SQLite,
  temporary data folder) until every instance is indexed, and
- loaded into a fresh Orthanc (DICOMweb plugin) and pulled by a fresh
  `segdicom serve` over WADO-RS (POST /api/series/{uid}/retrieve, the job
  followed until done and the volume described),

while the service's memory is read from /proc: its resident size once idle
(started, migrated, listening) and its peak (VmHWM) after the ingest.

The sizes are run in turn, `--runs` times (interleaved), and each time is the
best of its runs, each peak the worst: one run per size moved the ratio by the
disk's mood of the moment (the same 300 slices took 1.8 to 2.6 s).

Targets (issue 16): time for 2,000 slices at most 7.5x the time for 300 (6.7x
is linear), and the peak at most 300 MiB above the idle service, for both.

    .venv/bin/python bench/bench_ingest_scale.py [--sizes 300,2000] [--runs 2]
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pydicom  # noqa: E402
from tests.orthanc import Orthanc  # noqa: E402

from bench.bench_cstore import (  # noqa: E402
    SEGDICOM,
    free_port,
    generate_ct,
    service_env,
    wait_port,
)

MIB = 1024 * 1024


def memory(pid: int, field: str) -> int:
    """A memory figure of /proc/<pid>/status in bytes (VmRSS: now, VmHWM: peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for process {pid}")


class Service:
    """A `segdicom serve` subprocess on free ports with its own data folder."""

    def __init__(self, data: Path, process: "subprocess.Popen[bytes]", http: int, dicom: int):
        self.data, self.process, self.http, self.dicom = data, process, http, dicom

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}{path}", timeout=60) as answer:
            return json.load(answer)

    def post(self, path: str, body: dict[str, str]) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.load(answer)

    def idle_rss(self) -> int:
        return memory(self.process.pid, "VmRSS")

    def peak_rss(self) -> int:
        return memory(self.process.pid, "VmHWM")


@contextmanager
def service(work: Path, **settings: str) -> Iterator[Service]:
    data = work / "segdicom-data"
    http, dicom = free_port(), free_port()
    env = service_env(data, http, dicom, **settings)
    process = subprocess.Popen(
        [str(SEGDICOM), "serve"], env=env, cwd=REPO, stdout=subprocess.DEVNULL
    )
    try:
        wait_port(http, timeout=60)
        wait_port(dicom, timeout=60)
        yield Service(data, process, http, dicom)
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def storescu(folder: Path, aet: str, port: int) -> None:
    env = {**os.environ, "TCP_NODELAY": "1"}
    command = ["storescu", "-aec", aet, "+sd", "127.0.0.1", str(port), str(folder)]
    subprocess.run(command, env=env, check=True, capture_output=True)


def cstore(series: Path, work: Path, slices: int) -> tuple[float, int, int]:
    """(seconds until every instance is indexed, idle RSS, peak RSS)."""
    with service(work) as svc:
        idle = svc.idle_rss()
        start = time.perf_counter()
        storescu(series, "SEGDICOM", svc.dicom)
        studies = svc.get("/api/studies?source=local")  # waits for pending index rows
        elapsed = time.perf_counter() - start
        got = sum(s["num_instances"] for s in studies)
        if got != slices:
            raise RuntimeError(f"indexed {got} instances, expected {slices}")
        return elapsed, idle, svc.peak_rss()


def pull(orthanc: Orthanc, series: Path, work: Path, slices: int) -> tuple[float, int, int]:
    """(seconds until the pulled volume is described, idle RSS, peak RSS)."""
    first = pydicom.dcmread(next(series.iterdir()), stop_before_pixels=True)
    study_uid, series_uid = str(first.StudyInstanceUID), str(first.SeriesInstanceUID)
    with service(work, SEGDICOM_DICOMWEB_URL=orthanc.dicomweb_url) as svc:
        idle = svc.idle_rss()
        start = time.perf_counter()
        job = svc.post(f"/api/series/{series_uid}/retrieve", {"study_uid": study_uid})
        while (state := svc.get(f"/api/jobs/{job['job_id']}"))["state"] not in ("done", "failed"):
            time.sleep(0.05)
        info = svc.get(f"/api/series/{series_uid}")
        elapsed = time.perf_counter() - start
        if state["state"] != "done" or info["num_slices"] != slices:
            raise RuntimeError(f"pull ended {state}, {info.get('num_slices')} slices")
        return elapsed, idle, svc.peak_rss()


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,2000")
    parser.add_argument("--runs", type=int, default=2, help="interleaved; best time, worst peak")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        series, orthancs = {}, {}
        for n in sizes:
            series[n] = generate_ct(work / f"series-{n}", n)
            orthancs[n] = Orthanc(work / f"orthanc-{n}").start()
            stack.callback(orthancs[n].stop)
            storescu(series[n], orthancs[n].aet, orthancs[n].dicom_port)
        for run in range(1, args.runs + 1):
            for n in sizes:
                c_s, c_idle, c_peak = cstore(series[n], work, n)
                p_s, p_idle, p_peak = pull(orthancs[n], series[n], work, n)
                print(
                    f"run {run}, {n} slices: C-STORE {c_s:.2f} s, peak "
                    f"{(c_peak - c_idle) / MIB:.0f} MiB above idle ({c_idle / MIB:.0f} MiB) | "
                    f"pull {p_s:.2f} s, peak {(p_peak - p_idle) / MIB:.0f} MiB above idle "
                    f"({p_idle / MIB:.0f} MiB)"
                )
                for key, value, keep in (
                    (f"cstore_{n}_s", c_s, min),
                    (f"cstore_{n}_mib", (c_peak - c_idle) / MIB, max),
                    (f"pull_{n}_s", p_s, min),
                    (f"pull_{n}_mib", (p_peak - p_idle) / MIB, max),
                ):
                    figures[key] = keep(figures.get(key, value), value)
    if len(sizes) == 2:
        small, big = sizes
        for kind in ("cstore", "pull"):
            ratio = figures[f"{kind}_{big}_s"] / figures[f"{kind}_{small}_s"]
            figures[f"{kind}_ratio"] = ratio
            print(
                f"{kind}: {big} slices took {ratio:.2f}x {small} (target <= 7.5x, linear "
                f"{big / small:.2f}x); peak {figures[f'{kind}_{big}_mib']:.0f} MiB above idle "
                f"(target <= 300)"
            )
    return figures


if __name__ == "__main__":
    main()
