"""Benchmark at scale: mask saves, SEG export, 8 annotators, memory of a 1,000-slice series.

Not a test: prints the figures, each against a baseline measured in the same run.
A synthetic 300-slice 512x512 CT (bench/synthetic.py) is stored into a fresh
local Orthanc (tests/orthanc.py) and pulled by a real `segdicom serve`
(DICOMweb, SQLite, temporary data folder). Then:

- mask save: a brush stroke (a disc of 10 mm radius, the DESIGN mask format)
  PUT with If-Match, on successive slices: bytes on the wire, p50/p95 latency.
- SEG export: 3 segments painted on all 300 slices, then `POST .../exports`
  (masks read from the database, sources read, highdicom, file fsynced, outbox
  and event rows) vs highdicom's `Segmentation` constructor alone on the same
  masks and the same source datasets already in memory. Target <= 1.3x.
- 8 annotators: each its own annotation on the series, scrolling one slice
  every 50 ms (a scroll wheel's pace) and saving a stroke every 10th slice;
  p95 of every request with 8 at once vs the same workload alone (cache warm
  in both). Target <= 3x.
- memory: a 1,000-slice series received over C-STORE by a fresh `segdicom
  serve`; its peak RSS (VmHWM, reset after the ingest) while the viewer's
  requests read every slice twice, vs the series' pixel data size.
  Target <= 1.5x.

    .venv/bin/python -m bench.bench_scale [--slices 300] [--big 1000]
"""

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import highdicom as hd
import httpx
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.orthanc import Orthanc  # noqa: E402

from bench.bench_cstore import generate_ct, send  # noqa: E402
from bench.bench_http import free_port, serve  # noqa: E402
from bench.synthetic import ct_series  # noqa: E402

Json = dict[str, Any]
SEGMENTS = (("Liver", 0.0), ("Tumor", 40.0), ("Spleen", -60.0))  # label, x offset in mm
SPACING = 0.7  # bench/synthetic.py's PixelSpacing


def disc(cy: float, cx: float, radius_mm: float, size: int = 512) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    radius = radius_mm / SPACING
    return np.asarray((yy - cy) ** 2 + (xx - cx) ** 2 <= radius * radius)


def body(mask: np.ndarray) -> bytes:
    return zlib.compress(np.packbits(mask, axis=None).tobytes())


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) * 1000  # ms


class Annotation:
    """One annotation being painted; keeps the version for If-Match."""

    def __init__(self, client: httpx.Client, series_uid: str, labels: list[str]) -> None:
        self.client = client
        created = client.post("/api/annotations", json={"series_uid": series_uid}).json()
        self.id, self.version = created["id"], int(created["version"])
        for number, label in enumerate(labels, 1):
            answer = client.put(
                f"/api/annotations/{self.id}/segments/{number}",
                json={"label": label},
                headers={"If-Match": str(self.version)},
            )
            answer.raise_for_status()
            self.version = int(answer.json()["version"])

    def save(self, number: int, index: int, data: bytes) -> float:
        url = f"/api/annotations/{self.id}/segments/{number}/slices/{index}"
        headers = {"If-Match": str(self.version), "Content-Type": "application/octet-stream"}
        started = time.perf_counter()
        answer = self.client.put(url, content=data, headers=headers)
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        self.version = int(answer.json()["version"])
        return elapsed


def stroke(index: int, number: int = 1) -> np.ndarray:
    """The typical stroke: a disc of 10 mm radius, drifting with the slice."""
    x_offset = SEGMENTS[(number - 1) % len(SEGMENTS)][1] / SPACING
    return disc(256 + (index % 20), 256 + x_offset + (index % 15), 10.0)


def bench_mask_save(client: httpx.Client, info: Json, runs: int) -> Json:
    annotation = Annotation(client, info["series_uid"], ["Lesion"])
    sizes, times = [], []
    for k in range(runs):
        data = body(stroke(k))
        sizes.append(len(data))
        times.append(annotation.save(1, k % info["num_slices"], data))
    return {
        "bytes": statistics.median(sizes),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
    }


def seg_masks(slices: int) -> np.ndarray:
    """(slices, 512, 512, 3): each of the 3 segments painted on every slice."""
    masks = np.zeros((slices, 512, 512, len(SEGMENTS)), dtype=bool)
    for index in range(slices):
        for s in range(len(SEGMENTS)):
            yy = 200 + (index % 40)
            xx = 256 + SEGMENTS[s][1] / SPACING
            masks[index, :, :, s] = disc(yy, xx, 15.0 + (index % 7))
    return masks


