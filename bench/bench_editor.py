"""Benchmark of the segment editor's server side on a synthetic 300 x 512 x 512 CT.

Not a test: prints the figures, each against a baseline measured in the same run,
rounds interleaved (ours, then the baseline), best of `--rounds`:

- statistics of 3 segments (spheres of 30, 20 and 15 mm radius, painted through the
  mask API, in an annotation of their own): `GET /api/annotations/{id}/statistics`
  in process, image stack cached. Target < 200 ms.
- a 2 mm 3D margin of the 30 mm sphere: the whole operation (masks read from the
  database and unpacked, the margin, changed slices packed and written with one version
  bump and an audit row) vs the bare `scipy.ndimage.distance_transform_edt` on the same
  array the operation hands it (the sphere's box plus the margin's reach), with the
  feature transform (`return_indices`, which the margin needs to place the surface
  half-way between voxels) and without. Target <= 1.5x.
- grow from seeds (segments 1 and 2 as seeds, their box grown by 20 mm): the whole
  operation, applied, vs SimpleITK's gradient magnitude + MorphologicalWatershedFromMarkers
  on the same image and marker arrays. Target <= 1.5x.

Each round first restores the segments from copies (a logic `copy`, not timed), so
every round starts from the same masks.

    .venv/bin/python -m bench.bench_editor [--rounds 5]
"""

import argparse
import math
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage
from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "service"))
sys.path.insert(0, str(REPO))

from bench.synthetic import ct_series  # noqa: E402
from segdicom.app import create_app  # noqa: E402
from segdicom.config import Settings  # noqa: E402
from segdicom.imaging import editing, seeds  # noqa: E402
from segdicom.workflows.editing import full_box, read_masks  # noqa: E402
from segdicom.workflows.reformat import stack  # noqa: E402

Json = dict[str, Any]
SLICES, SIZE, SPACING = 300, 512, (1.0, 0.7, 0.7)  # bench/synthetic.py's geometry
SPHERES = ((1, "Liver", 30.0, 0.0), (2, "Tumor", 20.0, 60.0), (3, "Spleen", 15.0, -60.0))


def _upload(client: TestClient) -> str:
    _, series, files = ct_series(SLICES, SIZE)
    batch: list[tuple[str, tuple[str, bytes]]] = []
    for i, data in enumerate(files):
        batch.append(("files", (f"{i}.dcm", data)))
        if len(batch) == 50:
            assert client.post("/api/uploads", files=batch).status_code == 200
            batch = []
    if batch:
        assert client.post("/api/uploads", files=batch).status_code == 200
    return series


def _sphere_slices(radius: float, x_mm: float) -> dict[int, np.ndarray]:
    yy, xx = np.mgrid[:SIZE, :SIZE]
    out = {}
    for k in range(SLICES):
        dz = (k - SLICES / 2) * SPACING[0]
        if abs(dz) > radius:
            continue
        r2 = ((yy - SIZE / 2) * SPACING[1]) ** 2 + ((xx - SIZE / 2) * SPACING[2] - x_mm) ** 2
        out[k] = r2 <= radius**2 - dz**2
    return out


def _paint(client: TestClient, aid: int, backups: bool) -> int:
    """The 3 spheres; with `backups`, copies of segments 1 and 2 as 7 and 8 (to restore)."""
    version = 1
    for number, label, radius, x_mm in SPHERES:
        version = _segment(client, aid, number, label, version)
        for k, mask in _sphere_slices(radius, x_mm).items():
            body = zlib.compress(np.packbits(mask, axis=None).tobytes())
            url = f"/api/annotations/{aid}/segments/{number}/slices/{k}"
            answer = client.put(url, content=body, headers={"If-Match": str(version)})
            version = answer.json()["version"]
    if not backups:
        return version
    for backup, label in ((7, "copy of 1"), (8, "copy of 2")):
        version = _segment(client, aid, backup, label, version)
    version = _op(client, aid, version, operation="logic", op="copy", segment=7, source=1)
    return _op(client, aid, version, operation="logic", op="copy", segment=8, source=2)


def _segment(client: TestClient, aid: int, number: int, label: str, version: int) -> int:
    url = f"/api/annotations/{aid}/segments/{number}"
    answer = client.put(url, json={"label": label}, headers={"If-Match": str(version)})
    assert answer.status_code in (200, 201), answer.text
    return int(answer.json()["version"])


