"""Grow from seeds: the seeds of two or more segments split a region of the image among
them, by a marker-controlled watershed (SimpleITK) on the image's gradient magnitude, so
region borders follow intensity edges."""

from collections.abc import Sequence

import numpy as np
import SimpleITK as sitk  # noqa: N813

Sampling = tuple[float, float, float]
GRADIENT_SIGMA_MM = 1.0
GRADIENT_LEVELS = 4096


def grow_from_seeds(
    image: np.ndarray, seeds: Sequence[np.ndarray], sampling: Sampling
) -> list[np.ndarray]:
    """One mask per seed mask (same order) that together cover `image`'s array.

    `image` and the seeds are (slices, rows, columns) arrays of the same shape; where
    seeds overlap, the earlier one wins. Every voxel ends in exactly one mask.
    """
    markers = np.zeros(image.shape, dtype=np.uint16)
    for n, seed in reversed(list(enumerate(seeds, start=1))):
        markers[seed.astype(bool)] = n
    labels = watershed(image, markers, sampling)
    return [labels == n for n in range(1, len(seeds) + 1)]


def watershed(image: np.ndarray, markers: np.ndarray, sampling: Sampling) -> np.ndarray:
    """The bare library call: gradient magnitude, then watershed from the markers."""
    itk_image = sitk.GetImageFromArray(image.astype(np.float32, copy=False))
    itk_image.SetSpacing((sampling[2], sampling[1], sampling[0]))  # ITK order: x, y, z
    gradient = sitk.GradientMagnitudeRecursiveGaussian(itk_image, sigma=GRADIENT_SIGMA_MM)
    # ITK floods level by level: a float gradient has a level per voxel, and quantised to
    # 4,096 levels the watershed runs ~5x faster (measured) with the same borders to the
    # precision a brush has.
    gradient = sitk.Cast(sitk.RescaleIntensity(gradient, 0, GRADIENT_LEVELS - 1), sitk.sitkUInt16)
    itk_markers = sitk.GetImageFromArray(markers)
    itk_markers.CopyInformation(itk_image)
    grown = sitk.MorphologicalWatershedFromMarkers(
        gradient, itk_markers, markWatershedLine=False, fullyConnected=False
    )
    # A copy, not GetArrayViewFromImage: a view reads `grown`'s buffer, which is freed when
    # `grown` goes out of scope here (the labels then read whatever reuses that memory).
    labels: np.ndarray = sitk.GetArrayFromImage(grown)
    return labels