def bench_export(client: httpx.Client, info: Json, sources: list[Dataset], runs: int) -> Json:
    masks = seg_masks(info["num_slices"])
    annotation = Annotation(client, info["series_uid"], [label for label, _ in SEGMENTS])
    for index in range(info["num_slices"]):
        for s in range(len(SEGMENTS)):
            annotation.save(s + 1, index, body(masks[index, :, :, s]))
    ours = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.post(f"/api/annotations/{annotation.id}/exports", json={})
        ours.append(time.perf_counter() - started)
        answer.raise_for_status()
    # The same masks in the order of the volume's slices (sorted along the normal).
    by_uid = {str(ds.SOPInstanceUID): ds for ds in sources}
    ordered = [complete(by_uid[s["sop_instance_uid"]]) for s in info["slices"]]
    reference = [time_highdicom(ordered, masks) for _ in range(runs)]
    return {
        "ours_s": min(ours),
        "highdicom_s": min(r[0] for r in reference),
        "highdicom_write_s": min(r[0] + r[1] for r in reference),
    }


def complete(ds: Dataset) -> Dataset:
    """The Type 2 patient/study attributes highdicom copies, empty (the generator omits them)."""
    for keyword in (
        "PatientBirthDate",
        "PatientSex",
        "StudyTime",
        "StudyID",
        "AccessionNumber",
        "ReferringPhysicianName",
    ):
        if keyword not in ds:
            setattr(ds, keyword, "")
    return ds


def time_highdicom(sources: list[Dataset], masks: np.ndarray) -> tuple[float, float]:
    """Seconds of the constructor, and of writing its result as a Part 10 file."""
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=n,
            segment_label=label,
            segmented_property_category=codes.SCT.Tissue,
            segmented_property_type=codes.SCT.Tissue,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for n, (label, _) in enumerate(SEGMENTS, 1)
    ]
    started = time.perf_counter()
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=masks,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=1000,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="bench",
        manufacturer_model_name="bench",
        software_versions="1",
        device_serial_number="1",
        content_creator_name="bench^bench",
        transfer_syntax_uid=pydicom.uid.ExplicitVRLittleEndian,
        omit_empty_frames=True,
    )
    built = time.perf_counter()
    seg.save_as(io.BytesIO(), enforce_file_format=True)
    return built - started, time.perf_counter() - built


def annotator(client: httpx.Client, info: Json, start: int, steps: int, out: list[float]) -> None:
    """Scroll one slice every 50 ms from `start`; save a stroke every 10th slice."""
    annotation = Annotation(client, info["series_uid"], ["Lesion"])
    n = info["num_slices"]
    gzip = {"Accept-Encoding": "gzip"}
    for step in range(steps):
        tick = time.perf_counter()
        index = (start + step) % n
        answer = client.get(f"/api/series/{info['series_uid']}/slices/{index}", headers=gzip)
        out.append(time.perf_counter() - tick)
        answer.raise_for_status()
        if step % 10 == 9:
            out.append(annotation.save(1, index, body(stroke(index))))
        time.sleep(max(0.0, 0.05 - (time.perf_counter() - tick)))


