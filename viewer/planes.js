// @ts-check
/**
 * How a reformatted plane lies on screen. The service cuts the stack of slices at a column
 * ("sagittal": slices x rows) or at a row ("coronal": slices x columns), slice 0 first; the
 * view turns and flips that grid so it reads in the radiological convention whatever the
 * acquisition plane: of the plane's two axes (the slices and the rows or columns across them),
 * the one closest to the patient's head-foot axis runs down the screen, superior at the top;
 * the other follows the display convention of the plane's name (coronal: patient right on the
 * viewer's left; sagittal: anterior on the left; axial: patient right on the left, anterior at
 * the top). Directions are in the DICOM patient system LPS (PS3.3 C.7.6.2.1.1: +x patient
 * left, +y posterior, +z head).
 *
 * Everything that maps between the screen and the volume (the image, the masks, the lines,
 * a click) goes through toScreen / fromScreen, so they cannot disagree; between the reformat
 * grid and the acquired slices, through patient space (patientspace.js).
 */

import { dot, scale, vec } from "./vec3.js";

/** @typedef {import("./vec3.js").Vec} Vec */
/** @typedef {import("./patientspace.js").Planes} Planes */
/** @typedef {"sagittal" | "coronal"} Axis the cut: at a column, or at a row */
/** @typedef {"Sagittal" | "Coronal" | "Axial"} PlaneName */
/**
 * @typedef {{ name: PlaneName, sliceVertical: boolean, flipSlice: boolean, flipAcross: boolean }} Layout
 *   name: the anatomical plane shown; sliceVertical: the slices run down the screen (else
 *   across it); flipSlice / flipAcross: that index decreases along its screen axis (left to
 *   right, top to bottom)
 */
/** @typedef {{ width: number, slices: number }} Grid the plane as sent: slices rows of width values */

/** @type {Record<PlaneName, { right: Vec, down: Vec }>} the patient direction of screen right and down */
const SCREEN = {
  Axial: { right: [1, 0, 0], down: [0, 1, 0] }, // patient left on the right, posterior down
  Coronal: { right: [1, 0, 0], down: [0, 0, -1] }, // patient left on the right, feet down
  Sagittal: { right: [0, 1, 0], down: [0, 0, -1] }, // posterior on the right, feet down
};

/**
 * The anatomical plane whose normal is this direction.
 * @param {Vec} normal
 * @returns {PlaneName}
 */
export function planeName(normal) {
  const [x, y, z] = normal.map(Math.abs);
  return x >= y && x >= z ? "Sagittal" : y >= z ? "Coronal" : "Axial";
}

/**
 * The screen layout of a plane, from its normal, the direction of increasing index across it
 * and the direction of increasing slice index. Ties keep the slices vertical.
 * @param {Vec} normal
 * @param {Vec} across
 * @param {Vec} slice
 * @returns {Layout}
 */
export function planeLayout(normal, across, slice) {
  const name = planeName(normal);
  const { right, down } = SCREEN[name];
  const sliceVertical = Math.abs(dot(slice, down)) >= Math.abs(dot(across, down));
  const [vertical, horizontal] = sliceVertical ? [slice, across] : [across, slice];
  const flipDown = dot(vertical, down) < 0;
  const flipRight = dot(horizontal, right) < 0;
  return {
    name,
    sliceVertical,
    flipSlice: sliceVertical ? flipDown : flipRight,
    flipAcross: sliceVertical ? flipRight : flipDown,
  };
}

/** @param {number} i @param {number} n @param {boolean} flipped */
const flip = (i, n, flipped) => (flipped ? n - 1 - i : i);

/**
 * The screen grid: how many values across the screen and down it.
 * @param {Layout} layout
 * @param {Grid} grid
 */
export function screenSize(layout, grid) {
  return layout.sliceVertical ? { columns: grid.width, rows: grid.slices } : { columns: grid.slices, rows: grid.width };
}

/**
 * The screen cell (x across, y down) showing value `across` of slice `slice`.
 * @param {Layout} layout
 * @param {Grid} grid
 * @param {number} across
 * @param {number} slice
 */
export function toScreen(layout, grid, across, slice) {
  const a = flip(across, grid.width, layout.flipAcross);
  const s = flip(slice, grid.slices, layout.flipSlice);
  return layout.sliceVertical ? { x: a, y: s } : { x: s, y: a };
}

/**
 * The value (across, slice) shown at screen cell (x, y); the inverse of toScreen.
 * @param {Layout} layout
 * @param {Grid} grid
 * @param {number} x
 * @param {number} y
 */
export function fromScreen(layout, grid, x, y) {
  const [a, s] = layout.sliceVertical ? [x, y] : [y, x];
  return { across: flip(a, grid.width, layout.flipAcross), slice: flip(s, grid.slices, layout.flipSlice) };
}

/**
 * For each screen cell in row-major order, the index of its value in the plane as sent
 * (slice * width + across): one table a plane, so repainting is a gather.
 * @param {Layout} layout
 * @param {Grid} grid
 * @returns {Int32Array}
 */
export function screenOrder(layout, grid) {
  const { columns, rows } = screenSize(layout, grid);
  const order = new Int32Array(columns * rows);
  for (let y = 0, i = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++, i++) {
      const { across, slice } = fromScreen(layout, grid, x, y);
      order[i] = slice * grid.width + across;
    }
  }
  return order;
}

/** The layout on screen of a reformat grid. @param {Planes} pl @returns {Layout} */
export function planesLayout(pl) {
  return planeLayout(vec(pl.plane_normal), vec(pl.row_direction), vec(pl.column_direction));
}

/**
 * The patient directions of screen right and down in a reformat view.
 * @param {Layout} layout
 * @param {Planes} pl
 * @returns {{ right: Vec, down: Vec }}
 */
export function screenDirections(layout, pl) {
  const across = scale(vec(pl.row_direction), layout.flipAcross ? -1 : 1);
  const slice = scale(vec(pl.column_direction), layout.flipSlice ? -1 : 1);
  return layout.sliceVertical ? { right: across, down: slice } : { right: slice, down: across };
}
