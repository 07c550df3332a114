"""Benchmark: a reformatted plane of a 1000x512x512 series over HTTP vs a bare numpy gather.

Not a test: prints the figures, each against its floor measured in the same run. A real
`segdicom serve` process on a free port with a temporary data folder holds two synthetic
1000-slice 512x512 CTs (uploaded): a regular one (axial, 1 mm apart) and a GE-style tilted,
unevenly spaced one (18.5 degree gantry tilt: positions sheared along y; 1 mm then 1.5 mm
apart, with one slice missing). The pixels look like CT to a compressor (a body of soft
tissue and bone in air, with CT-like noise), not random bytes.

Each series, stack built (first request, timed apart): sagittal planes at spread indexes, one
request each (`Accept-Encoding: gzip` as a browser sends it, and identity), interleaved with
the floor on the same plane in this process: a bare numpy gather of the source column
(`np.ascontiguousarray(stack[:, :, i])`) and the same plus gzip level 1 (what any gzip server
must spend). Several rounds; each figure is the best round's p50 / p95. The target (p95 < 50
ms and <= 2x the gather) is for the regular series; the tilted one shows what resampling costs
(its plane is larger: the grid covers the sheared extent at the smallest spacing).

    .venv/bin/python -m bench.bench_reformat [--slices 1000] [--runs 40] [--rounds 3]
"""

import argparse
import gzip
import io
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pydicom.uid import generate_uid  # noqa: E402

from bench.bench_http import serve  # noqa: E402
from bench.synthetic import ct_slice  # noqa: E402

Json = dict[str, Any]
SIZE = 512
BATCH = 50
TILT_DEGREES = 18.5
PIXEL_MM = 0.7  # bench/synthetic.py's PixelSpacing
Positions = list[tuple[float, float, float]]


def ct_volume(slices: int, size: int = SIZE) -> np.ndarray:
    """(slices, size, size) int16 HU: an elliptic body (40 HU) in a bone ring, in air, noisy."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[:size, :size] / size
    body = ((yy - 0.5) / 0.4) ** 2 + ((xx - 0.5) / 0.45) ** 2
    base = np.where(body <= 1, 40.0, -1000.0)
    base = np.where((body > 0.85) & (body <= 1), 700.0, base).astype(np.float32)
    out = np.empty((slices, size, size), dtype=np.int16)
    noise = rng.normal(0, 15, size=(8, size, size)).astype(np.float32)
    for k in range(slices):
        shade = 20 * math.sin(k / 40)  # slices differ, as anatomy does
        values = np.rint(base + shade + np.roll(noise[k % 8], k, axis=1))
        out[k] = np.clip(values, -1024, 3071)  # what 12 stored bits hold
    return out


def regular_positions(slices: int) -> Positions:
    return [(0.0, 0.0, float(k)) for k in range(slices)]


def tilted_positions(slices: int) -> Positions:
    """1 mm apart, then 1.5 mm with one 3 mm step (a missing slice); sheared along y."""
    half = slices // 2
    depths = [float(k) for k in range(half)]
    for k in range(slices - half):
        depths.append(depths[-1] + (3.0 if k == 10 else 1.5))
    shear = math.tan(math.radians(TILT_DEGREES))
    return [(0.0, z * shear, z) for z in depths]


def upload(http: httpx.Client, hu: np.ndarray, positions: Positions) -> str:
    """The volume as CT files (stored value = HU + 1024, intercept -1024); its series UID."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    batch: list[tuple[str, tuple[str, bytes, str]]] = []
    for k, position in enumerate(positions):
        ds = ct_slice(study, series, frame, k, hu.shape[1])
        ds.ImagePositionPatient = list(position)
        ds.PixelData = (hu[k].astype(np.int32) + 1024).astype("<u2").tobytes()
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        batch.append(("files", (f"{k}.dcm", buffer.getvalue(), "application/dicom")))
        if len(batch) == BATCH or k == len(positions) - 1:
            http.post("/api/uploads", files=batch).raise_for_status()
            batch = []
    return series


