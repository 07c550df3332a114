"""`segdicom export dataset`: a training dataset of stored annotated series, for scripts.

Runs on the data folder of SEGDICOM_DATA_DIR (the same store and database the
service uses, which may be running) and writes at once, without a job.
"""

import argparse
import logging
import sys
from pathlib import Path

from segdicom.config import Settings
from segdicom.errors import SegDicomError


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    export = commands.add_parser("export", help="export commands")
    kinds = export.add_subparsers(dest="kind", required=True)
    dataset = kinds.add_parser(
        "dataset",
        help="annotated series as NIfTI images and label maps (nnU-Net v2 or MONAI style)",
    )
    dataset.add_argument("--format", choices=["nnunet", "nifti"], default="nnunet")
    dataset.add_argument(
        "--series", nargs="+", required=True, metavar="UID", help="Series Instance UIDs"
    )
    dataset.add_argument("--labels", nargs="+", metavar="LABEL", help="only these labels")
    dataset.add_argument(
        "--out", required=True, type=Path, help="a folder, or a file ending in .zip"
    )
    dataset.add_argument("--user", help="recorded in the audit log (default SEGDICOM_DEFAULT_USER)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from segdicom.app import build_state
    from segdicom.workflows.dataset_request import DatasetRequest
    from segdicom.workflows.datasets import export_dataset_to

    # The schema check at start-up logs alembic's plugin set-up at INFO: noise for a script.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.root.level))
    st = build_state(settings)
    try:
        body = {"format": args.format, "series_uids": args.series, "labels": args.labels}
        request = DatasetRequest.parse(body)
        built = export_dataset_to(st, request, args.out, args.user or settings.default_user)
    except SegDicomError as exc:
        print(f"segdicom: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        for stop in reversed(st.on_stop):
            stop()
        st.engine.dispose()
    labels = ", ".join(f"{name}={value}" for name, value in built.labels.items())
    print(f"{built.format.value} dataset of {len(built.cases)} case(s) in {args.out}: {labels}")
    for note in built.notes:
        print(f"note: {note}")
    return 0
