// @ts-check
/**
 * Brush geometry in millimetres on an anisotropic pixel grid. A pixel belongs to the disc when its
 * centre lies within the radius, measured in mm with the row and column spacing; the pixel under
 * the pointer always belongs, so even a brush smaller than a pixel paints.
 */

/** @typedef {{ rows: number, columns: number, rowSpacing: number, colSpacing: number }} Grid */
/**
 * Which pixels a stroke may change: with `pixels`, only those whose value lies in [low, high]
 * (the threshold brush; HU for CT); with `blocked`, none where it is 1 (the editable area: other
 * or locked segments' pixels).
 * @typedef {{ pixels?: ArrayLike<number> | null, low: number, high: number, blocked?: Uint8Array | null }} Gate
 */

/**
 * @param {Gate} gate
 * @param {number} i
 */
function passes(gate, i) {
  if (gate.blocked && gate.blocked[i]) return false;
  return !gate.pixels || (gate.pixels[i] >= gate.low && gate.pixels[i] <= gate.high);
}

/**
 * Set the disc to `value`, recording every pixel that changed in `flips`.
 * @param {Uint8Array} mask
 * @param {Grid} grid
 * @param {number} x continuous column
 * @param {number} y continuous row
 * @param {number} radiusMm
 * @param {0 | 1} value
 * @param {number[]} flips
 * @param {Gate | null} [gate]
 */
export function stampDisc(mask, grid, x, y, radiusMm, value, flips, gate = null) {
  const { rows, columns, rowSpacing, colSpacing } = grid;
  const rx = radiusMm / colSpacing;
  const ry = radiusMm / rowSpacing;
  const c0 = Math.max(0, Math.floor(x - rx));
  const c1 = Math.min(columns - 1, Math.floor(x + rx));
  const r0 = Math.max(0, Math.floor(y - ry));
  const r1 = Math.min(rows - 1, Math.floor(y + ry));
  const r2 = radiusMm * radiusMm;
  for (let r = r0; r <= r1; r++) {
    const dy = (r + 0.5 - y) * rowSpacing;
    const rowStart = r * columns;
    for (let c = c0; c <= c1; c++) {
      const dx = (c + 0.5 - x) * colSpacing;
      if (dx * dx + dy * dy > r2) continue;
      const i = rowStart + c;
      if (gate && !passes(gate, i)) continue;
      setPixel(mask, i, value, flips);
    }
  }
  const pc = Math.floor(x);
  const pr = Math.floor(y);
  if (pc >= 0 && pc < columns && pr >= 0 && pr < rows) {
    const i = pr * columns + pc;
    if (!gate || passes(gate, i)) setPixel(mask, i, value, flips);
  }
}

/**
 * @param {Uint8Array} mask
 * @param {number} i
 * @param {0 | 1} value
 * @param {number[]} flips
 */
function setPixel(mask, i, value, flips) {
  if (mask[i] !== value) {
    mask[i] = value;
    flips.push(i);
  }
}

/**
 * Stamp discs along the segment from (x0, y0) to (x1, y1), excluding the start (already
 * stamped by the previous event), close enough that the stroke has no gaps.
 * @param {Uint8Array} mask
 * @param {Grid} grid
 * @param {number} x0
 * @param {number} y0
 * @param {number} x1
 * @param {number} y1
 * @param {number} radiusMm
 * @param {0 | 1} value
 * @param {number[]} flips
 * @param {Gate | null} [gate]
 */
export function stampLine(mask, grid, x0, y0, x1, y1, radiusMm, value, flips, gate = null) {
  const radiusPx = Math.min(radiusMm / grid.colSpacing, radiusMm / grid.rowSpacing);
  const step = Math.max(0.25, Math.min(radiusPx * 0.5, 1));
  const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / step));
  for (let s = 1; s <= steps; s++) {
    const t = s / steps;
    stampDisc(mask, grid, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, radiusMm, value, flips, gate);
  }
}