def get(http: httpx.Client, url: str, encoding: str) -> bytes:
    """The body as it crossed the wire."""
    with http.stream("GET", url, headers={"Accept-Encoding": encoding}) as response:
        response.raise_for_status()
        return b"".join(response.iter_raw())


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def bench_series(http: httpx.Client, uid: str, hu: np.ndarray, runs: int, rounds: int) -> Json:
    info = http.get(f"/api/series/{uid}").json()
    grid = info["reformat"]["sagittal"]
    url = f"/api/series/{uid}/reformat/sagittal/"
    first_ms = timed(lambda: get(http, url + "0", "gzip"))  # builds the stack
    if info["geometry"]["regular"]:
        plane = np.frombuffer(get(http, url + "100", "identity"), "<i2")
        assert np.array_equal(plane, np.ascontiguousarray(hu[:, :, 100]).ravel())
    variants: dict[str, Callable[[int], object]] = {
        "gzip": lambda i: get(http, f"{url}{i}", "gzip"),
        "identity": lambda i: get(http, f"{url}{i}", "identity"),
        "gather": lambda i: np.ascontiguousarray(hu[:, :, i % hu.shape[2]]),
        "gather_gzip": lambda i: gzip.compress(
            np.ascontiguousarray(hu[:, :, i % hu.shape[2]]).tobytes(), compresslevel=1, mtime=0
        ),
    }
    best: dict[str, tuple[float, float]] = {}
    indexes = np.linspace(1, grid["planes"] - 1, runs).astype(int)
    for round_ in range(rounds):
        times: dict[str, list[float]] = {name: [] for name in variants}
        order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
        for index in np.random.default_rng(round_).permutation(indexes):
            for name in order:
                times[name].append(timed(lambda: variants[name](int(index))))  # noqa: B023
        for name, values in times.items():
            figures = (statistics.median(values), p95(values))
            if name not in best or figures[1] < best[name][1]:
                best[name] = figures
    geometry = info["geometry"]
    return {
        "plane": (grid["rows"], grid["columns"]),
        "geometry": geometry,
        "first_ms": first_ms,
        **{f"{name}_ms": figures[0] for name, figures in best.items()},
        **{f"{name}_p95_ms": figures[1] for name, figures in best.items()},
    }


def main() -> Json:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--slices", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    figures: Json = {"slices": args.slices}
    with tempfile.TemporaryDirectory(prefix="segdicom-bench-reformat-") as data_dir:
        for name, positions in (
            ("regular", regular_positions(args.slices)),
            ("tilted", tilted_positions(args.slices)),
        ):
            hu = ct_volume(args.slices)
            with serve(Path(data_dir) / name, timeout=300) as server:
                http = server.http
                uid = upload(http, hu, positions)
                figures[name] = bench_series(http, uid, hu, args.runs, args.rounds)
            del hu
    report(figures, args.runs, args.rounds)
    return figures


def report(f: Json, runs: int, rounds: int) -> None:
    print(f"sagittal plane of a {f['slices']}x{SIZE}x{SIZE} int16 CT, {runs} planes a round,")
    print(f"best of {rounds} rounds (p50 / p95 ms), interleaved with the floor in this process")
    for name in ("regular", "tilted"):
        s = f[name]
        g = s["geometry"]
        print(
            f"{name}: plane {s['plane'][0]}x{s['plane'][1]}, tilt {g['tilt_degrees']:.1f} deg, "
            f"spacing {g['spacing_min']:.2f}-{g['spacing_max']:.2f} mm, "
            f"first request {s['first_ms']:.0f} ms (builds the stack)"
        )
        for variant in ("gzip", "identity", "gather", "gather_gzip"):
            print(f"  {variant:12s} {s[variant + '_ms']:7.2f} / {s[variant + '_p95_ms']:7.2f}")
        print(
            f"  served (gzip) / gather: p95 {s['gzip_p95_ms'] / s['gather_p95_ms']:.2f}x; "
            f"served (identity) / gather: p95 {s['identity_p95_ms'] / s['gather_p95_ms']:.2f}x; "
            f"served (gzip) / gather+gzip: p95 {s['gzip_p95_ms'] / s['gather_gzip_p95_ms']:.2f}x"
        )


if __name__ == "__main__":
    main()
