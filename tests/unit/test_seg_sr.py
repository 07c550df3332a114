"""TID 1500 measurement report on a SEG: dciodvfy finds no error, highdicom reads back the
same values, units and codes, and each group references its SEG segment and source series."""

import subprocess
from pathlib import Path

import highdicom as hd
import numpy as np
import pytest
from pydicom.uid import generate_uid
from tests.helpers import require_tool
from tests.unit.test_seg_encode import SPECS, encode, single_frames, sorted_series

from segdicom.errors import BadInput
from segdicom.seg.sr import SegmentMeasurement, encode_sr, unit_for

pytestmark = pytest.mark.filterwarnings("ignore:The string .* is unlikely to represent")

FIGURES = [
    SegmentMeasurement(1, "Tumor", 12.5, -3.25, 10.5, "[hnsf'U]"),
    SegmentMeasurement(2, "My region", 0.75, 40.0, 0.0, "[hnsf'U]"),
]


@pytest.fixture(scope="module", params=["binary", "labelmap"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:  # type: ignore[type-arg]
    sources = sorted_series("ct_philips_phantom")[8:14]
    shape = (len(sources), int(sources[0].Rows), int(sources[0].Columns))
    first, second = np.zeros(shape, bool), np.zeros(shape, bool)
    first[1:4, 100:200, 100:200] = True
    second[2:5, 250:300, 250:300] = True
    seg = encode(
        sources, single_frames(sources), {1: first, 2: second}, segmentation_type=request.param
    )
    sr = encode_sr(
        seg,
        sources,
        SPECS,
        FIGURES,
        series_instance_uid=generate_uid(),
        sop_instance_uid=generate_uid(),
        instance_number=3,
        observer="annotator",
    )
    path = tmp_path_factory.mktemp("sr") / "sr.dcm"
    sr.save_as(path, enforce_file_format=True)
    return seg, sources, path


# Debian's dicom3tools predates Supplement 243: it does not know Label Map Segmentation
# Storage as a segmentation, so a Referenced Segment Number on a LABELMAP SEG looks wrong
# to it. That is the only error it may report, and only on a report on a LABELMAP SEG.
OUTDATED = "Shall not be present for Referenced SOP Class that is not segmentation"


def test_sr_passes_dciodvfy(report: tuple) -> None:  # type: ignore[type-arg]
    seg, _, path = report
    done = subprocess.run(
        [require_tool("dciodvfy"), "-new", str(path)], capture_output=True, text=True, timeout=60
    )
    output = done.stdout + done.stderr
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    if seg.SegmentationType == "LABELMAP":
        assert len(errors) == 2 and all(OUTDATED in line for line in errors), output
    else:
        assert errors == [], output


def test_sr_reads_back_with_the_same_values_units_and_references(report: tuple) -> None:  # type: ignore[type-arg]
    seg, sources, path = report
    sr = hd.sr.srread(path)
    assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
    assert sr.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    assert sr.StudyInstanceUID == seg.StudyInstanceUID and int(sr.InstanceNumber) == 3
    groups = sr.content.get_volumetric_roi_measurement_groups()
    assert len(groups) == 2
    for group, expected, spec in zip(groups, FIGURES, SPECS, strict=True):
        referenced = group.referenced_segment
        assert referenced.referenced_sop_instance_uid == seg.SOPInstanceUID
        assert referenced.referenced_sop_class_uid == seg.SOPClassUID
        assert referenced.referenced_segment_numbers == [expected.number]
        series = referenced.source_series_for_segmentation
        assert series.value == sources[0].SeriesInstanceUID
        assert group.finding_type.value == spec.type.value
        found = {m.name.value: (m.value, m.unit.value) for m in group.get_measurements()}
        assert found == {
            "118565006": (expected.volume_ml, "ml"),
            "373098007": (expected.mean, "[hnsf'U]"),
            "386136009": (expected.sd, "[hnsf'U]"),
        }
    evidence = {
        item.ReferencedSOPInstanceUID
        for study in sr.CurrentRequestedProcedureEvidenceSequence
        for series in study.ReferencedSeriesSequence
        for item in series.ReferencedSOPSequence
    }
    assert seg.SOPInstanceUID in evidence
    assert {str(ds.SOPInstanceUID) for ds in sources} <= evidence


def test_empty_segment_reports_its_volume_only(report: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    seg, sources, _ = report
    empty = [FIGURES[0], SegmentMeasurement(2, "My region", 0.0, None, None, "1")]
    sr = encode_sr(
        seg,
        sources,
        SPECS,
        empty,
        series_instance_uid=generate_uid(),
        sop_instance_uid=generate_uid(),
        instance_number=1,
        observer="Doe^Jane",
    )
    groups = hd.sr.Comprehensive3DSR.from_dataset(
        sr
    ).content.get_volumetric_roi_measurement_groups()
    assert [m.name.value for m in groups[1].get_measurements()] == ["118565006"]


def test_bad_measurements_are_refused() -> None:
    with pytest.raises(BadInput, match="volume_ml must be a finite number >= 0"):
        SegmentMeasurement(1, "Liver", -1.0, 0.0, 0.0, "1")
    with pytest.raises(BadInput, match="unit must be"):
        SegmentMeasurement(1, "Liver", 1.0, 0.0, 0.0, "HU")
    with pytest.raises(BadInput, match="mean of segment 1 must be finite"):
        SegmentMeasurement(1, "Liver", 1.0, float("nan"), 0.0, "1")
    assert unit_for("CT") == "[hnsf'U]" and unit_for("MR") == "1"


def test_measurements_must_match_segments(report: tuple) -> None:  # type: ignore[type-arg]
    seg, sources, _ = report
    with pytest.raises(BadInput, match="one segment per measurement"):
        encode_sr(
            seg,
            sources,
            SPECS[:1],
            FIGURES,
            series_instance_uid=generate_uid(),
            sop_instance_uid=generate_uid(),
            instance_number=1,
            observer="x",
        )
