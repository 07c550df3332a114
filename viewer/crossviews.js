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
import { seriesPlaneLayout } from "./planes.js";
import { ReformatView } from "./reformat.js";
import { clamp, sliceLocation } from "./viewstate.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */

/** How long masks wait after the last change before the views redraw them. */
const MASK_DELAY_MS = 100;

export class CrossViews {
  /**
   * @param {ViewState} state
   * @param {{ showSlice: (index: number) => void }} handlers
   */
  constructor(state, handlers) {
    this.state = state;
    /** @type {{ col: number, row: number }} where the reformatted views cut */
    this.cross = { col: 0, row: 0 };
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.maskTimer = undefined;
    this.showSlice = handlers.showSlice;
    const common = {
      fetch: api.getReformatBytes,
      error: (/** @type {unknown} */ err) => showError(err, "Could not load the reformatted view"),
    };
    this.sagittal = new ReformatView(byId("view-sagittal", HTMLCanvasElement), "sagittal", {
      ...common,
      pick: (row, slice) => this.pick({ row }, slice),
    });
    this.coronal = new ReformatView(byId("view-coronal", HTMLCanvasElement), "coronal", {
      ...common,
      pick: (col, slice) => this.pick({ col }, slice),
    });
  }

  /** @param {import("./api.js").SeriesInfo} series */
  setup(series) {
    const [rowSpacing = 1, colSpacing = 1] = series.spacing ?? [];
    const n = series.num_slices;
    const first = sliceLocation(series, 0);
    const last = sliceLocation(series, n - 1);
    const sliceMm = first !== null && last !== null && n > 1 ? Math.abs(last - first) / (n - 1) || 1 : 1;
    const common = { seriesUid: series.series_uid, dtype: series.dtype, slices: n, sliceMm, columns: series.columns };
    // Each view turned upright (planes.js): a sagittal acquisition's views read "Coronal" and
    // "Axial", head-foot vertical and anterior up, not the slice axis down the screen.
    const [head, tail] = [series.slices?.[0]?.position, series.slices?.[n - 1]?.position];
    const sagittal = seriesPlaneLayout("sagittal", series.orientation, head, tail);
    const coronal = seriesPlaneLayout("coronal", series.orientation, head, tail);
    const usable = n > 1;
    byId("reformats", HTMLElement).classList.toggle("unavailable", !usable);
    this.sagittal.setPlane(usable ? { ...common, width: series.rows, widthMm: rowSpacing || 1, layout: sagittal } : null);
    this.coronal.setPlane(usable ? { ...common, width: series.columns, widthMm: colSpacing || 1, layout: coronal } : null);
    this.setCross({ col: Math.floor(series.columns / 2), row: Math.floor(series.rows / 2) });
    byId("reformat-label-sagittal", HTMLElement).textContent = sagittal.name;
    byId("reformat-label-coronal", HTMLElement).textContent = coronal.name;
  }

  /** No series: empty views, no crosshair. */
  clear() {
    this.sagittal.setPlane(null);
    this.coronal.setPlane(null);
    this.state.renderer.setCrosshair(null);
  }

  /**
   * Move the cut of the reformatted views to image pixel (col, row) of the main view.
   * @param {{ col: number, row: number }} cross
   */
  setCross(cross) {
    const series = this.state.series;
    if (!series) return;
    this.cross = { col: clamp(cross.col, 0, series.columns - 1), row: clamp(cross.row, 0, series.rows - 1) };
    this.state.canvas.dataset.cross = `${this.cross.col},${this.cross.row}`;
    this.state.renderer.setCrosshair(series.num_slices > 1 ? this.cross : null);
    this.sagittal.setIndex(this.cross.col);
    this.coronal.setIndex(this.cross.row);
    this.updateMarks();
    this.updateMasks();
  }

  /** The crosshair at a point of the main view (Shift+click). @param {number} x @param {number} y */
  setCrossAt(x, y) {
    const { col, row } = this.state.renderer.viewToImage(x, y);
    this.setCross({ col: Math.floor(col), row: Math.floor(row) });
  }

  /**
   * A click in a reformatted view: the main view goes to that slice, the other view's cut there.
   * @param {{ col?: number, row?: number }} at
   * @param {number} slice
   */
  pick(at, slice) {
    this.setCross({ col: at.col ?? this.cross.col, row: at.row ?? this.cross.row });
    this.showSlice(slice);
  }

  /** The lines that mark the main view's slice and the other view's cut. */
  updateMarks() {
    this.sagittal.setMarks(this.cross.row, this.state.index);
    this.coronal.setMarks(this.cross.col, this.state.index);
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

  toggle() {
    const panel = byId("reformats", HTMLElement);
    panel.hidden = !panel.hidden;
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
