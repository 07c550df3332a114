// @ts-check
/**
 * The two reformatted views beside the main one and the crosshair that links them: where they
 * cut (a column and a row of the main view), the lines that mark the slice on screen, a click
 * in one of them to navigate, and the segments drawn in them from the masks in memory.
 */

import * as api from "./api.js";
import { toRgb } from "./colors.js";
import { byId } from "./dom.js";
import { showError } from "./notify.js";
import { edgeLetters, geometryBadge, leftOutDetails, leftOutText, sharedPositions, sliceSpacing, spacingNotice, spacingRange } from "./orientation.js";
import { crossingLine, planeIndexAt, planesOf, pointAt, sourceGeometry, sourcePixel } from "./patientspace.js";
import { planesLayout, screenDirections } from "./planes.js";
import { dot } from "./vec3.js";
import { ReformatView } from "./reformat.js";
import { clamp } from "./viewstate.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */

/** @typedef {import("./planes.js").Axis} Axis */
/** @typedef {import("./patientspace.js").Planes} Planes */
/** @typedef {import("./vec3.js").Vec} Vec */

/** @type {Axis[]} */
const AXES = ["sagittal", "coronal"];

/**
 * p + a*da + b*db
 * @param {Vec} p @param {number} a @param {Vec} da @param {number} b @param {Vec} db
 * @returns {Vec}
 */
const add = (p, a, da, b, db) => [p[0] + a * da[0] + b * db[0], p[1] + a * da[1] + b * db[1], p[2] + a * da[2] + b * db[2]];

/**
 * The orientation letters on the edges of a view ("view", "sagittal" or "coronal"), or none.
 * @param {string} where
 * @param {{ left: string, right: string, top: string, bottom: string } | null} letters
 */
function showEdges(where, letters) {
  for (const edge of /** @type {const} */ (["left", "right", "top", "bottom"])) {
    const el = document.getElementById(`orient-${where}-${edge}`);
    if (el) el.textContent = letters ? letters[edge] : "";
  }
}

/**
 * The badge of an irregular series (gantry tilt, uneven spacing, missing slices).
 * @param {import("./api.js").SeriesInfo | null} series
 * @param {[number, number] | null} range the slice spacing without the gaps
 * @param {number} shared frames at an earlier frame's position
 */
function showBadge(series, range, shared) {
  const badge = byId("geometry-badge", HTMLElement);
  const irregular = geometryBadge(series?.geometry, range, shared);
  const leftOut = leftOutText(series?.excluded);
  const assumed = spacingNotice(series?.geometry);
  const text = [irregular, assumed, leftOut].filter(Boolean).join(" · ");
  badge.hidden = !text;
  byId("geometry-badge-text", HTMLElement).textContent = text;
  byId("geometry-badge-resampled", HTMLElement).hidden = !irregular;
  const titles = [
    irregular ? "The slices are not an even stack: the sagittal and coronal views are resampled at each slice's true position, so shapes and distances in them are true." : "",
    assumed ? "The images carry no Pixel Spacing: lengths, areas and volumes are in pixels (1 pixel = 1 mm), not true millimetres." : "",
    leftOut ? `Images left out are not part of the volume and cannot be annotated here: another size or orientation (e.g. a localizer), or a second image at a position (another echo, time point or image type; the volume shows one image per position). ${leftOutDetails(series?.excluded)}` : "",
  ];
  badge.title = titles.filter(Boolean).join(" ");
  byId("pane-info", HTMLElement).textContent = series ? geometrySummary(series, range, shared) : "";
}

/**
 * The 2x2 layout's fourth cell: the series' geometry in words, its spacing as the badge's.
 * @param {import("./api.js").SeriesInfo} series
 * @param {[number, number] | null} range the slice spacing without the gaps
 * @param {number} shared frames at an earlier frame's position
 */
function geometrySummary(series, range, shared) {
  const g = series.geometry;
  const [dr = 1, dc = 1] = series.spacing ?? [];
  const lines = [
    "Geometry",
    `${series.num_slices} slices of ${series.columns} × ${series.rows}, pixels ${dc.toFixed(2)} × ${dr.toFixed(2)} mm`,
  ];
  const assumed = spacingNotice(g);
  if (assumed) lines.push(assumed[0].toUpperCase() + assumed.slice(1));
  if (g) {
    const spacing = sliceSpacing(g, range);
    const gaps = spacing.missing ? `, ${spacing.missing}` : "";
    lines.push(g.regular ? "Regular stack" : geometryBadge(g, range, shared));
    lines.push(`Slice spacing ${spacing.text}${gaps}, tilt ${(g.tilt_degrees ?? 0).toFixed(1)}°`);
  }
  const leftOut = leftOutText(series.excluded);
  if (leftOut) lines.push(leftOut);
  const details = leftOutDetails(series.excluded);
  if (details) lines.push(`Left out: ${details}`);
  return lines.join("\n");
}

