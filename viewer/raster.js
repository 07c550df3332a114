// @ts-check
/**
 * Pixels to RGBA: a slice through window/level, segment masks as a coloured overlay (filled or
 * outline). Pure functions over typed arrays, shared by the main view and the reformats.
 */

/** @typedef {import("./slices.js").Pixels} Pixels */
/** @typedef {{ mask: Uint8Array, color: [number, number, number] }} Layer */

/**
 * Grey levels by the DICOM linear VOI function, PS3.3 C.11.2.1.2.1:
 * below c - 0.5 - (w-1)/2 is black, above c - 0.5 + (w-1)/2 is white.
 * @param {Pixels} pixels
 * @param {Uint32Array} out RGBA pixels (little-endian: 0xAABBGGRR)
 * @param {number} center
 * @param {number} width
 * @param {boolean} invert MONOCHROME1: high values display dark
 */
export function applyWindow(pixels, out, center, width, invert) {
  const w = Math.max(1, width);
  const low = center - 0.5 - (w - 1) / 2;
  const high = center - 0.5 + (w - 1) / 2;
  const scale = w > 1 ? 255 / (w - 1) : 0;
  const base = center - 0.5;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i];
    let g;
    if (v <= low) g = 0;
    else if (v > high) g = 255;
    else g = ((v - base) * scale + 127.5) | 0;
    if (invert) g = 255 - g;
    out[i] = 0xff000000 | (g << 16) | (g << 8) | g;
  }
}

/**
 * Paint the masks into RGBA: fill with `fillAlpha`, outline (pixels with an unset 4-neighbour)
 * opaque; where segments overlap the colours mix.
 * @param {Layer[]} layers
 * @param {Uint8ClampedArray} out
 * @param {number} rows
 * @param {number} columns
 * @param {number} opacity 0..1
 * @param {boolean} [outline] only the outline, no fill
 */
export function composeMasks(layers, out, rows, columns, opacity, outline = false) {
  out.fill(0);
  const fill = Math.round(opacity * 255);
  const edge = Math.max(fill, Math.round(Math.min(1, opacity + 0.45) * 255));
  for (const { mask, color } of layers) {
    const [r, g, b] = color;
    for (let y = 0; y < rows; y++) {
      const rowStart = y * columns;
      for (let x = 0; x < columns; x++) {
        const i = rowStart + x;
        if (!mask[i]) continue;
        const isEdge =
          x === 0 || x === columns - 1 || y === 0 || y === rows - 1 ||
          !mask[i - 1] || !mask[i + 1] || !mask[i - columns] || !mask[i + columns];
        if (outline && !isEdge) continue;
        const a = isEdge ? edge : fill;
        const o = i * 4;
        if (out[o + 3] === 0) {
          out[o] = r;
          out[o + 1] = g;
          out[o + 2] = b;
          out[o + 3] = a;
        } else {
          out[o] = (out[o] + r) >> 1;
          out[o + 1] = (out[o + 1] + g) >> 1;
          out[o + 2] = (out[o + 2] + b) >> 1;
          out[o + 3] = Math.max(out[o + 3], a);
        }
      }
    }
  }
}
