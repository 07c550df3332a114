"""Label presets: real SNOMED CT codes from the DICOM context groups, a fallback, a palette."""

import re

import pytest
from pydicom.sr.codedict import Collection

from segdicom.errors import BadInput
from segdicom.seg import Code, codes_for_label, default_color, preset_for_label, presets
from segdicom.seg.codes import FALLBACK_CATEGORY, FALLBACK_TYPE


def members(cid: int) -> set[tuple[str, str, str]]:
    """(value, scheme, meaning) of every concept of a PS3.16 context group, per pydicom."""
    group = Collection(f"CID{cid}")
    return {
        (code.value, code.scheme_designator, code.meaning)
        for code in (getattr(group, name) for name in group.dir())
    }


def as_tuple(code: Code) -> tuple[str, str, str]:
    return (code.value, code.scheme, code.meaning)


def test_every_preset_is_coded_from_cid_7150_and_7151() -> None:
    categories, types = members(7150), members(7151)
    for preset in presets():
        assert preset.category.scheme == preset.type.scheme == "SCT", preset.label
        assert preset.category.value and preset.type.value, preset.label
        assert as_tuple(preset.category) in categories, preset.label
        assert as_tuple(preset.type) in types, preset.label
        assert re.fullmatch(r"#[0-9a-f]{6}", preset.color), preset.label


def test_each_preset_type_belongs_to_its_category_group() -> None:
    # PS3.16 CID 7191..7197: the property types allowed under each category.
    by_category = {
        "85756007": members(7191),  # Tissue
        "91723000": members(7192),  # Anatomical Structure
        "49755003": members(7194),  # Morphologically Abnormal Structure
        "91720002": members(7197),  # Body Substance
    }
    for preset in presets():
        assert as_tuple(preset.type) in by_category[preset.category.value], preset.label


def test_required_presets_are_offered() -> None:
    labels = {preset.label.lower() for preset in presets()}
    wanted = {"tumor", "lesion", "liver", "kidney", "lung", "bone", "organ", "spleen"}
    assert wanted <= labels
    assert {"heart", "brain", "vessel", "artery", "cyst", "nodule", "fluid", "edema"} <= labels


@pytest.mark.parametrize("label", ["Tumour", "tumor", "Neoplasm", " TUMOR ", "neo plasm"])
def test_tumor_synonyms_match_case_and_space_insensitively(label: str) -> None:
    category, type_ = codes_for_label(label)
    assert category == Code("49755003", "SCT", "Morphologically Abnormal Structure")
    assert type_ == Code("108369006", "SCT", "Neoplasm")


def test_multi_word_preset_matches_any_separator() -> None:
    assert preset_for_label("blood_vessel") == preset_for_label("Blood Vessel")
    assert codes_for_label("blood-vessel")[1].meaning == "Blood Vessel"


@pytest.mark.parametrize("label", ["My region", "ROI 1", "left thing"])
def test_custom_labels_get_tissue_fallback(label: str) -> None:
    assert preset_for_label(label) is None
    assert codes_for_label(label) == (FALLBACK_CATEGORY, FALLBACK_TYPE)
    assert as_tuple(FALLBACK_CATEGORY) in members(7150)
    assert as_tuple(FALLBACK_TYPE) in members(7151)


def test_default_colors_are_distinct_valid_hex() -> None:
    colors = [default_color(n) for n in range(1, 41)]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colors)
    assert len(set(colors)) == len(colors)
    assert default_color(3) == default_color(3)


@pytest.mark.parametrize("number", [0, -1])
def test_default_color_rejects_non_positive_numbers(number: int) -> None:
    with pytest.raises(BadInput, match=f"got {number}"):
        default_color(number)
