"""`python -m bench` (`make bench`): run every bench_*.py module's main(), then one table.

Each main() prints its own figures and returns them (a dict); the closing
table puts every figure next to its baseline from the same run, the ratio,
the target and whether it is met.
"""

import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Json = dict[str, Any]
# (what, ours, baseline, ratio or None, target text, met or None)
Row = tuple[str, str, str, float | None, str, bool | None]


def _cstore(f: Json) -> list[Row]:
    floor = f["noop_s"] + f["fsync_s"]
    ratio, four = f["segdicom_s"] / floor, f["four_s"] / f["segdicom_s"]
    return [
        (
            f"C-STORE receive, {f['slices']} slices",
            f"{f['segdicom_s']:.2f} s",
            f"no-op pynetdicom + fsync each {floor:.2f} s",
            ratio,
            "<= 1.3x",
            ratio <= 1.3,
        ),
        (
            "  against dcmtk storescp",
            f"{f['segdicom_s']:.2f} s",
            f"storescp {f['storescp_s']:.2f} s",
            f["segdicom_s"] / f["storescp_s"],
            "-",
            None,
        ),
        (
            "  four storescu at once",
            f"{f['four_s']:.2f} s",
            f"one alone {f['segdicom_s']:.2f} s",
            four,
            "<= 2.5x",
            four <= 2.5,
        ),
    ]


def _wado(f: Json) -> list[Row]:
    ratio, faster = f["ours_s"] / f["curl_files_s"], f["client_s"] / f["ours_s"]
    first = f["first_s"] * 1000
    return [
        (
            "WADO-RS pull to viewable volume",
            f"{f['ours_s']:.2f} s",
            f"curl into fsynced files {f['curl_files_s']:.2f} s",
            ratio,
            "<= 1.3x",
            ratio <= 1.3,
        ),
        (
            "  dicomweb-client, same files",
            f"{f['ours_s']:.2f} s",
            f"retrieve_series {f['client_s']:.2f} s",
            1 / faster,
            "<= 0.67x",
            faster >= 1.5,
        ),
        (
            "  against plain curl",
            f"{f['ours_s']:.2f} s",
            f"curl {f['curl_s']:.2f} s",
            f["ours_s"] / f["curl_s"],
            "-",
            None,
        ),
        ("  first slice viewable", f"{first:.0f} ms", "-", None, "< 1000 ms", first < 1000),
    ]


def _ingest_scale(f: Json) -> list[Row]:
    rows: list[Row] = []
    for kind, what in (("cstore", "C-STORE"), ("pull", "WADO-RS pull")):
        ratio, mib = f[f"{kind}_ratio"], f[f"{kind}_2000_mib"]
        rows += [
            (
                f"{what}, 2000 slices against 300",
                f"{f[f'{kind}_2000_s']:.2f} s",
                f"300 slices {f[f'{kind}_300_s']:.2f} s",
                ratio,
                "<= 7.5x",
                ratio <= 7.5,
            ),
            (
                "  peak RSS above idle, 2000 slices",
                f"{mib:.0f} MiB",
                f"300 slices {f[f'{kind}_300_mib']:.0f} MiB",
                None,
                "<= 300 MiB",
                mib <= 300,
            ),
        ]
    return rows


def _http(f: Json) -> list[Row]:
    p50, p95 = f["warm_ms"] / f["static_ms"], f["warm_p95_ms"] / f["static_p95_ms"]
    kb = f"{f['wire'] / 1000:.0f} KB gzip ({f['raw'] / 1000:.0f} KB raw)"
    return [
        ("slice over HTTP: bytes", kb, "same bytes static", None, "-", None),
        (
            "slice over HTTP: p50",
            f"{f['warm_ms']:.2f} ms",
            f"static {f['static_ms']:.2f} ms",
            p50,
            "<= 2x",
            p50 <= 2,
        ),
        (
            "slice over HTTP: p95",
            f"{f['warm_p95_ms']:.2f} ms",
            f"static {f['static_p95_ms']:.2f} ms",
            p95,
            "<= 2x",
            p95 <= 2,
        ),
    ]


def _scale(f: Json) -> list[Row]:
    mask, export, team, memory = f["mask"], f["export"], f["annotators_p95"], f["memory"]
    seg = export["ours_s"] / export["highdicom_s"]
    many = team["many_p95_ms"] / team["one_p95_ms"]
    mem = memory["peak_bytes"] / memory["pixel_bytes"]
    mib = 1024 * 1024
    return [
        (
            "mask save, 10 mm stroke: bytes",
            f"{mask['bytes']:.0f} B",
            "-",
            None,
            "< 2 KB",
            mask["bytes"] < 2048,
        ),
        (
            "mask save: p50 / p95",
            f"{mask['p50_ms']:.1f} / {mask['p95_ms']:.1f} ms",
            "-",
            None,
            "-",
            None,
        ),
        (
            f"SEG export, 3 segments x {f['slices']} slices",
            f"{export['ours_s']:.2f} s",
            f"highdicom alone {export['highdicom_s']:.2f} s",
            seg,
            "<= 1.3x",
            seg <= 1.3,
        ),
        (
            "  same, vs constructor + file write",
            f"{export['ours_s']:.2f} s",
            f"highdicom+save_as {export['highdicom_write_s']:.2f} s",
            export["ours_s"] / export["highdicom_write_s"],
            "-",
            None,
        ),
        (
            f"{f['annotators']} annotators scroll+save: p95",
            f"{team['many_p95_ms']:.1f} ms",
            f"one alone {team['one_p95_ms']:.1f} ms",
            many,
            "<= 3x",
            many <= 3,
        ),
        (
            f"peak RSS serving {f['big']} slices",
            f"{memory['peak_bytes'] / mib:.0f} MiB",
            f"pixel data {memory['pixel_bytes'] / mib:.0f} MiB",
            mem,
            "<= 1.5x",
            mem <= 1.5,
        ),
    ]


