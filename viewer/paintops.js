// @ts-check
/**
 * What the pointer and the painting keys do to the active segment: brush, eraser and threshold
 * strokes, flood fill, clear slice and fill between slices, each one undo step. The mask
 * arithmetic is in painting.js and fill.js; this decides whether the slice on screen may be
 * painted (and tells the user why not).
 */

import { byId } from "./dom.js";
import { floodFill, interpolateMasks } from "./fill.js";
import { showError, showInfo } from "./notify.js";
import { loadProtected } from "./overlap.js";
import { applyEdits, continueStroke, finishStroke, gridOf, startStroke } from "./painting.js";
import { continueSphere, finishSphere, preload, sphereDiscs, startSphere } from "./sphere.js";
import { formatValue } from "./windowing.js";
import { unitOf } from "./viewstate.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */
/** @typedef {import("./slices.js").Slice} Slice */
/**
 * @typedef {object} PaintHandlers
 * @property {import("./toolcontrols.js").ToolControls} tools
 * @property {() => void} refresh the masks on screen changed
 * @property {(index: number) => void} showSlice
 * @property {(x: number, y: number) => { index: number, value: number } | null} valueAt
 * @property {(segment: number) => void} reveal show a hidden segment that is painted on
 * @property {() => void} historyChanged a step was added
 */

export class PaintOps {
  /**
   * @param {ViewState} state
   * @param {PaintHandlers} handlers
   */
  constructor(state, handlers) {
    this.state = state;
    this.handlers = handlers;
    this.tools = handlers.tools;
    /** @type {import("./sphere.js").SphereStroke | null} the 3D brush's stroke in progress */
    this.sphere = null;
  }

  /** The 3D (sphere) brush is on, and the tool paints or erases without a range. */
  sphereOn() {
    const tool = this.tools.tool;
    return byId("brush-3d", HTMLInputElement).checked && (tool === "brush" || tool === "eraser");
  }

  /** Load the active segment's masks on the slices the 3D brush reaches from the slice on screen. */
  preloadSphere() {
    const { session, series, activeSegment, index } = this.state;
    if (!session || !series || activeSegment === null || !byId("brush-3d", HTMLInputElement).checked) return;
    const canvas = this.state.canvas;
    canvas.dataset.sphereLoaded = "false";
    void preload(session, activeSegment, sphereDiscs(series, index, this.tools.brushMm / 2)).then(() => {
      if (this.state.index === index) canvas.dataset.sphereLoaded = "true";
    });
  }

  /**
   * The session and the active segment when the slice on screen may be painted, after telling
   * the user why not otherwise.
   * @param {boolean} [quiet] no message (a key press that has nothing to do)
   * @returns {{ session: AnnotationSession, segment: number } | null}
   */
  editable(quiet = false) {
    const { session, series, activeSegment: segment, index } = this.state;
    if (!session || !series) return null;
    const tell = (/** @type {string} */ text) => {
      if (!quiet) showInfo(text);
      return null;
    };
    if (session.readOnly) return tell(`${session.readOnly}.`);
    if (this.state.arriving === series.series_uid) {
      // Masks are stored per slice index; while instances still arrive, indexes shift.
      return tell("This series is still arriving from the PACS; painting starts once it is complete.");
    }
    const seg = segment === null ? undefined : session.segment(segment);
    if (segment === null || !seg) {
      byId("segment-label", HTMLInputElement).focus();
      return tell("Add a segment first (Segments panel on the right).");
    }
    if (seg.locked) return tell(`"${seg.label}" is locked. Unlock it in the Segments panel (or press L).`);
    if (this.state.shown?.index !== index || !session.masks.isLoaded(segment, index)) {
      return tell("This slice is still loading.");
    }
    if (!seg.visible) this.handlers.reveal(segment);
    return { session, segment };
  }

  // ---- strokes ------------------------------------------------------------------------

  /**
   * @param {number} x
   * @param {number} y
   * @param {boolean} erase
   * @returns {boolean} whether a stroke started
   */
  beginStroke(x, y, erase) {
    if (this.tools.picking) {
      this.tools.pickRange(x, y);
      return false;
    }
    const target = this.editable();
    const { series, index } = this.state;
    if (!target || !series) return false;
    const { session, segment } = target;
    const { col, row } = this.state.renderer.viewToImage(x, y);
    const shown = /** @type {Slice} */ (this.state.shown);
    const { tool, range, brushMm } = this.tools;
    const gate = tool === "threshold" && !erase ? { pixels: shown.pixels, ...range } : null;
    const at = { segment, slice: index, grid: gridOf(series), col, row, radiusMm: brushMm / 2, erase, gate };
    if (this.sphereOn()) {
      const sphere = startSphere(session, at, sphereDiscs(series, index, brushMm / 2));
      this.sphere = sphere;
      this.state.stroke = /** @type {import("./painting.js").Stroke} */ (sphere.parts.find((p) => p.stroke.slice === index)?.stroke);
      this.handlers.refresh();
      return true;
    }
    this.state.stroke = startStroke(session, at);
    this.handlers.refresh();
    return true;
  }

