// @ts-check
/**
 * Undo/redo across slices. A step is the set of pixels a stroke flipped in one segment's mask on
 * one slice: painting only sets, erasing only clears, so undoing and redoing are both "flip these
 * pixels again". Steps cost 4 bytes a changed pixel, not a copy of the slice.
 */

/** @typedef {{ segment: number, slice: number, flips: Uint32Array }} Step */

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
    if (!step.flips.length) return;
    this.done.push(step);
    this.undone = [];
    let pixels = this.done.reduce((n, s) => n + s.flips.length, 0);
    while (this.done.length > 1 && (this.done.length > this.limit || pixels > this.maxPixels)) {
      pixels -= /** @type {Step} */ (this.done.shift()).flips.length;
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

  /** Forget the steps of a deleted segment. @param {number} segment */
  dropSegment(segment) {
    this.done = this.done.filter((s) => s.segment !== segment);
    this.undone = this.undone.filter((s) => s.segment !== segment);
  }

  clear() {
    this.done = [];
    this.undone = [];
  }
}

/**
 * Flip the pixels of a step in a mask.
 * @param {Uint8Array} mask
 * @param {Uint32Array} flips
 */
export function applyFlips(mask, flips) {
  for (let i = 0; i < flips.length; i++) mask[flips[i]] ^= 1;
}
