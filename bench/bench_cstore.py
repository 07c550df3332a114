"""Benchmark: receive a 300-slice 512x512 CT over C-STORE, ours against dcmtk's storescp.

Not a test: prints the figures. The same series, generated here (uncompressed),
is sent by dcmtk `storescu` (TCP_NODELAY=1 for both dcmtk programs, as the
issue measured) to:

- dcmtk `storescp` writing into a temporary folder (the reference), and
- the full SegDICOM service (`segdicom serve` subprocess, temporary data dir):
  every instance checked, written atomically with fsync and indexed in SQLite
  (synchronous=FULL) before its success status;
- a pynetdicom SCP that acknowledges without storing (bench/noop_scp.py): the
  floor of the library the SCP is built on;
- writing the same files here, each fsynced with its folder before the next
  (no network): the floor of any receiver that acknowledges only durable
  instances, as storescu waits for each response before sending the next;
- four `storescu` sending four different series of the same size to one
  SegDICOM service at once (each its own association), beside the floor of
  four: the no-op SCP receiving the four at once plus four writer threads
  fsyncing the four series' files at once (how the disk itself scales).

The time is storescu's wall time for the whole association (the last one to
end, for four). The runs are interleaved and each figure is the best of them.
Targets (issue 16): ours at most 1.3x the floor of a durable pynetdicom
receiver (the no-op SCP's time plus one fsync per instance); four at once at
most 2.5x one alone.

    .venv/bin/python bench/bench_cstore.py [--slices 300] [--runs 3]
"""

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_http import free_port  # noqa: E402
from bench.synthetic import ct_series  # noqa: E402

SEGDICOM = REPO / ".venv" / "bin" / "segdicom"


