// @ts-check
/** Three-vectors in the DICOM patient system LPS (PS3.3 C.7.6.2.1.1), as plain arrays. */

/** @typedef {[number, number, number]} Vec a direction or point in LPS patient coordinates */

/** @param {ArrayLike<number>} a @param {ArrayLike<number>} b (a Vec, or a direction as the API sends it) */
export const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** @param {Vec} a @param {Vec} b @returns {Vec} */
export const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** @param {Vec} a @param {Vec} b @returns {Vec} */
export const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];

/** @param {Vec} a @param {number} k @returns {Vec} */
export const scale = (a, k) => [a[0] * k, a[1] * k, a[2] * k];

/** A vector from a JSON array (missing components 0). @param {number[] | undefined} a @returns {Vec} */
export const vec = (a) => [Number(a?.[0] ?? 0), Number(a?.[1] ?? 0), Number(a?.[2] ?? 0)];

/** @param {Vec} a @returns {Vec} */
export const unit = (a) => {
  const length = Math.hypot(...a);
  return length > 1e-12 ? scale(a, 1 / length) : a;
};