/** How long masks wait after the last change before the views redraw them. */
const MASK_DELAY_MS = 100;

export class CrossViews {
  /**
   * @param {ViewState} state
   * @param {{ showSlice: (index: number) => void, paint?: (axis: Axis) => import("./reformat.js").ReformatHandlers["paint"] }} handlers
   */
  constructor(state, handlers) {
    this.state = state;
    /** @type {{ col: number, row: number }} the crosshair on the main view's slice (image pixels) */
    this.cross = { col: 0, row: 0 };
    /** @type {{ sagittal: number, coronal: number }} the planes the reformatted views show */
    this.at = { sagittal: 0, coronal: 0 };
    /** @type {import("./patientspace.js").Source | null} */
    this.src = null;
    /** @type {{ sagittal: Planes, coronal: Planes } | null} */
    this.grids = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.maskTimer = undefined;
    this.showSlice = handlers.showSlice;
    const common = {
      fetch: api.getReformatBytes,
      error: (/** @type {unknown} */ err) => showError(err, "Could not load the reformatted view"),
    };
    this.sagittal = new ReformatView(byId("view-sagittal", HTMLCanvasElement), "sagittal", {
      ...common,
      pick: (row, col) => this.pick("sagittal", row, col),
      paint: handlers.paint?.("sagittal"),
    });
    this.coronal = new ReformatView(byId("view-coronal", HTMLCanvasElement), "coronal", {
      ...common,
      pick: (row, col) => this.pick("coronal", row, col),
      paint: handlers.paint?.("coronal"),
    });
  }

  /** @param {import("./api.js").SeriesInfo} series */
  setup(series) {
    const n = series.num_slices;
    const src = sourceGeometry(series);
    const grids = { sagittal: planesOf(series, "sagittal", src), coronal: planesOf(series, "coronal", src) };
    this.src = src;
    this.grids = grids;
    const usable = n > 1;
    const oriented = Array.isArray(series.orientation) && series.orientation.length >= 6;
    byId("reformats", HTMLElement).classList.toggle("unavailable", !usable);
    for (const axis of AXES) {
      const pl = grids[axis];
      // Each view turned upright (planes.js): a sagittal acquisition's views read "Coronal" and
      // "Axial", head-foot vertical and anterior up, not the slice axis down the screen.
      const layout = planesLayout(pl);
      const [sliceMm, widthMm] = pl.pixel_spacing;
      this.viewOf(axis).setPlane(
        usable
          ? { seriesUid: series.series_uid, dtype: series.dtype, width: pl.columns, widthMm: widthMm || 1, slices: pl.rows, sliceMm: sliceMm || 1, layout, planes: pl, src }
          : null,
      );
      byId(`reformat-label-${axis}`, HTMLElement).textContent = layout.name;
      showEdges(axis, usable && oriented ? edgeLetters(screenDirections(layout, pl)) : null);
    }
    // No Image Orientation (Patient) (an ultrasound, a secondary capture): no letters, which
    // would be made up, and the view says the orientation is unknown.
    showEdges("view", oriented ? edgeLetters({ right: src.u, down: src.v }) : null);
    this.state.canvas.dataset.orientation = oriented ? "known" : "unknown";
    byId("orient-view-unknown", HTMLElement).hidden = oriented;
    showBadge(series, spacingRange(src), sharedPositions(src));
    this.setCross({ col: Math.floor(series.columns / 2), row: Math.floor(series.rows / 2) });
  }

  /** @param {Axis} axis */
  viewOf(axis) {
    return axis === "sagittal" ? this.sagittal : this.coronal;
  }

  /** No series: empty views, no crosshair. */
  clear() {
    this.sagittal.setPlane(null);
    this.coronal.setPlane(null);
    this.grids = null;
    this.src = null;
    this.state.renderer.setCrosshair(null);
    for (const where of ["view", ...AXES]) showEdges(where, null);
    showBadge(null, null, 0);
  }

  /**
   * Move the cut of the reformatted views to image pixel (col, row) of the main view's slice.
   * @param {{ col: number, row: number }} cross
   */
  setCross(cross) {
    const { series, index } = this.state;
    const { src, grids } = this;
    if (!series || !src || !grids) return;
    const k = clamp(index, 0, series.num_slices - 1);
    const col = clamp(cross.col, 0, series.columns - 1);
    const row = clamp(cross.row, 0, series.rows - 1);
    const p = add(src.positions[k] ?? [0, 0, 0], col * src.dc, src.u, row * src.dr, src.v);
    this.setPlanes({ sagittal: planeIndexAt(grids.sagittal, p), coronal: planeIndexAt(grids.coronal, p) });
  }