def generate_ct(folder: Path, slices: int, size: int = 512) -> Path:
    """A synthetic axial CT series, one uncompressed file per slice."""
    folder.mkdir(parents=True, exist_ok=True)
    _, _, files = ct_series(slices, size)
    for i, data in enumerate(files):
        (folder / f"ct{i:04d}.dcm").write_bytes(data)
    return folder


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def send(folder: Path, aet: str, port: int) -> float:
    """storescu's wall time to send every file of `folder` in one association."""
    env = {**os.environ, "TCP_NODELAY": "1"}
    files = sorted(str(p) for p in folder.iterdir())
    start = time.perf_counter()
    subprocess.run(
        ["storescu", "-aec", aet, "127.0.0.1", str(port), *files],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


@contextlib.contextmanager
def listening(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[None]:
    """Run a DICOM receiver until the block ends, once it listens on `port`."""
    proc = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def run_storescp(series: Path, work: Path) -> float:
    out = work / "storescp-out"
    out.mkdir()
    port = free_port()
    env = {**os.environ, "TCP_NODELAY": "1"}
    try:
        with listening(["storescp", "-aet", "STORESCP", "-od", str(out), str(port)], port, env):
            return send(series, "STORESCP", port)
    finally:
        shutil.rmtree(out)


def service_env(data: Path, http: int, dicom: int, **settings: str) -> dict[str, str]:
    """The environment of a benchmarked `segdicom serve`: own data folder and ports, quiet log."""
    return {
        **os.environ,
        "SEGDICOM_DATA_DIR": str(data),
        "SEGDICOM_HTTP_PORT": str(http),
        "SEGDICOM_DICOM_PORT": str(dicom),
        "SEGDICOM_LOG_LEVEL": "WARNING",
        **settings,
    }


def run_segdicom(series: list[Path], work: Path, expected: int) -> float:
    """Every folder of `series` sent at once, each by its own storescu, to a fresh
    service; the wall time until the last association ends."""
    data = work / "segdicom-data"
    http, dicom = free_port(), free_port()
    env = service_env(data, http, dicom)
    try:
        with listening([str(SEGDICOM), "serve"], dicom, env):
            start = time.perf_counter()
            with ThreadPoolExecutor(len(series)) as senders:
                list(senders.map(lambda folder: send(folder, "SEGDICOM", dicom), series))
            elapsed = time.perf_counter() - start
            _check_indexed(http, expected * len(series))
            return elapsed
    finally:
        shutil.rmtree(data)


def run_noop(series: list[Path]) -> float:
    """Every folder of `series` sent at once to the no-op pynetdicom SCP."""
    port = free_port()
    with listening([sys.executable, "-m", "bench.noop_scp", str(port)], port):
        start = time.perf_counter()
        with ThreadPoolExecutor(len(series)) as senders:
            list(senders.map(lambda folder: send(folder, "NOOP", port), series))
        return time.perf_counter() - start


def time_fsync_each(series: list[Path], work: Path) -> float:
    """Write every file of each folder of `series` as our store does (temp, fsync,
    rename, fsync folder), one writer thread per folder, all at once."""
    blobs = [[p.read_bytes() for p in sorted(folder.iterdir())] for folder in series]
    outs = [work / f"fsync-out{n}" for n in range(len(series))]
    for out in outs:
        out.mkdir()
    start = time.perf_counter()
    with ThreadPoolExecutor(len(series)) as writers:
        list(writers.map(_write_each, outs, blobs))
    elapsed = time.perf_counter() - start
    for out in outs:
        shutil.rmtree(out)
    return elapsed


def _write_each(out: Path, blobs: list[bytes]) -> None:
    folder = os.open(out, os.O_RDONLY)
    try:
        for i, blob in enumerate(blobs):
            tmp = out / f".{i}.part"
            with open(tmp, "wb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, out / f"{i}.dcm")
            os.fsync(folder)
    finally:
        os.close(folder)


def _check_indexed(http: int, expected: int) -> None:
    url = f"http://127.0.0.1:{http}/api/studies?source=local"
    with urllib.request.urlopen(url, timeout=30) as answer:
        studies = json.load(answer)
    got = sum(s["num_instances"] for s in studies)
    if got != expected:
        raise RuntimeError(f"SegDICOM indexed {got} instances, expected {expected}")


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for tool in ("storescu", "storescp"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} not found (apt-get install dcmtk)")
    with tempfile.TemporaryDirectory(prefix="bench-cstore-") as tmp:
        work = Path(tmp)
        four = [generate_ct(work / f"series{n}", args.slices) for n in range(4)]
        series = four[0]
        size = sum(p.stat().st_size for p in series.iterdir()) / 1e6
        print(f"series: {args.slices} slices 512x512 CT, {size:.0f} MB, uncompressed")
        ref, ours, noop, fsync, together, noop4, fsync4 = [], [], [], [], [], [], []
        for run in range(1, args.runs + 1):
            ref.append(run_storescp(series, work))
            ours.append(run_segdicom([series], work, args.slices))
            noop.append(run_noop([series]))
            fsync.append(time_fsync_each([series], work))
            together.append(run_segdicom(four, work, args.slices))
            noop4.append(run_noop(four))
            fsync4.append(time_fsync_each(four, work))
            print(
                f"run {run}: storescp {ref[-1]:.2f} s, segdicom {ours[-1]:.2f} s, "
                f"no-op pynetdicom {noop[-1]:.2f} s, fsync each file alone {fsync[-1]:.2f} s; "
                f"four at once: segdicom {together[-1]:.2f} s, no-op pynetdicom "
                f"{noop4[-1]:.2f} s, four writers fsyncing each file {fsync4[-1]:.2f} s"
            )
        best = {
            "storescp_s": min(ref),
            "segdicom_s": min(ours),
            "noop_s": min(noop),
            "fsync_s": min(fsync),
            "four_s": min(together),
            "noop_four_s": min(noop4),
            "fsync_four_s": min(fsync4),
        }
        floor = best["noop_s"] + best["fsync_s"]
        print(
            f"floor of a durable pynetdicom receiver (no-op SCP + one fsync per instance): "
            f"{floor:.2f} s; segdicom {best['segdicom_s']:.2f} s = "
            f"{best['segdicom_s'] / floor:.2f}x the floor (target <= 1.3x)"
        )
        floor4 = best["noop_four_s"] + best["fsync_four_s"]
        print(
            f"four senders at once: {best['four_s']:.2f} s = "
            f"{best['four_s'] / best['segdicom_s']:.2f}x one alone (target <= 2.5x); "
            f"the floor of four ({floor4:.2f} s: no-op SCP {best['noop_four_s']:.2f} s + four "
            f"writers {best['fsync_four_s']:.2f} s) is itself {floor4 / floor:.2f}x the floor "
            f"of one, its fsyncs alone {best['fsync_four_s'] / best['fsync_s']:.2f}x; "
            f"segdicom four = {best['four_s'] / floor4:.2f}x the floor of four"
        )
        base = best["storescp_s"]
        print(f"storescp (dcmtk, files only): {base:.2f} s (best of {args.runs})")
        for key, what in (
            ("segdicom_s", "segdicom (checked, fsynced, indexed)"),
            ("noop_s", "no-op pynetdicom SCP (stores nothing)"),
            ("fsync_s", "one fsync per instance, no network"),
        ):
            print(f"{what}: {best[key]:.2f} s = {best[key] / base:.2f}x storescp")
        print(f"ratio: {best['segdicom_s'] / base:.2f}x storescp")
    return {**best, "slices": args.slices}


if __name__ == "__main__":
    main()
