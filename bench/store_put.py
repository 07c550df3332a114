"""Micro-benchmark of `Store.put_bytes`, several source trees compared in one run.

    python bench/store_put.py --tree /path/to/old/checkout --tree . [--n 100] [--rounds 10]

The machine is shared and noisy, so the trees take turns within each round
(A B, B A, ...) and each figure is the median (and the minimum) over rounds of
the per-instance time. Each run is a fresh process, data folder and SQLite
database. Scenarios:

- cstore: one series, `wait=False, durable=True` (what the C-STORE SCP
  acknowledges): the time until every put returned, per instance;
- pull: one series, `wait=False, durable=False`, then `flush()` (a WADO/C-MOVE
  pull): per instance, flush included;
- cstore_study_each: like cstore, but every instance in its own study (one
  image per study, e.g. a CR/DX archive sent over).

Not a `bench_*.py` module: `python -m bench` does not run it.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = ("cstore", "pull", "cstore_study_each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", required=True, help="a checkout to measure")
    parser.add_argument("--n", type=int, default=100, help="instances per scenario")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--size", type=int, default=512, help="rows = columns of each slice")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_measure(args.worker, args.n, args.size)))
        return
    trees = [str(Path(t).resolve()) for t in args.tree]
    runs: dict[str, dict[str, list[float]]] = {t: {s: [] for s in SCENARIOS} for t in trees}
    for round_ in range(args.rounds):
        for tree in trees if round_ % 2 == 0 else reversed(trees):
            for scenario, ms in _run(tree, args.n, args.size).items():
                runs[tree][scenario].append(ms)
    _report(trees, runs, args.n)


def _run(tree: str, n: int, size: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([f"{tree}/service", str(REPO)])}
    command = [sys.executable, __file__, "--tree", tree, "--n", str(n), "--size", str(size)]
    out = subprocess.run(
        [*command, "--worker", tree], env=env, check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.splitlines()[-1]))


def _report(trees: list[str], runs: dict[str, dict[str, list[float]]], n: int) -> None:
    print(f"Store.put_bytes, ms per instance ({n} instances a run); median and min of rounds")
    names = "".join(f"{Path(t).name[-18:]:>26}" for t in trees)
    print(f"{'scenario':<20}{names}   ratio (median, min)")
    for scenario in SCENARIOS:
        medians = [statistics.median(runs[t][scenario]) for t in trees]
        minima = [min(runs[t][scenario]) for t in trees]
        cells = "".join(f"{m:>17.3f} {lo:>8.3f}" for m, lo in zip(medians, minima, strict=True))
        ratios = f"{medians[-1] / medians[0]:.3f}, {minima[-1] / minima[0]:.3f}"
        print(f"{scenario:<20}{cells}   {ratios}")
    for tree in trees:
        spread = {s: [round(v, 3) for v in runs[tree][s]] for s in SCENARIOS}
        print(f"  {tree}: {spread}")


def _measure(tree: str, n: int, size: int) -> dict[str, float]:
    import segdicom

    assert segdicom.__file__ is not None and segdicom.__file__.startswith(tree), segdicom.__file__
    from bench.synthetic import ct_series

    one_series = list(ct_series(n, size)[2])
    each_own = [next(ct_series(1, size)[2]) for _ in range(n)]
    return {
        "cstore": _timed(one_series, durable=True, flush=False),
        "pull": _timed(one_series, durable=False, flush=True),
        "cstore_study_each": _timed(each_own, durable=True, flush=False),
    }


def _timed(files: list[bytes], *, durable: bool, flush: bool) -> float:
    from segdicom.db import make_engine, make_sessionmaker, upgrade
    from segdicom.store import FileStore, Store

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        engine = make_engine(url)
        store = Store(FileStore(Path(tmp) / "data"), make_sessionmaker(engine))
        recover = getattr(store, "recover", None)
        if recover is not None:  # the journal's first-start step, outside the timing
            recover()
        start = time.perf_counter()
        for data in files:
            store.put_bytes(data, source="bench", images_only=False, wait=False, durable=durable)
        if flush:
            store.flush()
        elapsed = time.perf_counter() - start
        store.close()
        engine.dispose()
    return elapsed / len(files) * 1000


if __name__ == "__main__":
    main()
