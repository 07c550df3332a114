// @ts-check
/**
 * The pixels of a reformat view in screen order: the plane through window/level, the segments
 * and a stroke in progress as an overlay, and the canvas's data-* hooks that say how the plane
 * lies on screen (planes.js).
 */

import { applyWindow } from "./raster.js";

/**
 * @typedef {{ seriesUid: string, dtype: import("./api.js").Dtype, width: number, widthMm: number,
 *   slices: number, sliceMm: number, layout: import("./planes.js").Layout,
 *   planes: import("./patientspace.js").Planes, src: import("./patientspace.js").Source }} Plane
 *   the reformat grid (width columns of widthMm, slices rows of sliceMm), how it maps to the
 *   acquired slices (to index their masks) and how it lies on screen
 */
/**
 * @typedef {{ maskAt: (slice: number) => Uint8Array | null | undefined,
 *   color: [number, number, number] }} MaskLayer a segment's masks, those loaded
 */

/** @typedef {{ slice: Int32Array, offset: Int32Array }} Lookup each plane pixel's source slice and offset there (-1: none) */

export const EMPTY_HOOKS = {
  width: "",
  slices: "",
  plane: "",
  columns: "",
  rows: "",
  sliceAxis: "",
  pixelSpacing: "",
  firstSlice: "",
  firstAcross: "",
  topSlice: "",
};

/**
 * The canvas's data-* hooks that say how the plane lies on screen.
 * @param {Plane} plane
 * @param {{ columns: number, rows: number }} size the screen grid
 * @returns {typeof EMPTY_HOOKS}
 */
export function layoutHooks(plane, size) {
  const { layout } = plane;
  const firstSlice = String(layout.flipSlice ? plane.slices - 1 : 0);
  return {
    width: String(plane.width),
    slices: String(plane.slices),
    plane: layout.name,
    columns: String(size.columns),
    rows: String(size.rows),
    sliceAxis: layout.sliceVertical ? "vertical" : "horizontal",
    pixelSpacing: `${plane.sliceMm},${plane.widthMm}`,
    firstSlice,
    firstAcross: String(layout.flipAcross ? plane.width - 1 : 0),
    topSlice: layout.sliceVertical ? firstSlice : "",
  };
}

/**
 * The plane as sent (slice 0 first), windowed and turned upright by the screen order.
 * @param {import("./slices.js").Pixels} pixels
 * @param {Int32Array} order for each screen cell, its value's index in the plane as sent
 * @param {{ columns: number, rows: number }} size the screen grid
 * @param {{ center: number, width: number, invert: boolean }} window
 */
export function planeImage(pixels, order, size, window) {
  const data = new ImageData(size.columns, size.rows);
  const windowed = new Uint32Array(pixels.length);
  applyWindow(pixels, windowed, window.center, window.width, window.invert);
  const out = new Uint32Array(data.data.buffer);
  for (let i = 0; i < order.length; i++) out[i] = windowed[order[i]];
  return data;
}

/**
 * The segments along a plane from the masks in memory, and a stroke in progress over them, as
 * RGBA in screen order; null when nothing shows.
 * @param {Int32Array} order
 * @param {Lookup} lookup where the plane's pixels lie in the acquired slices
 * @param {number} count how many acquired slices
 * @param {{ layers: MaskLayer[], opacity: number, stroke: { mask: Uint8Array, color: [number, number, number] } | null }} what
 * @returns {Uint32Array<ArrayBuffer> | null}
 */
export function planeOverlay(order, lookup, count, { layers, opacity, stroke }) {
  const out = new Uint32Array(order.length);
  const alpha = Math.round(Math.min(1, opacity + 0.15) * 255);
  const rgba = (/** @type {[number, number, number]} */ color) =>
    ((alpha << 24) | (color[2] << 16) | (color[1] << 8) | color[0]) >>> 0;
  let any = false;
  for (const { maskAt, color } of layers) {
    const value = rgba(color);
    // Each slice's mask looked up once, not once a pixel.
    const masks = Array.from({ length: count }, (_, k) => maskAt(k));
    if (!masks.some(Boolean)) continue;
    for (let i = 0; i < order.length; i++) {
      const at = order[i];
      const s = lookup.slice[at];
      if (s < 0) continue;
      const mask = masks[s];
      if (mask && mask[lookup.offset[at]]) {
        out[i] = value;
        any = true;
      }
    }
  }
  if (stroke) {
    const value = rgba(stroke.color);
    for (let i = 0; i < order.length; i++) {
      if (stroke.mask[order[i]]) {
        out[i] = value;
        any = true;
      }
    }
  }
  return any ? out : null;
}
