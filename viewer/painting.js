// @ts-check
/**
 * Strokes on one segment's mask on one slice, and replaying undo/redo steps. A stroke records the
 * pixels it flipped, which become one history step when it ends.
 */

import { stampDisc, stampLine } from "./brush.js";
import { applyFlips } from "./history.js";

/** @typedef {import("./brush.js").Grid} Grid */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */
/**
 * @typedef {{ segment: number, slice: number, value: 0 | 1, mask: Uint8Array, flips: number[],
 *   col: number, row: number }} Stroke
 */

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
 * @param {{ segment: number, slice: number, grid: Grid, col: number, row: number, radiusMm: number, erase: boolean }} at
 * @returns {Stroke}
 */
export function startStroke(session, at) {
  const mask = session.masks.writable(at.segment, at.slice);
  /** @type {Stroke} */
  const stroke = { segment: at.segment, slice: at.slice, value: at.erase ? 0 : 1, mask, flips: [], col: at.col, row: at.row };
  stampDisc(mask, at.grid, at.col, at.row, at.radiusMm, stroke.value, stroke.flips);
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
  stampLine(stroke.mask, grid, stroke.col, stroke.row, col, row, radiusMm, stroke.value, stroke.flips);
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
  session.history.push({ segment: stroke.segment, slice: stroke.slice, flips: Uint32Array.from(stroke.flips) });
  session.changed(stroke.segment, stroke.slice);
  return true;
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
  if (!next || !session.masks.isLoaded(next.segment, next.slice)) return undefined;
  const step = direction < 0 ? history.undo() : history.redo();
  if (!step) return undefined;
  applyFlips(session.masks.writable(step.segment, step.slice), step.flips);
  session.changed(step.segment, step.slice);
  return step;
}
