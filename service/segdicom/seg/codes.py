"""Label presets coded with SNOMED CT, and the default colour palette.

Categories come from DICOM PS3.16 CID 7150 (Segmentation Property Categories);
types from CID 7151 (Segmentation Property Types), through the per-category
context groups that make it up: CID 7191 (Tissue), 7192 (Anatomical Structure),
7194 (Morphologically Abnormal Structure) and 7197 (Body Substance). The unit
tests check every preset against pydicom's copy of these context groups.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass

from segdicom.errors import BadInput
from segdicom.seg.model import Code

# CID 7150 categories.
TISSUE = Code("85756007", "SCT", "Tissue")
ANATOMICAL_STRUCTURE = Code("91723000", "SCT", "Anatomical Structure")
MORPHOLOGICALLY_ABNORMAL = Code("49755003", "SCT", "Morphologically Abnormal Structure")
BODY_SUBSTANCE = Code("91720002", "SCT", "Body Substance")

# Custom labels: category "Tissue", type "Tissue" (CID 7191), as 3D Slicer does
# for a segment nobody has coded. Both code sequences are Type 1 (PS3.3
# C.8.20.2, Segment Description Macro), so a custom label needs some code; the
# most general valid pair claims nothing false about the region, and the free
# text stays in Segment Label where readers show it.
FALLBACK_CATEGORY = TISSUE
FALLBACK_TYPE = Code("85756007", "SCT", "Tissue")


@dataclass(frozen=True, slots=True)
class Preset:
    """A label the annotator offers: codes, default colour and accepted spellings."""

    label: str
    category: Code
    type: Code
    color: str
    synonyms: tuple[str, ...] = ()


def _abnormal(label: str, value: str, meaning: str, color: str, *syn: str) -> Preset:
    return Preset(label, MORPHOLOGICALLY_ABNORMAL, Code(value, "SCT", meaning), color, syn)


def _anatomy(label: str, value: str, meaning: str, color: str, *syn: str) -> Preset:
    return Preset(label, ANATOMICAL_STRUCTURE, Code(value, "SCT", meaning), color, syn)


def _tissue(label: str, value: str, meaning: str, color: str, *syn: str) -> Preset:
    return Preset(label, TISSUE, Code(value, "SCT", meaning), color, syn)


_PRESETS: tuple[Preset, ...] = (
    # CID 7194 Morphologically Abnormal Structure types.
    _abnormal("Tumor", "108369006", "Neoplasm", "#e6194b", "tumour", "neoplasm", "neoplasia"),
    _abnormal("Lesion", "52988006", "Lesion", "#f58231"),
    _abnormal("Mass", "4147007", "Mass", "#911eb4"),
    _abnormal("Nodule", "27925004", "Nodule", "#ffe119"),
    _abnormal("Cyst", "367643001", "Cyst", "#42d4f4"),
    _abnormal("Edema", "79654002", "Edema", "#4363d8", "oedema"),
    _abnormal("Necrosis", "6574001", "Necrosis", "#800000"),
    _abnormal("Hemorrhage", "50960005", "Hemorrhage", "#b22222", "haemorrhage", "bleed"),
    _abnormal(
        "Metastasis",
        "14799000",
        "Neoplasm, Secondary",
        "#f032e6",
        "metastases",
        "secondary neoplasm",
    ),
    # CID 7192 Anatomical Structure types.
    _anatomy("Liver", "10200004", "Liver", "#dd8265"),
    _anatomy("Kidney", "64033007", "Kidney", "#b96653"),
    _anatomy("Lung", "39607008", "Lung", "#c5a591"),
    _anatomy("Spleen", "78961009", "Spleen", "#9d6ca2"),
    _anatomy("Heart", "80891009", "Heart", "#ce6e54"),
    _anatomy("Brain", "12738006", "Brain", "#fafae1"),
    _anatomy("Pancreas", "15776009", "Pancreas", "#f9b46f"),
    _anatomy("Prostate", "41216001", "Prostate", "#e69e8c"),
    _anatomy("Bladder", "89837001", "Bladder", "#de9a84", "urinary bladder"),
    _anatomy("Aorta", "15825003", "Aorta", "#e0614c"),
    # CID 7191 Tissue types. Bone, Organ and Blood Vessel are listed there
    # (Organ only there), so they take the Tissue category.
    _tissue("Bone", "3138006", "Bone", "#f1d691"),
    _tissue("Organ", "91772007", "Organ", "#aaffc3"),
    _tissue("Vessel", "59820001", "Blood Vessel", "#c8484b", "blood vessel", "vasculature"),
    _tissue("Artery", "51114001", "Artery", "#d8654f", "arterial"),
    _tissue("Vein", "29092000", "Vein", "#0097ce", "venous"),
    _tissue("Fat", "55603005", "Fat", "#e6dc46", "adipose tissue"),
    _tissue("Muscle", "91727004", "Muscle", "#c06858"),
    _tissue("Tissue", "85756007", "Tissue", "#bcbcbc", "soft tissue"),
    # CID 7197 Body Substance types.
    Preset(
        "Fluid",
        BODY_SUBSTANCE,
        Code("32457005", "SCT", "Body fluid"),
        "#46f0f0",
        ("body fluid", "effusion", "ascites"),
    ),
)

_SEPARATORS = re.compile(r"[\s_\-]+")


def _key(label: str) -> str:
    """Case- and separator-insensitive lookup key ("Blood vessel" == "blood_vessel")."""
    return _SEPARATORS.sub("", label).casefold()


_BY_KEY: dict[str, Preset] = {
    _key(name): preset for preset in _PRESETS for name in (preset.label, *preset.synonyms)
}


def presets() -> list[Preset]:
    """Every preset, in the order the annotator shows them."""
    return list(_PRESETS)


def preset_for_label(label: str) -> Preset | None:
    """The preset whose name or synonym matches `label` (ignoring case and spaces), if any."""
    return _BY_KEY.get(_key(label))


def codes_for_label(label: str) -> tuple[Code, Code]:
    """(category, type) for `label`: the preset's codes, else the Tissue/Tissue fallback."""
    preset = preset_for_label(label)
    if preset is None:
        return FALLBACK_CATEGORY, FALLBACK_TYPE
    return preset.category, preset.type


# A qualitative palette whose neighbours contrast on grey-scale images
# (twelve of Sasha Trubetskoy's "20 distinct colours", blue before yellow).
_PALETTE = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#ffe119",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#bfef45",
    "#fabed4",
    "#469990",
    "#dcbeff",
)
_GOLDEN_RATIO_CONJUGATE = 0.618033988749895


def default_color(number: int) -> str:
    """A colour for segment `number` (>= 1): the palette, then golden-angle hues beyond it."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise BadInput(f"segment number must be an integer >= 1, got {number!r}")
    if number <= len(_PALETTE):
        return _PALETTE[number - 1]
    hue = ((number - len(_PALETTE)) * _GOLDEN_RATIO_CONJUGATE) % 1.0
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.75, 0.95)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"