def _op(client: TestClient, aid: int, version: int, **body: Any) -> int:
    answer = client.post(
        f"/api/annotations/{aid}/operations", json=body, headers={"If-Match": str(version)}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["version"])


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> Json:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="segdicom-bench-editor-"))
    settings = Settings(data_dir=data, dicom_port=0, log_level="WARNING")
    with TestClient(create_app(settings)) as client:
        series = _upload(client)
        measured = client.post("/api/annotations", json={"series_uid": series}).json()["id"]
        _paint(client, measured, backups=False)
        aid = client.post("/api/annotations", json={"series_uid": series}).json()["id"]
        version = _paint(client, aid, backups=True)
        st = client.app.state.segdicom  # type: ignore[attr-defined]
        stats_url = f"/api/annotations/{measured}/statistics"
        assert client.get(stats_url).status_code == 200  # builds and caches the image stack
        stored = read_masks(st, aid, [1, 2])
        sphere, tumour = (stored.crop(n, full_box(stored.shape)) for n in (1, 2))
        sampling = (stored.volume.spacing[2], *stored.volume.spacing[:2])
        reach = [math.ceil(2.0 / s) + 2 for s in sampling]
        margin_box = editing.padded_box(sphere, reach)
        assert margin_box is not None
        margin_crop = ~sphere[margin_box]
        grow_reach = [math.ceil(20.0 / s) for s in sampling]
        grow_box = editing.padded_box(sphere | tumour, grow_reach)
        assert grow_box is not None
        image = stack(st, stored.volume)[grow_box]
        markers = (sphere[grow_box] * 1 + (tumour[grow_box] & ~sphere[grow_box]) * 2).astype(
            np.uint16
        )
        names = ("stats", "margin", "edt", "edt_indices", "grow", "ws")
        times: dict[str, list[float]] = {k: [] for k in names}
        for _ in range(args.rounds):
            times["stats"].append(_timed(lambda: client.get(stats_url).raise_for_status()))
            version = _op(client, aid, version, operation="logic", op="copy", segment=1, source=7)
            version = _op(client, aid, version, operation="logic", op="copy", segment=2, source=8)
            margin = {"operation": "margin", "segment": 1, "mm": 2.0}
            times["margin"].append(_timed(partial(_op, client, aid, version, **margin)))
            version += 1
            edt = ndimage.distance_transform_edt
            times["edt"].append(_timed(partial(edt, margin_crop, sampling=sampling)))
            edt_indices = partial(edt, margin_crop, sampling=sampling, return_indices=True)
            times["edt_indices"].append(_timed(edt_indices))
            version = _op(client, aid, version, operation="logic", op="copy", segment=1, source=7)
            grow = {"operation": "grow_from_seeds", "segments": [1, 2]}
            times["grow"].append(_timed(partial(_op, client, aid, version, **grow)))
            version += 1
            times["ws"].append(_timed(partial(seeds.watershed, image, markers, sampling)))
    best = {k: min(v) for k, v in times.items()}
    figures = {
        "stats_ms": best["stats"] * 1000,
        "margin_s": best["margin"],
        "edt_s": best["edt"],
        "edt_indices_s": best["edt_indices"],
        "grow_s": best["grow"],
        "watershed_s": best["ws"],
        "margin_box": [s.stop - s.start for s in margin_box],
        "grow_box": [s.stop - s.start for s in grow_box],
        "rounds": args.rounds,
    }
    print(f"  statistics, 3 segments: {figures['stats_ms']:.0f} ms (target < 200 ms)")
    print(
        f"  margin 2 mm: {best['margin']:.3f} s vs bare EDT with indices "
        f"{best['edt_indices']:.3f} s ({best['margin'] / best['edt_indices']:.2f}x), "
        f"distances only {best['edt']:.3f} s ({best['margin'] / best['edt']:.2f}x), "
        f"on {figures['margin_box']}"
    )
    print(
        f"  grow from seeds: {best['grow']:.3f} s vs bare SimpleITK {best['ws']:.3f} s "
        f"on {figures['grow_box']} ({best['grow'] / best['ws']:.2f}x)"
    )
    return figures


if __name__ == "__main__":
    main()