def run_to_end(threads: list[threading.Thread], clients: list[httpx.Client]) -> None:
    """The annotator threads started together and awaited, then their clients closed."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()


def bench_annotators(base_url: str, info: Json, count: int, steps: int) -> Json:
    def run(n: int) -> list[float]:
        results: list[list[float]] = [[] for _ in range(n)]
        clients = [httpx.Client(base_url=base_url, timeout=60) for _ in range(n)]
        threads = [
            threading.Thread(target=annotator, args=(clients[i], info, i * 37, steps, results[i]))
            for i in range(n)
        ]
        run_to_end(threads, clients)
        return [t for r in results for t in r]

    one = run(1)
    many = run(count)
    return {
        "one_p95_ms": percentile(one, 95),
        "many_p95_ms": percentile(many, 95),
        "requests": len(many),
    }


def rss_peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def bench_memory(work: Path, slices: int) -> Json:
    folder = generate_ct(work / "big", slices)
    dicom = free_port()
    with serve(work / "big-data", 120, {"SEGDICOM_DICOM_PORT": str(dicom)}) as server:
        client, pid = server.http, server.pid
        send(folder, "SEGDICOM", dicom)
        series = client.get("/api/studies", params={"source": "local"}).json()[0]
        uid = client.get(f"/api/studies/{series['study_uid']}/series").json()[0]["series_uid"]
        info = client.get(f"/api/series/{uid}").json()
        assert info["num_slices"] == slices, info["num_slices"]
        idle_kb = rss_peak_kb(pid)
        # PROC(5) clear_refs: "5" resets the peak resident set size to the current one.
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        start_kb = rss_peak_kb(pid)
        gzip = {"Accept-Encoding": "gzip"}
        for _ in range(2):
            for index in range(slices):
                client.get(f"/api/series/{uid}/slices/{index}", headers=gzip).raise_for_status()
        peak_kb = rss_peak_kb(pid)
    pixels = slices * info["rows"] * info["columns"] * np.dtype(info["dtype"]).itemsize
    for path in folder.iterdir():
        path.unlink()
    return {
        "pixel_bytes": pixels,
        "peak_bytes": peak_kb * 1024,
        "after_ingest_peak_bytes": idle_kb * 1024,
        "before_serving_bytes": start_kb * 1024,
    }


def pull(client: httpx.Client, study: str, series: str) -> Json:
    job = client.post(f"/api/series/{series}/retrieve", json={"study_uid": study}).json()
    while True:
        state = client.get(f"/api/jobs/{job['job_id']}").json()
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    if state["state"] != "done":
        raise RuntimeError(f"pull failed: {state}")
    info: Json = client.get(f"/api/series/{series}").json()
    return info


def main() -> Json:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--big", type=int, default=1000)
    parser.add_argument("--annotators", type=int, default=8)
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    figures: Json = {"slices": args.slices, "big": args.big, "annotators": args.annotators}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        orthanc = Orthanc(work / "orthanc").start()
        try:
            study, series, generated = ct_series(args.slices)
            files = list(generated)
            for data in files:
                orthanc.upload(data)
            sources = [pydicom.dcmread(io.BytesIO(f), stop_before_pixels=True) for f in files]
            del files
            env = {"SEGDICOM_DICOMWEB_URL": orthanc.dicomweb_url}
            with serve(work / "data", 120, env) as server:
                client = server.http
                info = pull(client, study, series)
                for index in range(info["num_slices"]):  # warm: both annotator runs alike
                    client.get(f"/api/series/{series}/slices/{index}").raise_for_status()
                figures["mask"] = bench_mask_save(client, info, 200)
                figures["export"] = bench_export(client, info, sources, args.runs)
                figures["annotators_p95"] = bench_annotators(
                    str(client.base_url), info, args.annotators, args.steps
                )
        finally:
            orthanc.stop()
        figures["memory"] = bench_memory(work, args.big)
    report(figures)
    return figures


def report(f: Json) -> None:
    mask, export, team, memory = f["mask"], f["export"], f["annotators_p95"], f["memory"]
    mb = 1024 * 1024
    lines = [
        f"mask save (10 mm brush stroke on 512x512): {mask['bytes']:.0f} bytes, "
        f"p50 {mask['p50_ms']:.1f} ms, p95 {mask['p95_ms']:.1f} ms",
        f"SEG export, 3 segments x {f['slices']} slices: ours {export['ours_s']:.2f} s, "
        f"highdicom Segmentation alone {export['highdicom_s']:.2f} s, "
        f"ratio {export['ours_s'] / export['highdicom_s']:.2f}x (target <= 1.3x); "
        f"highdicom + pydicom write {export['highdicom_write_s']:.2f} s, "
        f"ratio {export['ours_s'] / export['highdicom_write_s']:.2f}x",
        f"{f['annotators']} annotators scrolling + saving: p95 {team['many_p95_ms']:.1f} ms "
        f"vs one alone {team['one_p95_ms']:.1f} ms, ratio "
        f"{team['many_p95_ms'] / team['one_p95_ms']:.2f}x (target <= 3x)",
        f"memory serving a {f['big']}-slice series: peak RSS {memory['peak_bytes'] / mb:.0f} MiB "
        f"vs pixel data {memory['pixel_bytes'] / mb:.0f} MiB, ratio "
        f"{memory['peak_bytes'] / memory['pixel_bytes']:.2f}x (target <= 1.5x; "
        f"{memory['before_serving_bytes'] / mb:.0f} MiB before serving)",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
