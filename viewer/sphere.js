// @ts-check
/**
 * The 3D brush: a sphere of the brush size in mm, honouring the true spacing. Each slice within
 * the radius along the slice normal (measured from the slices' own positions, so uneven spacing
 * is honoured) gets a disc of radius sqrt(R² − d²) under the same path; the whole stroke is one
 * undo step. Slices whose masks are not loaded yet are loaded ahead (preload), since a stroke
 * only paints loaded masks.
 */

import { loadProtected } from "./overlap.js";
import { continueStroke, startStroke } from "./painting.js";
import { sliceLocation } from "./viewstate.js";

/** @typedef {import("./painting.js").Stroke} Stroke */
/** @typedef {import("./brush.js").Grid} Grid */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */
/** @typedef {{ slice: number, radiusMm: number }} Disc */
/** @typedef {{ parts: { stroke: Stroke, radiusMm: number }[] }} SphereStroke */

/**
 * The slices a sphere of `radiusMm` centred on slice `index` reaches, with each disc's radius.
 * @param {import("./api.js").SeriesInfo} series
 * @param {number} index
 * @param {number} radiusMm
 * @returns {Disc[]}
 */
export function sphereDiscs(series, index, radiusMm) {
  const here = sliceLocation(series, index);
  const spacing = Number(series.spacing?.[2]) || 1;
  const depth = (/** @type {number} */ k) => {
    const at = here === null ? null : sliceLocation(series, k);
    return at === null || here === null ? Math.abs(k - index) * spacing : Math.abs(at - here);
  };
  /** @type {Disc[]} */
  const discs = [{ slice: index, radiusMm }];
  for (const step of [-1, 1]) {
    for (let k = index + step; k >= 0 && k < series.num_slices; k += step) {
      const d = depth(k);
      if (d > radiusMm) break;
      discs.push({ slice: k, radiusMm: Math.sqrt(radiusMm * radiusMm - d * d) });
    }
  }
  return discs;
}

/**
 * Load the masks of a segment on the slices the sphere reaches, and those of the segments it
 * must not paint over (overlap.js).
 * @param {AnnotationSession} session
 * @param {number} segment
 * @param {Disc[]} discs
 */
export function preload(session, segment, discs) {
  return Promise.all([
    ...discs.map((d) => session.masks.load(segment, d.slice).catch(() => undefined)),
    loadProtected(session, segment, discs.map((d) => d.slice)),
  ]);
}

/**
 * Start a sphere stroke on every reached slice whose mask is loaded.
 * @param {AnnotationSession} session
 * @param {{ segment: number, grid: Grid, col: number, row: number, erase: boolean }} at
 * @param {Disc[]} discs
 * @returns {SphereStroke}
 */
export function startSphere(session, at, discs) {
  const parts = discs
    .filter((d) => session.masks.isLoaded(at.segment, d.slice))
    .map((d) => ({ stroke: startStroke(session, { ...at, slice: d.slice, radiusMm: d.radiusMm }), radiusMm: d.radiusMm }));
  return { parts };
}

/**
 * @param {SphereStroke} sphere
 * @param {Grid} grid
 * @param {number} col
 * @param {number} row
 */
export function continueSphere(sphere, grid, col, row) {
  for (const { stroke, radiusMm } of sphere.parts) continueStroke(stroke, grid, col, row, radiusMm);
}

/**
 * One undo step for every slice the sphere changed; each changed slice is saved.
 * @param {AnnotationSession} session
 * @param {SphereStroke} sphere
 * @returns {boolean} whether anything changed
 */
export function finishSphere(session, sphere) {
  const parts = [];
  for (const { stroke } of sphere.parts) {
    if (!stroke.flips.length) {
      session.masks.compact(stroke.segment, stroke.slice);
      continue;
    }
    parts.push({ segment: stroke.segment, slice: stroke.slice, flips: Uint32Array.from(stroke.flips) });
    session.changed(stroke.segment, stroke.slice);
  }
  if (parts.length) session.history.push({ parts });
  return parts.length > 0;
}
