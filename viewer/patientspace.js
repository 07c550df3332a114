// @ts-check
/**
 * The patient-space mapping of GEOMETRY_CONTRACT.md (its last section): the acquired slices'
 * geometry, the reformat grid of an axis (the service's, or the regular stack's when absent),
 * a reformat pixel's patient point, and the source slice, row and column that holds it. So a
 * tilted or unevenly spaced series is drawn and painted where it is.
 */

import { cross, dot, scale, sub, unit, vec } from "./vec3.js";

/** @typedef {import("./vec3.js").Vec} Vec */
/** @typedef {import("./planes.js").Axis} Axis */
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
