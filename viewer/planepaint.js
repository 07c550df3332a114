// @ts-check
/**
 * Painting in the sagittal and coronal views: brush, eraser and threshold brush draw a stroke
 * on the reformat image (discs in mm on its own pixel spacing, the threshold gated by the values
 * shown there); when it ends, every stroke pixel is written to the acquired slice and pixel it
 * lies in (planes.js sourceLookup: the nearest slice along the normal, nothing in a gap), as one
 * undo step over all the slices it crosses, saved like any stroke (PUT .../slices/{index} with
 * If-Match).
 */

import { loadProtected } from "./overlap.js";
import { stampDisc, stampLine } from "./brush.js";
import { toRgb } from "./colors.js";
import { showError } from "./notify.js";
import { applyEdits } from "./painting.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./planes.js").Axis} Axis */
/**
 * @typedef {{ axis: Axis, view: import("./reformat.js").ReformatView, segment: number,
 *   session: import("./annotation.js").AnnotationSession, mask: Uint8Array, flips: number[],
 *   grid: import("./brush.js").Grid, gate: import("./brush.js").Gate | null, erase: boolean,
 *   row: number, col: number }} PlaneStroke
 */
/**
 * @typedef {object} PlanePaintHandlers
 * @property {import("./toolcontrols.js").ToolControls} tools
 * @property {(axis: Axis) => import("./reformat.js").ReformatView} view
 * @property {(quiet?: boolean) => { session: import("./annotation.js").AnnotationSession, segment: number } | null} editable
 * @property {() => void} done the masks changed and a step was added
 */

const PAINTING = new Set(["brush", "eraser", "threshold"]);

export class PlanePaint {
  /**
   * @param {ViewState} state
   * @param {PlanePaintHandlers} handlers
   */
  constructor(state, handlers) {
    this.state = state;
    this.handlers = handlers;
    /** @type {PlaneStroke | null} */
    this.stroke = null;
  }

  /** The pointer handlers of one view. @param {Axis} axis */
  handlersFor(axis) {
    return {
      begin: (/** @type {number} */ row, /** @type {number} */ col) => this.begin(axis, row, col),
      extend: (/** @type {number} */ row, /** @type {number} */ col) => this.extend(row, col),
      end: () => void this.end(),
    };
  }

  /**
   * Start a stroke when a painting tool is on and a segment may be painted; else the click
   * navigates (false).
   * @param {Axis} axis
   * @param {number} row continuous, of the reformat image
   * @param {number} col
   */
  begin(axis, row, col) {
    const tools = this.handlers.tools;
    if (this.stroke || tools.picking || !PAINTING.has(tools.tool) || this.state.activeSegment === null) return false;
    const view = this.handlers.view(axis);
    const plane = view.plane;
    if (!plane || !view.pixels || view.canvas.dataset.ready !== "true") return false;
    const target = this.handlers.editable();
    if (!target) return false;
    const erase = tools.tool === "eraser";
    const grid = { rows: plane.slices, columns: plane.width, rowSpacing: plane.sliceMm, colSpacing: plane.widthMm };
    const gate = tools.tool === "threshold" ? { pixels: view.pixels, ...tools.range } : null;
    /** @type {PlaneStroke} */
    const stroke = { axis, view, ...target, mask: new Uint8Array(grid.rows * grid.columns), flips: [], grid, gate, erase, row, col };
    stampDisc(stroke.mask, grid, col, row, tools.brushMm / 2, 1, stroke.flips, gate);
    this.stroke = stroke;
    this.preview();
    return true;
  }

  /** @param {number} row @param {number} col */
  extend(row, col) {
    const s = this.stroke;
    if (!s) return;
    stampLine(s.mask, s.grid, s.col, s.row, col, row, this.handlers.tools.brushMm / 2, 1, s.flips, s.gate);
    s.row = row;
    s.col = col;
    this.preview();
  }

  preview() {
    const s = this.stroke;
    if (!s) return;
    const color = s.erase ? /** @type {[number, number, number]} */ ([160, 160, 160]) : toRgb(s.session.segment(s.segment)?.color ?? "#ffffff");
    s.view.setStroke({ mask: s.mask, color });
  }

  /** Write the stroke to the slices it crosses, as one undo step. */
  async end() {
    const s = this.stroke;
    this.stroke = null;
    if (!s) return;
    try {
      const bySlice = slicePixels(s);
      await Promise.all([...bySlice.keys()].map((k) => s.session.masks.load(s.segment, k)));
      if (!s.erase) await loadProtected(s.session, s.segment, bySlice.keys());
      if (this.state.session !== s.session) return;
      const edits = [...bySlice].map(([slice, offsets]) => {
        const current = s.session.masks.get(s.segment, slice);
        const target = current ? new Uint8Array(current) : new Uint8Array(s.session.pixelCount);
        for (const o of offsets) target[o] = s.erase ? 0 : 1;
        return { slice, target };
      });
      applyEdits(s.session, s.segment, edits);
    } catch (err) {
      showError(err, "Could not paint across the slices");
    } finally {
      s.view.setStroke(null);
      this.handlers.done();
    }
  }
}

/**
 * The source pixels of a stroke, by slice.
 * @param {PlaneStroke} s
 * @returns {Map<number, number[]>}
 */
function slicePixels(s) {
  const lookup = s.view.sourcePixels();
  /** @type {Map<number, number[]>} */
  const out = new Map();
  if (!lookup) return out;
  for (let i = 0; i < s.mask.length; i++) {
    if (!s.mask[i] || lookup.slice[i] < 0) continue;
    const k = lookup.slice[i];
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(lookup.offset[i]);
  }
  return out;
}
