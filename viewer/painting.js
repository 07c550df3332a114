// @ts-check
/**
 * Changes to segment masks, each one history step: strokes (brush, eraser, threshold brush) on
 * one slice, and whole-mask edits (flood fill, clear slice, fill between slices) on one or many
 * slices. A change records the pixels it flipped; undo/redo flip them again.
 */

import { stampDisc, stampLine } from "./brush.js";
import { applyFlips } from "./history.js";
import { blockedOn, restrict } from "./overlap.js";

/** @typedef {import("./brush.js").Grid} Grid */
/** @typedef {import("./brush.js").Gate} Gate */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */
/**
 * @typedef {{ segment: number, slice: number, value: 0 | 1, mask: Uint8Array, flips: number[],
 *   col: number, row: number, gate: Gate | null }} Stroke
 */
/** @typedef {{ slice: number, target: Uint8Array }} SliceEdit the new content of one slice's mask */

/**
 * The pixel grid of a series, in mm.
 * @param {import("./api.js").SeriesInfo} series
 * @returns {Grid}
 */
export function gridOf(series) {
  const [rowSpacing = 1, colSpacing = 1] = series.spacing ?? [];
  return { rows: series.rows, columns: series.columns, rowSpacing: rowSpacing || 1, colSpacing: colSpacing || 1 };
}

/**
 * Start a stroke with one disc at (col, row); the mask must be loaded.
 * @param {AnnotationSession} session
 * @param {{ segment: number, slice: number, grid: Grid, col: number, row: number, radiusMm: number,
 *   erase: boolean, gate?: Gate | null }} at
 * @returns {Stroke}
 */
export function startStroke(session, at) {
  const mask = session.masks.writable(at.segment, at.slice);
  // The editable area: new paint stays off the protected segments' pixels (erasing is free).
  const blocked = at.erase ? null : blockedOn(session, at.segment, at.slice);
  const gate = blocked ? { pixels: null, low: 0, high: 0, ...at.gate, blocked } : at.gate ?? null;
  /** @type {Stroke} */
  const stroke = {
    segment: at.segment, slice: at.slice, value: at.erase ? 0 : 1, mask, flips: [], col: at.col, row: at.row, gate,
  };
  stampDisc(mask, at.grid, at.col, at.row, at.radiusMm, stroke.value, stroke.flips, stroke.gate);
  return stroke;
}

/**
 * Continue a stroke to (col, row), filling the way from the last point.
 * @param {Stroke} stroke
 * @param {Grid} grid
 * @param {number} col
 * @param {number} row
 * @param {number} radiusMm
 */
export function continueStroke(stroke, grid, col, row, radiusMm) {
  stampLine(stroke.mask, grid, stroke.col, stroke.row, col, row, radiusMm, stroke.value, stroke.flips, stroke.gate);
  stroke.col = col;
  stroke.row = row;
}

/**
 * End a stroke: one undo step, and the slice queued for saving when anything changed.
 * @param {AnnotationSession} session
 * @param {Stroke} stroke
 * @returns {boolean} whether the mask changed
 */
export function finishStroke(session, stroke) {
  if (!stroke.flips.length) {
    session.masks.compact(stroke.segment, stroke.slice);
    return false;
  }
  session.history.push({ parts: [{ segment: stroke.segment, slice: stroke.slice, flips: Uint32Array.from(stroke.flips) }] });
  session.changed(stroke.segment, stroke.slice);
  return true;
}

/**
 * Give masks of one segment new contents, as one undo step; every mask must be loaded. Slices
 * whose mask does not change are left alone (no save). New pixels stay off the editable area's
 * protected segments (overlap.js), whose masks should be loaded.
 * @param {AnnotationSession} session
 * @param {number} segment
 * @param {SliceEdit[]} edits
 * @returns {number} the number of slices changed
 */
export function applyEdits(session, segment, edits) {
  /** @type {import("./history.js").Part[]} */
  const parts = [];
  for (const { slice, target } of edits) {
    const current = session.masks.get(segment, slice);
    if (current === undefined) throw new Error(`mask of segment ${segment} on slice ${slice} is not loaded`);
    restrict(target, current, blockedOn(session, segment, slice));
    /** @type {number[]} */
    const flips = [];
    for (let i = 0; i < target.length; i++) if ((current ? current[i] : 0) !== target[i]) flips.push(i);
    if (!flips.length) continue;
    const flipArray = Uint32Array.from(flips);
    applyFlips(session.masks.writable(segment, slice), flipArray);
    parts.push({ segment, slice, flips: flipArray });
    session.changed(segment, slice);
  }
  session.history.push({ parts });
  return parts.length;
}

/**
 * Undo (direction -1) or redo (+1) one step.
 * @param {AnnotationSession} session
 * @param {-1 | 1} direction
 * @returns {import("./history.js").Step | undefined} the step replayed
 */
export function replayStep(session, direction) {
  const history = session.history;
  const next = direction < 0 ? history.done.at(-1) : history.undone.at(-1);
  // Masks with history were painted here, so they are loaded; check rather than lose a step.
  if (!next || !next.parts.every((p) => session.masks.isLoaded(p.segment, p.slice))) return undefined;
  const step = direction < 0 ? history.undo() : history.redo();
  if (!step) return undefined;
  for (const part of step.parts) {
    applyFlips(session.masks.writable(part.segment, part.slice), part.flips);
    session.changed(part.segment, part.slice);
  }
  return step;
}
