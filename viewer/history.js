// @ts-check
/**
 * Undo/redo across slices. A step is one user action: the pixels it flipped in each
 * (segment, slice) mask it touched (a stroke touches one, "fill between slices" many). Painting
 * only sets and erasing only clears, so undoing and redoing are both "flip these pixels again".
 * Steps cost 4 bytes a changed pixel, not a copy of the slice.
 */

/** @typedef {{ segment: number, slice: number, flips: Uint32Array }} Part */
/** @typedef {{ parts: Part[] }} Step */

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
    if (!parts.length) return;
    this.done.push({ parts });
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

  /** Forget the changes of a deleted segment. @param {number} segment */
  dropSegment(segment) {
    /** @param {Step[]} steps */
    const keep = (steps) =>
      steps.map((s) => ({ parts: s.parts.filter((p) => p.segment !== segment) })).filter((s) => s.parts.length);
    this.done = keep(this.done);
    this.undone = keep(this.undone);
  }

  clear() {
    this.done = [];
    this.undone = [];
  }
}

/** @param {Step} step */
function size(step) {
  return step.parts.reduce((n, p) => n + p.flips.length, 0);
}

/**
 * Flip the pixels of a step in a mask.
 * @param {Uint8Array} mask
 * @param {Uint32Array} flips
 */
export function applyFlips(mask, flips) {
  for (let i = 0; i < flips.length; i++) mask[flips[i]] ^= 1;
}
