// @ts-check
/**
 * Region tools on masks: flood fill within an intensity range on one slice, and "fill between
 * slices", shape-based interpolation (Raya & Udupa 1990; Herman et al. 1992): each painted slice
 * becomes a signed distance map in millimetres (negative inside), the maps of two painted
 * slices are blended linearly by position, and a slice in between takes the pixels where the
 * blend is <= 0. Distances are exact Euclidean (Felzenszwalb & Huttenlocher 2012), with the row
 * and column spacing, so anisotropic pixels interpolate round shapes round.
 */

/** @typedef {import("./brush.js").Grid} Grid */

/**
 * The mask plus the 4-connected region of pixels within [low, high] that holds `seed`.
 * @param {ArrayLike<number>} pixels
 * @param {Uint8Array | null} mask the current mask (null: empty)
 * @param {number} rows
 * @param {number} columns
 * @param {number} seed pixel index
 * @param {number} low
 * @param {number} high
 * @returns {Uint8Array} the new mask
 */
export function floodFill(pixels, mask, rows, columns, seed, low, high) {
  const out = mask ? Uint8Array.from(mask) : new Uint8Array(rows * columns);
  const inside = (/** @type {number} */ i) => pixels[i] >= low && pixels[i] <= high;
  if (!inside(seed)) return out;
  const seen = new Uint8Array(rows * columns);
  const stack = new Int32Array(rows * columns);
  let top = 0;
  stack[top++] = seed;
  seen[seed] = 1;
  while (top) {
    const i = stack[--top];
    out[i] = 1;
    const c = i % columns;
    const neighbours = [c > 0 ? i - 1 : -1, c < columns - 1 ? i + 1 : -1, i - columns, i + columns];
    for (const j of neighbours) {
      if (j < 0 || j >= out.length || seen[j]) continue;
      seen[j] = 1;
      if (inside(j)) stack[top++] = j;
    }
  }
  return out;
}

const FAR = 1e20;

/**
 * Squared distance transform of a sampled function along one line (Felzenszwalb & Huttenlocher):
 * d[q] = min_p (w2 (q - p)^2 + f[p]).
 * @param {Float64Array} f
 * @param {number} n
 * @param {number} w2 squared spacing along the line
 * @param {Float64Array} d out
 * @param {Int32Array} v scratch
 * @param {Float64Array} z scratch, n + 1
 */
function edt1d(f, n, w2, d, v, z) {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s;
    for (;;) {
      const p = v[k];
      s = (f[q] + w2 * q * q - (f[p] + w2 * p * p)) / (2 * w2 * (q - p));
      if (s > z[k] || k === 0) break;
      k--;
    }
    if (s <= z[k]) {
      // k === 0 and the new parabola is lower everywhere: it replaces the first.
      v[0] = q;
      z[1] = Infinity;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const p = v[k];
    d[q] = w2 * (q - p) * (q - p) + f[p];
  }
}

/**
 * Squared distance in mm from every pixel to the nearest pixel where `feature` is true.
 * @param {(i: number) => boolean} feature
 * @param {Grid} grid
 * @returns {Float64Array}
 */
function squaredDistance(feature, grid) {
  const { rows, columns, rowSpacing, colSpacing } = grid;
  const n = Math.max(rows, columns);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  const out = new Float64Array(rows * columns);
  for (let i = 0; i < out.length; i++) out[i] = feature(i) ? 0 : FAR;
  for (let c = 0; c < columns; c++) {
    for (let r = 0; r < rows; r++) f[r] = out[r * columns + c];
    edt1d(f, rows, rowSpacing * rowSpacing, d, v, z);
    for (let r = 0; r < rows; r++) out[r * columns + c] = d[r];
  }
  for (let r = 0; r < rows; r++) {
    const start = r * columns;
    for (let c = 0; c < columns; c++) f[c] = out[start + c];
    edt1d(f, columns, colSpacing * colSpacing, d, v, z);
    for (let c = 0; c < columns; c++) out[start + c] = d[c];
  }
  return out;
}

/**
 * Signed distance in mm to the mask's boundary: negative inside, positive outside.
 * @param {Uint8Array} mask
 * @param {Grid} grid
 * @returns {Float32Array}
 */
export function signedDistance(mask, grid) {
  const toMask = squaredDistance((i) => mask[i] !== 0, grid);
  const toBackground = squaredDistance((i) => mask[i] === 0, grid);
  const out = new Float32Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(toMask[i]) - Math.sqrt(toBackground[i]);
  return out;
}

/**
 * The masks of the slices strictly between two painted slices.
 * @param {Uint8Array} first mask at slice a
 * @param {Uint8Array} last mask at slice b
 * @param {number} gaps b - a - 1 slices to make
 * @param {Grid} grid
 * @returns {Uint8Array[]} in order a+1 .. b-1
 */
export function interpolateMasks(first, last, gaps, grid) {
  const sa = signedDistance(first, grid);
  const sb = signedDistance(last, grid);
  /** @type {Uint8Array[]} */
  const out = [];
  for (let k = 1; k <= gaps; k++) {
    const t = k / (gaps + 1);
    const mask = new Uint8Array(first.length);
    for (let i = 0; i < mask.length; i++) mask[i] = (1 - t) * sa[i] + t * sb[i] <= 0 ? 1 : 0;
    out.push(mask);
  }
  return out;
}