def _dataset(f: Json) -> list[Row]:
    ratio = f["ours_s"] / f["nibabel_s"]
    return [
        (
            f"nnU-Net dataset, {f['series']} x {f['slices']} x {f['size']}^2",
            f"{f['ours_s']:.2f} s",
            f"nibabel alone {f['nibabel_s']:.2f} s",
            ratio,
            "<= 1.5x",
            ratio <= 1.5,
        )
    ]


def _editor(f: Json) -> list[Row]:
    margin, grow = f["margin_s"] / f["edt_indices_s"], f["grow_s"] / f["watershed_s"]
    return [
        (
            "statistics, 3 segments, 300x512x512",
            f"{f['stats_ms']:.0f} ms",
            "-",
            None,
            "< 200 ms",
            f["stats_ms"] < 200,
        ),
        (
            "2 mm 3D margin, applied",
            f"{f['margin_s']:.3f} s",
            f"EDT+indices {f['edt_indices_s']:.3f} s",
            margin,
            "<= 1.5x",
            margin <= 1.5,
        ),
        (
            "  same, vs distances only",
            f"{f['margin_s']:.3f} s",
            f"EDT {f['edt_s']:.3f} s",
            f["margin_s"] / f["edt_s"],
            "-",
            None,
        ),
        (
            "grow from seeds, applied",
            f"{f['grow_s']:.2f} s",
            f"SimpleITK {f['watershed_s']:.2f} s",
            grow,
            "<= 1.5x",
            grow <= 1.5,
        ),
    ]


def _reformat(f: Json) -> list[Row]:
    rows: list[Row] = []
    for name in ("regular", "tilted"):
        s = f[name]
        gather = f"numpy gather {s['gather_ms']:.1f} / {s['gather_p95_ms']:.1f} ms"
        for encoding in ("gzip", "identity"):
            ratio = s[f"{encoding}_p95_ms"] / s["gather_p95_ms"]
            p95 = s[f"{encoding}_p95_ms"]
            target = name == "regular" and encoding == "gzip"
            rows.append(
                (
                    f"{name} sagittal plane {s['plane'][0]}x{s['plane'][1]}, {encoding}: p50 / p95",
                    f"{s[f'{encoding}_ms']:.1f} / {p95:.1f} ms",
                    gather,
                    ratio,
                    "p95 < 50 ms, <= 2x" if target else "-",
                    (p95 < 50 and ratio <= 2) if target else None,
                )
            )
        rows.append(
            (
                f"  {name}, gzip against gather + gzip",
                f"{s['gzip_p95_ms']:.1f} ms",
                f"gather+gzip {s['gather_gzip_p95_ms']:.1f} ms",
                s["gzip_p95_ms"] / s["gather_gzip_p95_ms"],
                "-",
                None,
            )
        )
    return rows


TABLES: dict[str, Callable[[Json], list[Row]]] = {
    "bench_dataset": _dataset,
    "bench_editor": _editor,
    "bench_cstore": _cstore,
    "bench_wado_pull": _wado,
    "bench_ingest_scale": _ingest_scale,
    "bench_http": _http,
    "bench_scale": _scale,
    "bench_reformat": _reformat,
}


def table(rows: list[Row]) -> str:
    header = ("benchmark", "ours", "baseline (same run)", "ratio", "target", "met")
    cells = [
        (
            what,
            ours,
            base,
            "-" if ratio is None else f"{ratio:.2f}x",
            target,
            "-" if met is None else ("yes" if met else "NO"),
        )
        for what, ours, base, ratio, target, met in rows
    ]
    widths = [max(len(str(r[i])) for r in [header, *cells]) for i in range(len(header))]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    rule = "-+-".join("-" * w for w in widths)
    title = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    return "\n".join([title, rule, *lines])


def main() -> int:
    names = sorted(p.stem for p in Path(__file__).resolve().parent.glob("bench_*.py"))
    argv, failed, rows = sys.argv, [], []
    started_all = time.monotonic()
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        sys.argv = [name]  # each bench parses its own (default) arguments
        try:
            figures = importlib.import_module(f"bench.{name}").main()
            if name in TABLES and isinstance(figures, dict):
                rows.extend(TABLES[name](figures))
        except Exception as exc:  # one broken bench must not hide the others' figures
            failed.append(name)
            print(f"{name} failed: {type(exc).__name__}: {exc}", flush=True)
        finally:
            sys.argv = argv
        print(f"--- {name}: {time.monotonic() - started:.1f} s", flush=True)
    print(f"\n=== all benchmarks: {time.monotonic() - started_all:.0f} s ===")
    print(table(rows))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