  /**
   * Show these planes in the reformatted views.
   * @param {{ sagittal: number, coronal: number }} at
   */
  setPlanes(at) {
    this.at = at;
    this.sagittal.setIndex(at.sagittal);
    this.coronal.setIndex(at.coronal);
    this.updateMarks();
    this.updateMasks();
  }

  /** The crosshair at a point of the main view (Shift+click). @param {number} x @param {number} y */
  setCrossAt(x, y) {
    const { col, row } = this.state.renderer.viewToImage(x, y);
    this.setCross({ col: Math.floor(col), row: Math.floor(row) });
  }

  /**
   * A click in a reformatted view: the main view goes to the slice there, the other view's cut
   * through that point.
   * @param {Axis} axis
   * @param {number} row of the reformat image
   * @param {number} col
   */
  pick(axis, row, col) {
    const { src, grids } = this;
    if (!src || !grids) return;
    const p = pointAt(grids[axis], this.at[axis], row, col);
    const hit = sourcePixel(src, p, false);
    const other = axis === "sagittal" ? "coronal" : "sagittal";
    this.setPlanes({ ...this.at, [other]: planeIndexAt(grids[other], p) });
    if (hit) this.showSlice(hit.slice);
  }

  /**
   * The lines that mark the main view's slice and the other view's cut, and the crosshair on
   * the main view's slice (where the two cuts cross it).
   */
  updateMarks() {
    const { src, grids } = this;
    const { series, index } = this.state;
    if (!src || !grids || !series) return;
    const k = clamp(index, 0, series.num_slices - 1);
    const level = src.s[k];
    /** @param {Axis} axis */
    const cutOf = (axis) => {
      const pl = grids[axis];
      const normal = /** @type {import("./vec3.js").Vec} */ (pl.plane_normal);
      return { normal, level: dot(pointAt(pl, this.at[axis], 0, 0), normal) };
    };
    const sag = cutOf("sagittal");
    const cor = cutOf("coronal");
    this.sagittal.setMarks(crossingLine(grids.sagittal, this.at.sagittal, src.n, level), crossingLine(grids.sagittal, this.at.sagittal, cor.normal, cor.level));
    this.coronal.setMarks(crossingLine(grids.coronal, this.at.coronal, src.n, level), crossingLine(grids.coronal, this.at.coronal, sag.normal, sag.level));
    // On slice k, the sagittal cut is a column and the coronal cut a row (the grid is the
    // acquisition frame, GEOMETRY_CONTRACT.md).
    const origin = src.positions[k] ?? [0, 0, 0];
    const col = Math.round((sag.level - dot(origin, sag.normal)) / (src.dc * dot(src.u, sag.normal) || 1));
    const row = Math.round((cor.level - dot(origin, cor.normal)) / (src.dr * dot(src.v, cor.normal) || 1));
    this.cross = { col: clamp(col, 0, series.columns - 1), row: clamp(row, 0, series.rows - 1) };
    this.state.canvas.dataset.cross = `${this.cross.col},${this.cross.row}`;
    this.state.renderer.setCrosshair(series.num_slices > 1 ? this.cross : null);
  }

  /**
   * @param {number} center
   * @param {number} width
   * @param {boolean} invert
   */
  setWindow(center, width, invert) {
    this.sagittal.setWindow(center, width, invert);
    this.coronal.setWindow(center, width, invert);
  }

  /**
   * The segments in the reformatted views, from the masks in memory; a while after the last
   * change, so scrolling and strokes don't pay for it.
   */
  updateMasks() {
    clearTimeout(this.maskTimer);
    this.maskTimer = setTimeout(() => this.drawMasks(), MASK_DELAY_MS);
  }

  drawMasks() {
    const { session, overlay } = this.state;
    /** @type {import("./reformat.js").MaskLayer[]} */
    const layers = [];
    if (session && overlay.showMasks) {
      for (const s of session.segments) {
        if (s.visible) layers.push({ maskAt: (slice) => session.masks.get(s.number, slice), color: toRgb(s.color) });
      }
    }
    this.sagittal.setMasks(layers, overlay.opacity);
    this.coronal.setMasks(layers, overlay.opacity);
  }

  /**
   * Load, in the background and two at a time, the masks of every painted slice, so the
   * reformatted views show whole segments.
   * @param {AnnotationSession} session
   */
  async loadPaintedMasks(session) {
    /** @type {{ segment: number, slice: number }[]} */
    const wanted = [];
    for (const [segment, slices] of session.painted) for (const slice of slices) wanted.push({ segment, slice });
    let loaded = 0;
    const current = () => this.state.session === session;
    const worker = async () => {
      for (let next = wanted.shift(); next && current(); next = wanted.shift()) {
        await session.masks.load(next.segment, next.slice).catch(() => undefined);
        if (++loaded % 8 === 0 && current()) this.updateMasks();
      }
    };
    await Promise.all([worker(), worker()]);
    if (current()) this.updateMasks();
  }
}
