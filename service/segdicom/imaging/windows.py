"""Window presets: those in the header first, then the modality's usual ones."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    name: str
    center: float
    width: float


# Common CT presets (HU), in the order of the viewer's keys 1-5.
CT_PRESETS = (
    Window("Brain", 40, 80),
    Window("Soft tissue", 40, 400),
    Window("Lung", -600, 1500),
    Window("Bone", 400, 1800),
    Window("Liver", 60, 160),
    Window("Subdural", 75, 215),
    Window("Mediastinum", 50, 350),
)


def presets(
    modality: str, header: tuple[tuple[float, float, str], ...], sample: np.ndarray | None
) -> list[Window]:
    """Header windows, then modality presets, then an automatic window from `sample`."""
    known = {(p.center, p.width): p.name for p in CT_PRESETS} if modality == "CT" else {}
    found = [
        Window(_header_name(name, known.get((center, width))), center, width)
        for center, width, name in header
    ]
    if modality == "CT":
        found.extend(CT_PRESETS)
    if sample is not None and sample.size:
        found.append(auto_window(sample))
    return _unique(found)


def _header_name(name: str, preset: str | None) -> str:
    """A generic header window that equals a preset is shown under the preset's name."""
    return preset if preset and name.startswith("Header ") else name


def auto_window(sample: np.ndarray) -> Window:
    """A window over the 1st-99th percentile, the usual choice for MR and other
    modalities whose values have no fixed meaning."""
    low, high = np.percentile(sample, [1, 99])
    width = max(float(high - low), 1.0)
    return Window("Auto", round(float(low) + width / 2, 2), round(width, 2))


def _unique(windows: list[Window]) -> list[Window]:
    seen: set[tuple[float, float]] = set()
    unique = []
    for window in windows:
        key = (window.center, window.width)
        if key not in seen:
            seen.add(key)
            unique.append(window)
    return unique
