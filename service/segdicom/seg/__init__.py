"""SEG layer: DICOM Segmentation encode and decode (highdicom), and label codes.

Pure library code: datasets and arrays in, datasets and arrays out.
"""

from segdicom.seg.codes import Preset, codes_for_label, default_color, preset_for_label, presets
from segdicom.seg.decode import decode_seg
from segdicom.seg.encode import encode_seg, segment_number_map
from segdicom.seg.model import Code, DecodedSeg, SegmentSpec, SourceFrame

__all__ = [
    "Code",
    "DecodedSeg",
    "Preset",
    "SegmentSpec",
    "SourceFrame",
    "codes_for_label",
    "decode_seg",
    "default_color",
    "encode_seg",
    "preset_for_label",
    "presets",
    "segment_number_map",
]
