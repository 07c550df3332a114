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
 * a click) goes through toScreen / fromScreen, so they cannot disagree; and between the
 * reformat grid and the acquired slices through patient space (pointAt, sourcePixel: the last
 * section of GEOMETRY_CONTRACT.md), so a tilted or unevenly spaced series is drawn and painted
 * where it is.
 */

/** @typedef {"sagittal" | "coronal"} Axis the cut: at a column, or at a row */
/** @typedef {"Sagittal" | "Coronal" | "Axial"} PlaneName */
/** @typedef {[number, number, number]} Vec a direction in LPS patient coordinates */
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

/** @param {Vec} a @param {Vec} b */
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** @param {Vec} a @param {Vec} b @returns {Vec} */
const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

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

// ---- patient space (GEOMETRY_CONTRACT.md) -----------------------------------------------

/**
 * @typedef {{ planes: number, rows: number, columns: number, pixel_spacing: number[],
 *   plane_spacing: number, origin: number[], row_direction: number[], column_direction: number[],
 *   plane_normal: number[] }} Planes
 *   a reformat's grid as GET /api/series/{uid} describes it ("reformat"): pixel (r, c) of plane i
 *   is at origin + i*plane_spacing*plane_normal + r*pixel_spacing[0]*column_direction
 *   + c*pixel_spacing[1]*row_direction
 */
/**
 * @typedef {{ u: Vec, v: Vec, n: Vec, dr: number, dc: number, rows: number, columns: number,
 *   positions: Vec[], s: Float64Array, tolerance: Float64Array, ascending: boolean }} Source
 *   the acquired slices: row direction u, column direction v, normal n, pixel spacing
 *   (dr between rows, dc between columns), each slice's position P_k and s_k = P_k.n, and how
 *   far from s_k a point still belongs to slice k (half the nearer neighbour's distance)
 */
/** @typedef {{ regular?: boolean, tilt_degrees?: number, spacing_min?: number, spacing_max?: number, missing_slices?: number }} Geometry */

/** @param {Vec} a @param {Vec} b @returns {Vec} */
const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
/** @param {Vec} a @param {number} k @returns {Vec} */
const scale = (a, k) => [a[0] * k, a[1] * k, a[2] * k];
/** @param {number[] | undefined} a @returns {Vec} */
const vec = (a) => [Number(a?.[0] ?? 0), Number(a?.[1] ?? 0), Number(a?.[2] ?? 0)];
/** @param {Vec} a @returns {Vec} */
const unit = (a) => {
  const length = Math.hypot(...a);
  return length > 1e-12 ? scale(a, 1 / length) : a;
};

/**
 * The acquired slices' geometry from the series answer. Missing positions are stacked 1 mm
 * apart along the normal (as the service does without them).
 * @param {import("./api.js").SeriesInfo} series
 * @returns {Source}
 */
export function sourceGeometry(series) {
  const o = series.orientation?.length === 6 ? series.orientation : [1, 0, 0, 0, 1, 0];
  /** @type {Vec} */
  const u = [o[0], o[1], o[2]];
  /** @type {Vec} */
  const v = [o[3], o[4], o[5]];
  const n = unit(cross(u, v));
  const [dr = 1, dc = 1] = series.spacing ?? [];
  const count = series.num_slices;
  /** @type {Vec[]} */
  const positions = [];
  for (let k = 0; k < count; k++) {
    const p = series.slices?.[k]?.position;
    positions.push(p?.length === 3 ? vec(p) : scale(n, k));
  }
  const s = Float64Array.from(positions, (p) => dot(p, n));
  const tolerance = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const before = k > 0 ? Math.abs(s[k] - s[k - 1]) : Infinity;
    const after = k + 1 < count ? Math.abs(s[k + 1] - s[k]) : Infinity;
    const nearer = Math.min(before, after);
    tolerance[k] = Number.isFinite(nearer) ? nearer / 2 + 1e-6 : 0.5;
  }
  const ascending = count < 2 || s[count - 1] >= s[0];
  return { u, v, n, dr: dr || 1, dc: dc || 1, rows: series.rows, columns: series.columns, positions, s, tolerance, ascending };
}

/**
 * The reformat grid of an axis: the service's (series.reformat) when it sends one, else the one
 * a regular stack has, which is what a service without patient-space reformats sends: plane i is
 * source column (sagittal) or row (coronal) i, reformat row r is slice r, the slices a mean step
 * apart along the line from the first to the last.
 * @param {import("./api.js").SeriesInfo} series
 * @param {Axis} axis
 * @param {Source} src
 * @returns {Planes}
 */
