// @ts-check
/**
 * What the annotator's modules share: the open series and its annotation session, the slice on
 * screen, the active segment and the stroke in progress. main.js makes one and hands it to each
 * module; every field names the one module that writes it, the others only read it.
 */

/** @typedef {import("./api.js").SeriesInfo} SeriesInfo */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */
/** @typedef {import("./slices.js").Slice} Slice */
/** @typedef {import("./slices.js").SliceCache} SliceCache */
/** @typedef {import("./painting.js").Stroke} Stroke */
/** @typedef {import("./render.js").Renderer} Renderer */

export class ViewState {
  /**
   * @param {HTMLCanvasElement} canvas the main view; it carries the test hooks (README.md)
   * @param {Renderer} renderer
   */
  constructor(canvas, renderer) {
    this.canvas = canvas;
    this.renderer = renderer;
    /** @type {SeriesInfo | null} written by SeriesOpener */
    this.series = null;
    /** @type {string | null} a series still being pulled: no painting until it is complete (SeriesOpener) */
    this.arriving = null;
    /** @type {SliceCache | null} SeriesOpener */
    this.cache = null;
    /** @type {AnnotationSession | null} SeriesOpener */
    this.session = null;
    /** the slice to show, 0-based (SliceView) */
    this.index = 0;
    /** @type {Slice | null} the slice whose pixels are on screen (SliceView) */
    this.shown = null;
    /** @type {{ x: number, y: number } | null} the pointer over the view (SliceView) */
    this.pointer = null;
    /** the masks' overlay (SliceView) */
    this.overlay = { opacity: 0.45, showMasks: true };
    /** @type {number | null} SegmentOps */
    this.activeSegment = null;
    /** @type {Stroke | null} PaintOps */
    this.stroke = null;
  }
}

/** @param {number} v @param {number} lo @param {number} hi */
export const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/** The unit of the series' values as written after a number: HU for CT, none otherwise. @param {SeriesInfo | null} series */
export const unitOf = (series) => (series?.modality === "CT" ? " HU" : "");

/**
 * Where a slice lies along the slice normal (row x column direction cosines, PS3.3 C.7.6.2.1.1),
 * which is meaningful for sagittal and oblique series, unlike z.
 * @param {SeriesInfo} series
 * @param {number} index
 * @returns {number | null}
 */
export function sliceLocation(series, index) {
  const p = series.slices?.[index]?.position;
  const o = series.orientation;
  if (!p || p.length < 3) return null;
  if (!o || o.length < 6) return Number(p[2]);
  const n = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
  return p[0] * n[0] + p[1] * n[1] + p[2] * n[2];
}
