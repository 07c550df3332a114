"""SEG value types: validated at construction, errors name the field and the value."""

import pytest
from highdicom.sr import CodedConcept
from pydicom.dataset import Dataset

from segdicom.errors import BadInput
from segdicom.seg import Code, SegmentSpec, SourceFrame

TISSUE = Code("85756007", "SCT", "Tissue")


def spec(**changes: object) -> SegmentSpec:
    fields: dict[str, object] = {
        "number": 1,
        "label": "Liver",
        "color": "#DD8265",
        "category": TISSUE,
        "type": TISSUE,
    }
    fields.update(changes)
    return SegmentSpec(**fields)  # type: ignore[arg-type]


def test_segment_spec_normalises_colour_and_gives_rgb() -> None:
    made = spec()
    assert made.color == "#dd8265"
    assert made.rgb == (0xDD, 0x82, 0x65)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"number": 0}, ["segment number", "0"]),
        ({"number": 70000}, ["segment number", "70000"]),
        ({"number": True}, ["segment number", "True"]),
        ({"number": "1"}, ["segment number", "'1'"]),
        ({"color": "red"}, ["segment color", "'red'"]),
        ({"color": "#12345"}, ["segment color", "'#12345'"]),
        ({"label": ""}, ["segment label", "''"]),
        ({"label": "x" * 65}, ["segment label", "1..64"]),
        ({"label": " padded"}, ["segment label", "spaces"]),
        ({"label": "a\\b"}, ["segment label", "backslash"]),
        ({"category": "Tissue"}, ["segment category", "'Tissue'"]),
    ],
)
def test_segment_spec_rejects_bad_fields(changes: dict[str, object], words: list[str]) -> None:
    with pytest.raises(BadInput) as caught:
        spec(**changes)
    for word in words:
        assert word in caught.value.detail


def test_code_converts_to_and_from_coded_concept() -> None:
    concept = TISSUE.to_coded_concept()
    assert isinstance(concept, CodedConcept)
    assert (concept.value, concept.scheme_designator, concept.meaning) == (
        "85756007",
        "SCT",
        "Tissue",
    )
    assert Code.from_item(concept) == TISSUE


def test_code_from_item_reads_long_code_value() -> None:
    item = Dataset()
    item.LongCodeValue = "A" * 20
    item.CodingSchemeDesignator = "99LOCAL"
    item.CodeMeaning = "Something long"
    assert Code.from_item(item).value == "A" * 20


@pytest.mark.parametrize(
    ("fields", "word"),
    [
        (("", "SCT", "Tissue"), "code value"),
        (("1", "SCHEME-LONGER-THAN-16", "Tissue"), "coding scheme designator"),
        (("1", "SCT", ""), "code meaning"),
    ],
)
def test_code_rejects_empty_or_long_parts(fields: tuple[str, str, str], word: str) -> None:
    with pytest.raises(BadInput, match=word):
        Code(*fields)


def test_source_frame_validates_uid_and_frame_number() -> None:
    assert SourceFrame("1.2.3").frame_number == 1
    assert str(SourceFrame("1.2.3", 4)) == "frame 4 of 1.2.3"
    with pytest.raises(BadInput, match="source SOP Instance UID"):
        SourceFrame("not-a-uid")
    with pytest.raises(BadInput, match="source frame number must be in 1"):
        SourceFrame("1.2.3", 0)