export function planesOf(series, axis, src) {
  const sent = series.reformat?.[axis];
  if (sent && sent.planes > 0 && sent.rows > 0 && sent.columns > 0) return sent;
  const count = src.positions.length;
  const step = count > 1 ? sub(src.positions[count - 1], src.positions[0]) : src.n;
  const length = Math.hypot(...step);
  const ds = count > 1 && length > 1e-9 ? length / (count - 1) : 1;
  const down = length > 1e-9 ? unit(step) : src.n;
  const origin = src.positions[0] ?? [0, 0, 0];
  const sagittal = axis === "sagittal";
  return {
    planes: sagittal ? src.columns : src.rows,
    rows: count,
    columns: sagittal ? src.rows : src.columns,
    pixel_spacing: [ds, sagittal ? src.dr : src.dc],
    plane_spacing: sagittal ? src.dc : src.dr,
    origin,
    row_direction: sagittal ? src.v : src.u,
    column_direction: down,
    plane_normal: sagittal ? src.u : src.v,
  };
}

/**
 * The patient point of reformat pixel (r, c) of plane i (continuous; pixel centres at integers).
 * @param {Planes} pl
 * @param {number} i
 * @param {number} r
 * @param {number} c
 * @returns {Vec}
 */
export function pointAt(pl, i, r, c) {
  const [o, N, C, R] = [vec(pl.origin), vec(pl.plane_normal), vec(pl.column_direction), vec(pl.row_direction)];
  const a = i * pl.plane_spacing;
  const b = r * pl.pixel_spacing[0];
  const d = c * pl.pixel_spacing[1];
  return [o[0] + a * N[0] + b * C[0] + d * R[0], o[1] + a * N[1] + b * C[1] + d * R[1], o[2] + a * N[2] + b * C[2] + d * R[2]];
}

/**
 * The plane of a grid nearest to a patient point.
 * @param {Planes} pl
 * @param {Vec} p
 */
export function planeIndexAt(pl, p) {
  const i = Math.round(dot(sub(p, vec(pl.origin)), vec(pl.plane_normal)) / pl.plane_spacing);
  return Math.min(pl.planes - 1, Math.max(0, i));
}

/**
 * The source slice whose plane is nearest to a point along the normal.
 * @param {Source} src
 * @param {number} along p.n
 */
export function nearestSlice(src, along) {
  const s = src.s;
  const count = s.length;
  if (!count) return -1;
  const sign = src.ascending ? 1 : -1;
  let lo = 0;
  let hi = count - 1;
  const x = along * sign;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid] * sign < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(s[lo - 1] - along) <= Math.abs(s[lo] - along)) lo -= 1;
  return lo;
}

/**
 * The source pixel holding a patient point (GEOMETRY_CONTRACT.md, last section): the nearest
 * slice along the normal and the nearest pixel in it. Strict (painting): null when the point
 * falls in a gap between slices or outside the slice; else the nearest slice, row and column.
 * @param {Source} src
 * @param {Vec} p
 * @param {boolean} strict
 * @returns {{ slice: number, row: number, col: number } | null}
 */
export function sourcePixel(src, p, strict) {
  const along = dot(p, src.n);
  const k = nearestSlice(src, along);
  if (k < 0 || (strict && Math.abs(along - src.s[k]) > src.tolerance[k])) return null;
  const d = sub(p, src.positions[k]);
  let row = Math.round(dot(d, src.v) / src.dr);
  let col = Math.round(dot(d, src.u) / src.dc);
  if (strict && (row < 0 || col < 0 || row >= src.rows || col >= src.columns)) return null;
  row = Math.min(src.rows - 1, Math.max(0, row));
  col = Math.min(src.columns - 1, Math.max(0, col));
  return { slice: k, row, col };
}

/**
 * For each pixel of plane i (row-major), the source slice it lies in and its pixel index there
 * (-1: in a gap or outside the acquired volume): how masks are drawn and strokes written back.
 * @param {Planes} pl
 * @param {number} i
 * @param {Source} src
 */
export function sourceLookup(pl, i, src) {
  const size = pl.rows * pl.columns;
  const slice = new Int32Array(size).fill(-1);
  const offset = new Int32Array(size).fill(-1);
  // Everything is linear along a row of the reformat: p(c) = p(r, 0) + c * ps1 * R; so are its
  // projections on n, u and v (scalars only in the loop: ~150k pixels a plane).
  const step = scale(vec(pl.row_direction), pl.pixel_spacing[1]);
  const [stepN, stepU, stepV] = [dot(step, src.n), dot(step, src.u), dot(step, src.v)];
  const pu = src.positions.map((p) => dot(p, src.u));
  const pv = src.positions.map((p) => dot(p, src.v));
  const { s, tolerance } = src;
  const last = s.length - 1;
  let k = 0;
  for (let r = 0, at = 0; r < pl.rows; r++) {
    const start = pointAt(pl, i, r, 0);
    const n0 = dot(start, src.n);
    const u0 = dot(start, src.u);
    const v0 = dot(start, src.v);
    k = nearestSlice(src, n0);
    for (let c = 0; c < pl.columns; c++, at++) {
      const along = n0 + c * stepN;
      // The nearest slice moves little along a row (not at all for a grid in the acquisition
      // frame): walk to it from the last one (the slices are sorted along n).
      while (k < last && Math.abs(s[k + 1] - along) < Math.abs(s[k] - along)) k++;
      while (k > 0 && Math.abs(s[k - 1] - along) < Math.abs(s[k] - along)) k--;
      if (k < 0 || Math.abs(along - s[k]) > tolerance[k]) continue;
      const row = Math.round((v0 + c * stepV - pv[k]) / src.dr);
      const col = Math.round((u0 + c * stepU - pu[k]) / src.dc);
      if (row < 0 || col < 0 || row >= src.rows || col >= src.columns) continue;
      slice[at] = k;
      offset[at] = row * src.columns + col;
    }
  }
  return { slice, offset };
}

