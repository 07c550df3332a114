"""Benchmark: one 512x512 CT slice and one brush-stroke mask save over HTTP on loopback.

Not a test: prints the figures, next to the seed's (a 512x512 slice as a JSON list
of numbers: 844 KB; a mask save as a JSON list: 786 KB). A real `segdicom serve`
process on a free port with a temporary data folder is the server; the client
is httpx with keep-alive, as a browser would be.

- slice: `GET /api/series/{uid}/slices/{i}` with `Accept-Encoding: gzip`;
  bytes of the body on the wire (as sent, before decompression) and the median
  latency, same slice again (server cache warm) and each slice once (cold).
  The same wire bytes served as a static file by uvicorn + Starlette
  StaticFiles give the floor; the ratio says what the endpoint costs above it.
- mask save: `PUT .../segments/1/slices/{i}` of a disc of 10 mm radius on a
  512x512 mask (the DESIGN format: zlib of numpy.packbits), If-Match carried.
- the seed-compatible endpoints (`GET /slice`, `POST /save_mask`) measured on
  the same data, to show the seed's figures are what JSON lists cost.

    .venv/bin/python -m bench.bench_http [--runs 200]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "dicom" / "ct_philips_phantom"
Json = dict[str, Any]
SEED_SLICE_KB = 844
SEED_MASK_KB = 786
STATIC_APP = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
app = Starlette(routes=[Mount("/", StaticFiles(directory=sys.argv[1]))])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    command: list[str], env: dict[str, str], health_url: str, startup: float = 30
) -> Iterator["subprocess.Popen[bytes]"]:
    """A server subprocess, up once `health_url` answers, terminated at the end. Its stderr goes
    to a file (a pipe nobody reads would stall a long run), shown if it does not start."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + startup
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    stderr.seek(0)
                    error = stderr.read().decode(errors="replace")
                    raise RuntimeError(f"server did not start: {error[-2000:]}")
                try:
                    if httpx.get(health_url, timeout=1).status_code < 500:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class Server:
    http: httpx.Client  # keep-alive, base_url = url
    url: str  # http://127.0.0.1:<port>
    pid: int


