"""Benchmark of the margin on an irregular stack (imaging/margin_geometry.py), in process.

Not a test: prints the figures, rounds interleaved, best of `--rounds`. A 300 x 512 x 512
stack with 1.25 mm steps and one in ten 3 mm, on a 15 degree gantry tilt, 0.7 mm pixels; a
sphere (radius `--radius` mm) that follows the shear. For +5, -5 and +2 mm:

- ours: the margin in patient space on the box the operation hands it;
- the floor: `scipy.ndimage.distance_transform_edt` once over that same box with the median
  step (one 3D transform is the least any distance-based margin does);
- the index grid: `editing.margin`, what a regular stack gets (and what this stack got
  before, with its slices off by the gaps and the shear).

    .venv/bin/python -m bench.bench_margin_space [--radius 30] [--rounds 5]
"""

import argparse
import math
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from scipy import ndimage

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "service"))

from segdicom.imaging import editing  # noqa: E402
from segdicom.imaging.margin_geometry import SlicePlacement, margin_box, margin_in_space  # noqa: E402
from segdicom.workflows.editing import grow_box  # noqa: E402

K, SIZE, PIXEL, TILT_DEGREES = 300, 512, 0.7, 15.0
Box = tuple[slice, slice, slice]


def stack_and_sphere(radius: float) -> tuple[SlicePlacement, np.ndarray, float]:
    """The irregular stack, a sphere of `radius` mm in its middle, and the median step."""
    rng = np.random.default_rng(0)
    gaps = np.where(rng.random(K - 1) < 0.1, 3.0, 1.25)
    depth = np.concatenate([[0.0], np.cumsum(gaps)])
    shear = math.tan(math.radians(TILT_DEGREES))
    along = np.stack([depth, depth * shear, np.zeros(K)], axis=1)
    middle = depth[int(np.searchsorted(depth, depth[-1] / 2))]
    rows, columns = np.mgrid[:SIZE, :SIZE]
    mask = np.zeros((K, SIZE, SIZE), dtype=bool)
    for k in range(K):
        dz = depth[k] - middle
        if abs(dz) <= radius:
            y = along[k, 1] + rows * PIXEL - (SIZE / 2 * PIXEL + middle * shear)
            mask[k] = y**2 + (columns * PIXEL - SIZE / 2 * PIXEL) ** 2 + dz**2 <= radius**2
    return SlicePlacement(along, (PIXEL, PIXEL)), mask, float(np.median(gaps))


def bounding_box(mask: np.ndarray) -> Box:
    found = np.nonzero(mask)
    return (
        slice(int(found[0].min()), int(found[0].max()) + 1),
        slice(int(found[1].min()), int(found[1].max()) + 1),
        slice(int(found[2].min()), int(found[2].max()) + 1),
    )


def best_of(rounds: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    best = dict.fromkeys(runs, math.inf)
    for _ in range(rounds):
        for name, run in runs.items():  # interleaved: a drift of the machine hits all alike
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radius", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    stack, mask, step = stack_and_sphere(args.radius)
    found = bounding_box(mask)
    sampling = (step, PIXEL, PIXEL)
    count = found[0].stop - found[0].start
    print(f"sphere of {args.radius:g} mm: {int(mask.sum())} voxels on {count} slices")
    for mm in (5.0, -5.0, 2.0):
        box = margin_box(found, mm, stack, mask.shape) if mm > 0 else found
        place = stack.around(box[0].start, box[0].stop)
        reach = [math.ceil(abs(mm) / s) + 1 for s in sampling]
        grid_box = grow_box(found, reach, mask.shape) if mm > 0 else found
        crop = mask[box]
        best = best_of(
            args.rounds,
            {
                "ours": partial(margin_in_space, crop, mm, place),
                "floor": partial(ndimage.distance_transform_edt, ~crop, sampling=sampling),
                "grid": partial(editing.margin, mask[grid_box], mm, sampling),
            },
        )
        print(
            f"{mm:+g} mm on a {'x'.join(str(s.stop - s.start) for s in box)} box: patient space "
            f"{best['ours']:.3f} s = {best['ours'] / best['floor']:.2f}x the bare EDT "
            f"({best['floor']:.3f} s), {best['ours'] / best['grid']:.2f}x the index grid's "
            f"margin ({best['grid']:.3f} s)"
        )


if __name__ == "__main__":
    main()