/**
 * Where the plane {p : p.normal = level} crosses plane i of a grid: two points (r, c) of the
 * reformat image, at its edges, or null when the planes are parallel.
 * @param {Planes} pl
 * @param {number} i
 * @param {Vec} normal
 * @param {number} level
 * @returns {[{ r: number, c: number }, { r: number, c: number }] | null}
 */
export function crossingLine(pl, i, normal, level) {
  const a = dot(pointAt(pl, i, 0, 0), normal) - level;
  const b = pl.pixel_spacing[0] * dot(vec(pl.column_direction), normal);
  const d = pl.pixel_spacing[1] * dot(vec(pl.row_direction), normal);
  if (Math.abs(b) < 1e-9 && Math.abs(d) < 1e-9) return null;
  if (Math.abs(b) >= Math.abs(d)) {
    const [c0, c1] = [-0.5, pl.columns - 0.5];
    return [{ r: -(a + d * c0) / b, c: c0 }, { r: -(a + d * c1) / b, c: c1 }];
  }
  const [r0, r1] = [-0.5, pl.rows - 0.5];
  return [{ r: r0, c: -(a + b * r0) / d }, { r: r1, c: -(a + b * r1) / d }];
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

/** LPS letters of +x, +y, +z and their opposites (PS3.3 C.7.6.1.1.1). */
const LETTERS = [["L", "R"], ["P", "A"], ["S", "I"]];

/**
 * The orientation letters of a direction: those of its components of at least 0.3 (about 17°
 * off the axes), the largest first, as most viewers show an oblique edge ("LP").
 * @param {Vec} d
 */
export function orientationLetters(d) {
  return [0, 1, 2]
    .filter((k) => Math.abs(d[k]) >= 0.3)
    .sort((a, b) => Math.abs(d[b]) - Math.abs(d[a]))
    .map((k) => LETTERS[k][d[k] > 0 ? 0 : 1])
    .join("");
}

/**
 * The four edge letters of a view whose screen right and down have these directions.
 * @param {{ right: Vec, down: Vec }} dirs
 */
export function edgeLetters({ right, down }) {
  return {
    left: orientationLetters(scale(right, -1)),
    right: orientationLetters(right),
    top: orientationLetters(scale(down, -1)),
    bottom: orientationLetters(down),
  };
}

/**
 * The range of the slice spacing along the normal, leaving out the steps over missing slices
 * (a step over 1.5 times the larger of its neighbours), which the badge counts apart.
 * @param {Source} src
 * @returns {[number, number] | null}
 */
export function spacingRange(src) {
  /** @type {number[]} */
  const steps = [];
  for (let k = 1; k < src.s.length; k++) steps.push(Math.abs(src.s[k] - src.s[k - 1]));
  const kept = steps.filter((d, i) => {
    const near = Math.max(steps[i - 1] ?? 0, steps[i + 1] ?? 0);
    return !(near > 0 && d > 1.5 * near);
  });
  return kept.length ? [Math.min(...kept), Math.max(...kept)] : null;
}

/** Frames at the same depth as the frame before them (several echoes or phases a position). @param {{ s: ArrayLike<number> }} src */
export function sharedPositions(src) {
  let shared = 0;
  for (let k = 1; k < src.s.length; k++) if (Math.abs(src.s[k] - src.s[k - 1]) <= 1e-4) shared++;
  return shared;
}

/**
 * The badge text of an irregular series, empty for a regular one.
 * @param {Geometry | undefined} g
 * @param {[number, number] | null} [range] the spacing without the gaps (spacingRange)
 * @param {number} [shared] frames at the position of an earlier frame (sharedPositions)
 */
export function geometryBadge(g, range = null, shared = 0) {
  if (!g || g.regular !== false) return "";
  const parts = [];
  if (shared > 0) parts.push(`${shared} frame${shared === 1 ? "" : "s"} at an already used position (echoes or phases): side views show the first`);
  if ((g.tilt_degrees ?? 0) >= 0.1) parts.push(`gantry tilt ${(g.tilt_degrees ?? 0).toFixed(1)}°`);
  const [lo, hi] = (g.missing_slices ?? 0) > 0 && range ? range : [g.spacing_min ?? 0, g.spacing_max ?? 0];
  if (hi - lo > Math.max(0.01, lo * 0.01)) parts.push(`uneven spacing ${lo.toFixed(1)}–${hi.toFixed(1)} mm`);
  const missing = g.missing_slices ?? 0;
  if (missing > 0) parts.push(`${missing} missing slice${missing === 1 ? "" : "s"}`);
  return parts.length ? parts.join(" · ") : "irregular geometry";
}