  /**
   * @param {number} x
   * @param {number} y
   */
  extendStroke(x, y) {
    const { stroke, series, renderer } = this.state;
    if (!stroke || !series) return;
    const { col, row } = renderer.viewToImage(x, y);
    if (this.sphere) continueSphere(this.sphere, gridOf(series), col, row);
    else continueStroke(stroke, gridOf(series), col, row, this.tools.brushMm / 2);
    renderer.invalidateMasks();
  }

  endStroke() {
    const stroke = this.state.stroke;
    const sphere = this.sphere;
    this.state.stroke = null;
    this.sphere = null;
    if (!stroke || !this.state.session) return;
    if (sphere) finishSphere(this.state.session, sphere);
    else finishStroke(this.state.session, stroke);
    this.afterEdit();
  }

  // ---- whole-mask edits ---------------------------------------------------------------

  /**
   * Flood fill: the 4-connected pixels within the range that hold the clicked one.
   * @param {number} x
   * @param {number} y
   */
  floodFillAt(x, y) {
    if (this.tools.picking) {
      this.tools.pickRange(x, y);
      return;
    }
    const target = this.editable();
    const at = this.handlers.valueAt(x, y);
    const { series, index } = this.state;
    if (!target || !at || !series) return;
    const { low, high } = this.tools.range;
    if (!(at.value >= low && at.value <= high)) {
      const unit = unitOf(series);
      showInfo(`The pixel is ${formatValue(at.value)}${unit}, outside the range ${formatValue(low)} to ${formatValue(high)}.`);
      return;
    }
    const { session, segment } = target;
    const pixels = /** @type {Slice} */ (this.state.shown).pixels;
    const current = session.masks.get(segment, index) ?? null;
    const filled = floodFill(pixels, current, series.rows, series.columns, at.index, low, high);
    applyEdits(session, segment, [{ slice: index, target: filled }]);
    this.afterEdit();
  }

  /** Clear the active segment on the slice on screen. */
  clearSlice() {
    const target = this.editable();
    const series = this.state.series;
    if (!target || !series) return;
    const empty = new Uint8Array(series.rows * series.columns);
    applyEdits(target.session, target.segment, [{ slice: this.state.index, target: empty }]);
    this.afterEdit();
  }

  /**
   * Interpolate the active segment on every empty slice between two painted slices (shape-based,
   * fill.js); one undo step, each filled slice saved like a stroke.
   */
  async fillBetween() {
    const target = this.editable();
    const series = this.state.series;
    if (!target || !series) return;
    const { session, segment } = target;
    const slices = [...Array(series.num_slices).keys()];
    try {
      await Promise.all(slices.map((i) => session.masks.load(segment, i)));
      await loadProtected(session, segment, slices);
    } catch (err) {
      showError(err, "Could not load the masks to fill between");
      return;
    }
    if (this.state.session !== session || this.state.stroke) return;
    const painted = slices.filter((i) => session.masks.get(segment, i)?.some((v) => v !== 0));
    if (painted.length < 2) {
      showInfo("Paint the segment on two slices first; the slices between them are filled.");
      return;
    }
    const changed = applyEdits(session, segment, interpolateGaps(session, segment, painted, gridOf(series)));
    showInfo(changed ? `Filled ${changed} slices between ${painted.length} painted slices.` : "No gaps between painted slices.");
    this.afterEdit();
  }

  afterEdit() {
    this.handlers.refresh();
    this.handlers.historyChanged();
  }
}

/**
 * The masks of the slices between each pair of painted slices that have a gap.
 * @param {AnnotationSession} session
 * @param {number} segment
 * @param {number[]} painted slices holding the segment, ascending
 * @param {import("./brush.js").Grid} grid
 * @returns {import("./painting.js").SliceEdit[]}
 */
function interpolateGaps(session, segment, painted, grid) {
  /** @type {import("./painting.js").SliceEdit[]} */
  const edits = [];
  for (let k = 1; k < painted.length; k++) {
    const a = painted[k - 1];
    const b = painted[k];
    if (b - a < 2) continue;
    const first = /** @type {Uint8Array} */ (session.masks.get(segment, a));
    const last = /** @type {Uint8Array} */ (session.masks.get(segment, b));
    interpolateMasks(first, last, b - a - 1, grid).forEach((mask, j) => edits.push({ slice: a + 1 + j, target: mask }));
  }
  return edits;
}
