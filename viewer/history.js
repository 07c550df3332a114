// @ts-check
/**
 * Undo/redo across slices. A step is one user action: the pixels it flipped in each
 * (segment, slice) mask it touched (a stroke touches one, "fill between slices" many). Painting
 * only sets and erasing only clears, so undoing and redoing are both "flip these pixels again".
 * Steps cost 4 bytes a changed pixel, not a copy of the slice.
 *
 * A step may instead change a segment itself (add, rename, recolour, delete): it keeps the
 * segment as it was before and after, null when it did not exist; a deleted segment keeps its
 * masks, bit-packed, so undoing the delete brings them back. History is linear, so the steps
 * of a segment's strokes are always nearer the bottom than its delete, and undone after it.
 */

import { toHex } from "./colors.js";

/** @typedef {{ segment: number, slice: number, flips: Uint32Array }} Part */
/**
 * @typedef {{ label: string, color: string, category?: import("./api.js").Code,
 *   type?: import("./api.js").Code }} SegmentFields
 * @typedef {{ number: number, fields: SegmentFields, locked: boolean, masks: Map<number, Uint8Array> }} SegmentState
 *   masks: by slice, packed 8 pixels a byte (maskcodec.packBits); only the non-empty ones
 * @typedef {{ before: SegmentState | null, after: SegmentState | null }} SegmentChange
 * @typedef {{ parts: Part[], segment?: SegmentChange }} Step
 */

export class History {
  /**
   * @param {number} [limit] steps kept
   * @param {number} [maxPixels] changed pixels kept over all steps (4 bytes each)
   */
  constructor(limit = 200, maxPixels = 16 * 2 ** 20) {
    this.limit = limit;
    this.maxPixels = maxPixels;
    /** @type {Step[]} */
    this.done = [];
    /** @type {Step[]} */
    this.undone = [];
  }

  /** @param {Step} step */
  push(step) {
    const parts = step.parts.filter((p) => p.flips.length);
    if (!parts.length && !step.segment) return;
    this.done.push({ ...step, parts });
    this.undone = [];
    let pixels = this.done.reduce((n, s) => n + size(s), 0);
    while (this.done.length > 1 && (this.done.length > this.limit || pixels > this.maxPixels)) {
      pixels -= size(/** @type {Step} */ (this.done.shift()));
    }
  }

  /** @returns {Step | undefined} the step to flip back */
  undo() {
    const step = this.done.pop();
    if (step) this.undone.push(step);
    return step;
  }

  /** @returns {Step | undefined} the step to flip again */
  redo() {
    const step = this.undone.pop();
    if (step) this.done.push(step);
    return step;
  }

  get canUndo() {
    return this.done.length > 0;
  }

  get canRedo() {
    return this.undone.length > 0;
  }

  clear() {
    this.done = [];
    this.undone = [];
  }
}

/** What a step holds, in 4-byte units (a flipped pixel, or 32 pixels of a kept mask). @param {Step} step */
function size(step) {
  const flips = step.parts.reduce((n, p) => n + p.flips.length, 0);
  let packed = 0;
  for (const mask of step.segment?.before?.masks.values() ?? []) packed += mask.length;
  return flips + Math.ceil(packed / 4);
}

/**
 * Flip the pixels of a step in a mask.
 * @param {Uint8Array} mask
 * @param {Uint32Array} flips
 */
export function applyFlips(mask, flips) {
  for (let i = 0; i < flips.length; i++) mask[flips[i]] ^= 1;
}

/**
 * The JSON of a segment PUT: codes only when known, so the service picks them for custom labels.
 * @param {SegmentFields} fields
 */
export function segmentBody(fields) {
  /** @type {SegmentFields} */
  const out = { label: fields.label, color: toHex(fields.color) };
  if (fields.category) out.category = fields.category;
  if (fields.type) out.type = fields.type;
  return out;
}