@contextmanager
def serve(
    data_dir: Path, timeout: float = 60, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """A `segdicom serve` subprocess on `data_dir` (no DICOM listener unless `env` sets a port;
    no other SEGDICOM_ setting from this process), and a keep-alive client."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("SEGDICOM_")}
    full |= {"SEGDICOM_DATA_DIR": str(data_dir), "SEGDICOM_HTTP_PORT": str(port)}
    full |= {"SEGDICOM_DICOM_PORT": "0", "SEGDICOM_LOG_LEVEL": "WARNING", **(env or {})}
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "segdicom", "serve"]
    with (
        running(command, full, url + "/healthz", startup=60) as process,
        httpx.Client(base_url=url, timeout=timeout) as http,
    ):
        yield Server(http, url, process.pid)


def timings_ms(run: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def median_ms(run: Callable[[], object], runs: int) -> float:
    return statistics.median(timings_ms(run, runs))


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def wire_get(http: httpx.Client, url: str, headers: dict[str, str]) -> bytes:
    """The response body as it crossed the wire (still compressed)."""
    with http.stream("GET", url, headers=headers) as response:
        response.raise_for_status()
        return b"".join(response.iter_raw())


def disc_mask(rows: int, columns: int, spacing: float, radius_mm: float) -> np.ndarray:
    yy, xx = np.mgrid[:rows, :columns]
    radius = radius_mm / spacing
    return np.asarray((yy - rows / 2) ** 2 + (xx - columns / 2) ** 2 <= radius * radius)


def bench_slices(http: httpx.Client, info: Json, runs: int) -> Json:
    uid, gzip_hdr = info["series_uid"], {"Accept-Encoding": "gzip"}
    index = info["num_slices"] // 2
    url = f"/api/series/{uid}/slices/{index}"
    wire = wire_get(http, url, gzip_hdr)
    raw = wire_get(http, url, {"Accept-Encoding": "identity"})
    warm_times = timings_ms(lambda: wire_get(http, url, gzip_hdr), runs)
    warm = statistics.median(warm_times)
    others = [f"/api/series/{uid}/slices/{i}" for i in range(info["num_slices"]) if i != index]
    cold = statistics.median(median_ms(partial(wire_get, http, u, gzip_hdr), 1) for u in others)
    return {
        "wire": len(wire),
        "raw": len(raw),
        "warm_ms": warm,
        "warm_p95_ms": p95(warm_times),
        "cold_ms": cold,
        "body": wire,
    }


def bench_static(body: bytes, runs: int) -> tuple[float, float]:
    folder = Path(tempfile.mkdtemp(prefix="segdicom-static-"))
    (folder / "slice.bin").write_bytes(body)
    port = free_port()
    url = f"http://127.0.0.1:{port}/slice.bin"
    command = [sys.executable, "-c", STATIC_APP, str(folder), str(port)]
    with running(command, dict(os.environ), url), httpx.Client(timeout=30) as http:
        assert wire_get(http, url, {"Accept-Encoding": "gzip"}) == body
        times = timings_ms(lambda: wire_get(http, url, {"Accept-Encoding": "gzip"}), runs)
        return statistics.median(times), p95(times)


def bench_mask(http: httpx.Client, info: Json, runs: int) -> Json:
    created = http.post("/api/annotations", json={"series_uid": info["series_uid"]}).json()
    aid = created["id"]
    segment = f"/api/annotations/{aid}/segments/1"
    version = http.put(segment, json={"label": "Lesion"}, headers={"If-Match": "1"}).json()
    current = [int(version["version"])]
    mask = disc_mask(info["rows"], info["columns"], float(info["spacing"][1]), 10.0)
    body = zlib.compress(np.packbits(mask, axis=None).tobytes())
    url = f"/api/annotations/{aid}/segments/1/slices/{info['num_slices'] // 2}"

    def save() -> None:
        headers = {"If-Match": str(current[0]), "Content-Type": "application/octet-stream"}
        response = http.put(url, content=body, headers=headers)
        response.raise_for_status()
        current[0] = int(response.json()["version"])

    latency = median_ms(save, runs)
    return {"wire": len(body), "ms": latency, "pixels": int(mask.sum())}


def bench_seed(http: httpx.Client, info: Json, runs: int) -> Json:
    uid, index = info["series_uid"], info["num_slices"] // 2
    slice_url = f"/slice/{uid}/{index}"
    slice_json = wire_get(http, slice_url, {"Accept-Encoding": "identity"})
    slice_gzip = wire_get(http, slice_url, {"Accept-Encoding": "gzip"})
    slice_ms = median_ms(lambda: wire_get(http, slice_url, {"Accept-Encoding": "gzip"}), runs)
    labels = np.zeros((info["rows"], info["columns"]), dtype=np.int64)
    labels[disc_mask(info["rows"], info["columns"], float(info["spacing"][1]), 10.0)] = 1
    request = httpx.Request(
        "POST", "http://x", json={"mask": labels.ravel().tolist(), "labels": {"1": "Lesion"}}
    )
    body = request.read()

    def save() -> None:
        response = http.post(
            f"/save_mask/{uid}/{index}", content=body, headers={"Content-Type": "application/json"}
        )
        response.raise_for_status()

    save_ms = median_ms(save, max(3, runs // 40))
    return {
        "slice_json": len(slice_json),
        "slice_gzip": len(slice_gzip),
        "slice_ms": slice_ms,
        "mask_json": len(body),
        "save_ms": save_ms,
    }


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="segdicom-bench-http-"))
    with serve(data_dir) as server:
        http = server.http
        files = [
            ("files", (p.name, p.read_bytes()))
            for p in sorted(DATA.iterdir())
            if p.name.startswith("I")
        ]
        series = http.post("/api/uploads", files=files).json()["series"][0]
        info = http.get(f"/api/series/{series['series_uid']}").json()
        slices = bench_slices(http, info, args.runs)
        mask = bench_mask(http, info, args.runs)
        seed = bench_seed(http, info, args.runs)
    static_ms, static_p95 = bench_static(slices.pop("body"), args.runs)
    report(info, slices, mask, seed, static_ms, args.runs)
    print(f"  p95: ours {slices['warm_p95_ms']:.2f} ms, static {static_p95:.2f} ms")
    return {**slices, "static_ms": static_ms, "static_p95_ms": static_p95, "mask": mask}


def report(info: Json, slices: Json, mask: Json, seed: Json, static_ms: float, runs: int) -> None:
    kb = 1000.0
    shape = f"{info['num_slices']} x {info['rows']}x{info['columns']} {info['dtype']}"
    warm, cold = slices["warm_ms"], slices["cold_ms"]
    lines = [
        f"series: ct_philips_phantom, {shape}",
        f"median of {runs} requests on loopback (httpx keep-alive, `segdicom serve`)",
        "one 512x512 CT slice",
        f"  ours: {slices['wire'] / kb:.0f} KB on the wire (gzip; "
        f"{slices['raw'] / kb:.0f} KB raw int16)",
        f"        {warm:.2f} ms median (same slice again), "
        f"{cold:.2f} ms (first fetch of each slice)",
        f"  static file, same bytes: {static_ms:.2f} ms -> ours/static = {warm / static_ms:.2f}x",
        f"  seed: {SEED_SLICE_KB} KB JSON -> ours is "
        f"{SEED_SLICE_KB * kb / slices['wire']:.1f}x smaller",
        f"  seed-compatible /slice here: {seed['slice_json'] / kb:.0f} KB JSON "
        f"({seed['slice_gzip'] / kb:.0f} KB gzip), {seed['slice_ms']:.2f} ms",
        f"one brush stroke save (disc of 10 mm radius, {mask['pixels']} pixels, mask PUT)",
        f"  ours: {mask['wire']} bytes on the wire, {mask['ms']:.2f} ms median",
        f"  seed: {SEED_MASK_KB} KB JSON -> ours is "
        f"{SEED_MASK_KB * kb / mask['wire']:.0f}x smaller",
        f"  seed-compatible /save_mask here: {seed['mask_json'] / kb:.0f} KB JSON, "
        f"{seed['save_ms']:.1f} ms (it also writes a SEG, as the seed did)",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
