"""Benchmark: export N annotated CT series as an nnU-Net dataset, against nibabel alone.

Not a test: prints the figures. N synthetic series (default 10 x 300 slices of
512x512, 12-bit CT) are stored in a temporary data folder, each with an
annotation of 3 segments painted on a third of its slices. Then, in the same run:

- ours: `segdicom.workflows.datasets.export_dataset_to` into a zip (what the
  dataset job and `segdicom export dataset` run): select the cases, read every
  slice from its DICOM file (modality LUT), build the label maps from the stored
  masks, write image and label as .nii.gz with nibabel into the zip, dataset.json;
- nibabel alone: `nibabel.save` of the same image and label arrays (already in
  memory, with the same affines) as .nii.gz files.

Target: ours at most 1.5x nibabel alone.

    .venv/bin/python bench/bench_dataset.py [--series 10] [--slices 300] [--size 512]
"""

import argparse
import gzip
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "service"))

from bench.synthetic import ct_series  # noqa: E402
from segdicom.app import build_state  # noqa: E402
from segdicom.config import Settings  # noqa: E402
from segdicom.db import annotations as repo  # noqa: E402
from segdicom.enums import DatasetFormat  # noqa: E402
from segdicom.masks import encode_mask  # noqa: E402
from segdicom.state import AppState  # noqa: E402
from segdicom.workflows.dataset_request import DatasetRequest  # noqa: E402
from segdicom.workflows.datasets import export_dataset_to  # noqa: E402
from segdicom.workflows.volumes import load_volume, slice_keys  # noqa: E402

Json = dict[str, Any]
LABELS = ("Liver", "Tumor", "Kidney")


def store_series(st: AppState, slices: int, size: int) -> str:
    _, series, files = ct_series(slices, size)
    for data in files:
        st.store.put_bytes(data, source="upload", images_only=True, wait=False, durable=False)
    st.store.flush()
    return series


def paint(st: AppState, series_uid: str) -> None:
    """3 discs on every third slice: Tumor inside Liver, Kidney apart."""
    volume = load_volume(st, series_uid)
    yy, xx = np.mgrid[: volume.rows, : volume.columns]
    r = volume.rows

    def disc(cy: float, cx: float, radius: float) -> np.ndarray:
        return np.asarray((yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2)

    discs = (disc(r * 0.4, r * 0.4, r * 0.2), disc(r * 0.4, r * 0.45, r * 0.05))
    discs += (disc(r * 0.7, r * 0.75, r * 0.1),)
    painted = range(0, volume.num_slices, 3)
    with st.sessions.begin() as session:
        row = repo.create(session, series_uid, volume.study_uid, "bench", "1.2.3")
        for number, label in enumerate(LABELS, start=1):
            fields = repo.SegmentFields(label, "#ff0000", ("1", "SCT", "x"), ("2", "SCT", "y"))
            repo.put_segment(session, row.id, number, fields)
        session.flush()
        for number, mask in enumerate(discs, start=1):
            data = {i: encode_mask(mask) for i in painted}
            repo.put_masks(session, row.id, number, data, slice_keys(volume))


def arrays_of(archive: Path) -> list[tuple[Any, Any]]:
    """The (image, label) NIfTI images of the exported zip, arrays loaded in memory."""
    pairs = []
    with zipfile.ZipFile(archive) as zf:
        names = sorted(n for n in zf.namelist() if n.startswith("imagesTr/"))
        for name in names:
            case = name.removeprefix("imagesTr/").removesuffix("_0000.nii.gz")
            loaded = []
            for member in (name, f"labelsTr/{case}.nii.gz"):
                image = nib.Nifti1Image.from_bytes(gzip.decompress(zf.read(member)))
                loaded.append(nib.Nifti1Image(np.asarray(image.dataobj), image.affine))
            pairs.append((loaded[0], loaded[1]))
    return pairs


def nibabel_alone(pairs: list[tuple[Any, Any]], folder: Path) -> float:
    folder.mkdir()
    start = time.perf_counter()
    for k, (image, label) in enumerate(pairs):
        nib.save(image, folder / f"case_{k:04d}_0000.nii.gz")
        nib.save(label, folder / f"case_{k:04d}.nii.gz")
    return time.perf_counter() - start


def main() -> Json:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--series", type=int, default=10)
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    figures: Json = {"series": args.series, "slices": args.slices, "size": args.size}
    with tempfile.TemporaryDirectory(prefix="bench-dataset-") as tmp:
        work = Path(tmp)
        st = build_state(Settings(data_dir=work / "data", dicom_port=0))
        try:
            started = time.perf_counter()
            uids = [store_series(st, args.slices, args.size) for _ in range(args.series)]
            for uid in uids:
                paint(st, uid)
            print(
                f"setup: {len(uids)} series stored and painted in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            request = DatasetRequest(DatasetFormat.NNUNET, series_uids=tuple(uids))
            ours, alone = [], []
            for run in range(args.runs):
                out = work / f"dataset{run}.zip"
                start = time.perf_counter()
                export_dataset_to(st, request, out, "bench")
                ours.append(time.perf_counter() - start)
                pairs = arrays_of(out)
                alone.append(nibabel_alone(pairs, work / f"nibabel{run}"))
                figures["zip_bytes"] = out.stat().st_size
                del pairs
                out.unlink()
                print(
                    f"run {run + 1}: ours {ours[-1]:.2f} s, nibabel alone {alone[-1]:.2f} s",
                    flush=True,
                )
        finally:
            for stop in reversed(st.on_stop):
                stop()
            st.engine.dispose()
    figures["ours_s"], figures["nibabel_s"] = min(ours), min(alone)
    ratio = figures["ours_s"] / figures["nibabel_s"]
    voxels = args.series * args.slices * args.size * args.size
    print(
        f"nnU-Net dataset of {args.series} x {args.slices} x {args.size}x{args.size} "
        f"({voxels / 1e6:.0f} M voxels, zip {figures['zip_bytes'] / 1e6:.0f} MB): "
        f"ours {figures['ours_s']:.2f} s, nibabel alone {figures['nibabel_s']:.2f} s, "
        f"ratio {ratio:.2f}x (target <= 1.5x)"
    )
    return figures


if __name__ == "__main__":
    main()
